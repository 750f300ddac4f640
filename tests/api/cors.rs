//! CORS for the mobile app, served from another origin.

use crate::helpers::*;

fn preflight(app: &TestApp, origin: &str, method: &str) -> TestResponse {
    app.request(
        "OPTIONS",
        "/drinks/1",
        &[
            ("Origin", origin),
            ("Access-Control-Request-Method", method),
            (
                "Access-Control-Request-Headers",
                "authorization,content-type",
            ),
        ],
        None,
    )
}

#[test]
fn any_origin_may_call_the_api_by_default() {
    let app = spawn_app();
    let response = preflight(&app, "http://localhost:8100", "PATCH");
    assert_eq!(response.status, 200, "{response:?}");
    assert_eq!(response.header("Access-Control-Allow-Origin"), Some("*"));
    let methods = response
        .header("Access-Control-Allow-Methods")
        .expect("methods");
    for method in ["GET", "POST", "PATCH", "DELETE"] {
        assert!(methods.contains(method), "{methods}");
    }
    let headers = response
        .header("Access-Control-Allow-Headers")
        .expect("headers")
        .to_lowercase();
    assert_mentions(&headers, &["authorization", "content-type"]);
    assert_eq!(response.header("Access-Control-Allow-Credentials"), None);

    let response = app.get_with("/drinks", &[("Origin", "http://localhost:8100")]);
    assert_eq!(response.header("Access-Control-Allow-Origin"), Some("*"));
    // Errors carry CORS headers too, so the app can read them.
    let response = app.get_with("/drinks-detail", &[("Origin", "http://localhost:8100")]);
    response.assert_error(401);
    assert_eq!(response.header("Access-Control-Allow-Origin"), Some("*"));
}

#[test]
fn configured_origins_are_the_only_ones_allowed() {
    let app = spawn_tweaked_app(|settings| {
        settings.cors.allowed_origins = vec!["http://localhost:8100".into()];
    });

    let response = preflight(&app, "http://localhost:8100", "DELETE");
    assert_eq!(response.status, 200);
    assert_eq!(
        response.header("Access-Control-Allow-Origin"),
        Some("http://localhost:8100")
    );

    let response = preflight(&app, "http://evil.example", "DELETE");
    response.assert_error(400);
    assert_eq!(response.header("Access-Control-Allow-Origin"), None);
    // A simple request is answered, but without the header a browser needs to
    // let the foreign page read it.
    let response = app.get_with("/drinks", &[("Origin", "http://evil.example")]);
    response.assert_ok();
    assert_eq!(response.header("Access-Control-Allow-Origin"), None);
}
