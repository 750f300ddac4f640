//! Prometheus metrics, scraped from the real binary (its own process, so
//! the figures are exactly this test's traffic) and read with the
//! reference parser, Python's `prometheus_client` (installed by
//! scripts/setup.sh): counters move with what is sent, labels come from
//! fixed sets, and the listener and token rules hold.

use std::collections::HashMap;
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

use serde::Deserialize;
use serde_json::{Value, json};

use coffee_shop_testkit::process::command_for;
use coffee_shop_testkit::{ServerProcess, free_port};

use crate::helpers::*;

const METRICS_TOKEN: &str = "a-long-scrape-token-for-tests";

/// The binary with metrics on: its scrape listener on `metrics_port`, and
/// /metrics on the main port for `METRICS_TOKEN`.
struct MeteredServer {
    server: ServerProcess,
    metrics_port: u16,
    jwks: JwksServer,
    dir: tempfile::TempDir,
}

impl MeteredServer {
    fn start() -> Self {
        Self::start_with(|_| {})
    }

    /// Started with `tweak` applied to its command; its log (stderr) is kept.
    fn start_with(tweak: impl FnOnce(&mut Command)) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let jwks = JwksServer::start(&[&keys()[0]]);
        let metrics_port = free_port();
        let mut command = command_for(
            std::path::Path::new(env!("CARGO_BIN_EXE_coffee-shop")),
            &dir.path().join("coffee-shop.db"),
            &jwks,
        );
        let log = std::fs::File::create(dir.path().join("server.log")).expect("a log file");
        command
            .env("COFFEE_SHOP__AUTH__AUDIENCE", AUDIENCE)
            .env("COFFEE_SHOP__METRICS__ENABLED", "true")
            .env(
                "COFFEE_SHOP__METRICS__BIND",
                format!("127.0.0.1:{metrics_port}"),
            )
            .env("COFFEE_SHOP__METRICS__TOKEN", METRICS_TOKEN)
            .stdout(Stdio::null())
            .stderr(log);
        tweak(&mut command);
        let server = ServerProcess::spawn(command);
        assert!(server.answers("/readyz", 200, Duration::from_secs(15)));
        Self {
            server,
            metrics_port,
            jwks,
            dir,
        }
    }

    /// What the server has logged so far.
    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("server.log")).expect("the log")
    }

    fn claims(&self, permissions: &[&str]) -> Value {
        json!({
            "iss": self.jwks.issuer(), "sub": "auth0|metered", "aud": AUDIENCE,
            "exp": now() + 600, "permissions": permissions,
        })
    }

    fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> TestResponse {
        call(&self.server.url(path), method, token, body)
    }

    fn scrape(&self) -> Vec<Sample> {
        scrape_port(self.metrics_port)
    }
}

/// Scrapes the listener on `metrics_port`, parsed by the reference parser.
fn scrape_port(metrics_port: u16) -> Vec<Sample> {
    let response = call(
        &format!("http://127.0.0.1:{metrics_port}/metrics"),
        "GET",
        None,
        None,
    );
    assert_eq!(response.status, 200, "{}", response.text);
    assert!(
        response
            .header("content-type")
            .is_some_and(|t| t.starts_with("text/plain; version=0.0.4")),
        "the text exposition format"
    );
    parse_exposition(&response.text)
}

fn call(url: &str, method: &str, token: Option<&str>, body: Option<&Value>) -> TestResponse {
    let mut request = ureq::http::Request::builder().method(method).uri(url);
    if let Some(token) = token {
        request = request.header("Authorization", format!("Bearer {token}"));
    }
    if body.is_some() {
        request = request.header("Content-Type", "application/json");
    }
    let request = request
        .body(body.map(Value::to_string).unwrap_or_default().into_bytes())
        .expect("request");
    let agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(20)))
        .build()
        .new_agent();
    into_test_response(agent.run(request).expect("the server answers"))
}

/// One sample of the exposition, as the parser read it.
#[derive(Deserialize)]
struct Sample {
    name: String,
    labels: HashMap<String, String>,
    value: f64,
}

/// The Python that scripts/setup.sh gave prometheus_client.
fn python() -> PathBuf {
    let python = std::env::var_os("COFFEE_SHOP_METRICS_PYTHON").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/metrics-venv/bin/python"),
        PathBuf::from,
    );
    assert!(
        python.exists(),
        "{} is missing: run scripts/setup.sh (it installs prometheus_client)",
        python.display()
    );
    python
}

