//! The binary itself: subcommands, config errors and graceful shutdown.

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use coffee_shop_testkit::{ServerProcess, free_port};

use crate::helpers::*;

/// Serves `command` (env set by the caller) on a free loopback port, with
/// its output captured, once it answers /healthz.
fn serve(mut command: Command) -> ServerProcess {
    command.stdout(Stdio::piped()).stderr(Stdio::piped());
    let served = ServerProcess::spawn(command);
    assert!(
        served.answers("/healthz", 200, Duration::from_secs(10)),
        "the binary serves"
    );
    served
}

fn plain_agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .new_agent()
}

/// `coffee-shop import [FLAGS] FILE` into the app's database.
fn import_into(app: &TestApp, file: &Path, flags: &[&str]) -> (Output, String, String) {
    let dir = file.parent().expect("the file's folder");
    run(coffee_shop(dir)
        .arg("import")
        .args(flags)
        .arg(file)
        .envs(app.database_env()))
}

fn run(command: &mut Command) -> (Output, String, String) {
    let output = command.output().expect("runs");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    (output, stdout, stderr)
}

#[test]
fn version_and_help() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (output, stdout, _) = run(coffee_shop(dir.path()).arg("--version"));
    assert!(output.status.success());
    assert!(stdout.contains(env!("CARGO_PKG_VERSION")), "{stdout}");
    let (output, stdout, _) = run(coffee_shop(dir.path()).arg("--help"));
    assert!(output.status.success());
    for word in ["serve", "migrate", "--config"] {
        assert!(stdout.contains(word), "{stdout}");
    }
}

#[test]
fn migrate_creates_the_database_and_is_idempotent() {
    let dir = tempfile::tempdir().expect("temp dir");
    for _ in 0..2 {
        let (output, stdout, stderr) = run(coffee_shop(dir.path())
            .arg("migrate")
            .env("COFFEE_SHOP__DATABASE__PATH", "data/menu.db"));
        assert!(output.status.success(), "{stderr}");
        assert!(
            stdout.contains(&format!(
                "schema version {}",
                coffee_shop::db::migrations::LATEST_VERSION
            )),
            "{stdout}"
        );
    }
    let conn = Stored::file(&dir.path().join("data/menu.db"));
    let drinks: i64 = conn.scalar("SELECT count(*) FROM drinks");
    assert!(drinks > 0, "a new database gets the sample menu once");
    let water: String = conn.scalar("SELECT title FROM drinks WHERE id = 1");
    assert_eq!(water, "water");
}

#[test]
fn invalid_configuration_stops_start_up_naming_the_key() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (output, _, stderr) =
        run(coffee_shop(dir.path()).env("COFFEE_SHOP__SERVER__BIND", "nonsense"));
    assert!(!output.status.success());
    assert!(stderr.contains("server.bind"), "{stderr}");

    let file = dir.path().join("custom.toml");
    std::fs::write(&file, "[auth]\nissuer = \"http://idp.example.com/\"\n").expect("write");
    let (output, _, stderr) = run(coffee_shop(dir.path()).arg("--config").arg(&file));
    assert!(!output.status.success());
    assert_mentions(&stderr, &["auth.issuer", "https"]);

    std::fs::write(&file, "[server]\nbnid = \"127.0.0.1:1\"\n").expect("write");
    let (output, _, stderr) = run(coffee_shop(dir.path()).env("COFFEE_SHOP_CONFIG", &file));
    assert!(!output.status.success());
    assert!(stderr.contains("bnid"), "a misspelt key is named: {stderr}");

    let (output, _, stderr) = run(coffee_shop(dir.path())
        .arg("--config")
        .arg(dir.path().join("missing.toml")));
    assert!(!output.status.success());
    assert!(stderr.contains("missing.toml"), "{stderr}");
}

#[test]
fn serve_is_the_default_and_stops_cleanly_on_sigterm() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut command = coffee_shop(dir.path());
    command.stdout(Stdio::null()).stderr(Stdio::null());
    let mut server = ServerProcess::spawn(command);
    assert!(
        server.answers("/drinks", 200, Duration::from_secs(10)),
        "the server answers /drinks with its embedded defaults"
    );
    assert!(
        dir.path().join("coffee-shop.db").is_file(),
        "database created in the working directory"
    );

    server.request_stop();
    let status = server.exit_within(Duration::from_secs(15));
    assert!(status.is_some(), "stops after SIGTERM");
    assert!(
        status.is_some_and(|s| s.success()),
        "exit status {status:?}"
    );
}

