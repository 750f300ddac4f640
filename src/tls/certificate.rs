//! A certificate chain and its key, parsed from PEM and checked the way a
//! café owner needs to hear about it: which file, and what is wrong.

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::sign::CertifiedKey;
use x509_parser::extensions::GeneralName;
use x509_parser::prelude::{FromDer, X509Certificate};

/// What a certificate says about itself, for the banner, `/readyz` and
/// `check-config`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateInfo {
    pub subject: String,
    /// The subject alternative names (DNS names and IP addresses).
    pub names: Vec<String>,
    pub not_before: SystemTime,
    pub not_after: SystemTime,
}

impl CertificateInfo {
    /// Whole days left before it expires (0 on its last day or after).
    pub fn days_to_expiry(&self, now: SystemTime) -> u64 {
        self.not_after
            .duration_since(now)
            .map_or(0, |left| left.as_secs() / 86_400)
    }

    /// When to renew it: 30 days before expiry, or with a third of its
    /// lifetime left for short-lived certificates, whichever comes first.
    pub fn renewal_due(&self) -> SystemTime {
        let lifetime = self
            .not_after
            .duration_since(self.not_before)
            .unwrap_or_default();
        let margin = (lifetime / 3).min(Duration::from_secs(30 * 86_400));
        self.not_after - margin
    }

    /// True when the certificate names every one of `domains`.
    pub fn covers(&self, domains: &[String]) -> bool {
        domains.iter().all(|domain| {
            self.names
                .iter()
                .any(|name| name.eq_ignore_ascii_case(domain))
        })
    }

    /// "CN=…, names a, b, expires in N days": one line for people.
    pub fn summary(&self, now: SystemTime) -> String {
        format!(
            "{}, names {}, expires in {} days ({})",
            self.subject,
            self.names.join(", "),
            self.days_to_expiry(now),
            humantime::format_rfc3339_seconds(self.not_after)
        )
    }
}

/// A chain and key ready to serve, with what the certificate says.
#[derive(Debug, Clone)]
pub struct LoadedCertificate {
    pub certified_key: Arc<CertifiedKey>,
    pub info: CertificateInfo,
}

/// Why a certificate cannot be served; says which file and what is wrong.
#[derive(Debug, thiserror::Error)]
pub enum CertificateError {
    #[error("cannot read {setting} `{}`: {source}", path.display())]
    Read {
        setting: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{what} in {setting} `{}`: {problem}", path.display())]
    Invalid {
        setting: &'static str,
        path: PathBuf,
        what: &'static str,
        problem: String,
    },
}

/// The two PEM texts and where they came from, so errors can name the file.
pub struct PemPair<'a> {
    pub cert_path: &'a Path,
    pub cert_pem: &'a [u8],
    pub key_path: &'a Path,
    pub key_pem: &'a [u8],
}

/// Reads and checks `tls.cert` and `tls.key`.
pub fn load_files(
    cert_path: &Path,
    key_path: &Path,
) -> Result<LoadedCertificate, CertificateError> {
    let read = |setting, path: &Path| {
        std::fs::read(path).map_err(|source| CertificateError::Read {
            setting,
            path: path.to_owned(),
            source,
        })
    };
    let cert_pem = read("tls.cert", cert_path)?;
    let key_pem = read("tls.key", key_path)?;
    parse(&PemPair {
        cert_path,
        cert_pem: &cert_pem,
        key_path,
        key_pem: &key_pem,
    })
}

