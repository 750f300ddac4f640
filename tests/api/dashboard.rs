//! The admin pages over HTTP with a cookie jar, against a loopback OpenID
//! Connect provider: sign-in, sessions, CSRF, roles, the editor and the log.

use std::time::Duration;

use serde_json::json;

use crate::helpers::*;
use crate::oidc::*;

fn manager() -> User {
    User::new("auth0|manager-ana", "Ana Manager", MANAGER)
}

fn barista() -> User {
    User::new("auth0|barista-ben", "Ben Barista", BARISTA)
}

/// An API token from the same provider, for the same person.
fn api_token(provider: &OidcProvider, sub: &str, permissions: &[&str]) -> String {
    keys()[0].sign(&json!({
        "iss": provider.issuer(), "sub": sub, "aud": AUDIENCE,
        "exp": now() + 600, "permissions": permissions,
    }))
}

/// The editor's fields as a browser posts them: the CSRF token, the title,
/// each row's name, color and parts, and the button pressed.
fn drink_form<'a>(
    csrf: &'a str,
    title: &'a str,
    rows: &[(&'a str, &'a str, &'a str)],
    action: &'a str,
) -> Vec<(&'a str, &'a str)> {
    let mut fields = vec![("csrf", csrf), ("title", title)];
    for &(name, color, parts) in rows {
        fields.extend([("name", name), ("color", color), ("parts", parts)]);
    }
    fields.push(("action", action));
    fields
}

fn drink_count(app: &TestApp) -> i64 {
    app.database().scalar("SELECT count(*) FROM drinks")
}

/// The pages that change the menu: a barista gets 403 for each.
const MANAGERS_ONLY: [&str; 3] = [
    "/admin/drinks/new",
    "/admin/drinks/1/edit",
    "/admin/drinks/1/delete",
];

#[test]
fn the_full_sign_in_flow_lands_on_the_menu_with_a_safe_cookie() {
    let (provider, app, browser) = dashboard();

    let menu = browser.get("/admin/drinks/new");
    assert_eq!(menu.status, 303, "not signed in yet");
    assert_eq!(
        menu.header("location"),
        Some("/admin/login?next=%2Fadmin%2Fdrinks%2Fnew")
    );

    provider.sign_in_as(manager());
    let start = browser.get("/admin/login/start?next=%2Fadmin%2Fdrinks%2Fnew");
    assert_eq!(start.status, 303);
    let authorize_url = start.header("location").expect("to the provider");
    assert!(authorize_url.starts_with(&format!("{}authorize?", provider.issuer())));
    let sign_in_cookie = start
        .header_values("set-cookie")
        .into_iter()
        .find(|c| c.starts_with("coffee_signin="))
        .expect("the attempt is bound to this browser")
        .to_owned();
    assert!(sign_in_cookie.contains("HttpOnly") && sign_in_cookie.contains("Path=/admin"));

    let at_provider = browser.follow(&start);
    let asked = provider.last_authorize();
    assert_eq!(asked["response_type"], "code");
    assert_eq!(asked["audience"], AUDIENCE, "Auth0 needs the API audience");
    assert_eq!(asked["scope"], "openid profile email");
    assert_eq!(asked["code_challenge_method"], "S256");
    assert_eq!(
        asked["redirect_uri"],
        format!("{}/admin/callback", app.address)
    );
    assert!(asked["state"].len() >= 43 && asked["nonce"].len() >= 43);

    let callback = browser.follow(&at_provider);
    assert_eq!(callback.status, 303, "{}", callback.text);
    assert_eq!(
        callback.header("location"),
        Some("/admin/drinks/new"),
        "back to the page asked for"
    );
    let session_cookie = callback
        .header_values("set-cookie")
        .into_iter()
        .find(|c| c.starts_with("coffee_session="))
        .expect("a session cookie")
        .to_owned();
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/admin"] {
        assert!(session_cookie.contains(attribute), "{session_cookie}");
    }
    assert!(
        !session_cookie.contains("Secure"),
        "plain http here: {session_cookie}"
    );
    let session_id = browser.cookie("coffee_session").expect("stored");
    let stored_length: i64 = app
        .database()
        .scalar("SELECT length(id_hash) FROM sessions");
    assert_eq!(stored_length, 32, "a SHA-256 hash");
    let stored = app.database();
    let stored_as_sent: i64 = stored.scalar(&format!(
        "SELECT count(*) FROM sessions WHERE id_hash = {}",
        stored.bytes_literal(session_id.as_bytes())
    ));
    assert_eq!(stored_as_sent, 0, "only a hash is stored");

    let page = browser.get("/admin");
    assert_eq!(page.status, 200, "{}", page.text);
    assert!(
        page.text.contains("Ana Manager"),
        "the ID token's name is shown"
    );
    assert!(
        page.text.contains("Matcha Shake") || page.text.contains("water"),
        "drinks are listed"
    );
}

