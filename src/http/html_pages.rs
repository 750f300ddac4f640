//! Middleware for the server-rendered pages: every answer carries the
//! security headers, and every error becomes a page (rendered by whoever
//! owns the pages, through `ErrorPages`), never JSON or a bare status.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::{
    CACHE_CONTROL, CONTENT_TYPE, HeaderName, HeaderValue, REFERRER_POLICY, X_CONTENT_TYPE_OPTIONS,
    X_FRAME_OPTIONS,
};
use actix_web::middleware::Next;
use actix_web::{Error, HttpRequest, web};

/// Renders an error page; registered as `web::Data<dyn ErrorPages>`.
pub trait ErrorPages: Send + Sync {
    /// The page's HTML for `status` in answer to `request`, caused by
    /// `error` when a handler failed.
    fn render(&self, status: StatusCode, error: Option<&Error>, request: &HttpRequest) -> String;

    /// The `Content-Security-Policy` for every page.
    fn content_security_policy(&self) -> HeaderValue;
}

/// Middleware: renders errors as pages and adds the security headers.
pub async fn html_pages(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let pages = request.app_data::<web::Data<dyn ErrorPages>>().cloned();
    let mut response = next.call(request).await?.map_into_boxed_body();
    let status = response.status();
    // A form shown again with its errors (422, 409) is already a page.
    let is_page = response
        .headers()
        .get(CONTENT_TYPE)
        .is_some_and(|t| t.as_bytes().starts_with(b"text/html"));
    let needs_page = (status.is_client_error() || status.is_server_error())
        && (response.response().error().is_some() || !is_page);
    if let Some(pages) = pages.as_ref().filter(|_| needs_page) {
        let html = pages.render(status, response.response().error(), response.request());
        response = response.map_body(|head, _| {
            head.headers_mut().insert(
                CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            );
            BoxBody::new(html)
        });
    }
    let headers = response.headers_mut();
    if let Some(pages) = &pages {
        headers.insert(
            HeaderName::from_static("content-security-policy"),
            pages.content_security_policy(),
        );
    }
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    headers.insert(X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    if !headers.contains_key(CACHE_CONTROL) {
        // Pages show who is signed in and what they may do: never cache them.
        headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    Ok(response)
}
