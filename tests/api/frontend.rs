//! `[frontend] dir`: a web build served at `/` without shadowing the server.

use crate::helpers::*;

fn spawn_with_frontend() -> TestApp {
    spawn_tweaked_app(|settings| {
        let dir = settings.database.path.parent().expect("the app's temp dir");
        let www = dir.join("www");
        std::fs::create_dir_all(www.join("assets")).expect("www");
        std::fs::write(
            www.join("index.html"),
            "<!doctype html><title>Coffee app</title>",
        )
        .expect("index");
        std::fs::write(www.join("assets/app.js"), "console.log('app')").expect("js");
        std::fs::write(www.join(".env"), "SECRET=1").expect("hidden");
        std::fs::write(dir.join("outside.txt"), "outside").expect("outside");
        settings.frontend.dir = Some(www);
    })
}

#[test]
fn files_and_client_routes_are_served() {
    let app = spawn_with_frontend();
    let index = app.get("/", None);
    assert_eq!(index.status, 200);
    assert!(index.text.contains("Coffee app"));
    assert!(
        index
            .header("content-type")
            .is_some_and(|t| t.starts_with("text/html"))
    );
    let script = app.get("/assets/app.js", None);
    assert_eq!(script.status, 200);
    assert!(script.text.contains("console.log"));
    let route = app.get("/tabs/drink-menu", None);
    assert_eq!(route.status, 200, "a client-side route gets index.html");
    assert!(route.text.contains("Coffee app"));
}

#[test]
fn the_frontend_answers_head_like_get() {
    let app = spawn_with_frontend();
    for path in ["/", "/index.html", "/assets/app.js", "/tabs/drink-menu"] {
        let get = app.get(path, None);
        let head = app.request("HEAD", path, &[], None);
        assert_eq!(head.status, 200, "{path}");
        assert!(head.bytes.is_empty(), "{path}: HEAD has no body");
        for name in ["content-length", "content-type", "etag"] {
            assert_eq!(head.header(name), get.header(name), "{path}: {name}");
        }
    }
}

#[test]
fn the_server_routes_are_never_shadowed() {
    let app = spawn_with_frontend();
    assert!(app.get("/drinks", None).assert_ok()["drinks"].is_array());
    assert_eq!(app.get("/healthz", None).assert_ok()["status"], "alive");
    app.get("/drinks-detail", None).assert_error(401);
    app.get("/drinks/999", None).assert_error(401);
    let admin = app.get("/admin/nowhere", None);
    assert_eq!(admin.status, 404, "the admin pages' own 404");
    assert!(
        !admin.text.contains("Coffee app"),
        "not the frontend's index.html"
    );
    app.get("/assets/missing.js", None).assert_error(404);
    let posted = app.send(
        "POST",
        "/tabs/x",
        None,
        Some(("application/json", "{}".into())),
    );
    assert!(
        posted.status == 404 || posted.status == 405,
        "{}",
        posted.status
    );
    assert_eq!(posted.json()["success"], false);
}

#[test]
fn hidden_files_and_paths_outside_the_folder_are_refused() {
    let app = spawn_with_frontend();
    for path in [
        "/.env",
        "/../outside.txt",
        "/%2e%2e/outside.txt",
        "/assets/..%2f..%2foutside.txt",
    ] {
        let response = app.get(path, None);
        assert!(!response.text.contains("SECRET"), "{path}");
        assert!(
            !response.text.contains("outside") || response.status >= 400,
            "{path}: {}",
            response.text
        );
        assert_ne!(response.status, 500, "{path}");
    }
}

#[test]
fn symlinks_never_lead_outside_the_folder() {
    let app = spawn_tweaked_app(|settings| {
        let dir = settings.database.path.parent().expect("the app's temp dir");
        let www = dir.join("www");
        std::fs::create_dir_all(&www).expect("www");
        std::fs::write(www.join("index.html"), "<title>Coffee app</title>").expect("index");
        std::fs::write(www.join("real.txt"), "inside").expect("inside");
        std::fs::write(dir.join("secret.txt"), "the owner's secret").expect("outside");
        std::os::unix::fs::symlink(dir.join("secret.txt"), www.join("link.txt")).expect("link");
        std::os::unix::fs::symlink(dir, www.join("up")).expect("dir link");
        std::os::unix::fs::symlink(www.join("real.txt"), www.join("alias.txt")).expect("alias");
        settings.frontend.dir = Some(www);
    });
    for path in ["/link.txt", "/up/secret.txt"] {
        let response = app.get(path, None);
        assert!(
            !response.text.contains("the owner's secret"),
            "{path} leaked: {}",
            response.text
        );
        response.assert_error(404);
    }
    let alias = app.get("/alias.txt", None);
    assert_eq!(alias.status, 200, "a link that stays inside is served");
    assert_eq!(alias.text, "inside");
}