/// Every sample of `text`, read by prometheus_client's parser, which
/// refuses anything that is not valid exposition format.
fn parse_exposition(text: &str) -> Vec<Sample> {
    const PARSE: &str = "import json, sys
from prometheus_client.parser import text_string_to_metric_families
print(json.dumps([{'name': s.name, 'labels': s.labels, 'value': s.value}
    for family in text_string_to_metric_families(sys.stdin.read())
    for s in family.samples]))";
    let mut parser = Command::new(python())
        .args(["-c", PARSE])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python starts");
    parser
        .stdin
        .take()
        .expect("stdin")
        .write_all(text.as_bytes())
        .expect("the exposition is handed over");
    let output = parser.wait_with_output().expect("the parser finishes");
    assert!(
        output.status.success(),
        "prometheus_client refused the exposition: {}\n{text}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("the parser's JSON")
}

/// The value of the samples `name` whose labels include `labels`, summed
/// (0 when there is none yet: a counter that never moved is not exported).
/// The figures of counter `name`, one for each value of its label `label`.
fn by_label<'a>(samples: &'a [Sample], name: &'a str, label: &'a str) -> impl Fn(&str) -> f64 + 'a {
    move |value| figure(samples, name, &[(label, value)])
}

fn figure(samples: &[Sample], name: &str, labels: &[(&str, &str)]) -> f64 {
    samples
        .iter()
        .filter(|s| s.name == name)
        .filter(|s| {
            labels
                .iter()
                .all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(*v))
        })
        .map(|s| s.value)
        .sum()
}

fn series(samples: &[Sample], name: &str) -> usize {
    samples.iter().filter(|s| s.name == name).count()
}

