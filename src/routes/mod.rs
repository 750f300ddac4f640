//! HTTP routes, one `configure` per group.

pub mod admin;
pub mod api;
pub mod frontend;
pub mod health;
pub mod metrics;
pub mod plain_http;

use actix_web::web::ServiceConfig;

/// Registers every route group.
pub fn configure(cfg: &mut ServiceConfig) {
    health::configure(cfg);
    api::configure(cfg);
    admin::configure(cfg);
}
