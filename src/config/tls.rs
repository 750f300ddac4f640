//! `[tls]`: HTTPS from certificate files or from an ACME CA, and the
//! plain-HTTP listener beside it. Validated here, once, at load.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Deserializer, Serialize};

use super::types::{BindAddress, bind_or_off, optional_bind};
use super::validate::{check_range, check_url, invalid, non_empty};
use super::{Settings, SettingsError};

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct TlsSettings {
    /// PEM certificate chain, leaf first.
    #[serde(default, deserialize_with = "optional_path")]
    pub cert: Option<PathBuf>,
    /// PEM private key of `cert`.
    #[serde(default, deserialize_with = "optional_path")]
    pub key: Option<PathBuf>,
    /// Names to get certificates for automatically; ACME is on when set.
    #[serde(default)]
    pub acme_domains: Vec<String>,
    #[serde(default)]
    pub acme_email: Option<String>,
    pub acme_directory: String,
    /// Where the ACME account key and certificates are kept (default: `acme/`
    /// next to the database).
    #[serde(default, deserialize_with = "optional_path")]
    pub acme_dir: Option<PathBuf>,
    /// A PEM CA trusted for the ACME directory's own HTTPS (private CAs).
    #[serde(default, deserialize_with = "optional_path")]
    pub acme_ca_file: Option<PathBuf>,
    pub https_bind: BindAddress,
    /// The plain-HTTP listener (challenges, health, redirect); `"off"` turns it off.
    #[serde(deserialize_with = "optional_bind", serialize_with = "bind_or_off")]
    pub http_bind: Option<BindAddress>,
    /// `Strict-Transport-Security: max-age`, in seconds; 0 sends no header.
    pub hsts_max_age_secs: u64,
}

/// Where the certificate comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TlsMode {
    /// Plain HTTP on `server.bind` (e.g. behind a reverse proxy).
    Off,
    Files {
        cert: PathBuf,
        key: PathBuf,
    },
    Acme(AcmeSettings),
}

/// What the ACME client needs, resolved from `[tls]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AcmeSettings {
    /// Valid DNS names, lower case; the first one names the certificate.
    pub domains: Vec<String>,
    pub email: Option<String>,
    pub directory: String,
    pub dir: PathBuf,
    pub ca_file: Option<PathBuf>,
}

impl Settings {
    /// Where the certificate comes from: files, ACME, or nowhere (TLS off).
    pub fn tls_mode(&self) -> TlsMode {
        let tls = &self.tls;
        if let (Some(cert), Some(key)) = (&tls.cert, &tls.key) {
            return TlsMode::Files {
                cert: cert.clone(),
                key: key.clone(),
            };
        }
        if tls.acme_domains.is_empty() {
            return TlsMode::Off;
        }
        let default_dir = || {
            let database_dir = self.database.path.parent().unwrap_or(Path::new(""));
            database_dir.join("acme")
        };
        TlsMode::Acme(AcmeSettings {
            domains: tls
                .acme_domains
                .iter()
                .map(|domain| domain.trim().to_ascii_lowercase())
                .collect(),
            email: non_empty(&tls.acme_email).map(str::to_owned),
            directory: tls.acme_directory.trim().to_owned(),
            dir: tls.acme_dir.clone().unwrap_or_else(default_dir),
            ca_file: tls.acme_ca_file.clone(),
        })
    }

    pub(super) fn validate_tls(&self) -> Result<(), SettingsError> {
        let tls = &self.tls;
        check_range(
            "tls.hsts_max_age_secs",
            tls.hsts_max_age_secs,
            0,
            63_072_000,
        )?;
        match (&tls.cert, &tls.key) {
            (Some(_), None) => return Err(missing_pair("tls.key", "tls.cert")),
            (None, Some(_)) => return Err(missing_pair("tls.cert", "tls.key")),
            (Some(_), Some(_)) if !tls.acme_domains.is_empty() => {
                return Err(invalid(
                    "tls.acme_domains",
                    "is set together with tls.cert and tls.key".into(),
                    "use either certificate files or automatic certificates, not both",
                ));
            }
            _ => {}
        }
        if self.tls_mode() != TlsMode::Off
            && self
                .server
                .public_url
                .as_ref()
                .is_some_and(|url| !url.is_https())
        {
            return Err(invalid(
                "server.public_url",
                "is http:// while TLS is on".into(),
                "write it with https://, or leave it out to use the certificate's name",
            ));
        }
        match self.tls_mode() {
            TlsMode::Acme(acme) => self.validate_acme(&acme),
            _ => Ok(()),
        }
    }

