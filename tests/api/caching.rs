//! The fast paths: the menu served from memory with ETags, and verified
//! tokens remembered. Neither may ever serve something stale or forged.

use std::time::Duration;

use serde_json::json;

use crate::helpers::*;

fn etag_of(response: &TestResponse) -> String {
    response.header("ETag").expect("an ETag").to_owned()
}

fn get_if_none_match(app: &TestApp, path: &str, token: Option<&str>, etag: &str) -> TestResponse {
    let bearer = token.map(|t| format!("Bearer {t}"));
    let mut headers = vec![("If-None-Match", etag)];
    if let Some(bearer) = &bearer {
        headers.push(("Authorization", bearer.as_str()));
    }
    app.request("GET", path, &headers, None)
}

#[test]
fn the_menu_has_a_strong_etag_and_answers_304_when_unchanged() {
    let app = spawn_app();
    let first = app.get("/drinks", None);
    first.assert_ok();
    let etag = etag_of(&first);
    assert!(etag.starts_with('"'), "strong: {etag}");
    assert_eq!(
        etag_of(&app.get("/drinks", None)),
        etag,
        "stable while nothing changes"
    );

    let not_modified = get_if_none_match(&app, "/drinks", None, &etag);
    assert_eq!(not_modified.status, 304);
    assert!(not_modified.text.is_empty());
    assert_eq!(etag_of(&not_modified), etag);

    get_if_none_match(&app, "/drinks", None, "\"something-else\"").assert_ok();
}

#[test]
fn a_large_menu_is_served_gzipped_to_clients_that_accept_it() {
    let (app, token) = spawn_app_as(MANAGER);
    for i in 0..20 {
        app.post("/drinks", Some(&token), &json!({"title": format!("Blend {i}"), "recipe": [{"name": "coffee", "color": "brown", "parts": 1}]}))
            .assert_ok();
    }
    let plain = app.get("/drinks", None);
    plain.assert_ok();
    assert_eq!(plain.header("Content-Encoding"), None);
    assert!(
        plain
            .header("Vary")
            .is_some_and(|v| v.contains("Accept-Encoding"))
    );

    let gzipped = app.get_with("/drinks", &[("Accept-Encoding", "gzip, deflate, br")]);
    assert_eq!(gzipped.status, 200);
    assert_eq!(gzipped.header("Content-Encoding"), Some("gzip"));
    assert!(gzipped.bytes.len() < plain.bytes.len() / 3, "compressed");
    let mut decoded = Vec::new();
    std::io::Read::read_to_end(
        &mut flate2::read::GzDecoder::new(&gzipped.bytes[..]),
        &mut decoded,
    )
    .expect("valid gzip");
    assert_eq!(decoded, plain.bytes, "the same menu");
    assert_ne!(
        etag_of(&gzipped),
        etag_of(&plain),
        "each representation has its own tag"
    );

    let refused = app.get_with("/drinks", &[("Accept-Encoding", "gzip;q=0")]);
    assert_eq!(refused.header("Content-Encoding"), None);
    // Either tag revalidates: the content is the same.
    let not_modified = app.get_with(
        "/drinks",
        &[
            ("Accept-Encoding", "gzip"),
            ("If-None-Match", &etag_of(&plain)),
        ],
    );
    assert_eq!(not_modified.status, 304);
}

#[test]
fn every_write_invalidates_the_menu_at_once() {
    let (app, token) = spawn_app_as(MANAGER);
    let mut etag = etag_of(&app.get("/drinks", None));

    let created = app
        .post("/drinks", Some(&token), &json!({"title": "Affogato", "recipe": [{"name": "gelato", "color": "ivory", "parts": 1}]}))
        .assert_ok();
    let id = created["drinks"][0]["id"].as_i64().expect("id");
    let after_create = get_if_none_match(&app, "/drinks", None, &etag);
    let menu = after_create.assert_ok();
    assert!(
        menu.to_string().contains("Affogato"),
        "never stale after a write"
    );
    assert_ne!(etag_of(&after_create), etag);
    etag = etag_of(&after_create);

    app.patch(
        &format!("/drinks/{id}"),
        Some(&token),
        &json!({"title": "Affogato Doppio"}),
    )
    .assert_ok();
    let after_update = get_if_none_match(&app, "/drinks", None, &etag);
    assert!(
        after_update
            .assert_ok()
            .to_string()
            .contains("Affogato Doppio")
    );
    etag = etag_of(&after_update);

    app.delete(&format!("/drinks/{id}"), Some(&token))
        .assert_ok();
    let after_delete = get_if_none_match(&app, "/drinks", None, &etag);
    assert!(!after_delete.assert_ok().to_string().contains("Affogato"));

    let detail = app.get("/drinks-detail", Some(&app.token(BARISTA)));
    assert!(!detail.assert_ok().to_string().contains("Affogato"));
}

