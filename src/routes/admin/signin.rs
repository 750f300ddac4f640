//! Signing in and out of the admin pages: the provider's authorization code
//! flow with PKCE, development sign-in (`serve --dev`), and sign-out.

use actix_web::http::header::LOCATION;
use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, HttpResponse, web};
use metrics::counter;
use serde::Deserialize;
use subtle::ConstantTimeEq;

use super::context::AdminForm;
use super::views::{Layout, SetupHelp, SignInPage};
use super::{AdminState, render};
use crate::auth::dev::{DEV_ISSUER, DevRole};
use crate::auth::oidc::{PendingSignIn, SIGN_IN_TIMEOUT, random_token};
use crate::auth::session::{
    SESSION_COOKIE, SIGN_IN_COOKIE, admin_cookie, expired_cookie, hash_session_id,
};
use crate::auth::{Identity, Principal, TokenVerifier, access_token_key_id, csrf};
use crate::db::{self, Database, NewSession};
use crate::error::PageError;
use crate::metrics::names;
use crate::paths;

/// How long a development sign-in lasts.
const DEV_SESSION_SECS: u64 = 8 * 3600;

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

/// Only a path under `/admin` is a place to come back to (never another
/// site), and only printable ASCII without spaces: a control character
/// would make the redirect's `Location` header invalid.
fn safe_next(next: Option<&str>) -> String {
    let under_admin = |next: &str| {
        next.strip_prefix(paths::ADMIN)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with(['/', '?']))
    };
    match next {
        Some(next)
            if under_admin(next)
                && next.bytes().all(|byte| (0x21..0x7f).contains(&byte))
                && !next.contains("//")
                && !next.contains('\\')
                && !next.starts_with(paths::SIGN_IN) =>
        {
            next.to_owned()
        }
        _ => paths::ADMIN.to_owned(),
    }
}

fn not_configured() -> PageError {
    PageError::NotFound("Sign-in is not configured.".into())
}

/// `GET /admin/login`.
pub async fn sign_in_page(
    query: web::Query<NextQuery>,
    state: web::Data<AdminState>,
) -> Result<HttpResponse, PageError> {
    let next = safe_next(query.next.as_deref());
    let provider = state.oidc.as_ref().map(|oidc| {
        let issuer = oidc.client.issuer.as_str();
        let host = issuer
            .split("://")
            .nth(1)
            .and_then(|rest| rest.split('/').next())
            .unwrap_or(issuer);
        if oidc.client.auth0_domain.is_some() {
            "Auth0".to_owned()
        } else {
            host.to_owned()
        }
    });
    let setup = state.oidc.is_none().then(|| SetupHelp {
        callback_url: state.base_url.join(paths::CALLBACK),
        logout_url: state.base_url.join(paths::ADMIN),
        issuer_configured: state.issuer_configured,
    });
    render(&SignInPage {
        layout: Layout::new("Sign in", "sign-in", state.dev_mode()),
        next,
        provider,
        dev_mode: state.dev_mode(),
        problem: None,
        setup,
    })
}

/// `GET /admin/login/start`: off to the provider, with state, nonce and PKCE.
pub async fn start(
    query: web::Query<NextQuery>,
    state: web::Data<AdminState>,
) -> Result<HttpResponse, PageError> {
    if state.oidc.is_none() {
        return Err(not_configured());
    }
    let next = safe_next(query.next.as_deref());
    let started = {
        let state = state.clone();
        web::block(move || state.oidc.as_ref().map(|oidc| oidc.start(next)))
            .await
            .map_err(PageError::internal)?
    };
    let (pending, url) = started
        .ok_or_else(not_configured)?
        .map_err(|e| PageError::SignInFailed(e.to_string()))?;
    // The browser keeps the pending sign-in, sealed: nothing to flood here.
    let sealed = serde_json::to_vec(&pending)
        .ok()
        .and_then(|json| state.sealing_key.seal(PendingSignIn::SEALED_AS, &json))
        .ok_or_else(|| PageError::internal("cannot seal the sign-in cookie"))?;
    Ok(HttpResponse::SeeOther()
        .insert_header((LOCATION, url))
        .cookie(admin_cookie(
            SIGN_IN_COOKIE,
            sealed,
            // The cookie lasts as long as the sign-in it holds.
            SIGN_IN_TIMEOUT.as_secs() as i64,
            state.secure_cookies(),
        ))
        .finish())
}

