//! HTTP routes, one `configure` per group, plus the fallbacks that keep every
//! error in the JSON shape.

pub mod admin;
pub mod api;
pub mod fallback;
pub mod frontend;
pub mod health;

use actix_web::web::ServiceConfig;

/// Registers every route group.
pub fn configure(cfg: &mut ServiceConfig) {
    health::configure(cfg);
    api::configure(cfg);
    admin::configure(cfg);
}
