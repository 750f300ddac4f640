//! `GET /admin/system`, for managers: is all well, and if not, what. The
//! verdict (`system::assessment`) comes first, then the facts behind it:
//! the build, the database, sign-in and its keys, the sessions, HTTPS and
//! the latest server errors. Plain HTML: it works with JavaScript off.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use actix_web::{HttpResponse, web};
use askama::Template;

use super::context::Admin;
use super::render;
use super::views::{Layout, Moment};
use crate::auth::TokenVerifier;
use crate::auth::jwks::{FetchHistory, KeyStore};
use crate::db::{Database, StoredSession};
use crate::domain::Permissions;
use crate::elapsed::{age, in_words};
use crate::error::{PageError, error_chain};
use crate::http::server_errors::ServerError;
use crate::paths;
use crate::system::assessment::{self, Assessment, BackupsObserved, KeysObserved, Observations};
use crate::system::{self, ServerFacts};
use crate::tls::TlsState;

/// The page lists at most this many sessions (and says how many there are).
const SESSIONS_SHOWN: i64 = 50;

pub async fn system_page(
    admin: Admin,
    facts: web::Data<ServerFacts>,
    database: web::Data<Database>,
    verifier: web::Data<TokenVerifier>,
) -> Result<HttpResponse, PageError> {
    admin.require_manager()?;
    let now = SystemTime::now();
    let unix_now = jsonwebtoken::get_current_timestamp() as i64;
    // A database that does not answer is a finding on the page, not an
    // error page; the cause goes to the log.
    let stored = database
        .read(move |tables| {
            Ok(StoredFacts {
                schema_version: tables.schema_version()?,
                sessions_active: tables.count_active_sessions(unix_now)?,
                sessions: tables.list_active_sessions(unix_now, SESSIONS_SHOWN)?,
            })
        })
        .await
        .inspect_err(|error| tracing::error!(error = %error_chain(error), "the System page could not read the database"))
        .ok();
    let keys = verifier.key_store().map(|store| KeysView::of(store, now));
    let tls = facts.certificates.as_ref().map(|store| store.state());
    let server_errors = facts.server_errors.newest_first();
    let backup_state = facts.backups.state();
    let verdict = assessment::assess(&Observations {
        now,
        database_ready: stored.is_some(),
        keys: keys
            .as_ref()
            .map_or(KeysObserved::NoProvider, KeysView::observed),
        development: facts.development,
        tls: tls.as_ref(),
        server_errors: &server_errors,
        backups: BackupsObserved {
            overdue: facts.backups.is_overdue(now),
            failure: backup_state.last_failure().map(|(_, why)| why.as_str()),
        },
    });
    render(&SystemPage {
        layout: admin.layout("System", "system"),
        verdict,
        server: ServerView::of(&facts, now),
        database: DatabaseView::of(&facts, stored.as_ref()),
        issuer: facts.issuer.clone(),
        development: facts.development,
        keys,
        sessions: stored.map(|stored| SessionsView::of(stored, now)),
        https: tls.map(|state| HttpsView::of(state, now)),
        server_errors: server_errors.iter().map(ErrorLine::of).collect(),
        backup_line: facts.backups.line(now),
    })
}

/// What the page reads from the database, in one trip.
struct StoredFacts {
    schema_version: i64,
    sessions_active: u64,
    sessions: Vec<StoredSession>,
}

#[derive(Template)]
#[template(path = "admin/system.html")]
pub struct SystemPage {
    pub layout: Layout,
    pub verdict: Assessment,
    pub server: ServerView,
    pub database: DatabaseView,
    pub issuer: Option<String>,
    pub development: bool,
    /// With a provider configured.
    pub keys: Option<KeysView>,
    /// When the database answered.
    pub sessions: Option<SessionsView>,
    /// With TLS on.
    pub https: Option<HttpsView>,
    pub server_errors: Vec<ErrorLine>,
    /// "Last backup 2 h ago, uploaded."
    pub backup_line: String,
}

pub struct ServerView {
    pub version: &'static str,
    pub commit: &'static str,
    pub target: &'static str,
    pub started: Moment,
    pub uptime: String,
}

impl ServerView {
    fn of(facts: &ServerFacts, now: SystemTime) -> Self {
        Self {
            version: system::VERSION,
            commit: system::COMMIT,
            target: system::TARGET,
            started: Moment::at(facts.started),
            uptime: in_words(facts.uptime(now)),
        }
    }
}

pub struct DatabaseView {
    pub engine: &'static str,
    /// The SQLite file, or the PostgreSQL URL without its password.
    pub file: String,
    /// On disk, for SQLite (PostgreSQL's server knows its own).
    pub size: Option<String>,
    /// `None` when the database did not answer.
    pub schema_version: Option<i64>,
}

impl DatabaseView {
    fn of(facts: &ServerFacts, stored: Option<&StoredFacts>) -> Self {
        Self {
            engine: facts.database.engine(),
            file: facts.database.shown(),
            size: facts
                .database
                .url
                .is_none()
                .then(|| size_in_words(facts.database_bytes())),
            schema_version: stored.map(|stored| stored.schema_version),
        }
    }
}

/// The provider's signing keys and how fetching them has gone.
pub struct KeysView {
    pub url: String,
    pub key_ids: Vec<String>,
    pub loaded: bool,
    pub last_fetch: Option<FetchLine>,
    pub next_refresh: Option<Moment>,
    pub next_refresh_in: String,
    pub recent_failures: Vec<FetchLine>,
    history: FetchHistory,
    refresh_interval: Duration,
}

