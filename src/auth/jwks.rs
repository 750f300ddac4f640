//! The identity provider's JSON Web Key Set: fetched at start-up, kept fresh
//! in the background, and refetched (rate-limited) when a token names a key
//! id we do not know.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use arc_swap::ArcSwapOption;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::DecodingKey;
use metrics::counter;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use tokio::sync::Mutex;

use super::provider_client::provider_agent;
use crate::metrics::names;
use crate::shared::Shared;

/// Smallest RSA modulus we trust, in bytes (2048 bits).
const MIN_RSA_MODULUS_BYTES: usize = 256;
/// A key set larger than this is not a key set.
const MAX_JWKS_BYTES: u64 = 256 * 1024;
/// First retry after a failed fetch, doubled after each failure up to the cap.
const FIRST_RETRY: Duration = Duration::from_secs(1);
const MAX_RETRY: Duration = Duration::from_secs(180);
/// How many failed fetches the System page lists.
const RECENT_FAILURES: usize = 5;

/// Why a key set could not be fetched.
#[derive(Debug, thiserror::Error)]
pub enum JwksError {
    #[error("cannot fetch the key set: {0}")]
    Http(#[from] ureq::Error),
    #[error("the key set answered HTTP {0}")]
    Status(u16),
    #[error("the key set is not valid JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("the key set has no usable RS256 signing key")]
    NoUsableKey,
    #[error("the fetch was cancelled")]
    Cancelled,
}

/// The usable signing keys of one fetch, by key id.
pub struct KeySet {
    keys: HashMap<String, Arc<DecodingKey>>,
    /// A digest of every usable key, to tell whether a refetch changed anything.
    fingerprint: [u8; 32],
    /// Counts the distinct sets installed (1 for the first); caches of
    /// verified tokens forget everything when it moves.
    version: u64,
}

#[derive(Deserialize)]
struct RawKeySet {
    keys: Vec<serde_json::Value>,
}

/// The fields of a JWK that decide whether we can use it.
#[derive(Deserialize)]
struct RawKey {
    kty: String,
    kid: Option<String>,
    #[serde(rename = "use")]
    usage: Option<String>,
    alg: Option<String>,
    n: Option<String>,
    e: Option<String>,
}

impl KeySet {
    /// Parses a JWKS document, keeping only RSA signature keys of at least
    /// 2048 bits with a key id. Other keys (EC, `oct`, `use: enc`, short RSA)
    /// are skipped without discarding the rest; an `oct` key never becomes an
    /// HMAC secret because only RSA components are ever read.
    pub fn parse(document: &[u8]) -> Result<Self, JwksError> {
        let raw: RawKeySet = serde_json::from_slice(document)?;
        let mut usable: Vec<UsableKey> = raw
            .keys
            .into_iter()
            .filter_map(|value| usable_rsa_key(serde_json::from_value(value).ok()?))
            .collect();
        if usable.is_empty() {
            return Err(JwksError::NoUsableKey);
        }
        usable.sort_by(|a, b| a.kid.cmp(&b.kid));
        let mut digest = Sha256::new();
        for key in &usable {
            for part in [key.kid.as_bytes(), &key.modulus, &key.exponent] {
                digest.update((part.len() as u64).to_be_bytes());
                digest.update(part);
            }
        }
        Ok(Self {
            fingerprint: digest.finalize().into(),
            version: 0,
            keys: usable
                .into_iter()
                .map(|key| {
                    let decoding =
                        DecodingKey::from_rsa_raw_components(&key.modulus, &key.exponent);
                    (key.kid, Arc::new(decoding))
                })
                .collect(),
        })
    }

    /// The key with this id, if trusted.
    pub fn get(&self, kid: &str) -> Option<Arc<DecodingKey>> {
        self.keys.get(kid).cloned()
    }

    /// How many keys are trusted.
    pub fn key_count(&self) -> usize {
        self.keys.len()
    }

    /// The trusted key ids, sorted.
    pub fn key_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = self.keys.keys().cloned().collect();
        ids.sort();
        ids
    }
}

/// An RSA signing key that passed every check.
struct UsableKey {
    kid: String,
    modulus: Vec<u8>,
    exponent: Vec<u8>,
}