#[test]
fn counters_move_with_the_traffic_sent() {
    let app = MeteredServer::start();
    let manager = keys()[0].sign(&app.claims(MANAGER));
    let barista = keys()[0].sign(&app.claims(BARISTA));
    let mut expired = app.claims(MANAGER);
    expired["exp"] = json!(now() - 3600);
    let mut foreign_audience = app.claims(MANAGER);
    foreign_audience["aud"] = json!("someone-else");
    let tampered = {
        let (signed, signature) = manager.rsplit_once('.').expect("a JWT");
        let flipped = if signature.starts_with('A') { 'B' } else { 'A' };
        format!("{signed}.{flipped}{}", &signature[1..])
    };
    let drink = json!({"title": "Metered Mocha", "recipe": [{"name": "mocha", "color": "brown", "parts": 1}]});

    for _ in 0..3 {
        app.call("GET", "/drinks", None, None).assert_ok();
    }
    for token in [
        keys()[0].sign(&expired),
        keys()[0].sign(&expired),
        keys()[0].sign(&foreign_audience),
        keys()[1].sign(&app.claims(MANAGER)),
        tampered,
        "not-a-jwt".to_owned(),
    ] {
        app.call("POST", "/drinks", Some(&token), Some(&drink))
            .assert_error(401);
    }
    app.call("POST", "/drinks", Some(&barista), Some(&drink))
        .assert_error(403);
    app.call("POST", "/drinks", None, Some(&drink))
        .assert_error(401);
    app.call("POST", "/drinks", Some(&manager), Some(&drink))
        .assert_ok();
    app.call("GET", "/drinks-detail", Some(&manager), None)
        .assert_ok();

    let samples = app.scrape();
    let requests = |route: &str, method: &str, status: &str| {
        figure(
            &samples,
            "coffee_shop_http_requests_total",
            &[("route", route), ("method", method), ("status", status)],
        )
    };
    assert_eq!(requests("/drinks", "GET", "2xx"), 3.0);
    assert_eq!(requests("/drinks", "POST", "4xx"), 8.0);
    assert_eq!(requests("/drinks", "POST", "2xx"), 1.0);
    assert_eq!(
        figure(
            &samples,
            "coffee_shop_http_request_duration_seconds_count",
            &[("route", "/drinks"), ("method", "GET")]
        ),
        3.0,
        "every request timed"
    );
    let refused = by_label(&samples, "coffee_shop_tokens_refused_total", "reason");
    assert_eq!(refused("expired"), 2.0);
    assert_eq!(refused("audience"), 1.0);
    assert_eq!(refused("unknown_kid"), 1.0);
    assert_eq!(refused("signature"), 1.0);
    assert_eq!(refused("malformed"), 1.0);
    assert_eq!(refused("no_permission"), 1.0);
    assert_eq!(refused("missing"), 1.0);
    assert_eq!(
        figure(&samples, "coffee_shop_tokens_verified_total", &[]),
        3.0,
        "barista, manager twice"
    );
    assert_eq!(
        figure(
            &samples,
            "coffee_shop_token_cache_total",
            &[("result", "hit")]
        ),
        1.0,
        "the manager's second request"
    );
    assert_eq!(
        figure(
            &samples,
            "coffee_shop_jwks_fetches_total",
            &[("outcome", "ok")]
        ),
        2.0,
        "at start-up, and again for the unknown key id"
    );
    assert_eq!(
        figure(&samples, "coffee_shop_signing_keys_loaded", &[]),
        1.0
    );
    assert!(figure(&samples, "coffee_shop_jwks_last_success_age_seconds", &[]) < 60.0);
    // Start-up tidying (expired sessions) is a write of its own.
    assert_eq!(
        figure(&samples, "coffee_shop_db_write_batch_size_count", &[]),
        2.0,
        "the tidying at start-up, and the one write: a batch each"
    );
    assert_eq!(
        figure(
            &samples,
            "coffee_shop_db_commit_duration_seconds_count",
            &[]
        ),
        2.0,
        "a commit per batch"
    );
    assert_eq!(
        figure(&samples, "coffee_shop_db_writer_queue_depth", &[]),
        0.0
    );
    assert!(figure(&samples, "coffee_shop_db_pool_wait_seconds_count", &[]) >= 1.0);
    assert!(figure(&samples, "coffee_shop_db_size_bytes", &[]) > 0.0);
    assert!(
        figure(&samples, "coffee_shop_menu_rebuilds_total", &[]) >= 2.0,
        "before and after the write"
    );
    assert_eq!(
        figure(&samples, "coffee_shop_menu_drinks", &[]),
        8.0,
        "the seven sample drinks and the new one"
    );
    assert_eq!(
        figure(&samples, "coffee_shop_admin_sessions_active", &[]),
        0.0
    );
    assert!(figure(&samples, "coffee_shop_process_resident_memory_bytes", &[]) > 1e6);
    assert!(figure(&samples, "coffee_shop_process_open_fds", &[]) >= 3.0);
    // A missing gauge would also read 0 here: check it is exported.
    assert_eq!(
        series(&samples, "coffee_shop_uptime_seconds"),
        1,
        "uptime is exported"
    );
    assert!(figure(&samples, "coffee_shop_uptime_seconds", &[]) >= 0.0);
    assert_eq!(
        figure(
            &samples,
            "coffee_shop_build_info",
            &[("version", env!("CARGO_PKG_VERSION"))]
        ),
        1.0
    );
    assert_eq!(
        figure(&samples, "coffee_shop_http_requests_in_flight", &[]),
        0.0
    );
}

#[test]
fn a_thousand_drink_ids_and_paths_add_no_time_series() {
    let app = MeteredServer::start();
    let token = keys()[0].sign(&app.claims(MANAGER));
    let visit = |round: u32| {
        app.call("GET", &format!("/drinks/{round}"), Some(&token), None);
        app.call("GET", &format!("/no-such-page-{round}"), None, None);
        app.call(
            "PATCH",
            &format!("/drinks/{}", 10_000 + round),
            Some(&token),
            Some(&json!({"title": "x"})),
        );
    };
    (1..=10).for_each(visit);
    let before = app.scrape();
    (11..=1000).for_each(visit);
    let after = app.scrape();
    for name in [
        "coffee_shop_http_requests_total",
        "coffee_shop_http_request_duration_seconds_bucket",
        "coffee_shop_tokens_refused_total",
    ] {
        assert_eq!(
            series(&after, name),
            series(&before, name),
            "{name} grew with the ids"
        );
    }
    assert_eq!(
        figure(
            &after,
            "coffee_shop_http_requests_total",
            &[("route", "/drinks/{id}"), ("method", "PATCH")]
        ),
        1000.0,
        "counted under the route's pattern"
    );
    assert_eq!(
        figure(
            &after,
            "coffee_shop_http_requests_total",
            &[("route", "unmatched")]
        ),
        1000.0
    );
}

