//! Which error type is used where:
//! - `domain::ValidationErrors`: a request body broke a rule (built in `domain/`);
//! - `db::DbError`: wraps `rusqlite`/`r2d2`/migration errors (built in `db/`);
//! - `auth::AuthError`: a request is not authorised (built in `auth/`);
//! - `ApiError` (here): what a JSON route answers. Every other error converts
//!   into it, and it alone decides the status and the JSON body
//!   `{"success": false, "error": <status>, "message": "...", "code": "..."}`.
//!   Internal causes are logged with their whole chain, never shown.
//! - `PageError` (here): what an admin page answers. It decides the status;
//!   `routes::admin` renders it as an HTML page in the dashboard's look.

use std::fmt::Write as _;

use actix_web::http::StatusCode;
use actix_web::http::header::{ALLOW, LOCATION, RETRY_AFTER, WWW_AUTHENTICATE};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use serde_json::{Value, json};

use crate::auth::AuthError;
use crate::db::{DbError, StorageProblem};
use crate::domain::{FieldError, Permission, ValidationErrors};

/// Seconds a client should wait before retrying while signing keys load.
const KEYS_RETRY_AFTER_SECS: u32 = 5;
/// How soon a client may retry a write the database could not take.
const STORAGE_RETRY_AFTER_SECS: u32 = 5;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    BadRequest(String),
    #[error(transparent)]
    Auth(#[from] AuthError),
    #[error("{0}")]
    NotFound(String),
    #[error("this route allows only {allowed}")]
    MethodNotAllowed { allowed: &'static str },
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    PreconditionFailed(String),
    #[error("{0}")]
    PayloadTooLarge(String),
    #[error("{0}")]
    RequestTimeout(String),
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("the drink is invalid: {0}")]
    Validation(#[from] ValidationErrors),
    /// 503 or 507: the database cannot be written; reads still work.
    #[error("{message}")]
    Storage {
        problem: StorageProblem,
        message: &'static str,
    },
    /// 409: creating a drink would pass `menu.max_drinks`.
    #[error(
        "the menu already holds {max} drinks, the most it may (menu.max_drinks): \
         delete a drink before adding another"
    )]
    MenuFull { max: u32 },
    /// 401: `/metrics` on the main port without the right `metrics.token`.
    #[error("the metrics answer only to `Authorization: Bearer <metrics.token>`")]
    MetricsTokenRequired,
    #[error("internal error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// The API's error body: the one place its shape is written (and the type
/// the published OpenAPI document describes).
#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorBody<'a> {
    /// Always `false`.
    success: bool,
    /// The HTTP status, repeated for clients that only read the body.
    error: u16,
    /// What went wrong and what to do, for people.
    message: &'a str,
    /// A stable machine-readable name, e.g. `validation_failed`.
    code: &'a str,
    /// 422 only: every broken rule, by field.
    #[serde(skip_serializing_if = "Option::is_none")]
    fields: Option<Vec<FieldError>>,
    /// `/readyz` only: the state of each dependency.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    checks: Option<Value>,
}

/// `{"success": false, "error", "message", "code"}`; callers may add
/// `fields` or `checks`.
pub fn error_body(status: StatusCode, code: &str, message: &str) -> Value {
    serde_json::to_value(ErrorBody {
        success: false,
        error: status.as_u16(),
        message,
        code,
        fields: None,
        checks: None,
    })
    .unwrap_or_else(|_| json!({"success": false, "error": status.as_u16()}))
}

impl ApiError {
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::NotFound(message.into())
    }

    pub fn internal(cause: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        Self::Internal(cause.into())
    }

    /// A short machine-readable name for the error.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::BadRequest(_) => "bad_request",
            ApiError::Auth(AuthError::Unauthenticated { .. }) => "unauthorized",
            ApiError::Auth(AuthError::MissingPermission(_) | AuthError::NoPermissionsClaim) => {
                "forbidden"
            }
            ApiError::Auth(AuthError::NotConfigured) => "auth_not_configured",
            ApiError::Auth(AuthError::KeysUnavailable) => "signing_keys_unavailable",
            ApiError::NotFound(_) => "not_found",
            ApiError::MethodNotAllowed { .. } => "method_not_allowed",
            ApiError::Conflict(_) => "conflict",
            ApiError::MenuFull { .. } => "menu_full",
            ApiError::PreconditionFailed(_) => "precondition_failed",
            ApiError::PayloadTooLarge(_) => "payload_too_large",
            ApiError::RequestTimeout(_) => "request_timeout",
            ApiError::UnsupportedMediaType(_) => "unsupported_media_type",
            ApiError::Validation(_) => "validation_failed",
            ApiError::Storage {
                problem: StorageProblem::ReadOnly,
                ..
            } => "storage_read_only",
            ApiError::Storage {
                problem: StorageProblem::Full,
                ..
            } => "storage_full",
            ApiError::Storage {
                problem: StorageProblem::Unavailable,
                ..
            } => "storage_unavailable",
            ApiError::MetricsTokenRequired => "metrics_token_required",
            ApiError::Internal(_) => "internal",
        }
    }
}

