//! Automatic certificates from an ACME CA (Let's Encrypt, or any RFC 8555
//! CA) over HTTP-01, through `instant-acme`.
//!
//! The account key and the certificate are kept, owner-only, in a folder
//! per CA under `tls.acme_dir`, so a restart reuses them and orders
//! nothing. A certificate is renewed when 30 days (or a third of a short
//! lifetime) are left. Every failure is retried with back-off from 10
//! seconds to an hour, never in a tight loop, and never stops what is
//! being served.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use instant_acme::{
    Account, AccountCredentials, AuthorizationStatus, ChallengeType, Identifier, NewAccount,
    NewOrder, OrderStatus, RetryPolicy,
};
use sha2::{Digest, Sha256};

use super::CertificateStore;
use super::acme_http::AcmeHttp;
use super::certificate::{LoadedCertificate, PemPair, parse};
use crate::config::AcmeSettings;
use crate::error::error_chain;
use crate::hex::lower_hex;
use crate::private_files;

/// The first retry after a failure, doubled up to `MAX_BACKOFF`.
const FIRST_BACKOFF: Duration = Duration::from_secs(10);
const MAX_BACKOFF: Duration = Duration::from_secs(3600);
/// One whole attempt (account, order, challenges, certificate) at most.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(180);
/// Long sleeps wake this often, so a changed clock cannot delay renewal.
const LONGEST_SLEEP: Duration = Duration::from_secs(3600);

/// HTTP-01 answers the plain listener serves while the CA checks them:
/// token → key authorization.
#[derive(Debug, Default)]
pub struct Http01Challenges(Mutex<HashMap<String, String>>);

impl Http01Challenges {
    /// The key authorization for `token`, while its challenge is open.
    pub fn answer(&self, token: &str) -> Option<String> {
        self.lock().get(token).cloned()
    }

    fn open(&self, token: String, key_authorization: String) {
        self.lock().insert(token, key_authorization);
    }

