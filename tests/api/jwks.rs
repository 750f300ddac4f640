//! The key set's life: loaded at start-up, refetched for unknown key ids
//! (rate-limited), kept fresh, and survived when the provider is down.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::json;

use crate::helpers::*;

fn token_for(app: &TestApp, key: &TestKey) -> String {
    key.sign(&app.claims(BARISTA))
}

#[test]
fn keys_are_loaded_once_at_start_up() {
    let app = spawn_app();
    assert_eq!(app.jwks.fetches(), 1);
    for _ in 0..5 {
        app.get("/drinks-detail", Some(&app.token(BARISTA)))
            .assert_ok();
    }
    assert_eq!(app.jwks.fetches(), 1, "known keys need no fetch");
}

#[test]
fn a_rotated_key_is_picked_up_without_restart_and_the_old_one_dropped() {
    let app = spawn_app();
    let (old, new) = (&keys()[0], &keys()[1]);
    app.jwks.publish(&[new]);

    app.get("/drinks-detail", Some(&token_for(&app, new)))
        .assert_ok();
    assert_eq!(app.jwks.fetches(), 2, "one refetch for the unknown kid");
    app.get("/drinks-detail", Some(&token_for(&app, new)))
        .assert_ok();
    assert_eq!(app.jwks.fetches(), 2);

    let message = app
        .get("/drinks-detail", Some(&token_for(&app, old)))
        .assert_error(401);
    assert!(
        message.contains("key"),
        "a key gone from the set is no longer trusted: {message}"
    );
}

#[test]
fn a_flood_of_random_key_ids_fetches_at_most_once_per_cool_down() {
    let app = spawn_app();
    std::thread::scope(|scope| {
        for batch in 0..4 {
            let app = &app;
            scope.spawn(move || {
                for i in 0..25 {
                    let mut header = Header::new(Algorithm::RS256);
                    header.kid = Some(format!("random-{batch}-{i}"));
                    let token = keys()[0].sign_with_header(header, &app.claims(BARISTA));
                    app.get("/drinks-detail", Some(&token)).assert_error(401);
                }
            });
        }
    });
    let fetches = app.jwks.fetches();
    assert_eq!(
        fetches, 2,
        "start-up, then one refetch shared by 100 unknown kids"
    );
}

#[test]
fn concurrent_requests_for_a_new_key_share_one_fetch() {
    let app = spawn_app();
    app.jwks.publish(&[&keys()[0], &keys()[1]]);
    let token = token_for(&app, &keys()[1]);
    std::thread::scope(|scope| {
        for _ in 0..16 {
            scope.spawn(|| app.get("/drinks-detail", Some(&token)).assert_ok());
        }
    });
    assert_eq!(app.jwks.fetches(), 2);
}

#[test]
fn the_cool_down_is_configurable_and_later_rotations_are_picked_up() {
    let app = app_with(JwksServer::start(&[&keys()[0]]), |s| {
        s.auth.refresh_cooldown_secs = 1
    });
    app.jwks.publish(&[&keys()[1]]);
    app.get("/drinks-detail", Some(&token_for(&app, &keys()[1])))
        .assert_ok();
    app.jwks.publish(&[&keys()[2]]);
    // Within the cool-down the new key cannot be fetched yet...
    app.get("/drinks-detail", Some(&token_for(&app, &keys()[2])))
        .assert_error(401);
    std::thread::sleep(Duration::from_millis(1100));
    // ...after it, it is.
    app.get("/drinks-detail", Some(&token_for(&app, &keys()[2])))
        .assert_ok();
    assert_eq!(app.jwks.fetches(), 3);
}

#[test]
fn the_server_starts_with_the_provider_down_and_recovers() {
    let jwks = JwksServer::start(&[&keys()[0]]);
    jwks.set_failing(true);
    let app = app_with(jwks, |s| s.auth.startup_wait_ms = 500);

    app.get("/drinks", None).assert_ok();
    let response = app.get("/drinks-detail", Some(&app.token(BARISTA)));
    response.assert_error(503);
    assert!(
        response
            .header("Retry-After")
            .is_some_and(|s| s.parse::<u32>().is_ok())
    );
    app.post("/drinks", Some(&app.token(MANAGER)), &json!({}))
        .assert_error(503);
    app.get("/readyz", None).assert_error(503);

    app.jwks.set_failing(false);
    assert!(
        wait_until(Duration::from_secs(8), || app.get("/readyz", None).status
            == 200),
        "the background retry loads the keys"
    );
    app.get("/drinks-detail", Some(&app.token(BARISTA)))
        .assert_ok();
}

#[test]
fn a_provider_that_never_answers_does_not_delay_start_up() {
    // Accepts connections and never answers: only the bounded wait ends it.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let silent_port = silent.local_addr().expect("address").port();
    let started = std::time::Instant::now();
    let app = app_with(JwksServer::start(&[&keys()[0]]), |s| {
        s.auth.jwks_url = Some(format!(
            "http://127.0.0.1:{silent_port}/.well-known/jwks.json"
        ));
        s.auth.startup_wait_ms = 500;
    });
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(400),
        "it did wait for the keys: {waited:?}"
    );
    assert!(waited < Duration::from_secs(3), "bounded wait: {waited:?}");
    app.get("/drinks", None).assert_ok();
    app.get("/drinks-detail", Some(&app.token(BARISTA)))
        .assert_error(503);
    drop(silent);
}

