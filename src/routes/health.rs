//! Liveness (`/healthz`, touches nothing) and readiness (`/readyz`, checks the
//! database and the signing keys).

use actix_web::{HttpResponse, web};
use serde_json::json;

use crate::auth::{KeysStatus, TokenVerifier};
use crate::db::Database;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/healthz", web::get().to(healthz))
        .route("/readyz", web::get().to(readyz));
}

async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({"success": true, "status": "alive"}))
}

async fn readyz(database: web::Data<Database>, verifier: web::Data<TokenVerifier>) -> HttpResponse {
    let database_ready = database.is_ready().await;
    let keys = verifier.keys_status();
    let keys_check = match &keys {
        KeysStatus::Loaded { keys } => format!("ok: {keys} keys loaded"),
        KeysStatus::Loading { url } => {
            format!("not ready: cannot load the signing keys from {url} yet")
        }
        KeysStatus::NotConfigured => {
            "not ready: sign-in is not configured (set auth.issuer or auth.domain)".to_owned()
        }
    };
    let database_check = if database_ready {
        "ok"
    } else {
        "not ready: the database does not answer"
    };
    let checks = json!({"database": database_check, "signing_keys": keys_check});
    if database_ready && matches!(keys, KeysStatus::Loaded { .. }) {
        HttpResponse::Ok().json(json!({"success": true, "checks": checks}))
    } else {
        let not_ready: Vec<&str> = [
            ("database", !database_ready),
            ("signing keys", !matches!(keys, KeysStatus::Loaded { .. })),
        ]
        .into_iter()
        .filter_map(|(name, failing)| failing.then_some(name))
        .collect();
        HttpResponse::ServiceUnavailable().json(json!({
            "success": false,
            "error": 503,
            "code": "not_ready",
            "message": format!("not ready: {}", not_ready.join(", ")),
            "checks": checks,
        }))
    }
}
