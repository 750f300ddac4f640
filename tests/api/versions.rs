//! No lost updates: drink versions, `GET /drinks/{id}` with a strong ETag,
//! `If-Match` on PATCH and DELETE (412 when stale), and the admin pages'
//! conflict page.

use serde_json::json;

use crate::helpers::*;
use crate::oidc::*;

#[test]
fn one_drink_has_a_strong_etag_that_moves_with_each_change() {
    let app = spawn_app();
    let barista = app.token(BARISTA);
    let manager = app.token(MANAGER);
    let first = app.get("/drinks/1", Some(&barista));
    let body = first.assert_ok();
    assert_eq!(body["drinks"][0]["id"], 1);
    assert!(
        body["drinks"][0]["recipe"][0]["name"].is_string(),
        "the long form"
    );
    let etag = first.header("etag").expect("an ETag").to_owned();
    assert_eq!(etag, "\"drink-1-v1\"");

    let unchanged = app.get_with(
        "/drinks/1",
        &[
            ("Authorization", &format!("Bearer {barista}")),
            ("If-None-Match", &etag),
        ],
    );
    assert_eq!(unchanged.status, 304);

    let patched = app.request(
        "PATCH",
        "/drinks/1",
        &[
            ("Authorization", &format!("Bearer {manager}")),
            ("Content-Type", "application/json"),
            ("If-Match", &etag),
        ],
        Some(json!({"title": "Still Water"}).to_string().into_bytes()),
    );
    patched.assert_ok();
    assert_eq!(
        patched.header("etag"),
        Some("\"drink-1-v2\""),
        "PATCH answers with the new ETag"
    );
    assert_eq!(
        app.get("/drinks/1", Some(&barista)).header("etag"),
        Some("\"drink-1-v2\"")
    );

    app.get("/drinks/1", None).assert_error(401);
    app.get("/drinks/999", Some(&barista)).assert_error(404);
    app.get("/drinks/x", Some(&barista)).assert_error(404);
}

#[test]
fn a_stale_if_match_gets_412_and_changes_nothing() {
    let app = spawn_app();
    let manager = app.token(MANAGER);
    let auth = format!("Bearer {manager}");
    app.patch("/drinks/2", Some(&manager), &json!({"title": "Moved On"}))
        .assert_ok();
    let stale = "\"drink-2-v1\"";
    let patch = app.request(
        "PATCH",
        "/drinks/2",
        &[
            ("Authorization", &auth),
            ("Content-Type", "application/json"),
            ("If-Match", stale),
        ],
        Some(json!({"title": "Overwritten"}).to_string().into_bytes()),
    );
    let message = patch.assert_error(412);
    assert!(message.contains("If-Match"), "{message}");
    assert_eq!(patch.json()["code"], "precondition_failed");
    let delete = delete_if_match(&app, &auth, stale);
    delete.assert_error(412);
    let weak = delete_if_match(&app, &auth, "W/\"drink-2-v2\"");
    weak.assert_error(412);
    let title: String = app
        .database()
        .scalar("SELECT title FROM drinks WHERE id = 2");
    assert_eq!(title, "Moved On");

    let any = delete_if_match(&app, &auth, "*");
    assert_eq!(any.assert_ok()["delete"], 2);
    let gone = delete_if_match(&app, &auth, "*");
    gone.assert_error(404);
}

#[test]
fn of_two_concurrent_editors_exactly_one_wins() {
    let app = spawn_app();
    let manager = app.token(MANAGER);
    let auth = format!("Bearer {manager}");
    for round in 0..5 {
        let etag = app
            .get("/drinks/3", Some(&manager))
            .header("etag")
            .expect("etag")
            .to_owned();
        let statuses: Vec<u16> = std::thread::scope(|scope| {
            let editors: Vec<_> = ["Anna", "Bo"]
                .into_iter()
                .map(|editor| {
                    let (app, auth, etag) = (&app, &auth, &etag);
                    scope.spawn(move || {
                        app.request(
                            "PATCH",
                            "/drinks/3",
                            &[
                                ("Authorization", auth),
                                ("Content-Type", "application/json"),
                                ("If-Match", etag),
                            ],
                            Some(
                                json!({"title": format!("{editor} {round}")})
                                    .to_string()
                                    .into_bytes(),
                            ),
                        )
                        .status
                    })
                })
                .collect();
            editors
                .into_iter()
                .map(|e| e.join().expect("editor"))
                .collect()
        });
        let mut sorted = statuses.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, [200, 412], "round {round}: {statuses:?}");
    }
}

