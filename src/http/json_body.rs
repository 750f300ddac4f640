//! Reads a JSON request body, inside the handler and after the permission
//! check: actix runs a handler's extractors concurrently, and a client
//! without the permission must get 401/403, not a complaint about its body.

use std::time::Duration;

use actix_web::dev::JsonBody;
use actix_web::error::JsonPayloadError;
use actix_web::{HttpRequest, web};
use serde_json::Value;

use crate::error::ApiError;

/// How large a body may be and how long it may take to arrive; set from
/// `server.max_body_bytes` and `server.body_timeout_ms` as app data.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimits {
    pub max_bytes: usize,
    pub timeout: Duration,
}

/// The body as JSON: 415 unless sent as JSON, 413 over the limit, 408 when
/// it trickles in too slowly, 400 unless well-formed.
pub async fn read_json(request: &HttpRequest, payload: web::Payload) -> Result<Value, ApiError> {
    let limits = *request
        .app_data::<BodyLimits>()
        .ok_or_else(|| ApiError::internal("BodyLimits is not registered"))?;
    let mut payload = payload.into_inner();
    let body = JsonBody::<Value>::new(request, &mut payload, None, true).limit(limits.max_bytes);
    tokio::time::timeout(limits.timeout, body)
        .await
        .map_err(|_| {
            ApiError::RequestTimeout(format!(
                "the request body did not arrive within {} ms",
                limits.timeout.as_millis()
            ))
        })?
        .map_err(|error| json_error(error, limits.max_bytes))
}

fn json_error(error: JsonPayloadError, limit: usize) -> ApiError {
    match error {
        JsonPayloadError::OverflowKnownLength { .. } | JsonPayloadError::Overflow { .. } => {
            ApiError::PayloadTooLarge(format!("the request body is larger than {limit} bytes"))
        }
        JsonPayloadError::ContentType => ApiError::UnsupportedMediaType(
            "the request body must be JSON, sent with Content-Type: application/json".into(),
        ),
        JsonPayloadError::Deserialize(cause) => {
            ApiError::BadRequest(format!("the request body is not valid JSON: {cause}"))
        }
        other => ApiError::BadRequest(format!("cannot read the request body: {other}")),
    }
}
