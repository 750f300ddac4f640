//! Logging: `tracing` to stderr through a background writer, filtered by
//! `RUST_LOG` or `log.level`, as text or JSON; and one line per request,
//! tagged with a request id that is also sent back as `X-Request-Id`.

use std::hash::{BuildHasher, RandomState};
use std::sync::LazyLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use actix_web::Error;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use tracing::{Instrument, Level};
use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::EnvFilter;

use crate::config::{LogFormat, LogSettings};

/// The header carrying the request id, both ways.
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
/// A client's own request id is kept when it is this short and plain.
const MAX_CLIENT_REQUEST_ID: usize = 64;

/// Keeps the background log writer alive; dropping it flushes pending lines.
pub struct LogGuard {
    _writer: Option<WorkerGuard>,
}

/// Installs the global subscriber; a second call (as in tests) is a no-op.
///
/// Lines go through a background thread so a slow terminal or journal never
/// stalls a request. If it falls more than 128k lines behind, lines are
/// dropped rather than making requests wait.
pub fn init(settings: &LogSettings) -> LogGuard {
    let filter = EnvFilter::try_from_default_env()
        .or_else(|_| EnvFilter::try_new(&settings.level))
        .unwrap_or_else(|_| EnvFilter::new("info"));
    let (writer, guard) = tracing_appender::non_blocking(std::io::stderr());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer);
    let installed = match settings.format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
    LogGuard {
        _writer: installed.is_ok().then_some(guard),
    }
}

/// Middleware: gives every request an id (the client's `X-Request-Id` when it
/// is short and plain, else a fresh one) and returns it in the response. When
/// `info` is enabled, logs method, path (never the query or any header, so
/// never a token), status and latency, and tags every event logged while
/// handling the request with the id.
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
    if !tracing::enabled!(target: "coffee_shop::request", Level::INFO) {
        let mut response = next.call(request).await?;
        response.headers_mut().insert(REQUEST_ID, id);
        return Ok(response);
    }
    let method = request.method().clone();
    let path = request.path().to_owned();
    let span = tracing::info_span!("request", id = id.to_str().unwrap_or_default());
    let mut response = next.call(request).instrument(span.clone()).await?;
    span.in_scope(|| {
        tracing::info!(
            target: "coffee_shop::request",
            %method,
            path,
            status = response.status().as_u16(),
            latency_ms = %format!("{:.3}", started.elapsed().as_secs_f64() * 1e3),
            "request"
        )
    });
    response.headers_mut().insert(REQUEST_ID, id);
    Ok(response)
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
