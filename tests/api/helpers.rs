//! `spawn_app()` and friends: each test gets its own server, database file and
//! identity provider (a loopback JWKS endpoint serving keys made here). Keys,
//! the JWKS server and the binary as a process come from the shared test kit
//! (`testkit/`), which the benchmark and the soak test use too.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use coffee_shop::config::{DatabaseUrl, Settings, TlsMode};
use coffee_shop::startup::{Application, ApplicationHandle};
use serde_json::{Value, json};

pub const AUDIENCE: &str = "bar";
pub const BARISTA: &[&str] = &["get:drinks-detail"];
pub const MANAGER: &[&str] = &[
    "get:drinks-detail",
    "post:drinks",
    "patch:drinks",
    "delete:drinks",
];

// ---------------------------------------------------------------- keys

pub use coffee_shop_testkit::{JwksServer, TestCa, TestKey, now};

/// The CA that issues every HTTPS test app's certificate; the test agents
/// (and browsers) trust it, and nothing else.
pub fn test_ca() -> &'static TestCa {
    static CA: OnceLock<TestCa> = OnceLock::new();
    CA.get_or_init(|| TestCa::new("coffee-shop test CA"))
}

/// The agents' TLS settings: trust `test_ca()`.
pub fn trust_test_ca() -> ureq::tls::TlsConfig {
    let root = ureq::tls::Certificate::from_pem(test_ca().pem().as_bytes()).expect("CA PEM");
    ureq::tls::TlsConfig::builder()
        .root_certs(ureq::tls::RootCerts::new_with_certs(&[root]))
        .build()
}

/// Key generation is slow, so the test binary makes a few keys once and shares them.
pub fn keys() -> &'static [TestKey] {
    static KEYS: OnceLock<Vec<TestKey>> = OnceLock::new();
    KEYS.get_or_init(|| TestKey::generate_each(&["key-a", "key-b", "key-c"]))
}

/// A 1024-bit key: too short to be trusted.
pub fn short_key() -> &'static TestKey {
    static KEY: OnceLock<TestKey> = OnceLock::new();
    KEY.get_or_init(|| TestKey::generate("short", 1024))
}

// ---------------------------------------------------------------- the app

/// A running coffee-shop with its own database file and identity provider.
pub struct TestApp {
    /// `http://127.0.0.1:<port>`, or `https://…` when TLS is on.
    pub address: String,
    /// The plain-HTTP listener beside HTTPS, when there is one.
    pub plain_http_port: Option<u16>,
    pub db_path: PathBuf,
    pub jwks: JwksServer,
    pub settings: Settings,
    server: RunningServer,
    // Dropped last: the database lives here.
    dir: Arc<tempfile::TempDir>,
}

/// Stops the app's server (gracefully) when dropped.
struct RunningServer {
    handle: ApplicationHandle,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        if let Some(thread) = self.thread.take() {
            actix_web::rt::System::new().block_on(self.handle.stop(true));
            let _ = thread.join();
        }
    }
}

/// Settings for a test app: a port picked by the OS, a temp-dir database,
/// the loopback provider, and no scheduled backups (tests/api/backup.rs
/// turns them on).
pub fn test_settings(dir: &tempfile::TempDir, jwks: &JwksServer) -> Settings {
    let mut settings = Settings::load_from(None, &HashMap::new()).expect("default settings");
    settings.server.bind = std::net::SocketAddr::from(([127, 0, 0, 1], 0)).into();
    settings.server.workers = 2;
    settings.database.path = dir.path().join("coffee-shop.db");
    settings.database.pool_size = 4;
    settings.auth.issuer = Some(jwks.issuer());
    settings.auth.jwks_url = Some(jwks.jwks_url());
    settings.auth.startup_wait_ms = 2000;
    settings.backup.interval = None;
    if coffee_shop_testkit::test_engine_is_postgres() {
        let url = coffee_shop_testkit::TestCluster::get().new_database();
        settings.database.url = Some(DatabaseUrl::parse(&url).expect("a test database URL"));
    }
    settings
}

