//! A chain: several servers on one PostgreSQL database (the cluster
//! `scripts/with-postgres.sh` runs). Changes made through one are served by
//! the others within a second, edits of one drink from two servers meet a
//! single winner, a sign-in may finish on any server, servers starting
//! together migrate once, and a database that goes away costs writes, never
//! the menu, and comes back by itself.

use std::process::Command;
use std::time::{Duration, Instant};

use coffee_shop::config::{DatabaseUrl, PublicUrl, Settings};
use coffee_shop_testkit::{Relay, TestCluster};
use serde_json::{Value, json};

use crate::helpers::*;
use crate::oidc::{Browser, OidcProvider, User, spawn_dashboard_with};

/// An app on the PostgreSQL database at `url`, with `tweak` applied.
fn server_on(url: &str, tweak: impl FnOnce(&mut Settings)) -> TestApp {
    let url = DatabaseUrl::parse(url).expect("a database URL");
    spawn_tweaked_app(|settings| {
        settings.database.url = Some(url);
        tweak(settings);
    })
}

fn drink(title: &str) -> Value {
    json!({"title": title, "recipe": [{"name": "milk", "color": "white", "parts": 1}]})
}

fn titles(app: &TestApp) -> Vec<String> {
    each(&app.get("/drinks", None).assert_ok()["drinks"], "title")
        .into_iter()
        .map(str::to_owned)
        .collect()
}

