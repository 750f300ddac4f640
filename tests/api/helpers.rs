//! `spawn_app()` and friends: each test gets its own server, database file and
//! identity provider (a loopback JWKS endpoint serving keys made here).

use std::collections::HashMap;
use std::net::TcpListener;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use actix_web::dev::ServerHandle;
use actix_web::{App, HttpResponse, HttpServer, web};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use coffee_shop::config::Settings;
use coffee_shop::startup::Application;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use rsa::pkcs1::EncodeRsaPrivateKey;
use rsa::traits::PublicKeyParts;
use rsa::{RsaPrivateKey, RsaPublicKey};
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

/// An RSA key pair made by the test, with its key id.
pub struct TestKey {
    pub kid: String,
    pub private: RsaPrivateKey,
    encoding: EncodingKey,
}

impl TestKey {
    fn generate(kid: &str, bits: usize) -> Self {
        let private =
            RsaPrivateKey::new(&mut rand::thread_rng(), bits).expect("RSA key generation");
        let der = private.to_pkcs1_der().expect("PKCS#1 DER");
        Self {
            kid: kid.to_owned(),
            encoding: EncodingKey::from_rsa_der(der.as_bytes()),
            private,
        }
    }

    pub fn public(&self) -> RsaPublicKey {
        self.private.to_public_key()
    }

    /// The public key as a JWK, as Auth0 publishes it.
    pub fn jwk(&self) -> Value {
        let public = self.public();
        json!({
            "kty": "RSA", "use": "sig", "alg": "RS256", "kid": self.kid,
            "n": URL_SAFE_NO_PAD.encode(public.n().to_bytes_be()),
            "e": URL_SAFE_NO_PAD.encode(public.e().to_bytes_be()),
        })
    }

    /// Signs `claims` with RS256 under this key's id.
    pub fn sign(&self, claims: &Value) -> String {
        self.sign_with_header(Header::new(Algorithm::RS256), claims)
    }

    pub fn sign_with_header(&self, mut header: Header, claims: &Value) -> String {
        if header.kid.is_none() {
            header.kid = Some(self.kid.clone());
        }
        jsonwebtoken::encode(&header, claims, &self.encoding).expect("signs")
    }
}

/// Key generation is slow, so the test binary makes a few keys once and shares them.
pub fn keys() -> &'static [TestKey] {
    static KEYS: OnceLock<Vec<TestKey>> = OnceLock::new();
    KEYS.get_or_init(|| {
        std::thread::scope(|scope| {
            let handles: Vec<_> = ["key-a", "key-b", "key-c"]
                .into_iter()
                .map(|kid| scope.spawn(move || TestKey::generate(kid, 2048)))
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("keygen thread"))
                .collect()
        })
    })
}

/// A 1024-bit key: too short to be trusted.
pub fn short_key() -> &'static TestKey {
    static KEY: OnceLock<TestKey> = OnceLock::new();
    KEY.get_or_init(|| TestKey::generate("short", 1024))
}

pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_secs()
}

// ---------------------------------------------------------------- JWKS server

struct JwksState {
    document: Mutex<Value>,
    fetches: AtomicUsize,
    failing: AtomicBool,
    redirect_to: Mutex<Option<String>>,
}

/// A real HTTP JWKS endpoint on loopback that counts its fetches.
pub struct JwksServer {
    pub port: u16,
    state: Arc<JwksState>,
    handle: ServerHandle,
}

impl JwksServer {
    pub fn start(keys: &[&TestKey]) -> Self {
        let document = json!({"keys": keys.iter().map(|k| k.jwk()).collect::<Vec<_>>()});
        Self::start_with_document(document)
    }

    /// Serves `keys` on a given port (e.g. one the app was told about earlier).
    pub fn start_on(port: u16, keys: &[&TestKey]) -> Self {
        let listener = TcpListener::bind(("127.0.0.1", port)).expect("bind JWKS port");
        Self::serve(
            listener,
            json!({"keys": keys.iter().map(|k| k.jwk()).collect::<Vec<_>>()}),
        )
    }

