//! Verifies an access token: RS256 only, a key id from the trusted key set,
//! then `exp`, `nbf`, `iss` and `aud`. Permissions come from the
//! `permissions` claim that Auth0 adds when RBAC is enabled.

use std::sync::Arc;
use std::time::Duration;

use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;

use super::cache::VerifiedTokens;
use super::dev::{DEV_ISSUER, DevSigner};
use super::error::{AuthError, Refusal};
use super::jwks::{KeyLookup, KeyStore};
use super::principal::Principal;
use crate::config::AuthSettings;

/// The claims we read beyond the ones `Validation` checks.
#[derive(Deserialize)]
struct AccessClaims {
    exp: u64,
    // Optional here so a missing `sub` is reported as such by the validation.
    #[serde(default)]
    sub: Option<String>,
    #[serde(default)]
    permissions: Option<serde_json::Value>,
}

/// Whether the signing keys can be used, for `/readyz` and the start-up log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeysStatus {
    /// No issuer is configured.
    NotConfigured,
    /// Configured, but no key set has been fetched yet.
    Loading { url: String },
    /// This many keys are trusted.
    Loaded { keys: usize },
}

/// Checks bearer tokens against the configured provider (if any) and, in
/// development mode, the binary's own development key.
pub struct TokenVerifier {
    provider: Option<ProviderVerifier>,
    development: Option<DevelopmentVerifier>,
    verified: VerifiedTokens,
    max_token_bytes: usize,
}

struct ProviderVerifier {
    issuer: String,
    keys: Arc<KeyStore>,
    validation: Validation,
}

struct DevelopmentVerifier {
    kid: String,
    key: DecodingKey,
    validation: Validation,
}

/// RS256 with `iss`, `aud` and `sub` required (the activity log records who
/// made each change), `nbf` checked, and the configured leeway.
fn validation(issuer: &str, audience: &str, leeway_secs: u64) -> Validation {
    let mut validation = Validation::new(Algorithm::RS256);
    validation.set_issuer(&[issuer]);
    validation.set_audience(&[audience]);
    validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
    validation.validate_nbf = true;
    validation.leeway = leeway_secs;
    validation
}

impl TokenVerifier {
    /// A verifier for the provider in `settings`, or one that refuses every
    /// token with `NotConfigured` when no issuer is set.
    pub fn from_settings(settings: &AuthSettings) -> Result<Self, crate::config::SettingsError> {
        let provider = settings
            .identity_provider()?
            .map(|provider| ProviderVerifier {
                validation: validation(&provider.issuer, &provider.audience, settings.leeway_secs),
                issuer: provider.issuer.clone(),
                keys: Arc::new(KeyStore::new(
                    provider.jwks_url,
                    Duration::from_secs(settings.refresh_cooldown_secs),
                    Duration::from_secs(settings.refresh_interval_secs),
                )),
            });
        Ok(Self {
            provider,
            development: None,
            verified: VerifiedTokens::new(settings.token_cache_size),
            max_token_bytes: settings.max_token_bytes,
        })
    }

    /// Also trusts development tokens signed by `signer` for `audience`
    /// (`serve --dev` only).
    pub fn with_development(mut self, signer: &DevSigner, settings: &AuthSettings) -> Self {
        self.development = Some(DevelopmentVerifier {
            kid: signer.kid().to_owned(),
            key: signer.decoding_key().clone(),
            validation: validation(DEV_ISSUER, &settings.audience, settings.leeway_secs),
        });
        self
    }

    /// True when some issuer's tokens can be checked.
    pub fn is_configured(&self) -> bool {
        self.provider.is_some() || self.development.is_some()
    }

    /// The key store, when a provider is configured (to start its refresher).
    pub fn key_store(&self) -> Option<&Arc<KeyStore>> {
        self.provider.as_ref().map(|p| &p.keys)
    }

    /// Whether tokens can be checked yet.
    pub fn keys_status(&self) -> KeysStatus {
        match (&self.provider, &self.development) {
            (None, None) => KeysStatus::NotConfigured,
            (None, Some(_)) => KeysStatus::Loaded { keys: 1 },
            (Some(provider), development) => match provider.keys.loaded_keys() {
                Some(keys) => KeysStatus::Loaded {
                    keys: keys + usize::from(development.is_some()),
                },
                None => KeysStatus::Loading {
                    url: provider.keys.url().to_owned(),
                },
            },
        }
    }

