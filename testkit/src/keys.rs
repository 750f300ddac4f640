//! RSA signing keys made by the test, their JWKs, and the tokens they sign.

use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use rsa::pkcs1::EncodeRsaPrivateKey;
use rsa::traits::PublicKeyParts;
use rsa::{RsaPrivateKey, RsaPublicKey};
use serde_json::{Value, json};

/// An RSA key pair made by the test, with its key id.
pub struct TestKey {
    pub kid: String,
    pub private: RsaPrivateKey,
    encoding: EncodingKey,
}

impl TestKey {
    /// A fresh key of `bits` bits (slow: share keys between tests).
    pub fn generate(kid: &str, bits: usize) -> Self {
        let private =
            RsaPrivateKey::new(&mut rand::thread_rng(), bits).expect("RSA key generation");
        let der = private.to_pkcs1_der().expect("PKCS#1 DER");
        Self {
            kid: kid.to_owned(),
            encoding: EncodingKey::from_rsa_der(der.as_bytes()),
            private,
        }
    }

    /// One 2048-bit key per id, generated in parallel.
    pub fn generate_each(kids: &[&str]) -> Vec<Self> {
        std::thread::scope(|scope| {
            let handles: Vec<_> = kids
                .iter()
                .map(|kid| scope.spawn(move || Self::generate(kid, 2048)))
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("keygen thread"))
                .collect()
        })
    }

    pub fn public(&self) -> RsaPublicKey {
        self.private.to_public_key()
    }

    /// The public key as a JWK, as Auth0 publishes it.
    pub fn jwk(&self) -> Value {
        let public = self.public();
        json!({
            "kty": "RSA", "use": "sig", "alg": "RS256", "kid": self.kid,
            "n": URL_SAFE_NO_PAD.encode(public.n().to_bytes_be()),
            "e": URL_SAFE_NO_PAD.encode(public.e().to_bytes_be()),
        })
    }

    /// Signs `claims` with RS256 under this key's id.
    pub fn sign(&self, claims: &Value) -> String {
        self.sign_with_header(Header::new(Algorithm::RS256), claims)
    }

    /// Signs `claims` with `header`, adding this key's id unless it has one.
    pub fn sign_with_header(&self, mut header: Header, claims: &Value) -> String {
        if header.kid.is_none() {
            header.kid = Some(self.kid.clone());
        }
        jsonwebtoken::encode(&header, claims, &self.encoding).expect("signs")
    }

    /// An access token as the provider at `issuer` would issue it for
    /// `audience`: `sub`, `permissions`, valid for `ttl_secs` from now.
    pub fn access_token(
        &self,
        issuer: &str,
        audience: &str,
        sub: &str,
        permissions: &[&str],
        ttl_secs: u64,
    ) -> String {
        let now = now();
        self.sign(&json!({
            "iss": issuer, "aud": audience, "sub": sub,
            "iat": now, "exp": now + ttl_secs, "permissions": permissions,
        }))
    }
}

/// Unix seconds now.
pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_secs()
}