fn usable_rsa_key(key: RawKey) -> Option<UsableKey> {
    let is_signing_rsa = key.kty == "RSA"
        && key.usage.as_deref().is_none_or(|u| u == "sig")
        && key.alg.as_deref().is_none_or(|a| a == "RS256");
    let kid = key.kid.filter(|kid| !kid.is_empty())?;
    if !is_signing_rsa {
        tracing::debug!(
            kid,
            kty = key.kty,
            "skipping a key that is not an RS256 signing key"
        );
        return None;
    }
    let modulus = URL_SAFE_NO_PAD.decode(key.n?).ok()?;
    let exponent = URL_SAFE_NO_PAD.decode(key.e?).ok()?;
    let significant = modulus.iter().skip_while(|b| **b == 0).count();
    if significant < MIN_RSA_MODULUS_BYTES || exponent.is_empty() {
        tracing::warn!(
            kid,
            bits = significant * 8,
            "skipping an RSA key shorter than 2048 bits"
        );
        return None;
    }
    Some(UsableKey {
        kid,
        modulus,
        exponent,
    })
}

/// What a key lookup found.
pub enum KeyLookup {
    /// No key set has been loaded yet.
    NotLoaded,
    /// The loaded set has no key with this id.
    Unknown,
    /// The key to verify with, and the version of the set it came from.
    Found(Arc<DecodingKey>, u64),
}

/// Fetches key sets over HTTP: short timeouts, no redirects, bounded size.
struct JwksSource {
    url: String,
    agent: ureq::Agent,
}

impl JwksSource {
    fn new(url: String) -> Self {
        // The URL's scheme was checked at config load (https, or http on loopback).
        let agent = provider_agent(Duration::from_secs(2), Duration::from_secs(5));
        Self { url, agent }
    }

    /// Blocking: call it from the blocking thread pool.
    fn fetch(&self) -> Result<KeySet, JwksError> {
        let mut response = self.agent.get(&self.url).call()?;
        let status = response.status().as_u16();
        if status != 200 {
            return Err(JwksError::Status(status));
        }
        let body = crate::outbound::read_body(&mut response, MAX_JWKS_BYTES)?;
        KeySet::parse(&body)
    }
}

/// The trusted signing keys, and the rules for refetching them.
pub struct KeyStore {
    source: Arc<JwksSource>,
    current: ArcSwapOption<KeySet>,
    /// Held for the whole of a fetch, so at most one is in flight; it guards
    /// when the last fetch for an unknown key id started.
    fetch_gate: Mutex<Option<Instant>>,
    unknown_kid_cooldown: Duration,
    refresh_interval: Duration,
    /// How fetches went, for the metrics and the System page.
    history: Shared<FetchHistory>,
}

/// How fetching the key set has gone, as the System page shows it.
#[derive(Debug, Clone, Default)]
pub struct FetchHistory {
    pub last_attempt: Option<FetchAttempt>,
    pub last_success: Option<SystemTime>,
    /// The latest failed fetches, newest first.
    pub recent_failures: VecDeque<FetchAttempt>,
    /// When the background refresher fetches next.
    pub next_refresh: Option<SystemTime>,
}

/// One finished fetch.
#[derive(Debug, Clone)]
pub struct FetchAttempt {
    pub at: SystemTime,
    /// Why it failed; `None` when it succeeded.
    pub failure: Option<String>,
}

impl KeyStore {
    /// A store that has loaded nothing yet; `refresh` or `keep_fresh` load it.
    pub fn new(
        jwks_url: String,
        unknown_kid_cooldown: Duration,
        refresh_interval: Duration,
    ) -> Self {
        Self {
            source: Arc::new(JwksSource::new(jwks_url)),
            current: ArcSwapOption::empty(),
            fetch_gate: Mutex::new(None),
            unknown_kid_cooldown,
            refresh_interval,
            history: Shared::default(),
        }
    }

    /// When the key set was last fetched successfully (changed or not).
    pub fn last_success(&self) -> Option<SystemTime> {
        self.history().last_success
    }

    /// How fetching has gone so far.
    pub fn history(&self) -> FetchHistory {
        self.history.snapshot()
    }

    /// The ids of the trusted keys, sorted (none before the first load).
    pub fn key_ids(&self) -> Vec<String> {
        self.current
            .load()
            .as_ref()
            .map_or_else(Vec::new, |set| set.key_ids())
    }

