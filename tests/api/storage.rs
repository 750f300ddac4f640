//! The database file across restarts, upgrades and the sample menu.

use std::sync::Arc;

use coffee_shop::db::migrations::{LATEST_VERSION, migrations};
use serde_json::json;

use crate::helpers::*;

#[test]
fn data_survives_a_restart_and_is_never_reseeded() {
    let (app, token) = spawn_app_as(MANAGER);
    let created = app
        .post("/drinks", Some(&token), &json!({"title": "Cortado", "recipe": [{"name": "espresso", "color": "#3b1f0e", "parts": 1}]}))
        .assert_ok();
    let menu = app.get("/drinks", None).assert_ok();
    // Delete every drink: an empty menu must stay empty after a restart.
    for drink in menu["drinks"].as_array().expect("list") {
        app.delete(&format!("/drinks/{}", drink["id"]), Some(&token))
            .assert_ok();
    }
    let cortado_id = created["drinks"][0]["id"].as_i64().expect("id");

    let (settings, jwks, dir) = app.stop();
    let app = spawn_app_with(settings, jwks, dir);
    let menu = app.get("/drinks", None).assert_ok();
    assert_eq!(
        menu["drinks"],
        json!([]),
        "an existing database is never reseeded"
    );

    let next = app
        .post("/drinks", Some(&app.token(MANAGER)), &json!({"title": "Ristretto", "recipe": [{"name": "espresso", "color": "#3b1f0e", "parts": 1}]}))
        .assert_ok();
    assert!(
        next["drinks"][0]["id"].as_i64().expect("id") > cortado_id,
        "ids are not reused after a restart"
    );
}

#[test]
fn writes_are_visible_after_a_restart() {
    let app = spawn_app();
    app.patch(
        "/drinks/1",
        Some(&app.token(MANAGER)),
        &json!({"title": "Still Water"}),
    )
    .assert_ok();
    let (settings, jwks, dir) = app.stop();
    let app = spawn_app_with(settings, jwks, dir);
    assert_eq!(
        app.get("/drinks", None).assert_ok()["drinks"][0]["title"],
        "Still Water"
    );
}

#[test]
fn the_sample_menu_can_be_turned_off() {
    let app = spawn_tweaked_app(|settings| {
        settings.database.sample_menu = false;
    });
    assert_eq!(app.get("/drinks", None).assert_ok()["drinks"], json!([]));
}

#[test]
fn an_older_database_is_upgraded_in_place() {
    let jwks = JwksServer::start(&[&keys()[0]]);
    let dir = tempfile::tempdir().expect("temp dir");
    let settings = test_settings(&dir, &jwks);
    {
        // A database as the first release left it: schema version 1, one
        // drink with its layers bottom first, as that release's pages drew them.
        let mut conn = rusqlite::Connection::open(&settings.database.path).expect("create");
        migrations(false)
            .to_version(&mut conn, 1)
            .expect("version 1");
        conn.execute(
            "INSERT INTO drinks (title, title_key, recipe) VALUES ('Old Brew', 'old brew', ?1)",
            [json!([
                {"name": "coffee", "color": "brown", "parts": 1},
                {"name": "cream", "color": "white", "parts": 2}
            ])
            .to_string()],
        )
        .expect("insert");
    }
    let app = spawn_app_with(settings, jwks, Arc::new(dir));

    let menu = app.get("/drinks", None).assert_ok();
    assert_eq!(
        menu["drinks"],
        json!([{"id": 1, "title": "Old Brew", "recipe": [
            {"color": "brown", "parts": 1},
            {"color": "white", "parts": 2}
        ]}]),
        "kept as it was, never reseeded or reordered"
    );
    let version: i64 = app.database().scalar("PRAGMA user_version");
    assert_eq!(version, LATEST_VERSION as i64);
    // The upgraded schema works: the change writes its activity row.
    app.patch(
        "/drinks/1",
        Some(&app.token(MANAGER)),
        &json!({"title": "New Brew"}),
    )
    .assert_ok();
    let rows: i64 = app.database().scalar("SELECT count(*) FROM activity");
    assert_eq!(rows, 1);
}

#[test]
fn a_database_from_a_newer_release_is_refused() {
    let jwks = JwksServer::start(&[&keys()[0]]);
    let dir = tempfile::tempdir().expect("temp dir");
    let settings = test_settings(&dir, &jwks);
    {
        let conn = rusqlite::Connection::open(&settings.database.path).expect("create");
        conn.pragma_update(None, "user_version", 999)
            .expect("version");
    }
    let error = actix_web::rt::System::new()
        .block_on(coffee_shop::startup::Application::build(settings))
        .err()
        .expect("refused");
    let chain = coffee_shop::error::error_chain(&error);
    assert!(chain.contains("newer"), "{chain}");
}

#[test]
fn a_new_database_gets_the_sample_menu_with_its_layers_top_first() {
    let app = spawn_app();
    let detail = app
        .get("/drinks-detail", Some(&app.token(BARISTA)))
        .assert_ok();
    let drinks = detail["drinks"].as_array().expect("a list");
    let names = |title: &str| -> Vec<String> {
        let drink = drinks
            .iter()
            .find(|drink| drink["title"] == title)
            .unwrap_or_else(|| panic!("no {title} in {detail}"));
        drink["recipe"]
            .as_array()
            .expect("recipe")
            .iter()
            .map(|ingredient| ingredient["name"].as_str().expect("name").to_owned())
            .collect()
    };
    assert_eq!(drinks[0]["id"], 1);
    assert_eq!(drinks[0]["title"], "water");
    assert_eq!(
        names("Cappuccino"),
        ["milk foam", "steamed milk", "espresso"]
    );
    assert_eq!(names("Latte"), ["milk foam", "steamed milk", "espresso"]);
    assert_eq!(
        names("Mocha"),
        [
            "whipped cream",
            "steamed milk",
            "espresso",
            "chocolate sauce"
        ]
    );
}