impl From<DbError> for ApiError {
    fn from(error: DbError) -> Self {
        match error {
            DbError::TitleTaken => {
                ApiError::Conflict("a drink with this title already exists".into())
            }
            DbError::MenuFull { max } => ApiError::MenuFull { max },
            DbError::Stale => ApiError::PreconditionFailed(
                "the drink has changed since your copy (If-Match): fetch it again and retry".into(),
            ),
            other => match other.storage_problem() {
                Some(problem) => {
                    tracing::error!(error = %error_chain(&other), "a write failed: the database cannot be written");
                    ApiError::Storage {
                        problem,
                        message: storage_message(problem),
                    }
                }
                None => ApiError::internal(other),
            },
        }
    }
}

/// What a person is told when the database cannot take a change.
fn storage_message(problem: StorageProblem) -> &'static str {
    match problem {
        StorageProblem::ReadOnly => {
            "the database is read-only, so changes cannot be saved right now \
             (the menu can still be read); nothing was changed"
        }
        StorageProblem::Full => {
            "the disk is full, so changes cannot be saved right now (the menu \
             can still be read); nothing was changed"
        }
        StorageProblem::Unavailable => {
            "the database cannot be reached or is too busy right now (the \
             menu can still be read); nothing was changed: retry shortly"
        }
    }
}

/// The status for a storage problem: 507 for a full disk, else 503.
fn storage_status(problem: StorageProblem) -> StatusCode {
    match problem {
        StorageProblem::Full => StatusCode::INSUFFICIENT_STORAGE,
        StorageProblem::ReadOnly | StorageProblem::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Auth(AuthError::Unauthenticated { .. }) => StatusCode::UNAUTHORIZED,
            ApiError::Auth(AuthError::MissingPermission(_) | AuthError::NoPermissionsClaim) => {
                StatusCode::FORBIDDEN
            }
            ApiError::Auth(AuthError::NotConfigured | AuthError::KeysUnavailable) => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Conflict(_) | ApiError::MenuFull { .. } => StatusCode::CONFLICT,
            ApiError::PreconditionFailed(_) => StatusCode::PRECONDITION_FAILED,
            ApiError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::RequestTimeout(_) => StatusCode::REQUEST_TIMEOUT,
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Storage { problem, .. } => storage_status(*problem),
            ApiError::MetricsTokenRequired => StatusCode::UNAUTHORIZED,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        match self {
            ApiError::Internal(cause) => {
                tracing::error!(error = %error_chain(cause.as_ref()), "request failed");
            }
            // Every refused token of the API passes here: one place to count them.
            ApiError::Auth(refusal) => {
                metrics::counter!(crate::metrics::names::TOKENS_REFUSED, "reason" => refusal.reason())
                    .increment(1);
            }
            _ => {}
        }
        let message = match self {
            ApiError::Internal(_) => "internal server error".to_owned(),
            other => other.to_string(),
        };
        let mut body = error_body(status, self.code(), &message);
        if let ApiError::Validation(errors) = self {
            body["fields"] = json!(errors.fields());
        }
        let mut response = HttpResponse::build(status);
        match self {
            ApiError::Auth(AuthError::Unauthenticated {
                message,
                token_presented,
                ..
            }) => {
                let challenge = if *token_presented {
                    format!(
                        "Bearer realm=\"coffee-shop\", error=\"invalid_token\", error_description=\"{}\"",
                        message.replace('"', "'")
                    )
                } else {
                    "Bearer realm=\"coffee-shop\"".to_owned()
                };
                response.insert_header((WWW_AUTHENTICATE, challenge));
            }
            ApiError::Auth(AuthError::KeysUnavailable) => {
                response.insert_header((RETRY_AFTER, KEYS_RETRY_AFTER_SECS));
            }
            ApiError::Storage {
                problem: StorageProblem::Unavailable,
                ..
            } => {
                response.insert_header((RETRY_AFTER, STORAGE_RETRY_AFTER_SECS));
            }
            ApiError::MetricsTokenRequired => {
                response.insert_header((WWW_AUTHENTICATE, "Bearer realm=\"coffee-shop metrics\""));
            }
            ApiError::MethodNotAllowed { allowed } => {
                response.insert_header((ALLOW, *allowed));
            }
            _ => {}
        }
        response.json(body)
    }
}

