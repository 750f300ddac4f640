//! Liveness (`/healthz`, touches nothing) and readiness (`/readyz`, checks the
//! database, the signing keys and, when TLS is on, the certificate).

use std::time::SystemTime;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde_json::json;

use utoipa::openapi::schema::{ObjectBuilder, Type};

use crate::auth::{KeysStatus, TokenVerifier};
use crate::backup::BackupStatus;
use crate::db::Database;
use crate::error::{ErrorBody, error_body};
use crate::http::json_errors::read_only_resource;
use crate::paths;
use crate::routes::api::schema::named_schema;
use crate::system::ServerFacts;
use crate::tls::CertificateStore;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(read_only_resource(paths::HEALTHZ, healthz))
        .service(read_only_resource(paths::READYZ, readyz));
}

/// Liveness: answers while the process runs; touches nothing.
#[utoipa::path(get, path = "/healthz", tag = "health",
    responses((status = 200, description = "Alive", body = Liveness)))]
pub(crate) async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({"success": true, "status": "alive"}))
}

/// Readiness: the database answers and the signing keys are loaded.
#[utoipa::path(get, path = "/readyz", tag = "health",
    responses(
        (status = 200, description = "Ready", body = Readiness),
        (status = 503, description = "Not ready; `checks` says which part", body = ErrorBody),
    ))]
pub(crate) async fn readyz(
    database: web::Data<Database>,
    verifier: web::Data<TokenVerifier>,
    tls: Option<web::Data<CertificateStore>>,
    facts: Option<web::Data<ServerFacts>>,
) -> HttpResponse {
    let database_ready = database.is_ready().await;
    // Only there when TLS is on: "pending: <reason>" until a certificate
    // arrives, "expired: …" if renewals kept failing.
    let tls_state = tls.map(|store| store.state());
    let tls_ready = tls_state
        .as_ref()
        .is_none_or(|state| state.is_usable(SystemTime::now()));
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
        "down: the database does not answer"
    };
    let mut checks = json!({"database": database_check, "signing_keys": keys_check});
    if let Some(state) = &tls_state {
        checks["tls"] = json!(state.summary(SystemTime::now()));
    }
    // Said, never counted against readiness: serving goes on without backups.
    if let Some(facts) = &facts {
        checks["backup"] = json!(backup_check(&facts.backups));
    }
    if database_ready && tls_ready && matches!(keys, KeysStatus::Loaded { .. }) {
        HttpResponse::Ok().json(json!({"success": true, "checks": checks}))
    } else {
        let not_ready: Vec<&str> = [
            ("database", !database_ready),
            ("signing keys", !matches!(keys, KeysStatus::Loaded { .. })),
            ("tls", !tls_ready),
        ]
        .into_iter()
        .filter_map(|(name, failing)| failing.then_some(name))
        .collect();
        let mut body = error_body(
            StatusCode::SERVICE_UNAVAILABLE,
            "not_ready",
            &format!("not ready: {}", not_ready.join(", ")),
        );
        body["checks"] = checks;
        HttpResponse::ServiceUnavailable().json(body)
    }
}

/// "ok: Last backup …", "failing: …" or "overdue: …" ("off" when unscheduled).
fn backup_check(backups: &BackupStatus) -> String {
    let now = SystemTime::now();
    let line = backups.line(now);
    if backups.plan.interval.is_none() {
        "off".to_owned()
    } else if backups.state().last_failure().is_some() {
        format!("failing: {line}")
    } else if backups.is_overdue(now) {
        format!("overdue: {line}")
    } else {
        format!("ok: {line}")
    }
}

/// `GET /healthz`: the process is alive.
pub struct Liveness;

named_schema!(
    Liveness,
    "Liveness",
    ObjectBuilder::new()
        .property("success", ObjectBuilder::new().schema_type(Type::Boolean))
        .property("status", ObjectBuilder::new().schema_type(Type::String))
        .required("success")
        .required("status")
        .into()
);

/// `GET /readyz` when ready: the state of each dependency.
pub struct Readiness;

named_schema!(
    Readiness,
    "Readiness",
    ObjectBuilder::new()
        .property("success", ObjectBuilder::new().schema_type(Type::Boolean))
        .property(
            "checks",
            ObjectBuilder::new()
                .property("database", ObjectBuilder::new().schema_type(Type::String))
                .property(
                    "signing_keys",
                    ObjectBuilder::new().schema_type(Type::String)
                )
                .property(
                    "backup",
                    ObjectBuilder::new()
                        .schema_type(Type::String)
                        .description(Some(
                            "Scheduled backups: `ok: Last backup 2 h ago, uploaded.`, `failing: …`, \
                             `overdue: …` or `off`. Never makes the server unready"
                        ))
                )
                .property(
                    "tls",
                    ObjectBuilder::new()
                        .schema_type(Type::String)
                        .description(Some(
                            "Only when TLS is on: the certificate served (subject, names, days to \
                         expiry, next renewal), or `pending: <reason>` before one arrives"
                        ))
                ),
        )
        .required("success")
        .required("checks")
        .into()
);
