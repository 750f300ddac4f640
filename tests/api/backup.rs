//! Backups against real parts: the scheduler writing a real SQLite file's
//! snapshots, a real S3-compatible server (moto) on loopback, and the
//! binary's `backup`, `backups` and `restore` commands.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use coffee_shop::backup::remote::RemoteStore;
use coffee_shop::config::Settings;
use coffee_shop_testkit::{S3Server, free_port};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::helpers::*;
use crate::oidc::*;

const BUCKET: &str = "cafe-backups";
const PREFIX: &str = "shop-1/";

/// Backups every `interval`, `keep` of them, copied to `s3` (moto on `port`).
fn scheduled(settings: &mut Settings, interval: Duration, keep: u32, port: u16) {
    settings.backup.interval = Some(interval);
    settings.backup.keep = keep;
    let s3 = &mut settings.backup.s3;
    s3.bucket = Some(BUCKET.into());
    s3.endpoint = Some(format!("http://127.0.0.1:{port}"));
    s3.prefix = PREFIX.into();
    s3.path_style = true;
    s3.access_key_id = Some(secret("test-key"));
    s3.secret_access_key = Some(secret("test-secret"));
}

fn secret(value: &str) -> coffee_shop::config::Secret {
    serde_json::from_value(Value::String(value.into())).expect("a secret")
}

/// The binary in `dir`, with `RUST_LOG=warn`.
fn binary_in(dir: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_coffee-shop"));
    command.env_clear().current_dir(dir).env("RUST_LOG", "warn");
    command
}

/// `binary_in(dir)` with the bucket on moto's `port`.
fn binary_with_bucket(dir: &Path, port: u16) -> Command {
    let mut command = binary_in(dir);
    command
        .env("COFFEE_SHOP__BACKUP__S3__BUCKET", BUCKET)
        .env(
            "COFFEE_SHOP__BACKUP__S3__ENDPOINT",
            format!("http://127.0.0.1:{port}"),
        )
        .env("COFFEE_SHOP__BACKUP__S3__PREFIX", PREFIX)
        .env("COFFEE_SHOP__BACKUP__S3__PATH_STYLE", "true")
        .env("AWS_ACCESS_KEY_ID", "test-key")
        .env("AWS_SECRET_ACCESS_KEY", "test-secret");
    command
}

fn run(command: &mut Command) -> (Output, String) {
    let output = command.output().expect("the binary runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output, text)
}

/// The backups in `dir`, oldest first.
fn local_backups(dir: &Path) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| entries.filter_map(Result::ok).map(|e| e.path()).collect())
        .unwrap_or_default();
    found.retain(|path| path.to_string_lossy().ends_with(".db.gz"));
    found.sort();
    found
}

fn sha256_hex(bytes: &[u8]) -> String {
    coffee_shop::hex::lower_hex(&Sha256::digest(bytes))
}

/// The bucket as the server sees it (moto lets only the uploader read).
fn bucket(settings: &Settings) -> RemoteStore {
    RemoteStore::from_settings(&settings.backup.s3)
        .expect("usable settings")
        .expect("a bucket")
}

fn remote_names(settings: &Settings) -> Vec<String> {
    bucket(settings)
        .list()
        .map(|backups| {
            backups
                .into_iter()
                .filter(|b| b.has_manifest)
                .map(|b| b.name)
                .collect()
        })
        .unwrap_or_default()
}

