//! The HTTP client for calls to the identity provider (its key set, its
//! discovery document, its token endpoint): the server's outbound agent,
//! trusting the bundled roots.

use std::time::Duration;

/// An agent that gives up connecting after `connect` and on the whole call
/// after `total` (see `outbound::agent`).
pub fn provider_agent(connect: Duration, total: Duration) -> ureq::Agent {
    crate::outbound::agent(connect, total, ureq::tls::RootCerts::WebPki)
}
