//! HTTP plumbing shared by every route group: the middleware stack, the
//! JSON body reader, conditional requests, and the error nets.
//!
//! The stack, outermost first (the one place its order is decided, in
//! `wrap_app` and, for the pages, `routes::admin::configure`):
//! 1. `request_log`: gives the request its id, logs the final status and
//!    remembers server errors (`server_errors`), so it wraps everything;
//! 2. `metrics`, with metrics on: counts and times what the log records,
//!    so the two agree;
//! 3. `dev_hosts`, in development mode only: loopback `Host` names only;
//! 4. `Strict-Transport-Security`, when TLS is on, on every answer;
//! 5. `json_errors`: turns any error that is not JSON or a page yet into
//!    the API's JSON shape, CORS refusals included;
//! 6. `head`: routes HEAD as GET, below the log (which records HEAD);
//! 7. `cors`: adds CORS headers to every answer, errors too;
//! 8. the router; under `/admin`, `html_pages` renders errors as pages and
//!    adds the pages' security headers.

pub mod cors;
pub mod dev_hosts;
pub mod head;
pub mod html_pages;
pub mod json_body;
pub mod json_errors;
pub mod metrics;
pub mod preconditions;
pub mod request_log;
pub mod server_errors;

use std::sync::Arc;

use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::middleware::{Condition, DefaultHeaders, from_fn};
use actix_web::{App, Error, web};

use crate::config::CorsSettings;
use dev_hosts::DevelopmentHosts;
use server_errors::ServerErrors;

/// What the shared stack needs to know about the server.
#[derive(Debug, Clone)]
pub struct Stack {
    pub cors: CorsSettings,
    /// `Strict-Transport-Security` max-age, when TLS is on.
    pub hsts_max_age_secs: Option<u64>,
    /// In development mode: the port loopback `Host` names must carry.
    pub development: Option<DevelopmentHosts>,
    /// Requests are counted and timed (`metrics.enabled`).
    pub metrics: bool,
    /// Where `request_log` remembers server errors, for the System page.
    pub server_errors: Arc<ServerErrors>,
}

/// Wraps the application in the shared middleware stack (order above).
pub fn wrap_app<T, B>(
    app: App<T>,
    stack: &Stack,
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
    let app = app.app_data(web::Data::from(Arc::clone(&stack.server_errors)));
    let app = match stack.development {
        Some(hosts) => app.app_data(web::Data::new(hosts)),
        None => app,
    };
    // The last `.wrap()` is outermost.
    app.wrap(cors::cors(&stack.cors))
        .wrap(from_fn(head::head_as_get))
        .wrap(from_fn(json_errors::json_errors))
        .wrap(strict_transport_security(stack.hsts_max_age_secs))
        .wrap(Condition::new(
            stack.development.is_some(),
            from_fn(dev_hosts::loopback_hosts_only),
        ))
        .wrap(Condition::new(stack.metrics, from_fn(metrics::observe)))
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