fn readiness_backup(app: &TestApp) -> String {
    let body = app.get("/readyz", None).json();
    body["checks"]["backup"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

#[test]
fn scheduled_backups_reach_the_bucket_checked_and_both_sides_are_pruned() {
    let port = free_port();
    let _s3 = S3Server::start(port, BUCKET);
    let app = spawn_tweaked_app(|settings| scheduled(settings, Duration::from_secs(1), 2, port));
    let dir = app.db_path.parent().expect("folder").join("backups");
    let name_of = |path: &PathBuf| {
        path.file_name()
            .expect("a name")
            .to_string_lossy()
            .into_owned()
    };
    let mut made = std::collections::BTreeSet::new();
    let enough = wait_until(Duration::from_secs(40), || {
        made.extend(local_backups(&dir).iter().map(name_of));
        let here: Vec<String> = local_backups(&dir).iter().map(name_of).collect();
        made.len() >= 4
            && here.len() == 2
            && remote_names(&app.settings) == here
            && readiness_backup(&app).ends_with(", uploaded.")
    });
    assert!(
        enough,
        "made {made:?}; here {:?}; in the bucket {:?}",
        local_backups(&dir),
        remote_names(&app.settings)
    );
    // More than `keep` were made, and both sides hold the newest two: pruned.

    let newest = local_backups(&dir).pop().expect("a backup");
    let manifest: Value = serde_json::from_slice(
        &std::fs::read(format!("{}.json", newest.display())).expect("its manifest"),
    )
    .expect("json");
    let local = std::fs::read(&newest).expect("the backup");
    assert_eq!(manifest["sha256"], sha256_hex(&local));
    assert_eq!(
        manifest["schema_version"],
        coffee_shop::db::migrations::LATEST_VERSION
    );
    // The bucket's copy is the same file.
    let fetched = tempfile::tempdir().expect("temp dir");
    let name = newest
        .file_name()
        .expect("a name")
        .to_string_lossy()
        .into_owned();
    let copy = bucket(&app.settings)
        .download(&name, fetched.path())
        .expect("the bucket serves it");
    assert_eq!(
        sha256_hex(&std::fs::read(copy).expect("the copy")),
        manifest["sha256"]
    );
}

#[test]
fn a_bucket_that_is_down_is_retried_while_serving_goes_on() {
    let port = free_port();
    let app = spawn_tweaked_app(|settings| scheduled(settings, Duration::from_secs(2), 3, port));
    let dir = app.db_path.parent().expect("folder").join("backups");
    assert!(
        wait_until(Duration::from_secs(15), || readiness_backup(&app)
            .starts_with("failing:")),
        "{}",
        readiness_backup(&app)
    );
    assert!(
        readiness_backup(&app).contains("cannot reach the bucket"),
        "{}",
        readiness_backup(&app)
    );
    assert_eq!(
        app.get("/readyz", None).status,
        200,
        "backups never make the server unready"
    );
    for _ in 0..20 {
        let started = std::time::Instant::now();
        app.get("/drinks", None).assert_ok();
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "serving never waits for the bucket"
        );
    }
    assert!(!local_backups(&dir).is_empty(), "the local copy is kept");

    let _s3 = S3Server::start(port, BUCKET);
    assert!(
        wait_until(Duration::from_secs(30), || readiness_backup(&app)
            .ends_with(", uploaded.")),
        "{}",
        readiness_backup(&app)
    );
    assert!(
        !remote_names(&app.settings).is_empty(),
        "uploaded once the bucket was back"
    );
}

#[test]
fn wrong_credentials_are_a_clear_error_in_the_log_and_on_the_backup_line() {
    let port = free_port();
    // moto checks credentials after creating the bucket; it knows none.
    let _s3 = S3Server::start_with(port, BUCKET, &[("INITIAL_NO_AUTH_ACTION_COUNT", "1")]);
    let dir = tempfile::tempdir().expect("temp dir");
    let log = dir.path().join("server.log");
    let banner = dir.path().join("banner.txt");
    let mut command = binary_with_bucket(dir.path(), port);
    command
        .env("COFFEE_SHOP__BACKUP__INTERVAL", "1s")
        // Everything, even the signing library's detail: the secret is in none of it.
        .env("RUST_LOG", "trace")
        .stdout(std::fs::File::create(&banner).expect("banner file"))
        .stderr(std::fs::File::create(&log).expect("log file"));
    let server = coffee_shop_testkit::ServerProcess::spawn(command);
    assert!(server.answers("/healthz", 200, Duration::from_secs(15)));
    let line = || -> String {
        let mut answer = ureq::get(&server.url("/readyz"))
            .config()
            .http_status_as_error(false)
            .build()
            .call()
            .expect("readyz");
        let body: Value = answer.body_mut().read_json().expect("json");
        body["checks"]["backup"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    };
    assert!(
        wait_until(Duration::from_secs(20), || line()
            .contains("InvalidAccessKeyId")),
        "{}",
        line()
    );
    assert!(line().starts_with("failing:"), "{}", line());
    let logged = std::fs::read_to_string(&log).expect("the log");
    assert_mentions(
        &logged,
        &["uploading the backup failed", "InvalidAccessKeyId"],
    );
    assert!(
        !logged.contains("test-secret"),
        "the secret is never logged"
    );
    let banner = std::fs::read_to_string(&banner).expect("the banner");
    assert!(
        banner
            .contains("Backups    every 1s to backups (keep 28), and to s3://cafe-backups/shop-1/"),
        "the banner says where backups go: {banner}"
    );
    assert!(!banner.contains("test-secret"), "nor is it printed");
}

#[test]
fn restore_from_the_bucket_into_an_empty_folder_serves_the_same_menu() {
    let port = free_port();
    let _s3 = S3Server::start(port, BUCKET);
    let app = spawn_tweaked_app(|settings| scheduled(settings, Duration::from_secs(3600), 5, port));
    let token = app.token(MANAGER);
    app.post(
        "/drinks",
        Some(&token),
        &json!({"title": "Restored Mocha", "recipe": [{"name": "mocha", "color": "brown", "parts": 1}]}),
    )
    .assert_ok();
    let menu = app.get("/drinks", None).assert_ok();
    let source = app.db_path.parent().expect("folder").to_owned();
    let (made, text) = run(binary_with_bucket(&source, port).args(["backup", "--upload"]));
    assert!(made.status.success(), "{text}");
    assert!(
        text.contains("uploaded to s3://cafe-backups/shop-1/"),
        "{text}"
    );

    let empty = tempfile::tempdir().expect("temp dir");
    let (listed, text) = run(binary_with_bucket(empty.path(), port).arg("backups"));
    assert!(listed.status.success(), "{text}");
    assert!(text.contains("checked at upload"), "{text}");
    let (restored, text) = run(binary_with_bucket(empty.path(), port).args(["restore", "latest"]));
    assert!(restored.status.success(), "{text}");
    assert!(text.contains("checksum ok, integrity ok"), "{text}");

    let mut settings = app.settings.clone();
    settings.database.path = empty.path().join("coffee-shop.db");
    settings.backup.interval = None;
    let jwks = JwksServer::start(&[&keys()[0]]);
    let there = spawn_app_with(settings, jwks, std::sync::Arc::new(empty));
    assert_eq!(
        there.get("/drinks", None).assert_ok(),
        menu,
        "the same menu"
    );
}

#[test]
fn a_damaged_backup_is_refused_and_the_database_left_as_it_was() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (migrated, text) = run(binary_in(dir.path()).arg("migrate"));
    assert!(migrated.status.success(), "{text}");
    let (made, text) = run(binary_in(dir.path()).args(["backup"]));
    assert!(made.status.success(), "{text}");
    let backup = local_backups(&dir.path().join("backups"))
        .pop()
        .expect("a backup");
    let mut bytes = std::fs::read(&backup).expect("read");
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x01;
    std::fs::write(&backup, bytes).expect("flip a byte");
    let database = dir.path().join("coffee-shop.db");
    let before = std::fs::read(&database).expect("the database");

    let (listed, text) = run(binary_in(dir.path()).arg("backups"));
    assert!(listed.status.success(), "{text}");
    assert!(text.contains("DAMAGED"), "{text}");
    let name = backup
        .file_name()
        .expect("a name")
        .to_string_lossy()
        .into_owned();
    let (refused, text) = run(binary_in(dir.path()).args(["restore", &name]));
    assert!(!refused.status.success());
    assert_mentions(&text, &["is damaged", "Nothing was restored"]);
    assert_eq!(
        std::fs::read(&database).expect("the database"),
        before,
        "untouched"
    );
}

#[test]
fn restore_is_refused_while_a_server_uses_the_database() {
    let app = spawn_app();
    let dir = app.db_path.parent().expect("folder").to_owned();
    let copy = dir.join("copy.db");
    let (made, text) = run(binary_in(&dir).args(["backup", copy.to_str().expect("utf-8")]));
    assert!(made.status.success(), "{text}");
    let before = std::fs::read(&app.db_path).expect("the database");
    let (refused, text) = run(binary_in(&dir).args(["restore", "copy.db"]));
    assert!(!refused.status.success());
    assert_mentions(&text, &["is using", "stop it first"]);
    assert_eq!(
        std::fs::read(&app.db_path).expect("the database"),
        before,
        "untouched"
    );
    app.get("/drinks", None).assert_ok();

    // Stopped, it restores, and keeps the database it replaced.
    let (_settings, _jwks, _dir) = app.stop();
    let (restored, text) = run(binary_in(&dir).args(["restore", "copy.db"]));
    assert!(restored.status.success(), "{text}");
    assert!(
        text.contains("no manifest, so no checksum to check"),
        "{text}"
    );
    let replaced: Vec<String> = std::fs::read_dir(&dir)
        .expect("the folder")
        .filter_map(Result::ok)
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with("coffee-shop.db.replaced-"))
        .collect();
    assert_eq!(
        replaced.len(),
        1,
        "the replaced database is kept: {replaced:?}"
    );
    assert!(text.contains(&replaced[0]), "and named: {text}");
}