fn output_of(command: &mut Command) -> (bool, String) {
    let output = command.output().expect("runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

#[test]
fn a_change_through_one_server_is_served_by_another_within_a_second() {
    let url = TestCluster::get().new_database();
    let first = server_on(&url, |_| {});
    let second = server_on(&url, |_| {});
    let token = first.token(MANAGER);
    assert_eq!(titles(&first), titles(&second), "one menu");
    // Warm the second server's cache, so it has something to keep stale.
    let _ = titles(&second);

    let mut slowest = Duration::ZERO;
    for round in 0..5 {
        let title = format!("Chain Special {round}");
        first
            .post("/drinks", Some(&token), &drink(&title))
            .assert_ok();
        let written = Instant::now();
        assert!(
            titles(&first).contains(&title),
            "the writing server never serves an older menu than its own write"
        );
        let seen = wait_until(Duration::from_secs(3), || titles(&second).contains(&title));
        let took = written.elapsed();
        assert!(seen, "round {round}: the other server never served {title}");
        slowest = slowest.max(took);
    }
    println!("a change reached the other server in at most {slowest:?}");
    assert!(
        slowest < Duration::from_secs(1),
        "seen by the other server within a second: {slowest:?}"
    );
}

#[test]
fn two_managers_on_two_servers_editing_one_drink_meet_exactly_one_winner() {
    let url = TestCluster::get().new_database();
    let first = server_on(&url, |_| {});
    let second = server_on(&url, |_| {});
    for round in 0..5 {
        let drink_etag = first
            .get("/drinks/1", Some(&first.token(BARISTA)))
            .header("etag")
            .map(str::to_owned)
            .expect("an ETag");
        let patch = |app: &TestApp, title: String| -> u16 {
            let token = app.token(MANAGER);
            app.request(
                "PATCH",
                "/drinks/1",
                &[
                    ("Authorization", &format!("Bearer {token}")),
                    ("If-Match", &drink_etag),
                    ("Content-Type", "application/json"),
                ],
                Some(json!({"title": title}).to_string().into_bytes()),
            )
            .status
        };
        let edits: Vec<u16> = std::thread::scope(|scope| {
            let a = scope.spawn(|| patch(&first, format!("First's Water {round}")));
            let b = scope.spawn(|| patch(&second, format!("Second's Water {round}")));
            vec![a.join().expect("first"), b.join().expect("second")]
        });
        let mut sorted = edits.clone();
        sorted.sort_unstable();
        assert_eq!(
            sorted,
            [200, 412],
            "round {round}: one wins, one is refused"
        );
    }
    let updates: i64 = first
        .database()
        .scalar("SELECT count(*) FROM activity WHERE action = 'update' AND drink_id = 1");
    assert_eq!(updates, 5, "one activity row per winning edit");
}

#[test]
fn servers_starting_together_on_an_empty_database_migrate_and_seed_once() {
    let url = TestCluster::get().new_database();
    let servers: Vec<TestApp> = std::thread::scope(|scope| {
        let starts: Vec<_> = (0..3)
            .map(|_| scope.spawn(|| server_on(&url, |_| {})))
            .collect();
        starts
            .into_iter()
            .map(|start| start.join().expect("a server starts"))
            .collect()
    });
    let stored = servers[0].database();
    let versions: i64 = stored.scalar("SELECT count(*) FROM schema_migrations");
    assert_eq!(versions, coffee_shop::db::LATEST_VERSION as i64);
    let water: i64 = stored.scalar("SELECT count(*) FROM drinks WHERE title = 'water'");
    assert_eq!(water, 1, "the sample menu, exactly once");
    let menus: Vec<Vec<String>> = servers.iter().map(titles).collect();
    assert!(menus.windows(2).all(|pair| pair[0] == pair[1]), "{menus:?}");
}

#[test]
fn a_sign_in_started_on_one_server_finishes_on_another_and_the_session_works_on_both() {
    let provider = OidcProvider::start();
    let url = DatabaseUrl::parse(&TestCluster::get().new_database()).expect("a URL");
    // Behind one load balancer both servers have one public address; the
    // provider sends the browser back to it, and it may reach either.
    let public_port = coffee_shop_testkit::free_port();
    let shared = |settings: &mut Settings| {
        settings.database.url = Some(url.clone());
        settings.server.public_url =
            PublicUrl::parse(&format!("http://127.0.0.1:{public_port}")).ok();
        settings.dashboard.cookie_secret = Some(
            serde_json::from_value(json!("a secret every server of the chain shares"))
                .expect("a secret"),
        );
    };
    let first = spawn_dashboard_with(&provider, |settings| {
        shared(settings);
        settings.server.bind = std::net::SocketAddr::from(([127, 0, 0, 1], public_port)).into();
    });
    let second = spawn_dashboard_with(&provider, shared);
    let on_first = Browser::new(&first);
    provider.sign_in_as(User::new("auth0|mia", "Mia Manager", MANAGER));
    let start = on_first.get("/admin/login/start?next=%2Fadmin");
    assert_eq!(start.status, 303, "{}", start.text);
    let at_provider = on_first.follow(&start);
    let callback = at_provider.header("location").expect("back to the café");
    let path = callback
        .split_once(&format!("127.0.0.1:{public_port}"))
        .map(|(_, path)| path.to_owned())
        .expect("the public address");

    let on_second = Browser::new(&second);
    let pending = on_first.cookie("coffee_signin").expect("a pending sign-in");
    on_second.set_cookie("coffee_signin", &pending);
    let finished = on_second.get(&path);
    assert_eq!(
        finished.status, 303,
        "the callback on the other server: {}",
        finished.text
    );
    let session = on_second.cookie("coffee_session").expect("a session");
    // The same callback replayed on the first server: single use, chain-wide.
    let replay = Browser::new(&first);
    replay.set_cookie("coffee_signin", &pending);
    assert_eq!(replay.get(&path).status, 400, "a sign-in finishes once");

    on_first.set_cookie("coffee_session", &session);
    let page = on_first.get("/admin/activity");
    assert_eq!(
        page.status, 200,
        "the session works on the first server: {}",
        page.text
    );
    assert!(page.text.contains("Mia Manager"), "{}", page.text);
    assert_eq!(on_second.get("/admin/activity").status, 200);
}

/// A relay between a server and the database at `url`, and the URL that
/// goes through it (plain TCP: the relay cuts connections, not TLS).
fn relayed(url: &str) -> (Relay, String) {
    let upstream: std::net::SocketAddr = url
        .split_once('@')
        .and_then(|(_, rest)| rest.split_once('/'))
        .map(|(authority, _)| authority.parse().expect("host:port"))
        .expect("the cluster's address");
    let relay = Relay::start(upstream);
    let through = url.replace(&upstream.to_string(), &format!("127.0.0.1:{}", relay.port));
    (relay, format!("{through}?sslmode=disable"))
}

#[test]
fn the_database_going_away_costs_writes_not_the_menu_and_recovery_needs_no_restart() {
    let url = TestCluster::get().new_database();
    let (relay, through_relay) = relayed(&url);
    let app = server_on(&through_relay, |settings| {
        settings.database.connect_timeout_ms = 1000;
    });
    let token = app.token(MANAGER);
    let menu = app.get("/drinks", None).assert_ok();

    relay.cut();
    assert_eq!(
        app.get("/drinks", None).assert_ok(),
        menu,
        "the cached menu is served"
    );
    assert_unavailable(&app.post("/drinks", Some(&token), &drink("Lost In Transit")));
    let ready = app.get("/readyz", None);
    assert_eq!(ready.status, 503, "{}", ready.text);
    assert!(
        ready.json()["checks"]["database"]
            .as_str()
            .is_some_and(|check| check.starts_with("down")),
        "{}",
        ready.text
    );

    relay.restore();
    let recovered = wait_until(Duration::from_secs(15), || {
        app.post("/drinks", Some(&token), &drink("Back Again"))
            .status
            == 200
    });
    assert!(recovered, "writes work again without a restart");
    assert_eq!(app.get("/readyz", None).status, 200);
    let menu_now = titles(&app);
    assert!(menu_now.contains(&"Back Again".to_owned()), "{menu_now:?}");
    assert!(
        !menu_now.contains(&"Lost In Transit".to_owned()),
        "nothing half-written"
    );
    let stray: i64 = app
        .database()
        .scalar("SELECT count(*) FROM activity WHERE drink_title = 'Lost In Transit'");
    assert_eq!(stray, 0);
}

#[test]
fn the_admin_pages_say_503_while_the_database_is_away_and_work_after() {
    let provider = OidcProvider::start();
    let url = TestCluster::get().new_database();
    let (relay, through_relay) = relayed(&url);
    let app = spawn_dashboard_with(&provider, |settings| {
        settings.database.url = DatabaseUrl::parse(&through_relay).ok();
        settings.database.connect_timeout_ms = 1000;
    });
    let browser = Browser::new(&app);
    browser.sign_in(&provider, User::new("auth0|mia", "Mia Manager", MANAGER));
    relay.cut();
    let page = browser.get("/admin/activity");
    assert_eq!(page.status, 503, "{}", page.text);
    assert_mentions(
        &page.text,
        &["cannot be changed right now", "retry shortly"],
    );
    assert!(page.header("retry-after").is_some());
    relay.restore();
    let back = wait_until(Duration::from_secs(15), || {
        browser.get("/admin/activity").status == 200
    });
    assert!(back, "the pages work again without a restart");
}

/// Another session holds the menu's lock, as a stuck transaction would,
/// until the returned sender is dropped or sent to.
fn hold_menu_lock(url: &str) -> (std::sync::mpsc::Sender<()>, std::thread::JoinHandle<()>) {
    let (release, held) = std::sync::mpsc::channel::<()>();
    let (locked, wait_locked) = std::sync::mpsc::channel::<()>();
    let url = url.to_owned();
    let holder = std::thread::spawn(move || {
        let mut client = postgres::Client::connect(&url, postgres::NoTls).expect("connect");
        let mut transaction = client.transaction().expect("begin");
        transaction
            .batch_execute("SELECT * FROM menu_state FOR UPDATE")
            .expect("lock");
        locked.send(()).expect("signal");
        let _ = held.recv();
    });
    wait_locked.recv().expect("locked");
    (release, holder)
}

fn assert_unavailable(refused: &TestResponse) {
    refused.assert_error(503);
    assert_eq!(
        refused.json()["code"],
        "storage_unavailable",
        "{}",
        refused.text
    );
    assert!(
        refused.header("retry-after").is_some(),
        "says when to retry"
    );
}

#[test]
fn a_statement_past_its_timeout_answers_503_not_a_hang() {
    let url = TestCluster::get().new_database();
    let app = server_on(&url, |settings| {
        settings.database.statement_timeout_ms = 300
    });
    let token = app.token(MANAGER);
    let (release, holder) = hold_menu_lock(&url);
    let started = Instant::now();
    assert_unavailable(&app.post("/drinks", Some(&token), &drink("Stuck")));
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    release.send(()).expect("release");
    holder.join().expect("holder");
    app.post("/drinks", Some(&token), &drink("Unstuck"))
        .assert_ok();
}

#[test]
fn no_free_connection_answers_503_not_a_hang() {
    let url = TestCluster::get().new_database();
    let app = server_on(&url, |settings| {
        settings.database.pool_size = 1;
        settings.database.connect_timeout_ms = 500;
    });
    let token = app.token(MANAGER);
    let (release, holder) = hold_menu_lock(&url);
    std::thread::scope(|scope| {
        // This change waits for the lock on the pool's only connection.
        let waiting = scope.spawn(|| app.post("/drinks", Some(&token), &drink("Patient")));
        std::thread::sleep(Duration::from_millis(300));
        let started = Instant::now();
        assert_unavailable(&app.post("/drinks", Some(&token), &drink("Impatient")));
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{:?}",
            started.elapsed()
        );
        release.send(()).expect("release");
        waiting.join().expect("the waiting change").assert_ok();
    });
    holder.join().expect("holder");
}

#[test]
fn a_schema_from_a_newer_release_is_refused() {
    let url = TestCluster::get().new_database();
    let dir = tempfile::tempdir().expect("temp dir");
    let (migrated, text) = output_of(
        coffee_shop(dir.path())
            .arg("migrate")
            .env("DATABASE_URL", &url),
    );
    assert!(migrated, "{text}");
    coffee_shop_testkit::postgres::run_on(
        &url,
        "INSERT INTO schema_migrations (version) VALUES (99)",
    );
    let (migrated, text) = output_of(
        coffee_shop(dir.path())
            .arg("migrate")
            .env("DATABASE_URL", &url),
    );
    assert!(!migrated);
    assert_mentions(&text, &["schema version 99", "newer"]);
}

#[test]
fn tls_modes_password_variable_and_a_password_never_printed() {
    let cluster = TestCluster::get();
    let url = cluster.new_database();
    let dir = tempfile::tempdir().expect("temp dir");
    let (user_part, rest) = url.split_once('@').expect("user@host");
    let (without_password, password) = user_part.rsplit_once(':').expect("user:password");
    let bare = format!("{without_password}@{rest}");
    let migrate = |url: &str, extra: &[(&str, &str)]| {
        output_of(
            coffee_shop(dir.path())
                .arg("migrate")
                .env("COFFEE_SHOP__DATABASE__URL", url)
                .envs(extra.iter().copied()),
        )
    };
    let ca = format!("sslrootcert={}", cluster.ca_file);
    for (query, works) in [
        ("sslmode=disable", true),
        ("sslmode=require", true),
        (&format!("sslmode=verify-full&{ca}") as &str, true),
        // The public web roots do not vouch for a test CA.
        ("sslmode=verify-full", false),
    ] {
        let (ok, text) = migrate(&format!("{url}?{query}"), &[]);
        assert_eq!(ok, works, "{query}: {text}");
        assert!(
            !text.contains(password),
            "{query}: the password is printed: {text}"
        );
    }
    let (ok, text) = migrate(
        &format!("{bare}?sslmode=require"),
        &[("PGPASSWORD", password)],
    );
    assert!(ok, "PGPASSWORD: {text}");
    let (ok, text) = migrate(
        &format!("{bare}?sslmode=require"),
        &[("PGPASSWORD", "wrong")],
    );
    assert!(!ok);
    assert!(text.contains("password"), "names the problem: {text}");
    let (ok, text) = output_of(
        coffee_shop(dir.path())
            .arg("check-config")
            .env("DATABASE_URL", &url),
    );
    assert!(text.contains("***@"), "check-config redacts: {ok} {text}");
    assert!(!text.contains(password), "{text}");
}

#[test]
fn export_from_sqlite_and_import_into_postgres_serves_the_same_menu() {
    let cafe = spawn_tweaked_app(|settings| settings.database.url = None);
    let token = cafe.token(MANAGER);
    cafe.post("/drinks", Some(&token), &drink("House Cortado"))
        .assert_ok();
    cafe.delete("/drinks/2", Some(&token)).assert_ok();
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("menu.json");
    let (exported, text) = output_of(
        coffee_shop(dir.path())
            .arg("export")
            .arg(&file)
            .envs(cafe.database_env()),
    );
    assert!(exported, "{text}");

    let url = TestCluster::get().new_database();
    let (imported, text) = output_of(
        coffee_shop(dir.path())
            .args(["import", "--replace"])
            .arg(&file)
            .env("DATABASE_URL", &url),
    );
    assert!(imported, "{text}");
    let chain = server_on(&url, |_| {});
    let without_ids = |app: &TestApp| -> Vec<Value> {
        let detail = app
            .get("/drinks-detail", Some(&app.token(BARISTA)))
            .assert_ok();
        detail["drinks"]
            .as_array()
            .expect("drinks")
            .iter()
            .map(|drink| json!({"title": drink["title"], "recipe": drink["recipe"]}))
            .collect()
    };
    assert_eq!(without_ids(&chain), without_ids(&cafe));
}

#[test]
fn backup_and_restore_point_to_postgres_own_tools() {
    let url = TestCluster::get().new_database();
    let dir = tempfile::tempdir().expect("temp dir");
    for args in [&["backup", "copy.db"][..], &["restore", "latest"][..]] {
        let (ok, text) = output_of(coffee_shop(dir.path()).args(args).env("DATABASE_URL", &url));
        assert!(!ok, "{args:?}");
        assert_mentions(&text, &["PostgreSQL", "database.url", "pg_dump"]);
    }
    assert!(!dir.path().join("copy.db").exists());
}