/// A settings tweak: HTTPS from certificate files the test CA issued for
/// 127.0.0.1 and localhost (written beside the database), with both
/// listeners on free loopback ports.
pub fn with_test_certificate(settings: &mut Settings) {
    let dir = settings
        .database
        .path
        .parent()
        .expect("the database's folder");
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    let issued = test_ca().issue(&["127.0.0.1", "localhost"]);
    std::fs::write(&cert, issued.cert_pem).expect("write the certificate");
    std::fs::write(&key, issued.key_pem).expect("write the key");
    settings.tls.cert = Some(cert);
    settings.tls.key = Some(key);
    let loopback = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
    settings.tls.https_bind = loopback.into();
    settings.tls.http_bind = Some(loopback.into());
}

/// The usual app: the first test key published, the sample menu on.
pub fn spawn_app() -> TestApp {
    spawn_tweaked_app(|_| {})
}

/// The usual app with `tweak` applied to its settings.
/// A fresh app, and a token with `permissions` for it.
pub fn spawn_app_as(permissions: &[&str]) -> (TestApp, String) {
    let app = spawn_app();
    let token = app.token(permissions);
    (app, token)
}

pub fn spawn_tweaked_app(tweak: impl FnOnce(&mut Settings)) -> TestApp {
    app_with(JwksServer::start(&[&keys()[0]]), tweak)
}

/// An app trusting `jwks`, with `tweak` applied to the usual settings (the
/// database lives in `settings.database.path`'s folder, a temp dir).
pub fn app_with(jwks: JwksServer, tweak: impl FnOnce(&mut Settings)) -> TestApp {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut settings = test_settings(&dir, &jwks);
    tweak(&mut settings);
    spawn_app_with(settings, jwks, Arc::new(dir))
}

/// Starts the app on its own thread and actix system; returns once it listens.
pub fn spawn_app_with(
    settings: Settings,
    jwks: JwksServer,
    dir: Arc<tempfile::TempDir>,
) -> TestApp {
    let (sender, receiver) = std::sync::mpsc::channel();
    let app_settings = settings.clone();
    let thread = std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            match Application::build(app_settings).await {
                Ok(app) => {
                    let ports = (app.port(), app.plain_http_port());
                    sender.send(Ok((ports, app.handle()))).expect("send");
                    app.run_until_stopped().await.expect("server runs");
                }
                Err(error) => sender.send(Err(error.to_string())).expect("send"),
            }
        })
    });
    let ((port, plain_http_port), handle) =
        receiver.recv().expect("app thread").expect("app builds");
    let scheme = match settings.tls_mode() {
        TlsMode::Off => "http",
        _ => "https",
    };
    TestApp {
        address: format!("{scheme}://127.0.0.1:{port}"),
        plain_http_port,
        db_path: settings.database.path.clone(),
        jwks,
        settings,
        server: RunningServer {
            handle,
            thread: Some(thread),
        },
        dir,
    }
}

impl TestApp {
    /// Stops the server gracefully and hands back what a restart needs.
    pub fn stop(self) -> (Settings, JwksServer, Arc<tempfile::TempDir>) {
        let TestApp {
            server,
            settings,
            jwks,
            dir,
            ..
        } = self;
        drop(server);
        (settings, jwks, dir)
    }

    /// A token for this app's provider, signed with the first test key.
    pub fn token(&self, permissions: &[&str]) -> String {
        keys()[0].sign(&self.claims(permissions))
    }

    /// Valid claims for this app, to be tweaked by attack tests.
    pub fn claims(&self, permissions: &[&str]) -> Value {
        json!({
            "iss": self.jwks.issuer(),
            "sub": "auth0|tester",
            "aud": [AUDIENCE, "https://example.auth0.com/userinfo"],
            "iat": now(),
            "exp": now() + 3600,
            "permissions": permissions,
        })
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub fn get(&self, path: &str, token: Option<&str>) -> TestResponse {
        self.send("GET", path, token, None)
    }

    pub fn post(&self, path: &str, token: Option<&str>, body: &Value) -> TestResponse {
        self.post_text(path, token, body.to_string())
    }

    /// A POST of `text` as `application/json`, whether or not it is JSON.
    pub fn post_text(&self, path: &str, token: Option<&str>, text: String) -> TestResponse {
        self.send("POST", path, token, Some(("application/json", text)))
    }

    pub fn patch(&self, path: &str, token: Option<&str>, body: &Value) -> TestResponse {
        let json = Some(("application/json", body.to_string()));
        self.send("PATCH", path, token, json)
    }

    pub fn delete(&self, path: &str, token: Option<&str>) -> TestResponse {
        self.send("DELETE", path, token, None)
    }

    /// Any request: method, optional bearer token, optional (content type, body).
    pub fn send(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<(&str, String)>,
    ) -> TestResponse {
        let mut headers = Vec::new();
        if let Some(token) = token {
            headers.push(("Authorization".to_owned(), format!("Bearer {token}")));
        }
        if let Some((content_type, _)) = &body {
            headers.push(("Content-Type".to_owned(), (*content_type).to_owned()));
        }
        let headers: Vec<(&str, &str)> = headers
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        self.request(method, path, &headers, body.map(|(_, b)| b.into_bytes()))
    }

    /// A request with exactly these headers.
    /// `GET path` with `headers`.
    pub fn get_with(&self, path: &str, headers: &[(&str, &str)]) -> TestResponse {
        self.request("GET", path, headers, None)
    }

    pub fn request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<Vec<u8>>,
    ) -> TestResponse {
        let mut builder = ureq::http::Request::builder()
            .method(method)
            .uri(self.url(path));
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        let request = builder.body(body.unwrap_or_default()).expect("request");
        into_test_response(agent().run(request).expect("the server answers"))
    }

