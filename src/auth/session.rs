//! Admin page sessions: a random 256-bit id in an `HttpOnly`, `SameSite=Lax`
//! cookie scoped to `/admin` (`Secure` on https), only its SHA-256 stored.
//! A session ends with the access token it was made from.

use actix_web::cookie::time::Duration as CookieDuration;
use actix_web::cookie::{Cookie, SameSite};
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use futures_util::future::LocalBoxFuture;
use sha2::{Digest, Sha256};

use super::verify::TokenVerifier;
use crate::db::{Database, StoredSession};
use crate::domain::{Permission, Permissions};
use crate::error::PageError;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "coffee_session";
/// Binds a sign-in in progress to the browser that started it.
pub const SIGN_IN_COOKIE: &str = "coffee_signin";
/// A one-shot message for the next page (Post/Redirect/Get).
pub const FLASH_COOKIE: &str = "coffee_flash";

/// The SHA-256 of a session id: what the database keeps.
pub fn hash_session_id(id: &str) -> Vec<u8> {
    Sha256::digest(id.as_bytes()).to_vec()
}

/// A cookie for the admin pages: `HttpOnly`, `SameSite=Lax`, `Path=/admin`,
/// `Secure` when the public URL is https.
pub fn admin_cookie(
    name: &'static str,
    value: String,
    max_age_secs: i64,
    secure: bool,
) -> Cookie<'static> {
    Cookie::build(name, value)
        .path(crate::paths::ADMIN)
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(secure)
        .max_age(CookieDuration::seconds(max_age_secs.max(0)))
        .finish()
}

/// A cookie that deletes `name`.
pub fn expired_cookie(name: &'static str, secure: bool) -> Cookie<'static> {
    admin_cookie(name, String::new(), 0, secure)
}

/// A signed-in person on the admin pages.
#[derive(Debug, Clone)]
pub struct AdminSession {
    pub id_hash: Vec<u8>,
    pub subject: String,
    /// The name to show: the ID token's name, else email, else subject.
    pub display_name: String,
    pub permissions: Permissions,
    pub csrf_token: String,
}

impl AdminSession {
    fn from_stored(id_hash: Vec<u8>, stored: StoredSession) -> Self {
        Self {
            id_hash,
            permissions: stored.permissions.iter().map(String::as_str).collect(),
            display_name: stored.person.shown_as(),
            subject: stored.person.subject,
            csrf_token: stored.csrf_token,
        }
    }

    /// True when the session's token granted `permission`.
    pub fn can(&self, permission: Permission) -> bool {
        self.permissions.contains(permission)
    }

    /// Succeeds when the session's token granted `permission`.
    pub fn require(&self, permission: Permission) -> Result<(), PageError> {
        if self.can(permission) {
            Ok(())
        } else {
            Err(PageError::MissingPermission(permission))
        }
    }

    /// A manager holds every permission (a barista only reads recipes).
    pub fn is_manager(&self) -> bool {
        self.permissions.is_manager()
    }

    /// Succeeds for a manager; else the 403 page of managers' pages.
    pub fn require_manager(&self) -> Result<(), PageError> {
        if self.is_manager() {
            Ok(())
        } else {
            Err(PageError::ManagersOnly)
        }
    }
}

/// Where to come back to after signing in: the path and query asked for.
fn this_page(request: &HttpRequest) -> String {
    let uri = request.uri();
    uri.path_and_query().map_or_else(
        || crate::paths::ADMIN.to_owned(),
        |pq| pq.as_str().to_owned(),
    )
}

impl FromRequest for AdminSession {
    type Error = PageError;
    type Future = LocalBoxFuture<'static, Result<Self, PageError>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        let sign_in = PageError::SignInRequired {
            next: this_page(request),
        };
        let cookie = request.cookie(SESSION_COOKIE);
        let database = request.app_data::<web::Data<Database>>().cloned();
        let verifier = request.app_data::<web::Data<TokenVerifier>>().cloned();
        let request = request.clone();
        Box::pin(async move {
            let database =
                database.ok_or_else(|| PageError::internal("Database is not registered"))?;
            let verifier =
                verifier.ok_or_else(|| PageError::internal("TokenVerifier is not registered"))?;
            let Some(cookie) = cookie.filter(|c| !c.value().is_empty()) else {
                return Err(sign_in);
            };
            let id_hash = hash_session_id(cookie.value());
            let lookup = id_hash.clone();
            let now = jsonwebtoken::get_current_timestamp() as i64;
            let stored = database
                .read(move |tables| tables.find_session(&lookup, now))
                .await?;
            match stored {
                // A session lasts only while whoever vouched for it is still
                // trusted: the same issuer, and its key still in the set.
                Some(stored) if verifier.still_trusts(&stored.issuer, &stored.key_id) => {
                    let session = AdminSession::from_stored(id_hash, stored);
                    // For the error page, should the handler fail.
                    request.extensions_mut().insert(session.clone());
                    Ok(session)
                }
                _ => Err(sign_in),
            }
        })
    }
}
