//! The one guard every signed-in admin handler takes: `Admin` (the session,
//! the shared state and the layout), and `AdminForm<T>` for a POST, which
//! also reads the form and checks it against cross-site forgery before the
//! handler runs.

use actix_web::dev::Payload;
use actix_web::http::header::LOCATION;
use actix_web::{FromRequest, HttpRequest, HttpResponse, web};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use futures_util::future::LocalBoxFuture;
use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::AdminState;
use super::views::Layout;
use crate::auth::csrf;
use crate::auth::session::{AdminSession, FLASH_COOKIE, admin_cookie, expired_cookie};
use crate::domain::Permission;
use crate::error::PageError;
use crate::menu::MenuService;

/// A signed-in person's request, with what every page needs.
pub struct Admin {
    pub session: AdminSession,
    pub state: web::Data<AdminState>,
    pub menu: web::Data<MenuService>,
    request: HttpRequest,
}

impl Admin {
    /// Succeeds when the session's token granted `permission` (else a 403 page).
    pub fn require(&self, permission: Permission) -> Result<(), PageError> {
        self.session.require(permission)
    }

    /// Succeeds for a manager (else a 403 page).
    pub fn require_manager(&self) -> Result<(), PageError> {
        self.session.require_manager()
    }

    /// The frame of a page titled `title`, with `section` current in the
    /// navigation, for this person.
    pub fn layout(&self, title: impl Into<String>, section: &'static str) -> Layout {
        Layout::new(title, section, self.state.dev_mode()).for_session(&self.session)
    }

    /// A 303 to `location` (Post/Redirect/Get), with a message for the next page.
    pub fn redirect_with_flash(&self, location: &str, message: &str) -> HttpResponse {
        HttpResponse::SeeOther()
            .insert_header((LOCATION, location.to_owned()))
            .cookie(admin_cookie(
                FLASH_COOKIE,
                URL_SAFE_NO_PAD.encode(message),
                60,
                self.state.secure_cookies(),
            ))
            .finish()
    }

    /// The message a redirect left for this page, if any.
    pub fn flash(&self) -> Option<String> {
        let cookie = self.request.cookie(FLASH_COOKIE)?;
        let bytes = URL_SAFE_NO_PAD.decode(cookie.value()).ok()?;
        let message = String::from_utf8(bytes).ok()?;
        Some(message.chars().take(200).collect())
    }

    /// Clears the flash once `response` has shown it.
    pub fn clear_flash(&self, response: &mut HttpResponse) {
        let _ = response.add_cookie(&expired_cookie(FLASH_COOKIE, self.state.secure_cookies()));
    }
}

impl FromRequest for Admin {
    type Error = PageError;
    type Future = LocalBoxFuture<'static, Result<Self, PageError>>;

    fn from_request(request: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let session = AdminSession::from_request(request, payload);
        let state = request.app_data::<web::Data<AdminState>>().cloned();
        let menu = request.app_data::<web::Data<MenuService>>().cloned();
        let request = request.clone();
        Box::pin(async move {
            let (Some(state), Some(menu)) = (state, menu) else {
                return Err(PageError::internal("the admin state is not registered"));
            };
            Ok(Self {
                session: session.await?,
                state,
                menu,
                request,
            })
        })
    }
}

/// A form posted by a signed-in person, read and checked: from this site,
/// and carrying their session's CSRF token.
pub struct AdminForm<T> {
    pub admin: Admin,
    pub form: T,
}

/// The token every admin form carries.
#[derive(Deserialize)]
struct CsrfField {
    #[serde(default)]
    csrf: String,
}

impl<T: DeserializeOwned + 'static> FromRequest for AdminForm<T> {
    type Error = PageError;
    type Future = LocalBoxFuture<'static, Result<Self, PageError>>;

    fn from_request(request: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let admin = Admin::from_request(request, payload);
        let body = web::Bytes::from_request(request, payload);
        Box::pin(async move {
            let admin = admin.await?;
            let body = body.await.map_err(|_| unreadable())?;
            let token: CsrfField = read_form(&body)?;
            csrf::check_form(
                &admin.request,
                &admin.session,
                &token.csrf,
                &admin.state.allowed_origin,
            )?;
            let form = read_form(&body)?;
            Ok(Self { admin, form })
        })
    }
}

/// A URL-encoded form body as `T`.
fn read_form<T: DeserializeOwned>(body: &[u8]) -> Result<T, PageError> {
    serde_html_form::from_bytes(body).map_err(|_| unreadable())
}

fn unreadable() -> PageError {
    PageError::BadForm("The form could not be read. Reload the page and try again.".into())
}