#[test]
fn a_forged_replayed_or_foreign_callback_starts_no_session() {
    let (provider, app, browser) = dashboard();
    provider.sign_in_as(manager());
    let start = browser.get("/admin/login/start");
    let at_provider = browser.follow(&start);
    let callback_url = at_provider.header("location").expect("callback").to_owned();

    // Another browser (no sign-in cookie) cannot use this callback.
    let other = Browser::new(&app);
    let stolen = other.get(&callback_url);
    assert_eq!(stolen.status, 400, "{}", stolen.text);
    assert!(stolen.text.contains("expired or was already used"));

    let sealed = browser.cookie("coffee_signin").expect("a pending sign-in");
    assert!(
        !sealed.contains(&provider.last_authorize()["state"]),
        "the browser cannot read its pending sign-in"
    );
    let first = browser.get(&callback_url);
    assert_eq!(first.status, 303);
    // Replayed with the very same cookie, or with the bare state: refused.
    browser.set_cookie("coffee_signin", &sealed);
    let replay = browser.get(&callback_url);
    assert_eq!(replay.status, 400, "a callback works once");
    browser.set_cookie("coffee_signin", &provider.last_authorize()["state"]);
    assert_eq!(browser.get(&callback_url).status, 400);

    let error =
        browser.get("/admin/callback?error=access_denied&error_description=User%20cancelled");
    assert_eq!(error.status, 400, "a cancelled sign-in is no server error");
    assert!(
        !error.text.contains("User cancelled"),
        "the query's words are never shown"
    );

    let sessions: i64 = app.database().scalar("SELECT count(*) FROM sessions");
    assert_eq!(sessions, 1, "only the legitimate callback made a session");
}

#[test]
fn an_id_token_with_the_wrong_nonce_is_refused() {
    let (provider, _app, browser) = dashboard();
    provider.sign_in_as(manager());
    provider.send_wrong_nonce();
    let start = browser.get("/admin/login/start");
    let at_provider = browser.follow(&start);
    let callback = browser.follow(&at_provider);
    callback.assert_shows(502, "nonce");
    assert!(browser.cookie("coffee_session").is_none());
}

#[test]
fn a_session_ends_with_its_access_token() {
    let (provider, _app, browser) = dashboard();
    let mut short = manager();
    short.ttl_secs = 2;
    browser.sign_in(&provider, short);
    assert_eq!(browser.get("/admin").status, 200);
    std::thread::sleep(Duration::from_millis(2100));
    let later = browser.get("/admin/activity?page=1");
    assert_eq!(later.status, 303);
    assert_eq!(
        later.header("location"),
        Some("/admin/login?next=%2Fadmin%2Factivity%3Fpage%3D1"),
        "sign in again, then come back here"
    );
}

#[test]
fn sign_out_ends_the_session_here_and_at_the_provider() {
    let (provider, _app, browser) = signed_in_dashboard(manager());
    let old_session = browser.cookie("coffee_session").expect("session");
    let csrf = browser.csrf_token();

    let refused = browser.post("/admin/logout", &[]);
    assert_eq!(refused.status, 403, "sign-out needs the CSRF token too");

    let out = browser.post("/admin/logout", &[("csrf", &csrf)]);
    assert_eq!(out.status, 303);
    let logout = out.header("location").expect("to the provider");
    assert!(
        logout.starts_with(&format!("{}logout?", provider.issuer())),
        "{logout}"
    );
    assert!(logout.contains("post_logout_redirect_uri="), "{logout}");
    assert!(
        browser.cookie("coffee_session").is_none(),
        "the cookie is cleared"
    );
    assert_eq!(browser.get("/admin").status, 303);

    browser.set_cookie("coffee_session", &old_session);
    assert_eq!(browser.get("/admin").status, 303, "the old id is dead");
}

