//! HTTPS built in: the certificate being served (swapped without a restart),
//! where it comes from (files, or an ACME CA), and the TLS state people see
//! in the banner, `/readyz` and `check-config`.

use std::sync::Arc;
use std::time::SystemTime;

use arc_swap::{ArcSwap, ArcSwapOption};
use rustls::ServerConfig;
use rustls::server::{ClientHello, ResolvesServerCert, ServerSessionMemoryCache};
use rustls::sign::CertifiedKey;

use crate::config::{Settings, TlsMode};

pub mod acme;
mod acme_http;
pub mod certificate;
mod files;

pub use acme::Http01Challenges;
use certificate::{CertificateError, CertificateInfo, LoadedCertificate, crypto_provider};

/// Why HTTPS cannot start.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error(transparent)]
    Certificate(#[from] CertificateError),
    #[error("cannot set up TLS: {0}")]
    Rustls(#[from] rustls::Error),
}

/// What people are told about HTTPS, when it is on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TlsState {
    /// No certificate yet (ACME still trying); says why.
    Pending { reason: String },
    Serving {
        certificate: CertificateInfo,
        /// When an automatic certificate is renewed (`None` for files).
        next_renewal: Option<SystemTime>,
        /// Why the last renewal attempt failed, until one succeeds.
        renewal_problem: Option<String>,
    },
}

impl TlsState {
    /// One line: "pending: <reason>", "expired: …", or the certificate's
    /// summary (with a failing renewal's reason).
    pub fn summary(&self, now: SystemTime) -> String {
        match self {
            TlsState::Pending { reason } => format!("pending: {reason}"),
            TlsState::Serving {
                certificate,
                next_renewal,
                renewal_problem,
            } => {
                let expired = if self.is_usable(now) { "" } else { "expired: " };
                let renewal = next_renewal.map_or(String::new(), |at| {
                    format!(", renews at {}", humantime::format_rfc3339_seconds(at))
                });
                let problem = renewal_problem
                    .as_ref()
                    .map_or(String::new(), |why| format!("; renewal failing: {why}"));
                format!("{expired}{}{renewal}{problem}", certificate.summary(now))
            }
        }
    }

    /// False while no certificate is served or once it has expired: what
    /// `/readyz` reports as not ready.
    pub fn is_usable(&self, now: SystemTime) -> bool {
        match self {
            TlsState::Pending { .. } => false,
            TlsState::Serving { certificate, .. } => certificate.not_after > now,
        }
    }
}

/// The certificate served to new connections, and the state shown about
/// it. Swapping it never disturbs connections already open.
#[derive(Debug)]
pub struct CertificateStore {
    current: ArcSwapOption<CertifiedKey>,
    state: ArcSwap<TlsState>,
}

impl CertificateStore {
    /// A store with no certificate yet, saying why.
    fn pending(reason: String) -> Self {
        Self {
            current: ArcSwapOption::empty(),
            state: ArcSwap::from_pointee(TlsState::Pending { reason }),
        }
    }

    /// A store serving `certificate` (from files: no renewal of its own).
    fn with_certificate(certificate: LoadedCertificate) -> Self {
        let store = Self::pending(String::new());
        store.install(certificate, None);
        store
    }

    /// Serves `certificate` from the next handshake on.
    pub fn install(&self, certificate: LoadedCertificate, next_renewal: Option<SystemTime>) {
        self.current.store(Some(certificate.certified_key));
        self.state.store(Arc::new(TlsState::Serving {
            certificate: certificate.info,
            next_renewal,
            renewal_problem: None,
        }));
    }

    /// Records why getting a certificate failed: "pending" before the
    /// first, a renewal problem beside a certificate already served (which
    /// stays served).
    pub fn record_failure(&self, reason: String) {
        self.state.rcu(|state| match &**state {
            TlsState::Serving {
                certificate,
                next_renewal,
                ..
            } => TlsState::Serving {
                certificate: certificate.clone(),
                next_renewal: *next_renewal,
                renewal_problem: Some(reason.clone()),
            },
            _ => TlsState::Pending {
                reason: reason.clone(),
            },
        });
    }

    pub fn state(&self) -> TlsState {
        TlsState::clone(&self.state.load())
    }

    /// The certificate being served, if any.
    pub fn serving(&self) -> Option<CertificateInfo> {
        match &**self.state.load() {
            TlsState::Serving { certificate, .. } => Some(certificate.clone()),
            _ => None,
        }
    }
}

impl ResolvesServerCert for CertificateStore {
    fn resolve(&self, _client_hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        self.current.load_full()
    }
}

/// HTTPS for one server: the store behind its rustls configuration, and
/// the HTTP-01 tokens its plain listener answers.
pub struct Tls {
    pub store: Arc<CertificateStore>,
    pub challenges: Arc<Http01Challenges>,
    pub hsts_max_age_secs: u64,
    /// The ACME client, started (`start_acme`) once the plain listener
    /// answers challenges.
    acme: Option<acme::AcmeClient>,
}

impl Tls {
    /// Loads the certificate files (a bad file stops start-up), or the
    /// stored ACME certificate; `start_acme` then keeps one (a failure does
    /// not stop the server: it retries in the background). `None` when TLS
    /// is off. Must run inside the actix system.
    pub fn start(settings: &Settings) -> Result<Option<Self>, TlsError> {
        let challenges = Arc::new(Http01Challenges::default());
        let mut acme = None;
        let store = match settings.tls_mode() {
            TlsMode::Off => {
                files::ignore_hangups();
                return Ok(None);
            }
            TlsMode::Files { cert, key } => {
                let loaded = certificate::load_files(&cert, &key)?;
                let store = Arc::new(CertificateStore::with_certificate(loaded));
                files::watch(Arc::clone(&store), cert, key);
                store
            }
            TlsMode::Acme(acme_settings) => {
                let store = Arc::new(CertificateStore::pending(
                    "getting a certificate from the ACME CA".into(),
                ));
                let client = acme::AcmeClient::new(
                    acme_settings,
                    Arc::clone(&store),
                    Arc::clone(&challenges),
                );
                client.serve_stored_certificate();
                acme = Some(client);
                files::ignore_hangups();
                store
            }
        };
        Ok(Some(Self {
            store,
            challenges,
            hsts_max_age_secs: settings.tls.hsts_max_age_secs,
            acme,
        }))
    }

    /// Starts the ACME client, if there is one: call it once the plain
    /// listener runs, so the CA's first check finds it answering.
    pub fn start_acme(&mut self) {
        if let Some(client) = self.acme.take() {
            client.spawn();
        }
    }

    /// The rustls configuration: certificates from the store, session
    /// resumption by cache and by tickets (ALPN is added by actix).
    pub fn server_config(&self) -> Result<ServerConfig, TlsError> {
        let mut config = ServerConfig::builder_with_provider(Arc::new(crypto_provider()))
            .with_safe_default_protocol_versions()?
            .with_no_client_auth()
            .with_cert_resolver(Arc::clone(&self.store) as Arc<dyn ResolvesServerCert>);
        config.session_storage = ServerSessionMemoryCache::new(4096);
        config.ticketer = rustls::crypto::ring::Ticketer::new()?;
        Ok(config)
    }
}
