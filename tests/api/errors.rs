//! Every error, from the routes or from the framework, is the JSON error shape.

use serde_json::json;

use crate::helpers::*;

#[test]
fn unknown_routes_are_json_404s() {
    let app = spawn_app();
    app.get("/nope", None).assert_error(404);
    app.get("/drinks/1/extra", None).assert_error(404);
    app.send("POST", "/", None, None).assert_error(404);
}

#[test]
fn wrong_methods_are_json_405s_with_allow() {
    let app = spawn_app();
    let response = app.send("PUT", "/drinks", None, None);
    response.assert_error(405);
    assert_eq!(response.header("Allow"), Some("GET, HEAD, POST"));
    let put = app.send("PUT", "/drinks/1", None, None);
    put.assert_error(405);
    assert_eq!(put.header("Allow"), Some("GET, HEAD, PATCH, DELETE"));
    app.send("POST", "/drinks-detail", None, None)
        .assert_error(405);
    app.send("DELETE", "/healthz", None, None).assert_error(405);
    app.send("POST", "/readyz", None, None).assert_error(405);
}

/// Paths whose last segment is not a drink id (one too large for any).
const NOT_DRINK_PATHS: [&str; 5] = [
    "/drinks/abc",
    "/drinks/-1",
    "/drinks/0",
    "/drinks/99999999999999999999999",
    "/drinks/1.5",
];

#[test]
fn a_bad_path_parameter_names_no_drink() {
    let (app, token) = spawn_app_as(MANAGER);
    for path in NOT_DRINK_PATHS {
        app.delete(path, Some(&token)).assert_error(404);
        app.patch(path, Some(&token), &json!({"title": "x"}))
            .assert_error(404);
    }
}

#[test]
fn malformed_json_is_a_400() {
    let (app, token) = spawn_app_as(MANAGER);
    for body in [
        "{",
        "{\"title\": }",
        "",
        "nul",
        "{\"title\": \"a\"} trailing",
    ] {
        let message = app
            .post_text("/drinks", Some(&token), body.to_owned())
            .assert_error(400);
        assert!(message.contains("JSON"), "{message}");
    }
}

#[test]
fn a_body_that_is_not_json_is_a_415() {
    let (app, token) = spawn_app_as(MANAGER);
    app.send(
        "POST",
        "/drinks",
        Some(&token),
        Some(("text/plain", "{}".into())),
    )
    .assert_error(415);
    app.send("POST", "/drinks", Some(&token), None)
        .assert_error(415);
    app.send(
        "PATCH",
        "/drinks/1",
        Some(&token),
        Some(("application/x-www-form-urlencoded", "title=x".into())),
    )
    .assert_error(415);
}

#[test]
fn an_oversized_body_is_a_413_and_changes_nothing() {
    let (app, token) = spawn_app_as(MANAGER);
    let huge = json!({"title": "Big", "recipe": [{"name": "x".repeat(70_000), "color": "red", "parts": 1}]});
    app.post("/drinks", Some(&token), &huge).assert_error(413);
    let menu = app.get("/drinks", None).assert_ok();
    assert!(!menu.to_string().contains("\"Big\""));
}

/// A valid drink whose JSON is exactly `size` bytes (unknown keys are ignored).
fn drink_of_size(title: &str, size: usize) -> String {
    let body = |padding: usize| {
        json!({"title": title, "recipe": [{"name": "m", "color": "red", "parts": 1}], "padding": "p".repeat(padding)})
            .to_string()
    };
    let overhead = body(0).len();
    let sized = body(size - overhead);
    assert_eq!(sized.len(), size);
    sized
}

#[test]
fn the_body_limit_is_exactly_64_kib() {
    let (app, token) = spawn_app_as(MANAGER);
    let at_limit = drink_of_size("At The Limit", 65_536);
    app.post_text("/drinks", Some(&token), at_limit).assert_ok();
    let over = drink_of_size("Over The Limit", 65_537);
    app.post_text("/drinks", Some(&token), over)
        .assert_error(413);
}

#[test]
fn a_corrupt_row_is_a_logged_500_that_shows_no_internals() {
    let app = spawn_app();
    app.database().execute(&format!(
        "INSERT INTO drinks (title, title_key, recipe) VALUES ('Bad', 'bad', '{}')",
        json!([{"name": "x", "color": "expression(alert(1))", "parts": 1}])
    ));
    let message = app.get("/drinks", None).assert_error(500);
    assert_eq!(message, "internal server error");
    let body = app.get("/drinks", None).text;
    assert!(
        !body.contains("expression"),
        "the stored value is not echoed: {body}"
    );
}
