//! A real OpenID Connect provider on loopback (discovery, authorize, token,
//! JWKS, end-session) and a browser with a cookie jar that follows the
//! redirects itself, so every step of the admin sign-in can be checked.

use std::collections::HashMap;
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::{HttpRequest, HttpResponse, web};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use coffee_shop::config::Settings;
use coffee_shop_testkit::loopback::LoopbackServer;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::helpers::*;

pub const CLIENT_ID: &str = "dashboard-client";
pub const CLIENT_SECRET: &str = "dashboard-secret";

/// Who the provider signs in next.
#[derive(Clone)]
pub struct User {
    pub sub: String,
    pub name: String,
    pub email: String,
    pub permissions: Vec<String>,
    pub ttl_secs: u64,
}

impl User {
    pub fn new(sub: &str, name: &str, permissions: &[&str]) -> Self {
        Self {
            sub: sub.into(),
            name: name.into(),
            email: format!("{}@example-cafe.com", name.to_lowercase().replace(' ', ".")),
            permissions: permissions.iter().map(|p| (*p).to_owned()).collect(),
            ttl_secs: 3600,
        }
    }
}

struct Grant {
    user: User,
    redirect_uri: String,
    nonce: String,
    challenge: String,
}

#[derive(Default)]
struct ProviderState {
    issuer: Mutex<String>,
    /// Publishes the second test key instead of the first (a key rotation
    /// that drops the key tokens were signed with).
    rotated: Mutex<bool>,
    user: Mutex<Option<User>>,
    grants: Mutex<HashMap<String, Grant>>,
    /// The query of the last /authorize request.
    last_authorize: Mutex<HashMap<String, String>>,
    /// Swap the ID token's nonce, to test that it is checked.
    wrong_nonce: Mutex<bool>,
    /// Every access and ID token handed out, to look for in logs.
    issued: Mutex<Vec<String>>,
    /// Claims put into (or over) the next ID tokens.
    id_token_extra: Mutex<serde_json::Map<String, Value>>,
}

/// The provider; dropped, it stops.
pub struct OidcProvider {
    state: Arc<ProviderState>,
    server: LoopbackServer,
}

impl OidcProvider {
    pub fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind provider port");
        let port = listener.local_addr().expect("address").port();
        let state = Arc::new(ProviderState::default());
        *state.issuer.lock().expect("lock") = format!("http://127.0.0.1:{port}/");
        let shared = web::Data::from(Arc::clone(&state));
        let server = LoopbackServer::start(listener, move |cfg| {
            cfg.app_data(shared.clone())
                .route(
                    "/.well-known/openid-configuration",
                    web::get().to(discovery),
                )
                .route("/.well-known/jwks.json", web::get().to(jwks))
                .route("/authorize", web::get().to(authorize))
                .route("/oauth/token", web::post().to(token))
                .route("/logout", web::get().to(HttpResponse::Ok));
        });
        Self { state, server }
    }

    pub fn issuer(&self) -> String {
        self.server.base_url()
    }

    /// The next sign-in at the provider is this person.
    pub fn sign_in_as(&self, user: User) {
        *self.state.user.lock().expect("lock") = Some(user);
    }

    pub fn last_authorize(&self) -> HashMap<String, String> {
        self.state.last_authorize.lock().expect("lock").clone()
    }

    pub fn send_wrong_nonce(&self) {
        *self.state.wrong_nonce.lock().expect("lock") = true;
    }

    /// The next ID tokens carry these claims too (replacing any of the same name).
    pub fn add_to_id_token(&self, claims: Value) {
        let mut extra = self.state.id_token_extra.lock().expect("lock");
        for (claim, value) in claims.as_object().expect("an object") {
            extra.insert(claim.clone(), value.clone());
        }
    }

    /// From now on the key set holds only another key, which signs.
    pub fn rotate_keys(&self) {
        *self.state.rotated.lock().expect("lock") = true;
    }

    /// Every token the provider has handed out.
    pub fn issued_tokens(&self) -> Vec<String> {
        self.state.issued.lock().expect("lock").clone()
    }
}