    /// The app's database, opened directly, to check what was stored.
    pub fn database(&self) -> Stored {
        Stored::of(&self.settings)
    }

    /// The variables that point a command (`import`, `export`) at the
    /// app's database, on either engine.
    pub fn database_env(&self) -> Vec<(&'static str, String)> {
        let mut env = vec![(
            "COFFEE_SHOP__DATABASE__PATH",
            self.db_path.display().to_string(),
        )];
        if let Some(url) = &self.settings.database.url {
            env.push(("COFFEE_SHOP__DATABASE__URL", url.expose().to_owned()));
        }
        env
    }
}

/// The binary with a clean environment, run from `dir` (so no stray config.toml).
pub fn coffee_shop(dir: &std::path::Path) -> std::process::Command {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_coffee-shop"));
    command.env_clear().current_dir(dir).env("RUST_LOG", "warn");
    command
}

/// Asserts that `text` (a message, a log, a page) contains every one of
/// `words`, naming the first that is missing.
pub fn assert_mentions(text: &str, words: &[&str]) {
    for word in words {
        assert!(text.contains(word), "no {word:?} in: {text}");
    }
}

/// The string `key` of each object in the JSON array `list`.
pub fn each<'a>(list: &'a Value, key: &str) -> Vec<&'a str> {
    let items = list.as_array().expect("a JSON array");
    items.iter().filter_map(|item| item[key].as_str()).collect()
}

/// One value from a query with no parameters, e.g. a `count(*)`: the tests
/// check what was stored this way.
/// A test app's database, on either engine: SQL written for both (no
/// parameters, no engine-only functions) reads and changes it.
pub enum Stored {
    Sqlite(rusqlite::Connection),
    /// The database's URL.
    Postgres(String),
}

impl Stored {
    /// The database `settings` name.
    pub fn of(settings: &Settings) -> Self {
        match &settings.database.url {
            Some(url) => Stored::Postgres(url.expose().to_owned()),
            None => Stored::file(&settings.database.path),
        }
    }

    /// The schema version the database is at.
    pub fn schema_version(&self) -> i64 {
        match self {
            Stored::Sqlite(_) => self.scalar("PRAGMA user_version"),
            Stored::Postgres(_) => self.scalar("SELECT max(version) FROM schema_migrations"),
        }
    }

    /// `bytes` as a literal for a binary column.
    pub fn bytes_literal(&self, bytes: &[u8]) -> String {
        let hex: String = bytes.iter().map(|byte| format!("{byte:02x}")).collect();
        match self {
            Stored::Sqlite(_) => format!("x'{hex}'"),
            Stored::Postgres(_) => format!("'\\x{hex}'::bytea"),
        }
    }

    /// A SQLite file (a backup, a copy, a database a command made).
    pub fn file(path: &std::path::Path) -> Self {
        Stored::Sqlite(rusqlite::Connection::open(path).expect("open the SQLite file"))
    }

    /// The first column of the first row `sql` returns.
    pub fn scalar<T: FromStored>(&self, sql: &str) -> T {
        let first = self
            .rows(sql)
            .into_iter()
            .next()
            .and_then(|row| row.into_iter().next());
        let text = first.unwrap_or_else(|| panic!("{sql}: no row"));
        T::from_stored(text).unwrap_or_else(|| panic!("{sql}: an unexpected value"))
    }

