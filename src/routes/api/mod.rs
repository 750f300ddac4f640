//! The JSON API, wire-compatible with the Flask "Coffee Shop" API.

mod body;
pub use body::BodyLimits;
mod drinks;

use actix_web::web;

pub fn configure(cfg: &mut web::ServiceConfig) {
    drinks::configure(cfg);
}