    /// How often the background refresher fetches once keys are loaded.
    pub fn refresh_interval(&self) -> Duration {
        self.refresh_interval
    }

    /// Where the keys are fetched from (a public URL, safe to log).
    pub fn url(&self) -> &str {
        &self.source.url
    }

    /// The number of trusted keys, or `None` before the first successful fetch.
    pub fn loaded_keys(&self) -> Option<usize> {
        self.current.load().as_ref().map(|set| set.key_count())
    }

    /// The version of the trusted set (0 before the first load); it changes
    /// whenever the trusted keys change.
    pub fn version(&self) -> u64 {
        self.current.load().as_ref().map_or(0, |set| set.version)
    }

    /// Finds the trusted key with this id, with the version of its set (read
    /// together, so a key is never paired with a newer set's version).
    pub fn lookup(&self, kid: &str) -> KeyLookup {
        match self.current.load().as_ref() {
            None => KeyLookup::NotLoaded,
            Some(set) => set
                .get(kid)
                .map_or(KeyLookup::Unknown, |key| KeyLookup::Found(key, set.version)),
        }
    }

    /// Fetches the key set now (after any fetch already in flight).
    pub async fn refresh(self: &Arc<Self>) -> Result<(), JwksError> {
        let store = Arc::clone(self);
        // A detached task owns the fetch: a caller that gives up (a client
        // hanging up, the start-up timeout) cannot cancel it half-way, so the
        // gate is never released while a fetch is still in flight.
        actix_web::rt::spawn(async move {
            let _gate = store.fetch_gate.lock().await;
            store.fetch_and_install().await
        })
        .await
        .map_err(|_| JwksError::Cancelled)?
    }

    /// Called when a token names a key id we do not know. Concurrent callers
    /// share one fetch; across all key ids there is at most one such fetch per
    /// cool-down, so a flood of random key ids cannot hammer the provider.
    pub async fn refresh_for_unknown_kid(self: &Arc<Self>, kid: &str) {
        let store = Arc::clone(self);
        let kid = kid.to_owned();
        let task = actix_web::rt::spawn(async move {
            let mut last_unknown_kid_fetch = store.fetch_gate.lock().await;
            if matches!(store.lookup(&kid), KeyLookup::Found(..)) {
                return; // The fetch we waited for brought it.
            }
            let cooling_down =
                last_unknown_kid_fetch.is_some_and(|at| at.elapsed() < store.unknown_kid_cooldown);
            if cooling_down {
                return;
            }
            *last_unknown_kid_fetch = Some(Instant::now());
            if let Err(error) = store.fetch_and_install().await {
                tracing::warn!(%error, url = store.url(), "refetching the signing keys failed; keeping the last good set");
            }
        });
        // Only a panic in the task could fail this; the lookup after it says no.
        let _ = task.await;
    }

    /// Runs for the life of the server: retries with backoff until a fetch
    /// succeeds, then refetches every `refresh_interval` so removed keys stop
    /// being trusted even if no token names an unknown key.
    pub async fn keep_fresh(self: Arc<Self>) {
        let mut retry = FIRST_RETRY;
        loop {
            let wait = if self.loaded_keys().is_some() {
                self.refresh_interval
            } else {
                retry
            };
            self.history
                .update(|history| history.next_refresh = Some(SystemTime::now() + wait));
            tokio::time::sleep(wait).await;
            match self.refresh().await {
                Ok(()) => retry = FIRST_RETRY,
                Err(error) if self.loaded_keys().is_some() => {
                    tracing::warn!(%error, url = self.url(), "refetching the signing keys failed; keeping the last good set");
                }
                Err(error) => {
                    retry = (retry * 2).min(MAX_RETRY);
                    tracing::warn!(%error, url = self.url(), retry_in_secs = retry.as_secs(), "fetching the signing keys failed");
                }
            }
        }
    }

    /// Only ever called with `fetch_gate` held, from a detached task.
    async fn fetch_and_install(&self) -> Result<(), JwksError> {
        let fetched = self.fetch_and_install_once().await;
        let outcome = if fetched.is_ok() { "ok" } else { "error" };
        counter!(names::JWKS_FETCHES, "outcome" => outcome).increment(1);
        let attempt = FetchAttempt {
            at: SystemTime::now(),
            failure: fetched.as_ref().err().map(ToString::to_string),
        };
        self.history.update(|history| {
            if attempt.failure.is_some() {
                history.recent_failures.push_front(attempt.clone());
                history.recent_failures.truncate(RECENT_FAILURES);
            } else {
                history.last_success = Some(attempt.at);
            }
            history.last_attempt = Some(attempt);
        });
        fetched
    }

