//! What the server tidies by itself: expired sessions, and activity past
//! `activity.keep_days`; never the menu.

use std::time::Duration;

use serde_json::json;

use crate::helpers::*;

#[test]
fn expired_sessions_and_activity_past_keep_days_are_deleted_and_the_menu_kept() {
    let (app, token) = spawn_app_as(MANAGER);
    app.post(
        "/drinks",
        Some(&token),
        &json!({"title": "Kept Forever", "recipe": [{"name": "tea", "color": "green", "parts": 1}]}),
    )
    .assert_ok();
    let menu = app.get("/drinks", None).assert_ok();
    let (mut settings, jwks, dir) = app.stop();
    let stored = Stored::of(&settings);
    stored.execute(&format!(
        "INSERT INTO sessions (id_hash, subject, permissions, csrf_token, expires_at, issuer, key_id)
         VALUES ({}, 'gone', '', 'c', 1, 'i', 'k')",
        stored.bytes_literal(&[1])
    ));
    stored.execute("UPDATE activity SET at = '2001-01-01T00:00:00.000Z'");
    drop(stored);
    settings.activity.keep_days = Some(30);
    let app = spawn_app_with(settings, jwks, dir);
    let count = |table: &str| -> i64 {
        app.database()
            .scalar(&format!("SELECT count(*) FROM {table}"))
    };
    assert!(
        wait_until(Duration::from_secs(10), || count("sessions") == 0
            && count("activity") == 0),
        "{} sessions, {} activity rows",
        count("sessions"),
        count("activity")
    );
    assert_eq!(
        app.get("/drinks", None).assert_ok(),
        menu,
        "the menu is untouched"
    );
}
