//! The JSON API, wire-compatible with the Flask "Coffee Shop" API.

mod drinks;
pub mod openapi;
pub mod schema;

use actix_web::web;

use crate::http::json_errors::method_not_allowed;
use crate::paths;

pub fn configure(cfg: &mut web::ServiceConfig) {
    drinks::configure(cfg);
    cfg.service(
        web::resource(paths::OPENAPI)
            .route(web::get().to(openapi::serve))
            .default_service(method_not_allowed("GET, HEAD")),
    );
}
