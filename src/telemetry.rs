//! Logging: `tracing` to stderr, filtered by `RUST_LOG` or `log.level`, and
//! one line per request.

use std::time::Instant;

use actix_web::Error;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use tracing::Level;
use tracing_subscriber::EnvFilter;

/// Installs the global subscriber; a second call (as in tests) is a no-op.
pub fn init(level: &str) {
    let filter = EnvFilter::try_from_default_env()
        .or_else(|_| EnvFilter::try_new(level))
        .unwrap_or_else(|_| EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

/// Middleware: logs method, path (never the query or any header, so never a
/// token), status and latency. The line is only formatted when `info` is
/// enabled, which keeps the hot path free when it is not.
pub async fn log_request(
    request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let started = Instant::now();
    let logged = tracing::enabled!(target: "coffee_shop::request", Level::INFO)
        .then(|| (request.method().clone(), request.path().to_owned()));
    let response = next.call(request).await?;
    if let Some((method, path)) = logged {
        tracing::info!(
            target: "coffee_shop::request",
            %method,
            path,
            status = response.status().as_u16(),
            latency_ms = %format!("{:.3}", started.elapsed().as_secs_f64() * 1e3),
            "request"
        );
    }
    Ok(response)
}
