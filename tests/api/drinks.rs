use serde_json::{Value, json};

use crate::helpers::*;

fn latte() -> Value {
    json!({
        "id": -1,
        "title": "Oat Latte",
        "recipe": [
            {"name": "espresso", "color": "#3b1f0e", "parts": 1},
            {"name": "oat milk", "color": "rgb(240, 228, 205)", "parts": 3}
        ]
    })
}

#[test]
fn the_public_menu_is_the_short_form_of_the_sample_menu() {
    let app = spawn_app();
    let body = app.get("/drinks", None).assert_ok();
    let drinks = body["drinks"].as_array().expect("a list");
    assert!(drinks.len() >= 4, "sample menu: {body}");
    assert_eq!(
        drinks[0],
        json!({"id": 1, "title": "water", "recipe": [{"color": "blue", "parts": 1}]})
    );
    for drink in drinks {
        for ingredient in drink["recipe"].as_array().expect("recipe") {
            assert!(
                ingredient.get("name").is_none(),
                "short form has no names: {drink}"
            );
        }
    }
}

#[test]
fn the_public_menu_ignores_any_authorization_header() {
    let app = spawn_app();
    app.get_with("/drinks", &[("Authorization", "Bearer null")])
        .assert_ok();
    app.get_with("/drinks", &[("Authorization", "garbage")])
        .assert_ok();
}

#[test]
fn the_detailed_menu_needs_the_detail_permission() {
    let app = spawn_app();
    let response = app.get("/drinks-detail", None);
    response.assert_error(401);
    assert!(
        response
            .header("WWW-Authenticate")
            .is_some_and(|h| h.starts_with("Bearer"))
    );

    app.get("/drinks-detail", Some(&app.token(&["post:drinks"])))
        .assert_error(403);

    let body = app
        .get("/drinks-detail", Some(&app.token(BARISTA)))
        .assert_ok();
    assert_eq!(
        body["drinks"][0],
        json!({"id": 1, "title": "water", "recipe": [{"name": "water", "color": "blue", "parts": 1}]})
    );
}

#[test]
fn a_manager_creates_a_drink_and_gets_its_long_form() {
    let app = spawn_app();
    let body = app
        .post("/drinks", Some(&app.token(MANAGER)), &latte())
        .assert_ok();
    let drinks = body["drinks"].as_array().expect("a list");
    assert_eq!(drinks.len(), 1);
    let created = &drinks[0];
    assert!(
        created["id"].as_i64().is_some_and(|id| id > 1),
        "the body's id is ignored"
    );
    assert_eq!(created["title"], "Oat Latte");
    assert_eq!(created["recipe"], latte()["recipe"]);

    let menu = app
        .get("/drinks-detail", Some(&app.token(BARISTA)))
        .assert_ok();
    assert!(menu["drinks"].as_array().expect("list").contains(created));

    let id = created["id"].as_i64().expect("an id");
    let column = |name: &str| -> String {
        app.database().scalar(&format!(
            "SELECT {name} FROM activity WHERE drink_id = {id}"
        ))
    };
    let (actor, action, after) = (column("actor"), column("action"), column("after"));
    assert_eq!(
        (actor.as_str(), action.as_str()),
        ("auth0|tester", "create")
    );
    assert_eq!(
        serde_json::from_str::<Value>(&after).expect("JSON"),
        *created
    );
}

#[test]
fn a_single_recipe_object_is_accepted_as_a_one_item_list() {
    let app = spawn_app();
    let body = app
        .post(
            "/drinks",
            Some(&app.token(MANAGER)),
            &json!({"title": "Water3", "recipe": {"name": "Water", "color": "blue", "parts": 1}}),
        )
        .assert_ok();
    assert_eq!(
        body["drinks"][0]["recipe"],
        json!([{"name": "Water", "color": "blue", "parts": 1}])
    );
}