/// Parses the chain and key; refuses an empty chain, an unreadable key, a
/// key that does not belong to the certificate, and an expired certificate.
pub fn parse(pair: &PemPair) -> Result<LoadedCertificate, CertificateError> {
    let cert_error = |what, problem: String| CertificateError::Invalid {
        setting: "tls.cert",
        path: pair.cert_path.to_owned(),
        what,
        problem,
    };
    let key_error = |what, problem: String| CertificateError::Invalid {
        setting: "tls.key",
        path: pair.key_path.to_owned(),
        what,
        problem,
    };
    let chain = CertificateDer::pem_slice_iter(pair.cert_pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| cert_error("no readable PEM certificate", e.to_string()))?;
    let Some(leaf) = chain.first() else {
        return Err(cert_error(
            "no certificate",
            "expected a PEM \"BEGIN CERTIFICATE\" block, leaf first".into(),
        ));
    };
    let info =
        certificate_info(leaf).map_err(|problem| cert_error("a broken certificate", problem))?;
    if info.not_after <= SystemTime::now() {
        return Err(cert_error(
            "an expired certificate",
            format!(
                "it expired at {}; renew it",
                humantime::format_rfc3339_seconds(info.not_after)
            ),
        ));
    }
    let key = PrivateKeyDer::from_pem_slice(pair.key_pem)
        .map_err(|e| key_error("no readable PEM private key", e.to_string()))?;
    let certified_key = CertifiedKey::from_der(chain, key, &crypto_provider()).map_err(|e| {
        key_error(
            "a key that does not match the certificate",
            format!("{e}; give the private key the certificate was issued for"),
        )
    })?;
    Ok(LoadedCertificate {
        certified_key: Arc::new(certified_key),
        info,
    })
}

/// The one crypto provider (ring: builds on musl and in cross builds
/// without cmake or a C++ toolchain).
pub fn crypto_provider() -> CryptoProvider {
    rustls::crypto::ring::default_provider()
}

/// Subject, names and validity of a DER certificate.
pub fn certificate_info(der: &CertificateDer) -> Result<CertificateInfo, String> {
    let (_, certificate) = X509Certificate::from_der(der).map_err(|e| e.to_string())?;
    let validity = certificate.validity();
    let time = |timestamp: i64| {
        SystemTime::UNIX_EPOCH + Duration::from_secs(u64::try_from(timestamp).unwrap_or(0))
    };
    let names = match certificate.subject_alternative_name() {
        Ok(Some(extension)) => extension
            .value
            .general_names
            .iter()
            .filter_map(general_name_text)
            .collect(),
        Ok(None) => Vec::new(),
        Err(e) => return Err(e.to_string()),
    };
    Ok(CertificateInfo {
        subject: certificate.subject().to_string(),
        names,
        not_before: time(validity.not_before.timestamp()),
        not_after: time(validity.not_after.timestamp()),
    })
}

fn general_name_text(name: &GeneralName) -> Option<String> {
    match name {
        GeneralName::DNSName(dns) => Some((*dns).to_owned()),
        GeneralName::IPAddress(bytes) => match bytes.len() {
            4 => <[u8; 4]>::try_from(*bytes)
                .ok()
                .map(|b| IpAddr::from(b).to_string()),
            16 => <[u8; 16]>::try_from(*bytes)
                .ok()
                .map(|b| IpAddr::from(b).to_string()),
            _ => None,
        },
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(lifetime_days: u64) -> CertificateInfo {
        let not_before = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000_000);
        CertificateInfo {
            subject: "CN=menu.cafe.test".into(),
            names: vec!["menu.cafe.test".into()],
            not_before,
            not_after: not_before + Duration::from_secs(lifetime_days * 86_400),
        }
    }

    #[test]
    fn renewal_is_thirty_days_early_or_a_third_of_a_short_life() {
        let ninety = info(90);
        assert_eq!(
            ninety.not_after.duration_since(ninety.renewal_due()).ok(),
            Some(Duration::from_secs(30 * 86_400))
        );
        let six = info(6);
        assert_eq!(
            six.not_after.duration_since(six.renewal_due()).ok(),
            Some(Duration::from_secs(2 * 86_400))
        );
    }

    #[test]
    fn coverage_ignores_case_and_needs_every_domain() {
        let certificate = info(90);
        assert!(certificate.covers(&["MENU.cafe.test".into()]));
        assert!(!certificate.covers(&["menu.cafe.test".into(), "www.cafe.test".into()]));
    }
}