/// Why an admin page cannot be shown. Rendered as an HTML page by the admin
/// scope's middleware (which knows the layout); internal causes are logged,
/// never shown.
#[derive(Debug, thiserror::Error)]
pub enum PageError {
    /// Not signed in, or the session ended: sign in, then come back to `next`.
    #[error("please sign in")]
    SignInRequired { next: String },
    /// Signed in without the permission this page needs.
    #[error("this page needs the `{0}` permission")]
    MissingPermission(Permission),
    /// A page for managers (every permission), asked for by someone else.
    #[error("This page is for managers.")]
    ManagersOnly,
    /// A form without a valid CSRF token, or from another site.
    #[error(
        "this form has expired or did not come from this site; go back, reload the page and try again"
    )]
    Csrf,
    #[error("{0}")]
    NotFound(String),
    /// A form that could not be read at all.
    #[error("{0}")]
    BadForm(String),
    /// A sign-in the provider could not complete (it failed, or what it
    /// answered was refused); the message is safe to show.
    #[error("{0}")]
    SignInFailed(String),
    /// A sign-in that was not completed, through no fault of the server or
    /// the provider: expired, replayed, forged, or cancelled by the person.
    /// A 400, so that it never counts as a server error.
    #[error("{0}")]
    SignInNotCompleted(String),
    /// The database cannot take the change (or, for PostgreSQL, answer at
    /// all) right now; nothing was changed.
    #[error("{}", storage_message(*.0))]
    Storage(StorageProblem),
    #[error("internal error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl PageError {
    pub fn internal(cause: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        Self::Internal(cause.into())
    }

    /// The heading of the error page.
    pub fn title(&self) -> &'static str {
        match self {
            PageError::SignInRequired { .. } => "Please sign in",
            PageError::MissingPermission(_) | PageError::ManagersOnly | PageError::Csrf => {
                "Not allowed"
            }
            PageError::NotFound(_) => "Not found",
            PageError::BadForm(_) => "That did not work",
            PageError::SignInFailed(_) | PageError::SignInNotCompleted(_) => "Sign-in did not work",
            PageError::Storage(_) => "The menu cannot be changed right now",
            PageError::Internal(_) => "Something went wrong",
        }
    }
}

impl From<DbError> for PageError {
    fn from(error: DbError) -> Self {
        match error.storage_problem() {
            Some(problem) => {
                tracing::error!(error = %error_chain(&error), "an admin page could not use the database");
                PageError::Storage(problem)
            }
            None => PageError::internal(error),
        }
    }
}

impl ResponseError for PageError {
    fn status_code(&self) -> StatusCode {
        match self {
            PageError::SignInRequired { .. } => StatusCode::SEE_OTHER,
            PageError::MissingPermission(_) | PageError::ManagersOnly | PageError::Csrf => {
                StatusCode::FORBIDDEN
            }
            PageError::NotFound(_) => StatusCode::NOT_FOUND,
            PageError::BadForm(_) | PageError::SignInNotCompleted(_) => StatusCode::BAD_REQUEST,
            PageError::SignInFailed(_) => StatusCode::BAD_GATEWAY,
            PageError::Storage(problem) => storage_status(*problem),
            PageError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// A bare answer with the right status (and the sign-in redirect); the
    /// admin middleware replaces the body with the full page.
    fn error_response(&self) -> HttpResponse {
        if let PageError::Internal(cause) = self {
            tracing::error!(error = %error_chain(cause.as_ref()), "admin page failed");
        }
        let mut response = HttpResponse::build(self.status_code());
        if let PageError::SignInRequired { next } = self {
            let query = serde_html_form::to_string([("next", next.as_str())]).unwrap_or_default();
            response.insert_header((LOCATION, format!("{}?{query}", crate::paths::SIGN_IN)));
        }
        if let PageError::Storage(StorageProblem::Unavailable) = self {
            response.insert_header((RETRY_AFTER, STORAGE_RETRY_AFTER_SECS));
        }
        response
            .content_type("text/plain; charset=utf-8")
            .body(self.to_string())
    }
}

/// "outer: cause: root cause", for logs.
pub fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut chain = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let _ = write!(chain, ": {cause}");
        source = cause.source();
    }
    chain
}