#[test]
fn forms_without_the_right_csrf_token_or_from_elsewhere_change_nothing() {
    let (_provider, app, browser) = signed_in_dashboard(manager());
    let csrf = browser.csrf_token();
    let before = drink_count(&app);
    let drink = |token| drink_form(token, "Forged Latte", &[("milk", "white", "1")], "save");
    let missing = browser.post("/admin/drinks", &drink("")[1..]);
    assert_eq!(missing.status, 403);
    assert!(
        missing.text.contains("<html"),
        "an HTML page in the dashboard's look"
    );
    assert_eq!(
        browser.post("/admin/drinks", &drink("wrong-token")).status,
        403
    );

    let with_token = drink(&csrf);
    let foreign = browser.post_from("http://evil.example", "/admin/drinks", &with_token);
    assert_eq!(
        foreign.status, 403,
        "a foreign Origin is refused even with the token"
    );
    assert_eq!(
        browser
            .post("/admin/drinks/1/delete", &[("csrf", "nope")])
            .status,
        403
    );
    assert_eq!(drink_count(&app), before, "nothing changed");

    let accepted = browser.post("/admin/drinks", &with_token);
    assert_eq!(accepted.status, 303, "{}", accepted.text);
    assert_eq!(drink_count(&app), before + 1);
}

#[test]
fn baristas_read_the_menu_but_cannot_change_it() {
    let (_provider, app, browser) = signed_in_dashboard(barista());
    let csrf = browser.csrf_token();
    let menu = browser.get("/admin");
    assert_eq!(menu.status, 200);
    assert!(menu.text.contains("Ben Barista"));
    assert!(!menu.text.contains("/edit\""), "no edit links");
    assert!(!menu.text.contains("/delete\""), "no delete links");
    assert!(
        !menu.text.contains("href=\"/admin/drinks/new\""),
        "no new-drink link"
    );
    for path in MANAGERS_ONLY {
        let page = browser.get(path);
        assert_eq!(page.status, 403, "{path}");
        assert!(page.text.contains("permission"), "{path}: {}", page.text);
    }
    let before = drink_count(&app);
    assert_eq!(
        browser
            .post("/admin/drinks/1/delete", &[("csrf", &csrf)])
            .status,
        403
    );
    assert_eq!(drink_count(&app), before);
}

#[test]
fn someone_without_any_permission_is_told_which_one_they_lack() {
    let (_provider, _app, browser) =
        signed_in_dashboard(User::new("auth0|guest", "Gus Guest", &[]));
    let page = browser.get("/admin");
    page.assert_shows(403, "get:drinks-detail");
    assert!(page.text.contains("Barista"));
}

#[test]
fn the_editor_keeps_input_and_shows_errors_by_their_fields_then_saves() {
    let (provider, app, browser) = signed_in_dashboard(manager());
    let csrf = browser.csrf_token();
    let before = drink_count(&app);

    let rows = [
        ("espresso", "url(javascript:alert(1))", "1"),
        ("milk", "#f5e6d3", "lots"),
    ];
    let invalid = browser.post(
        "/admin/drinks",
        &drink_form(&csrf, "Hazelnut <Dream>", &rows, "save"),
    );
    invalid.assert_shows(422, "2 things need fixing");
    assert!(
        invalid.text.contains("value=\"Hazelnut &#60;Dream&#62;\"")
            || invalid.text.contains("value=\"Hazelnut &lt;Dream&gt;\""),
        "title kept, escaped"
    );
    assert!(
        invalid.text.contains("id=\"color-0-error\""),
        "the color error sits by row 1's color"
    );
    assert!(
        invalid.text.contains("id=\"parts-1-error\""),
        "the parts error sits by row 2's parts"
    );
    assert!(
        !invalid.text.contains("url(javascript:alert(1))\"/>"),
        "an invalid color never reaches the picture"
    );
    assert_eq!(drink_count(&app), before);

    let added = browser.post(
        "/admin/drinks",
        &drink_form(&csrf, "Hazelnut", &[("a", "red", "1")], "add"),
    );
    assert_eq!(added.status, 200);
    assert_eq!(
        added.text.matches("name=\"name\"").count(),
        2,
        "one more row, without JavaScript"
    );

    let rows = [
        ("espresso", "#3b1f0e", "1"),
        ("milk", "#f5e6d3", "3"),
        ("", "", ""),
    ];
    let saved = browser.post(
        "/admin/drinks",
        &drink_form(&csrf, "Hazelnut Dream", &rows, "save"),
    );
    assert_eq!(saved.status, 303, "{}", saved.text);
    let location = saved.header("location").expect("a redirect").to_owned();
    let menu = browser.follow(&saved);
    assert!(
        menu.text.contains("Hazelnut Dream saved"),
        "a flash message"
    );
    assert!(
        menu.text.contains("fill=\"#f5e6d3\""),
        "the cup is drawn with its colors"
    );
    assert!(
        !browser.get("/admin").text.contains("Hazelnut Dream saved"),
        "shown once"
    );

    let detail = app.get(
        "/drinks-detail",
        Some(&api_token(&provider, "auth0|x", BARISTA)),
    );
    let drinks = detail.assert_ok()["drinks"].clone();
    let created = drinks
        .as_array()
        .expect("drinks")
        .iter()
        .find(|d| d["title"] == "Hazelnut Dream")
        .expect("the API serves it at once");
    assert_eq!(created["recipe"][1]["parts"], 3);
    assert_eq!(
        location,
        format!("/admin#drink-{}", created["id"]),
        "back to the menu, at the saved drink's card"
    );
    assert!(
        menu.text
            .contains(&format!("id=\"drink-{}\"", created["id"])),
        "the card carries that anchor"
    );
}

