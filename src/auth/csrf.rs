//! Cross-site request forgery checks for the admin forms: the browser must
//! say the form came from this site (`Origin`, `Sec-Fetch-Site`), and forms
//! of a signed-in person must carry their session's token, compared in
//! constant time.

use actix_web::HttpRequest;
use actix_web::http::header::{HOST, ORIGIN};
use subtle::ConstantTimeEq;

use super::session::AdminSession;
use crate::config::PublicUrl;
use crate::error::PageError;

/// Refuses a request a browser marks as coming from another site. An
/// `Origin` must name this server: the configured public URL, or the host
/// the request was sent to.
pub fn same_origin(request: &HttpRequest, public_url: Option<&PublicUrl>) -> Result<(), PageError> {
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
    if public_url.is_some_and(|url| url.as_str() == origin) {
        return Ok(());
    }
    let host = headers
        .get(HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let origin_host = origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"));
    match origin_host {
        Some(origin_host) if !host.is_empty() && origin_host.eq_ignore_ascii_case(host) => Ok(()),
        _ => Err(PageError::Csrf),
    }
}

/// Checks a signed-in person's form: same origin, and their session's token.
pub fn check_form(
    request: &HttpRequest,
    session: &AdminSession,
    submitted_token: &str,
    public_url: Option<&PublicUrl>,
) -> Result<(), PageError> {
    same_origin(request, public_url)?;
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
    use actix_web::test::TestRequest;

    fn request(headers: &[(&str, &str)]) -> HttpRequest {
        headers
            .iter()
            .fold(
                TestRequest::post().insert_header((HOST, "cafe.local:5000")),
                |r, h| r.insert_header(*h),
            )
            .to_http_request()
    }

    #[test]
    fn only_this_site_may_post() {
        assert!(same_origin(&request(&[]), None).is_ok());
        assert!(same_origin(&request(&[("origin", "http://cafe.local:5000")]), None).is_ok());
        assert!(
            same_origin(
                &request(&[("origin", "https://menu.cafe")]),
                PublicUrl::parse("https://menu.cafe").ok().as_ref()
            )
            .is_ok()
        );
        assert!(same_origin(&request(&[("origin", "http://evil.example")]), None).is_err());
        assert!(same_origin(&request(&[("origin", "null")]), None).is_err());
        assert!(same_origin(&request(&[("sec-fetch-site", "cross-site")]), None).is_err());
    }
}
