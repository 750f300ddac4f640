//! Validation, once, at load: every error names the key and the fix.

use ureq::http::Uri;

use super::types::{is_loopback_host, is_origin};
use super::{Settings, SettingsError};

impl Settings {
    pub(super) fn validate(&self) -> Result<(), SettingsError> {
        self.validate_server()?;
        self.validate_database_and_web()?;
        self.validate_tls()?;
        self.validate_metrics()?;
        self.validate_backup()?;
        self.validate_auth()
    }

    fn validate_server(&self) -> Result<(), SettingsError> {
        if self.server.max_body_bytes < 1024 {
            return Err(invalid(
                "server.max_body_bytes",
                "is below 1 KiB".into(),
                "use a limit of at least 1024 bytes (default 65536)",
            ));
        }
        check_range(
            "server.request_timeout_ms",
            self.server.request_timeout_ms,
            100,
            60_000,
        )?;
        check_range(
            "server.body_timeout_ms",
            self.server.body_timeout_ms,
            100,
            300_000,
        )?;
        check_range(
            "server.keep_alive_secs",
            self.server.keep_alive_secs,
            0,
            600,
        )?;
        check_range(
            "server.max_connections",
            self.server.max_connections as u64,
            16,
            100_000,
        )?;
        Ok(())
    }

    fn validate_database_and_web(&self) -> Result<(), SettingsError> {
        check_range("menu.max_drinks", self.menu.max_drinks.into(), 1, 1_000_000)?;
        if let Some(days) = self.activity.keep_days {
            check_range("activity.keep_days", days.into(), 1, 36_500)?;
        }
        if self.database.pool_size == 0 {
            return Err(invalid(
                "database.pool_size",
                "is 0".into(),
                "use at least 1 connection",
            ));
        }
        check_range(
            "database.connect_timeout_ms",
            self.database.connect_timeout_ms,
            100,
            600_000,
        )?;
        if self.cors.allowed_origins.is_empty() {
            return Err(invalid(
                "cors.allowed_origins",
                "is empty".into(),
                "list the origins of the mobile app, or [\"*\"] for any",
            ));
        }
        for origin in &self.cors.allowed_origins {
            if origin != "*" && !is_origin(origin) {
                return Err(invalid(
                    "cors.allowed_origins",
                    format!("`{origin}` is not an origin"),
                    "write origins as scheme://host[:port], e.g. http://localhost:8100, or \"*\"",
                ));
            }
        }
        if tracing_subscriber::EnvFilter::try_new(&self.log.level).is_err() {
            return Err(invalid(
                "log.level",
                format!("`{}` is not a log filter", self.log.level),
                "use a level such as \"info\" or a filter such as \"coffee_shop=debug,info\"",
            ));
        }
        if let Some(dir) = &self.frontend.dir {
            if !dir.join("index.html").is_file() {
                return Err(invalid(
                    "frontend.dir",
                    format!("`{}` has no index.html", dir.display()),
                    "point it at the folder of a web build (the one holding index.html), or remove it",
                ));
            }
            // Nothing outside the folder is ever served, the entry page included.
            let inside = match (dir.canonicalize(), dir.join("index.html").canonicalize()) {
                (Ok(root), Ok(index)) => index.starts_with(root),
                _ => false,
            };
            if !inside {
                return Err(invalid(
                    "frontend.dir",
                    format!("`{}`'s index.html leads outside the folder", dir.display()),
                    "copy the web build into the folder instead of linking to files elsewhere",
                ));
            }
        }
        Ok(())
    }

    fn validate_auth(&self) -> Result<(), SettingsError> {
        let auth = &self.auth;
        check_range(
            "auth.max_token_bytes",
            auth.max_token_bytes as u64,
            512,
            65_536,
        )?;
        check_range("auth.leeway_secs", auth.leeway_secs, 0, 300)?;
        check_range("auth.startup_wait_ms", auth.startup_wait_ms, 0, 60_000)?;
        // Zero would turn off the flood protection, or refetch without pause.
        check_range(
            "auth.refresh_cooldown_secs",
            auth.refresh_cooldown_secs,
            1,
            3600,
        )?;
        check_range(
            "auth.refresh_interval_secs",
            auth.refresh_interval_secs,
            1,
            86_400,
        )?;
        auth.identity_provider()?;
        self.dashboard_client_at(&self.base_url(self.main_bind().socket_addr()))
            .map(|_| ())
    }
}

/// The Auth0 domain as a bare host; a pasted `https://…/` is forgiven.
pub(super) fn bare_domain(domain: &str) -> Result<&str, SettingsError> {
    let host = domain
        .strip_prefix("https://")
        .unwrap_or(domain)
        .trim_end_matches('/');
    let is_host = !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-');
    if is_host {
        Ok(host)
    } else {
        Err(invalid(
            "auth.domain",
            format!("`{domain}` is not a domain name"),
            "use the tenant's domain alone, e.g. example.eu.auth0.com",
        ))
    }
}

pub(super) fn check_range(
    key: &'static str,
    value: u64,
    min: u64,
    max: u64,
) -> Result<(), SettingsError> {
    if (min..=max).contains(&value) {
        return Ok(());
    }
    Err(invalid(
        key,
        format!("{value} is out of range"),
        format!("use a value from {min} to {max} (config.toml shows the default)"),
    ))
}

/// https is required, except for loopback hosts (local test providers).
pub(super) fn check_url(key: &'static str, url: &str) -> Result<(), SettingsError> {
    let uri: Uri = url.parse().map_err(|_| {
        invalid(
            key,
            format!("`{url}` is not a URL"),
            "use a full URL such as https://example.eu.auth0.com/",
        )
    })?;
    let host = uri.host().unwrap_or_default();
    match uri.scheme_str() {
        Some("https") if !host.is_empty() => Ok(()),
        Some("http") if is_loopback_host(host) => Ok(()),
        _ => Err(invalid(
            key,
            format!("`{url}` is not an https URL"),
            "use https (plain http is only allowed for loopback hosts)",
        )),
    }
}

pub(super) fn non_empty(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

pub(super) fn invalid(key: &'static str, problem: String, fix: impl Into<String>) -> SettingsError {
    SettingsError::Invalid {
        key,
        problem,
        fix: fix.into(),
    }
}
