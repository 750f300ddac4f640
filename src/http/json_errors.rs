//! The JSON error net: what answers when no route or no method does, and
//! the middleware that turns any remaining error that is neither JSON nor a
//! page (from actix itself or a middleware) into the API's JSON shape.

use crate::error::{ApiError, error_body};
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{CONTENT_TYPE, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{
    Error, FromRequest, Handler, HttpRequest, HttpResponse, Resource, Responder, Route, web,
};

/// The app's default service: no such route.
pub async fn not_found(request: HttpRequest) -> Result<HttpResponse, ApiError> {
    Err(ApiError::not_found(format!(
        "there is no route {} {}",
        request.method(),
        request.path()
    )))
}

/// A resource's default service: the path exists, the method does not.
/// `allowed` lists HEAD wherever it lists GET (`head` answers it).
pub fn method_not_allowed(allowed: &'static str) -> Route {
    web::to(move || async move { Err::<HttpResponse, _>(ApiError::MethodNotAllowed { allowed }) })
}

/// A resource that answers GET (and so HEAD) with `handler`, and anything
/// else with the JSON 405.
pub fn read_only_resource<F, Args>(path: &str, handler: F) -> Resource
where
    F: Handler<Args>,
    Args: FromRequest + 'static,
    F::Output: Responder + 'static,
{
    web::resource(path)
        .route(web::get().to(handler))
        .default_service(method_not_allowed("GET, HEAD"))
}

/// Middleware: rewrites error responses that are not JSON yet.
pub async fn json_errors(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    // Handlers and the CORS middleware turn their errors into responses, so
    // everything arrives here as `Ok` and can be rewritten.
    let response = next.call(request).await?.map_into_boxed_body();
    let status = response.status();
    // JSON errors are already right; HTML ones are the admin pages' own.
    let already_shaped = response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json") || v.starts_with("text/html"));
    if !(status.is_client_error() || status.is_server_error()) || already_shaped {
        return Ok(response);
    }
    let message = match response.response().error() {
        Some(error) if status.is_client_error() => error.to_string(),
        _ => status.canonical_reason().unwrap_or("error").to_lowercase(),
    };
    if status.is_server_error() {
        tracing::error!(%status, %message, "a framework error reached the client");
    }
    Ok(response.map_body(|head, _| {
        head.headers_mut()
            .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        BoxBody::new(error_body(status, "http_error", &message).to_string())
    }))
}
