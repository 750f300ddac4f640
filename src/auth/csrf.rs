//! Cross-site request forgery checks for the admin forms: the browser must
//! say the form came from this site (`Origin`, `Sec-Fetch-Site`), and forms
//! of a signed-in person must carry their session's token, compared in
//! constant time.

use std::net::{IpAddr, SocketAddr};

use actix_web::HttpRequest;
use actix_web::http::header::ORIGIN;
use subtle::ConstantTimeEq;

use super::session::AdminSession;
use crate::config::{PublicUrl, Settings, TlsMode, split_authority};
use crate::error::PageError;

/// The one `Origin` forms may come from. It is never judged by the
/// request's own `Host`, which a DNS-rebinding page controls.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AllowedOrigin {
    /// `server.public_url` (or the ACME domain it defaults to), exactly:
    /// scheme, host and port.
    Exactly(PublicUrl),
    /// No public URL: the bound address's scheme and port, with its IP.
    /// A loopback bind also accepts `localhost`; a wildcard bind any IP
    /// address (a manager on the café's network), but never a host name,
    /// as a rebinding page's origin always is one. Set `server.public_url`
    /// to open the pages by name.
    Bound { https: bool, address: SocketAddr },
}

impl AllowedOrigin {
    /// The rule for a server with `settings`, bound to `bound`.
    pub fn for_server(settings: &Settings, bound: SocketAddr) -> Self {
        match settings.configured_base_url(bound.port()) {
            Some(url) => Self::Exactly(url),
            None => Self::Bound {
                https: settings.tls_mode() != TlsMode::Off,
                address: bound,
            },
        }
    }

    /// True when a browser's `Origin` header names this server.
    pub fn allows(&self, origin: &str) -> bool {
        match self {
            Self::Exactly(url) => url.as_str() == origin,
            Self::Bound { https, address } => {
                let scheme = if *https { "https://" } else { "http://" };
                let Some(authority) = origin.strip_prefix(scheme) else {
                    return false;
                };
                let default_port = if *https { 443 } else { 80 };
                let (host, port) = split_authority(authority, default_port);
                port == Some(address.port()) && bound_host_allows(address.ip(), host)
            }
        }
    }
}

fn bound_host_allows(bound: IpAddr, host: &str) -> bool {
    let localhost = host.eq_ignore_ascii_case("localhost");
    match host.parse::<IpAddr>() {
        Ok(ip) if bound.is_unspecified() => !ip.is_unspecified(),
        Ok(ip) if bound.is_loopback() => ip.is_loopback(),
        Ok(ip) => ip == bound,
        Err(_) => localhost && (bound.is_loopback() || bound.is_unspecified()),
    }
}

/// Refuses a request a browser marks as coming from another site: an
/// `Origin` must be the allowed one.
pub fn same_origin(request: &HttpRequest, allowed: &AllowedOrigin) -> Result<(), PageError> {
    let headers = request.headers();
    let cross_site = headers
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|site| site.eq_ignore_ascii_case("cross-site"));
    if cross_site {
        return Err(PageError::Csrf);
    }
    let Some(origin) = headers.get(ORIGIN) else {
        // Browsers send Origin on every form POST; tools may not, and they
        // still need the session's token.
        return Ok(());
    };
    let origin = origin.to_str().map_err(|_| PageError::Csrf)?;
    if allowed.allows(origin) {
        Ok(())
    } else {
        Err(PageError::Csrf)
    }
}

/// Checks a signed-in person's form: same origin, and their session's token.
pub fn check_form(
    request: &HttpRequest,
    session: &AdminSession,
    submitted_token: &str,
    allowed: &AllowedOrigin,
) -> Result<(), PageError> {
    same_origin(request, allowed)?;
    let matches: bool = session
        .csrf_token
        .as_bytes()
        .ct_eq(submitted_token.as_bytes())
        .into();
    if matches && !submitted_token.is_empty() {
        Ok(())
    } else {
        Err(PageError::Csrf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::header::HOST;
    use actix_web::test::TestRequest;

    fn request(headers: &[(&str, &str)]) -> HttpRequest {
        headers
            .iter()
            .fold(
                TestRequest::post().insert_header((HOST, "evil.example:5000")),
                |r, h| r.insert_header(*h),
            )
            .to_http_request()
    }

    fn bound(address: &str) -> AllowedOrigin {
        AllowedOrigin::Bound {
            https: false,
            address: address.parse().expect("address"),
        }
    }

    #[test]
    fn only_this_site_may_post_and_the_host_header_proves_nothing() {
        let local = bound("127.0.0.1:5000");
        assert!(same_origin(&request(&[]), &local).is_ok());
        assert!(same_origin(&request(&[("origin", "http://127.0.0.1:5000")]), &local).is_ok());
        assert!(same_origin(&request(&[("origin", "http://localhost:5000")]), &local).is_ok());
        // The request's Host is evil.example: a rebinding page's own origin.
        assert!(same_origin(&request(&[("origin", "http://evil.example:5000")]), &local).is_err());
        assert!(same_origin(&request(&[("origin", "https://127.0.0.1:5000")]), &local).is_err());
        assert!(same_origin(&request(&[("origin", "http://127.0.0.1:5001")]), &local).is_err());
        assert!(same_origin(&request(&[("origin", "null")]), &local).is_err());
        assert!(same_origin(&request(&[("sec-fetch-site", "cross-site")]), &local).is_err());

        let public = AllowedOrigin::Exactly(PublicUrl::parse("https://menu.cafe").expect("url"));
        assert!(same_origin(&request(&[("origin", "https://menu.cafe")]), &public).is_ok());
        assert!(same_origin(&request(&[("origin", "http://menu.cafe")]), &public).is_err());
    }

    #[test]
    fn a_wildcard_bind_accepts_ip_addresses_but_never_names() {
        let everywhere = bound("0.0.0.0:5000");
        assert!(everywhere.allows("http://192.168.1.20:5000"));
        assert!(everywhere.allows("http://[::1]:5000"));
        assert!(everywhere.allows("http://localhost:5000"));
        assert!(!everywhere.allows("http://cafe.local:5000"));
        assert!(!everywhere.allows("http://192.168.1.20:5001"));
        let lan = bound("192.168.1.20:80");
        assert!(lan.allows("http://192.168.1.20"));
        assert!(!lan.allows("http://192.168.1.21"));
    }
}
