//! Verified tokens, remembered so a repeat request skips the RSA check.
//!
//! Rules: only successful verifications are stored, keyed by the SHA-256 of
//! the token (never the token itself); an entry is dropped at the token's
//! `exp` (the leeway is not extended to cached entries); the whole cache is
//! cleared whenever the trusted key set changes, so a revoked key is never
//! honoured from cache; and it holds at most `capacity` entries.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use sha2::{Digest, Sha256};

use super::principal::Principal;

type TokenHash = [u8; 32];

/// A bounded map from token hash to the principal it proved.
pub struct VerifiedTokens {
    capacity: usize,
    state: Mutex<State>,
}

struct State {
    /// The key-set version the entries were verified under.
    key_set_version: u64,
    entries: HashMap<TokenHash, Entry>,
}

struct Entry {
    principal: Principal,
    expires_at: u64,
}

impl VerifiedTokens {
    /// An empty cache of at most `capacity` tokens.
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity,
            state: Mutex::new(State {
                key_set_version: 0,
                entries: HashMap::new(),
            }),
        }
    }

    /// The principal `token` proved earlier, if it is still valid at `now`
    /// (Unix seconds) under the current key set.
    pub fn get(&self, token: &str, key_set_version: u64, now: u64) -> Option<Principal> {
        let hash = hash(token);
        let mut state = self.lock(key_set_version);
        match state.entries.get(&hash) {
            Some(entry) if now < entry.expires_at => Some(entry.principal.clone()),
            Some(_) => {
                state.entries.remove(&hash);
                None
            }
            None => None,
        }
    }

    /// Remembers a token that was just verified under `key_set_version`.
    pub fn insert(
        &self,
        token: &str,
        principal: &Principal,
        expires_at: u64,
        key_set_version: u64,
        now: u64,
    ) {
        if expires_at <= now || self.capacity == 0 {
            return;
        }
        let mut state = self.lock(key_set_version);
        if state.key_set_version != key_set_version {
            return; // Verified under a key set that has been replaced since.
        }
        if state.entries.len() >= self.capacity {
            state.entries.retain(|_, entry| now < entry.expires_at);
        }
        if state.entries.len() >= self.capacity {
            // Still full of live tokens: forget an arbitrary eighth of them.
            let evict: Vec<TokenHash> = state
                .entries
                .keys()
                .take((self.capacity / 8).max(1))
                .copied()
                .collect();
            for hash in evict {
                state.entries.remove(&hash);
            }
        }
        state.entries.insert(
            hash(token),
            Entry {
                principal: principal.clone(),
                expires_at,
            },
        );
    }

    /// Locks the state, clearing it first if the key set has changed.
    fn lock(&self, key_set_version: u64) -> std::sync::MutexGuard<'_, State> {
        // A panic while holding the lock cannot leave a wrong entry behind
        // (inserts are single calls), so a poisoned lock is still usable.
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        if key_set_version > state.key_set_version {
            state.entries.clear();
            state.key_set_version = key_set_version;
        }
        state
    }
}

fn hash(token: &str) -> TokenHash {
    Sha256::digest(token.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Permissions;

    fn remembered(cache: &VerifiedTokens) -> usize {
        cache.state.lock().expect("lock").entries.len()
    }

    fn principal(subject: &str) -> Principal {
        Principal {
            subject: subject.into(),
            permissions: Some(["get:drinks-detail"].into_iter().collect::<Permissions>()),
            expires_at: 1_000,
        }
    }

    #[test]
    fn a_verified_token_is_remembered_until_its_exp() {
        let cache = VerifiedTokens::new(10);
        cache.insert("token-a", &principal("a"), 1_000, 1, 900);
        assert_eq!(cache.get("token-a", 1, 999), Some(principal("a")));
        assert_eq!(cache.get("token-b", 1, 999), None);
        assert_eq!(cache.get("token-a", 1, 1_000), None, "dropped at exp");
        assert_eq!(remembered(&cache), 0);
    }

    #[test]
    fn a_new_key_set_clears_everything() {
        let cache = VerifiedTokens::new(10);
        cache.insert("token-a", &principal("a"), 1_000, 1, 900);
        assert_eq!(cache.get("token-a", 2, 901), None);
        assert_eq!(remembered(&cache), 0);
        // A verification that finished under the old set is not stored late.
        cache.insert("token-a", &principal("a"), 1_000, 1, 902);
        assert_eq!(cache.get("token-a", 2, 903), None);
    }

    #[test]
    fn expired_tokens_are_never_stored() {
        let cache = VerifiedTokens::new(10);
        cache.insert("token-a", &principal("a"), 900, 1, 900);
        assert_eq!(remembered(&cache), 0);
    }

    #[test]
    fn the_cache_is_bounded() {
        let cache = VerifiedTokens::new(16);
        for i in 0..100 {
            cache.insert(&format!("token-{i}"), &principal("p"), 10_000, 1, 900);
            assert!(remembered(&cache) <= 16);
        }
        assert_eq!(
            cache.get("token-99", 1, 901),
            Some(principal("p")),
            "the newest is kept"
        );
    }

    #[test]
    fn expired_entries_make_room_first() {
        let cache = VerifiedTokens::new(2);
        cache.insert("old", &principal("old"), 950, 1, 900);
        cache.insert("live", &principal("live"), 10_000, 1, 900);
        cache.insert("new", &principal("new"), 10_000, 1, 960);
        assert_eq!(cache.get("live", 1, 961), Some(principal("live")));
        assert_eq!(cache.get("new", 1, 961), Some(principal("new")));
    }
}
