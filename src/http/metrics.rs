//! Middleware, with metrics on: counts each request by route pattern,
//! method and status class, times it, and tracks those in flight. Every
//! label comes from a fixed set (the registered patterns, known methods,
//! five classes), so no request can add a time series.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::OnceLock;
use std::time::Instant;

use actix_web::Error;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use metrics::{Counter, Gauge, Histogram, counter, gauge, histogram};

use crate::metrics::names;

/// Counts, times and tracks one request.
pub async fn observe(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let started = Instant::now();
    let method = method_label(request.method());
    let in_flight = InFlight::begin();
    let outcome = next.call(request).await;
    drop(in_flight);
    let (route, status) = match &outcome {
        Ok(response) => (
            response
                .request()
                .match_pattern()
                .unwrap_or_else(|| UNMATCHED.to_owned()),
            response.status(),
        ),
        Err(error) => (
            UNMATCHED.to_owned(),
            error.as_response_error().status_code(),
        ),
    };
    let elapsed = started.elapsed().as_secs_f64();
    HANDLES.with_borrow_mut(|handles| {
        let (requests, seconds) = handles
            .entry((route, method, status_class(status)))
            .or_insert_with_key(|(route, method, status)| {
                (
                    counter!(names::HTTP_REQUESTS, "route" => route.clone(), "method" => *method, "status" => *status),
                    histogram!(names::HTTP_REQUEST_SECONDS, "route" => route.clone(), "method" => *method),
                )
            });
        requests.increment(1);
        seconds.record(elapsed);
    });
    outcome
}

type Labels = (String, &'static str, &'static str);

thread_local! {
    /// Each worker's handles by (route, method, status class): a request
    /// then costs one small map lookup, not the recorder's registry lookups
    /// with their key allocations. Bounded like the labels themselves.
    static HANDLES: RefCell<HashMap<Labels, (Counter, Histogram)>> = RefCell::new(HashMap::new());
}

/// The route label of a request no registered pattern matched (a 404, a
/// file of the frontend folder).
const UNMATCHED: &str = "unmatched";

/// One request in flight; counted down when dropped, even if the client
/// goes away and the request is cancelled.
struct InFlight;

/// Looked up once: the recorder is installed before the first request.
fn in_flight() -> &'static Gauge {
    static IN_FLIGHT: OnceLock<Gauge> = OnceLock::new();
    IN_FLIGHT.get_or_init(|| gauge!(names::HTTP_IN_FLIGHT))
}

impl InFlight {
    fn begin() -> Self {
        in_flight().increment(1.0);
        Self
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        in_flight().decrement(1.0);
    }
}

fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

fn status_class(status: StatusCode) -> &'static str {
    match status.as_u16() {
        100..=199 => "1xx",
        200..=299 => "2xx",
        300..=399 => "3xx",
        400..=499 => "4xx",
        _ => "5xx",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_come_from_fixed_sets() {
        assert_eq!(
            method_label(&Method::from_bytes(b"BREW").expect("a method")),
            "other"
        );
        assert_eq!(method_label(&Method::PATCH), "PATCH");
        assert_eq!(status_class(StatusCode::NOT_MODIFIED), "3xx");
        assert_eq!(status_class(StatusCode::INSUFFICIENT_STORAGE), "5xx");
    }
}