async fn discovery(state: web::Data<ProviderState>) -> HttpResponse {
    let issuer = state.issuer.lock().expect("lock").clone();
    let base = issuer.trim_end_matches('/');
    HttpResponse::Ok().json(json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{base}/authorize"),
        "token_endpoint": format!("{base}/oauth/token"),
        "jwks_uri": format!("{base}/.well-known/jwks.json"),
        "end_session_endpoint": format!("{base}/logout"),
        "response_types_supported": ["code"],
        "code_challenge_methods_supported": ["S256"],
    }))
}

/// The one key the provider publishes and signs with.
fn signing_key(state: &ProviderState) -> &'static TestKey {
    if *state.rotated.lock().expect("lock") {
        &keys()[1]
    } else {
        &keys()[0]
    }
}

async fn jwks(state: web::Data<ProviderState>) -> HttpResponse {
    HttpResponse::Ok().json(json!({"keys": [signing_key(&state).jwk()]}))
}

/// Signs the configured user in at once (as if they had typed a password)
/// and sends the browser back with a code.
async fn authorize(request: HttpRequest, state: web::Data<ProviderState>) -> HttpResponse {
    let query: HashMap<String, String> =
        serde_html_form::from_str(request.query_string()).expect("authorize query");
    *state.last_authorize.lock().expect("lock") = query.clone();
    let Some(user) = state.user.lock().expect("lock").clone() else {
        return HttpResponse::BadRequest().body("nobody to sign in");
    };
    if query.get("client_id").map(String::as_str) != Some(CLIENT_ID) {
        return HttpResponse::BadRequest().body("unknown client");
    }
    let code = format!("code-{}", rand::random::<u64>());
    let redirect_uri = query.get("redirect_uri").cloned().unwrap_or_default();
    state.grants.lock().expect("lock").insert(
        code.clone(),
        Grant {
            user,
            redirect_uri: redirect_uri.clone(),
            nonce: query.get("nonce").cloned().unwrap_or_default(),
            challenge: query.get("code_challenge").cloned().unwrap_or_default(),
        },
    );
    let back = serde_html_form::to_string([
        ("code", code.as_str()),
        (
            "state",
            query.get("state").map(String::as_str).unwrap_or_default(),
        ),
    ])
    .expect("query");
    HttpResponse::Found()
        .insert_header(("Location", format!("{redirect_uri}?{back}")))
        .finish()
}

/// The code exchange: the code once, the same redirect URI, the client's
/// secret, and the PKCE verifier matching the challenge.
async fn token(
    form: web::Form<HashMap<String, String>>,
    state: web::Data<ProviderState>,
) -> HttpResponse {
    let refuse = |why: &str| {
        HttpResponse::BadRequest().json(json!({"error": "invalid_grant", "error_description": why}))
    };
    let field = |name: &str| form.get(name).cloned().unwrap_or_default();
    let Some(grant) = state.grants.lock().expect("lock").remove(&field("code")) else {
        return refuse("unknown or used code");
    };
    if field("grant_type") != "authorization_code" || field("client_id") != CLIENT_ID {
        return refuse("wrong grant or client");
    }
    if field("client_secret") != CLIENT_SECRET {
        return refuse("wrong client secret");
    }
    if field("redirect_uri") != grant.redirect_uri {
        return refuse("redirect_uri mismatch");
    }
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(field("code_verifier").as_bytes()));
    if challenge != grant.challenge {
        return refuse("PKCE verification failed");
    }
    let issuer = state.issuer.lock().expect("lock").clone();
    let user = &grant.user;
    let exp = now() + user.ttl_secs;
    let access_token = signing_key(&state).sign(&json!({
        "iss": issuer, "sub": user.sub, "aud": [AUDIENCE, format!("{issuer}userinfo")],
        "iat": now(), "exp": exp, "permissions": user.permissions,
    }));
    let nonce = if *state.wrong_nonce.lock().expect("lock") {
        "not-the-nonce".to_owned()
    } else {
        grant.nonce.clone()
    };
    let mut id_claims = json!({
        "iss": issuer, "sub": user.sub, "aud": CLIENT_ID, "iat": now(), "exp": exp,
        "nonce": nonce, "name": user.name, "email": user.email,
    });
    for (claim, value) in state.id_token_extra.lock().expect("lock").iter() {
        id_claims[claim] = value.clone();
    }
    let id_token = signing_key(&state).sign(&id_claims);
    let mut issued = state.issued.lock().expect("lock");
    issued.push(access_token.clone());
    issued.push(id_token.clone());
    HttpResponse::Ok().json(json!({
        "access_token": access_token, "id_token": id_token,
        "token_type": "Bearer", "expires_in": user.ttl_secs,
    }))
}

