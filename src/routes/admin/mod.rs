//! The admin pages under `/admin`: server-rendered with askama, for
//! managers and baristas in a browser. Sign-in (`signin`), the menu and
//! deletion (`drinks`), the drink editor (`editor`, reading forms with
//! `form`), the activity log (`activity`), the managers' System page
//! (`system`) and backup download (`backup`), the guard every handler takes (`context`) and what the
//! templates are given (`views`).
//!
//! Every answer here carries the security headers; every error becomes an
//! HTML page in the dashboard's look with the right status
//! (`http::html_pages`, with `ErrorPages` implemented here).

mod activity;
mod backup;
mod context;
mod drinks;
mod editor;
mod form;
mod signin;
mod system;
mod views;
mod wording;

use actix_web::http::StatusCode;
use actix_web::http::header::HeaderValue;
use actix_web::middleware::from_fn;
use actix_web::{Error, HttpMessage, HttpRequest, HttpResponse, web};
use askama::Template;

use crate::auth::csrf::AllowedOrigin;
use crate::auth::dev::DevSigner;
use crate::auth::oidc::OidcClient;
use crate::auth::sealed::SealingKey;
use crate::auth::session::AdminSession;
use crate::config::{DashboardClient, PublicUrl, Settings};
use crate::error::PageError;
use crate::http::html_pages::{ErrorPages, html_pages};
use crate::paths;
use views::{ErrorPage, Layout};

/// The keys the admin pages sign and seal with.
pub struct AdminKeys {
    /// Development sign-in's signer (`serve --dev` only).
    pub dev_signer: Option<DevSigner>,
    pub sealing_key: SealingKey,
}

/// What the admin pages need beyond the shared services.
pub struct AdminState {
    pub oidc: Option<OidcClient>,
    pub dev_signer: Option<DevSigner>,
    /// Seals the pending sign-in into the browser's cookie.
    pub sealing_key: SealingKey,
    /// Where forms may come from (the `Origin` check).
    pub allowed_origin: AllowedOrigin,
    /// The base URL people reach the server at (configured or bound).
    pub base_url: PublicUrl,
    pub audience: String,
    pub issuer_configured: bool,
    csp: HeaderValue,
}

impl AdminState {
    /// `base_url` is the configured public URL, or the address bound.
    pub fn new(
        settings: &Settings,
        client: Option<DashboardClient>,
        base_url: PublicUrl,
        allowed_origin: AllowedOrigin,
        keys: AdminKeys,
    ) -> Self {
        // Sign-out posts a form that redirects to the provider: allow it.
        let provider_origin = client
            .as_ref()
            .and_then(|c| origin_of(&c.issuer))
            .map(|origin| format!(" {origin}"))
            .unwrap_or_default();
        let csp = format!(
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
             object-src 'none'; base-uri 'none'; frame-ancestors 'none'; \
             form-action 'self'{provider_origin}"
        );
        Self {
            oidc: client.map(OidcClient::new),
            dev_signer: keys.dev_signer,
            sealing_key: keys.sealing_key,
            allowed_origin,
            base_url,
            audience: settings.auth.audience.clone(),
            issuer_configured: settings.auth.identity_provider().ok().flatten().is_some(),
            csp: HeaderValue::from_str(&csp)
                .unwrap_or(HeaderValue::from_static("default-src 'self'")),
        }
    }

    /// Cookies get `Secure` when people reach the server over https.
    pub fn secure_cookies(&self) -> bool {
        self.base_url.is_https()
    }

    pub fn dev_mode(&self) -> bool {
        self.dev_signer.is_some()
    }
}

