//! Token verification, including the classic JWT attacks.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use rsa::pkcs1::EncodeRsaPublicKey;
use serde_json::json;

use crate::helpers::*;

/// Sends `token` to a protected route and returns the 401 message.
fn refused(app: &TestApp, token: &str) -> String {
    let response = app.get("/drinks-detail", Some(token));
    let message = response.assert_error(401);
    let challenge = response
        .header("WWW-Authenticate")
        .expect("a Bearer challenge");
    assert!(challenge.contains("invalid_token"), "{challenge}");
    message
}

fn unsigned(header: serde_json::Value, claims: &serde_json::Value) -> String {
    format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    )
}

#[test]
fn a_valid_token_is_accepted_with_any_scheme_case() {
    let (app, token) = spawn_app_as(BARISTA);
    app.get_with(
        "/drinks-detail",
        &[("Authorization", &format!("bearer {token}"))],
    )
    .assert_ok();
    app.get_with(
        "/drinks-detail",
        &[("Authorization", &format!("BEARER {token}"))],
    )
    .assert_ok();
}

#[test]
fn malformed_authorization_headers_are_401s() {
    let app = spawn_app();
    for header in [
        "Bearer",
        "Bearer ",
        "Basic dXNlcjpwYXNz",
        "Token abc",
        "Bearer a b",
        "Bearer null",
        "Bearer not.a.jwt",
    ] {
        let response = app.get_with("/drinks-detail", &[("Authorization", header)]);
        response.assert_error(401);
        assert!(response.header("WWW-Authenticate").is_some(), "{header}");
    }
}

#[test]
fn alg_none_is_refused() {
    let app = spawn_app();
    let claims = app.claims(MANAGER);
    refused(
        &app,
        &unsigned(
            json!({"alg": "none", "typ": "JWT", "kid": "key-a"}),
            &claims,
        ),
    );
    refused(
        &app,
        &unsigned(json!({"alg": "None", "kid": "key-a"}), &claims),
    );
}

#[test]
fn hs256_signed_with_the_public_key_is_refused() {
    let app = spawn_app();
    let public_pem = keys()[0]
        .public()
        .to_pkcs1_pem(Default::default())
        .expect("PEM");
    let mut header = Header::new(Algorithm::HS256);
    // An unknown kid: a lookup would trigger a refetch, so the count proves there was none.
    header.kid = Some("unknown-kid".into());
    for secret in [
        public_pem.as_bytes().to_vec(),
        keys()[0].jwk()["n"]
            .as_str()
            .expect("n")
            .as_bytes()
            .to_vec(),
    ] {
        let token = jsonwebtoken::encode(
            &header,
            &app.claims(MANAGER),
            &EncodingKey::from_secret(&secret),
        )
        .expect("signs");
        let message = refused(&app, &token);
        assert!(message.contains("RS256"), "{message}");
    }
    assert_eq!(app.jwks.fetches(), 1, "refused before any key lookup");
}

#[test]
fn other_algorithms_are_refused_before_any_key_lookup() {
    let app = spawn_app();
    for alg in [Algorithm::RS384, Algorithm::RS512, Algorithm::PS256] {
        let mut header = Header::new(alg);
        header.kid = Some("no-such-key".into());
        let token = keys()[0].sign_with_header(header, &app.claims(MANAGER));
        refused(&app, &token);
    }
    assert_eq!(app.jwks.fetches(), 1, "a bad alg triggers no refetch");
}

#[test]
fn a_token_without_kid_is_refused() {
    let app = spawn_app();
    let token = jsonwebtoken::encode(
        &Header::new(Algorithm::RS256),
        &app.claims(MANAGER),
        &EncodingKey::from_rsa_der(
            rsa::pkcs1::EncodeRsaPrivateKey::to_pkcs1_der(&keys()[0].private)
                .expect("der")
                .as_bytes(),
        ),
    )
    .expect("signs");
    let message = refused(&app, &token);
    assert!(message.contains("kid"), "{message}");
}

