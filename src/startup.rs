//! Builds the application from settings: opens the database, loads the
//! signing keys (bounded wait), binds the port (0 picks a free one) and wires
//! the routes and middleware.

use std::net::{SocketAddr, TcpListener};
use std::time::Duration;

use std::sync::Arc;

use actix_web::dev::{Server, ServerHandle};
use actix_web::http::KeepAlive;
use actix_web::{App, HttpServer, web};

use crate::auth::dev::{DEV_ISSUER, DevKeyError, DevSigner};
use crate::auth::{KeysStatus, TokenVerifier};
use crate::config::{BindAddress, PublicUrl, Settings, SettingsError};
use crate::db::{Database, DbError};
use crate::http::html_pages::ErrorPages;
use crate::http::json_body::BodyLimits;
use crate::http::{self, json_errors};
use crate::menu::MenuService;
use crate::routes::admin::AdminState;
use crate::routes::api::openapi::OpenApiDocument;
use crate::routes::{self, frontend};

/// How long in-flight requests may take to finish after SIGTERM/SIGINT.
const SHUTDOWN_GRACE_SECS: u64 = 10;

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    Settings(#[from] SettingsError),
    #[error("cannot open the database")]
    Database(#[from] DbError),
    #[error(
        "--dev refuses to listen on {address}: development tokens would let anyone on the \
         network change the menu. Bind a loopback address such as 127.0.0.1:5000"
    )]
    DevelopmentOnPublicAddress { address: BindAddress },
    #[error("cannot set up development sign-in")]
    DevKey(#[from] DevKeyError),
    #[error("cannot listen on {address}")]
    Bind {
        address: BindAddress,
        #[source]
        source: std::io::Error,
    },
}

/// A bound, ready-to-run server.
pub struct Application {
    port: u16,
    banner: String,
    server: Server,
    /// Closed after the server stops, so the database is left tidy.
    database: Database,
}

