//! HEAD is answered wherever GET is (RFC 9110 §9.1): the request is routed
//! as a GET, and the HTTP/1 codec, which remembers that the client asked
//! for HEAD, sends the same status and headers (`Content-Length`, `ETag`,
//! `Content-Encoding`) without the body.

use actix_web::Error;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::Next;

/// Middleware: routes HEAD as GET.
pub async fn head_as_get(
    mut request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    if request.method() == Method::HEAD {
        request.head_mut().method = Method::GET;
    }
    next.call(request).await
}
