//! The managers' System page through a real sign-in: what it shows, the
//! verdict, a key rotation, server errors by request id, and 403 for
//! baristas.

use std::time::Duration;

use serde_json::json;

use crate::helpers::*;
use crate::oidc::*;

fn manager() -> User {
    User::new("auth0|manager-mia", "Mia Manager", MANAGER)
}

fn barista() -> User {
    User::new("auth0|barista-bo", "Bo Barista", BARISTA)
}

/// The text of the page's verdict section.
fn verdict(html: &str) -> &str {
    let start = html.find("<section class=\"verdict").expect("a verdict");
    let end = html[start..].find("</section>").expect("its end") + start;
    &html[start..end]
}

#[test]
fn a_manager_sees_how_the_server_is_doing() {
    let (provider, app, browser) = signed_in_dashboard(manager());
    let page = browser.get("/admin/system");
    assert_eq!(page.status, 200, "{}", page.text);
    let html = &page.text;
    assert!(
        verdict(html).contains("green") && verdict(html).contains("All is well"),
        "{}",
        verdict(html)
    );
    for shown in [
        concat!("coffee-shop ", env!("CARGO_PKG_VERSION")),
        app.settings.database.engine(),
        format!("{}</code>", app.settings.database.shown()).as_str(),
        &format!("<code>{}</code>", provider.issuer()),
        "<code>key-a</code>",
        "succeeded",
        "1 signed in",
        "Mia Manager",
        "data-label=\"Role\">Manager</td>",
        "Off: this server speaks plain HTTP",
        "None since the server started.",
    ] {
        assert!(html.contains(shown), "{shown:?} is shown");
    }
    let backups: &[&str] = match app.settings.database.url {
        None => &[
            "Scheduled backups are off (backup.interval).",
            "href=\"/admin/backup\" download>Download a backup</a>",
        ],
        Some(_) => &["PostgreSQL keeps its own", "<code>pg_dump</code>"],
    };
    assert_mentions(html, backups);
    let schema_version = app.database().schema_version();
    assert!(html.contains(&format!("Schema version</dt><dd>{schema_version}</dd>")));
    let menu = browser.get("/admin");
    assert!(
        menu.text.contains("href=\"/admin/system\""),
        "in the navigation"
    );
}

#[test]
fn baristas_get_a_403_page_and_no_link() {
    let (_provider, app, browser) = signed_in_dashboard(barista());
    let page = browser.get("/admin/system");
    page.assert_shows(403, "This page is for managers.");
    assert!(
        !page.text.contains("Signing keys"),
        "shows nothing of the page"
    );
    let menu = browser.get("/admin");
    assert_eq!(menu.status, 200);
    assert!(!menu.text.contains("href=\"/admin/system\""), "no link");
    let stranger = Browser::new(&app);
    assert_eq!(stranger.get("/admin/system").status, 303, "sign in first");
}

#[test]
fn a_key_rotation_shows_as_a_refresh() {
    let (provider, _app, browser) = signed_in_dashboard_with(manager(), |settings| {
        settings.auth.refresh_interval_secs = 1;
    });
    let before = browser.get("/admin/system").text;
    assert!(before.contains("<code>key-a</code>"));
    let next_refresh = &before[before.find("Next refresh").expect("the next refresh")..];
    let next_refresh = &next_refresh[..next_refresh.find("</dd>").expect("its end")];
    assert!(
        next_refresh.contains("<time datetime="),
        "a refresh is scheduled: {next_refresh}"
    );

    provider.rotate_keys();
    assert!(
        wait_until(Duration::from_secs(15), || browser.get("/admin").status
            != 200),
        "the old key was never dropped, nor the session it signed"
    );
    browser.sign_in(&provider, manager());
    let after = browser.get("/admin/system");
    after.assert_shows(200, "<code>key-b</code>");
    assert!(
        !after.text.contains("<code>key-a</code>"),
        "the old key is gone"
    );
    assert!(verdict(&after.text).contains("All is well"));
}

#[test]
fn server_errors_are_listed_by_request_id_and_turn_the_verdict_amber() {
    let (_provider, app, browser) = signed_in_dashboard(manager());
    app.database().execute(&format!(
        "INSERT INTO drinks (title, title_key, recipe) VALUES ('Bad', 'bad', '{}')",
        json!([{"name": "x", "color": "expression(x)", "parts": 1}])
    ));
    let failed = app.get("/drinks?token=never-shown", None);
    assert_eq!(failed.status, 500);
    let request_id = failed
        .header("x-request-id")
        .expect("a request id")
        .to_owned();

    let page = browser.get("/admin/system");
    assert_eq!(page.status, 200);
    assert!(
        verdict(&page.text).contains("amber"),
        "{}",
        verdict(&page.text)
    );
    assert!(verdict(&page.text).contains("1 server error in the last hour"));
    assert!(
        page.text.contains(&format!("<code>{request_id}</code>")),
        "{}",
        page.text
    );
    assert!(page.text.contains("<code>GET /drinks</code>"));
    assert!(!page.text.contains("never-shown"), "never the query");
}