#[test]
fn a_forged_signature_under_a_trusted_kid_is_refused() {
    let app = spawn_app();
    // Signed by key-b but claiming to be key-a.
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some("key-a".into());
    refused(
        &app,
        &keys()[1].sign_with_header(header, &app.claims(MANAGER)),
    );

    // A valid token with its payload swapped.
    let token = app.token(BARISTA);
    let parts: Vec<&str> = token.split('.').collect();
    let forged_claims = URL_SAFE_NO_PAD.encode(app.claims(MANAGER).to_string());
    refused(
        &app,
        &format!("{}.{}.{}", parts[0], forged_claims, parts[2]),
    );
}

#[test]
fn jku_x5u_and_jwk_headers_are_never_followed() {
    let app = spawn_app();
    let attacker = JwksServer::start(&[&keys()[2]]);
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some("key-c".into());
    header.jku = Some(attacker.jwks_url());
    header.x5u = Some(attacker.jwks_url());
    header.jwk = serde_json::from_value(keys()[2].jwk()).ok();
    refused(
        &app,
        &keys()[2].sign_with_header(header, &app.claims(MANAGER)),
    );
    assert_eq!(
        attacker.fetches(),
        0,
        "the attacker's key set is never fetched"
    );
}

#[test]
fn claims_are_checked() {
    let app = spawn_app();
    let sign = |patch: serde_json::Value| {
        let mut claims = app.claims(BARISTA);
        for (key, value) in patch.as_object().expect("object") {
            if value.is_null() {
                claims.as_object_mut().expect("object").remove(key);
            } else {
                claims[key] = value.clone();
            }
        }
        keys()[0].sign(&claims)
    };
    assert!(refused(&app, &sign(json!({"exp": now() - 120}))).contains("expired"));
    assert!(refused(&app, &sign(json!({"iss": "https://evil.example.com/"}))).contains("issuer"));
    assert!(refused(&app, &sign(json!({"aud": "another-api"}))).contains("audience"));
    assert!(refused(&app, &sign(json!({"aud": ["another-api", "more"]}))).contains("audience"));
    refused(&app, &sign(json!({"exp": null})));
    refused(&app, &sign(json!({"iss": null})));
    refused(&app, &sign(json!({"aud": null})));
    refused(&app, &sign(json!({"nbf": now() + 600})));
    refused(&app, &sign(json!({"exp": "tomorrow"})));
    assert!(refused(&app, &sign(json!({"sub": null}))).contains("sub"));

    // Within the default 30 s leeway, and the audience as a plain string.
    app.get("/drinks-detail", Some(&sign(json!({"exp": now() - 10}))))
        .assert_ok();
    app.get("/drinks-detail", Some(&sign(json!({"nbf": now() + 10}))))
        .assert_ok();
    app.get("/drinks-detail", Some(&sign(json!({"aud": AUDIENCE}))))
        .assert_ok();
}

#[test]
fn an_oversized_token_is_refused() {
    let app = spawn_app();
    let mut claims = app.claims(BARISTA);
    claims["padding"] = json!("x".repeat(9000));
    let message = refused(&app, &keys()[0].sign(&claims));
    assert!(message.contains("too large"), "{message}");
}

#[test]
fn a_token_without_permissions_explains_how_to_enable_rbac() {
    let app = spawn_app();
    let mut claims = app.claims(&[]);
    claims
        .as_object_mut()
        .expect("object")
        .remove("permissions");
    let message = app
        .get("/drinks-detail", Some(&keys()[0].sign(&claims)))
        .assert_error(403);
    assert_mentions(&message, &["RBAC", "Add Permissions in the Access Token"]);
}

#[test]
fn unknown_permissions_grant_nothing() {
    let app = spawn_app();
    let token = app.token(&["get:drinks-detail:all", "POST:DRINKS", "admin"]);
    app.get("/drinks-detail", Some(&token)).assert_error(403);
    app.post("/drinks", Some(&token), &json!({}))
        .assert_error(403);
}
