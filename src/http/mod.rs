//! HTTP plumbing shared by every route group: the middleware stack, the
//! JSON body reader, conditional requests, and the error nets.
//!
//! The stack, outermost first (the one place its order is decided, in
//! `wrap_app` and, for the pages, `routes::admin::configure`):
//! 1. `request_log`: gives the request its id and logs the final status,
//!    so it wraps everything;
//! 2. `Strict-Transport-Security`, when TLS is on, on every answer;
//! 3. `json_errors`: turns any error that is not JSON or a page yet into
//!    the API's JSON shape, CORS refusals included;
//! 4. `head`: routes HEAD as GET, below the log (which records HEAD);
//! 5. `cors`: adds CORS headers to every answer, errors too;
//! 6. the router; under `/admin`, `html_pages` renders errors as pages and
//!    adds the pages' security headers.

pub mod cors;
pub mod head;
pub mod html_pages;
pub mod json_body;
pub mod json_errors;
pub mod preconditions;
pub mod request_log;

use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::middleware::{Condition, DefaultHeaders, from_fn};
use actix_web::{App, Error};

use crate::config::CorsSettings;

/// Wraps the application in the shared middleware stack (order above).
pub fn wrap_app<T, B>(
    app: App<T>,
    cors_settings: &CorsSettings,
    hsts_max_age_secs: Option<u64>,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody + use<T, B>>,
        Error = Error,
        InitError = (),
    > + use<T, B>,
>
where
    T: ServiceFactory<
            ServiceRequest,
            Config = (),
            Response = ServiceResponse<B>,
            Error = Error,
            InitError = (),
        > + 'static,
    T::Service: 'static,
    <T::Service as Service<ServiceRequest>>::Future: 'static,
    B: MessageBody + 'static,
{
    // The last `.wrap()` is outermost.
    app.wrap(cors::cors(cors_settings))
        .wrap(from_fn(head::head_as_get))
        .wrap(from_fn(json_errors::json_errors))
        .wrap(strict_transport_security(hsts_max_age_secs))
        .wrap(from_fn(request_log::log_request))
}

/// `Strict-Transport-Security` with `max_age_secs` (none when `None` or 0):
/// browsers then never try plain HTTP for this host again.
fn strict_transport_security(max_age_secs: Option<u64>) -> Condition<DefaultHeaders> {
    let max_age = max_age_secs.unwrap_or(0);
    Condition::new(
        max_age > 0,
        DefaultHeaders::new().add((
            actix_web::http::header::STRICT_TRANSPORT_SECURITY,
            format!("max-age={max_age}"),
        )),
    )
}
