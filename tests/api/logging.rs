//! Request ids: every answer carries one, and a client's own is kept when
//! plain. Tokens stay out of the log even with tracing turned all the way up.

use std::process::{Command, Stdio};

use coffee_shop_testkit::ServerProcess;

use crate::helpers::*;
use crate::oidc::{Browser, CLIENT_ID, CLIENT_SECRET, OidcProvider, User};

#[test]
fn every_answer_carries_a_request_id() {
    let app = spawn_app();
    let first = app.get("/drinks", None);
    let second = app.get("/no-such-page", None);
    let first_id = first.header("x-request-id").expect("an id on a success");
    let second_id = second.header("x-request-id").expect("an id on an error");
    assert_eq!(first_id.len(), 16);
    assert_ne!(first_id, second_id);
}

#[test]
fn a_plain_client_request_id_is_kept_and_anything_else_replaced() {
    let app = spawn_app();
    let kept = app.get_with("/drinks", &[("X-Request-Id", "app-42.retry_1")]);
    assert_eq!(kept.header("x-request-id"), Some("app-42.retry_1"));
    let long = "a".repeat(65);
    for hostile in ["has space", "quote\"s", long.as_str()] {
        let replaced = app.get_with("/drinks", &[("X-Request-Id", hostile)]);
        let id = replaced.header("x-request-id").expect("an id");
        assert_ne!(id, hostile);
        assert_eq!(id.len(), 16);
    }
}

#[test]
fn with_rust_log_trace_the_token_exchange_never_reaches_the_log() {
    let provider = OidcProvider::start();
    let dir = tempfile::tempdir().expect("temp dir");
    let mut command = Command::new(env!("CARGO_BIN_EXE_coffee-shop"));
    command
        .env_clear()
        .current_dir(dir.path())
        .env("RUST_LOG", "trace")
        .env("COFFEE_SHOP__LOG__FORMAT", "json")
        .env("COFFEE_SHOP__AUTH__ISSUER", provider.issuer())
        .env(
            "COFFEE_SHOP__AUTH__JWKS_URL",
            format!("{}.well-known/jwks.json", provider.issuer()),
        )
        .env("COFFEE_SHOP__DASHBOARD__CLIENT_ID", CLIENT_ID)
        .env("COFFEE_SHOP__DASHBOARD__CLIENT_SECRET", CLIENT_SECRET)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let server = ServerProcess::spawn(command);
    assert!(server.answers("/healthz", 200, std::time::Duration::from_secs(10)));
    let browser = Browser::at(&server.url(""));
    let landed = browser.sign_in(&provider, User::new("auth0|t", "Tess", MANAGER));
    assert_eq!(landed.header("location"), Some("/admin"));

    let (status, _, stderr) = server.terminate_with_output();
    assert!(status.success());
    let tokens = provider.issued_tokens();
    assert_eq!(tokens.len(), 2, "an access token and an ID token");
    for token in &tokens {
        let signature = token.rsplit('.').next().expect("a JWT");
        assert!(!stderr.contains(signature), "a token reached the log");
    }
    assert!(
        !stderr.contains(CLIENT_SECRET),
        "the client secret reached the log"
    );
    let lines: Vec<serde_json::Value> = stderr
        .lines()
        .filter_map(|line| serde_json::from_str(line).ok())
        .collect();
    assert!(
        lines
            .iter()
            .any(|line| line["level"] == "TRACE" || line["level"] == "DEBUG"),
        "trace is on (else this test proves nothing)"
    );
    let wire = lines.iter().find(|line| {
        let target = line["target"].as_str().unwrap_or_default();
        let detailed = line["level"] == "DEBUG" || line["level"] == "TRACE";
        detailed && (target.starts_with("ureq") || target.starts_with("rustls"))
    });
    assert!(wire.is_none(), "HTTP client detail was logged: {wire:?}");
}

/// Starts the server with its log redirected to a file, sends a request so
/// that it logs, stops it, and returns the file.
fn log_written_to_a_file(color: Option<&str>) -> String {
    let dir = tempfile::tempdir().expect("temp dir");
    let log_path = dir.path().join("server.log");
    let log = std::fs::File::create(&log_path).expect("log file");
    let jwks = coffee_shop_testkit::JwksServer::start(&[&keys()[0]]);
    let mut command = coffee_shop_testkit::process::command_for(
        std::path::Path::new(env!("CARGO_BIN_EXE_coffee-shop")),
        &dir.path().join("coffee-shop.db"),
        &jwks,
    );
    command.env("RUST_LOG", "info").stderr(log);
    if let Some(color) = color {
        command.env("COFFEE_SHOP__LOG__COLOR", color);
    }
    let server = ServerProcess::spawn(command);
    assert!(server.answers("/drinks", 200, std::time::Duration::from_secs(10)));
    assert!(server.terminate().success());
    std::fs::read_to_string(&log_path).expect("the log")
}

#[test]
fn a_log_in_a_file_has_no_colour_codes_unless_asked_for() {
    const ESCAPE: char = '\u{1b}';
    let automatic = log_written_to_a_file(None);
    assert!(
        automatic.contains("path=\"/drinks\""),
        "the request was logged: {automatic}"
    );
    assert!(
        !automatic.contains(ESCAPE),
        "colour codes in a file: {automatic:?}"
    );
    assert!(!log_written_to_a_file(Some("never")).contains(ESCAPE));
    assert!(
        log_written_to_a_file(Some("always")).contains(ESCAPE),
        "\"always\" colours even a file (else this test proves nothing)"
    );
}
