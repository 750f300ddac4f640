//! From `[database]` to a PostgreSQL client configuration: the URL, the
//! password, the timeouts, and TLS through rustls (managed PostgreSQL
//! requires TLS; `sslmode` decides whether the certificate is checked).

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use postgres::config::SslMode;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, verify_tls12_signature, verify_tls13_signature};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};
use tokio_postgres_rustls::MakeRustlsConnect;

use crate::config::{DatabaseSettings, DatabaseUrl, PgSslMode};
use crate::db::error::DbError;

/// Where and how to connect.
#[derive(Clone)]
pub(super) struct Target {
    pub config: postgres::Config,
    pub tls: MakeRustlsConnect,
    /// The URL without its password, for messages.
    pub shown: String,
}

impl Target {
    pub fn new(settings: &DatabaseSettings, url: &DatabaseUrl) -> Result<Self, DbError> {
        let shown = url.redacted();
        let fail = |problem: String| DbError::Open {
            target: shown.clone(),
            source: problem.into(),
        };
        let mut config: postgres::Config = url
            .expose()
            .parse()
            .map_err(|e| fail(format!("database.url: {e}")))?;
        if config.get_password().is_none()
            && let Some(password) = &settings.password
        {
            config.password(password.expose());
        }
        config
            .connect_timeout(Duration::from_millis(settings.connect_timeout_ms))
            .application_name("coffee-shop")
            .ssl_mode(match url.ssl_mode {
                PgSslMode::Disable => SslMode::Disable,
                PgSslMode::Prefer => SslMode::Prefer,
                PgSslMode::Require | PgSslMode::VerifyFull => SslMode::Require,
            });
        if settings.statement_timeout_ms > 0 {
            config.options(&format!(
                "-c statement_timeout={}",
                settings.statement_timeout_ms
            ));
        }
        let root_cert = url.root_cert.as_deref().or(settings.ca_file.as_deref());
        let tls = tls(url.ssl_mode, root_cert).map_err(fail)?;
        Ok(Self { config, tls, shown })
    }

    /// One connection, outside the pool (the change listener's).
    pub fn connect(&self) -> Result<postgres::Client, postgres::Error> {
        self.config.connect(self.tls.clone())
    }
}

fn tls(mode: PgSslMode, root_cert: Option<&Path>) -> Result<MakeRustlsConnect, String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ClientConfig::builder_with_provider(Arc::clone(&provider))
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS: {e}"))?;
    let config = if mode == PgSslMode::VerifyFull {
        builder
            .with_root_certificates(roots(root_cert)?)
            .with_no_client_auth()
    } else {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(EncryptOnly(provider)))
            .with_no_client_auth()
    };
    Ok(MakeRustlsConnect::new(config))
}

/// The CA file's certificates, else the web's public roots (a managed
/// PostgreSQL whose certificate a public CA signed).
fn roots(root_cert: Option<&Path>) -> Result<RootCertStore, String> {
    let mut roots = RootCertStore::empty();
    let Some(path) = root_cert else {
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        return Ok(roots);
    };
    let unreadable = |e: &dyn std::fmt::Display| {
        format!(
            "database.ca_file (or sslrootcert) `{}`: {e}; give a PEM file of the CA that signed the server's certificate",
            path.display()
        )
    };
    for certificate in CertificateDer::pem_file_iter(path).map_err(|e| unreadable(&e))? {
        roots
            .add(certificate.map_err(|e| unreadable(&e))?)
            .map_err(|e| unreadable(&e))?;
    }
    if roots.is_empty() {
        return Err(unreadable(&"it holds no certificate"));
    }
    Ok(roots)
}

/// `sslmode=require` (and `prefer`) as libpq means them: the connection is
/// encrypted, and the server's certificate is not checked. The handshake's
/// signatures still are, so the session key belongs to whoever holds the
/// certificate's key.
#[derive(Debug)]
struct EncryptOnly(Arc<CryptoProvider>);

impl ServerCertVerifier for EncryptOnly {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}