#[test]
fn managers_download_a_fresh_backup_that_passes_integrity_check() {
    let (_provider, app, browser) = signed_in_dashboard(User::new("auth0|m", "Mo", MANAGER));
    let download = browser.get("/admin/backup");
    assert_eq!(download.status, 200);
    assert!(
        download
            .header("content-disposition")
            .is_some_and(|value| value.starts_with("attachment") && value.contains(".db")),
        "{:?}",
        download.header("content-disposition")
    );
    assert_eq!(download.header("cache-control"), Some("no-store"));
    let file = app.db_path.parent().expect("folder").join("downloaded.db");
    std::fs::write(&file, &download.bytes).expect("save it");
    let conn = Stored::file(&file);
    let verdict: String = conn.scalar("PRAGMA integrity_check");
    assert_eq!(verdict, "ok");
    let drinks: i64 = conn.scalar("SELECT count(*) FROM drinks");
    assert_eq!(drinks, 7, "the sample menu");

    let (_provider, _app, barista) = signed_in_dashboard(User::new("auth0|b", "Bo", BARISTA));
    assert_eq!(barista.get("/admin/backup").status, 403);
}

/// The size of every file in `dir`, and how many there are.
fn folder_size(dir: &Path) -> (u64, usize) {
    let sizes: Vec<u64> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter_map(|entry| entry.metadata().ok())
                .map(|metadata| metadata.len())
                .collect()
        })
        .unwrap_or_default();
    (sizes.iter().sum(), sizes.len())
}