#[test]
fn healthcheck_exits_0_only_when_the_server_answers() {
    let app = spawn_app();
    let dir = tempfile::tempdir().expect("temp dir");
    let port = app.address.rsplit(':').next().expect("port");
    let (output, _, stderr) = run(coffee_shop(dir.path())
        .arg("healthcheck")
        .env("COFFEE_SHOP__SERVER__BIND", format!("0.0.0.0:{port}")));
    assert!(output.status.success(), "{stderr}");

    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let (output, _, stderr) = run(coffee_shop(dir.path())
        .arg("healthcheck")
        .env("COFFEE_SHOP__SERVER__BIND", format!("127.0.0.1:{closed}")));
    assert!(!output.status.success());
    assert!(stderr.contains("/healthz"), "{stderr}");
}

#[test]
fn backup_during_writes_is_consistent_and_never_overwrites_by_accident() {
    let (app, token) = spawn_app_as(MANAGER);
    let dir = tempfile::tempdir().expect("temp dir");
    let copy = dir.path().join("menu-backup.db");
    let backup = |force: bool| {
        let mut command = coffee_shop(dir.path());
        command.arg("backup").arg(&copy).envs(app.database_env());
        if force {
            command.arg("--force");
        }
        run(&mut command)
    };

    let (output, stdout, stderr) = std::thread::scope(|scope| {
        let writer = scope.spawn(|| {
            for i in 0..40 {
                let body = serde_json::json!({"title": format!("During Backup {i}"), "recipe": [{"name": "m", "color": "red", "parts": 1}]});
                app.post("/drinks", Some(&token), &body).assert_ok();
            }
        });
        let result = backup(false);
        writer.join().expect("writer");
        result
    });
    assert!(output.status.success(), "{stderr}");
    assert!(stdout.contains("menu-backup.db"), "{stdout}");

    let conn = Stored::file(&copy);
    let integrity: String = conn.scalar("PRAGMA integrity_check");
    assert_eq!(integrity, "ok");
    let drinks: i64 = conn.scalar("SELECT count(*) FROM drinks");
    let created: i64 = conn.scalar("SELECT count(*) FROM activity WHERE action = 'create'");
    let sample: i64 = app
        .database()
        .scalar("SELECT count(*) FROM drinks WHERE title NOT LIKE 'During Backup %'");
    assert_eq!(
        drinks,
        sample + created,
        "a snapshot: every drink has its activity row"
    );
    drop(conn);

    let (output, _, stderr) = backup(false);
    assert!(!output.status.success());
    assert!(stderr.contains("--force"), "{stderr}");
    let (output, _, stderr) = backup(true);
    assert!(output.status.success(), "{stderr}");
}

#[test]
fn sigterm_lets_a_request_in_flight_finish_then_closes_the_database() {
    use std::io::{Read, Write};
    let dir = tempfile::tempdir().expect("temp dir");
    let (mut command, jwks) = coffee_shop_with_provider(dir.path());
    command.stdout(Stdio::null()).stderr(Stdio::null());
    let mut server = ServerProcess::spawn(command);
    let port = server.port;
    assert!(server.answers("/readyz", 200, Duration::from_secs(10)));

    let token = keys()[0].sign(&serde_json::json!({
        "iss": jwks.issuer(), "sub": "auth0|closing", "aud": AUDIENCE,
        "exp": now() + 600, "permissions": MANAGER,
    }));
    let body =
        r#"{"title": "Last Order", "recipe": [{"name": "milk", "color": "white", "parts": 1}]}"#;
    let (first_half, second_half) = body.split_at(body.len() / 2);
    let mut in_flight = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connects");
    write!(
        in_flight,
        "POST /drinks HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{first_half}",
        body.len()
    )
    .expect("sends half the request");
    std::thread::sleep(Duration::from_millis(300));

    server.request_stop();
    assert!(
        wait_until(Duration::from_secs(5), || {
            std::net::TcpStream::connect(("127.0.0.1", port)).is_err()
        }),
        "no new connections are accepted after SIGTERM"
    );

    in_flight
        .write_all(second_half.as_bytes())
        .expect("sends the rest");
    let mut answer = String::new();
    in_flight.read_to_string(&mut answer).expect("reads");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains("Last Order"), "{answer}");

    let status = server.exit_within(Duration::from_secs(15));
    assert!(status.is_some());
    assert!(status.is_some_and(|s| s.success()), "exit {status:?}");
    let database = dir.path().join("coffee-shop.db");
    assert!(
        !dir.path().join("coffee-shop.db-wal").exists(),
        "the database was closed cleanly (WAL checkpointed and removed)"
    );
    let conn = Stored::file(&database);
    let stored: i64 = conn.scalar("SELECT count(*) FROM drinks WHERE title = 'Last Order'");
    assert_eq!(stored, 1, "the request finished during shutdown was saved");
}