#[derive(Deserialize)]
pub struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

/// `GET /admin/callback`: checks the state against this browser's cookie,
/// exchanges the code, verifies both tokens, and starts a session.
pub async fn callback(
    query: web::Query<CallbackQuery>,
    context: SignInContext,
) -> Result<HttpResponse, PageError> {
    let answer = finish_callback(query, context).await;
    if answer.is_err() {
        counter!(names::SIGNINS, "outcome" => "refused").increment(1);
    }
    answer
}

async fn finish_callback(
    query: web::Query<CallbackQuery>,
    context: SignInContext,
) -> Result<HttpResponse, PageError> {
    let state = &context.state;
    let Some(oidc) = state.oidc.as_ref() else {
        return Err(not_configured());
    };
    // The state is checked before anything in the query is believed, so a
    // forged link cannot put its own words on this site's page.
    let returned_state = query.state.as_deref().unwrap_or_default();
    let pending =
        started_in_this_browser(&context.request, state, returned_state).ok_or_else(expired)?;
    if let Some(error) = &query.error {
        // Single use, even when the provider says no.
        context.finish(&pending).await?;
        tracing::warn!(
            error = ?error,
            description = ?query.error_description,
            "the identity provider did not sign the person in"
        );
        let message = "The identity provider did not complete the sign-in. Please try again.";
        return Err(if person_stopped(error) {
            PageError::SignInNotCompleted(message.into())
        } else {
            PageError::SignInFailed(message.into())
        });
    }
    let Some(code) = &query.code else {
        return Err(expired());
    };
    if !context.finish(&pending).await? {
        return Err(expired());
    }
    let (principal, identity, key_id) =
        exchange_code(state, &context.verifier, code, &pending).await?;
    let signed_in = SignedIn {
        principal,
        name: identity.name,
        email: identity.email,
        issuer: oidc.client.issuer.clone(),
        key_id,
    };
    context.start_session(signed_in, &pending.next).await
}

/// True for the OpenID Connect error codes that mean the person, not the
/// provider or this server's set-up, stopped the sign-in (a 400, not a 502).
fn person_stopped(error: &str) -> bool {
    matches!(
        error,
        "access_denied" | "login_required" | "consent_required" | "interaction_required"
    )
}

fn expired() -> PageError {
    PageError::SignInNotCompleted(
        "This sign-in has expired or was already used. Please sign in again.".into(),
    )
}

/// This browser's pending sign-in (its sealed sign-in cookie), when it is
/// unexpired and its state is `returned_state` (compared in constant time).
fn started_in_this_browser(
    request: &HttpRequest,
    state: &AdminState,
    returned_state: &str,
) -> Option<PendingSignIn> {
    let cookie = request.cookie(SIGN_IN_COOKIE)?;
    let json = state
        .sealing_key
        .open(PendingSignIn::SEALED_AS, cookie.value())?;
    let pending: PendingSignIn = serde_json::from_slice(&json).ok()?;
    let same: bool = pending
        .state
        .as_bytes()
        .ct_eq(returned_state.as_bytes())
        .into();
    (same && !pending.has_expired()).then_some(pending)
}

