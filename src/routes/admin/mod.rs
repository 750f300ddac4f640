//! The admin pages under `/admin`: server-rendered with askama, for
//! managers and baristas in a browser. Sign-in (`signin`), the menu and the
//! drink editor (`drinks`), the activity log (`activity`), the form reader
//! (`form`) and what the templates are given (`views`).
//!
//! Every answer here carries the security headers; every error becomes an
//! HTML page in the dashboard's look with the right status.

mod activity;
mod drinks;
mod form;
mod signin;
mod views;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::{
    CACHE_CONTROL, CONTENT_TYPE, HeaderName, HeaderValue, LOCATION, REFERRER_POLICY,
    X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use actix_web::middleware::{Next, from_fn};
use actix_web::{Error, HttpRequest, HttpResponse, web};
use askama::Template;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::auth::dev::DevSigner;
use crate::auth::oidc::OidcClient;
use crate::auth::session::{FLASH_COOKIE, admin_cookie, expired_cookie};
use crate::config::{DashboardClient, Settings};
use crate::error::PageError;
use views::{ErrorPage, Layout};

/// What the admin pages need beyond the shared services.
pub struct AdminState {
    pub oidc: Option<OidcClient>,
    pub dev_signer: Option<DevSigner>,
    /// `server.public_url` when configured, for the `Origin` check.
    pub public_url: Option<String>,
    /// The base URL people reach the server at (configured or bound).
    pub base_url: String,
    pub secure_cookies: bool,
    pub audience: String,
    pub issuer_configured: bool,
    csp: HeaderValue,
}

impl AdminState {
    /// `base_url` is the configured public URL, or the address bound.
    pub fn new(
        settings: &Settings,
        client: Option<DashboardClient>,
        base_url: String,
        dev_signer: Option<DevSigner>,
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
            secure_cookies: base_url.starts_with("https://"),
            oidc: client.map(OidcClient::new),
            dev_signer,
            public_url: settings
                .server
                .public_url
                .clone()
                .filter(|u| !u.trim().is_empty()),
            base_url,
            audience: settings.auth.audience.clone(),
            issuer_configured: settings.auth.identity_provider().ok().flatten().is_some(),
            csp: HeaderValue::from_str(&csp)
                .unwrap_or(HeaderValue::from_static("default-src 'self'")),
        }
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
    cfg.service(
        web::scope("/admin")
            .wrap(from_fn(admin_pages))
            .route("", web::get().to(drinks::menu_page))
            .route("/", web::get().to(drinks::menu_page))
            .route("/static/{path:.*}", web::get().to(crate::assets::serve))
            .route("/login", web::get().to(signin::sign_in_page))
            .route("/login/start", web::get().to(signin::start))
            .route("/callback", web::get().to(signin::callback))
            .route("/dev-login", web::post().to(signin::dev_login))
            .route("/logout", web::post().to(signin::sign_out))
            .route("/drinks/new", web::get().to(drinks::new_form))
            .route("/drinks", web::post().to(drinks::create))
            .route("/drinks/{id}/edit", web::get().to(drinks::edit_form))
            .route("/drinks/{id}", web::post().to(drinks::update))
            .service(
                web::resource("/drinks/{id}/delete")
                    .route(web::get().to(drinks::delete_page))
                    .route(web::post().to(drinks::delete)),
            )
            .route("/activity", web::get().to(activity::activity_page))
            .default_service(web::to(not_found)),
    );
}

async fn not_found(request: HttpRequest) -> Result<HttpResponse, PageError> {
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

/// A 303 to `location` (Post/Redirect/Get), with a message for the next page.
fn redirect_with_flash(location: &str, message: &str, secure: bool) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((LOCATION, location.to_owned()))
        .cookie(admin_cookie(
            FLASH_COOKIE,
            URL_SAFE_NO_PAD.encode(message),
            60,
            secure,
        ))
        .finish()
}

/// The message a redirect left for this page, if any.
fn take_flash(request: &HttpRequest) -> Option<String> {
    let cookie = request.cookie(FLASH_COOKIE)?;
    let bytes = URL_SAFE_NO_PAD.decode(cookie.value()).ok()?;
    let message = String::from_utf8(bytes).ok()?;
    Some(message.chars().take(200).collect())
}

/// Adds the cookie that clears the flash once it has been shown.
fn clear_flash(response: &mut HttpResponse, secure: bool) {
    let _ = response.add_cookie(&expired_cookie(FLASH_COOKIE, secure));
}

/// Middleware for the scope: renders errors as pages and adds the security
/// headers to every answer.
async fn admin_pages(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let state = request.app_data::<web::Data<AdminState>>().cloned();
    let dev_mode = state.as_ref().is_some_and(|s| s.dev_mode());
    let mut response = next.call(request).await?.map_into_boxed_body();
    let status = response.status();
    // A form shown again with its errors (422, 409) is already a page.
    let is_page = response
        .headers()
        .get(CONTENT_TYPE)
        .is_some_and(|t| t.as_bytes().starts_with(b"text/html"));
    let needs_page = (status.is_client_error() || status.is_server_error())
        && (response.response().error().is_some() || !is_page);
    if needs_page {
        let (heading, message, missing_permission) = match response
            .response()
            .error()
            .and_then(|e| e.as_error::<PageError>())
        {
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
        let page = ErrorPage {
            layout: Layout::new(heading.clone(), "error", dev_mode),
            status: status.as_u16(),
            heading,
            message,
            missing_permission,
        };
        let html = page.render().unwrap_or_else(|_| {
            format!(
                "{} {}",
                status.as_u16(),
                status.canonical_reason().unwrap_or("Error")
            )
        });
        response = response.map_body(|head, _| {
            head.headers_mut().insert(
                CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            );
            BoxBody::new(html)
        });
    }
    let headers = response.headers_mut();
    if let Some(state) = &state {
        headers.insert(
            HeaderName::from_static("content-security-policy"),
            state.csp.clone(),
        );
    }
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    headers.insert(X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    if !headers.contains_key(CACHE_CONTROL) {
        // Pages show who is signed in and what they may do: never cache them.
        headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    Ok(response)
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