/// One fetch: when, how long ago, and why it failed if it did.
pub struct FetchLine {
    pub at: Moment,
    pub ago: String,
    pub failure: Option<String>,
}

impl KeysView {
    fn of(store: &KeyStore, now: SystemTime) -> Self {
        let history = store.history();
        let line = |at: SystemTime, failure: &Option<String>| FetchLine {
            at: Moment::at(at),
            ago: in_words(age(now, at)),
            failure: failure.clone(),
        };
        Self {
            url: store.url().to_owned(),
            key_ids: store.key_ids(),
            loaded: store.loaded_keys().is_some(),
            last_fetch: history
                .last_attempt
                .as_ref()
                .map(|attempt| line(attempt.at, &attempt.failure)),
            next_refresh: history.next_refresh.map(Moment::at),
            next_refresh_in: history
                .next_refresh
                .and_then(|at| at.duration_since(now).ok())
                .map_or("due now".to_owned(), |wait| {
                    format!("in {}", in_words(wait))
                }),
            recent_failures: history
                .recent_failures
                .iter()
                .map(|attempt| line(attempt.at, &attempt.failure))
                .collect(),
            refresh_interval: store.refresh_interval(),
            history,
        }
    }

    fn observed(&self) -> KeysObserved<'_> {
        KeysObserved::Provider {
            loaded: self.loaded,
            history: &self.history,
            refresh_interval: self.refresh_interval,
        }
    }
}

pub struct SessionsView {
    pub active: u64,
    pub lines: Vec<SessionLine>,
}

pub struct SessionLine {
    pub person: String,
    pub subject: String,
    pub role: String,
    pub signed_in: Moment,
    pub expires: Moment,
    pub expires_in: String,
}

impl SessionsView {
    fn of(stored: StoredFacts, now: SystemTime) -> Self {
        let lines = stored
            .sessions
            .into_iter()
            .map(|session| {
                let expires = UNIX_EPOCH + Duration::from_secs(session.expires_at.max(0) as u64);
                SessionLine {
                    role: role_of(&session.permissions),
                    person: session.person.shown_as(),
                    subject: session.person.subject,
                    signed_in: Moment::of_stored(&session.created_at),
                    expires: Moment::at(expires),
                    expires_in: in_words(expires.duration_since(now).unwrap_or_default()),
                }
            })
            .collect();
        Self {
            active: stored.sessions_active,
            lines,
        }
    }
}

/// "Manager", "Barista", or the permissions a session holds.
fn role_of(names: &[String]) -> String {
    let permissions: Permissions = names.iter().map(String::as_str).collect();
    if permissions.is_manager() {
        "Manager".to_owned()
    } else if permissions.is_barista() {
        "Barista".to_owned()
    } else if names.is_empty() {
        "No permissions".to_owned()
    } else {
        names.join(", ")
    }
}

/// HTTPS: the certificate served, or why there is none.
pub enum HttpsView {
    Pending(String),
    Serving {
        subject: String,
        names: String,
        expires: Moment,
        expires_in: String,
        next_renewal: Option<Moment>,
    },
}

impl HttpsView {
    fn of(state: TlsState, now: SystemTime) -> Self {
        match state {
            TlsState::Pending { reason } => Self::Pending(reason),
            TlsState::Serving {
                certificate,
                next_renewal,
                ..
            } => Self::Serving {
                subject: certificate.subject,
                names: certificate.names.join(", "),
                expires: Moment::at(certificate.not_after),
                expires_in: in_words(
                    certificate
                        .not_after
                        .duration_since(now)
                        .unwrap_or_default(),
                ),
                next_renewal: next_renewal.map(Moment::at),
            },
        }
    }
}

pub struct ErrorLine {
    pub at: Moment,
    pub status: u16,
    pub method: String,
    pub path: String,
    pub request_id: String,
}

impl ErrorLine {
    fn of(error: &ServerError) -> Self {
        Self {
            at: Moment::at(error.at),
            status: error.status,
            method: error.method.clone(),
            path: error.path.clone(),
            request_id: error.request_id.clone(),
        }
    }
}

/// Bytes as people read them: "820 KB", "1.4 MB".
fn size_in_words(bytes: u64) -> String {
    const KB: f64 = 1000.0;
    let bytes = bytes as f64;
    if bytes < KB * (KB - 0.5) {
        format!("{:.0} KB", (bytes / KB).ceil())
    } else if bytes < KB * KB * KB {
        format!("{:.1} MB", bytes / (KB * KB))
    } else {
        format!("{:.1} GB", bytes / (KB * KB * KB))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_read_as_people_say_them() {
        let names = |list: &[&str]| list.iter().map(|p| (*p).to_owned()).collect::<Vec<_>>();
        let all: Vec<&str> = crate::domain::Permission::ALL
            .iter()
            .map(|p| p.as_str())
            .collect();
        assert_eq!(role_of(&names(&all)), "Manager");
        assert_eq!(role_of(&names(&["get:drinks-detail"])), "Barista");
        assert_eq!(
            role_of(&names(&["get:drinks-detail", "post:drinks"])),
            "get:drinks-detail, post:drinks"
        );
        assert_eq!(role_of(&[]), "No permissions");
    }

    #[test]
    fn sizes_read_as_people_say_them() {
        assert_eq!(size_in_words(0), "0 KB");
        assert_eq!(size_in_words(4096), "5 KB");
        assert_eq!(size_in_words(999_999), "1.0 MB");
        assert_eq!(size_in_words(1_400_000), "1.4 MB");
        assert_eq!(size_in_words(2_500_000_000), "2.5 GB");
    }
}