/// Exchanges the code (on the blocking pool) and verifies both tokens: the
/// access token says what the person may do (and which key signed it), the
/// ID token who they are.
async fn exchange_code(
    state: &web::Data<AdminState>,
    verifier: &TokenVerifier,
    code: &str,
    pending: &PendingSignIn,
) -> Result<(Principal, Identity, String), PageError> {
    let Some(oidc) = state.oidc.as_ref() else {
        return Err(not_configured());
    };
    let tokens = {
        let state = state.clone();
        let code = code.to_owned();
        let verifier_code = pending.verifier.clone();
        web::block(move || {
            state
                .oidc
                .as_ref()
                .map(|oidc| oidc.exchange(&code, &verifier_code))
        })
        .await
        .map_err(PageError::internal)?
        .ok_or_else(not_configured)?
        .map_err(|e| PageError::SignInFailed(e.to_string()))?
    };
    let principal = verifier
        .verify(&tokens.access_token)
        .await
        .map_err(|e| PageError::SignInFailed(format!("The access token was refused: {e}")))?;
    let identity = verifier
        .verify_id_token(&tokens.id_token, &oidc.client.client_id, &pending.nonce)
        .await
        .map_err(|e| PageError::SignInFailed(format!("The ID token was refused: {e}")))?;
    if *identity.sub != *principal.subject {
        return Err(PageError::SignInFailed(
            "The ID token and the access token name different people.".into(),
        ));
    }
    let key_id = access_token_key_id(&tokens.access_token).unwrap_or_default();
    Ok((principal, identity, key_id))
}

#[derive(Deserialize)]
pub struct DevSignIn {
    role: String,
    next: Option<String>,
}

/// `POST /admin/dev-login` (development mode only): a session from a
/// development token, checked by the same verifier as any other.
pub async fn dev_login(
    form: web::Form<DevSignIn>,
    context: SignInContext,
) -> Result<HttpResponse, PageError> {
    let state = &context.state;
    let Some(signer) = state.dev_signer.as_ref() else {
        return Err(PageError::NotFound("Development sign-in is off.".into()));
    };
    csrf::same_origin(&context.request, &state.allowed_origin)?;
    let role = match form.role.as_str() {
        "manager" => DevRole::Manager,
        "barista" => DevRole::Barista,
        _ => return Err(PageError::BadForm("Choose Manager or Barista.".into())),
    };
    let token = signer
        .mint(
            role,
            &state.audience,
            std::time::Duration::from_secs(DEV_SESSION_SECS),
        )
        .map_err(PageError::internal)?;
    let principal = context
        .verifier
        .verify(&token)
        .await
        .map_err(PageError::internal)?;
    let name = match role {
        DevRole::Manager => "Development Manager",
        DevRole::Barista => "Development Barista",
    };
    let signed_in = SignedIn {
        principal,
        name: Some(name.to_owned()),
        email: None,
        issuer: DEV_ISSUER.to_owned(),
        key_id: signer.kid().to_owned(),
    };
    let next = safe_next(form.next.as_deref());
    context.start_session(signed_in, &next).await
}

/// What finishing a sign-in needs besides its form or query: the request
/// (for its cookies), the admin state, the token verifier and the database.
pub struct SignInContext {
    request: HttpRequest,
    state: web::Data<AdminState>,
    verifier: web::Data<TokenVerifier>,
    database: web::Data<Database>,
}

impl FromRequest for SignInContext {
    type Error = PageError;
    type Future = Ready<Result<Self, PageError>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = request.app_data::<web::Data<AdminState>>();
        let verifier = request.app_data::<web::Data<TokenVerifier>>();
        let database = request.app_data::<web::Data<Database>>();
        ready(match (state, verifier, database) {
            (Some(state), Some(verifier), Some(database)) => Ok(Self {
                request: request.clone(),
                state: state.clone(),
                verifier: verifier.clone(),
                database: database.clone(),
            }),
            _ => Err(PageError::internal("the sign-in state is not registered")),
        })
    }
}

/// Who just signed in, and who vouched for them.
struct SignedIn {
    principal: Principal,
    name: Option<String>,
    email: Option<String>,
    /// The access token's issuer and signing key id.
    issuer: String,
    key_id: String,
}