impl Application {
    /// Must be called inside an actix system (it spawns the key refresher).
    pub async fn build(settings: Settings) -> Result<Self, StartupError> {
        if settings.development && !settings.server.bind.is_loopback() {
            return Err(StartupError::DevelopmentOnPublicAddress {
                address: settings.server.bind,
            });
        }
        let database = Database::open(&settings.database)?;
        let (verifier, dev_signer) = token_verifier(&settings)?;
        let verifier = web::Data::new(verifier);
        load_signing_keys(
            &verifier,
            Duration::from_millis(settings.auth.startup_wait_ms),
        )
        .await;

        let bind_error = |source| StartupError::Bind {
            address: settings.server.bind,
            source,
        };
        let listener = TcpListener::bind(settings.server.bind.socket_addr()).map_err(bind_error)?;
        let address = listener.local_addr().map_err(bind_error)?;
        tracing::info!(
            api = %format!("http://{address}/drinks"),
            database = %settings.database.path.display(),
            "coffee-shop {} is listening",
            env!("CARGO_PKG_VERSION")
        );
        let banner = banner(&settings, address, &verifier);
        let base_url = settings.base_url(address);
        let dashboard_client = settings.dashboard_client_at(&base_url)?;
        let admin = AdminState::new(&settings, dashboard_client, base_url, dev_signer);
        let shared = SharedState {
            menu: web::Data::new(MenuService::new(database.clone())),
            database: web::Data::new(database.clone()),
            verifier,
            admin: Arc::new(admin),
            openapi: web::Data::new(OpenApiDocument::render()),
        };
        let server = serve(&settings, shared, listener).map_err(bind_error)?;
        Ok(Self {
            port: address.port(),
            banner,
            server,
            database,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// A few lines for the person who started the server: where things
    /// are, and what to do next if sign-in is not set up.
    pub fn banner(&self) -> &str {
        &self.banner
    }

    /// A handle to stop the server from elsewhere (tests, service managers).
    pub fn handle(&self) -> ServerHandle {
        self.server.handle()
    }

    /// Serves until SIGTERM/SIGINT (or `handle().stop()`), lets in-flight
    /// requests finish (bounded), then closes the database.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let served = self.server.await;
        let database = self.database;
        let closed = web::block(move || database.close(Duration::from_secs(SHUTDOWN_GRACE_SECS)))
            .await
            .unwrap_or(false);
        if closed {
            tracing::info!("stopped; the database is closed");
        } else {
            tracing::warn!("stopped, but the database writer did not finish in time");
        }
        served
    }
}

/// What every worker's application shares.
struct SharedState {
    database: web::Data<Database>,
    menu: web::Data<MenuService>,
    verifier: web::Data<TokenVerifier>,
    admin: Arc<AdminState>,
    openapi: web::Data<OpenApiDocument>,
}

/// The API's token verifier; in development mode it also trusts the
/// development key, which is returned for the sign-in buttons.
fn token_verifier(settings: &Settings) -> Result<(TokenVerifier, Option<DevSigner>), StartupError> {
    let verifier = TokenVerifier::from_settings(&settings.auth)?;
    if !settings.development {
        return Ok((verifier, None));
    }
    let key_path = DevSigner::key_path(&settings.database);
    let signer = DevSigner::load_or_create(&key_path)?;
    let verifier = verifier.with_development(&signer, &settings.auth);
    tracing::warn!(
        key = %key_path.display(),
        "DEVELOPMENT MODE: tokens from `coffee-shop dev-token` are trusted. \
         Never run --dev on a café machine."
    );
    Ok((verifier, Some(signer)))
}

/// Runs the HTTP server on `listener`: each worker's application (routes,
/// then the frontend, in the shared middleware stack) and the limits on
/// connections.
fn serve(
    settings: &Settings,
    shared: SharedState,
    listener: TcpListener,
) -> std::io::Result<Server> {
    let error_pages: web::Data<dyn ErrorPages> =
        web::Data::from(Arc::clone(&shared.admin) as Arc<dyn ErrorPages>);
    let admin = web::Data::from(shared.admin);
    let body_limits = BodyLimits {
        max_bytes: settings.server.max_body_bytes,
        timeout: Duration::from_millis(settings.server.body_timeout_ms),
    };
    let cors_settings = settings.cors.clone();
    let frontend = settings.frontend.dir.clone();
    let mut server = HttpServer::new(move || {
        let app = App::new()
            .app_data(shared.database.clone())
            .app_data(shared.menu.clone())
            .app_data(shared.verifier.clone())
            .app_data(body_limits)
            .app_data(admin.clone())
            .app_data(error_pages.clone())
            .app_data(shared.openapi.clone())
            .configure(routes::configure);
        // Registered last, so every route above wins over a file.
        let app = match &frontend {
            Some(dir) => app.service(frontend::service(dir)),
            None => app.default_service(web::to(json_errors::not_found)),
        };
        http::wrap_app(app, &cors_settings)
    })
    .shutdown_timeout(SHUTDOWN_GRACE_SECS)
    // Slow or idle clients cannot hold connections: a bounded time to
    // send the head (then 408), a bounded keep-alive, a cap per worker.
    .client_request_timeout(Duration::from_millis(settings.server.request_timeout_ms))
    .client_disconnect_timeout(Duration::from_secs(1))
    .keep_alive(match settings.server.keep_alive_secs {
        0 => KeepAlive::Disabled,
        secs => KeepAlive::Timeout(Duration::from_secs(secs)),
    })
    .max_connections(settings.server.max_connections);
    if settings.server.workers > 0 {
        server = server.workers(settings.server.workers);
    }
    Ok(server.listen(listener)?.run())
}

/// Waits (bounded) for the first key set, then keeps it fresh in the
/// background; an unreachable provider does not stop the server.
async fn load_signing_keys(verifier: &TokenVerifier, startup_wait: Duration) {
    let Some(key_store) = verifier.key_store() else {
        tracing::warn!(
            "sign-in is not configured: the public menu works, protected routes answer 503. \
             Set auth.issuer (or auth.domain / AUTH0_DOMAIN) and auth.audience."
        );
        return;
    };
    match tokio::time::timeout(startup_wait, key_store.refresh()).await {
        Ok(Ok(())) => {}
        Ok(Err(error)) => {
            tracing::warn!(%error, url = key_store.url(), "signing keys not loaded at start-up; retrying in the background")
        }
        Err(_) => tracing::warn!(
            url = key_store.url(),
            "signing keys not loaded within the start-up wait; retrying in the background"
        ),
    }
    if let KeysStatus::Loaded { keys } = verifier.keys_status() {
        tracing::info!(keys, "sign-in is ready");
    }
    actix_web::rt::spawn(std::sync::Arc::clone(key_store).keep_fresh());
}

fn banner(settings: &Settings, address: SocketAddr, verifier: &TokenVerifier) -> String {
    // A wildcard address is reachable here on loopback; say so rather than
    // print an address a browser cannot open.
    let note = if address.ip().is_unspecified() {
        " (listening on all interfaces)"
    } else {
        ""
    };
    let base = PublicUrl::of_address(address);
    let mut lines = vec![
        format!("coffee-shop {} is serving{note}", env!("CARGO_PKG_VERSION")),
        format!("  Menu API   {base}/drinks"),
        format!("  Admin      {base}/admin"),
        format!("  Health     {base}/readyz"),
        format!("  Database   {}", settings.database.path.display()),
    ];
    let provider = settings.auth.identity_provider().ok().flatten();
    let keys = match verifier.keys_status() {
        KeysStatus::Loaded { keys } => format!("{keys} signing key(s) loaded"),
        KeysStatus::Loading { .. } => "signing keys not loaded yet, retrying".to_owned(),
        KeysStatus::NotConfigured => String::new(),
    };
    match provider {
        Some(provider) => lines.push(format!(
            "  Sign-in    {} (audience \"{}\"), {keys}",
            provider.issuer, provider.audience
        )),
        None if !settings.development => {
            lines.push(
                "  Sign-in    not configured: the menu is public; changes answer 503".to_owned(),
            );
            lines.push(
                "  Next       set AUTH0_DOMAIN and API_AUDIENCE (README: \"Auth0 set-up\"),"
                    .to_owned(),
            );
            lines.push("             or try everything now: coffee-shop serve --dev".to_owned());
        }
        None => {}
    }
    if settings.development {
        lines.push(format!(
            "  DEVELOPMENT MODE: tokens from `coffee-shop dev-token --role manager` are trusted \
             (issuer {DEV_ISSUER}). Never on a café machine."
        ));
    }
    lines.join("\n")
}