#[test]
fn the_editor_speaks_to_people_and_the_api_keeps_its_precise_rules() {
    let (provider, app, browser) = signed_in_dashboard(manager());
    let csrf = browser.csrf_token();
    let rows = [("espresso", "blurple", "1"), ("milk", "white", "1.5")];
    let invalid = browser.post("/admin/drinks", &drink_form(&csrf, "", &rows, "save"));
    assert_eq!(invalid.status, 422);
    let page = &invalid.text;
    assert!(page.contains("<title>Error: New drink"), "{page}");
    for (field, line) in [
        ("title", "Title: Give the drink a title, like Flat White."),
        (
            "color-0",
            "Colour 1: Pick a colour, or type a name like brown or a code like #6f4e37.",
        ),
        (
            "parts-1",
            "Parts 2: Enter a whole number of parts, from 1 to 100.",
        ),
    ] {
        assert!(
            page.contains(&format!("<a href=\"#{field}\">{line}</a>")),
            "the summary links {field}: {page}"
        );
        assert!(page.contains(&format!("id=\"{field}\"")), "{field} exists");
    }
    for label in ["Ingredient 2", "Colour 2", "Parts 2"] {
        assert!(page.contains(&format!(">{label}</label>")), "{label}");
    }
    assert!(
        !page.contains("placeholder=\"#") && page.contains("placeholder=\"name or #code\""),
        "the colour's placeholder cannot be mistaken for a colour"
    );
    for jargon in ["must be", "CSS color", "not a string"] {
        assert!(!page.contains(jargon), "no {jargon:?} on the page");
    }

    let token = api_token(&provider, "auth0|x", MANAGER);
    let refused = app.post(
        "/drinks",
        Some(&token),
        &json!({"title": "X", "recipe": [{"name": "a", "color": "blurple", "parts": 1.5}]}),
    );
    assert_eq!(refused.status, 422);
    let text = &refused.text;
    assert_mentions(text, &["must be a CSS color", "must be an integer"]);
}

#[test]
fn error_pages_keep_the_navigation_for_a_signed_in_person() {
    let (_provider, app, browser) = signed_in_dashboard(barista());
    for (path, status) in [("/admin/nowhere", 404), ("/admin/drinks/new", 403)] {
        let page = browser.get(path);
        assert_eq!(page.status, status, "{path}");
        assert!(
            page.text.contains("aria-label=\"Main\""),
            "{path}: {}",
            page.text
        );
        assert!(page.text.contains(">Sign out</button>"), "{path}");
        assert!(
            page.text.contains("Ben Barista"),
            "{path}: the name is shown"
        );
    }
    let stranger = Browser::new(&app);
    let missing = stranger.get("/admin/nowhere");
    assert_eq!(missing.status, 404);
    assert!(
        !missing.text.contains(">Sign out</button>"),
        "nobody to sign out"
    );
}

#[test]
fn a_taken_title_is_shown_on_the_title_field() {
    let (_provider, _app, browser) = signed_in_dashboard(manager());
    let csrf = browser.csrf_token();
    let taken = browser.post(
        "/admin/drinks",
        &drink_form(&csrf, "WATER", &[("water", "blue", "1")], "save"),
    );
    taken.assert_shows(
        409,
        "There is already a drink called “WATER”. Pick another title.",
    );
    assert!(
        taken
            .text
            .contains("<a href=\"#title\">Title: There is already")
    );
}

