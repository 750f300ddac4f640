//! The HTTP client for every call the server makes to another server (the
//! identity provider, the ACME CA): bounded in time, never following
//! redirects, and answering every status so the caller can say what went
//! wrong.

use std::time::Duration;

use ureq::tls::{RootCerts, TlsConfig};

/// An agent that gives up connecting after `connect` and on the whole call
/// after `total`, trusting `roots` (`RootCerts::WebPki`: the bundled
/// Mozilla roots, so a machine without a CA store works). It does not
/// insist on https: every URL it is given was checked first (at config
/// load, or by the OIDC client's `check_endpoint`).
pub fn agent(connect: Duration, total: Duration, roots: RootCerts) -> ureq::Agent {
    ureq::Agent::config_builder()
        .tls_config(TlsConfig::builder().root_certs(roots).build())
        .timeout_connect(Some(connect))
        .timeout_global(Some(total))
        .max_redirects(0)
        .http_status_as_error(false)
        .https_only(false)
        .user_agent(concat!("coffee-shop/", env!("CARGO_PKG_VERSION")))
        .build()
        .new_agent()
}

/// Reads a whole answer, refusing one longer than `limit` bytes: a server
/// that streams without end must not fill the memory.
pub fn read_body(
    response: &mut ureq::http::Response<ureq::Body>,
    limit: u64,
) -> Result<Vec<u8>, ureq::Error> {
    response.body_mut().with_config().limit(limit).read_to_vec()
}
