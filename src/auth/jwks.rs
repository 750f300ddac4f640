//! The identity provider's JSON Web Key Set: fetched at start-up, kept fresh
//! in the background, and refetched (rate-limited) when a token names a key
//! id we do not know.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use arc_swap::ArcSwapOption;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::DecodingKey;
use serde::Deserialize;
use tokio::sync::Mutex;

/// Smallest RSA modulus we trust, in bytes (2048 bits).
const MIN_RSA_MODULUS_BYTES: usize = 256;
/// A key set larger than this is not a key set.
const MAX_JWKS_BYTES: u64 = 256 * 1024;
/// First retry after a failed fetch, doubled after each failure up to the cap.
const FIRST_RETRY: Duration = Duration::from_secs(1);
const MAX_RETRY: Duration = Duration::from_secs(180);

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
        let keys: HashMap<String, Arc<DecodingKey>> = raw
            .keys
            .into_iter()
            .filter_map(|value| {
                let key: RawKey = serde_json::from_value(value).ok()?;
                let (kid, decoding_key) = usable_rsa_key(key)?;
                Some((kid, Arc::new(decoding_key)))
            })
            .collect();
        if keys.is_empty() {
            return Err(JwksError::NoUsableKey);
        }
        Ok(Self { keys })
    }

    pub fn get(&self, kid: &str) -> Option<Arc<DecodingKey>> {
        self.keys.get(kid).cloned()
    }

    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

fn usable_rsa_key(key: RawKey) -> Option<(String, DecodingKey)> {
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
    Some((
        kid,
        DecodingKey::from_rsa_raw_components(&modulus, &exponent),
    ))
}

/// What a key lookup found.
pub enum KeyLookup {
    /// No key set has been loaded yet.
    NotLoaded,
    Unknown,
    Found(Arc<DecodingKey>),
}

/// Fetches key sets over HTTP: short timeouts, no redirects, bounded size.
struct JwksSource {
    url: String,
    agent: ureq::Agent,
}

impl JwksSource {
    fn new(url: String) -> Self {
        let agent = ureq::Agent::config_builder()
            .timeout_connect(Some(Duration::from_secs(2)))
            .timeout_global(Some(Duration::from_secs(5)))
            .max_redirects(0)
            .http_status_as_error(false)
            // The URL's scheme was checked at config load (https, or http on loopback).
            .https_only(false)
            .user_agent(concat!("coffee-shop/", env!("CARGO_PKG_VERSION")))
            .build()
            .new_agent();
        Self { url, agent }
    }

    /// Blocking: call it from the blocking thread pool.
    fn fetch(&self) -> Result<KeySet, JwksError> {
        let mut response = self.agent.get(&self.url).call()?;
        let status = response.status().as_u16();
        if status != 200 {
            return Err(JwksError::Status(status));
        }
        let body = response
            .body_mut()
            .with_config()
            .limit(MAX_JWKS_BYTES)
            .read_to_vec()?;
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
}

impl KeyStore {
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
        }
    }

    pub fn url(&self) -> &str {
        &self.source.url
    }

    /// The number of trusted keys, or `None` before the first successful fetch.
    pub fn loaded_keys(&self) -> Option<usize> {
        self.current.load().as_ref().map(|set| set.len())
    }

    pub fn lookup(&self, kid: &str) -> KeyLookup {
        match self.current.load().as_ref() {
            None => KeyLookup::NotLoaded,
            Some(set) => set.get(kid).map_or(KeyLookup::Unknown, KeyLookup::Found),
        }
    }

    /// Fetches the key set now (waiting for a fetch already in flight first).
    pub async fn refresh(&self) -> Result<(), JwksError> {
        let _gate = self.fetch_gate.lock().await;
        self.fetch_and_install().await
    }

    /// Called when a token names a key id we do not know. Concurrent callers
    /// share one fetch; across all key ids there is at most one such fetch per
    /// cool-down, so a flood of random key ids cannot hammer the provider.
    pub async fn refresh_for_unknown_kid(&self, kid: &str) {
        let mut last_unknown_kid_fetch = self.fetch_gate.lock().await;
        if matches!(self.lookup(kid), KeyLookup::Found(_)) {
            return; // The fetch we waited for brought it.
        }
        if last_unknown_kid_fetch.is_some_and(|at| at.elapsed() < self.unknown_kid_cooldown) {
            return;
        }
        *last_unknown_kid_fetch = Some(Instant::now());
        if let Err(error) = self.fetch_and_install().await {
            tracing::warn!(%error, url = self.url(), "refetching the signing keys failed; keeping the last good set");
        }
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
            tokio::time::sleep(wait).await;
            match self.refresh().await {
                Ok(()) => retry = FIRST_RETRY,
                Err(error) => {
                    tracing::warn!(%error, url = self.url(), retry_in_secs = retry.as_secs(), "fetching the signing keys failed");
                    if self.loaded_keys().is_none() {
                        retry = (retry * 2).min(MAX_RETRY);
                    }
                }
            }
        }
    }

    /// Only ever called with `fetch_gate` held.
    async fn fetch_and_install(&self) -> Result<(), JwksError> {
        let source = Arc::clone(&self.source);
        let key_set = actix_web::web::block(move || source.fetch())
            .await
            .map_err(|_| JwksError::Cancelled)??;
        tracing::info!(
            keys = key_set.len(),
            url = self.url(),
            "loaded the signing keys"
        );
        self.current.store(Some(Arc::new(key_set)));
        Ok(())
    }
}