// ---------------------------------------------------------------- browser

/// A browser: a cookie jar, no automatic redirects, `Origin` on POSTs.
pub struct Browser {
    base: String,
    cookies: Mutex<HashMap<String, String>>,
    agent: ureq::Agent,
}

impl Browser {
    pub fn new(app: &TestApp) -> Self {
        Self::at(&app.address)
    }

    /// A browser for the server at `base` (e.g. the binary run as a process).
    pub fn at(base: &str) -> Self {
        Self {
            base: base.to_owned(),
            cookies: Mutex::new(HashMap::new()),
            agent: ureq::Agent::config_builder()
                .http_status_as_error(false)
                .max_redirects(0)
                .timeout_global(Some(Duration::from_secs(20)))
                .tls_config(trust_test_ca())
                .build()
                .new_agent(),
        }
    }

    fn url(&self, target: &str) -> String {
        if target.starts_with("http") {
            target.to_owned()
        } else {
            format!("{}{target}", self.base)
        }
    }

    pub fn cookie(&self, name: &str) -> Option<String> {
        self.cookies.lock().expect("lock").get(name).cloned()
    }

    pub fn set_cookie(&self, name: &str, value: &str) {
        self.cookies
            .lock()
            .expect("lock")
            .insert(name.into(), value.into());
    }

    fn send(
        &self,
        request: ureq::http::request::Builder,
        body: Vec<u8>,
        url: &str,
    ) -> TestResponse {
        let mut request = request;
        // Cookies are only ever sent back to the app (they are Path=/admin).
        if url.starts_with(&self.base) {
            let jar = self.cookies.lock().expect("lock");
            if !jar.is_empty() {
                let header: Vec<String> = jar.iter().map(|(k, v)| format!("{k}={v}")).collect();
                request = request.header("Cookie", header.join("; "));
            }
        }
        let response = self
            .agent
            .run(request.body(body).expect("request"))
            .expect("answers");
        let response = into_test_response(response);
        if url.starts_with(&self.base) {
            let mut jar = self.cookies.lock().expect("lock");
            for set in response.header_values("set-cookie") {
                let pair = set.split(';').next().unwrap_or_default();
                let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
                if set.to_ascii_lowercase().contains("max-age=0") || value.is_empty() {
                    jar.remove(name.trim());
                } else {
                    jar.insert(name.trim().to_owned(), value.to_owned());
                }
            }
        }
        response
    }

    pub fn get(&self, target: &str) -> TestResponse {
        let url = self.url(target);
        self.send(ureq::http::Request::get(&url), Vec::new(), &url)
    }

    pub fn head(&self, target: &str) -> TestResponse {
        let url = self.url(target);
        self.send(ureq::http::Request::head(&url), Vec::new(), &url)
    }

    /// Posts a form as a browser on this site would (with our Origin).
    pub fn post(&self, target: &str, fields: &[(&str, &str)]) -> TestResponse {
        let origin = self.base.clone();
        self.post_from(&origin, target, fields)
    }

    pub fn post_from(&self, origin: &str, target: &str, fields: &[(&str, &str)]) -> TestResponse {
        let url = self.url(target);
        let body = serde_html_form::to_string(fields).expect("form");
        let request = ureq::http::Request::post(&url)
            .header("Content-Type", "application/x-www-form-urlencoded")
            .header("Origin", origin);
        self.send(request, body.into_bytes(), &url)
    }