    /// Automatic certificates: names a CA can check, a CA URL, the plain
    /// listener the challenges arrive on, and an address the CA can write to.
    fn validate_acme(&self, acme: &AcmeSettings) -> Result<(), SettingsError> {
        for domain in &acme.domains {
            if !is_dns_name(domain) {
                return Err(invalid(
                    "tls.acme_domains",
                    format!("`{domain}` is not a valid DNS name"),
                    "list the names that point at this machine, e.g. [\"menu.my-cafe.example\"] \
                     (no scheme, port, IP address or wildcard)",
                ));
            }
        }
        check_url("tls.acme_directory", &acme.directory)?;
        if self.tls.http_bind.is_none() {
            return Err(invalid(
                "tls.http_bind",
                "is off, but automatic certificates are proven over plain HTTP (HTTP-01)".into(),
                "turn the plain-HTTP listener on (default 0.0.0.0:80), or use tls.cert and tls.key",
            ));
        }
        if let Some(email) = &acme.email
            && !email.contains('@')
        {
            return Err(invalid(
                "tls.acme_email",
                format!("`{email}` is not an email address"),
                "give an address the CA can write to about expiring certificates, or leave it out",
            ));
        }
        Ok(())
    }
}

fn missing_pair(missing: &'static str, given: &str) -> SettingsError {
    invalid(
        missing,
        format!("is missing while {given} is set"),
        "set both tls.cert and tls.key (PEM files), or neither",
    )
}

/// A name a public CA can issue for: letters, digits and inner hyphens in
/// labels of at most 63, at least two labels, and not an IP address.
fn is_dns_name(name: &str) -> bool {
    let labels: Vec<&str> = name.split('.').collect();
    let label_ok = |label: &&str| {
        (1..=63).contains(&label.len())
            && label
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            && !label.starts_with('-')
            && !label.ends_with('-')
    };
    name.len() <= 253
        && labels.len() >= 2
        && labels.iter().all(label_ok)
        && labels
            .last()
            .is_some_and(|top| !top.chars().all(|c| c.is_ascii_digit()))
}

/// A path setting: unset when missing or empty.
fn optional_path<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<PathBuf>, D::Error> {
    let text = Option::<String>::deserialize(deserializer)?;
    Ok(text
        .filter(|text| !text.trim().is_empty())
        .map(PathBuf::from))
}

/// An address, or `"off"` / empty for no listener.
#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::tests::{assert_refused_naming, load};

    #[test]
    fn tls_is_off_by_default_and_acme_comes_from_the_environment() {
        let settings = load(&[]).expect("defaults");
        assert_eq!(settings.tls_mode(), TlsMode::Off);
        assert_eq!(settings.main_bind(), settings.server.bind);
        let settings = load(&[
            (
                "COFFEE_SHOP__TLS__ACME_DOMAINS",
                "Menu.Cafe.example,www.cafe.example",
            ),
            (
                "COFFEE_SHOP__DATABASE__PATH",
                "/var/lib/coffee-shop/menu.db",
            ),
        ])
        .expect("valid");
        let TlsMode::Acme(acme) = settings.tls_mode() else {
            panic!("ACME is on");
        };
        assert_eq!(acme.domains, ["menu.cafe.example", "www.cafe.example"]);
        assert_eq!(acme.dir, PathBuf::from("/var/lib/coffee-shop/acme"));
        assert_eq!(settings.main_bind().to_string(), "0.0.0.0:443");
        let bound = "0.0.0.0:443".parse().expect("address");
        assert_eq!(
            settings.base_url(bound).as_str(),
            "https://menu.cafe.example"
        );
    }

    #[test]
    fn contradictions_and_bad_names_are_refused_by_key() {
        for (env, key) in [
            (vec![("COFFEE_SHOP__TLS__CERT", "c.pem")], "tls.key"),
            (vec![("COFFEE_SHOP__TLS__KEY", "k.pem")], "tls.cert"),
            (
                vec![
                    ("COFFEE_SHOP__TLS__CERT", "c.pem"),
                    ("COFFEE_SHOP__TLS__KEY", "k.pem"),
                    ("COFFEE_SHOP__TLS__ACME_DOMAINS", "menu.cafe.example"),
                ],
                "tls.acme_domains",
            ),
            (
                vec![(
                    "COFFEE_SHOP__TLS__ACME_DOMAINS",
                    "https://menu.cafe.example",
                )],
                "tls.acme_domains",
            ),
            (
                vec![
                    ("COFFEE_SHOP__TLS__ACME_DOMAINS", "menu.cafe.example"),
                    ("COFFEE_SHOP__TLS__HTTP_BIND", "off"),
                ],
                "tls.http_bind",
            ),
            (
                vec![
                    ("COFFEE_SHOP__TLS__ACME_DOMAINS", "menu.cafe.example"),
                    ("COFFEE_SHOP__TLS__ACME_DIRECTORY", "http://ca.example/dir"),
                ],
                "tls.acme_directory",
            ),
        ] {
            assert_refused_naming(&env, key);
        }
    }

    #[test]
    fn dns_names_are_checked_as_a_ca_would() {
        for good in [
            "menu.my-cafe.example",
            "a.b",
            "xn--caf-dma.example",
            "cafe1.test",
        ] {
            assert!(is_dns_name(good), "{good}");
        }
        for bad in [
            "localhost",
            "127.0.0.1",
            "*.cafe.example",
            "-cafe.example",
            "cafe-.example",
            "café.example",
            "https://cafe.example",
            "cafe.example:443",
            "cafe..example",
            "",
        ] {
            assert!(!is_dns_name(bad), "{bad}");
        }
        assert!(!is_dns_name(&format!("{}.example", "a".repeat(64))));
    }
}
