//! What the server knows about itself, for the System page and the scrape:
//! what it was built from, when it started, its database files, its
//! certificate and its latest server errors; and `assessment`, the page's
//! green, amber or red verdict with the reasons in words.

pub mod assessment;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use crate::backup::BackupStatus;
use crate::config::{DatabaseSettings, Settings};
use crate::elapsed::age;
use crate::http::server_errors::ServerErrors;
use crate::tls::CertificateStore;

/// The release this binary is.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
/// The git commit it was built from (see `build.rs`).
pub const COMMIT: &str = env!("COFFEE_SHOP_GIT_COMMIT");
/// The target triple it was built for.
pub const TARGET: &str = env!("COFFEE_SHOP_TARGET");

/// Facts about the running server, shared by every worker.
pub struct ServerFacts {
    pub started: SystemTime,
    pub database: DatabaseSettings,
    /// The database's write-ahead log.
    pub wal_file: PathBuf,
    /// With TLS on: the certificate served.
    pub certificates: Option<Arc<CertificateStore>>,
    pub server_errors: Arc<ServerErrors>,
    pub backups: Arc<BackupStatus>,
    pub backup_dir: PathBuf,
    /// The sign-in provider's issuer, when one is configured.
    pub issuer: Option<String>,
    pub development: bool,
}

impl ServerFacts {
    /// Facts as of now, the start.
    pub fn new(
        settings: &Settings,
        certificates: Option<Arc<CertificateStore>>,
        backups: Arc<BackupStatus>,
    ) -> Self {
        Self {
            started: SystemTime::now(),
            database: settings.database.clone(),
            wal_file: settings.database.sibling_file("-wal"),
            certificates,
            server_errors: Arc::default(),
            backups,
            backup_dir: settings.backup_dir(),
            issuer: settings
                .auth
                .identity_provider()
                .ok()
                .flatten()
                .map(|provider| provider.issuer),
            development: settings.development,
        }
    }

    /// The database's size on disk: its file and write-ahead log.
    pub fn database_bytes(&self) -> u64 {
        [&self.database.path, &self.wal_file]
            .iter()
            .map(|file| std::fs::metadata(file).map_or(0, |metadata| metadata.len()))
            .sum()
    }

    pub fn uptime(&self, now: SystemTime) -> Duration {
        age(now, self.started)
    }
}
