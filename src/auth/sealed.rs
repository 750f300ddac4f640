//! Small values the browser keeps but can neither read nor change: sealed
//! with ChaCha20-Poly1305 (ring, already in the binary for TLS) under a
//! server key. The key is `dashboard.cookie_secret` hashed (the same on
//! every server of a chain), or 32 random bytes in an owner-only file
//! beside the database, made on first use.

use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::aead::{Aad, CHACHA20_POLY1305, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use ring::rand::{SecureRandom, SystemRandom};
use sha2::{Digest, Sha256};

use crate::config::{DatabaseSettings, Secret};

const KEY_LEN: usize = 32;

/// Why the sealing key cannot be had; names the file.
#[derive(Debug, thiserror::Error)]
pub enum SealingKeyError {
    #[error("cannot read or create the sign-in key `{}`: {source}", path.display())]
    File {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "the sign-in key `{}` is not 32 bytes; delete it to make a new one (pending sign-ins restart)",
        path.display()
    )]
    Invalid { path: PathBuf },
}

/// A ChaCha20-Poly1305 key from exactly 32 bytes, its key length.
struct ChaChaKey(UnboundKey);

impl From<[u8; KEY_LEN]> for ChaChaKey {
    fn from(bytes: [u8; KEY_LEN]) -> Self {
        match UnboundKey::new(&CHACHA20_POLY1305, &bytes) {
            Ok(key) => Self(key),
            // ring refuses only a wrong length, which the type rules out.
            Err(_) => unreachable!("ChaCha20-Poly1305 takes any 32-byte key"),
        }
    }
}

/// The server's key for sealing values the browser keeps.
pub struct SealingKey {
    key: LessSafeKey,
    random: SystemRandom,
}

impl std::fmt::Debug for SealingKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SealingKey(..)")
    }
}

impl SealingKey {
    /// From `dashboard.cookie_secret` when set, else the key file.
    pub fn for_server(
        secret: Option<&Secret>,
        database: &DatabaseSettings,
    ) -> Result<Self, SealingKeyError> {
        match secret.filter(|secret| !secret.is_empty()) {
            Some(secret) => Ok(Self::from_bytes(
                Sha256::digest(secret.expose().as_bytes()).into(),
            )),
            None => Self::load_or_create(&Self::key_path(database)),
        }
    }

    /// `<database file>.signin-key`, beside the database.
    pub fn key_path(database: &DatabaseSettings) -> PathBuf {
        database.sibling_file(".signin-key")
    }

    fn load_or_create(path: &Path) -> Result<Self, SealingKeyError> {
        let file_error = |source| SealingKeyError::File {
            path: path.to_owned(),
            source,
        };
        let bytes = match std::fs::read(path) {
            Ok(bytes) => bytes,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                let mut fresh = [0u8; KEY_LEN];
                SystemRandom::new()
                    .fill(&mut fresh)
                    .map_err(|_| file_error(std::io::Error::other("no randomness")))?;
                if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                    std::fs::create_dir_all(parent).map_err(file_error)?;
                }
                crate::private_files::create_new(path, &fresh).map_err(file_error)?;
                fresh.to_vec()
            }
            Err(error) => return Err(file_error(error)),
        };
        let bytes: [u8; KEY_LEN] = bytes.try_into().map_err(|_| SealingKeyError::Invalid {
            path: path.to_owned(),
        })?;
        Ok(Self::from_bytes(bytes))
    }

    fn from_bytes(bytes: [u8; KEY_LEN]) -> Self {
        Self {
            key: LessSafeKey::new(ChaChaKey::from(bytes).0),
            random: SystemRandom::new(),
        }
    }

    /// `plaintext` sealed for `purpose` (which must match when opening):
    /// base64url of a random nonce, the ciphertext and its tag.
    pub fn seal(&self, purpose: &str, plaintext: &[u8]) -> Option<String> {
        let mut nonce = [0u8; NONCE_LEN];
        self.random.fill(&mut nonce).ok()?;
        let mut sealed = plaintext.to_vec();
        self.key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(purpose.as_bytes()),
                &mut sealed,
            )
            .ok()?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        Some(URL_SAFE_NO_PAD.encode(out))
    }

    /// The plaintext, if `sealed` was made by `seal` with this key and
    /// `purpose` and not changed since.
    pub fn open(&self, purpose: &str, sealed: &str) -> Option<Vec<u8>> {
        let bytes = URL_SAFE_NO_PAD.decode(sealed).ok()?;
        let (nonce, ciphertext) = bytes.split_at_checked(NONCE_LEN)?;
        let nonce = Nonce::try_assume_unique_for_key(nonce).ok()?;
        let mut in_out = ciphertext.to_vec();
        let plaintext = self
            .key
            .open_in_place(nonce, Aad::from(purpose.as_bytes()), &mut in_out)
            .ok()?;
        Some(plaintext.to_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_values_open_only_unchanged_with_the_same_key_and_purpose() {
        let key = SealingKey::from_bytes([7u8; 32]);
        let sealed = key.seal("sign-in", b"state and verifier").expect("sealed");
        assert!(!sealed.contains("verifier"), "the browser cannot read it");
        assert_eq!(
            key.open("sign-in", &sealed).as_deref(),
            Some(&b"state and verifier"[..])
        );
        assert_eq!(key.open("session", &sealed), None, "another purpose");
        let other = SealingKey::from_bytes([8u8; 32]);
        assert_eq!(other.open("sign-in", &sealed), None, "another key");
        let mut tampered = sealed.into_bytes();
        let last = tampered.len() - 2;
        tampered[last] = if tampered[last] == b'A' { b'B' } else { b'A' };
        let tampered = String::from_utf8(tampered).expect("ascii");
        assert_eq!(key.open("sign-in", &tampered), None, "changed");
        assert_eq!(key.open("sign-in", "not base64!"), None);
    }

    #[test]
    fn the_key_file_is_made_once_owner_only_and_reused() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("menu.db.signin-key");
        let first = SealingKey::load_or_create(&path).expect("created");
        let sealed = first.seal("p", b"x").expect("sealed");
        let again = SealingKey::load_or_create(&path).expect("loaded");
        assert_eq!(again.open("p", &sealed).as_deref(), Some(&b"x"[..]));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).expect("meta").permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}
