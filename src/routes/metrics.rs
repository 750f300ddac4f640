//! `/metrics`: the Prometheus text exposition. On the scrape listener
//! (`metrics.bind`) it answers anyone who can reach that address; on the
//! main port it exists only when `metrics.token` is set, and answers only
//! `Authorization: Bearer <token>` (compared in constant time).

use std::sync::Arc;

use actix_web::http::header::{AUTHORIZATION, CACHE_CONTROL, CONTENT_TYPE};
use actix_web::{HttpRequest, HttpResponse, web};
use metrics_exporter_prometheus::PrometheusHandle;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::auth::{KeysStatus, TokenVerifier};
use crate::config::Secret;
use crate::db::Database;
use crate::error::ApiError;
use crate::http::json_errors::read_only_resource;
use crate::metrics::Scrape;
use crate::paths;
use crate::system::ServerFacts;

/// What a scrape reads, shared by the listeners that serve it.
pub struct MetricsSource {
    pub exporter: PrometheusHandle,
    pub facts: Arc<ServerFacts>,
}

/// Who may scrape on this listener.
pub enum ScrapeAccess {
    /// The scrape listener: whoever reaches its address.
    Anyone,
    /// The main port: holders of `metrics.token`.
    Token(Secret),
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(read_only_resource(paths::METRICS, scrape));
}

async fn scrape(
    request: HttpRequest,
    access: web::Data<ScrapeAccess>,
    source: web::Data<MetricsSource>,
    database: web::Data<Database>,
    verifier: web::Data<TokenVerifier>,
) -> Result<HttpResponse, ApiError> {
    if let ScrapeAccess::Token(token) = access.get_ref()
        && !presents(&request, token)
    {
        return Err(ApiError::MetricsTokenRequired);
    }
    let now = jsonwebtoken::get_current_timestamp() as i64;
    let sessions_active = database
        .read(move |tables| tables.count_active_sessions(now))
        .await?;
    let facts = &source.facts;
    let scrape = Scrape {
        database_bytes: facts.database_bytes(),
        sessions_active,
        signing_keys: match verifier.keys_status() {
            KeysStatus::Loaded { keys } => Some(keys),
            KeysStatus::Loading { .. } => Some(0),
            KeysStatus::NotConfigured => None,
        },
        // Never fetched: counted from start-up, so an alert on the age fires
        // for a provider that was never reachable too.
        keys_fetched_at: verifier
            .key_store()
            .map(|keys| keys.last_success().unwrap_or(facts.started)),
        certificate_expires: facts
            .certificates
            .as_ref()
            .and_then(|store| store.serving())
            .map(|certificate| certificate.not_after),
    };
    let body = scrape.render(&source.exporter, facts.started);
    Ok(HttpResponse::Ok()
        .insert_header((CONTENT_TYPE, PROMETHEUS_TEXT))
        .insert_header((CACHE_CONTROL, "no-store"))
        .body(body))
}

/// The text exposition format's media type.
const PROMETHEUS_TEXT: &str = "text/plain; version=0.0.4; charset=utf-8";

/// True when the request carries `Bearer <token>`. The SHA-256 digests are
/// compared, in constant time, so not even the token's length shows.
fn presents(request: &HttpRequest, token: &Secret) -> bool {
    let Some(presented) = request
        .headers()
        .get(AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
    else {
        return false;
    };
    let digest = |text: &str| -> [u8; 32] { Sha256::digest(text.as_bytes()).into() };
    digest(presented.trim())
        .ct_eq(&digest(token.expose()))
        .into()
}