#[test]
fn every_color_syntax_of_the_grammar_goes_through_the_api() {
    let app = spawn_app();
    let colors = [
        "teal",
        "#abc",
        "#abcd",
        "#a0b1c2",
        "#a0b1c2ee",
        "rgb(1, 2, 3)",
        "rgba(1,2,3,0.5)",
        "hsl(30 50% 40% / 20%)",
        "hsla(30, 50%, 40%, .2)",
    ];
    let recipe: Vec<Value> = colors
        .iter()
        .enumerate()
        .map(|(i, c)| json!({"name": format!("layer {i}"), "color": c, "parts": 1}))
        .collect();
    let body = app
        .post(
            "/drinks",
            Some(&app.token(MANAGER)),
            &json!({"title": "Rainbow", "recipe": recipe}),
        )
        .assert_ok();
    let stored: Vec<&str> = each(&body["drinks"][0]["recipe"], "color");
    assert_eq!(stored, colors);
}

#[test]
fn titles_and_names_are_stored_verbatim() {
    let app = spawn_app();
    let drink = json!({"title": "  <b>Tom & Jerry's</b> \"latte\" ", "recipe": [{"name": "<i>milk</i>", "color": "white", "parts": 1}]});
    let body = app
        .post("/drinks", Some(&app.token(MANAGER)), &drink)
        .assert_ok();
    assert_eq!(
        body["drinks"][0]["title"], "<b>Tom & Jerry's</b> \"latte\"",
        "trimmed, not escaped"
    );
    assert_eq!(body["drinks"][0]["recipe"][0]["name"], "<i>milk</i>");
}

#[test]
fn titles_are_unique_ignoring_case() {
    let (app, token) = spawn_app_as(MANAGER);
    let message = app
        .post(
            "/drinks",
            Some(&token),
            &json!({"title": "WATER", "recipe": [{"name": "w", "color": "blue", "parts": 1}]}),
        )
        .assert_error(409);
    assert!(message.contains("title"), "{message}");
    app.post("/drinks", Some(&token), &latte()).assert_ok();
    app.patch("/drinks/1", Some(&token), &json!({"title": "oat latte"}))
        .assert_error(409);
    // A drink may keep its own title in another case.
    let renamed = app
        .patch("/drinks/1", Some(&token), &json!({"title": "Water"}))
        .assert_ok();
    assert_eq!(renamed["drinks"][0]["title"], "Water");
}

#[test]
fn patch_changes_only_the_fields_sent() {
    let (app, token) = spawn_app_as(MANAGER);
    let body = app
        .patch("/drinks/1", Some(&token), &json!({"title": "Water5"}))
        .assert_ok();
    assert_eq!(
        body["drinks"],
        json!([{"id": 1, "title": "Water5", "recipe": [{"name": "water", "color": "blue", "parts": 1}]}])
    );
    let new_recipe = json!([{"name": "sparkling water", "color": "#e0f7ff", "parts": 2}]);
    let body = app
        .patch(
            "/drinks/1",
            Some(&token),
            &json!({"id": 99, "recipe": new_recipe}),
        )
        .assert_ok();
    assert_eq!(
        body["drinks"],
        json!([{"id": 1, "title": "Water5", "recipe": new_recipe}])
    );

    let column = |name: &str| -> String {
        app.database().scalar(&format!(
            "SELECT {name} FROM activity WHERE drink_id = 1 AND action = 'update' ORDER BY id DESC LIMIT 1"
        ))
    };
    let (before, after) = (column("before"), column("after"));
    assert!(before.contains("\"water\""), "{before}");
    assert!(after.contains("sparkling water"), "{after}");
}

#[test]
fn delete_answers_the_id_and_ids_are_never_reused() {
    let (app, token) = spawn_app_as(MANAGER);
    let created = app.post("/drinks", Some(&token), &latte()).assert_ok();
    let id = created["drinks"][0]["id"].as_i64().expect("id");

    let body = app
        .delete(&format!("/drinks/{id}"), Some(&token))
        .assert_ok();
    assert_eq!(body, json!({"success": true, "delete": id}));
    app.delete(&format!("/drinks/{id}"), Some(&token))
        .assert_error(404);
    app.patch(
        &format!("/drinks/{id}"),
        Some(&token),
        &json!({"title": "Ghost"}),
    )
    .assert_error(404);

    let again = app.post("/drinks", Some(&token), &latte()).assert_ok();
    assert!(
        again["drinks"][0]["id"].as_i64().expect("id") > id,
        "a deleted id is not reused"
    );
    let deletions: i64 = app.database().scalar(&format!(
        "SELECT count(*) FROM activity WHERE action = 'delete' AND drink_id = {id}"
    ));
    assert_eq!(deletions, 1);
}

