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
use crate::paths;

/// The header carrying the request id, both ways.
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
/// A client's own request id is kept when it is this short and plain.
const MAX_CLIENT_REQUEST_ID: usize = 64;

/// Middleware: gives every request an id (the client's `X-Request-Id` when it
/// is short and plain, else a fresh one) and returns it in the response. When
/// `info` is enabled, logs method, path (never the query or any header, so
/// never a token), status and latency, and tags every event logged while
/// handling the request with the id.
///
/// A server error (5xx) is logged at `error` with its id on the line itself,
/// so it shows at any level that keeps errors, and is remembered for the
/// System page (`ServerErrors`): the log, the page and the metrics agree on
/// it. A `/readyz` 503 is the readiness answer, not a fault: it is logged at
/// `warn` and not remembered, so a probe cannot push real errors out.
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
    // Disabled (and nearly free) below `info`.
    let span = tracing::info_span!("request", id = id_text);
    let mut response = next.call(request).instrument(span.clone()).await?;
    let status = response.status().as_u16();
    let (method, path) = (response.request().method(), response.request().path());
    let latency_ms = Millis(started.elapsed());
    if !response.status().is_server_error() {
        span.in_scope(|| {
            tracing::info!(target: "coffee_shop::request", %method, path, status, %latency_ms, "request");
        });
    } else if path == paths::READYZ {
        tracing::warn!(target: "coffee_shop::request", id = id_text, %method, path, status, %latency_ms, "not ready");
    } else {
        tracing::error!(target: "coffee_shop::request", id = id_text, %method, path, status, %latency_ms, "request failed");
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

    #[actix_web::test]
    async fn server_errors_are_remembered_but_not_readiness_answers() {
        use actix_web::middleware::from_fn;
        use actix_web::{App, HttpResponse, test};

        let errors = web::Data::new(ServerErrors::default());
        let app = test::init_service(
            App::new()
                .app_data(errors.clone())
                .wrap(from_fn(log_request))
                .route(
                    paths::READYZ,
                    web::get().to(HttpResponse::ServiceUnavailable),
                )
                .route("/boom", web::get().to(HttpResponse::InternalServerError))
                .route("/fine", web::get().to(HttpResponse::Ok)),
        )
        .await;
        for path in [paths::READYZ, "/fine", "/boom?token=secret"] {
            test::call_service(&app, test::TestRequest::get().uri(path).to_request()).await;
        }
        let remembered = errors.newest_first();
        assert_eq!(remembered.len(), 1, "{remembered:?}");
        assert_eq!(remembered[0].path, "/boom", "never the query");
        assert_eq!(remembered[0].status, 500);
        assert_eq!(remembered[0].request_id.len(), 16);
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