    /// Posts a form as a page at `origin` would, with `Host: host`: what a
    /// DNS-rebinding page's request looks like.
    pub fn post_rebound(
        &self,
        origin: &str,
        host: &str,
        target: &str,
        fields: &[(&str, &str)],
    ) -> TestResponse {
        let url = self.url(target);
        let body = serde_html_form::to_string(fields).expect("form");
        let request = ureq::http::Request::post(&url)
            .header("Content-Type", "application/x-www-form-urlencoded")
            .header("Origin", origin)
            .header("Host", host);
        self.send(request, body.into_bytes(), &url)
    }

    /// Follows one redirect.
    pub fn follow(&self, response: &TestResponse) -> TestResponse {
        let location = response
            .header("location")
            .unwrap_or_else(|| panic!("no Location in {} {}", response.status, response.text));
        self.get(location)
    }

    /// The whole sign-in: the provider signs `user` in, and the browser
    /// lands on `/admin` with a session.
    pub fn sign_in(&self, provider: &OidcProvider, user: User) -> TestResponse {
        provider.sign_in_as(user);
        let start = self.get("/admin/login/start?next=%2Fadmin");
        assert_eq!(start.status, 303, "{}", start.text);
        let at_provider = self.follow(&start);
        assert_eq!(at_provider.status, 302, "{}", at_provider.text);
        let callback = self.follow(&at_provider);
        assert_eq!(callback.status, 303, "callback: {}", callback.text);
        callback
    }

    /// The CSRF token of the signed-in session, as the pages carry it.
    pub fn csrf_token(&self) -> String {
        let page = self.get("/admin/activity");
        hidden_value(&page.text, "csrf").unwrap_or_else(|| panic!("no csrf field in {}", page.text))
    }
}

/// The value of the first `<input ... name="NAME" value="...">`.
pub fn hidden_value(html: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker)? + marker.len();
    let end = html[start..].find('"')? + start;
    Some(html[start..end].to_owned())
}

/// A test app whose admin pages sign in through `provider`.
pub fn spawn_dashboard(provider: &OidcProvider) -> TestApp {
    spawn_dashboard_with(provider, |_| {})
}

/// `spawn_dashboard` with `tweak` applied to its settings.
pub fn spawn_dashboard_with(provider: &OidcProvider, tweak: impl FnOnce(&mut Settings)) -> TestApp {
    spawn_tweaked_app(|settings| {
        tweak(settings);
        settings.auth.issuer = Some(provider.issuer());
        settings.auth.jwks_url = Some(format!("{}.well-known/jwks.json", provider.issuer()));
        settings.dashboard.client_id = Some(CLIENT_ID.into());
        settings.dashboard.client_secret =
            Some(serde_json::from_value(Value::String(CLIENT_SECRET.into())).expect("secret"));
    })
}

/// The provider, an app signing in through it, and a browser with nobody
/// signed in yet: what every dashboard test starts from.
pub fn dashboard() -> (OidcProvider, TestApp, Browser) {
    let provider = OidcProvider::start();
    let app = spawn_dashboard(&provider);
    let browser = Browser::new(&app);
    (provider, app, browser)
}

/// `dashboard()` with `user` signed in through the provider.
pub fn signed_in_dashboard(user: User) -> (OidcProvider, TestApp, Browser) {
    signed_in_dashboard_with(user, |_| {})
}

/// `signed_in_dashboard` on an app with `tweak`ed settings.
pub fn signed_in_dashboard_with(
    user: User,
    tweak: impl FnOnce(&mut Settings),
) -> (OidcProvider, TestApp, Browser) {
    let provider = OidcProvider::start();
    let app = spawn_dashboard_with(&provider, tweak);
    let browser = Browser::new(&app);
    browser.sign_in(&provider, user);
    (provider, app, browser)
}