#[test]
fn a_refused_connection_is_retried_in_the_background() {
    let unused_port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let app = app_with(JwksServer::start(&[&keys()[0]]), |s| {
        s.auth.jwks_url = Some(format!(
            "http://127.0.0.1:{unused_port}/.well-known/jwks.json"
        ));
    });
    app.get("/drinks-detail", Some(&app.token(BARISTA)))
        .assert_error(503);
    // Now something answers on that port: the first retry comes within ~1 s.
    let late = JwksServer::start_on(unused_port, &[&keys()[0]]);
    assert!(
        wait_until(Duration::from_secs(4), || late.fetches() > 0),
        "a retry arrives soon after start-up"
    );
    assert!(wait_until(Duration::from_secs(2), || app
        .get("/readyz", None)
        .status
        == 200));
}

#[test]
fn redirects_are_not_followed() {
    let real = JwksServer::start(&[&keys()[0]]);
    let redirecting = JwksServer::start(&[&keys()[0]]);
    redirecting.redirect_to(&real.jwks_url());
    let app = app_with(redirecting, |s| s.auth.startup_wait_ms = 500);
    app.get("/readyz", None).assert_error(503);
    assert_eq!(real.fetches(), 0, "the redirect target is never fetched");
}

#[test]
fn an_oversized_key_set_is_refused() {
    let document = json!({"keys": [keys()[0].jwk()], "padding": "x".repeat(300 * 1024)});
    let app = app_with(JwksServer::start_with_document(document), |s| {
        s.auth.startup_wait_ms = 500
    });
    app.get("/readyz", None).assert_error(503);
    app.get("/drinks-detail", Some(&app.token(BARISTA)))
        .assert_error(503);
}

#[test]
fn a_failed_refresh_keeps_the_last_good_set() {
    let app = spawn_app();
    app.jwks.set_failing(true);
    app.get("/drinks-detail", Some(&token_for(&app, &keys()[1])))
        .assert_error(401);
    assert_eq!(app.jwks.fetches(), 2, "the unknown kid was looked for");
    app.get("/drinks-detail", Some(&app.token(BARISTA)))
        .assert_ok();
    app.get("/readyz", None).assert_ok();
}

#[test]
fn keys_are_refreshed_in_the_background_so_a_removed_key_stops_working() {
    let app = app_with(JwksServer::start(&[&keys()[0]]), |s| {
        s.auth.refresh_interval_secs = 1
    });
    app.get("/drinks-detail", Some(&app.token(BARISTA)))
        .assert_ok();
    app.jwks.publish(&[&keys()[1]]);
    assert!(
        wait_until(Duration::from_secs(5), || app
            .get("/drinks-detail", Some(&app.token(BARISTA)))
            .status
            == 401),
        "the revoked key is dropped without any unknown kid"
    );
}

#[test]
fn unsupported_keys_are_skipped_without_discarding_the_rest() {
    let mut encryption_key = keys()[1].jwk();
    encryption_key["use"] = json!("enc");
    let hmac_secret = b"a-shared-secret-that-must-never-verify-anything";
    let document = json!({"keys": [
        {"kty": "EC", "crv": "P-256", "kid": "ec-key", "use": "sig",
         "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU", "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"},
        {"kty": "oct", "kid": "oct-key", "k": URL_SAFE_NO_PAD.encode(hmac_secret)},
        encryption_key,
        short_key().jwk(),
        {"kty": "RSA", "kid": "broken", "n": "!!!", "e": "AQAB"},
        "not even an object",
        keys()[0].jwk(),
    ]});
    let app = app_with(JwksServer::start_with_document(document), |_| {});

    app.get("/drinks-detail", Some(&app.token(BARISTA)))
        .assert_ok();
    app.get("/drinks-detail", Some(&token_for(&app, &keys()[1])))
        .assert_error(401);
    app.get("/drinks-detail", Some(&token_for(&app, short_key())))
        .assert_error(401);

    for alg in [Algorithm::HS256, Algorithm::HS512] {
        let mut header = Header::new(alg);
        header.kid = Some("oct-key".into());
        let token = jsonwebtoken::encode(
            &header,
            &app.claims(MANAGER),
            &EncodingKey::from_secret(hmac_secret),
        )
        .expect("signs");
        app.get("/drinks-detail", Some(&token)).assert_error(401);
    }
}

#[test]
fn a_key_set_without_any_usable_key_is_not_a_key_set() {
    let app = app_with(JwksServer::start(&[short_key()]), |s| {
        s.auth.startup_wait_ms = 500
    });
    app.get("/readyz", None).assert_error(503);
    app.get("/drinks-detail", Some(&token_for(&app, short_key())))
        .assert_error(503);
}
