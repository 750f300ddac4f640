//! Certificates made in the test (a CA and the leaves it issues), and a
//! bare HTTPS client that names the server it expects, so a certificate
//! for `menu.cafe.test` can be checked on a loopback port.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::Duration;

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair, date_time_ymd,
};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use rustls::{ClientConfig, ClientConnection, HandshakeKind, RootCertStore, StreamOwned};

/// A certificate authority made for one test run.
pub struct TestCa {
    issuer: CertifiedIssuer<'static, KeyPair>,
}

/// A leaf certificate and its key, as PEM files would hold them.
pub struct IssuedCertificate {
    pub cert_pem: String,
    pub key_pem: String,
}

impl TestCa {
    pub fn new(name: &str) -> Self {
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("CA parameters");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.distinguished_name.push(DnType::CommonName, name);
        let key = KeyPair::generate().expect("CA key");
        Self {
            issuer: CertifiedIssuer::self_signed(params, key).expect("CA certificate"),
        }
    }

    /// The CA certificate, to trust.
    pub fn pem(&self) -> String {
        self.issuer.pem()
    }

    /// A leaf for `names` (DNS names or IP addresses), valid now.
    pub fn issue(&self, names: &[&str]) -> IssuedCertificate {
        self.issue_with(names, |_| {})
    }

    /// A leaf that expired in 2001.
    pub fn issue_expired(&self, names: &[&str]) -> IssuedCertificate {
        self.issue_with(names, |params| {
            params.not_before = date_time_ymd(2000, 1, 1);
            params.not_after = date_time_ymd(2001, 1, 1);
        })
    }

    /// A leaf valid now, until midnight UTC at the start of this date.
    pub fn issue_expiring(
        &self,
        names: &[&str],
        (year, month, day): (i32, u8, u8),
    ) -> IssuedCertificate {
        self.issue_with(names, |params| {
            params.not_after = date_time_ymd(year, month, day);
        })
    }

    fn issue_with(
        &self,
        names: &[&str],
        tweak: impl FnOnce(&mut CertificateParams),
    ) -> IssuedCertificate {
        let names: Vec<String> = names.iter().map(|name| (*name).to_owned()).collect();
        let mut params = CertificateParams::new(names.clone()).expect("leaf parameters");
        if let Some(first) = names.first() {
            params
                .distinguished_name
                .push(DnType::CommonName, first.as_str());
        }
        tweak(&mut params);
        let key = KeyPair::generate().expect("leaf key");
        let cert = params
            .signed_by(&key, &self.issuer)
            .expect("leaf certificate");
        IssuedCertificate {
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
        }
    }
}

/// What an HTTPS server answered, and the certificate it showed.
pub struct HttpsAnswer {
    pub status: u16,
    /// The status line and headers, as sent.
    pub head: String,
    pub body: String,
    /// The leaf certificate, DER.
    pub certificate: Vec<u8>,
    /// True when the TLS session was resumed rather than negotiated anew.
    pub resumed: bool,
}

/// A rustls client configuration trusting only `root_pems`.
pub fn client_config(root_pems: &[&str]) -> Arc<ClientConfig> {
    let mut roots = RootCertStore::empty();
    for pem in root_pems {
        for cert in CertificateDer::pem_slice_iter(pem.as_bytes()) {
            roots
                .add(cert.expect("a PEM certificate"))
                .expect("a usable root");
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    Arc::new(
        ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("TLS versions")
            .with_root_certificates(roots)
            .with_no_client_auth(),
    )
}

/// `GET path` over HTTPS to `address`, verifying the certificate for
/// `server_name`; `Err` says why the handshake or request failed.
pub fn https_get(
    address: SocketAddr,
    server_name: &str,
    config: &Arc<ClientConfig>,
    path: &str,
) -> Result<HttpsAnswer, String> {
    let name = ServerName::try_from(server_name.to_owned()).map_err(|e| e.to_string())?;
    let connection = ClientConnection::new(Arc::clone(config), name).map_err(|e| e.to_string())?;
    let socket =
        TcpStream::connect_timeout(&address, Duration::from_secs(5)).map_err(|e| e.to_string())?;
    socket
        .set_read_timeout(Some(Duration::from_secs(10)))
        .map_err(|e| e.to_string())?;
    let mut stream = StreamOwned::new(connection, socket);
    let request =
        format!("GET {path} HTTP/1.1\r\nHost: {server_name}\r\nConnection: close\r\n\r\n");
    stream
        .write_all(request.as_bytes())
        .map_err(|e| e.to_string())?;
    let mut raw = Vec::new();
    if let Err(error) = stream.read_to_end(&mut raw) {
        // A server closing without close_notify still sent a whole answer.
        if raw.is_empty() {
            return Err(error.to_string());
        }
    }
    let certificate = stream
        .conn
        .peer_certificates()
        .and_then(|chain| chain.first())
        .map(|leaf| leaf.to_vec())
        .ok_or("no certificate was shown")?;
    let resumed = stream.conn.handshake_kind() == Some(HandshakeKind::Resumed);
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| format!("not an HTTP answer: {head}"))?;
    Ok(HttpsAnswer {
        status,
        head: head.to_owned(),
        body: body.to_owned(),
        certificate,
        resumed,
    })
}
