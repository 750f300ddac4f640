//! Setting values parsed once, at load, into the types they mean, so
//! nothing downstream parses them again.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, ToSocketAddrs};

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use ureq::http::Uri;

/// A listening address (`server.bind`); a host name is resolved at load.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BindAddress(SocketAddr);

impl BindAddress {
    pub fn socket_addr(self) -> SocketAddr {
        self.0
    }

    /// True when only this machine can reach the address.
    pub fn is_loopback(self) -> bool {
        self.0.ip().is_loopback()
    }
}

/// Where a client on this machine reaches a server bound to `address`: a
/// wildcard address is reached on loopback.
pub fn reachable_here(address: SocketAddr) -> SocketAddr {
    match address {
        SocketAddr::V4(v4) if v4.ip().is_unspecified() => {
            SocketAddr::new(Ipv4Addr::LOCALHOST.into(), v4.port())
        }
        SocketAddr::V6(v6) if v6.ip().is_unspecified() => {
            SocketAddr::new(Ipv6Addr::LOCALHOST.into(), v6.port())
        }
        other => other,
    }
}

impl From<SocketAddr> for BindAddress {
    fn from(address: SocketAddr) -> Self {
        Self(address)
    }
}

impl fmt::Display for BindAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl BindAddress {
    /// Parses `host:port`, resolving a host name; the error says what to write.
    pub fn parse(text: &str) -> Result<Self, String> {
        text.to_socket_addrs()
            .ok()
            .and_then(|mut addresses| addresses.next())
            .map(Self)
            .ok_or_else(|| {
                format!(
                    "`{text}` is not a host:port address; use an address such as \
                     127.0.0.1:5000 or 0.0.0.0:8080"
                )
            })
    }
}

impl<'de> Deserialize<'de> for BindAddress {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

impl Serialize for BindAddress {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&self.0)
    }
}

/// A base URL people reach the server at: `scheme://host[:port]`, no path,
/// no trailing slash (`server.public_url`, or `http://<address bound>`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicUrl(String);

impl PublicUrl {
    /// Parses a base URL (a trailing slash is forgiven); the error says
    /// what is wrong with it.
    pub fn parse(text: &str) -> Result<Self, String> {
        let trimmed = text.trim().trim_end_matches('/');
        if is_origin(trimmed) {
            Ok(Self(trimmed.to_owned()))
        } else {
            Err(format!("`{text}` is not a base URL"))
        }
    }

    /// The URL of a server bound to `address`, reached on this machine.
    pub fn of_address(scheme: &str, address: SocketAddr) -> Self {
        Self(format!("{scheme}://{}", reachable_here(address)))
    }