    /// Every row `sql` returns, each column as text (`None` for NULL).
    pub fn rows(&self, sql: &str) -> Vec<Vec<Option<String>>> {
        use rusqlite::types::ValueRef;
        match self {
            Stored::Sqlite(conn) => {
                let mut statement = conn.prepare(sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
                let columns = statement.column_count();
                statement
                    .query_map([], |row| {
                        (0..columns)
                            .map(|column| {
                                Ok(match row.get_ref(column)? {
                                    ValueRef::Null => None,
                                    ValueRef::Integer(n) => Some(n.to_string()),
                                    ValueRef::Real(x) => Some(x.to_string()),
                                    ValueRef::Text(text) | ValueRef::Blob(text) => {
                                        Some(String::from_utf8_lossy(text).into_owned())
                                    }
                                })
                            })
                            .collect()
                    })
                    .and_then(|rows| rows.collect())
                    .unwrap_or_else(|e| panic!("{sql}: {e}"))
            }
            Stored::Postgres(url) => coffee_shop_testkit::postgres::query_rows(url, sql),
        }
    }

    /// Runs `sql`, a change.
    pub fn execute(&self, sql: &str) {
        match self {
            Stored::Sqlite(conn) => {
                conn.execute_batch(sql)
                    .unwrap_or_else(|e| panic!("{sql}: {e}"));
            }
            Stored::Postgres(url) => coffee_shop_testkit::postgres::run_on(url, sql),
        }
    }
}

/// A value read back as text (`None` for NULL).
pub trait FromStored: Sized {
    fn from_stored(text: Option<String>) -> Option<Self>;
}

impl FromStored for i64 {
    fn from_stored(text: Option<String>) -> Option<Self> {
        text?.parse().ok()
    }
}

impl FromStored for String {
    fn from_stored(text: Option<String>) -> Option<Self> {
        text
    }
}

impl FromStored for Option<String> {
    fn from_stored(text: Option<String>) -> Option<Self> {
        Some(text)
    }
}

fn agent() -> &'static ureq::Agent {
    static AGENT: OnceLock<ureq::Agent> = OnceLock::new();
    AGENT.get_or_init(|| {
        ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(20)))
            .tls_config(trust_test_ca())
            .build()
            .new_agent()
    })
}

/// Reads a whole response.
pub fn into_test_response(mut response: ureq::http::Response<ureq::Body>) -> TestResponse {
    let status = response.status().as_u16();
    let headers = response
        .headers()
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_owned(),
                v.to_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    let bytes = response
        .body_mut()
        .with_config()
        .limit(16 * 1024 * 1024)
        .read_to_vec()
        .expect("a readable body");
    let text = String::from_utf8_lossy(&bytes).into_owned();
    TestResponse {
        status,
        headers,
        text,
        bytes,
    }
}

/// What the server answered.
#[derive(Debug)]
pub struct TestResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub text: String,
    pub bytes: Vec<u8>,
}

impl TestResponse {
    /// Every value of a header that may repeat (Set-Cookie).
    pub fn header_values(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect()
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Asserts the status and the API's error shape; returns the message.
    /// Asserts the status, and that the body shows `words`.
    pub fn assert_shows(&self, status: u16, words: &str) {
        assert_eq!(self.status, status, "{}", self.text);
        assert!(self.text.contains(words), "no {words:?} in: {}", self.text);
    }

    pub fn assert_error(&self, status: u16) -> String {
        assert_eq!(
            self.status, status,
            "unexpected status; body: {}",
            self.text
        );
        let body = self.json();
        assert_eq!(body["success"], false, "{body}");
        assert_eq!(body["error"], status, "{body}");
        let message = body["message"]
            .as_str()
            .unwrap_or_else(|| panic!("no message: {body}"));
        assert!(!message.is_empty());
        message.to_owned()
    }

    pub fn assert_ok(&self) -> Value {
        assert_eq!(self.status, 200, "unexpected status; body: {}", self.text);
        let body = self.json();
        assert_eq!(body["success"], true, "{body}");
        body
    }
}

/// Polls `condition` every 50 ms until it holds or `timeout` passes.
pub fn wait_until(timeout: Duration, mut condition: impl FnMut() -> bool) -> bool {
    let deadline = std::time::Instant::now() + timeout;
    while std::time::Instant::now() < deadline {
        if condition() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    condition()
}
