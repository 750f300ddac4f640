//! The admin pages' sign-in: OpenID Connect authorization code flow with
//! PKCE. Endpoints come from the provider's discovery document; the code is
//! exchanged server-side. Every call here blocks: run it on the blocking pool.

use std::sync::Mutex;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use ureq::http::Uri;

use super::provider_client::provider_agent;
use crate::config::DashboardClient;

/// How long a started sign-in may take to come back.
pub const SIGN_IN_TIMEOUT: Duration = Duration::from_secs(600);
/// A discovery document or token answer larger than this is refused.
const MAX_RESPONSE_BYTES: u64 = 64 * 1024;

/// Why a sign-in could not go ahead; shown on the sign-in page.
#[derive(Debug, thiserror::Error)]
pub enum OidcError {
    #[error("the identity provider cannot be reached: {0}")]
    Unreachable(String),
    #[error("the identity provider's answer is not usable: {0}")]
    BadAnswer(String),
    #[error("the identity provider refused the sign-in: {0}")]
    Refused(String),
}

/// The endpoints of the provider's discovery document that we use.
#[derive(Debug, Clone, Deserialize)]
pub struct Discovery {
    pub issuer: String,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    #[serde(default)]
    pub end_session_endpoint: Option<String>,
}

/// The provider's answer to the code exchange.
#[derive(Deserialize)]
pub struct TokenAnswer {
    pub access_token: String,
    pub id_token: String,
}

/// A sign-in in progress. The browser keeps it, sealed, in its sign-in
/// cookie (`auth::sealed`), so no shared server state can be flooded and a
/// sign-in started on one server of a chain completes on another.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PendingSignIn {
    pub state: String,
    pub nonce: String,
    pub verifier: String,
    /// Where to go afterwards: a path under `/admin`.
    pub next: String,
    /// Unix seconds after which the sign-in has expired.
    pub expires_at: u64,
}

impl PendingSignIn {
    /// The purpose it is sealed for.
    pub const SEALED_AS: &'static str = "coffee-shop pending sign-in v1";

    /// True once its 10 minutes are over.
    pub fn has_expired(&self) -> bool {
        jsonwebtoken::get_current_timestamp() >= self.expires_at
    }
}

/// The dashboard's OpenID Connect client.
pub struct OidcClient {
    pub client: DashboardClient,
    agent: ureq::Agent,
    discovery: Mutex<Option<Discovery>>,
}

/// `bytes` random bytes from the OS generator, base64url: state, nonce, PKCE
/// verifier, session ids.
pub fn random_token(bytes: usize) -> String {
    let mut buffer = vec![0u8; bytes];
    rand::rngs::OsRng.fill_bytes(&mut buffer);
    URL_SAFE_NO_PAD.encode(buffer)
}

/// The PKCE S256 challenge for `verifier`.
pub fn pkce_challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

impl OidcClient {
    pub fn new(client: DashboardClient) -> Self {
        // Every URL is checked by `check_endpoint` before it is called.
        let agent = provider_agent(Duration::from_secs(3), Duration::from_secs(10));
        Self {
            client,
            agent,
            discovery: Mutex::new(None),
        }
    }

    /// The discovery document, fetched once and kept (a failure is retried
    /// at the next sign-in).
    pub fn discovery(&self) -> Result<Discovery, OidcError> {
        if let Some(known) = self.discovery.lock().ok().and_then(|d| d.clone()) {
            return Ok(known);
        }
        let url = format!(
            "{}/.well-known/openid-configuration",
            self.client.issuer.trim_end_matches('/')
        );
        let discovery: Discovery = self.get_json(&url)?;
        if discovery.issuer.trim_end_matches('/') != self.client.issuer.trim_end_matches('/') {
            return Err(OidcError::BadAnswer(format!(
                "the discovery document names issuer {}, not {}",
                discovery.issuer, self.client.issuer
            )));
        }
        check_endpoint(&discovery.authorization_endpoint)?;
        check_endpoint(&discovery.token_endpoint)?;
        if let Some(end_session) = &discovery.end_session_endpoint {
            check_endpoint(end_session)?;
        }
        if let Ok(mut known) = self.discovery.lock() {
            *known = Some(discovery.clone());
        }
        Ok(discovery)
    }

    /// Starts a sign-in: returns it (for the browser to keep) and the
    /// provider URL to send the browser to.
    pub fn start(&self, next: String) -> Result<(PendingSignIn, String), OidcError> {
        let discovery = self.discovery()?;
        let pending = PendingSignIn {
            state: random_token(32),
            nonce: random_token(32),
            verifier: random_token(32),
            next,
            expires_at: jsonwebtoken::get_current_timestamp() + SIGN_IN_TIMEOUT.as_secs(),
        };
        let query = serde_html_form::to_string([
            ("response_type", "code"),
            ("client_id", self.client.client_id.as_str()),
            ("redirect_uri", self.client.redirect_uri.as_str()),
            ("scope", "openid profile email"),
            // Auth0 issues a JWT access token with permissions only for an API audience.
            ("audience", self.client.audience.as_str()),
            ("state", pending.state.as_str()),
            ("nonce", pending.nonce.as_str()),
            ("code_challenge", pkce_challenge(&pending.verifier).as_str()),
            ("code_challenge_method", "S256"),
        ])
        .map_err(|e| OidcError::BadAnswer(e.to_string()))?;
        let separator = if discovery.authorization_endpoint.contains('?') {
            '&'
        } else {
            '?'
        };
        let url = format!("{}{separator}{query}", discovery.authorization_endpoint);
        Ok((pending, url))
    }