#[test]
fn a_full_menu_keeps_the_new_drink_in_the_editor() {
    let (_provider, app, browser) =
        signed_in_dashboard_with(manager(), |settings| settings.menu.max_drinks = 7);
    let csrf = browser.csrf_token();
    let refused = browser.post(
        "/admin/drinks",
        &drink_form(&csrf, "Cortado", &[("espresso", "#3b2314", "1")], "save"),
    );
    refused.assert_shows(409, "The menu already holds 7 drinks, the most it may.");
    assert!(
        refused.text.contains("value=\"Cortado\""),
        "the input is kept"
    );
    assert_eq!(drink_count(&app), 7);
}

#[test]
fn edit_and_delete_go_through_confirmation_and_the_activity_log() {
    let (provider, app, browser) = signed_in_dashboard(manager());
    let csrf = browser.csrf_token();

    let edit = browser.get("/admin/drinks/1/edit");
    assert_eq!(edit.status, 200);
    assert!(
        edit.text.contains("value=\"water\""),
        "the form is filled in"
    );
    let saved = browser.post(
        "/admin/drinks/1",
        &[
            ("csrf", &csrf),
            ("title", "Sparkling Water"),
            ("name", "water"),
            ("color", "#cfe8ff"),
            ("parts", "1"),
            ("action", "save"),
        ],
    );
    assert_eq!(saved.status, 303, "{}", saved.text);

    // A change through the API by the same person shows their name too.
    let token = api_token(&provider, "auth0|manager-ana", MANAGER);
    app.patch(
        "/drinks/2",
        Some(&token),
        &json!({"title": "Renamed By API"}),
    )
    .assert_ok();

    let confirm = browser.get("/admin/drinks/1/delete");
    assert_eq!(confirm.status, 200);
    assert!(confirm.text.contains("Delete Sparkling Water?"));
    let deleted = browser.post("/admin/drinks/1/delete", &[("csrf", &csrf)]);
    assert_eq!(deleted.status, 303);
    assert!(
        browser
            .follow(&deleted)
            .text
            .contains("Sparkling Water deleted")
    );
    app.get("/drinks", None).assert_ok();
    assert_eq!(browser.get("/admin/drinks/1/edit").status, 404);

    let activity = browser.get("/admin/activity");
    assert_eq!(activity.status, 200);
    let text = &activity.text;
    let deleted_at = text.find("Deleted").expect("the delete is listed");
    let renamed_at = text
        .find("Renamed By API")
        .expect("the API change is listed");
    let updated_at = text
        .find("title: water → Sparkling Water")
        .expect("before and after");
    assert!(
        deleted_at < renamed_at && renamed_at < updated_at,
        "newest first"
    );
    assert!(
        text.matches("Ana Manager").count() >= 4,
        "named for API and dashboard changes (and the header)"
    );
}

#[test]
fn titles_are_escaped_on_every_page() {
    let provider = OidcProvider::start();
    let app = spawn_dashboard(&provider);
    let token = api_token(&provider, "auth0|x", MANAGER);
    let hostile = "<script>alert('x')</script>";
    app.post(
        "/drinks",
        Some(&token),
        &json!({"title": hostile, "recipe": [{"name": "<b>bold</b>", "color": "red", "parts": 1}]}),
    )
    .assert_ok();
    let browser = Browser::new(&app);
    browser.sign_in(&provider, manager());
    for page in ["/admin", "/admin/activity"] {
        let html = browser.get(page).text;
        assert!(!html.contains("<script>alert"), "{page} leaks a script tag");
        assert!(!html.contains("<b>bold</b>"), "{page} leaks markup");
    }
}

#[test]
fn pages_carry_the_security_headers_and_errors_are_html_pages() {
    let (_provider, _app, browser) = signed_in_dashboard(manager());
    for path in ["/admin", "/admin/login", "/admin/nowhere"] {
        let page = browser.get(path);
        let csp = page
            .header("content-security-policy")
            .unwrap_or_else(|| panic!("{path}: no CSP"));
        assert_mentions(csp, &["default-src 'self'", "frame-ancestors 'none'"]);
        assert!(!csp.contains("unsafe-inline"), "{csp}");
        assert_eq!(page.header("x-content-type-options"), Some("nosniff"));
        assert_eq!(page.header("referrer-policy"), Some("same-origin"));
        assert!(
            page.header("content-type")
                .is_some_and(|t| t.starts_with("text/html")),
            "{path}"
        );
        assert!(
            !page.text.contains("<script>"),
            "no inline script on {path}"
        );
    }
    let missing = browser.get("/admin/nowhere");
    assert_eq!(missing.status, 404);
    assert!(missing.text.contains("Not found"));
    let css = browser.get("/admin/static/admin.css");
    assert_eq!(css.status, 200);
    assert!(
        css.header("content-type")
            .is_some_and(|t| t.starts_with("text/css"))
    );
    assert!(css.header("etag").is_some());
}