    /// `https://<host>`, with the port unless it is 443.
    pub fn of_domain(domain: &str, port: u16) -> Self {
        match port {
            443 => Self(format!("https://{domain}")),
            port => Self(format!("https://{domain}:{port}")),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// True when only this machine can reach the URL's host.
    pub fn is_loopback(&self) -> bool {
        self.0
            .parse::<Uri>()
            .ok()
            .and_then(|uri| uri.host().map(is_loopback_host))
            .unwrap_or(false)
    }

    /// True for https, where cookies get `Secure`.
    pub fn is_https(&self) -> bool {
        self.0.starts_with("https://")
    }

    /// `path` (starting with `/`) on this server.
    pub fn join(&self, path: &str) -> String {
        format!("{}{path}", self.0)
    }
}

impl fmt::Display for PublicUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// `server.public_url`: unset when missing or empty, else a base URL.
pub fn optional_public_url<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<PublicUrl>, D::Error> {
    let Some(text) = Option::<String>::deserialize(deserializer)? else {
        return Ok(None);
    };
    if text.trim().is_empty() {
        return Ok(None);
    }
    PublicUrl::parse(&text).map(Some).map_err(|problem| {
        serde::de::Error::custom(format!(
            "{problem}; write it as scheme://host[:port] with no path, e.g. \
             https://menu.example-cafe.com"
        ))
    })
}

/// `host[:port]`, as in `Host` and `Origin` (IPv6 in brackets), into the
/// host without brackets and the port (`default_port` when none is given;
/// `None` when it is not a number).
pub fn split_authority(authority: &str, default_port: u16) -> (&str, Option<u16>) {
    let (host, port) = match authority.rsplit_once(':') {
        Some((host, port)) if !port.contains(']') => (host, port.parse().ok()),
        _ => (authority, Some(default_port)),
    };
    (host.trim_start_matches('[').trim_end_matches(']'), port)
}

/// True for `localhost` and loopback IP addresses (with or without IPv6 brackets).
pub(super) fn is_loopback_host(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    bare.eq_ignore_ascii_case("localhost")
        || bare.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// `scheme://host[:port]` with nothing after it (an origin, as browsers
/// send in `Origin`).
pub fn is_origin(origin: &str) -> bool {
    origin.parse::<Uri>().is_ok_and(|uri| {
        uri.scheme().is_some()
            && uri.host().is_some_and(|h| !h.is_empty())
            && uri.path_and_query().is_none_or(|pq| pq.as_str() == "/")
            && !origin.ends_with('/')
    })
}

impl Serialize for PublicUrl {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

/// A setting that must never be printed: `Debug` and `Serialize` (used by
/// `check-config`) both write `<redacted>`.
#[derive(Clone, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// The value, for the one place that sends it to the provider.
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl Serialize for Secret {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str("<redacted>")
    }
}

/// Reads a setting that is `"off"` (or empty) for none, and otherwise what
/// `parse` makes of it.
pub(super) fn read_or_off<'de, D: Deserializer<'de>, T, E: fmt::Display>(
    deserializer: D,
    parse: impl FnOnce(&str) -> Result<T, E>,
) -> Result<Option<T>, D::Error> {
    let text = String::deserialize(deserializer)?;
    let text = text.trim();
    if text.is_empty() || text.eq_ignore_ascii_case("off") {
        return Ok(None);
    }
    parse(text).map(Some).map_err(serde::de::Error::custom)
}

/// Writes such a setting back as it is read.
pub(super) fn write_or_off<S: Serializer>(
    value: Option<impl fmt::Display>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match value {
        Some(value) => serializer.collect_str(&value),
        None => serializer.serialize_str("off"),
    }
}

/// A listener address, or `"off"` (or empty) for none.
pub(super) fn optional_bind<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<BindAddress>, D::Error> {
    read_or_off(deserializer, BindAddress::parse)
}

pub(super) fn bind_or_off<S: Serializer>(
    bind: &Option<BindAddress>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    write_or_off(bind.as_ref(), serializer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls_are_origins_without_a_trailing_slash() {
        let url = PublicUrl::parse("https://menu.cafe/").expect("valid");
        assert_eq!(url.as_str(), "https://menu.cafe");
        assert!(url.is_https());
        assert_eq!(url.join("/admin"), "https://menu.cafe/admin");
        assert!(PublicUrl::parse("https://menu.cafe/path").is_err());
        assert!(PublicUrl::parse("https://menu.cafe?x=1").is_err());
        assert!(PublicUrl::parse("menu.cafe").is_err());
    }

    #[test]
    fn bind_addresses_resolve_host_names_at_load() {
        let parse = |text: &str| BindAddress::deserialize(serde_json::json!(text));
        let local = parse("localhost:5000").expect("resolves");
        assert!(local.is_loopback());
        assert_eq!(local.socket_addr().port(), 5000);
        assert!(!parse("0.0.0.0:8080").expect("valid").is_loopback());
        let error = parse("nonsense").expect_err("not an address");
        assert!(error.to_string().contains("host:port"), "{error}");
    }

    #[test]
    fn wildcards_are_reached_on_loopback() {
        let any: SocketAddr = "0.0.0.0:5000".parse().expect("address");
        assert_eq!(reachable_here(any).to_string(), "127.0.0.1:5000");
        let any6: SocketAddr = "[::]:5000".parse().expect("address");
        assert_eq!(reachable_here(any6).to_string(), "[::1]:5000");
        assert_eq!(
            PublicUrl::of_address("http", any).as_str(),
            "http://127.0.0.1:5000"
        );
    }
}
