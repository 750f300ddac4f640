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

/// How long ago `then` was at `now` (zero for a time in the future).
pub fn age(now: SystemTime, then: SystemTime) -> Duration {
    now.duration_since(then).unwrap_or_default()
}

/// A span of time as people say it, to the minute: "less than a minute",
/// "7 min", "2 h 5 min", "3 days 4 h".
pub fn in_words(span: Duration) -> String {
    let minutes = span.as_secs() / 60;
    let (days, hours, minutes) = (minutes / 1440, minutes / 60 % 24, minutes % 60);
    let plural = |n: u64, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    match (days, hours, minutes) {
        (0, 0, 0) => "less than a minute".to_owned(),
        (0, 0, m) => format!("{m} min"),
        (0, h, 0) => format!("{h} h"),
        (0, h, m) => format!("{h} h {m} min"),
        (d, 0, _) => plural(d, "day", "days"),
        (d, h, _) => format!("{} {h} h", plural(d, "day", "days")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_read_as_people_say_them() {
        let words = |secs| in_words(Duration::from_secs(secs));
        assert_eq!(words(59), "less than a minute");
        assert_eq!(words(7 * 60), "7 min");
        assert_eq!(words(2 * 3600), "2 h");
        assert_eq!(words(2 * 3600 + 5 * 60 + 30), "2 h 5 min");
        assert_eq!(words(86_400 + 120), "1 day");
        assert_eq!(words(3 * 86_400 + 4 * 3600), "3 days 4 h");
    }
}