#[test]
fn without_sign_in_configured_the_admin_explains_the_setup() {
    let app = spawn_app();
    let browser = Browser::new(&app);
    let page = browser.follow(&browser.get("/admin"));
    page.assert_shows(200, "Sign-in is not set up yet");
    assert!(
        page.text
            .contains(&format!("{}/admin/callback", app.address))
    );
    assert!(page.text.contains("dashboard.client_id"));
    assert!(
        !page.text.contains("Sign in as Manager"),
        "no dev sign-in without --dev"
    );
    assert_eq!(
        browser
            .post("/admin/dev-login", &[("role", "manager")])
            .status,
        404
    );
}

#[test]
fn dev_mode_offers_sign_in_buttons_and_says_so_on_every_page() {
    let app = spawn_tweaked_app(|settings| {
        settings.development = true;
    });
    let browser = Browser::new(&app);
    let login = browser.get("/admin/login");
    assert!(login.text.contains("Sign in as Manager") && login.text.contains("Sign in as Barista"));
    assert!(login.text.contains("Development mode"));
    assert!(
        !login.text.contains("start the server with"),
        "no advice to start what runs"
    );

    let foreign = browser.post_from(
        "http://evil.example",
        "/admin/dev-login",
        &[("role", "manager")],
    );
    assert_eq!(foreign.status, 403, "dev sign-in is same-origin only");
    let signed_in = browser.post(
        "/admin/dev-login",
        &[("role", "barista"), ("next", "/admin/activity")],
    );
    assert_eq!(signed_in.status, 303, "{}", signed_in.text);
    assert_eq!(signed_in.header("location"), Some("/admin/activity"));
    for path in ["/admin", "/admin/activity", "/admin/drinks/new"] {
        let page = browser.get(path);
        assert!(page.text.contains("Development mode"), "{path} says so");
    }
    assert!(browser.get("/admin").text.contains("Development Barista"));
    assert_eq!(
        browser.get("/admin/drinks/new").status,
        403,
        "a barista is a barista"
    );
}

/// The fills of the cup labelled `label` in `html`, from the top of the cup
/// down: by each layer's position, not by its order in the markup.
fn cup_layers_top_down(html: &str, label: &str) -> Vec<String> {
    let start = html
        .find(&format!("aria-label=\"{label}\""))
        .unwrap_or_else(|| panic!("no cup labelled {label:?}"));
    let end = start + html[start..].find("</svg>").expect("the cup's end");
    let rect = regex::Regex::new(
        r#"<rect x="0" y="([0-9.]+)" width="100" height="[0-9.]+" fill="([^"]+)"/>"#,
    )
    .expect("regex");
    let mut layers: Vec<(f64, String)> = rect
        .captures_iter(&html[start..end])
        .map(|found| (found[1].parse().expect("y"), found[2].to_owned()))
        .collect();
    layers.sort_by(|a, b| a.0.total_cmp(&b.0));
    layers.into_iter().map(|(_, fill)| fill).collect()
}

#[test]
fn cups_draw_the_first_ingredient_on_top_as_the_mobile_app_does() {
    let provider = OidcProvider::start();
    let app = spawn_dashboard(&provider);
    let token = api_token(&provider, "auth0|x", MANAGER);
    let created = app
        .post(
            "/drinks",
            Some(&token),
            &json!({"title": "Two Layers", "recipe": [
                {"name": "foam", "color": "#fffaf0", "parts": 1},
                {"name": "espresso", "color": "#3b1f0e", "parts": 3}
            ]}),
        )
        .assert_ok();
    let id = created["drinks"][0]["id"].as_i64().expect("id");
    let browser = Browser::new(&app);
    browser.sign_in(&provider, manager());

    let menu = browser.get("/admin").text;
    assert_eq!(
        cup_layers_top_down(&menu, "A cup of Two Layers"),
        ["#fffaf0", "#3b1f0e"],
        "the menu card"
    );
    let editor = browser.get(&format!("/admin/drinks/{id}/edit")).text;
    assert_eq!(
        cup_layers_top_down(&editor, "Preview, top first: foam 1 part, espresso 3 parts"),
        ["#fffaf0", "#3b1f0e"],
        "the editor's server-rendered preview"
    );
    assert!(editor.contains("top layer first"), "the editor's hint");
}

