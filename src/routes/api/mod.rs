//! The JSON API, wire-compatible with the Flask "Coffee Shop" API.

mod body;
pub use body::BodyLimits;
mod drinks;
pub mod openapi;

use actix_web::web;

pub fn configure(cfg: &mut web::ServiceConfig) {
    drinks::configure(cfg);
    cfg.service(
        web::resource("/openapi.json")
            .route(web::get().to(openapi::serve))
            .default_service(crate::routes::fallback::method_not_allowed("GET")),
    );
}
