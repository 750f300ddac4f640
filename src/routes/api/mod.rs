//! The JSON API, wire-compatible with the Flask "Coffee Shop" API.

mod drinks;
pub mod openapi;
pub mod schema;

use actix_web::web;

use crate::http::json_errors::read_only_resource;
use crate::paths;

pub fn configure(cfg: &mut web::ServiceConfig) {
    drinks::configure(cfg);
    cfg.service(read_only_resource(paths::OPENAPI, openapi::serve));
}
