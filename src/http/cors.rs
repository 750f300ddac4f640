//! CORS for the mobile app, which is served from another origin.

use actix_cors::Cors;
use actix_web::http::header::{AUTHORIZATION, CONTENT_TYPE, RETRY_AFTER, WWW_AUTHENTICATE};

use crate::config::CorsSettings;

/// The CORS middleware for `settings.allowed_origins` (`*` for any).
pub fn cors(settings: &CorsSettings) -> Cors {
    let cors = Cors::default()
        .allowed_methods(["GET", "POST", "PATCH", "DELETE"])
        .allowed_headers([AUTHORIZATION, CONTENT_TYPE])
        // So the app can read why it was refused and when to retry.
        .expose_headers([WWW_AUTHENTICATE, RETRY_AFTER])
        .max_age(3600);
    if settings.allowed_origins.iter().any(|origin| origin == "*") {
        cors.allow_any_origin().send_wildcard()
    } else {
        settings
            .allowed_origins
            .iter()
            .fold(cors, |cors, origin| cors.allowed_origin(origin))
    }
}
