//! HTTPS from certificate files: served and verified against the test CA,
//! replaced without a restart, bad files refused by name; the plain-HTTP
//! listener's redirect and health; the dashboard's cookies over HTTPS.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use coffee_shop::config::{PublicUrl, Settings};
use coffee_shop::error::error_chain;
use coffee_shop::startup::Application;
use coffee_shop_testkit::tls::{client_config, https_get};
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;

use crate::helpers::*;
use crate::oidc::{Browser, OidcProvider, User, spawn_dashboard_with};

fn https_address(app: &TestApp) -> SocketAddr {
    app.address
        .trim_start_matches("https://")
        .parse()
        .expect("an https address")
}

/// The leaf certificate the app shows to a new connection.
fn served_certificate(app: &TestApp) -> Vec<u8> {
    let config = client_config(&[&test_ca().pem()]);
    https_get(https_address(app), "127.0.0.1", &config, "/healthz")
        .expect("a verified HTTPS answer")
        .certificate
}

fn der_of(pem: &str) -> Vec<u8> {
    CertificateDer::from_pem_slice(pem.as_bytes())
        .expect("a PEM certificate")
        .to_vec()
}

#[test]
fn the_menu_and_the_admin_pages_are_served_over_verified_https() {
    let app = spawn_https_app();
    assert!(app.address.starts_with("https://"), "{}", app.address);

    let menu = app.get("/drinks", None);
    assert_eq!(menu.assert_ok()["drinks"][0]["title"], "water");
    assert_eq!(
        menu.header("strict-transport-security"),
        Some("max-age=31536000")
    );
    let login = app.get("/admin/login", None);
    assert_eq!(login.status, 200, "{}", login.text);
    assert!(login.header("strict-transport-security").is_some());

    let ready = app.get("/readyz", None).assert_ok();
    let tls = ready["checks"]["tls"].as_str().expect("a tls check");
    assert!(
        tls.starts_with("CN=127.0.0.1, names 127.0.0.1, localhost, expires in"),
        "{tls}"
    );

    // A client that does not trust the test CA refuses the certificate.
    let stranger = client_config(&[&TestCa::new("another CA").pem()]);
    let refused = https_get(https_address(&app), "127.0.0.1", &stranger, "/drinks");
    assert!(refused.is_err(), "an unknown CA must not be trusted");
}

#[test]
fn replaced_files_reach_new_connections_and_bad_ones_keep_the_old() {
    let app = spawn_https_app();
    let cert_path = app.settings.tls.cert.clone().expect("cert file");
    let key_path = app.settings.tls.key.clone().expect("key file");
    let first = served_certificate(&app);

    // certbot renews: both files are replaced.
    let renewed = test_ca().issue(&["127.0.0.1", "localhost"]);
    std::fs::write(&key_path, &renewed.key_pem).expect("write key");
    std::fs::write(&cert_path, &renewed.cert_pem).expect("write cert");
    let renewed_der = der_of(&renewed.cert_pem);
    wait_until_served(&app, &renewed_der);
    assert_ne!(first, renewed_der);

    // A broken file is refused; the renewed certificate stays.
    std::fs::write(&cert_path, "not a certificate").expect("write garbage");
    std::thread::sleep(Duration::from_secs(5));
    assert_eq!(served_certificate(&app), renewed_der);
    app.get("/drinks", None).assert_ok();

    // The watcher is still at work: the next good pair is picked up.
    let fixed = test_ca().issue(&["127.0.0.1", "localhost"]);
    std::fs::write(&key_path, &fixed.key_pem).expect("write key");
    std::fs::write(&cert_path, &fixed.cert_pem).expect("write cert");
    wait_until_served(&app, &der_of(&fixed.cert_pem));
}

