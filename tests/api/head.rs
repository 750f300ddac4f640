//! HEAD is answered wherever GET is (RFC 9110 §9.1): the same status and
//! headers, no body; `Allow` lists HEAD beside GET.

use crate::helpers::*;
use crate::oidc::Browser;

/// Headers that must be the same for HEAD as for GET.
const SAME: [&str; 5] = [
    "content-length",
    "content-type",
    "content-encoding",
    "etag",
    "cache-control",
];

fn assert_head_matches_get(get: &TestResponse, head: &TestResponse, what: &str) {
    assert_eq!(head.status, get.status, "{what}: status");
    assert!(head.bytes.is_empty(), "{what}: HEAD has no body");
    for name in SAME {
        assert_eq!(head.header(name), get.header(name), "{what}: {name}");
    }
}

#[test]
fn every_api_and_health_route_answers_head_like_get() {
    let (app, token) = spawn_app_as(MANAGER);
    let auth = format!("Bearer {token}");
    for path in [
        "/drinks",
        "/drinks-detail",
        "/drinks/1",
        "/healthz",
        "/readyz",
        "/openapi.json",
        "/nope",
    ] {
        let headers = [("Authorization", auth.as_str())];
        let get = app.request("GET", path, &headers, None);
        let head = app.request("HEAD", path, &headers, None);
        assert_head_matches_get(&get, &head, path);
        if path != "/nope" {
            assert_eq!(head.status, 200, "{path}");
        }
    }
    let get = app.get("/drinks", None);
    assert_eq!(
        get.header("content-length").map(str::to_owned),
        Some(get.bytes.len().to_string()),
        "the length HEAD reports is the body GET sends"
    );
}

#[test]
fn head_honours_the_negotiated_encoding_and_preconditions() {
    let (app, token) = spawn_app_as(MANAGER);
    for n in 0..30 {
        let body = serde_json::json!({"title": format!("Drink number {n}"), "recipe": [{"name": "milk", "color": "white", "parts": 1}]});
        app.post("/drinks", Some(&token), &body).assert_ok();
    }
    let gzip = [("Accept-Encoding", "gzip")];
    let get = app.request("GET", "/drinks", &gzip, None);
    let head = app.request("HEAD", "/drinks", &gzip, None);
    assert_eq!(head.header("content-encoding"), Some("gzip"));
    assert_head_matches_get(&get, &head, "gzip /drinks");

    let etag = get.header("etag").expect("an ETag").to_owned();
    let current = app.request("HEAD", "/drinks", &[("If-None-Match", etag.as_str())], None);
    assert_eq!(current.status, 304);
}

#[test]
fn allow_lists_head_beside_get() {
    let app = spawn_app();
    for (path, allow) in [
        ("/drinks", "GET, HEAD, POST"),
        ("/drinks-detail", "GET, HEAD"),
        ("/drinks/1", "GET, HEAD, PATCH, DELETE"),
        ("/healthz", "GET, HEAD"),
        ("/readyz", "GET, HEAD"),
        ("/openapi.json", "GET, HEAD"),
    ] {
        let refused = app.send("PUT", path, None, None);
        refused.assert_error(405);
        assert_eq!(refused.header("Allow"), Some(allow), "{path}");
    }
}

#[test]
fn admin_pages_and_assets_answer_head_like_get() {
    let app = spawn_tweaked_app(|settings| {
        settings.development = true;
    });
    let browser = Browser::new(&app);
    for path in [
        "/admin",
        "/admin/login",
        "/admin/static/admin.css",
        "/admin/nope",
    ] {
        assert_head_matches_get(&browser.get(path), &browser.head(path), path);
    }
    let css = browser.get("/admin/static/admin.css");
    let weak = format!("W/{}", css.header("etag").expect("an ETag"));
    let revalidated = app.get_with(
        "/admin/static/admin.css",
        &[("If-None-Match", weak.as_str())],
    );
    assert_eq!(revalidated.status, 304, "If-None-Match compares weakly");
    let signed_in = browser.post("/admin/dev-login", &[("role", "manager")]);
    assert_eq!(signed_in.status, 303, "{}", signed_in.text);
    for path in [
        "/admin/activity",
        "/admin/drinks/new",
        "/admin/drinks/1/edit",
    ] {
        let head = browser.head(path);
        assert_eq!(head.status, 200, "{path}");
        assert_eq!(
            head.header("content-type"),
            Some("text/html; charset=utf-8"),
            "{path}"
        );
        assert_head_matches_get(&browser.get(path), &head, path);
    }
}