/// `scheme://host[:port]` of a URL.
fn origin_of(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let host = rest.split('/').next()?;
    Some(format!("{scheme}://{host}"))
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    let at = paths::in_admin_scope;
    cfg.service(
        web::scope(paths::ADMIN)
            .wrap(from_fn(html_pages))
            .route(at(paths::ADMIN), web::get().to(drinks::menu_page))
            .route("/", web::get().to(drinks::menu_page))
            .route(
                &format!("{}/{{path:.*}}", at(paths::ADMIN_STATIC)),
                web::get().to(crate::assets::serve),
            )
            .route(at(paths::SIGN_IN), web::get().to(signin::sign_in_page))
            .route(at(paths::SIGN_IN_START), web::get().to(signin::start))
            .route(at(paths::CALLBACK), web::get().to(signin::callback))
            .route(at(paths::DEV_SIGN_IN), web::post().to(signin::dev_login))
            .route(at(paths::SIGN_OUT), web::post().to(signin::sign_out))
            .route(at(paths::NEW_DRINK), web::get().to(editor::new_form))
            .route(at(paths::ADMIN_DRINKS), web::post().to(editor::create))
            .route(at(paths::EDIT_DRINK), web::get().to(editor::edit_form))
            .route(at(paths::ADMIN_DRINK), web::post().to(editor::update))
            .service(
                web::resource(at(paths::DELETE_DRINK))
                    .route(web::get().to(drinks::delete_page))
                    .route(web::post().to(drinks::delete)),
            )
            .route(at(paths::ACTIVITY), web::get().to(activity::activity_page))
            .route(at(paths::SYSTEM), web::get().to(system::system_page))
            .route(at(paths::BACKUP_DOWNLOAD), web::get().to(backup::download))
            .default_service(web::to(not_found)),
    );
}

/// Looks the session up only so that the 404 page keeps the navigation.
async fn not_found(
    request: HttpRequest,
    _signed_in: Option<AdminSession>,
) -> Result<HttpResponse, PageError> {
    Err(PageError::NotFound(format!(
        "There is no page at {}.",
        request.path()
    )))
}

/// Renders a template as a 200 page.
fn render(template: &impl Template) -> Result<HttpResponse, PageError> {
    render_with_status(template, StatusCode::OK)
}

fn render_with_status(
    template: &impl Template,
    status: StatusCode,
) -> Result<HttpResponse, PageError> {
    let html = template.render().map_err(PageError::internal)?;
    Ok(HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .body(html))
}

impl ErrorPages for AdminState {
    /// A signed-in person keeps the navigation and Sign out: the session
    /// the request's guard found is in its extensions.
    fn render(&self, status: StatusCode, error: Option<&Error>, request: &HttpRequest) -> String {
        let (heading, message, missing_permission) =
            match error.and_then(|e| e.as_error::<PageError>()) {
                Some(PageError::Internal(_)) => (
                    "Something went wrong".to_owned(),
                    "The page could not be shown. It has been logged; please try again.".to_owned(),
                    None,
                ),
                Some(error @ PageError::MissingPermission(permission)) => (
                    error.title().to_owned(),
                    "You are signed in, but not allowed to do this.".to_owned(),
                    Some(permission.as_str().to_owned()),
                ),
                Some(error) => (error.title().to_owned(), error.to_string(), None),
                None => (
                    status.canonical_reason().unwrap_or("Error").to_owned(),
                    "The request could not be handled.".to_owned(),
                    None,
                ),
            };
        let mut layout = Layout::new(heading.clone(), "error", self.dev_mode());
        if let Some(session) = request.extensions().get::<AdminSession>() {
            layout = layout.for_session(session);
        }
        let page = ErrorPage {
            layout,
            status: status.as_u16(),
            heading,
            message,
            missing_permission,
        };
        page.render().unwrap_or_else(|_| {
            format!(
                "{} {}",
                status.as_u16(),
                status.canonical_reason().unwrap_or("Error")
            )
        })
    }

    fn content_security_policy(&self) -> HeaderValue {
        self.csp.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_scheme_and_host() {
        assert_eq!(
            origin_of("https://tenant.eu.auth0.com/").as_deref(),
            Some("https://tenant.eu.auth0.com")
        );
        assert_eq!(
            origin_of("http://127.0.0.1:9000/issuer").as_deref(),
            Some("http://127.0.0.1:9000")
        );
        assert_eq!(origin_of("nonsense"), None);
    }
}