    async fn fetch_and_install_once(&self) -> Result<(), JwksError> {
        let source = Arc::clone(&self.source);
        let mut key_set = actix_web::web::block(move || source.fetch())
            .await
            .map_err(|_| JwksError::Cancelled)??;
        let current = self.current.load_full();
        if current
            .as_ref()
            .is_some_and(|current| current.fingerprint == key_set.fingerprint)
        {
            return Ok(()); // The same keys: keep the set, its version, and the cache.
        }
        key_set.version = current.map_or(1, |current| current.version + 1);
        let keys = key_set.key_count();
        self.current.store(Some(Arc::new(key_set)));
        tracing::info!(keys, url = self.url(), "loaded new signing keys");
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use rsa::RsaPrivateKey;
    use rsa::traits::PublicKeyParts;
    use serde_json::{Value, json};

    use super::*;

    fn rsa_jwk(kid: &str, bits: usize) -> Value {
        let key = RsaPrivateKey::new(&mut rand::thread_rng(), bits).expect("keygen");
        json!({
            "kty": "RSA", "kid": kid, "use": "sig", "alg": "RS256",
            "n": URL_SAFE_NO_PAD.encode(key.n().to_bytes_be()),
            "e": URL_SAFE_NO_PAD.encode(key.e().to_bytes_be()),
        })
    }

    #[test]
    fn only_rsa_signing_keys_of_2048_bits_or_more_are_kept() {
        let good = rsa_jwk("good", 2048);
        let mut for_encryption = good.clone();
        for_encryption["kid"] = json!("enc");
        for_encryption["use"] = json!("enc");
        let mut other_alg = good.clone();
        other_alg["kid"] = json!("rs512");
        other_alg["alg"] = json!("RS512");
        let mut no_kid = good.clone();
        no_kid.as_object_mut().expect("object").remove("kid");
        let document = json!({"keys": [
            {"kty": "oct", "kid": "hmac", "k": "c2VjcmV0"},
            {"kty": "EC", "kid": "ec", "crv": "P-256", "x": "AA", "y": "AA"},
            rsa_jwk("short", 1024),
            {"kty": "RSA", "kid": "garbled", "n": "!!", "e": "AQAB"},
            for_encryption, other_alg, no_kid, 42,
            good,
        ]});
        let set = KeySet::parse(document.to_string().as_bytes()).expect("one usable key");
        assert_eq!(set.key_count(), 1);
        assert!(set.get("good").is_some());
        for skipped in ["hmac", "ec", "short", "garbled", "enc", "rs512"] {
            assert!(set.get(skipped).is_none(), "{skipped} must be skipped");
        }
    }

    #[test]
    fn the_fingerprint_follows_the_key_material_not_the_document() {
        let key = rsa_jwk("k", 2048);
        let other = rsa_jwk("k", 2048);
        let parse = |keys: Value| {
            KeySet::parse(json!({"keys": keys}).to_string().as_bytes()).expect("parses")
        };
        let a = parse(json!([key, {"kty": "oct", "kid": "x", "k": "AA"}]));
        let b = parse(json!([{"kty": "EC", "kid": "y"}, key]));
        let c = parse(json!([other]));
        assert_eq!(
            a.fingerprint, b.fingerprint,
            "only usable keys count, in any order"
        );
        assert_ne!(
            a.fingerprint, c.fingerprint,
            "same kid, new modulus: a new set"
        );
    }

    #[test]
    fn a_set_without_usable_keys_is_an_error() {
        let document = json!({"keys": [{"kty": "oct", "kid": "hmac", "k": "c2VjcmV0"}]});
        assert!(matches!(
            KeySet::parse(document.to_string().as_bytes()),
            Err(JwksError::NoUsableKey)
        ));
        assert!(matches!(KeySet::parse(b"<html>"), Err(JwksError::Json(_))));
        assert!(matches!(
            KeySet::parse(b"{\"keys\": 5}"),
            Err(JwksError::Json(_))
        ));
    }
}