fn edit_fields<'a>(csrf: &'a str, version: &'a str, title: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("csrf", csrf),
        ("version", version),
        ("title", title),
        ("name", "water"),
        ("color", "#cfe8ff"),
        ("parts", "1"),
        ("action", "save"),
    ]
}

#[test]
fn a_dashboard_editor_who_lost_the_race_sees_the_conflict_and_can_reapply() {
    let provider = OidcProvider::start();
    let app = spawn_dashboard(&provider);
    let (anna, bo) = (Browser::new(&app), Browser::new(&app));
    anna.sign_in(&provider, User::new("auth0|anna", "Anna", MANAGER));
    bo.sign_in(&provider, User::new("auth0|bo", "Bo", MANAGER));
    let anna_form = anna.get("/admin/drinks/1/edit");
    let bo_form = bo.get("/admin/drinks/1/edit");
    let anna_version =
        hidden_value(&anna_form.text, "version").expect("the form carries its version");
    let bo_version = hidden_value(&bo_form.text, "version").expect("version");
    let (anna_csrf, bo_csrf) = (anna.csrf_token(), bo.csrf_token());

    let first = anna.post(
        "/admin/drinks/1",
        &edit_fields(&anna_csrf, &anna_version, "Anna's Water"),
    );
    assert_eq!(first.status, 303);
    let second = bo.post(
        "/admin/drinks/1",
        &edit_fields(&bo_csrf, &bo_version, "Bo's Water"),
    );
    assert_eq!(second.status, 409, "{}", second.text);
    assert!(second.text.contains("was changed meanwhile"));
    assert!(
        second.text.contains("Anna&#39;s Water") || second.text.contains("Anna&#x27;s Water"),
        "what it is now"
    );
    assert!(second.text.contains("Apply my edit anyway"));
    let title: String = app
        .database()
        .scalar("SELECT title FROM drinks WHERE id = 1");
    assert_eq!(title, "Anna's Water", "nothing was overwritten");

    let current_version = hidden_value(&second.text, "version").expect("the current version");
    let reapplied = bo.post(
        "/admin/drinks/1",
        &edit_fields(&bo_csrf, &current_version, "Bo's Water"),
    );
    assert_eq!(reapplied.status, 303, "{}", reapplied.text);
    let title: String = app
        .database()
        .scalar("SELECT title FROM drinks WHERE id = 1");
    assert_eq!(title, "Bo's Water");
}

#[test]
fn deleting_a_drink_changed_meanwhile_asks_again() {
    let provider = OidcProvider::start();
    let app = spawn_dashboard(&provider);
    let browser = Browser::new(&app);
    browser.sign_in(&provider, User::new("auth0|anna", "Anna", MANAGER));
    let csrf = browser.csrf_token();
    let confirm = browser.get("/admin/drinks/2/delete");
    let version =
        hidden_value(&confirm.text, "version").expect("the confirmation carries the version");
    let token = keys()[0].sign(&json!({
        "iss": provider.issuer(), "sub": "auth0|other", "aud": AUDIENCE,
        "exp": now() + 600, "permissions": MANAGER,
    }));
    app.patch(
        "/drinks/2",
        Some(&token),
        &json!({"title": "Changed Meanwhile"}),
    )
    .assert_ok();
    let refused = browser.post(
        "/admin/drinks/2/delete",
        &[("csrf", &csrf), ("version", &version)],
    );
    assert_eq!(refused.status, 409);
    assert!(refused.text.contains("Delete it anyway"));
    assert!(
        app.get("/drinks", None).text.contains("Changed Meanwhile"),
        "not deleted"
    );
    let current = hidden_value(&refused.text, "version").expect("current version");
    let deleted = browser.post(
        "/admin/drinks/2/delete",
        &[("csrf", &csrf), ("version", &current)],
    );
    assert_eq!(deleted.status, 303);
    assert!(!app.get("/drinks", None).text.contains("Changed Meanwhile"));
}

/// `DELETE /drinks/2` with `If-Match: <tag>`.
fn delete_if_match(app: &TestApp, auth: &str, tag: &str) -> TestResponse {
    app.request(
        "DELETE",
        "/drinks/2",
        &[("Authorization", auth), ("If-Match", tag)],
        None,
    )
}
