//! One log line per request, tagged with a request id that is also sent
//! back as `X-Request-Id`, so a client's report can be matched to the log.

use std::fmt;
use std::hash::{BuildHasher, RandomState};
use std::sync::LazyLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime};

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, web};
use tracing::Instrument;

use super::server_errors::{ServerError, ServerErrors};

/// The header carrying the request id, both ways.
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
/// A client's own request id is kept when it is this short and plain.
const MAX_CLIENT_REQUEST_ID: usize = 64;

/// Middleware: gives every request an id (the client's `X-Request-Id` when it
/// is short and plain, else a fresh one) and returns it in the response.
/// Every event logged while handling the request is tagged with the id (an
/// `error`-level span, so the tag is there at every log level). When `info`
/// is enabled, logs method, path (never the query or any header, so never a
/// token), status and latency. A server error (5xx) is always logged, at
/// `error`, and remembered for the System page (`ServerErrors`): the log, the
/// page and the metrics then agree on it.
pub async fn log_request(
    request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let started = Instant::now();
    let id = request
        .headers()
        .get(REQUEST_ID)
        .filter(|value| is_plain_request_id(value.as_bytes()))
        .cloned()
        .unwrap_or_else(new_request_id);
    let id_text = id.to_str().unwrap_or_default();
    let span = tracing::error_span!("request", id = id_text);
    let mut response = next.call(request).instrument(span.clone()).await?;
    let status = response.status().as_u16();
    let (method, path) = (response.request().method(), response.request().path());
    let latency_ms = Millis(started.elapsed());
    span.in_scope(|| {
        if response.status().is_server_error() {
            tracing::error!(target: "coffee_shop::request", %method, path, status, %latency_ms, "request failed");
        } else {
            tracing::info!(target: "coffee_shop::request", %method, path, status, %latency_ms, "request");
        }
    });
    if response.status().is_server_error() {
        remember_server_error(&response, id_text);
    }
    response.headers_mut().insert(REQUEST_ID, id);
    Ok(response)
}

/// A latency in milliseconds, to the microsecond; formatted only when logged.
struct Millis(Duration);

impl fmt::Display for Millis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:.3}", self.0.as_secs_f64() * 1e3)
    }
}

/// Adds a 5xx answer to the application's `ServerErrors`, when it keeps them.
fn remember_server_error<B>(response: &ServiceResponse<B>, request_id: &str) {
    let request = response.request();
    if let Some(errors) = request.app_data::<web::Data<ServerErrors>>() {
        errors.record(ServerError {
            at: SystemTime::now(),
            request_id: request_id.to_owned(),
            method: request.method().to_string(),
            path: request.path().to_owned(),
            status: response.status().as_u16(),
        });
    }
}

/// Letters, digits, `-`, `_` and `.`: safe to echo in a header and a log line.
fn is_plain_request_id(id: &[u8]) -> bool {
    (1..=MAX_CLIENT_REQUEST_ID).contains(&id.len())
        && id
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// 16 hex digits, unique within the process: a random start (so ids from two
/// runs do not collide in one log) stepped by an odd constant, which visits
/// every 64-bit value once before repeating.
fn new_request_id() -> HeaderValue {
    static START: LazyLock<u64> = LazyLock::new(|| RandomState::new().hash_one(0u8));
    static NEXT: AtomicU64 = AtomicU64::new(0);
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let step = NEXT.fetch_add(1, Ordering::Relaxed);
    let id = START.wrapping_add(step.wrapping_mul(0x9E37_79B9_7F4A_7C15));
    // Every request pays for this: hex by hand, no formatting machinery.
    let mut digits = [0u8; 16];
    for (position, digit) in digits.iter_mut().enumerate() {
        *digit = HEX[((id >> (60 - 4 * position)) & 0xf) as usize];
    }
    HeaderValue::from_bytes(&digits).unwrap_or(HeaderValue::from_static("0"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_request_ids_are_kept_only_when_plain() {
        assert!(is_plain_request_id(b"abc-123_x.y"));
        assert!(!is_plain_request_id(b""));
        assert!(!is_plain_request_id(b"has space"));
        assert!(!is_plain_request_id(b"line\nbreak"));
        assert!(!is_plain_request_id(&[b'a'; 65]));
    }

    #[test]
    fn fresh_request_ids_differ() {
        let ids: std::collections::HashSet<_> = (0..1000).map(|_| new_request_id()).collect();
        assert_eq!(ids.len(), 1000);
        assert!(ids.iter().all(|id| id.len() == 16));
        assert!(
            ids.iter()
                .all(|id| id.as_bytes().iter().all(u8::is_ascii_hexdigit))
        );
    }
}
