//! Development sign-in: the binary's own RSA key and issuer, so the whole
//! product can be tried without an identity provider (`serve --dev`,
//! `dev-token`). The key lives next to the database and is made on first
//! use. Its tokens are only trusted by a server started with `--dev`;
//! otherwise their key id is unknown and they fail like any forged token.

use std::path::{Path, PathBuf};
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header};
use rsa::pkcs1::EncodeRsaPrivateKey;
use rsa::pkcs8::{DecodePrivateKey, EncodePrivateKey, LineEnding};
use rsa::traits::PublicKeyParts;
use rsa::{RsaPrivateKey, RsaPublicKey};
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::config::DatabaseSettings;
use crate::domain::Permission;

/// The `iss` of development tokens; no real provider uses it.
pub const DEV_ISSUER: &str = "urn:coffee-shop:development";
/// Longest lifetime `dev-token` will mint.
pub const MAX_DEV_TOKEN_TTL: Duration = Duration::from_secs(30 * 24 * 3600);
const KEY_BITS: usize = 2048;

/// Why the development key cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum DevKeyError {
    #[error("cannot read or write the development key {path}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("the development key {path} is not a PKCS#8 RSA key: delete it to make a new one")]
    Invalid { path: String },
    #[error("cannot make an RSA key: {0}")]
    Generate(String),
    #[error("cannot sign a development token: {0}")]
    Sign(String),
}

/// A development role, with the same permissions as the Auth0 role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DevRole {
    Manager,
    Barista,
}

impl DevRole {
    /// The permissions the Auth0 role of the same name carries.
    pub fn permissions(self) -> &'static [Permission] {
        match self {
            DevRole::Manager => &Permission::ALL,
            DevRole::Barista => &[Permission::GetDrinksDetail],
        }
    }

    fn name(self) -> &'static str {
        match self {
            DevRole::Manager => "manager",
            DevRole::Barista => "barista",
        }
    }
}

/// The development signing key: signs tokens (`dev-token`, the dashboard's
/// dev sign-in) and checks them (`serve --dev`).
pub struct DevSigner {
    kid: String,
    encoding: EncodingKey,
    decoding: DecodingKey,
}

impl DevSigner {
    /// Where the key lives: next to the database, named after it.
    pub fn key_path(database: &DatabaseSettings) -> PathBuf {
        database.sibling_file(".dev-key.pem")
    }

    /// Reads the key at `path`, or makes one there (readable by the owner only).
    pub fn load_or_create(path: &Path) -> Result<Self, DevKeyError> {
        let io = |source| DevKeyError::Io {
            path: path.display().to_string(),
            source,
        };
        let private = match std::fs::read_to_string(path) {
            Ok(pem) => RsaPrivateKey::from_pkcs8_pem(&pem).map_err(|_| DevKeyError::Invalid {
                path: path.display().to_string(),
            })?,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                let private = RsaPrivateKey::new(&mut rand::thread_rng(), KEY_BITS)
                    .map_err(|e| DevKeyError::Generate(e.to_string()))?;
                let pem = private
                    .to_pkcs8_pem(LineEnding::LF)
                    .map_err(|e| DevKeyError::Generate(e.to_string()))?;
                if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                    std::fs::create_dir_all(parent).map_err(io)?;
                }
                crate::private_files::create_new(path, pem.as_bytes()).map_err(io)?;
                private
            }
            Err(error) => return Err(io(error)),
        };
        Self::from_private_key(&private)
    }

    fn from_private_key(private: &RsaPrivateKey) -> Result<Self, DevKeyError> {
        let public = RsaPublicKey::from(private);
        let n = URL_SAFE_NO_PAD.encode(public.n().to_bytes_be());
        let e = URL_SAFE_NO_PAD.encode(public.e().to_bytes_be());
        let digest = Sha256::digest(n.as_bytes());
        let kid = format!("coffee-shop-dev-{}", crate::hex::lower_hex(&digest[..8]));
        let der = private
            .to_pkcs1_der()
            .map_err(|e| DevKeyError::Generate(e.to_string()))?;
        Ok(Self {
            kid,
            encoding: EncodingKey::from_rsa_der(der.as_bytes()),
            decoding: DecodingKey::from_rsa_components(&n, &e)
                .map_err(|e| DevKeyError::Sign(e.to_string()))?,
        })
    }

    /// The key id development tokens carry.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The key that checks development tokens.
    pub fn decoding_key(&self) -> &DecodingKey {
        &self.decoding
    }

    /// A token for `role` on `audience`, valid for `ttl`.
    pub fn mint(
        &self,
        role: DevRole,
        audience: &str,
        ttl: Duration,
    ) -> Result<String, DevKeyError> {
        let now = jsonwebtoken::get_current_timestamp();
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(self.kid.clone());
        let permissions: Vec<&str> = role.permissions().iter().map(|p| p.as_str()).collect();
        let claims = json!({
            "iss": DEV_ISSUER,
            "sub": format!("dev|{}", role.name()),
            "aud": audience,
            "iat": now,
            "exp": now + ttl.as_secs(),
            "permissions": permissions,
            "name": format!("Development {}", role.name()),
        });
        jsonwebtoken::encode(&header, &claims, &self.encoding)
            .map_err(|e| DevKeyError::Sign(e.to_string()))
    }
}

/// Parses a lifetime such as `90s`, `30m`, `1h` or `7d` (a bare number is seconds).
pub fn parse_ttl(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (digits, unit) = text.split_at(split);
    let amount: u64 = digits
        .parse()
        .map_err(|_| format!("`{text}` is not a lifetime such as 30m, 1h or 7d"))?;
    let seconds = match unit {
        "" | "s" => Some(amount),
        "m" => amount.checked_mul(60),
        "h" => amount.checked_mul(3600),
        "d" => amount.checked_mul(86_400),
        _ => None,
    }
    .ok_or_else(|| format!("`{text}` is not a lifetime such as 30m, 1h or 7d"))?;
    let ttl = Duration::from_secs(seconds);
    if ttl.is_zero() || ttl > MAX_DEV_TOKEN_TTL {
        return Err(format!("`{text}` is out of range: use 1s to 30d"));
    }
    Ok(ttl)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lifetimes_parse_with_units_and_bounds() {
        assert_eq!(parse_ttl("90"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_ttl("30m"), Ok(Duration::from_secs(1800)));
        assert_eq!(parse_ttl("1h"), Ok(Duration::from_secs(3600)));
        assert_eq!(parse_ttl("7d"), Ok(Duration::from_secs(7 * 86_400)));
        for bad in ["", "h", "1w", "0", "31d", "-1h", "99999999999999999999d"] {
            assert!(parse_ttl(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_key_is_made_once_private_and_reused() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("menu.db.dev-key.pem");
        let first = DevSigner::load_or_create(&path).expect("made");
        let second = DevSigner::load_or_create(&path).expect("reused");
        assert_eq!(first.kid(), second.kid());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path)
                .expect("exists")
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::write(&path, "not a key").expect("spoil");
        assert!(matches!(
            DevSigner::load_or_create(&path),
            Err(DevKeyError::Invalid { .. })
        ));
    }

    #[test]
    fn the_key_sits_next_to_the_database() {
        let defaults = crate::config::Settings::load_from(None, &Default::default())
            .expect("the embedded defaults load");
        let settings = DatabaseSettings {
            path: "/var/lib/cafe/menu.db".into(),
            ..defaults.database
        };
        assert_eq!(
            DevSigner::key_path(&settings),
            PathBuf::from("/var/lib/cafe/menu.db.dev-key.pem")
        );
    }
}