    /// Moves whenever the provider's key set changes; cached verifications
    /// from before are forgotten.
    fn key_set_version(&self) -> u64 {
        self.provider.as_ref().map_or(0, |p| p.keys.version())
    }

    /// The principal of a token verified before and still valid, without
    /// waiting for anything; `None` when it needs the full check.
    pub fn remembered(&self, token: &str) -> Result<Option<Principal>, AuthError> {
        if !self.is_configured() {
            return Err(AuthError::NotConfigured);
        }
        if token.len() > self.max_token_bytes {
            return Err(AuthError::invalid_token(
                Refusal::Malformed,
                "The token is too large.",
            ));
        }
        let now = jsonwebtoken::get_current_timestamp();
        Ok(self.verified.get(token, self.key_set_version(), now))
    }

    /// Fully verifies a token that `remembered` did not know (it has checked
    /// the size already), remembers it, and returns who it speaks for.
    pub async fn verify(&self, token: &str) -> Result<Principal, AuthError> {
        if !self.is_configured() {
            return Err(AuthError::NotConfigured);
        }
        let now = jsonwebtoken::get_current_timestamp();
        let kid = rs256_key_id(token, &ACCESS_TOKEN)?;
        if let Some(development) = self.development.as_ref().filter(|d| d.kid == kid) {
            let version = self.key_set_version();
            return self.check(
                token,
                &development.key,
                &development.validation,
                version,
                now,
            );
        }
        let provider = self.provider.as_ref().ok_or(unknown_key())?;
        let (key, key_set_version) = provider_key(provider, &kid).await?;
        self.check(token, &key, &provider.validation, key_set_version, now)
    }

    /// True while a session made from a token of `issuer`, signed with key
    /// `key_id`, is still vouched for: the issuer is trusted now (the
    /// development one only under `--dev`), and its key is still in the set.
    /// Before any key set has loaded, the provider's sessions are kept.
    pub fn still_trusts(&self, issuer: &str, key_id: &str) -> bool {
        if let Some(development) = &self.development
            && issuer == DEV_ISSUER
        {
            return development.kid == key_id;
        }
        match &self.provider {
            Some(provider) if provider.issuer == issuer => {
                !matches!(provider.keys.lookup(key_id), KeyLookup::Unknown)
            }
            _ => false,
        }
    }

    /// Verifies an OpenID Connect ID token from the provider (the dashboard's
    /// sign-in): RS256 with a known key, `iss`, `aud` = `client_id`, `exp`,
    /// and the `nonce` of this sign-in attempt.
    pub async fn verify_id_token(
        &self,
        token: &str,
        client_id: &str,
        nonce: &str,
    ) -> Result<Identity, AuthError> {
        let provider = self.provider.as_ref().ok_or(AuthError::NotConfigured)?;
        if token.len() > self.max_token_bytes {
            return Err(AuthError::invalid_token(
                Refusal::Malformed,
                "The ID token is too large.",
            ));
        }
        let kid = rs256_key_id(token, &ID_TOKEN)?;
        let (key, _) = provider_key(provider, &kid).await?;
        let mut validation = provider.validation.clone();
        validation.set_audience(&[client_id]);
        let identity = jsonwebtoken::decode::<Identity>(token, &key, &validation)
            .map_err(|error| describe(error.kind()))?
            .claims;
        let nonce_matches: bool = subtle::ConstantTimeEq::ct_eq(
            identity.nonce.as_deref().unwrap_or_default().as_bytes(),
            nonce.as_bytes(),
        )
        .into();
        if !nonce_matches {
            return Err(AuthError::invalid_token(
                Refusal::Claims,
                "The ID token's nonce does not match this sign-in.",
            ));
        }
        identity.check_authorized_party(client_id)?;
        Ok(identity)
    }

