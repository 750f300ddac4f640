//! Builds the application from settings: opens the database, loads the
//! signing keys (bounded wait), sets up HTTPS, binds the ports (0 picks a
//! free one) and wires the routes and middleware.
//!
//! With TLS off there is one listener, `server.bind`. With TLS on there
//! are two servers: the application on `tls.https_bind`, and beside it a
//! small plain-HTTP one on `tls.http_bind` (ACME challenges, health, a
//! redirect to https). With metrics on, a small scrape listener runs on
//! `metrics.bind`.

use std::net::{SocketAddr, TcpListener};
use std::time::{Duration, SystemTime};

use std::sync::Arc;

use actix_http::Request;
use actix_service::IntoServiceFactory;
use actix_web::body::MessageBody;
use actix_web::dev::{AppConfig, Server, ServerHandle, Service, ServiceFactory};
use actix_web::http::KeepAlive;
use actix_web::{App, HttpServer, web};
use metrics::counter;

use crate::auth::csrf::AllowedOrigin;
use crate::auth::dev::{DEV_ISSUER, DevKeyError, DevSigner};
use crate::auth::sealed::{SealingKey, SealingKeyError};
use crate::auth::{KeysStatus, TokenVerifier};
use actix_web::rt::task::JoinHandle;

use crate::backup::remote::{RemoteError, RemoteStore};
use crate::backup::schedule::{self, Scheduler};
use crate::backup::{BackupPlan, BackupStatus, archive};
use crate::config::{BindAddress, PublicUrl, Settings, SettingsError};
use crate::db::{Database, DbError};
use crate::db::{ServerLock, housekeeping};
use crate::elapsed::{age, in_words};
use crate::http::dev_hosts::DevelopmentHosts;
use crate::http::html_pages::ErrorPages;
use crate::http::json_body::BodyLimits;
use crate::http::{self, Stack, json_errors};
use crate::menu::MenuService;
use crate::metrics::{MetricsError, names};
use crate::routes::admin::{AdminKeys, AdminState};
use crate::routes::api::openapi::OpenApiDocument;
use crate::routes::metrics::{MetricsSource, ScrapeAccess};
use crate::routes::plain_http::{self, RedirectTarget};
use crate::routes::{self, frontend};
use crate::system::ServerFacts;
use crate::tls::{Tls, TlsError};

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
    #[error(
        "--dev refuses server.public_url {url}: development sign-in is only for this machine. \
         Remove server.public_url, or set it to a loopback URL such as http://127.0.0.1:5000"
    )]
    DevelopmentWithPublicUrl { url: PublicUrl },
    #[error("cannot set up development sign-in")]
    DevKey(#[from] DevKeyError),
    #[error("cannot set up the admin sign-in")]
    SealingKey(#[from] SealingKeyError),
    #[error("cannot serve HTTPS")]
    Tls(#[from] TlsError),
    #[error(transparent)]
    Metrics(#[from] MetricsError),
    #[error(transparent)]
    Backup(#[from] RemoteError),
    #[error(
        "cannot listen on {address} ({setting}): another program may be using that port; \
         stop it, or set {setting} to a free address"
    )]
    Bind {
        setting: &'static str,
        address: BindAddress,
        #[source]
        source: std::io::Error,
    },
}

/// A bound, ready-to-run server.
pub struct Application {
    port: u16,
    ports: SidePorts,
    banner: String,
    server: Server,
    /// The plain-HTTP listener beside HTTPS.
    plain_http: Option<Server>,
    /// The scrape listener.
    metrics: Option<Server>,
    /// HTTPS, whose ACME client starts with the plain listener.
    tls: Option<Tls>,
    /// Closed after the server stops, so the database is left tidy.
    database: Database,
    /// Scheduled backups, while scheduled; stopped with the server.
    backups: Option<Scheduler>,
    /// Deletes expired sessions (and old activity); holds a database handle,
    /// so it is stopped before the database is closed.
    housekeeping: JoinHandle<()>,
    /// Tells `restore` (and a second server) that this one uses the database.
    _lock: Option<ServerLock>,
}

/// Stops every server of an application.
#[derive(Clone)]
pub struct ApplicationHandle(Vec<ServerHandle>);

impl ApplicationHandle {
    /// Stops the servers; `graceful` lets in-flight requests finish.
    pub async fn stop(&self, graceful: bool) {
        for handle in &self.0 {
            handle.stop(graceful).await;
        }
    }
}

impl Application {
    /// Must be called inside an actix system (it spawns the key refresher
    /// and, with TLS, the certificate watcher or ACME client).
    pub async fn build(settings: Settings) -> Result<Self, StartupError> {
        refuse_public_development(&settings)?;
        // Many servers share a PostgreSQL database; only a file is held.
        let lock = match settings.database.url {
            Some(_) => None,
            None => Some(ServerLock::acquire(&settings.database)?),
        };
        let tls = Tls::start(&settings)?;
        let remote = RemoteStore::from_settings(&settings.backup.s3)?;
        let backups = backup_status(&settings, remote.as_ref());
        let certificates = tls.as_ref().map(|tls| Arc::clone(&tls.store));
        let facts = Arc::new(ServerFacts::new(
            &settings,
            certificates,
            Arc::clone(&backups),
        ));
        let metrics_source = metrics_source(&settings, &facts)?;
        let metrics_on = metrics_source.is_some();
        let database = Database::open(&settings.database)?;
        let (verifier, dev_signer) = token_verifier(&settings)?;
        let verifier = web::Data::new(verifier);
        let startup_wait = Duration::from_millis(settings.auth.startup_wait_ms);
        load_signing_keys(&verifier, startup_wait).await;

        let listeners = Listeners::bind(&settings, tls.is_some(), metrics_on)?;
        let (address, ports) = (listeners.address, listeners.ports());
        let banner = banner(&settings, address, &verifier, tls.as_ref(), ports, &backups);
        let tidy = housekeeping::keep_tidy(database.clone(), settings.activity.keep_days);
        let housekeeping = actix_web::rt::spawn(tidy);
        // After the database opened (and migrated): the first backup may be due now.
        let scheduler = schedule::start(&settings, remote, backups);
        let stack = main_stack(&settings, tls.as_ref(), address, metrics_on, &facts);
        let shared = SharedState {
            menu: web::Data::new(MenuService::new(database.clone(), settings.menu.max_drinks)),
            database: web::Data::new(database.clone()),
            verifier,
            admin: Arc::new(admin_state(&settings, address, dev_signer)?),
            openapi: web::Data::new(OpenApiDocument::render()),
            stack,
            metrics: metrics_source,
            facts: web::Data::from(facts),
        };
        let (plain_http, metrics) = serve_beside_main(
            &settings,
            &shared,
            tls.as_ref(),
            address.port(),
            listeners.beside,
        )?;
        Ok(Self {
            port: address.port(),
            ports,
            banner,
            server: serve(&settings, shared, tls.as_ref(), listeners.main)?,
            plain_http,
            metrics,
            tls,
            database,
            backups: scheduler,
            housekeeping,
            _lock: lock,
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

    /// The plain-HTTP listener's port, when TLS is on and it is not off.
    pub fn plain_http_port(&self) -> Option<u16> {
        self.ports.plain_http
    }

    /// The scrape listener's port, when metrics are on and it is not off.
    pub fn metrics_port(&self) -> Option<u16> {
        self.ports.metrics
    }

    /// A handle to stop the servers from elsewhere (tests, service managers).
    pub fn handle(&self) -> ApplicationHandle {
        let side = self
            .plain_http
            .iter()
            .chain(&self.metrics)
            .map(Server::handle);
        ApplicationHandle(std::iter::once(self.server.handle()).chain(side).collect())
    }

    /// Serves until SIGTERM/SIGINT (or `handle().stop()`), lets in-flight
    /// requests finish (bounded), then closes the database.
    pub async fn run_until_stopped(mut self) -> std::io::Result<()> {
        let side_servers: Vec<_> = self
            .plain_http
            .into_iter()
            .chain(self.metrics)
            .map(|server| {
                let handle = server.handle();
                (actix_web::rt::spawn(server), handle)
            })
            .collect();
        if let Some(tls) = &mut self.tls {
            tls.start_acme();
        }
        let served = self.server.await;
        if let Some(backups) = self.backups {
            let grace = Duration::from_secs(SHUTDOWN_GRACE_SECS);
            let finished = web::block(move || backups.stop(grace))
                .await
                .unwrap_or(false);
            if !finished {
                tracing::warn!(
                    "a backup was still running at shutdown; it is made again at the next start"
                );
            }
        }
        self.housekeeping.abort();
        let _ = self.housekeeping.await;
        for (running, handle) in side_servers {
            handle.stop(true).await;
            let _ = running.await;
        }
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
    /// What the application's middleware stack needs.
    stack: Stack,
    /// What a scrape reads, with metrics on.
    metrics: Option<web::Data<MetricsSource>>,
    /// What the System page reads.
    facts: web::Data<ServerFacts>,
}

/// With metrics on: the process's exporter and what a scrape reads.
/// Development mode signs anyone in: it must not be reachable, or named,
/// from outside this machine.
fn refuse_public_development(settings: &Settings) -> Result<(), StartupError> {
    let main_bind = settings.main_bind();
    if settings.development && !main_bind.is_loopback() {
        return Err(StartupError::DevelopmentOnPublicAddress { address: main_bind });
    }
    match &settings.server.public_url {
        Some(url) if settings.development && !url.is_loopback() => {
            Err(StartupError::DevelopmentWithPublicUrl { url: url.clone() })
        }
        _ => Ok(()),
    }
}

/// The backup status, starting from the newest backup already made: a
/// restart does not forget them.
fn backup_status(settings: &Settings, remote: Option<&RemoteStore>) -> Arc<BackupStatus> {
    let backups = Arc::new(BackupStatus::new(BackupPlan {
        interval: settings.scheduled_backups(),
        remote: remote.map(RemoteStore::describe),
    }));
    if let Some(newest) = archive::newest(&settings.backup_dir()) {
        backups.record_backup(newest.made, &newest.name);
    }
    backups
}

/// What the admin pages need: the provider client, the URLs they are
/// served at, and the keys they sign and seal with.
fn admin_state(
    settings: &Settings,
    address: SocketAddr,
    dev_signer: Option<DevSigner>,
) -> Result<AdminState, StartupError> {
    let base_url = settings.base_url(address);
    let dashboard_client = settings.dashboard_client_at(&base_url)?;
    if settings.database.url.is_some()
        && dashboard_client.is_some()
        && settings.dashboard.cookie_secret.is_none()
    {
        // Each server would seal sign-ins with a key of its own.
        tracing::warn!(
            "dashboard.cookie_secret is unset: a sign-in started on one server of the chain \
             cannot finish on another; set the same secret on every server"
        );
    }
    let allowed_origin = AllowedOrigin::for_server(settings, address);
    let keys = AdminKeys {
        dev_signer,
        sealing_key: SealingKey::for_server(
            settings.dashboard.cookie_secret.as_ref(),
            &settings.database,
        )?,
    };
    Ok(AdminState::new(
        settings,
        dashboard_client,
        base_url,
        allowed_origin,
        keys,
    ))
}

/// The main listener's middleware: HSTS with HTTPS, the development banner
/// in development, and request metrics with metrics on.
fn main_stack(
    settings: &Settings,
    tls: Option<&Tls>,
    address: SocketAddr,
    metrics: bool,
    facts: &ServerFacts,
) -> Stack {
    Stack {
        cors: settings.cors.clone(),
        hsts_max_age_secs: tls.map(|tls| tls.hsts_max_age_secs),
        development: settings.development.then_some(DevelopmentHosts {
            port: address.port(),
        }),
        metrics,
        server_errors: Arc::clone(&facts.server_errors),
    }
}

fn metrics_source(
    settings: &Settings,
    facts: &Arc<ServerFacts>,
) -> Result<Option<web::Data<MetricsSource>>, StartupError> {
    if !settings.metrics.enabled {
        return Ok(None);
    }
    Ok(Some(web::Data::new(MetricsSource {
        exporter: crate::metrics::exporter()?,
        facts: Arc::clone(facts),
    })))
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

/// Runs the application on `listener` (over HTTPS when `tls` is given):
/// each worker's application (routes, then the frontend, in the shared
/// middleware stack) and the limits on connections.
fn serve(
    settings: &Settings,
    shared: SharedState,
    tls: Option<&Tls>,
    listener: TcpListener,
) -> Result<Server, StartupError> {
    let error_pages: web::Data<dyn ErrorPages> =
        web::Data::from(Arc::clone(&shared.admin) as Arc<dyn ErrorPages>);
    let admin = web::Data::from(shared.admin);
    let body_limits = BodyLimits {
        max_bytes: settings.server.max_body_bytes,
        timeout: Duration::from_millis(settings.server.body_timeout_ms),
    };
    let frontend = settings.frontend.dir.clone();
    let certificates = tls.map(|tls| web::Data::from(Arc::clone(&tls.store)));
    // /metrics on the main port only for holders of the token.
    let scrape_with_token = shared
        .metrics
        .clone()
        .zip(settings.metrics.main_port_token().cloned())
        .map(|(source, token)| (source, web::Data::new(ScrapeAccess::Token(token))));
    let server = HttpServer::new(move || {
        let mut app = App::new()
            .app_data(shared.database.clone())
            .app_data(shared.menu.clone())
            .app_data(shared.verifier.clone())
            .app_data(body_limits)
            .app_data(admin.clone())
            .app_data(error_pages.clone())
            .app_data(shared.openapi.clone())
            .app_data(shared.facts.clone());
        if let Some(certificates) = &certificates {
            app = app.app_data(certificates.clone());
        }
        if let Some((source, access)) = &scrape_with_token {
            app = app
                .app_data(source.clone())
                .app_data(access.clone())
                .configure(routes::metrics::configure);
        }
        let app = app.configure(routes::configure);
        // Registered last, so every route above wins over a file.
        let app = match &frontend {
            Some(dir) => app.service(frontend::service(dir)),
            None => app.default_service(web::to(json_errors::not_found)),
        };
        http::wrap_app(app, &shared.stack)
    });
    let server = with_limits(server, settings);
    let (setting, address) = (settings.main_bind_setting(), settings.main_bind());
    let server = match tls {
        Some(tls) => server
            // Called once a connection's TLS handshake has completed.
            .on_connect(|_, _| counter!(names::TLS_HANDSHAKES).increment(1))
            .listen_rustls_0_23(listener, tls.server_config()?),
        None => server.listen(listener),
    }
    .map_err(bind_error(setting, address))?;
    Ok(server.run())
}

/// The plain-HTTP listener beside HTTPS: challenges, health, and a
/// redirect to https for the rest.
fn serve_plain_http(
    settings: &Settings,
    shared: &SharedState,
    tls: &Tls,
    https_port: u16,
    side: SideListener,
) -> Result<Server, StartupError> {
    let certificates = web::Data::from(Arc::clone(&tls.store));
    let challenges = web::Data::from(Arc::clone(&tls.challenges));
    let target = web::Data::new(RedirectTarget::for_settings(settings, https_port));
    let routes = move |config: &mut web::ServiceConfig| {
        config
            .app_data(certificates.clone())
            .app_data(challenges.clone())
            .app_data(target.clone())
            .configure(plain_http::configure)
            .default_service(web::to(plain_http::redirect_to_https));
    };
    serve_beside(settings, shared, shared.stack.metrics, routes, side)
}

/// The scrape listener: `/metrics` for whoever reaches `metrics.bind`
/// (loopback by default), and JSON 404s; its own scrapes are not counted.
fn serve_metrics(
    settings: &Settings,
    shared: &SharedState,
    source: &web::Data<MetricsSource>,
    side: SideListener,
) -> Result<Server, StartupError> {
    let source = source.clone();
    let access = web::Data::new(ScrapeAccess::Anyone);
    let routes = move |config: &mut web::ServiceConfig| {
        config
            .app_data(source.clone())
            .app_data(access.clone())
            .configure(routes::metrics::configure)
            .default_service(web::to(json_errors::not_found));
    };
    serve_beside(settings, shared, false, routes, side)
}

/// A listener beside the main one, with one worker (plenty for redirects
/// and scrapes): the database and the verifier (for `/readyz`), `routes`,
/// and the middleware without HSTS or the development banner; requests are
/// counted when `metrics` says so.
fn serve_beside(
    settings: &Settings,
    shared: &SharedState,
    metrics: bool,
    routes: impl Fn(&mut web::ServiceConfig) + Clone + Send + 'static,
    side: SideListener,
) -> Result<Server, StartupError> {
    let database = shared.database.clone();
    let verifier = shared.verifier.clone();
    let stack = Stack {
        cors: settings.cors.clone(),
        hsts_max_age_secs: None,
        development: None,
        metrics,
        server_errors: Arc::clone(&shared.stack.server_errors),
    };
    let server = HttpServer::new(move || {
        let app = App::new()
            .app_data(database.clone())
            .app_data(verifier.clone())
            .configure(routes.clone());
        http::wrap_app(app, &stack)
    });
    let server = with_limits(server, settings).workers(1);
    let bound = server.listen(side.listener);
    Ok(bound.map_err(bind_error(side.setting, side.address))?.run())
}

/// The limits every listener shares: slow or idle clients cannot hold
/// connections (a bounded time to send the head, then 408; a bounded
/// keep-alive; a cap per worker), and a bounded graceful stop.
fn with_limits<F, I, S, B>(
    server: HttpServer<F, I, S, B>,
    settings: &Settings,
) -> HttpServer<F, I, S, B>
where
    F: Fn() -> I + Send + Clone + 'static,
    I: IntoServiceFactory<S, Request>,
    S: ServiceFactory<Request, Config = AppConfig> + 'static,
    S::Error: Into<actix_web::Error> + 'static,
    S::InitError: std::fmt::Debug,
    S::Response: Into<actix_http::Response<B>> + 'static,
    <S::Service as Service<Request>>::Future: 'static,
    S::Service: 'static,
    B: MessageBody + 'static,
{
    let mut server = server
        .shutdown_timeout(SHUTDOWN_GRACE_SECS)
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
    #[cfg(windows)]
    let server = server.shutdown_signal(crate::windows::stop_requested());
    server
}

/// Every listener, bound before anything is served, so that an address in
/// use stops start-up naming its setting.
struct Listeners {
    main: TcpListener,
    address: SocketAddr,
    /// The plain-HTTP listener (with HTTPS) and the scrape listener.
    beside: (Option<SideListener>, Option<SideListener>),
}

impl Listeners {
    fn bind(settings: &Settings, https: bool, metrics: bool) -> Result<Self, StartupError> {
        let (setting, main_bind) = (settings.main_bind_setting(), settings.main_bind());
        let main = bind(setting, main_bind)?;
        let address = local_address(&main, setting, main_bind)?;
        let plain_http = SideListener::bind_if(https, settings.tls.http_bind, "tls.http_bind")?;
        let scrape = SideListener::bind_if(metrics, settings.metrics.bind, "metrics.bind")?;
        tracing::info!(
            api = %format!("{}/drinks", served_url(https, address)),
            database = %settings.database.shown(),
            "coffee-shop {} is listening",
            crate::system::VERSION
        );
        Ok(Self {
            main,
            address,
            beside: (plain_http, scrape),
        })
    }

    fn ports(&self) -> SidePorts {
        SidePorts {
            plain_http: self.beside.0.as_ref().map(|side| side.port),
            metrics: self.beside.1.as_ref().map(|side| side.port),
        }
    }
}

/// Starts the plain-HTTP and scrape listeners, where they were bound.
fn serve_beside_main(
    settings: &Settings,
    shared: &SharedState,
    tls: Option<&Tls>,
    https_port: u16,
    (plain_http, scrape): (Option<SideListener>, Option<SideListener>),
) -> Result<(Option<Server>, Option<Server>), StartupError> {
    let plain_http = match (tls, plain_http) {
        (Some(tls), Some(side)) => Some(serve_plain_http(settings, shared, tls, https_port, side)?),
        _ => None,
    };
    let metrics = match (&shared.metrics, scrape) {
        (Some(source), Some(side)) => Some(serve_metrics(settings, shared, source, side)?),
        _ => None,
    };
    Ok((plain_http, metrics))
}

/// A listener beside the main one (plain HTTP, metrics), bound, with the
/// setting that asked for it and the port it got.
struct SideListener {
    listener: TcpListener,
    setting: &'static str,
    address: BindAddress,
    port: u16,
}

impl SideListener {
    /// Binds `address` (from `setting`) when the listener is `wanted` and
    /// the setting is not "off".
    fn bind_if(
        wanted: bool,
        address: Option<BindAddress>,
        setting: &'static str,
    ) -> Result<Option<Self>, StartupError> {
        let (true, Some(address)) = (wanted, address) else {
            return Ok(None);
        };
        let listener = bind(setting, address)?;
        let port = local_address(&listener, setting, address)?.port();
        Ok(Some(Self {
            listener,
            setting,
            address,
            port,
        }))
    }
}

fn bind(setting: &'static str, address: BindAddress) -> Result<TcpListener, StartupError> {
    TcpListener::bind(address.socket_addr()).map_err(bind_error(setting, address))
}

fn local_address(
    listener: &TcpListener,
    setting: &'static str,
    address: BindAddress,
) -> Result<SocketAddr, StartupError> {
    listener.local_addr().map_err(bind_error(setting, address))
}

fn bind_error(
    setting: &'static str,
    address: BindAddress,
) -> impl FnOnce(std::io::Error) -> StartupError {
    move |source| StartupError::Bind {
        setting,
        address,
        source,
    }
}

/// `http://` or `https://` and the address, as reached on this machine.
fn served_url(https: bool, address: SocketAddr) -> PublicUrl {
    PublicUrl::of_address(if https { "https" } else { "http" }, address)
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

/// The listeners beside the application, for the banner.
#[derive(Debug, Clone, Copy)]
struct SidePorts {
    plain_http: Option<u16>,
    metrics: Option<u16>,
}

/// Where and how often backups go: "every 6h to backups (keep 28), and to s3://cafe/coffee-shop/".
fn backup_line(settings: &Settings, backups: &BackupStatus) -> String {
    let last = match backups.state().last_success {
        Some((made, _)) => format!("; the last {} ago", in_words(age(SystemTime::now(), made))),
        None => "; none yet".to_owned(),
    };
    if settings.database.url.is_some() {
        return "PostgreSQL keeps its own: use the provider's backups, or pg_dump".into();
    }
    let Some(interval) = settings.backup.interval else {
        return format!("off (backup.interval); `coffee-shop backup` makes one{last}");
    };
    let remote = settings.backup.s3.bucket().map_or(String::new(), |bucket| {
        format!(", and to s3://{bucket}/{}", settings.backup.s3.prefix)
    });
    format!(
        "every {} to {} (keep {}){remote}{last}",
        humantime::format_duration(interval),
        settings.backup_dir().display(),
        settings.backup.keep
    )
}

fn banner(
    settings: &Settings,
    address: SocketAddr,
    verifier: &TokenVerifier,
    tls: Option<&Tls>,
    ports: SidePorts,
    backups: &BackupStatus,
) -> String {
    // A wildcard address is reachable here on loopback; say so rather than
    // print an address a browser cannot open.
    let note = if address.ip().is_unspecified() {
        " (listening on all interfaces)"
    } else {
        ""
    };
    let base = served_url(tls.is_some(), address);
    let mut lines = vec![
        format!("coffee-shop {} is serving{note}", crate::system::VERSION),
        format!("  Menu API   {base}/drinks"),
        format!("  Admin      {base}/admin"),
        format!("  Health     {base}/readyz"),
        format!("  Database   {}", settings.database.shown()),
    ];
    if let Some(tls) = tls {
        lines.push(format!(
            "  HTTPS      {}",
            tls.store.state().summary(SystemTime::now())
        ));
        if let Some(port) = ports.plain_http {
            let plain = PublicUrl::of_address("http", SocketAddr::new(address.ip(), port));
            lines.push(format!(
                "  HTTP       {plain} (certificate challenges, health; redirects to https)"
            ));
        }
    }
    if settings.metrics.enabled {
        lines.push(format!(
            "  Metrics    {}",
            metrics_line(settings, ports, &base)
        ));
    }
    lines.push(format!("  Backups    {}", backup_line(settings, backups)));
    lines.extend(sign_in_lines(settings, verifier));
    if settings.development {
        lines.push(format!(
            "  DEVELOPMENT MODE: tokens from `coffee-shop dev-token --role manager` are trusted \
             (issuer {DEV_ISSUER}). Never on a café machine."
        ));
    }
    lines.join("\n")
}

/// Where to scrape: the scrape listener, and the main port with a token.
fn metrics_line(settings: &Settings, ports: SidePorts, base: &PublicUrl) -> String {
    let scrape_listener = ports
        .metrics
        .zip(settings.metrics.bind)
        .map(|(port, bind)| {
            PublicUrl::of_address("http", SocketAddr::new(bind.socket_addr().ip(), port))
        });
    let token = settings.metrics.main_port_token().is_some();
    match (scrape_listener, token) {
        (Some(url), true) => format!("{url}/metrics, and {base}/metrics with metrics.token"),
        (Some(url), false) => format!("{url}/metrics"),
        (None, _) => format!("{base}/metrics with metrics.token"),
    }
}

/// The provider and its keys, or what to do when there is none.
fn sign_in_lines(settings: &Settings, verifier: &TokenVerifier) -> Vec<String> {
    let provider = settings.auth.identity_provider().ok().flatten();
    let keys = match verifier.keys_status() {
        KeysStatus::Loaded { keys } => format!("{keys} signing key(s) loaded"),
        KeysStatus::Loading { .. } => "signing keys not loaded yet, retrying".to_owned(),
        KeysStatus::NotConfigured => String::new(),
    };
    match provider {
        Some(provider) => vec![format!(
            "  Sign-in    {} (audience \"{}\"), {keys}",
            provider.issuer, provider.audience
        )],
        None if !settings.development => vec![
            "  Sign-in    not configured: the menu is public; changes answer 503".to_owned(),
            "  Next       set AUTH0_DOMAIN and API_AUDIENCE (README: \"Auth0 set-up\"),".to_owned(),
            "             or try everything now: coffee-shop serve --dev".to_owned(),
        ],
        None => Vec::new(),
    }
}