#[test]
fn json_logs_have_one_object_per_request_with_its_id_and_never_the_token() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (mut command, jwks) = coffee_shop_with_provider(dir.path());
    command
        .env("RUST_LOG", "info")
        .env("COFFEE_SHOP__LOG__FORMAT", "json");
    let served = serve(command);
    let token = keys()[0].sign(&serde_json::json!({
        "iss": jwks.issuer(), "sub": "auth0|logged", "aud": AUDIENCE,
        "exp": now() + 600, "permissions": MANAGER,
    }));
    let response = plain_agent()
        .get(&served.url("/drinks-detail?secret=query"))
        .header("Authorization", &format!("Bearer {token}"))
        .header("X-Request-Id", "trace-me-7")
        .call()
        .expect("answers");
    assert_eq!(response.status(), 200);
    let (status, _, stderr) = served.terminate_with_output();
    assert!(status.success());
    assert!(!stderr.contains(&token), "the token is never logged");
    assert!(!stderr.contains("secret=query"), "nor the query string");
    let lines: Vec<serde_json::Value> = stderr
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|_| panic!("not JSON: {line}")))
        .collect();
    let request = lines
        .iter()
        .find(|line| line["path"] == "/drinks-detail")
        .unwrap_or_else(|| panic!("a request line in {stderr}"));
    assert_eq!(request["status"], 200);
    assert_eq!(request["method"], "GET");
    assert_eq!(request["span"]["id"], "trace-me-7");
    assert!(request["latency_ms"].is_string());
}

fn bearer_request(url: &str, method: &str, token: &str, body: Option<&str>) -> u16 {
    let request = ureq::http::Request::builder()
        .method(method)
        .uri(url)
        .header("Authorization", format!("Bearer {token}"))
        .header("Content-Type", "application/json")
        .body(body.unwrap_or_default().to_owned())
        .expect("request");
    plain_agent()
        .run(request)
        .expect("answers")
        .status()
        .as_u16()
}

fn dev_token(dir: &Path, role: &str) -> String {
    let (output, stdout, stderr) =
        run(coffee_shop(dir).args(["dev-token", "--role", role, "--ttl", "10m"]));
    assert!(output.status.success(), "{stderr}");
    stdout.trim().to_owned()
}

#[test]
fn the_banner_says_where_things_are_and_what_to_do_next() {
    let dir = tempfile::tempdir().expect("temp dir");
    let served = serve(coffee_shop(dir.path()));
    let port = served.port;
    let (status, stdout, _) = served.terminate_with_output();
    assert!(status.success());
    for expected in [
        format!("http://127.0.0.1:{port}/drinks"),
        format!("http://127.0.0.1:{port}/admin"),
        "coffee-shop.db".to_owned(),
        "not configured".to_owned(),
        "AUTH0_DOMAIN".to_owned(),
        "serve --dev".to_owned(),
    ] {
        assert!(
            stdout.contains(&expected),
            "{expected} missing from:\n{stdout}"
        );
    }
}

#[test]
fn dev_mode_trusts_dev_tokens_with_their_roles() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut command = coffee_shop(dir.path());
    command.args(["serve", "--dev"]);
    let served = serve(command);
    let manager = dev_token(dir.path(), "manager");
    let barista = dev_token(dir.path(), "barista");
    let body =
        r#"{"title": "Dev Latte", "recipe": [{"name": "milk", "color": "white", "parts": 1}]}"#;
    assert_eq!(
        bearer_request(&served.url("/drinks"), "POST", &manager, Some(body)),
        200
    );
    assert_eq!(
        bearer_request(&served.url("/drinks-detail"), "GET", &barista, None),
        200
    );
    assert_eq!(
        bearer_request(&served.url("/drinks"), "POST", &barista, Some(body)),
        403
    );
    assert_eq!(
        bearer_request(
            &served.url("/drinks/1"),
            "PATCH",
            &manager,
            Some(r#"{"title": "Still Water"}"#)
        ),
        200
    );
    let (status, stdout, stderr) = served.terminate_with_output();
    assert!(status.success());
    assert!(stdout.contains("DEVELOPMENT MODE"), "{stdout}");
    assert!(
        stderr.contains("DEVELOPMENT MODE"),
        "the log says so too: {stderr}"
    );
    let key = dir.path().join("coffee-shop.db.dev-key.pem");
    assert!(key.is_file(), "the key sits next to the database");
}