#[test]
fn the_main_port_serves_metrics_only_to_the_token() {
    let app = MeteredServer::start();
    for token in [
        None,
        Some("wrong-token-of-the-same-length!"),
        Some(METRICS_TOKEN.get(..10).unwrap_or_default()),
    ] {
        let refused = app.call("GET", "/metrics", token, None);
        refused.assert_error(401);
        assert_eq!(refused.json()["code"], "metrics_token_required");
        assert!(refused.header("www-authenticate").is_some());
    }
    let scraped = app.call("GET", "/metrics", Some(METRICS_TOKEN), None);
    assert_eq!(scraped.status, 200);
    assert!(scraped.text.contains("coffee_shop_build_info"));
    let api_token = keys()[0].sign(&app.claims(MANAGER));
    app.call("GET", "/metrics", Some(&api_token), None)
        .assert_error(401);
}

#[test]
fn metrics_are_off_unless_asked_for_and_the_main_port_needs_a_token() {
    let off = spawn_app();
    off.get("/metrics", None).assert_error(404);

    let without_token = spawn_tweaked_app(|settings| {
        settings.metrics.enabled = true;
        settings.metrics.bind = Some(std::net::SocketAddr::from(([127, 0, 0, 1], 0)).into());
    });
    let refused = without_token.get("/metrics", None);
    refused.assert_error(404);
    assert_eq!(refused.json()["code"], "not_found", "the JSON shape");
}

#[test]
fn the_grafana_dashboard_and_the_alert_rules_use_only_exported_names() {
    let name = regex::Regex::new(r"coffee_shop_[a-z_]+").expect("regex");
    let exported: Vec<&str> = name
        .find_iter(include_str!("../../src/metrics/names.rs"))
        .map(|m| m.as_str())
        .collect();
    assert!(exported.len() > 20, "names.rs lists the metrics");
    for (file, text) in [
        (
            "docs/grafana-dashboard.json",
            include_str!("../../docs/grafana-dashboard.json"),
        ),
        (
            "docs/prometheus-alerts.yml",
            include_str!("../../docs/prometheus-alerts.yml"),
        ),
    ] {
        let used: Vec<&str> = name.find_iter(text).map(|m| m.as_str()).collect();
        assert!(!used.is_empty(), "{file} uses the metrics");
        for metric in used {
            let family = ["_bucket", "_count", "_sum"]
                .iter()
                .find_map(|suffix| metric.strip_suffix(suffix))
                .filter(|family| exported.contains(family))
                .unwrap_or(metric);
            assert!(
                exported.contains(&family),
                "{file} uses {metric}, which is not exported"
            );
        }
    }
    let dashboard: Value =
        serde_json::from_str(include_str!("../../docs/grafana-dashboard.json")).expect("JSON");
    assert!(dashboard["panels"].as_array().is_some_and(|p| p.len() > 10));
}

#[test]
fn a_metrics_port_in_use_is_named_with_its_setting() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
    let dir = tempfile::tempdir().expect("temp dir");
    let jwks = JwksServer::start(&[&keys()[0]]);
    let mut settings = test_settings(&dir, &jwks);
    settings.metrics.enabled = true;
    settings.metrics.bind = Some(taken.local_addr().expect("its address").into());
    let refused = actix_web::rt::System::new()
        .block_on(coffee_shop::startup::Application::build(settings))
        .err()
        .expect("the taken port is refused");
    let message = refused.to_string();
    assert!(message.contains("metrics.bind"), "{message}");
}

#[test]
fn a_server_error_is_counted_and_logged_under_one_request_id() {
    let app = MeteredServer::start();
    let database = rusqlite::Connection::open(app.dir.path().join("coffee-shop.db")).expect("open");
    database
        .execute(
            "INSERT INTO drinks (title, title_key, recipe) VALUES ('Bad', 'bad', ?1)",
            [json!([{"name": "x", "color": "expression(x)", "parts": 1}]).to_string()],
        )
        .expect("a corrupt row behind the API's back");
    let failed = app.call("GET", "/drinks", None, None);
    assert_eq!(failed.status, 500);
    let request_id = failed.header("x-request-id").expect("a request id");

    let samples = app.scrape();
    let server_errors = figure(
        &samples,
        "coffee_shop_http_requests_total",
        &[("route", "/drinks"), ("method", "GET"), ("status", "5xx")],
    );
    assert_eq!(server_errors, 1.0);
    let log = app.log();
    let answered = log
        .lines()
        .find(|line| line.contains(request_id) && line.contains("status=500"));
    let answered = answered.unwrap_or_else(|| panic!("no line for {request_id}: {log}"));
    assert!(answered.contains("ERROR"), "logged as an error: {answered}");
}

