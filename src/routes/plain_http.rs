//! The plain-HTTP listener beside HTTPS: ACME HTTP-01 challenges, the
//! health routes (for local checks, and to see `tls: pending` before a
//! certificate exists), and a redirect to https for everything else.

use actix_web::http::{Method, header};
use actix_web::{HttpRequest, HttpResponse, web};

use crate::config::{PublicUrl, Settings, split_authority};
use crate::error::ApiError;
use crate::paths;
use crate::routes::health;
use crate::tls::Http01Challenges;

/// Where redirects go: the public base URL when it is https, else the
/// host the client asked for, on the HTTPS port.
#[derive(Debug, Clone)]
pub enum RedirectTarget {
    Base(PublicUrl),
    SameHost { https_port: u16 },
}

impl RedirectTarget {
    /// An https `server.public_url` (or the ACME domain it defaults to) is
    /// where people go; otherwise the host they asked for, as certificate
    /// files may name several.
    pub fn for_settings(settings: &Settings, https_port: u16) -> Self {
        match settings
            .configured_base_url(https_port)
            .filter(PublicUrl::is_https)
        {
            Some(url) => Self::Base(url),
            None => Self::SameHost { https_port },
        }
    }
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route(paths::ACME_CHALLENGE, web::get().to(challenge));
    health::configure(cfg);
}

/// `GET /.well-known/acme-challenge/{token}`: the key authorization while
/// the CA checks it, else 404.
async fn challenge(
    token: web::Path<String>,
    challenges: web::Data<Http01Challenges>,
) -> Result<HttpResponse, ApiError> {
    match challenges.answer(&token) {
        Some(key_authorization) => Ok(HttpResponse::Ok()
            .content_type("application/octet-stream")
            .body(key_authorization)),
        None => Err(ApiError::NotFound("no such ACME challenge".into())),
    }
}

/// Everything else goes to https: 301 for GET (and HEAD, which the stack
/// answers as GET everywhere), 308 for every other method (which keeps the
/// method and body).
pub async fn redirect_to_https(
    request: HttpRequest,
    target: web::Data<RedirectTarget>,
) -> Result<HttpResponse, ApiError> {
    let path = request
        .uri()
        .path_and_query()
        .map_or("/", |path| path.as_str());
    let location = match target.get_ref() {
        RedirectTarget::Base(base) => base.join(path),
        RedirectTarget::SameHost { https_port } => {
            let host = request_host(&request).ok_or_else(|| {
                ApiError::BadRequest("plain HTTP needs a Host header to redirect to https".into())
            })?;
            PublicUrl::of_domain(&host, *https_port).join(path)
        }
    };
    let mut response = if request.method() == Method::GET {
        HttpResponse::MovedPermanently()
    } else {
        HttpResponse::PermanentRedirect()
    };
    Ok(response
        .insert_header((header::LOCATION, location))
        .finish())
}

/// The Host header's host, without its port (an IPv6 address in
/// brackets), when it is a plausible host name.
fn request_host(request: &HttpRequest) -> Option<String> {
    let host = request.headers().get(header::HOST)?.to_str().ok()?;
    let (name, _) = split_authority(host, 80);
    let plausible = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':'));
    match (plausible, name.contains(':')) {
        (false, _) => None,
        (true, true) => Some(format!("[{name}]")),
        (true, false) => Some(name.to_owned()),
    }
}