#[test]
fn permission_is_checked_before_the_drink_is_looked_up() {
    let app = spawn_app();
    let missing = "/drinks/424242";
    let body = json!({"title": "Nope"});
    app.patch(missing, None, &body).assert_error(401);
    app.delete(missing, None).assert_error(401);
    app.patch(missing, Some(&app.token(BARISTA)), &body)
        .assert_error(403);
    app.delete(missing, Some(&app.token(BARISTA)))
        .assert_error(403);
    app.patch(missing, Some(&app.token(MANAGER)), &body)
        .assert_error(404);
    app.delete(missing, Some(&app.token(MANAGER)))
        .assert_error(404);
}

#[test]
fn permission_is_checked_before_the_body_is_read() {
    let app = spawn_app();
    // The Postman collection's barista POSTs and PATCHes with no body at all.
    app.send("POST", "/drinks", None, None).assert_error(401);
    app.send("POST", "/drinks", Some(&app.token(BARISTA)), None)
        .assert_error(403);
    let barista = app.token(BARISTA);
    for (method, path, body) in [
        ("PATCH", "/drinks/1", ("text/plain", "x")),
        ("POST", "/drinks", ("application/json", "{nope")),
    ] {
        let body = Some((body.0, body.1.to_owned()));
        app.send(method, path, Some(&barista), body)
            .assert_error(403);
    }
}

#[test]
fn every_permission_guards_its_route() {
    let app = spawn_app();
    let only = |permission: &str| app.token(&[permission]);
    app.post("/drinks", Some(&only("patch:drinks")), &latte())
        .assert_error(403);
    app.patch(
        "/drinks/1",
        Some(&only("post:drinks")),
        &json!({"title": "x"}),
    )
    .assert_error(403);
    app.delete("/drinks/1", Some(&only("patch:drinks")))
        .assert_error(403);
    app.post("/drinks", Some(&only("post:drinks")), &latte())
        .assert_ok();
    app.patch(
        "/drinks/1",
        Some(&only("patch:drinks")),
        &json!({"title": "x"}),
    )
    .assert_ok();
    app.delete("/drinks/1", Some(&only("delete:drinks")))
        .assert_ok();
}

#[test]
fn invalid_drinks_are_refused_with_the_fields_that_failed() {
    let (app, token) = spawn_app_as(MANAGER);
    let long_title = "t".repeat(81);
    let long_name = "n".repeat(61);
    let eleven: Vec<Value> = (0..11)
        .map(|i| json!({"name": format!("i{i}"), "color": "red", "parts": 1}))
        .collect();
    let ok_recipe = json!([{"name": "milk", "color": "white", "parts": 1}]);
    let cases: Vec<(Value, &str)> = vec![
        (json!({"recipe": ok_recipe}), "title"),
        (json!({"title": "", "recipe": ok_recipe}), "title"),
        (json!({"title": "   ", "recipe": ok_recipe}), "title"),
        (json!({"title": long_title, "recipe": ok_recipe}), "title"),
        (json!({"title": 12, "recipe": ok_recipe}), "title"),
        (json!({"title": "A"}), "recipe"),
        (json!({"title": "A", "recipe": []}), "recipe"),
        (json!({"title": "A", "recipe": eleven}), "recipe"),
        (json!({"title": "A", "recipe": "water"}), "recipe"),
        (
            json!({"title": "A", "recipe": [{"name": "", "color": "red", "parts": 1}]}),
            "recipe[0].name",
        ),
        (
            json!({"title": "A", "recipe": [{"name": long_name, "color": "red", "parts": 1}]}),
            "recipe[0].name",
        ),
        (
            json!({"title": "A", "recipe": [{"name": "m", "color": "red", "parts": "1"}]}),
            "recipe[0].parts",
        ),
        (
            json!({"title": "A", "recipe": [{"name": "m", "color": "red", "parts": null}]}),
            "recipe[0].parts",
        ),
        (
            json!({"title": "A", "recipe": [{"name": "m", "color": "red", "parts": 0}]}),
            "recipe[0].parts",
        ),
        (
            json!({"title": "A", "recipe": [{"name": "m", "color": "red", "parts": 101}]}),
            "recipe[0].parts",
        ),
        (
            json!({"title": "A", "recipe": [{"name": "m", "color": "red", "parts": 2.5}]}),
            "recipe[0].parts",
        ),
        (
            json!({"title": "A", "recipe": [{"name": "m", "color": "red\" onload=\"x", "parts": 1}]}),
            "recipe[0].color",
        ),
        (
            json!({"title": "A", "recipe": [{"name": "m", "color": "url(x)", "parts": 1}]}),
            "recipe[0].color",
        ),
        (
            json!({"title": "A", "recipe": [{"name": "m", "parts": 1}]}),
            "recipe[0].color",
        ),
        (json!({"title": "A", "recipe": [5]}), "recipe[0]"),
        (json!(["not", "an", "object"]), "body"),
    ];
    for (drink, field) in cases {
        let response = app.post("/drinks", Some(&token), &drink);
        let message = response.assert_error(422);
        let body = response.json();
        let fields: Vec<&str> = each(&body["fields"], "field");
        assert!(
            fields.contains(&field),
            "{drink} should fail on {field}: {body}"
        );
        assert!(
            message.contains(field),
            "the message names the field: {message}"
        );
    }
    app.patch("/drinks/1", Some(&token), &json!({"title": null}))
        .assert_error(422);
    app.patch("/drinks/1", Some(&token), &json!({"recipe": []}))
        .assert_error(422);
    let menu = app.get("/drinks", None).assert_ok();
    assert_eq!(menu["drinks"][0]["title"], "water", "nothing was changed");
}

