//! Development mode (`serve --dev`) answers only requests addressed to this
//! machine by a loopback name. A DNS-rebinding page (a site whose name was
//! re-pointed at 127.0.0.1) is same-origin with itself, so `Origin` checks
//! cannot stop it, but its requests carry its own name in `Host`.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::HOST;
use actix_web::middleware::Next;
use actix_web::{Error, HttpResponse, web};

use crate::config::split_authority;
use crate::error::error_body;

/// The port a development server listens on; `Host` must be
/// `127.0.0.1`, `[::1]` or `localhost` with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DevelopmentHosts {
    pub port: u16,
}

impl DevelopmentHosts {
    pub fn allows(self, host: &str) -> bool {
        let (name, port) = split_authority(host, 80);
        let loopback_name =
            name.eq_ignore_ascii_case("localhost") || name == "127.0.0.1" || name == "::1";
        loopback_name && port == Some(self.port)
    }
}

/// Middleware: refuses (403) a request whose `Host` (or HTTP/2 authority)
/// is not a loopback name, when `DevelopmentHosts` is in the app data.
/// Forwarding headers are ignored: a page can set them.
pub async fn loopback_hosts_only(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    if let Some(hosts) = request.app_data::<web::Data<DevelopmentHosts>>() {
        let host = request
            .headers()
            .get(HOST)
            .and_then(|value| value.to_str().ok())
            .or_else(|| {
                request
                    .uri()
                    .authority()
                    .map(|authority| authority.as_str())
            })
            .unwrap_or_default();
        if !hosts.allows(host) {
            let body = error_body(
                StatusCode::FORBIDDEN,
                "forbidden",
                "development mode answers only requests to 127.0.0.1, [::1] or localhost",
            );
            let response = HttpResponse::Forbidden().json(body);
            return Ok(request.into_response(response));
        }
    }
    Ok(next.call(request).await?.map_into_boxed_body())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_names_with_the_port_pass() {
        let hosts = DevelopmentHosts { port: 5000 };
        for good in [
            "127.0.0.1:5000",
            "localhost:5000",
            "LOCALHOST:5000",
            "[::1]:5000",
        ] {
            assert!(hosts.allows(good), "{good}");
        }
        for bad in [
            "evil.example:5000",
            "127.0.0.1:5001",
            "127.0.0.1",
            "localhost.evil.example:5000",
            "[::1]",
            "",
        ] {
            assert!(!hosts.allows(bad), "{bad}");
        }
    }
}