    /// Exchanges the authorization code (with the PKCE verifier) for tokens.
    pub fn exchange(&self, code: &str, verifier: &str) -> Result<TokenAnswer, OidcError> {
        let discovery = self.discovery()?;
        let mut form = vec![
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", self.client.redirect_uri.as_str()),
            ("client_id", self.client.client_id.as_str()),
            ("code_verifier", verifier),
        ];
        if let Some(secret) = &self.client.client_secret {
            form.push(("client_secret", secret.expose()));
        }
        let mut response = self
            .agent
            .post(&discovery.token_endpoint)
            .send_form(form)
            .map_err(|e| OidcError::Unreachable(e.to_string()))?;
        let status = response.status().as_u16();
        let body = crate::outbound::read_body(&mut response, MAX_RESPONSE_BYTES)
            .map_err(|e| OidcError::Unreachable(e.to_string()))?;
        if status != 200 {
            #[derive(Deserialize)]
            struct Refusal {
                error: Option<String>,
                error_description: Option<String>,
            }
            let refusal: Option<Refusal> = serde_json::from_slice(&body).ok();
            let why = refusal
                .and_then(|r| r.error_description.or(r.error))
                .unwrap_or_else(|| format!("HTTP {status}"));
            return Err(OidcError::Refused(why));
        }
        serde_json::from_slice(&body)
            .map_err(|e| OidcError::BadAnswer(format!("the token answer lacks a token: {e}")))
    }

    /// Where sign-out sends the browser: the provider's end-session endpoint,
    /// Auth0's `/v2/logout`, or straight back to the dashboard.
    pub fn logout_url(&self) -> String {
        let home = self.client.home_url.as_str();
        let end_session = self
            .discovery
            .lock()
            .ok()
            .and_then(|d| d.as_ref().and_then(|d| d.end_session_endpoint.clone()));
        let (endpoint, query) = match (end_session, &self.client.auth0_domain) {
            (Some(endpoint), _) => (
                endpoint,
                serde_html_form::to_string([
                    ("client_id", self.client.client_id.as_str()),
                    ("post_logout_redirect_uri", home),
                ]),
            ),
            (None, Some(domain)) => (
                format!("https://{domain}/v2/logout"),
                serde_html_form::to_string([
                    ("client_id", self.client.client_id.as_str()),
                    ("returnTo", home),
                ]),
            ),
            (None, None) => return home.to_owned(),
        };
        match query {
            Ok(query) => format!("{endpoint}?{query}"),
            Err(_) => home.to_owned(),
        }
    }

    fn get_json<T: serde::de::DeserializeOwned>(&self, url: &str) -> Result<T, OidcError> {
        let mut response = self
            .agent
            .get(url)
            .call()
            .map_err(|e| OidcError::Unreachable(format!("{url}: {e}")))?;
        let status = response.status().as_u16();
        if status != 200 {
            return Err(OidcError::Unreachable(format!(
                "{url} answered HTTP {status}"
            )));
        }
        let body = crate::outbound::read_body(&mut response, MAX_RESPONSE_BYTES)
            .map_err(|e| OidcError::Unreachable(format!("{url}: {e}")))?;
        serde_json::from_slice(&body).map_err(|e| OidcError::BadAnswer(format!("{url}: {e}")))
    }
}

/// https, or plain http on a loopback host (local test providers).
fn check_endpoint(url: &str) -> Result<(), OidcError> {
    let uri: Uri = url
        .parse()
        .map_err(|_| OidcError::BadAnswer(format!("`{url}` is not a URL")))?;
    let host = uri.host().unwrap_or_default();
    let loopback = host == "localhost"
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    match uri.scheme_str() {
        Some("https") if !host.is_empty() => Ok(()),
        Some("http") if loopback => Ok(()),
        _ => Err(OidcError::BadAnswer(format!("`{url}` is not an https URL"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkce_matches_the_rfc_7636_example() {
        assert_eq!(
            pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn random_tokens_are_long_and_distinct() {
        let a = random_token(32);
        assert_eq!(a.len(), 43);
        assert_ne!(a, random_token(32));
    }

    #[test]
    fn endpoints_must_be_https_except_on_loopback() {
        assert!(check_endpoint("https://tenant.auth0.com/authorize").is_ok());
        assert!(check_endpoint("http://127.0.0.1:8080/authorize").is_ok());
        assert!(check_endpoint("http://localhost/authorize").is_ok());
        assert!(check_endpoint("http://evil.example.com/authorize").is_err());
        assert!(check_endpoint("javascript:alert(1)").is_err());
    }
}
