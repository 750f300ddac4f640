//! A real HTTP JWKS endpoint on loopback: what it publishes can change (key
//! rotation), it can fail (a provider outage) or redirect, and it counts
//! its fetches.

use std::net::TcpListener;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use actix_web::{HttpResponse, web};
use serde_json::{Value, json};

use crate::keys::TestKey;
use crate::loopback::LoopbackServer;

struct JwksState {
    document: Mutex<Value>,
    fetches: AtomicUsize,
    failing: AtomicBool,
    redirect_to: Mutex<Option<String>>,
}

/// The provider's key set at `http://127.0.0.1:<port>/.well-known/jwks.json`;
/// stops when dropped.
pub struct JwksServer {
    pub port: u16,
    state: Arc<JwksState>,
    server: LoopbackServer,
}

/// `{"keys": [...]}` for `keys`.
fn key_set(keys: &[&TestKey]) -> Value {
    json!({"keys": keys.iter().map(|k| k.jwk()).collect::<Vec<_>>()})
}

impl JwksServer {
    pub fn start(keys: &[&TestKey]) -> Self {
        Self::start_with_document(key_set(keys))
    }

    /// Serves `keys` on a given port (e.g. one the app was told about earlier).
    pub fn start_on(port: u16, keys: &[&TestKey]) -> Self {
        let listener = TcpListener::bind(("127.0.0.1", port)).expect("bind JWKS port");
        Self::serve(listener, key_set(keys))
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
        let server = LoopbackServer::start(listener, move |cfg| {
            cfg.app_data(shared.clone())
                .route("/.well-known/jwks.json", web::get().to(serve_jwks));
        });
        Self {
            port: server.port,
            state,
            server,
        }
    }

    pub fn issuer(&self) -> String {
        self.server.base_url()
    }

    pub fn jwks_url(&self) -> String {
        format!("{}.well-known/jwks.json", self.server.base_url())
    }

    pub fn fetches(&self) -> usize {
        self.state.fetches.load(Ordering::SeqCst)
    }

    /// Serve these keys from now on (key rotation at the provider).
    pub fn publish(&self, keys: &[&TestKey]) {
        self.publish_document(key_set(keys));
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