#[test]
fn a_failed_write_leaves_the_menu_as_it_was() {
    let app = spawn_app();
    let before = app.get("/drinks", None);
    app.post(
        "/drinks",
        Some(&app.token(MANAGER)),
        &json!({"title": "water", "recipe": [{"name": "w", "color": "blue", "parts": 1}]}),
    )
    .assert_error(409);
    let after = app.get("/drinks", None);
    assert_eq!(after.text, before.text);
    assert_eq!(etag_of(&after), etag_of(&before));
}

#[test]
fn the_detailed_menu_revalidates_only_behind_its_permission() {
    let (app, token) = spawn_app_as(BARISTA);
    let detail = app.get("/drinks-detail", Some(&token));
    detail.assert_ok();
    let etag = etag_of(&detail);
    assert_ne!(
        etag,
        etag_of(&app.get("/drinks", None)),
        "short and long forms differ"
    );
    assert_eq!(
        get_if_none_match(&app, "/drinks-detail", Some(&token), &etag).status,
        304
    );
    get_if_none_match(&app, "/drinks-detail", None, &etag).assert_error(401);
    get_if_none_match(
        &app,
        "/drinks-detail",
        Some(&app.token(&["post:drinks"])),
        &etag,
    )
    .assert_error(403);
}

#[test]
fn a_remembered_token_still_expires() {
    let app = spawn_tweaked_app(|settings| {
        settings.auth.leeway_secs = 0;
    });

    let mut claims = app.claims(BARISTA);
    claims["exp"] = json!(now() + 2);
    let token = keys()[0].sign(&claims);
    app.get("/drinks-detail", Some(&token)).assert_ok();
    app.get("/drinks-detail", Some(&token)).assert_ok();
    std::thread::sleep(Duration::from_millis(3100));
    let message = app.get("/drinks-detail", Some(&token)).assert_error(401);
    assert!(message.contains("expired"), "{message}");
}

#[test]
fn a_remembered_token_is_forgotten_when_its_key_is_revoked() {
    let app = spawn_app();
    let old_token = app.token(BARISTA);
    app.get("/drinks-detail", Some(&old_token)).assert_ok();
    app.get("/drinks-detail", Some(&old_token)).assert_ok();

    app.jwks.publish(&[&keys()[1]]);
    app.get(
        "/drinks-detail",
        Some(&keys()[1].sign(&app.claims(BARISTA))),
    )
    .assert_ok();
    app.get("/drinks-detail", Some(&old_token))
        .assert_error(401);
}

#[test]
fn a_remembered_token_vouches_for_nothing_else() {
    let (app, token) = spawn_app_as(BARISTA);
    app.get("/drinks-detail", Some(&token)).assert_ok();

    // Same header and claims, tampered signature.
    let (signed, signature) = token.rsplit_once('.').expect("three parts");
    let mut forged_signature: Vec<char> = signature.chars().collect();
    forged_signature[10] = if forged_signature[10] == 'A' {
        'B'
    } else {
        'A'
    };
    let forged = format!(
        "{signed}.{}",
        forged_signature.into_iter().collect::<String>()
    );
    app.get("/drinks-detail", Some(&forged)).assert_error(401);
    // A cached barista token does not become a manager's.
    app.post("/drinks", Some(&token), &json!({}))
        .assert_error(403);
}