#[test]
fn sign_ins_and_sessions_are_counted() {
    let provider = crate::oidc::OidcProvider::start();
    let issuer = provider.issuer();
    let app = MeteredServer::start_with(|command| {
        command
            .env("COFFEE_SHOP__AUTH__ISSUER", &issuer)
            .env(
                "COFFEE_SHOP__AUTH__JWKS_URL",
                format!("{issuer}.well-known/jwks.json"),
            )
            .env("COFFEE_SHOP__DASHBOARD__CLIENT_ID", crate::oidc::CLIENT_ID)
            .env(
                "COFFEE_SHOP__DASHBOARD__CLIENT_SECRET",
                crate::oidc::CLIENT_SECRET,
            );
    });
    let browser = crate::oidc::Browser::at(&app.server.url(""));
    let landed = browser.sign_in(&provider, crate::oidc::User::new("auth0|m", "Mo", MANAGER));
    assert_eq!(landed.status, 303, "{}", landed.text);
    let forged = browser.get("/admin/callback?code=forged&state=forged");
    assert_eq!(forged.status, 400, "{}", forged.text);

    let samples = app.scrape();
    let sign_ins = by_label(&samples, "coffee_shop_admin_signins_total", "outcome");
    assert_eq!(sign_ins("ok"), 1.0);
    assert_eq!(sign_ins("refused"), 1.0);
    assert_eq!(
        figure(&samples, "coffee_shop_admin_sessions_active", &[]),
        1.0
    );
}

#[test]
fn https_handshakes_and_the_certificate_expiry_are_exported() {
    let dir = tempfile::tempdir().expect("temp dir");
    let issued = test_ca().issue_expiring(&["127.0.0.1"], (2099, 1, 1));
    std::fs::write(dir.path().join("cert.pem"), issued.cert_pem).expect("write cert");
    std::fs::write(dir.path().join("key.pem"), issued.key_pem).expect("write key");
    let (port, metrics_port) = (free_port(), free_port());
    let mut command = Command::new(env!("CARGO_BIN_EXE_coffee-shop"));
    command
        .env_clear()
        .current_dir(dir.path())
        .env("COFFEE_SHOP__TLS__CERT", dir.path().join("cert.pem"))
        .env("COFFEE_SHOP__TLS__KEY", dir.path().join("key.pem"))
        .env("COFFEE_SHOP__TLS__HTTPS_BIND", format!("127.0.0.1:{port}"))
        .env("COFFEE_SHOP__TLS__HTTP_BIND", "off")
        .env("COFFEE_SHOP__METRICS__ENABLED", "true")
        .env(
            "COFFEE_SHOP__METRICS__BIND",
            format!("127.0.0.1:{metrics_port}"),
        )
        .stdout(Stdio::null());
    let _server = ServerProcess::spawn_on(command, port);
    let address = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    let config = coffee_shop_testkit::tls::client_config(&[&test_ca().pem()]);
    let get = || coffee_shop_testkit::tls::https_get(address, "127.0.0.1", &config, "/healthz");
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while get().is_err() {
        assert!(std::time::Instant::now() < deadline, "never served HTTPS");
        std::thread::sleep(Duration::from_millis(100));
    }
    for _ in 0..3 {
        assert_eq!(get().expect("served").status, 200);
    }

    let samples = scrape_port(metrics_port);
    assert_eq!(
        figure(&samples, "coffee_shop_tls_handshakes_total", &[]),
        4.0,
        "one per connection: each request above opened its own"
    );
    assert_eq!(
        figure(
            &samples,
            "coffee_shop_tls_certificate_expiry_timestamp_seconds",
            &[]
        ),
        4_070_908_800.0,
        "2099-01-01T00:00:00Z"
    );
}
