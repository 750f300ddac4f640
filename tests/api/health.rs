use crate::helpers::*;

#[test]
fn healthz_answers_while_the_process_runs() {
    let app = spawn_app();
    let body = app.get("/healthz", None).assert_ok();
    assert_eq!(body["status"], "alive");
}

#[test]
fn readyz_is_ok_when_the_database_and_keys_are_ready() {
    let app = spawn_app();
    let body = app.get("/readyz", None).assert_ok();
    assert_eq!(body["checks"]["database"], "ok");
    assert!(
        body["checks"]["signing_keys"]
            .as_str()
            .is_some_and(|s| s.starts_with("ok"))
    );
}

#[test]
fn readyz_says_which_part_is_not_ready() {
    let jwks = JwksServer::start(&[&keys()[0]]);
    jwks.set_failing(true);
    let app = app_with(jwks, |settings| settings.auth.startup_wait_ms = 300);

    let response = app.get("/readyz", None);
    response.assert_error(503);
    let body = response.json();
    assert_eq!(body["checks"]["database"], "ok");
    assert!(
        body["checks"]["signing_keys"]
            .as_str()
            .is_some_and(|s| s.starts_with("not ready"))
    );
    assert!(
        body["message"]
            .as_str()
            .is_some_and(|m| m.contains("signing keys"))
    );
}

#[test]
fn without_an_issuer_the_menu_works_and_protected_routes_explain_what_to_configure() {
    let app = spawn_tweaked_app(|settings| {
        settings.auth.issuer = None;
        settings.auth.jwks_url = None;
    });

    app.get("/drinks", None).assert_ok();
    let message = app.get("/drinks-detail", None).assert_error(503);
    assert!(message.contains("auth.issuer"), "{message}");
    let token = app.token(MANAGER);
    app.post("/drinks", Some(&token), &serde_json::json!({}))
        .assert_error(503);
    app.get("/readyz", None).assert_error(503);
    assert_eq!(app.jwks.fetches(), 0, "nothing to fetch without an issuer");
}