    /// Checks the signature and claims with `key`, and remembers a success.
    fn check(
        &self,
        token: &str,
        key: &DecodingKey,
        validation: &Validation,
        key_set_version: u64,
        now: u64,
    ) -> Result<Principal, AuthError> {
        let claims = jsonwebtoken::decode::<AccessClaims>(token, key, validation)
            .map_err(|error| describe(error.kind()))?
            .claims;
        let principal = Principal {
            subject: claims
                .sub
                .ok_or(describe(&ErrorKind::MissingRequiredClaim("sub".into())))?
                .into(),
            permissions: claims.permissions.and_then(|value| {
                let names = value.as_array()?;
                Some(names.iter().filter_map(serde_json::Value::as_str).collect())
            }),
            expires_at: claims.exp,
        };
        self.verified
            .insert(token, &principal, claims.exp, key_set_version, now);
        Ok(principal)
    }
}

/// Who an ID token says signed in.
#[derive(Debug, Clone, Deserialize)]
pub struct Identity {
    pub sub: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    nonce: Option<String>,
    #[serde(default)]
    aud: Option<Audience>,
    /// The authorized party: the client the token was issued to.
    #[serde(default)]
    azp: Option<String>,
}

/// The key id in an access token's header, once it passed `verify`.
pub fn access_token_key_id(token: &str) -> Option<String> {
    rs256_key_id(token, &ACCESS_TOKEN).ok()
}

/// `aud`: a list, or one audience (whose value the checks above already
/// compared with the client id).
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
enum Audience {
    Many(Vec<String>),
    One(serde::de::IgnoredAny),
}

impl Identity {
    /// OpenID Connect Core 3.1.3.7: with several audiences `azp` must be
    /// there, and when it is there it must be this client.
    fn check_authorized_party(&self, client_id: &str) -> Result<(), AuthError> {
        let several_audiences = matches!(&self.aud, Some(Audience::Many(list)) if list.len() > 1);
        match self.azp.as_deref() {
            Some(azp) if azp != client_id => Err(AuthError::invalid_token(
                Refusal::Claims,
                "The ID token was issued to another client (azp).",
            )),
            None if several_audiences => Err(AuthError::invalid_token(
                Refusal::Claims,
                "The ID token names several audiences but no authorized party (azp).",
            )),
            _ => Ok(()),
        }
    }
}

fn unknown_key() -> AuthError {
    AuthError::invalid_token(Refusal::UnknownKey, "Unable to find the appropriate key.")
}

/// The provider's key `kid`, refetching the set (rate-limited) when unknown.
async fn provider_key(
    provider: &ProviderVerifier,
    kid: &str,
) -> Result<(Arc<DecodingKey>, u64), AuthError> {
    match provider.keys.lookup(kid) {
        KeyLookup::Found(key, version) => Ok((key, version)),
        KeyLookup::NotLoaded => Err(AuthError::KeysUnavailable),
        KeyLookup::Unknown => {
            provider.keys.refresh_for_unknown_kid(kid).await;
            match provider.keys.lookup(kid) {
                KeyLookup::Found(key, version) => Ok((key, version)),
                _ => Err(unknown_key()),
            }
        }
    }
}

/// The refusal for a failed decode, with the words the Flask API used.
fn describe(kind: &ErrorKind) -> AuthError {
    let (reason, message) = match kind {
        ErrorKind::ExpiredSignature => (Refusal::Expired, "Token expired."),
        ErrorKind::ImmatureSignature => (Refusal::NotYetValid, "Token is not valid yet (nbf)."),
        ErrorKind::InvalidIssuer => (Refusal::Issuer, INCORRECT_CLAIMS),
        ErrorKind::InvalidAudience => (Refusal::Audience, INCORRECT_CLAIMS),
        ErrorKind::MissingRequiredClaim(_) => (
            Refusal::Claims,
            "The token lacks a required claim (exp, iss, aud or sub).",
        ),
        ErrorKind::InvalidSignature => (Refusal::Signature, "The token signature is invalid."),
        _ => (Refusal::Malformed, "Unable to parse authentication token."),
    };
    AuthError::invalid_token(reason, message)
}

const INCORRECT_CLAIMS: &str = "Incorrect claims. Please, check the audience and issuer.";

/// What to say when a token's header is refused, per kind of token.
struct HeaderRefusals {
    unparsable: &'static str,
    not_rs256: &'static str,
    no_key_id: &'static str,
}

const ACCESS_TOKEN: HeaderRefusals = HeaderRefusals {
    unparsable: "Unable to parse authentication token.",
    not_rs256: "Unsupported token algorithm: only RS256 is accepted.",
    no_key_id: "The token header has no key id (kid).",
};

