//! `[database]`: the SQLite file of one café, or, with `database.url`, the
//! PostgreSQL database a chain of servers shares.

use std::path::PathBuf;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::types::{Secret, read_or_off, write_or_off};

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseSettings {
    /// The SQLite file, used when `url` is unset.
    pub path: PathBuf,
    /// PostgreSQL instead of SQLite (`DATABASE_URL` sets it too).
    #[serde(
        default,
        deserialize_with = "optional_url",
        serialize_with = "write_url"
    )]
    pub url: Option<DatabaseUrl>,
    /// The PostgreSQL password when the URL has none (`PGPASSWORD` sets it).
    #[serde(default)]
    pub password: Option<Secret>,
    /// The CA certificates (PEM) that vouch for the PostgreSQL server with
    /// `sslmode=verify-full`; the public web roots when unset.
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
    pub sample_menu: bool,
    pub pool_size: u32,
    /// How long opening a connection, or waiting for a free one, may take.
    pub connect_timeout_ms: u64,
    /// PostgreSQL cancels a statement that runs longer (0: never).
    pub statement_timeout_ms: u64,
    pub busy_timeout_ms: u64,
    pub synchronous: Synchronous,
}

impl DatabaseSettings {
    /// A file beside the database, named after it: `<database file><suffix>`
    /// (keys the server makes for itself live there).
    pub fn sibling_file(&self, suffix: &str) -> PathBuf {
        let mut name = self
            .path
            .file_name()
            .map(|name| name.to_os_string())
            .unwrap_or_else(|| "coffee-shop.db".into());
        name.push(suffix);
        self.path.with_file_name(name)
    }

    /// "SQLite" or "PostgreSQL", for the System page.
    pub fn engine(&self) -> &'static str {
        match self.url {
            Some(_) => "PostgreSQL",
            None => "SQLite",
        }
    }

    /// What the database is, for messages: the file, or the URL without
    /// its password.
    pub fn shown(&self) -> String {
        match &self.url {
            Some(url) => url.redacted(),
            None => self.path.display().to_string(),
        }
    }
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

/// libpq's `sslmode`, the values a café chain needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PgSslMode {
    /// Plain TCP (a database on the same machine or a private network).
    Disable,
    /// TLS when the server offers it, not checked (libpq's default).
    Prefer,
    /// TLS or nothing; the certificate is not checked.
    Require,
    /// TLS with the certificate checked against `database.ca_file` (or the
    /// web roots) and the host name: what managed PostgreSQL recommends.
    VerifyFull,
}

impl PgSslMode {
    fn parse(text: &str) -> Result<Self, String> {
        match text {
            "disable" => Ok(Self::Disable),
            "prefer" => Ok(Self::Prefer),
            "require" => Ok(Self::Require),
            "verify-full" => Ok(Self::VerifyFull),
            other => Err(format!(
                "sslmode={other} is not supported; use disable, prefer, require or verify-full"
            )),
        }
    }
}

/// A `postgres://` URL. `sslmode` and `sslrootcert` are taken out of it and
/// kept apart (the client library knows only some modes); the password is
/// never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct DatabaseUrl {
    /// The URL without `sslmode` and `sslrootcert`.
    connection: String,
    pub ssl_mode: PgSslMode,
    /// `sslrootcert=` from the URL, which wins over `database.ca_file`.
    pub root_cert: Option<PathBuf>,
}

