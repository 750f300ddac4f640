//! The plain-HTTP listener beside HTTPS: ACME HTTP-01 challenges, the
//! health routes (for local checks, and to see `tls: pending` before a
//! certificate exists), and a redirect to https for everything else.

use actix_web::http::{Method, header};
use actix_web::{HttpRequest, HttpResponse, web};

use crate::config::{PublicUrl, Settings, TlsMode};
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
        match (&settings.server.public_url, settings.tls_mode()) {
            (Some(url), _) if url.is_https() => Self::Base(url.clone()),
            (None, TlsMode::Acme(acme)) => match acme.domains.first() {
                Some(domain) => Self::Base(PublicUrl::of_domain(domain, https_port)),
                None => Self::SameHost { https_port },
            },
            _ => Self::SameHost { https_port },
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
            PublicUrl::of_domain(host, *https_port).join(path)
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

/// The Host header without its port, when it is a plausible host name
/// (a bracketed IPv6 address keeps its brackets).
fn request_host(request: &HttpRequest) -> Option<&str> {
    let host = request.headers().get(header::HOST)?.to_str().ok()?;
    let name = if host.starts_with('[') {
        host.get(..=host.find(']')?)?
    } else {
        host.split(':').next()?
    };
    let plausible = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '[' | ']' | ':'));
    plausible.then_some(name)
}