#[test]
fn the_callback_never_shows_the_words_of_a_link_it_did_not_start() {
    let (provider, _app, browser) = dashboard();
    let lure =
        "error=access_denied&error_description=Your%20account%20is%20locked.%20Call%20555-0100";

    // A forged link, without this browser's sign-in: the usual expiry page.
    let forged = browser.get(&format!("/admin/callback?{lure}"));
    forged.assert_shows(400, "expired or was already used");
    assert!(!forged.text.contains("555-0100"), "{}", forged.text);

    // A real sign-in that comes back with `query` instead of a code.
    let come_back_with = |query: &str| {
        provider.sign_in_as(manager());
        let start = browser.get("/admin/login/start");
        browser.follow(&start);
        let state = provider.last_authorize()["state"].clone();
        browser.get(&format!("/admin/callback?state={state}&{query}"))
    };

    // The provider's own refusal of a real sign-in: a fixed message.
    let refused = come_back_with(lure);
    refused.assert_shows(400, "did not complete the sign-in");
    assert!(!refused.text.contains("555-0100"), "{}", refused.text);

    // The provider failing (not the person stopping) is a bad gateway.
    let failed = come_back_with("error=server_error");
    assert_eq!(failed.status, 502, "{}", failed.text);
}

#[test]
fn a_next_with_control_characters_or_spaces_falls_back_to_the_menu() {
    let (provider, _app, browser) = dashboard();
    for next in [
        "/admin%0d%0aSet-Cookie:%20x=1",
        "/admin/activity%20x",
        "/admin%7f",
    ] {
        provider.sign_in_as(manager());
        let start = browser.get(&format!("/admin/login/start?next={next}"));
        assert_eq!(start.status, 303, "{}", start.text);
        let at_provider = browser.follow(&start);
        let landed = browser.follow(&at_provider);
        assert_eq!(landed.status, 303, "{next}: {}", landed.text);
        assert_eq!(landed.header("location"), Some("/admin"), "{next}");
        assert_eq!(browser.get("/admin").status, 200, "signed in");
    }
}

#[test]
fn an_id_token_for_several_audiences_needs_this_client_as_its_authorized_party() {
    let (provider, _app, browser) = dashboard();
    provider.add_to_id_token(json!({"aud": [CLIENT_ID, "another-client"]}));
    provider.sign_in_as(manager());
    let start = browser.get("/admin/login/start");
    let refused = browser.follow(&browser.follow(&start));
    refused.assert_shows(502, "azp");

    provider.add_to_id_token(json!({"azp": "another-client"}));
    provider.sign_in_as(manager());
    let start = browser.get("/admin/login/start");
    let refused = browser.follow(&browser.follow(&start));
    assert_eq!(
        refused.status, 502,
        "issued to another client: {}",
        refused.text
    );

    provider.add_to_id_token(json!({"azp": CLIENT_ID}));
    let landed = browser.sign_in(&provider, manager());
    assert_eq!(landed.header("location"), Some("/admin"));
}

fn port_of(app: &TestApp) -> String {
    app.address.rsplit(':').next().expect("a port").to_owned()
}

#[test]
fn a_dns_rebinding_page_cannot_reach_a_development_server() {
    let app = spawn_tweaked_app(|settings| settings.development = true);
    let port = port_of(&app);
    let evil = format!("evil.example:{port}");
    let browser = Browser::new(&app);
    let rebound = browser.post_rebound(
        &format!("http://{evil}"),
        &evil,
        "/admin/dev-login",
        &[("role", "manager")],
    );
    assert_eq!(rebound.status, 403, "{}", rebound.text);
    assert!(rebound.header_values("set-cookie").is_empty(), "no session");
    let forwarded = format!("localhost:{port}");
    for headers in [
        vec![("Host", evil.as_str())],
        vec![
            ("Host", evil.as_str()),
            ("X-Forwarded-Host", forwarded.as_str()),
        ],
    ] {
        app.request("GET", "/drinks", &headers, None)
            .assert_error(403);
    }

    let local = format!("localhost:{port}");
    let signed_in = browser.post_rebound(
        &format!("http://{local}"),
        &local,
        "/admin/dev-login",
        &[("role", "manager")],
    );
    assert_eq!(
        signed_in.status, 303,
        "localhost is this machine: {}",
        signed_in.text
    );
}

