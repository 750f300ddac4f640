//! The HTTP client for calls to the identity provider (its key set, its
//! discovery document, its token endpoint): bounded in time, never
//! following redirects, and answering every status so the caller can say
//! what went wrong.

use std::time::Duration;

/// An agent that gives up connecting after `connect` and on the whole call
/// after `total`. It does not insist on https: every URL it is given was
/// checked first (at config load, or by the OIDC client's `check_endpoint`).
pub fn provider_agent(connect: Duration, total: Duration) -> ureq::Agent {
    ureq::Agent::config_builder()
        .timeout_connect(Some(connect))
        .timeout_global(Some(total))
        .max_redirects(0)
        .http_status_as_error(false)
        .https_only(false)
        .user_agent(concat!("coffee-shop/", env!("CARGO_PKG_VERSION")))
        .build()
        .new_agent()
}