#[test]
fn without_dev_a_dev_token_is_refused_like_a_forgery() {
    let dir = tempfile::tempdir().expect("temp dir");
    let jwks = JwksServer::start(&[&keys()[0]]);
    let manager = dev_token(dir.path(), "manager");
    let mut command = coffee_shop(dir.path());
    with_provider(&mut command, &jwks);
    let served = serve(command);
    let body = r#"{"title": "Sneaky", "recipe": [{"name": "milk", "color": "white", "parts": 1}]}"#;
    assert_eq!(
        bearer_request(&served.url("/drinks"), "POST", &manager, Some(body)),
        401
    );
    assert_eq!(
        bearer_request(&served.url("/drinks-detail"), "GET", &manager, None),
        401
    );
    let (status, _, _) = served.terminate_with_output();
    assert!(status.success());
    let conn = Stored::file(&dir.path().join("coffee-shop.db"));
    let sneaky: i64 = conn.scalar("SELECT count(*) FROM drinks WHERE title = 'Sneaky'");
    assert_eq!(sneaky, 0);
}

#[test]
fn dev_mode_refuses_a_public_bind_address() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (output, _, stderr) = run(coffee_shop(dir.path()).args(["serve", "--dev"]).env(
        "COFFEE_SHOP__SERVER__BIND",
        format!("0.0.0.0:{}", free_port()),
    ));
    assert!(!output.status.success());
    assert_mentions(&stderr, &["--dev refuses", "loopback"]);
    assert!(
        !dir.path().join("coffee-shop.db.dev-key.pem").exists(),
        "refused before making anything"
    );
}

fn signed(jwks: &JwksServer, changes: serde_json::Value) -> String {
    let mut claims = serde_json::json!({
        "iss": jwks.issuer(), "sub": "auth0|inspected", "aud": AUDIENCE,
        "iat": now(), "exp": now() + 600, "permissions": MANAGER,
    });
    for (key, value) in changes.as_object().expect("object") {
        claims[key] = value.clone();
    }
    keys()[0].sign(&claims)
}

/// The binary in `dir`, checking tokens against a new loopback provider.
fn coffee_shop_with_provider(dir: &Path) -> (Command, JwksServer) {
    let jwks = JwksServer::start(&[&keys()[0]]);
    let mut command = coffee_shop(dir);
    with_provider(&mut command, &jwks);
    (command, jwks)
}

fn with_provider<'a>(command: &'a mut Command, jwks: &JwksServer) -> &'a mut Command {
    command
        .env("COFFEE_SHOP__AUTH__ISSUER", jwks.issuer())
        .env("COFFEE_SHOP__AUTH__JWKS_URL", jwks.jwks_url())
}