#[test]
fn the_origin_is_compared_with_the_server_and_never_with_the_host_header() {
    let (_provider, app, browser) = signed_in_dashboard(manager());
    let csrf = browser.csrf_token();
    let port = port_of(&app);
    let evil = format!("evil.example:{port}");
    let form = drink_form(&csrf, "Rebound", &[("espresso", "brown", "1")], "save");
    let before = drink_count(&app);
    let rebound = browser.post_rebound(&format!("http://{evil}"), &evil, "/admin/drinks", &form);
    assert_eq!(rebound.status, 403, "{}", rebound.text);
    let wrong_scheme =
        browser.post_from(&format!("https://127.0.0.1:{port}"), "/admin/drinks", &form);
    assert_eq!(wrong_scheme.status, 403, "the scheme counts too");
    assert_eq!(drink_count(&app), before, "nothing was created");
    let same_site = browser.post("/admin/drinks", &form);
    assert_eq!(same_site.status, 303, "{}", same_site.text);
}

#[test]
fn a_flood_of_started_sign_ins_cannot_lock_a_manager_out() {
    let (provider, app, browser) = dashboard();
    provider.sign_in_as(manager());
    let start = browser.get("/admin/login/start");
    let at_provider = browser.follow(&start);

    // 5,000 unauthenticated starts from elsewhere while the manager is at
    // the provider (the old shared map held 1,000).
    std::thread::scope(|scope| {
        for _ in 0..4 {
            scope.spawn(|| {
                let attacker = Browser::new(&app);
                for _ in 0..1250 {
                    let started = attacker.get("/admin/login/start");
                    assert_eq!(started.status, 303, "{}", started.text);
                }
            });
        }
    });
    let landed = browser.follow(&at_provider);
    assert_eq!(landed.status, 303, "{}", landed.text);
    assert_eq!(browser.get("/admin").status, 200, "signed in");
}

fn session_count(app: &TestApp) -> i64 {
    app.database().scalar("SELECT count(*) FROM sessions")
}

#[test]
fn a_development_session_ends_when_the_server_restarts_without_dev() {
    let app = spawn_tweaked_app(|settings| settings.development = true);
    let browser = Browser::new(&app);
    let signed_in = browser.post("/admin/dev-login", &[("role", "manager")]);
    assert_eq!(signed_in.status, 303, "{}", signed_in.text);
    assert_eq!(browser.get("/admin").status, 200);
    let session = browser.cookie("coffee_session").expect("a session");

    let (mut settings, jwks, dir) = app.stop();
    settings.development = false;
    let app = spawn_app_with(settings, jwks, dir);
    let returning = Browser::new(&app);
    returning.set_cookie("coffee_session", &session);
    let page = returning.get("/admin");
    assert_eq!(page.status, 303, "signed out: {}", page.text);
    assert!(
        page.header("location")
            .is_some_and(|l| l.starts_with("/admin/login")),
        "{:?}",
        page.header("location")
    );
}

#[test]
fn signing_in_again_ends_the_browsers_previous_session() {
    let (provider, app, browser) = signed_in_dashboard(manager());
    let first = browser.cookie("coffee_session").expect("a session");
    browser.sign_in(&provider, manager());
    let second = browser.cookie("coffee_session").expect("a session");
    assert_ne!(first, second, "a new id at every sign-in");
    assert_eq!(session_count(&app), 1, "the previous session was ended");
    let stale = Browser::new(&app);
    stale.set_cookie("coffee_session", &first);
    assert_eq!(stale.get("/admin").status, 303, "the old id is signed out");
    assert_eq!(browser.get("/admin").status, 200);
}

#[test]
fn a_session_ends_when_its_signing_key_leaves_the_key_set() {
    let (provider, _app, browser) = signed_in_dashboard_with(manager(), |settings| {
        settings.auth.refresh_interval_secs = 1;
    });
    assert_eq!(browser.get("/admin").status, 200);
    provider.rotate_keys();
    assert!(
        wait_until(Duration::from_secs(15), || browser.get("/admin").status
            != 200),
        "the session outlived its key"
    );
    assert_eq!(browser.get("/admin").status, 303, "signed out");
}