#[test]
fn concurrent_writes_are_all_kept_and_conflicts_stay_isolated() {
    let (app, token) = spawn_app_as(MANAGER);
    // 24 creates, every title sent twice: exactly one of each pair wins.
    let statuses: Vec<u16> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..24)
            .map(|i| {
                let (app, token) = (&app, &token);
                scope.spawn(move || {
                    let body = json!({"title": format!("Concurrent {}", i / 2), "recipe": [{"name": "m", "color": "red", "parts": 1}]});
                    app.post("/drinks", Some(token), &body).status
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("thread"))
            .collect()
    });
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        12,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 409).count(),
        12,
        "{statuses:?}"
    );

    let menu = app.get("/drinks-detail", Some(&token)).assert_ok();
    let titles: Vec<&str> = each(&menu["drinks"], "title");
    for i in 0..12 {
        assert_eq!(
            titles
                .iter()
                .filter(|t| **t == format!("Concurrent {i}"))
                .count(),
            1
        );
    }
    let created: i64 = app
        .database()
        .scalar("SELECT count(*) FROM activity WHERE action = 'create'");
    assert_eq!(
        created, 12,
        "one activity row per kept change, none for the refused"
    );
}

#[test]
fn creating_beyond_menu_max_drinks_is_refused_and_changes_nothing() {
    // The sample menu has seven drinks: room for one more.
    let app = spawn_tweaked_app(|settings| settings.menu.max_drinks = 8);
    let token = app.token(MANAGER);
    let drink = |title: &str| json!({"title": title, "recipe": [{"name": "milk", "color": "white", "parts": 1}]});
    app.post("/drinks", Some(&token), &drink("Eighth"))
        .assert_ok();
    let activity_before: i64 = app.database().scalar("SELECT count(*) FROM activity");

    let refused = app.post("/drinks", Some(&token), &drink("Ninth"));
    let message = refused.assert_error(409);
    assert_eq!(refused.json()["code"], "menu_full");
    assert_mentions(&message, &["8 drinks", "menu.max_drinks"]);
    let menu = app.get("/drinks", None).assert_ok();
    assert_eq!(menu["drinks"].as_array().expect("drinks").len(), 8);
    let activity_after: i64 = app.database().scalar("SELECT count(*) FROM activity");
    assert_eq!(activity_after, activity_before, "no activity for a refusal");
    // Changing a drink is not growth: it still works at the cap.
    app.patch("/drinks/1", Some(&token), &json!({"title": "Still Water"}))
        .assert_ok();
}