impl SignInContext {
    /// Marks `pending` as finished, in the database, so its cookie cannot
    /// be used twice on any server; false when it already was (a replay) or
    /// has expired. Only a validly sealed sign-in gets here.
    async fn finish(&self, pending: &PendingSignIn) -> Result<bool, PageError> {
        if pending.has_expired() {
            return Ok(false);
        }
        let state_hash = hash_session_id(&pending.state);
        let expires_at = i64::try_from(pending.expires_at).unwrap_or(i64::MAX);
        Ok(self
            .database
            .change(move |tables| tables.finish_sign_in(&state_hash, expires_at))
            .await?)
    }

    /// Stores a new session (a new id at every sign-in, ending the browser's
    /// previous one) and sends the browser on.
    async fn start_session(
        &self,
        signed_in: SignedIn,
        next: &str,
    ) -> Result<HttpResponse, PageError> {
        let (state, request) = (&self.state, &self.request);
        let SignedIn {
            principal,
            name,
            email,
            issuer,
            key_id,
        } = signed_in;
        let replaces = request
            .cookie(SESSION_COOKIE)
            .map(|cookie| hash_session_id(cookie.value()));
        let session_id = random_token(32);
        let id_hash = hash_session_id(&session_id);
        let csrf_token = random_token(32);
        let subject = principal.subject.to_string();
        let granted = principal.permissions.unwrap_or_default();
        let permissions: Vec<String> = granted.names().into_iter().map(str::to_owned).collect();
        let expires_at = principal.expires_at as i64;
        let now = jsonwebtoken::get_current_timestamp() as i64;
        self.database
            .change(move |tables| {
                db::create_session(
                    tables,
                    &NewSession {
                        id_hash: &id_hash,
                        subject: &subject,
                        permissions: &permissions,
                        csrf_token: &csrf_token,
                        expires_at,
                        name: name.as_deref(),
                        email: email.as_deref(),
                        issuer: &issuer,
                        key_id: &key_id,
                        replaces: replaces.as_deref(),
                    },
                    now,
                )
            })
            .await?;
        counter!(names::SIGNINS, "outcome" => "ok").increment(1);
        Ok(HttpResponse::SeeOther()
            .insert_header((LOCATION, next.to_owned()))
            .cookie(admin_cookie(
                SESSION_COOKIE,
                session_id,
                expires_at - now,
                state.secure_cookies(),
            ))
            .cookie(expired_cookie(SIGN_IN_COOKIE, state.secure_cookies()))
            .finish())
    }
}

/// The sign-out form carries nothing but its CSRF token.
#[derive(Deserialize)]
pub struct SignOutForm {}

/// `POST /admin/logout`: ends the session here, then at the provider.
pub async fn sign_out(
    post: AdminForm<SignOutForm>,
    database: web::Data<Database>,
) -> Result<HttpResponse, PageError> {
    let state = &post.admin.state;
    let id_hash = post.admin.session.id_hash.clone();
    database
        .change(move |tables| tables.delete_session(&id_hash))
        .await?;
    let destination = match &state.oidc {
        Some(oidc) => oidc.logout_url(),
        None => paths::SIGN_IN.to_owned(),
    };
    Ok(HttpResponse::SeeOther()
        .insert_header((LOCATION, destination))
        .cookie(expired_cookie(SESSION_COOKIE, state.secure_cookies()))
        .finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_admin_paths_are_places_to_return_to() {
        assert_eq!(
            safe_next(Some("/admin/drinks/3/edit")),
            "/admin/drinks/3/edit"
        );
        assert_eq!(safe_next(Some("/admin?q=latte")), "/admin?q=latte");
        for hostile in [
            "https://evil.example/admin",
            "//evil.example",
            "/admin//evil.example",
            "/admin\\..\\x",
            "/administrator",
            "/admin/login?next=/admin",
        ] {
            assert_eq!(safe_next(Some(hostile)), "/admin", "{hostile}");
        }
        assert_eq!(safe_next(None), "/admin");
    }
}
