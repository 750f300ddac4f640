//! Settings, layered: the embedded `config.toml` defaults, then a config file,
//! then the Flask seed's `AUTH0_DOMAIN`/`API_AUDIENCE`, then
//! `COFFEE_SHOP__<SECTION>__<KEY>` environment variables. Validated once, at load.

use std::collections::HashMap;
use std::net::{IpAddr, ToSocketAddrs};
use std::path::{Path, PathBuf};

use config::{Config, Environment, File, FileFormat, Map, Source, Value};
use serde::{Deserialize, Serialize};
use ureq::http::Uri;

/// The repository's `config.toml`, which documents every key with its default.
const EMBEDDED_DEFAULTS: &str = include_str!("../config.toml");
/// Environment variable naming the config file when `--config` is not given.
pub const CONFIG_PATH_VAR: &str = "COFFEE_SHOP_CONFIG";

/// Why the settings cannot be used; names the key and the fix.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("cannot read the configuration: {0}")]
    Load(#[from] config::ConfigError),
    #[error("invalid setting `{key}`: {problem}. Fix: {fix}")]
    Invalid {
        key: &'static str,
        problem: String,
        fix: String,
    },
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    pub server: ServerSettings,
    pub database: DatabaseSettings,
    pub auth: AuthSettings,
    pub cors: CorsSettings,
    pub log: LogSettings,
    pub frontend: FrontendSettings,
    pub dashboard: DashboardSettings,
    /// Development mode (`serve --dev`); only the command line sets it, never
    /// a file or the environment, so a café machine cannot slip into it.
    #[serde(skip)]
    pub development: bool,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSettings {
    pub bind: String,
    pub workers: usize,
    pub max_body_bytes: usize,
    /// How long a client may take to send a request's head, in milliseconds.
    pub request_timeout_ms: u64,
    /// How long a client may take to send a request's body, in milliseconds.
    pub body_timeout_ms: u64,
    /// How long an idle keep-alive connection stays open, in seconds.
    pub keep_alive_secs: u64,
    /// Most connections each worker holds at once.
    pub max_connections: usize,
    /// The base URL people reach the server at (`http://<bind>` when unset).
    pub public_url: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseSettings {
    pub path: PathBuf,
    pub sample_menu: bool,
    pub pool_size: u32,
    pub busy_timeout_ms: u64,
    pub synchronous: Synchronous,
}

/// SQLite's `synchronous` pragma, limited to the two durable choices for WAL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Synchronous {
    Full,
    Normal,
}

impl Synchronous {
    pub fn pragma_value(self) -> &'static str {
        match self {
            Synchronous::Full => "FULL",
            Synchronous::Normal => "NORMAL",
        }
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct AuthSettings {
    pub domain: Option<String>,
    pub issuer: Option<String>,
    pub audience: String,
    pub jwks_url: Option<String>,
    pub leeway_secs: u64,
    pub startup_wait_ms: u64,
    pub refresh_cooldown_secs: u64,
    pub refresh_interval_secs: u64,
    pub max_token_bytes: usize,
    pub token_cache_size: usize,
}

/// The identity provider the API trusts, resolved from `[auth]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentityProvider {
    pub issuer: String,
    pub audience: String,
    pub jwks_url: String,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CorsSettings {
    pub allowed_origins: Vec<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct LogSettings {
    pub level: String,
    pub format: LogFormat,
}

/// The admin pages' OpenID Connect client.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct DashboardSettings {
    pub client_id: Option<String>,
    pub client_secret: Option<Secret>,
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
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

impl Serialize for Secret {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str("<redacted>")
    }
}

/// What the admin pages need to sign people in through the provider.
#[derive(Debug, Clone)]
pub struct DashboardClient {
    pub issuer: String,
    /// The Auth0 domain, when configured by it (for Auth0's logout URL).
    pub auth0_domain: Option<String>,
    pub audience: String,
    pub client_id: String,
    pub client_secret: Option<Secret>,
    /// `<public_url>/admin/callback`.
    pub redirect_uri: String,
    /// `<public_url>/admin`, where sign-out returns.
    pub home_url: String,
    /// True when the public URL is https, so cookies get `Secure`.
    pub secure_cookies: bool,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FrontendSettings {
    /// A directory with an `index.html` to serve at `/`.
    pub dir: Option<PathBuf>,
}

/// How log lines are written: for people, or for a log collector.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

impl Settings {
    /// Loads settings from the process environment and the given (or discovered) file.
    pub fn load(config_file: Option<&Path>) -> Result<Self, SettingsError> {
        let env: HashMap<String, String> = std::env::vars().collect();
        Self::load_from(config_file, &env)
    }

    /// The config file `load` reads, if any (for `check-config`).
    pub fn file_in_use(config_file: Option<&Path>) -> Option<PathBuf> {
        let env: HashMap<String, String> = std::env::vars().collect();
        config_file_path(config_file, &env)
    }

    /// Loads settings with an explicit environment, so tests need not touch the process's.
    pub fn load_from(
        config_file: Option<&Path>,
        env: &HashMap<String, String>,
    ) -> Result<Self, SettingsError> {
        let mut builder =
            Config::builder().add_source(File::from_str(EMBEDDED_DEFAULTS, FileFormat::Toml));
        if let Some(path) = config_file_path(config_file, env) {
            builder = builder.add_source(File::from(path).format(FileFormat::Toml).required(true));
        }
        let settings: Settings = builder
            .add_source(SeedVariables::from_env(env))
            .add_source(
                Environment::with_prefix("COFFEE_SHOP")
                    .prefix_separator("__")
                    .separator("__")
                    .try_parsing(true)
                    .list_separator(",")
                    .with_list_parse_key("cors.allowed_origins")
                    .source(Some(env.clone().into_iter().collect())),
            )
            .build()?
            .try_deserialize()?;
        settings.validate()?;
        Ok(settings)
    }

    fn validate(&self) -> Result<(), SettingsError> {
        if self.server.bind.to_socket_addrs().is_err() {
            return Err(invalid(
                "server.bind",
                format!("`{}` is not a host:port address", self.server.bind),
                "use an address such as 127.0.0.1:5000 or 0.0.0.0:8080",
            ));
        }
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
        if self.database.pool_size == 0 {
            return Err(invalid(
                "database.pool_size",
                "is 0".into(),
                "use at least 1 connection",
            ));
        }
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
        if let Some(dir) = &self.frontend.dir
            && !dir.join("index.html").is_file()
        {
            return Err(invalid(
                "frontend.dir",
                format!("`{}` has no index.html", dir.display()),
                "point it at the folder of a web build (the one holding index.html), or remove it",
            ));
        }
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
        let public_url = self.public_url();
        if !is_origin(&public_url) {
            return Err(invalid(
                "server.public_url",
                format!("`{public_url}` is not a base URL"),
                "write it as scheme://host[:port] with no path, e.g. https://menu.example-cafe.com",
            ));
        }
        self.dashboard_client_at(&self.public_url()).map(|_| ())
    }

    /// The base URL people reach the server at, without a trailing slash.
    pub fn public_url(&self) -> String {
        match non_empty(&self.server.public_url) {
            Some(url) => url.trim_end_matches('/').to_owned(),
            None => format!("http://{}", self.server.bind),
        }
    }

    /// The dashboard's sign-in client for the server reached at
    /// `public_url`, or `None` when `dashboard.client_id` or the issuer is
    /// not set.
    pub fn dashboard_client_at(
        &self,
        public_url: &str,
    ) -> Result<Option<DashboardClient>, SettingsError> {
        let Some(client_id) = non_empty(&self.dashboard.client_id) else {
            return Ok(None);
        };
        let Some(provider) = self.auth.identity_provider()? else {
            return Ok(None);
        };
        let public_url = public_url.trim_end_matches('/');
        Ok(Some(DashboardClient {
            issuer: provider.issuer,
            auth0_domain: non_empty(&self.auth.domain)
                .map(bare_domain)
                .transpose()?
                .map(str::to_owned),
            audience: provider.audience,
            client_id: client_id.to_owned(),
            client_secret: self
                .dashboard
                .client_secret
                .clone()
                .filter(|secret| !secret.0.is_empty()),
            redirect_uri: format!("{public_url}/admin/callback"),
            home_url: format!("{public_url}/admin"),
            secure_cookies: public_url.starts_with("https://"),
        }))
    }
}

impl AuthSettings {
    /// The provider to trust, or `None` when no issuer is configured.
    pub fn identity_provider(&self) -> Result<Option<IdentityProvider>, SettingsError> {
        let domain = non_empty(&self.domain).map(bare_domain).transpose()?;
        let issuer = match (non_empty(&self.issuer), domain) {
            (Some(issuer), _) => issuer.to_owned(),
            (None, Some(domain)) => format!("https://{domain}/"),
            (None, None) => return Ok(None),
        };
        check_url("auth.issuer", &issuer)?;
        let jwks_url = match (non_empty(&self.jwks_url), domain) {
            (Some(url), _) => url.to_owned(),
            (None, Some(domain)) => {
                format!(
                    "https://{}/.well-known/jwks.json",
                    domain.trim_end_matches('/')
                )
            }
            (None, None) => format!("{}/.well-known/jwks.json", issuer.trim_end_matches('/')),
        };
        check_url("auth.jwks_url", &jwks_url)?;
        if self.audience.trim().is_empty() {
            return Err(invalid(
                "auth.audience",
                "is empty".into(),
                "set it to the API identifier registered with the provider",
            ));
        }
        Ok(Some(IdentityProvider {
            issuer,
            audience: self.audience.clone(),
            jwks_url,
        }))
    }
}

/// The Auth0 domain as a bare host; a pasted `https://…/` is forgiven.
fn bare_domain(domain: &str) -> Result<&str, SettingsError> {
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

fn check_range(key: &'static str, value: u64, min: u64, max: u64) -> Result<(), SettingsError> {
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
fn check_url(key: &'static str, url: &str) -> Result<(), SettingsError> {
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

/// `scheme://host[:port]` with nothing after it.
fn is_origin(origin: &str) -> bool {
    origin.parse::<Uri>().is_ok_and(|uri| {
        uri.scheme().is_some()
            && uri.host().is_some_and(|h| !h.is_empty())
            && uri.path_and_query().is_none_or(|pq| pq.as_str() == "/")
            && !origin.ends_with('/')
    })
}

impl ServerSettings {
    /// True when `bind` only reaches this machine.
    pub fn binds_loopback_only(&self) -> bool {
        self.bind
            .to_socket_addrs()
            .is_ok_and(|mut addresses| addresses.all(|address| address.ip().is_loopback()))
    }
}

/// True for `localhost` and loopback IP addresses (with or without IPv6 brackets).
fn is_loopback_host(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    bare.eq_ignore_ascii_case("localhost")
        || bare.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

fn non_empty(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

fn invalid(key: &'static str, problem: String, fix: impl Into<String>) -> SettingsError {
    SettingsError::Invalid {
        key,
        problem,
        fix: fix.into(),
    }
}

fn config_file_path(explicit: Option<&Path>, env: &HashMap<String, String>) -> Option<PathBuf> {
    if let Some(path) = explicit {
        return Some(path.to_owned());
    }
    if let Some(path) = env.get(CONFIG_PATH_VAR).filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(path));
    }
    let local = PathBuf::from("config.toml");
    local.is_file().then_some(local)
}

/// The Flask seed's `AUTH0_DOMAIN` and `API_AUDIENCE`, as a config layer that
/// `COFFEE_SHOP__*` variables still override.
#[derive(Debug, Clone)]
struct SeedVariables(Map<String, Value>);

impl SeedVariables {
    fn from_env(env: &HashMap<String, String>) -> Self {
        let mut layer = Map::new();
        for (variable, key) in [
            ("AUTH0_DOMAIN", "auth.domain"),
            ("API_AUDIENCE", "auth.audience"),
        ] {
            if let Some(value) = env.get(variable).filter(|v| !v.trim().is_empty()) {
                layer.insert(key.to_owned(), Value::from(value.trim()));
            }
        }
        Self(layer)
    }
}

impl Source for SeedVariables {
    fn clone_into_box(&self) -> Box<dyn Source + Send + Sync> {
        Box::new(self.clone())
    }

    fn collect(&self) -> Result<Map<String, Value>, config::ConfigError> {
        Ok(self.0.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(env: &[(&str, &str)]) -> Result<Settings, SettingsError> {
        let env = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Settings::load_from(None, &env)
    }

    #[test]
    fn embedded_defaults_load() {
        let settings = load(&[]).expect("defaults are valid");
        assert_eq!(settings.server.bind, "127.0.0.1:5000");
        assert_eq!(settings.database.path, PathBuf::from("coffee-shop.db"));
        assert_eq!(settings.auth.audience, "bar");
        assert!(settings.auth.identity_provider().expect("valid").is_none());
        assert_eq!(settings.cors.allowed_origins, ["*"]);
    }

    #[test]
    fn auth0_domain_sets_issuer_and_jwks_url() {
        let settings = load(&[
            ("AUTH0_DOMAIN", "cafe.eu.auth0.com"),
            ("API_AUDIENCE", "drinks"),
        ])
        .expect("valid");
        let provider = settings
            .auth
            .identity_provider()
            .expect("valid")
            .expect("configured");
        assert_eq!(provider.issuer, "https://cafe.eu.auth0.com/");
        assert_eq!(
            provider.jwks_url,
            "https://cafe.eu.auth0.com/.well-known/jwks.json"
        );
        assert_eq!(provider.audience, "drinks");
    }

    #[test]
    fn prefixed_variables_override_the_seed_variables() {
        let settings = load(&[
            ("API_AUDIENCE", "seed"),
            ("COFFEE_SHOP__AUTH__AUDIENCE", "prefixed"),
            ("COFFEE_SHOP__SERVER__BIND", "0.0.0.0:8080"),
            ("COFFEE_SHOP__DATABASE__SAMPLE_MENU", "false"),
            (
                "COFFEE_SHOP__CORS__ALLOWED_ORIGINS",
                "http://localhost:8100,http://a.test",
            ),
        ])
        .expect("valid");
        assert_eq!(settings.auth.audience, "prefixed");
        assert_eq!(settings.server.bind, "0.0.0.0:8080");
        assert!(!settings.database.sample_menu);
        assert_eq!(
            settings.cors.allowed_origins,
            ["http://localhost:8100", "http://a.test"]
        );
    }

    #[test]
    fn plain_http_is_refused_except_on_loopback() {
        let error = load(&[("COFFEE_SHOP__AUTH__ISSUER", "http://idp.example.com/")])
            .expect_err("http is refused");
        assert!(error.to_string().contains("auth.issuer"), "{error}");
        assert!(load(&[("COFFEE_SHOP__AUTH__ISSUER", "http://127.0.0.1:9999/")]).is_ok());
        assert!(load(&[("COFFEE_SHOP__AUTH__ISSUER", "http://[::1]:9999/")]).is_ok());
    }

    #[test]
    fn a_pasted_auth0_url_is_forgiven_and_garbage_refused() {
        let settings = load(&[("AUTH0_DOMAIN", "https://cafe.auth0.com/")]).expect("valid");
        let provider = settings
            .auth
            .identity_provider()
            .expect("valid")
            .expect("configured");
        assert_eq!(provider.issuer, "https://cafe.auth0.com/");
        let error = load(&[("AUTH0_DOMAIN", "cafe.auth0.com/path?x")]).expect_err("invalid");
        assert!(error.to_string().contains("auth.domain"), "{error}");
    }

    #[test]
    fn the_jwks_url_needs_https_outside_loopback() {
        let error = load(&[
            ("COFFEE_SHOP__AUTH__ISSUER", "https://idp.example.com/"),
            ("COFFEE_SHOP__AUTH__JWKS_URL", "http://idp.example.com/keys"),
        ])
        .expect_err("http is refused");
        assert!(error.to_string().contains("auth.jwks_url"), "{error}");
        let settings =
            load(&[("COFFEE_SHOP__AUTH__ISSUER", "https://idp.example.com")]).expect("valid");
        let provider = settings
            .auth
            .identity_provider()
            .expect("valid")
            .expect("configured");
        assert_eq!(
            provider.jwks_url,
            "https://idp.example.com/.well-known/jwks.json"
        );
    }

    #[test]
    fn refetch_timings_are_bounded() {
        for (key, value) in [
            ("COFFEE_SHOP__AUTH__REFRESH_COOLDOWN_SECS", "0"),
            ("COFFEE_SHOP__AUTH__REFRESH_INTERVAL_SECS", "0"),
            ("COFFEE_SHOP__AUTH__LEEWAY_SECS", "100000"),
            ("COFFEE_SHOP__AUTH__STARTUP_WAIT_MS", "600000"),
        ] {
            let error = load(&[(key, value)]).expect_err("out of range");
            let setting = key.trim_start_matches("COFFEE_SHOP__AUTH__").to_lowercase();
            assert!(error.to_string().contains(&setting), "{error}");
        }
    }

    #[test]
    fn a_file_overrides_the_defaults_and_variables_override_the_file() {
        let dir = tempfile::tempdir().expect("temp dir");
        let file = dir.path().join("cafe.toml");
        std::fs::write(&file, "[server]\nbind = \"127.0.0.1:7000\"\nworkers = 3\n").expect("write");
        let env: HashMap<String, String> =
            [("COFFEE_SHOP__SERVER__WORKERS".to_owned(), "5".to_owned())].into();
        let settings = Settings::load_from(Some(&file), &env).expect("valid");
        assert_eq!(
            settings.server.bind, "127.0.0.1:7000",
            "file beats defaults"
        );
        assert_eq!(settings.server.workers, 5, "environment beats file");
        assert_eq!(settings.auth.audience, "bar", "defaults fill the rest");

        let env: HashMap<String, String> =
            [(CONFIG_PATH_VAR.to_owned(), file.display().to_string())].into();
        let settings = Settings::load_from(None, &env).expect("valid");
        assert_eq!(
            settings.server.workers, 3,
            "COFFEE_SHOP_CONFIG names the file"
        );
    }

    #[test]
    fn invalid_values_name_the_key() {
        let error = load(&[("COFFEE_SHOP__SERVER__BIND", "nonsense")]).expect_err("invalid");
        assert!(error.to_string().contains("server.bind"), "{error}");
        let error = load(&[("COFFEE_SHOP__AUTH__LEEWAY_SECS", "soon")]).expect_err("invalid");
        assert!(error.to_string().contains("leeway_secs"), "{error}");
        let error = load(&[("COFFEE_SHOP__DATABASE__SYNCHRONOUS", "off")]).expect_err("invalid");
        assert!(error.to_string().contains("synchronous"), "{error}");
    }
}