    fn close_all(&self) {
        self.lock().clear();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, String>> {
        // A panic while holding this lock cannot leave the map half-written.
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Why an attempt to get a certificate failed, for the log and `/readyz`.
#[derive(Debug, thiserror::Error)]
enum AcmeError {
    #[error("the ACME CA at {directory} failed: {detail}")]
    Ca { directory: String, detail: String },
    #[error("cannot keep the ACME files in `{}`: {source}", path.display())]
    Files {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the CA's certificate is unusable: {0}")]
    Certificate(String),
    #[error("no answer from the ACME CA within {} s", ATTEMPT_TIMEOUT.as_secs())]
    Timeout,
    #[error("the new certificate is already due for renewal; check this machine's clock")]
    DueAtOnce,
}

pub struct AcmeClient {
    settings: AcmeSettings,
    store: Arc<CertificateStore>,
    challenges: Arc<Http01Challenges>,
    files: AcmeFiles,
}

/// The account and certificate files, in this CA's folder of `acme_dir`.
pub struct AcmeFiles {
    folder: PathBuf,
    domains: Vec<String>,
}

impl AcmeClient {
    pub fn new(
        settings: AcmeSettings,
        store: Arc<CertificateStore>,
        challenges: Arc<Http01Challenges>,
    ) -> Self {
        Self {
            files: AcmeFiles::new(&settings),
            settings,
            store,
            challenges,
        }
    }

    /// Serves the stored certificate, if it still covers the domains.
    pub fn serve_stored_certificate(&self) {
        if let Some(stored) = self.files.stored_certificate() {
            tracing::info!(
                certificate = %stored.info.summary(SystemTime::now()),
                "using the stored ACME certificate"
            );
            let renewal = stored.info.renewal_due();
            self.store.install(stored, Some(renewal));
        }
    }

    /// Keeps a valid certificate in the store for the life of the actix
    /// system.
    pub fn spawn(self) {
        actix_web::rt::spawn(self.keep_certificate());
    }

    async fn keep_certificate(self) {
        let mut backoff = FIRST_BACKOFF;
        let mut first_attempt = true;
        loop {
            if let Some(due) = self.store.serving().map(|info| info.renewal_due()) {
                match due.duration_since(SystemTime::now()) {
                    Ok(wait) => {
                        tokio::time::sleep(wait.min(LONGEST_SLEEP)).await;
                        continue;
                    }
                    Err(_) => tracing::info!("the ACME certificate is due for renewal"),
                }
            }
            let outcome = tokio::time::timeout(ATTEMPT_TIMEOUT, self.order_certificate()).await;
            match outcome {
                Ok(Ok(certificate)) => {
                    let renewal = certificate.info.renewal_due();
                    tracing::info!(
                        certificate = %certificate.info.summary(SystemTime::now()),
                        renews_at = %humantime::format_rfc3339_seconds(renewal),
                        "new ACME certificate; new connections use it"
                    );
                    self.store.install(certificate, Some(renewal));
                    if renewal > SystemTime::now() {
                        backoff = FIRST_BACKOFF;
                        continue;
                    }
                    // Due as soon as issued: a wrong clock, or a CA that
                    // backdates. Ordering again at once would be a tight loop.
                    self.failed(&AcmeError::DueAtOnce, backoff, first_attempt);
                }
                Ok(Err(error)) => self.failed(&error, backoff, first_attempt),
                Err(_) => self.failed(&AcmeError::Timeout, backoff, first_attempt),
            }
            first_attempt = false;
            self.challenges.close_all();
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(MAX_BACKOFF);
        }
    }

    /// Logs and records a failed attempt; the first one before any
    /// certificate also goes to stdout under the banner, which said
    /// "pending" before the reason was known.
    fn failed(&self, error: &AcmeError, retry_in: Duration, first_attempt: bool) {
        let reason = format!("{error}; retrying in {} s", retry_in.as_secs());
        match self.store.serving() {
            Some(_) => tracing::warn!(
                %reason,
                "ACME renewal failed; still serving the current certificate"
            ),
            None => {
                tracing::warn!(%reason, "no HTTPS certificate yet");
                if first_attempt {
                    println!("  HTTPS      pending: {reason}");
                }
            }
        }
        self.store.record_failure(reason);
    }

    /// One order, start to finish: account, challenges, certificate; the
    /// result is stored before it is served.
    async fn order_certificate(&self) -> Result<LoadedCertificate, AcmeError> {
        let account = self.account().await?;
        let identifiers: Vec<Identifier> = self
            .settings
            .domains
            .iter()
            .map(|domain| Identifier::Dns(domain.clone()))
            .collect();
        tracing::info!(domains = ?self.settings.domains, "ordering a certificate from the ACME CA");
        let mut order = account
            .new_order(&NewOrder::new(&identifiers))
            .await
            .map_err(|e| self.ca_error(&e))?;
        let mut authorizations = order.authorizations();
        while let Some(authorization) = authorizations.next().await {
            let mut authorization = authorization.map_err(|e| self.ca_error(&e))?;
            if authorization.status != AuthorizationStatus::Pending {
                continue;
            }
            let mut challenge = authorization
                .challenge(ChallengeType::Http01)
                .ok_or_else(|| self.ca_detail("it offers no HTTP-01 challenge".into()))?;
            self.challenges.open(
                challenge.token.clone(),
                challenge.key_authorization().as_str().to_owned(),
            );
            challenge.set_ready().await.map_err(|e| self.ca_error(&e))?;
        }
        let retries = RetryPolicy::new().timeout(Duration::from_secs(90));
        let status = order
            .poll_ready(&retries)
            .await
            .map_err(|e| self.ca_error(&e))?;
        if status != OrderStatus::Ready {
            let problem = order.state().error.as_ref().map(ToString::to_string);
            return Err(self.ca_detail(format!(
                "the order is {status:?}{}",
                problem.map_or(String::new(), |p| format!(": {p}"))
            )));
        }
        let key_pem = order.finalize().await.map_err(|e| self.ca_error(&e))?;
        let chain_pem = order
            .poll_certificate(&retries)
            .await
            .map_err(|e| self.ca_error(&e))?;
        self.challenges.close_all();
        self.files.keep_certificate(&chain_pem, &key_pem)
    }

    /// The stored account for this CA, or a new one (then stored).
    async fn account(&self) -> Result<Account, AcmeError> {
        let path = self.files.folder.join("account.json");
        if let Ok(text) = std::fs::read_to_string(&path)
            && let Ok(credentials) = serde_json::from_str::<AccountCredentials>(&text)
        {
            return self
                .account_builder()?
                .from_credentials(credentials)
                .await
                .map_err(|e| self.ca_error(&e));
        }
        let contact = self
            .settings
            .email
            .as_ref()
            .map(|email| format!("mailto:{email}"));
        let contacts: Vec<&str> = contact.iter().map(String::as_str).collect();
        let (account, credentials) = self
            .account_builder()?
            .create(
                &NewAccount {
                    contact: &contacts,
                    terms_of_service_agreed: true,
                    only_return_existing: false,
                },
                self.settings.directory.clone(),
                None,
            )
            .await
            .map_err(|e| self.ca_error(&e))?;
        let json = serde_json::to_vec(&credentials)
            .map_err(|e| self.ca_detail(format!("cannot store the account: {e}")))?;
        self.files.write(&path, &json)?;
        tracing::info!(account = %account.id(), "ACME account created");
        Ok(account)
    }

    fn account_builder(&self) -> Result<instant_acme::AccountBuilder, AcmeError> {
        let http =
            AcmeHttp::new(self.settings.ca_file.as_deref()).map_err(|e| self.ca_detail(e))?;
        Ok(Account::builder_with_http(Box::new(http)))
    }

    fn ca_error(&self, error: &instant_acme::Error) -> AcmeError {
        self.ca_detail(error_chain(error))
    }

    fn ca_detail(&self, detail: String) -> AcmeError {
        AcmeError::Ca {
            directory: self.settings.directory.clone(),
            detail,
        }
    }
}

impl AcmeFiles {
    pub fn new(settings: &AcmeSettings) -> Self {
        Self {
            folder: settings.dir.join(ca_folder_name(&settings.directory)),
            domains: settings.domains.clone(),
        }
    }

    /// The stored certificate, when it parses, is unexpired and names
    /// every configured domain.
    pub fn stored_certificate(&self) -> Option<LoadedCertificate> {
        let path = self.certificate_path();
        let pem = std::fs::read(&path).ok()?;
        let pair = PemPair {
            cert_path: &path,
            cert_pem: &pem,
            key_path: &path,
            key_pem: &pem,
        };
        match parse(&pair) {
            Ok(stored) if stored.info.covers(&self.domains) => Some(stored),
            Ok(_) => {
                tracing::info!(
                    "the stored ACME certificate does not name every domain; ordering a new one"
                );
                None
            }
            Err(error) => {
                tracing::warn!(%error, "the stored ACME certificate is unusable; ordering a new one");
                None
            }
        }
    }

    /// Checks the CA's answer, then stores key and chain in one file, in
    /// one atomic replace, so a crash never leaves a key beside another
    /// certificate.
    fn keep_certificate(
        &self,
        chain_pem: &str,
        key_pem: &str,
    ) -> Result<LoadedCertificate, AcmeError> {
        let path = self.certificate_path();
        let loaded = parse(&PemPair {
            cert_path: &path,
            cert_pem: chain_pem.as_bytes(),
            key_path: &path,
            key_pem: key_pem.as_bytes(),
        })
        .map_err(|e| AcmeError::Certificate(e.to_string()))?;
        self.write(&path, format!("{key_pem}\n{chain_pem}").as_bytes())?;
        Ok(loaded)
    }

    /// `<first domain>.pem`: the private key, then the chain.
    fn certificate_path(&self) -> PathBuf {
        let name = self.domains.first().map_or("certificate", String::as_str);
        self.folder.join(format!("{name}.pem"))
    }

    fn write(&self, path: &Path, contents: &[u8]) -> Result<(), AcmeError> {
        private_files::create_dir(&self.folder)
            .and_then(|()| private_files::replace(path, contents))
            .map_err(|source| AcmeError::Files {
                path: path.to_owned(),
                source,
            })
    }
}

/// A folder name per CA (`<host>-<hash of the directory URL>`), so staging
/// and production accounts and certificates never mix.
fn ca_folder_name(directory: &str) -> String {
    let host: String = directory
        .trim_start_matches("https://")
        .trim_start_matches("http://")
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '.' || *c == '-')
        .collect();
    let digest = Sha256::digest(directory.as_bytes());
    format!("{host}-{}", lower_hex(&digest[..4]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_ca_gets_its_own_folder() {
        let production = ca_folder_name("https://acme-v02.api.letsencrypt.org/directory");
        let staging = ca_folder_name("https://acme-staging-v02.api.letsencrypt.org/directory");
        assert!(
            production.starts_with("acme-v02.api.letsencrypt.org-"),
            "{production}"
        );
        assert_ne!(production, staging);
        assert!(ca_folder_name("https://127.0.0.1:14000/dir").starts_with("127.0.0.1-"));
    }
}