/// Waits (at most 15 s) until new connections get `certificate`.
fn wait_until_served(app: &TestApp, certificate: &[u8]) {
    let deadline = Instant::now() + Duration::from_secs(15);
    while served_certificate(app) != certificate {
        assert!(
            Instant::now() < deadline,
            "the new certificate was never served"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Builds an app with `tweak` and returns why it refused to start.
fn start_up_error(tweak: impl FnOnce(&mut Settings, &std::path::Path)) -> String {
    let dir = tempfile::tempdir().expect("temp dir");
    let jwks = JwksServer::start(&[&keys()[0]]);
    let mut settings = test_settings(&dir, &jwks);
    with_test_certificate(&mut settings);
    tweak(&mut settings, dir.path());
    actix_web::rt::System::new().block_on(async move {
        match Application::build(settings).await {
            Ok(_) => panic!("the app started"),
            Err(error) => error_chain(&error),
        }
    })
}

#[test]
fn bad_certificate_files_stop_start_up_naming_the_file_and_the_problem() {
    let missing = start_up_error(|settings, dir| {
        settings.tls.cert = Some(dir.join("nowhere.pem"));
    });
    assert_mentions(&missing, &["tls.cert", "nowhere.pem"]);

    let mismatched = start_up_error(|settings, _| {
        let other = test_ca().issue(&["127.0.0.1"]);
        let key = settings.tls.key.clone().expect("key");
        std::fs::write(key, other.key_pem).expect("write key");
    });
    assert_mentions(&mismatched, &["tls.key", "does not match"]);

    let expired = start_up_error(|settings, _| {
        let old = test_ca().issue_expired(&["127.0.0.1"]);
        let (cert, key) = (settings.tls.cert.clone(), settings.tls.key.clone());
        std::fs::write(cert.expect("cert"), old.cert_pem).expect("write cert");
        std::fs::write(key.expect("key"), old.key_pem).expect("write key");
    });
    assert_mentions(&expired, &["expired", "cert.pem"]);

    let public_dev = start_up_error(|settings, _| {
        settings.development = true;
        settings.server.public_url = PublicUrl::parse("https://menu.cafe.example").ok();
    });
    assert!(public_dev.contains("server.public_url"), "{public_dev}");

    let garbage = start_up_error(|settings, _| {
        std::fs::write(settings.tls.cert.clone().expect("cert"), "hello").expect("write");
    });
    assert_mentions(&garbage, &["no certificate", "tls.cert"]);
}

#[test]
fn plain_http_redirects_to_https_and_answers_health_and_challenges() {
    let app = spawn_https_app();
    let plain = format!(
        "http://127.0.0.1:{}",
        app.plain_http_port.expect("a plain listener")
    );
    let https_port = https_address(&app).port();
    let agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .build()
        .new_agent();
    let send = |method: &str, path: &str| {
        let request = ureq::http::Request::builder()
            .method(method)
            .uri(format!("{plain}{path}"))
            .header("Host", "menu.cafe.test:8080")
            .body(Vec::new())
            .expect("request");
        into_test_response(agent.run(request).expect("answers"))
    };

    let get = send("GET", "/drinks?page=2");
    assert_eq!(get.status, 301);
    assert_eq!(
        get.header("location"),
        Some(format!("https://menu.cafe.test:{https_port}/drinks?page=2").as_str())
    );
    let post = send("POST", "/drinks");
    assert_eq!(post.status, 308, "a POST keeps its method and body");
    assert_eq!(
        post.header("location"),
        Some(format!("https://menu.cafe.test:{https_port}/drinks").as_str())
    );
    assert_eq!(send("GET", "/healthz").json()["status"], "alive");
    let ready = send("GET", "/readyz");
    assert_eq!(ready.status, 200, "{}", ready.text);
    assert!(ready.json()["checks"]["tls"].as_str().is_some());
    send("GET", "/.well-known/acme-challenge/unknown").assert_error(404);
}

#[test]
fn sign_in_over_https_sets_secure_cookies() {
    let provider = OidcProvider::start();
    let app = spawn_dashboard_with(&provider, with_test_certificate);
    let browser = Browser::new(&app);
    let landed = browser.sign_in(&provider, User::new("auth0|m", "Mia", MANAGER));
    let cookies = landed.header_values("set-cookie");
    assert!(!cookies.is_empty(), "the callback sets the session");
    for cookie in cookies {
        assert!(cookie.contains("; Secure"), "{cookie}");
    }
    let home = browser.get("/admin");
    assert_eq!(home.status, 200, "{}", home.text);
    assert!(home.text.contains("Mia"), "signed in over https");
}

/// Writes `cert.pem` and `key.pem` into `dir`, issued by the test CA.
fn write_certificate_files(dir: &std::path::Path) {
    let issued = test_ca().issue(&["127.0.0.1"]);
    std::fs::write(dir.join("cert.pem"), issued.cert_pem).expect("write cert");
    std::fs::write(dir.join("key.pem"), issued.key_pem).expect("write key");
}

/// The binary, with HTTPS from `cert.pem` and `key.pem` in `dir` on
/// `port` (plain HTTP off), and its output captured.
fn binary_with_certificate_files(dir: &std::path::Path, port: u16) -> std::process::Command {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_coffee-shop"));
    command
        .env_clear()
        .current_dir(dir)
        .env("RUST_LOG", "info")
        .env("COFFEE_SHOP__TLS__CERT", dir.join("cert.pem"))
        .env("COFFEE_SHOP__TLS__KEY", dir.join("key.pem"))
        .env("COFFEE_SHOP__TLS__HTTPS_BIND", format!("127.0.0.1:{port}"))
        .env("COFFEE_SHOP__TLS__HTTP_BIND", "off")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    command
}

#[test]
fn sighup_reloads_the_certificate_files_and_check_config_reports_them() {
    let dir = tempfile::tempdir().expect("temp dir");
    let port = coffee_shop_testkit::free_port();
    write_certificate_files(dir.path());
    let mut command = binary_with_certificate_files(dir.path(), port);

    let checked = command.arg("check-config").output().expect("runs");
    let stdout = String::from_utf8_lossy(&checked.stdout);
    assert!(checked.status.success(), "{stdout}");
    assert!(
        stdout.contains("tls: certificate files: CN=127.0.0.1, names 127.0.0.1, expires in"),
        "{stdout}"
    );

    let server = binary_with_certificate_files(dir.path(), port)
        .spawn()
        .expect("starts");
    let address = SocketAddr::from(([127, 0, 0, 1], port));
    let config = client_config(&[&test_ca().pem()]);
    let deadline = Instant::now() + Duration::from_secs(10);
    while https_get(address, "127.0.0.1", &config, "/healthz").is_err() {
        assert!(Instant::now() < deadline, "the binary never served HTTPS");
        std::thread::sleep(Duration::from_millis(100));
    }
    let sent = std::process::Command::new("kill")
        .args(["-HUP", &server.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(sent.success());
    std::thread::sleep(Duration::from_millis(500));
    let answer = https_get(address, "127.0.0.1", &config, "/drinks").expect("still serving");
    assert_eq!(answer.status, 200, "SIGHUP does not stop the server");
    let health = binary_with_certificate_files(dir.path(), port)
        .arg("healthcheck")
        .output()
        .expect("runs");
    assert!(
        health.status.success(),
        "healthcheck over HTTPS: {health:?}"
    );

    let stopped = std::process::Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(stopped.success());
    let output = server.wait_with_output().expect("exits");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert_mentions(&stderr, &["TLS certificate reloaded", "SIGHUP"]);
    let banner = String::from_utf8_lossy(&output.stdout);
    assert!(
        banner.contains("  HTTPS      CN=127.0.0.1, names 127.0.0.1, expires in"),
        "the banner shows the certificate: {banner}"
    );

    let mut refused = binary_with_certificate_files(dir.path(), port);
    std::fs::write(dir.path().join("key.pem"), "garbage").expect("write");
    let checked = refused.arg("check-config").output().expect("runs");
    let stderr = String::from_utf8_lossy(&checked.stderr);
    assert!(!checked.status.success());
    assert_mentions(&stderr, &["tls.key", "key.pem"]);
}

#[test]
fn alpn_offers_http2_and_http11() {
    let app = spawn_https_app();
    for (offered, chosen) in [
        (vec![b"h2".to_vec(), b"http/1.1".to_vec()], &b"h2"[..]),
        (vec![b"http/1.1".to_vec()], &b"http/1.1"[..]),
    ] {
        let mut config = std::sync::Arc::unwrap_or_clone(client_config(&[&test_ca().pem()]));
        config.alpn_protocols = offered;
        let name = rustls::pki_types::ServerName::try_from("127.0.0.1").expect("name");
        let mut connection =
            rustls::ClientConnection::new(std::sync::Arc::new(config), name).expect("client");
        let mut socket = std::net::TcpStream::connect(https_address(&app)).expect("connects");
        while connection.is_handshaking() {
            connection.complete_io(&mut socket).expect("handshake");
        }
        assert_eq!(connection.alpn_protocol(), Some(chosen));
    }
}

/// An app serving HTTPS with a certificate from the test CA.
fn spawn_https_app() -> TestApp {
    spawn_tweaked_app(with_test_certificate)
}
