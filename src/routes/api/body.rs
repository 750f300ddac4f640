//! Reads a JSON request body, inside the handler and after the permission
//! check: actix runs a handler's extractors concurrently, and a client
//! without the permission must get 401/403, not a complaint about its body.

use actix_web::dev::JsonBody;
use actix_web::error::JsonPayloadError;
use actix_web::{HttpRequest, web};
use serde_json::Value;

use crate::error::ApiError;

/// Largest accepted body; set from `server.max_body_bytes` as app data.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimit(pub usize);

/// The body as JSON: 415 unless sent as JSON, 413 over the limit, 400 unless well-formed.
pub async fn read_json(request: &HttpRequest, payload: web::Payload) -> Result<Value, ApiError> {
    let limit = request
        .app_data::<BodyLimit>()
        .ok_or_else(|| ApiError::internal("BodyLimit is not registered"))?
        .0;
    let mut payload = payload.into_inner();
    JsonBody::<Value>::new(request, &mut payload, None, true)
        .limit(limit)
        .await
        .map_err(|error| json_error(error, limit))
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
