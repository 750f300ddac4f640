//! Loading the settings, layered: the embedded `config.toml` defaults, then
//! a config file, then the conventional variables (the Flask seed's
//! `AUTH0_DOMAIN`/`API_AUDIENCE`, S3's `AWS_ACCESS_KEY_ID`/`..._SECRET_...`), then
//! `COFFEE_SHOP__<SECTION>__<KEY>` environment variables.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use config::{Config, Environment, File, FileFormat, Map, Source, Value};

use super::{Settings, SettingsError};

/// The repository's `config.toml`, which documents every key with its default.
const EMBEDDED_DEFAULTS: &str = include_str!("../../config.toml");
/// Environment variable naming the config file when `--config` is not given.
pub const CONFIG_PATH_VAR: &str = "COFFEE_SHOP_CONFIG";

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
        let mut settings: Settings = builder
            .add_source(SeedVariables::from_env(env))
            .add_source(
                Environment::with_prefix("COFFEE_SHOP")
                    .prefix_separator("__")
                    .separator("__")
                    .try_parsing(true)
                    .list_separator(",")
                    .with_list_parse_key("cors.allowed_origins")
                    .with_list_parse_key("tls.acme_domains")
                    .source(Some(env.clone().into_iter().collect())),
            )
            .build()?
            .try_deserialize()?;
        anchor_paths(&mut settings);
        settings.validate()?;
        Ok(settings)
    }
}

fn config_file_path(explicit: Option<&Path>, env: &HashMap<String, String>) -> Option<PathBuf> {
    if let Some(path) = explicit {
        return Some(path.to_owned());
    }
    if let Some(path) = env.get(CONFIG_PATH_VAR).filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(path));
    }
    let local = beside_the_program(PathBuf::from("config.toml"));
    local.is_file().then_some(local)
}

/// The files the settings name, anchored as `beside_the_program` says.
fn anchor_paths(settings: &mut Settings) {
    settings.database.path = beside_the_program(std::mem::take(&mut settings.database.path));
    for path in [
        &mut settings.backup.dir,
        &mut settings.tls.cert,
        &mut settings.tls.key,
        &mut settings.tls.acme_dir,
        &mut settings.tls.acme_ca_file,
        &mut settings.database.ca_file,
    ] {
        *path = path.take().map(beside_the_program);
    }
}

/// On Windows a relative path in the settings (and the `config.toml` looked
/// for by default) is taken from the folder that holds `coffee-shop.exe`: a
/// double-click, a scheduled task and a service each start in a different
/// folder (a service in `C:\Windows\System32`), and all of them must find
/// the same data. Elsewhere the working directory decides, as for any Unix
/// tool (the systemd unit sets it).
fn beside_the_program(path: PathBuf) -> PathBuf {
    #[cfg(windows)]
    if path.is_relative()
        && let Ok(program) = std::env::current_exe()
        && let Some(folder) = program.parent()
    {
        return folder.join(path);
    }
    path
}

/// The conventional variables (the Flask seed's `AUTH0_DOMAIN` and
/// `API_AUDIENCE`, S3's credentials, and `DATABASE_URL` and libpq's
/// `PGPASSWORD`), as a config layer that
/// `COFFEE_SHOP__*` variables still override.
#[derive(Debug, Clone)]
struct SeedVariables(Map<String, Value>);

impl SeedVariables {
    fn from_env(env: &HashMap<String, String>) -> Self {
        let mut layer = Map::new();
        for (variable, key) in [
            ("AUTH0_DOMAIN", "auth.domain"),
            ("API_AUDIENCE", "auth.audience"),
            ("AWS_ACCESS_KEY_ID", "backup.s3.access_key_id"),
            ("AWS_SECRET_ACCESS_KEY", "backup.s3.secret_access_key"),
            ("DATABASE_URL", "database.url"),
            ("PGPASSWORD", "database.password"),
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