#[test]
fn token_inspect_decodes_without_trusting_and_reads_stdin() {
    let dir = tempfile::tempdir().expect("temp dir");
    let jwks = JwksServer::start(&[&keys()[0]]);
    let expired = signed(&jwks, serde_json::json!({"exp": now() - 7200}));
    let (output, stdout, stderr) =
        run(coffee_shop(dir.path()).args(["token", "inspect", &expired]));
    assert!(output.status.success(), "{stderr}");
    assert!(stdout.contains("NOT VERIFIED"), "{stdout}");
    assert!(stdout.contains("auth0|inspected"), "{stdout}");
    // A second may pass between signing and inspecting: "2h ago" or "2h 1s ago".
    assert!(
        regex::Regex::new(r"2h( [0-9]+s)? ago")
            .expect("a pattern")
            .is_match(&stdout),
        "expiry relative to now: {stdout}"
    );

    let mut child = coffee_shop(dir.path())
        .args(["token", "inspect"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("starts");
    use std::io::Write;
    let mut stdin = child.stdin.take().expect("stdin");
    writeln!(stdin, "Bearer {expired}").expect("writes");
    drop(stdin);
    let output = child.wait_with_output().expect("exits");
    assert!(output.status.success());
    assert!(String::from_utf8_lossy(&output.stdout).contains("auth0|inspected"));

    let (output, _, stderr) = run(coffee_shop(dir.path()).args(["token", "inspect", "not-a-jwt"]));
    assert!(!output.status.success());
    assert!(stderr.contains("3 dot-separated parts"), "{stderr}");
}

#[test]
fn token_verify_prints_permissions_or_exactly_why_not() {
    let dir = tempfile::tempdir().expect("temp dir");
    let jwks = JwksServer::start(&[&keys()[0]]);
    let verify = |token: &str| {
        run(with_provider(&mut coffee_shop(dir.path()), &jwks).args(["token", "verify", token]))
    };

    let (output, stdout, stderr) = verify(&signed(&jwks, serde_json::json!({})));
    assert!(output.status.success(), "{stderr}");
    assert_mentions(&stdout, &["VALID", "post:drinks"]);

    let (output, _, stderr) = verify(&signed(&jwks, serde_json::json!({"aud": "other-api"})));
    assert!(!output.status.success());
    assert_mentions(&stderr, &["INVALID", "aud is \"other-api\""]);

    let (output, _, stderr) = verify(&signed(&jwks, serde_json::json!({"exp": now() - 3600})));
    assert!(!output.status.success());
    assert_mentions(&stderr, &["Token expired", "it expired"]);

    let (output, _, stderr) = verify(&keys()[1].sign(&serde_json::json!({
        "iss": jwks.issuer(), "sub": "x", "aud": AUDIENCE, "exp": now() + 600,
    })));
    assert!(!output.status.success());
    assert!(
        stderr.contains("Unable to find the appropriate key"),
        "{stderr}"
    );

    let dev = dev_token(dir.path(), "manager");
    let (output, _, stderr) = verify(&dev);
    assert!(
        !output.status.success(),
        "a dev token is not trusted without --dev"
    );
    assert!(stderr.contains("urn:coffee-shop:development"), "{stderr}");
    let (output, stdout, stderr) =
        run(with_provider(&mut coffee_shop(dir.path()), &jwks)
            .args(["token", "verify", "--dev", &dev]));
    assert!(output.status.success(), "{stderr}");
    assert!(stdout.contains("dev|manager"), "{stdout}");
}

#[test]
fn check_config_shows_the_effective_settings_and_tries_the_keys() {
    let dir = tempfile::tempdir().expect("temp dir");
    let jwks = JwksServer::start(&[&keys()[0], &keys()[1]]);
    let (output, stdout, stderr) = run(with_provider(&mut coffee_shop(dir.path()), &jwks)
        .arg("check-config")
        .env("COFFEE_SHOP__SERVER__WORKERS", "3"));
    assert!(output.status.success(), "{stderr}");
    assert!(stdout.contains("workers = 3"), "{stdout}");
    assert!(stdout.contains(&jwks.issuer()), "{stdout}");
    assert!(stdout.contains("2 usable RS256 key(s)"), "{stdout}");

    let closed = format!("http://127.0.0.1:{}/jwks.json", free_port());
    let (output, _, stderr) = run(coffee_shop(dir.path())
        .arg("check-config")
        .env("COFFEE_SHOP__AUTH__ISSUER", jwks.issuer())
        .env("COFFEE_SHOP__AUTH__JWKS_URL", &closed));
    assert!(!output.status.success());
    assert!(stderr.contains(&closed), "{stderr}");

    let (output, _, stderr) = run(coffee_shop(dir.path())
        .arg("check-config")
        .env("COFFEE_SHOP__AUTH__LEEWAY_SECS", "100000"));
    assert!(!output.status.success());
    assert!(stderr.contains("auth.leeway_secs"), "{stderr}");
}

fn menu_titles(app: &TestApp) -> Vec<String> {
    app.get("/drinks", None).assert_ok()["drinks"]
        .as_array()
        .expect("drinks")
        .iter()
        .map(|d| d["title"].as_str().expect("title").to_owned())
        .collect()
}

fn activity_rows(conn: &Stored) -> i64 {
    conn.scalar("SELECT count(*) FROM activity")
}

#[test]
fn export_then_import_round_trips_and_never_overwrites_by_accident() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (output, stdout, stderr) = run(coffee_shop(dir.path()).arg("export"));
    assert!(output.status.success(), "{stderr}");
    let exported: serde_json::Value = serde_json::from_str(&stdout).expect("JSON on stdout");
    let count = exported["drinks"].as_array().expect("drinks").len();
    assert!(count > 0 && exported["drinks"][0]["recipe"][0]["name"].is_string());

    let file = dir.path().join("menu.json");
    let (output, _, stderr) = run(coffee_shop(dir.path()).arg("export").arg(&file));
    assert!(output.status.success(), "{stderr}");
    let (output, _, stderr) = run(coffee_shop(dir.path()).arg("export").arg(&file));
    assert!(
        !output.status.success() && stderr.contains("--force"),
        "{stderr}"
    );

    let (output, stdout, stderr) = run(coffee_shop(dir.path()).arg("import").arg(&file));
    assert!(output.status.success(), "{stderr}");
    assert!(
        stdout.contains(&format!(
            "0 created, 0 updated, {count} unchanged, 0 deleted"
        )),
        "{stdout}"
    );
}

#[test]
fn a_bad_menu_file_names_the_drink_and_field_and_changes_nothing() {
    let app = spawn_app();
    let conn = app.database();
    let titles_before = menu_titles(&app);
    let activity_before = activity_rows(&conn);
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("bad.json");
    std::fs::write(
        &file,
        serde_json::json!({"drinks": [
            {"title": "Brand New", "recipe": [{"name": "milk", "color": "white", "parts": 1}]},
            {"title": "Evil", "recipe": [{"name": "ink", "color": "red;background:url(x)", "parts": 1}]},
        ]})
        .to_string(),
    )
    .expect("write");
    let (output, _, stderr) = import_into(&app, &file, &["--replace"]);
    assert!(!output.status.success());
    assert_mentions(&stderr, &["drink 2 (\"Evil\")", "color"]);
    assert!(stderr.contains("nothing changed"), "{stderr}");

    std::fs::write(&file, "{not json").expect("write");
    let (output, _, stderr) = import_into(&app, &file, &[]);
    assert!(!output.status.success());
    assert!(stderr.contains("is not JSON"), "{stderr}");

    assert_eq!(menu_titles(&app), titles_before);
    assert_eq!(activity_rows(&conn), activity_before);
}

#[test]
fn import_replace_reaches_the_running_server_with_activity_rows() {
    let app = spawn_app();
    assert!(
        !menu_titles(&app).is_empty(),
        "the sample menu is served first"
    );
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("autumn.json");
    std::fs::write(
        &file,
        serde_json::json!([
            {"title": "Pumpkin Latte", "recipe": [{"name": "pumpkin", "color": "#e07b00", "parts": 1}, {"name": "milk", "color": "white", "parts": 3}]},
            {"title": "Chai", "recipe": [{"name": "chai", "color": "rgb(150, 90, 40)", "parts": 1}]},
        ])
        .to_string(),
    )
    .expect("write");
    let (output, stdout, stderr) = import_into(&app, &file, &["--replace"]);
    assert!(output.status.success(), "{stderr}");
    assert!(stdout.contains("2 created"), "{stdout}");

    let mut titles = Vec::new();
    let seen = wait_until(Duration::from_secs(5), || {
        titles = menu_titles(&app);
        titles == ["Pumpkin Latte", "Chai"]
    });
    assert!(
        seen,
        "the running server serves the imported menu: {titles:?}"
    );
    let imported: i64 = app
        .database()
        .scalar("SELECT count(*) FROM activity WHERE actor = 'coffee-shop import'");
    assert!(
        imported >= 3,
        "creates and deletes are in the activity log: {imported}"
    );
}

#[test]
fn check_config_never_prints_the_client_secret() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (output, stdout, stderr) = run(coffee_shop(dir.path())
        .arg("check-config")
        .env("COFFEE_SHOP__DASHBOARD__CLIENT_ID", "dashboard")
        .env(
            "COFFEE_SHOP__DASHBOARD__CLIENT_SECRET",
            "hunter2-very-secret",
        ));
    assert!(output.status.success(), "{stderr}");
    assert!(
        !stdout.contains("hunter2") && !stderr.contains("hunter2"),
        "{stdout}"
    );
    assert!(
        stdout.contains("client_secret = \"<redacted>\""),
        "{stdout}"
    );
    assert!(stdout.contains("client_id = \"dashboard\""), "{stdout}");
}