const ID_TOKEN: HeaderRefusals = HeaderRefusals {
    unparsable: "Unable to parse the ID token.",
    not_rs256: "Unsupported ID token algorithm: only RS256 is accepted.",
    no_key_id: "The ID token header has no key id (kid).",
};

/// The key id of an RS256 token. Checked before any key lookup, so
/// `alg: none` and HS256-with-the-public-key fail here, and `jku`/`x5u`/`jwk`
/// headers are never looked at.
fn rs256_key_id(token: &str, refusals: &HeaderRefusals) -> Result<String, AuthError> {
    let header = jsonwebtoken::decode_header(token)
        .map_err(|_| AuthError::invalid_token(Refusal::Malformed, refusals.unparsable))?;
    if header.alg != Algorithm::RS256 {
        return Err(AuthError::invalid_token(
            Refusal::Malformed,
            refusals.not_rs256,
        ));
    }
    header.kid.ok_or(AuthError::invalid_token(
        Refusal::Malformed,
        refusals.no_key_id,
    ))
}

#[cfg(test)]
mod properties {
    use super::*;
    use crate::auth::dev::{DevRole, DevSigner};
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use proptest::prelude::*;
    use std::sync::OnceLock;

    /// A verifier that trusts only a development key (no network).
    fn verifier() -> &'static (TokenVerifier, DevSigner) {
        static VERIFIER: OnceLock<(TokenVerifier, DevSigner)> = OnceLock::new();
        VERIFIER.get_or_init(|| {
            let dir = tempfile::tempdir().expect("temp dir");
            let signer = DevSigner::load_or_create(&dir.path().join("key.pem")).expect("key");
            let settings = crate::config::Settings::load_from(None, &Default::default())
                .expect("defaults")
                .auth;
            let verifier = TokenVerifier::from_settings(&settings)
                .expect("verifier")
                .with_development(&signer, &settings);
            (verifier, signer)
        })
    }

    /// Three base64url segments of arbitrary JSON-ish text.
    fn token_like() -> impl Strategy<Value = String> {
        let segment = prop_oneof![
            "\\PC{0,60}".prop_map(|text| URL_SAFE_NO_PAD.encode(text)),
            Just(URL_SAFE_NO_PAD.encode(r#"{"alg":"RS256","kid":"x"}"#)),
            Just(URL_SAFE_NO_PAD.encode(r#"{"alg":"none"}"#)),
            "[A-Za-z0-9_-]{0,80}",
        ];
        (segment.clone(), segment.clone(), segment).prop_map(|(a, b, c)| format!("{a}.{b}.{c}"))
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]
        #[test]
        fn arbitrary_tokens_are_refused_without_panicking(
            token in prop_oneof!["\\PC{0,200}", token_like()],
        ) {
            let (verifier, _) = verifier();
            let outcome = actix_web::rt::System::new().block_on(verifier.verify(&token));
            prop_assert!(outcome.is_err(), "{:?}", token);
        }

        #[test]
        fn a_valid_token_with_any_byte_changed_is_refused(position in any::<prop::sample::Index>(), byte in any::<u8>()) {
            let (verifier, signer) = verifier();
            let token = signer.mint(DevRole::Manager, "bar", std::time::Duration::from_secs(60)).expect("mints");
            let mut bytes = token.clone().into_bytes();
            let at = position.index(bytes.len());
            prop_assume!(bytes[at] != byte);
            bytes[at] = byte;
            let Ok(tampered) = String::from_utf8(bytes) else {
                return Ok(());
            };
            let outcome = actix_web::rt::System::new().block_on(verifier.verify(&tampered));
            // Base64 has a few spellings of the same bytes at a segment's end;
            // only a token that decodes to the very same signed bytes may pass.
            if let Ok(principal) = outcome {
                prop_assert_eq!(&*principal.subject, "dev|manager");
                prop_assert!(same_decoded(&token, &tampered));
            }
        }
    }

    fn same_decoded(a: &str, b: &str) -> bool {
        let decode = |t: &str| -> Option<Vec<Vec<u8>>> {
            t.split('.')
                .map(|part| URL_SAFE_NO_PAD.decode(part).ok())
                .collect()
        };
        decode(a).is_some() && decode(a) == decode(b)
    }
}
