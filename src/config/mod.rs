//! The settings' types. `load` layers them (embedded defaults, a file,
//! the environment), `validate` checks them once at load, and `types` holds
//! the values parsed into what they mean (addresses, URLs, secrets).

use std::net::SocketAddr;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

mod backup;
mod database;
mod load;
mod metrics;
mod tls;
mod types;
mod validate;

pub use backup::{BackupSettings, S3Settings};
pub use database::{DatabaseSettings, DatabaseUrl, PgSslMode, Synchronous};
pub use load::CONFIG_PATH_VAR;
pub use metrics::MetricsSettings;
pub use tls::{AcmeSettings, TlsMode, TlsSettings};
pub use types::{BindAddress, PublicUrl, Secret, reachable_here, split_authority};
use validate::{bare_domain, check_url, invalid, non_empty};

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
    pub tls: TlsSettings,
    pub metrics: MetricsSettings,
    pub menu: MenuSettings,
    pub backup: BackupSettings,
    pub activity: ActivitySettings,
    /// Development mode (`serve --dev`); only the command line sets it, never
    /// a file or the environment, so a café machine cannot slip into it.
    #[serde(skip)]
    pub development: bool,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSettings {
    pub bind: BindAddress,
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
    #[serde(default, deserialize_with = "types::optional_public_url")]
    pub public_url: Option<PublicUrl>,
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

/// `[activity]`: how long the activity log is kept.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ActivitySettings {
    /// Activity older than this many days is deleted daily; unset keeps everything.
    #[serde(default)]
    pub keep_days: Option<u32>,
}

/// `[menu]`: bounds on what the menu holds.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct MenuSettings {
    /// The most drinks the menu may hold.
    pub max_drinks: u32,
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
    #[serde(default)]
    pub color: LogColor,
}

/// The admin pages' OpenID Connect client.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct DashboardSettings {
    pub client_id: Option<String>,
    pub client_secret: Option<Secret>,
    /// Seals pending sign-ins into the browser's cookie; the same on every
    /// server of a chain. Unset: a key file beside the database.
    #[serde(default)]
    pub cookie_secret: Option<Secret>,
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

/// Whether text log lines carry terminal colour codes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LogColor {
    /// Only when stderr is a terminal and `NO_COLOR` is not set: a file or
    /// journald gets plain text.
    #[default]
    Auto,
    Always,
    Never,
}

impl Settings {
    /// The base URL people reach the server at: `server.public_url`, else
    /// `https://<first ACME domain>`, else the address bound (`bound`, which
    /// may differ from the setting when it asked for port 0), over https
    /// when TLS is on.
    pub fn base_url(&self, bound: SocketAddr) -> PublicUrl {
        self.configured_base_url(bound.port()).unwrap_or_else(|| {
            let scheme = match self.tls_mode() {
                TlsMode::Off => "http",
                _ => "https",
            };
            PublicUrl::of_address(scheme, bound)
        })
    }

    /// The base URL the owner named: `server.public_url`, else
    /// `https://<first ACME domain>` on `https_port`; `None` when people
    /// reach the server by whatever address it is bound to.
    pub fn configured_base_url(&self, https_port: u16) -> Option<PublicUrl> {
        if let Some(url) = &self.server.public_url {
            return Some(url.clone());
        }
        match self.tls_mode() {
            TlsMode::Acme(acme) => acme
                .domains
                .first()
                .map(|domain| PublicUrl::of_domain(domain, https_port)),
            _ => None,
        }
    }

    /// The address the application listens on: `tls.https_bind` when TLS
    /// is on, else `server.bind`.
    pub fn main_bind(&self) -> BindAddress {
        match self.tls_mode() {
            TlsMode::Off => self.server.bind,
            _ => self.tls.https_bind,
        }
    }

    /// The setting `main_bind` comes from, for messages.
    pub fn main_bind_setting(&self) -> &'static str {
        match self.tls_mode() {
            TlsMode::Off => "server.bind",
            _ => "tls.https_bind",
        }
    }

    /// The dashboard's sign-in client for the server reached at
    /// `public_url`, or `None` when `dashboard.client_id` or the issuer is
    /// not set.
    pub fn dashboard_client_at(
        &self,
        public_url: &PublicUrl,
    ) -> Result<Option<DashboardClient>, SettingsError> {
        let Some(client_id) = non_empty(&self.dashboard.client_id) else {
            return Ok(None);
        };
        let Some(provider) = self.auth.identity_provider()? else {
            return Ok(None);
        };
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
                .filter(|secret| !secret.is_empty()),
            redirect_uri: public_url.join(crate::paths::CALLBACK),
            home_url: public_url.join(crate::paths::ADMIN),
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn configured_provider(settings: &Settings) -> IdentityProvider {
        settings
            .auth
            .identity_provider()
            .expect("valid")
            .expect("configured")
    }

    /// Settings from the embedded defaults and `env` alone (also used by
    /// the other settings modules' tests).
    pub(super) fn load(env: &[(&str, &str)]) -> Result<Settings, SettingsError> {
        let env = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Settings::load_from(None, &env)
    }

    /// Asserts that `env` is refused with a message naming `key`.
    pub(super) fn assert_refused_naming(env: &[(&str, &str)], key: &str) {
        let error = load(env).expect_err("refused");
        assert!(error.to_string().contains(key), "{key}: {error}");
    }

    #[test]
    fn embedded_defaults_load() {
        let settings = load(&[]).expect("defaults are valid");
        assert_eq!(settings.server.bind.to_string(), "127.0.0.1:5000");
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
        let provider = configured_provider(&settings);
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
        assert_eq!(settings.server.bind.to_string(), "0.0.0.0:8080");
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
        let provider = configured_provider(&settings);
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
        let provider = configured_provider(&settings);
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
            settings.server.bind.to_string(),
            "127.0.0.1:7000",
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
    fn the_public_url_is_a_base_url_and_empty_means_unset() {
        let unset = load(&[("COFFEE_SHOP__SERVER__PUBLIC_URL", " ")]).expect("valid");
        assert_eq!(unset.server.public_url, None);
        let bound = "127.0.0.1:5000".parse().expect("address");
        assert_eq!(unset.base_url(bound).as_str(), "http://127.0.0.1:5000");
        let set =
            load(&[("COFFEE_SHOP__SERVER__PUBLIC_URL", "https://menu.cafe/")]).expect("valid");
        assert_eq!(set.base_url(bound).as_str(), "https://menu.cafe");
        let error = load(&[("COFFEE_SHOP__SERVER__PUBLIC_URL", "https://menu.cafe/admin")])
            .expect_err("a path is refused");
        assert!(error.to_string().contains("server.public_url"), "{error}");
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