    pub fn start_with_document(document: Value) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind JWKS port");
        Self::serve(listener, document)
    }

    fn serve(listener: TcpListener, document: Value) -> Self {
        let state = Arc::new(JwksState {
            document: Mutex::new(document),
            fetches: AtomicUsize::new(0),
            failing: AtomicBool::new(false),
            redirect_to: Mutex::new(None),
        });
        let shared = web::Data::from(Arc::clone(&state));
        let port = listener.local_addr().expect("address").port();
        let (sender, receiver) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                let server = HttpServer::new(move || {
                    App::new()
                        .app_data(shared.clone())
                        .route("/.well-known/jwks.json", web::get().to(serve_jwks))
                })
                .workers(1)
                .listen(listener)
                .expect("listen")
                .run();
                sender.send(server.handle()).expect("send handle");
                server.await
            })
        });
        let handle = receiver.recv().expect("JWKS server started");
        Self {
            port,
            state,
            handle,
        }
    }

    pub fn issuer(&self) -> String {
        format!("http://127.0.0.1:{}/", self.port)
    }

    pub fn jwks_url(&self) -> String {
        format!("http://127.0.0.1:{}/.well-known/jwks.json", self.port)
    }

    pub fn fetches(&self) -> usize {
        self.state.fetches.load(Ordering::SeqCst)
    }

    /// Serve these keys from now on (key rotation at the provider).
    pub fn publish(&self, keys: &[&TestKey]) {
        self.publish_document(json!({"keys": keys.iter().map(|k| k.jwk()).collect::<Vec<_>>()}));
    }

    pub fn publish_document(&self, document: Value) {
        *self.state.document.lock().expect("lock") = document;
    }

    /// Answer every fetch with a redirect to `url`.
    pub fn redirect_to(&self, url: &str) {
        *self.state.redirect_to.lock().expect("lock") = Some(url.to_owned());
    }

    /// Answer 503 to every fetch (an outage at the provider).
    pub fn set_failing(&self, failing: bool) {
        self.state.failing.store(failing, Ordering::SeqCst);
    }
}

impl Drop for JwksServer {
    fn drop(&mut self) {
        drop(self.handle.stop(false));
    }
}

async fn serve_jwks(state: web::Data<JwksState>) -> HttpResponse {
    state.fetches.fetch_add(1, Ordering::SeqCst);
    if state.failing.load(Ordering::SeqCst) {
        return HttpResponse::ServiceUnavailable().finish();
    }
    if let Some(url) = state.redirect_to.lock().expect("lock").clone() {
        return HttpResponse::Found()
            .insert_header(("Location", url))
            .finish();
    }
    let document = state.document.lock().expect("lock").clone();
    HttpResponse::Ok().json(document)
}

// ---------------------------------------------------------------- the app

/// A running coffee-shop with its own database file and identity provider.
pub struct TestApp {
    pub address: String,
    pub db_path: PathBuf,
    pub jwks: JwksServer,
    pub settings: Settings,
    server: RunningServer,
    // Dropped last: the database lives here.
    dir: Arc<tempfile::TempDir>,
}

/// Stops the app's server (gracefully) when dropped.
struct RunningServer {
    handle: ServerHandle,
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
/// and the loopback provider.
pub fn test_settings(dir: &tempfile::TempDir, jwks: &JwksServer) -> Settings {
    let mut settings = Settings::load_from(None, &HashMap::new()).expect("default settings");
    settings.server.bind = std::net::SocketAddr::from(([127, 0, 0, 1], 0)).into();
    settings.server.workers = 2;
    settings.database.path = dir.path().join("coffee-shop.db");
    settings.database.pool_size = 4;
    settings.auth.issuer = Some(jwks.issuer());
    settings.auth.jwks_url = Some(jwks.jwks_url());
    settings.auth.startup_wait_ms = 2000;
    settings
}

/// The usual app: the first test key published, the sample menu on.
pub fn spawn_app() -> TestApp {
    spawn_tweaked_app(|_| {})
}

/// The usual app with `tweak` applied to its settings.
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
                    sender.send(Ok((app.port(), app.handle()))).expect("send");
                    app.run_until_stopped().await.expect("server runs");
                }
                Err(error) => sender.send(Err(error.to_string())).expect("send"),
            }
        })
    });
    let (port, handle) = receiver.recv().expect("app thread").expect("app builds");
    TestApp {
        address: format!("http://127.0.0.1:{port}"),
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
        self.send(
            "POST",
            path,
            token,
            Some(("application/json", body.to_string())),
        )
    }

    pub fn patch(&self, path: &str, token: Option<&str>, body: &Value) -> TestResponse {
        self.send(
            "PATCH",
            path,
            token,
            Some(("application/json", body.to_string())),
        )
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

    /// Opens the app's database file directly, to check what was stored.
    pub fn database(&self) -> rusqlite::Connection {
        rusqlite::Connection::open(&self.db_path).expect("open the database file")
    }
}

fn agent() -> &'static ureq::Agent {
    static AGENT: OnceLock<ureq::Agent> = OnceLock::new();
    AGENT.get_or_init(|| {
        ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(20)))
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