impl DatabaseUrl {
    pub fn parse(text: &str) -> Result<Self, String> {
        let (scheme, _) = text
            .split_once("://")
            .ok_or("write it as postgres://user:password@host:5432/database")?;
        if scheme != "postgres" && scheme != "postgresql" {
            return Err(format!(
                "the scheme is {scheme}://; write postgres://user:password@host:5432/database"
            ));
        }
        let (base, query) = text.split_once('?').unwrap_or((text, ""));
        let mut ssl_mode = PgSslMode::Prefer;
        let mut root_cert = None;
        let mut kept = Vec::new();
        for pair in query.split('&').filter(|pair| !pair.is_empty()) {
            match pair.split_once('=') {
                Some(("sslmode", mode)) => ssl_mode = PgSslMode::parse(mode)?,
                Some(("sslrootcert", path)) => root_cert = Some(PathBuf::from(path)),
                _ => kept.push(pair),
            }
        }
        let connection = if kept.is_empty() {
            base.to_owned()
        } else {
            format!("{base}?{}", kept.join("&"))
        };
        connection
            .parse::<postgres::Config>()
            .map_err(|e| format!("{e}; write it as postgres://user:password@host:5432/database"))?;
        Ok(Self {
            connection,
            ssl_mode,
            root_cert,
        })
    }

    /// The URL for the client library: only the one place that connects.
    pub fn expose(&self) -> &str {
        &self.connection
    }

    /// The URL with the password replaced by `***`, with the TLS mode.
    pub fn redacted(&self) -> String {
        let text = &self.connection;
        let Some((scheme, rest)) = text.split_once("://") else {
            return "<unparsable>".into();
        };
        let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
        let (authority, tail) = rest.split_at(authority_end);
        let authority = match authority.rsplit_once('@') {
            Some((user_info, host)) => match user_info.split_once(':') {
                Some((user, _password)) => format!("{user}:***@{host}"),
                None => format!("{user_info}@{host}"),
            },
            None => authority.to_owned(),
        };
        let separator = if tail.contains('?') { '&' } else { '?' };
        let mode = match self.ssl_mode {
            PgSslMode::Disable => "disable",
            PgSslMode::Prefer => "prefer",
            PgSslMode::Require => "require",
            PgSslMode::VerifyFull => "verify-full",
        };
        format!("{scheme}://{authority}{tail}{separator}sslmode={mode}")
    }
}

impl std::fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.redacted())
    }
}

fn optional_url<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<DatabaseUrl>, D::Error> {
    read_or_off(deserializer, DatabaseUrl::parse)
}

fn write_url<S: Serializer>(url: &Option<DatabaseUrl>, serializer: S) -> Result<S::Ok, S::Error> {
    write_or_off(url.as_ref().map(DatabaseUrl::redacted), serializer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_is_never_shown_and_tls_settings_are_taken_out() {
        let url = DatabaseUrl::parse(
            "postgres://menu:s3cret@db.example:5432/menu?sslmode=verify-full&sslrootcert=/etc/ca.pem&application_name=x",
        )
        .expect("parses");
        assert_eq!(url.ssl_mode, PgSslMode::VerifyFull);
        assert_eq!(url.root_cert, Some(PathBuf::from("/etc/ca.pem")));
        assert_eq!(
            url.expose(),
            "postgres://menu:s3cret@db.example:5432/menu?application_name=x"
        );
        let shown = url.redacted();
        assert!(!shown.contains("s3cret"), "{shown}");
        assert_eq!(
            shown,
            "postgres://menu:***@db.example:5432/menu?application_name=x&sslmode=verify-full"
        );
        assert!(!format!("{url:?}").contains("s3cret"));
    }

    #[test]
    fn unknown_modes_and_other_schemes_are_refused_with_the_fix() {
        let mode = DatabaseUrl::parse("postgres://h/db?sslmode=allow").expect_err("refused");
        assert!(mode.contains("verify-full"), "{mode}");
        let scheme = DatabaseUrl::parse("mysql://h/db").expect_err("refused");
        assert!(scheme.contains("postgres://"), "{scheme}");
        let plain = DatabaseUrl::parse("postgres://menu@localhost/menu").expect("parses");
        assert_eq!(plain.ssl_mode, PgSslMode::Prefer, "libpq's default");
        assert_eq!(
            plain.redacted(),
            "postgres://menu@localhost/menu?sslmode=prefer"
        );
    }
}