#[test]
fn a_long_run_keeps_the_database_backups_and_memory_bounded() {
    // Compressed time: a backup a second, three kept, a menu capped at 40,
    // and writers that never stop creating (and deleting every other drink).
    let dir = tempfile::tempdir().expect("temp dir");
    let jwks = JwksServer::start(&[&keys()[0]]);
    let mut command = coffee_shop_testkit::process::command_for(
        Path::new(env!("CARGO_BIN_EXE_coffee-shop")),
        &dir.path().join("coffee-shop.db"),
        &jwks,
    );
    command
        .env("COFFEE_SHOP__BACKUP__INTERVAL", "1s")
        .env("COFFEE_SHOP__BACKUP__KEEP", "3")
        .env("COFFEE_SHOP__MENU__MAX_DRINKS", "40");
    let server = coffee_shop_testkit::ServerProcess::spawn(command);
    assert!(server.answers("/readyz", 200, Duration::from_secs(15)));
    let token = keys()[0].sign(&json!({
        "iss": jwks.issuer(), "sub": "auth0|long-run", "aud": "bar",
        "exp": now() + 3600, "permissions": MANAGER,
    }));
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let backups = dir.path().join("backups");
    let database = dir.path().join("coffee-shop.db");
    let mut samples = Vec::new();
    let (mut created, mut refused) = (0, 0);
    let started = std::time::Instant::now();
    let mut round = 0;
    while started.elapsed() < Duration::from_secs(16) {
        round += 1;
        let body = json!({"title": format!("Long Run {round}"), "recipe": [{"name": "milk", "color": "white", "parts": 1}]});
        let mut answer = agent
            .post(&server.url("/drinks"))
            .header("Authorization", format!("Bearer {token}"))
            .header("Content-Type", "application/json")
            .send(body.to_string())
            .expect("the server answers");
        match answer.status().as_u16() {
            200 => {
                created += 1;
                let drink: Value = answer.body_mut().read_json().expect("json");
                if round % 2 == 0 {
                    let id = drink["drinks"][0]["id"].as_i64().expect("an id");
                    let deleted = agent
                        .delete(&server.url(&format!("/drinks/{id}")))
                        .header("Authorization", format!("Bearer {token}"))
                        .call()
                        .expect("delete");
                    assert_eq!(deleted.status().as_u16(), 200);
                }
            }
            409 => refused += 1,
            other => panic!("unexpected {other}"),
        }
        if round % 200 == 0 {
            let wal =
                std::fs::metadata(dir.path().join("coffee-shop.db-wal")).map_or(0, |m| m.len());
            let database_bytes = std::fs::metadata(&database).map_or(0, |m| m.len()) + wal;
            samples.push((
                server.memory_kb("VmRSS"),
                folder_size(&backups),
                database_bytes,
            ));
        }
    }
    assert!(
        created > 40 && refused > 0,
        "the cap was reached: {created} created, {refused} refused"
    );
    let drinks: Value = agent
        .get(&server.url("/drinks"))
        .call()
        .expect("menu")
        .body_mut()
        .read_json()
        .expect("json");
    assert!(
        drinks["drinks"].as_array().expect("drinks").len() <= 40,
        "the menu holds at most its cap"
    );
    assert!(samples.len() >= 4, "enough samples: {samples:?}");
    let half = samples.len() / 2;
    let (first_memory, last_memory) = (samples[half].0, samples[samples.len() - 1].0);
    assert!(
        last_memory < first_memory + 8 * 1024,
        "memory grew from {first_memory} KB to {last_memory} KB: {samples:?}"
    );
    for (_, (bytes, files), database_bytes) in &samples {
        assert!(
            *files <= 2 * (3 + 1) + 2,
            "at most the three kept and a new one, with manifests (the prune follows the \
             backup), and two files being written: {files}"
        );
        assert!(
            *bytes < 3 * 1024 * 1024,
            "the backups stay small: {bytes} bytes"
        );
        assert!(
            *database_bytes < 16 * 1024 * 1024,
            "the database stays bounded: {database_bytes} bytes"
        );
    }
    let (_, files) = folder_size(&backups);
    assert!(files >= 2, "backups were made: {files} files");
}

#[test]
fn an_older_backup_is_migrated_forward_on_restore() {
    let dir = tempfile::tempdir().expect("temp dir");
    let older = dir.path().join("older.db");
    let mut conn = rusqlite::Connection::open(&older).expect("open");
    let previous = coffee_shop::db::migrations::LATEST_VERSION - 1;
    coffee_shop::db::migrations::migrations(true)
        .to_version(&mut conn, previous)
        .expect("a database of the release before");
    drop(conn);
    let (restored, text) = run(binary_in(dir.path()).args(["restore", "older.db"]));
    assert!(restored.status.success(), "{text}");
    let latest = coffee_shop::db::migrations::LATEST_VERSION;
    assert!(
        text.contains(&format!("schema {previous} → {latest}")),
        "{text}"
    );
    let conn = Stored::file(&dir.path().join("coffee-shop.db"));
    let version: i64 = conn.scalar("PRAGMA user_version");
    assert_eq!(version, latest as i64);
}
