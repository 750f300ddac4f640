//! Slow and abusive clients, and a database that cannot be written: the
//! server keeps answering everyone else, with clear JSON errors.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use serde_json::json;

use crate::helpers::*;

fn spawn_strict_app() -> TestApp {
    spawn_tweaked_app(|settings| {
        settings.server.request_timeout_ms = 1000;
        settings.server.body_timeout_ms = 800;
        settings.server.keep_alive_secs = 1;
        settings.server.max_connections = 16;
    })
}

fn connect(app: &TestApp) -> TcpStream {
    let address = app.address.trim_start_matches("http://");
    let stream = TcpStream::connect(address).expect("connects");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    stream
}

/// Reads until the server closes the connection; returns what it sent.
fn read_until_closed(stream: &mut TcpStream) -> String {
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    String::from_utf8_lossy(&answer).into_owned()
}

#[test]
fn slow_loris_clients_neither_block_others_nor_stay_forever() {
    let app = spawn_strict_app();
    // Far more trickling clients than one worker's connection cap.
    let mut slow: Vec<TcpStream> = (0..40)
        .map(|_| {
            let mut stream = connect(&app);
            stream
                .write_all(b"GET /drinks HTTP/1.1\r\nHost: x\r\n")
                .expect("starts a request");
            stream
        })
        .collect();
    let started = Instant::now();
    for _ in 0..10 {
        let asked = Instant::now();
        app.get("/drinks", None).assert_ok();
        assert!(
            asked.elapsed() < Duration::from_secs(3),
            "a normal request waited {:?}",
            asked.elapsed()
        );
    }
    // Keep trickling one header byte at a time; the server must cut them off.
    let closed_by = Instant::now() + Duration::from_secs(6);
    for stream in &mut slow {
        for _ in 0..3 {
            if stream.write_all(b"X").is_err() {
                break;
            }
        }
    }
    for stream in &mut slow {
        let answer = read_until_closed(stream);
        assert!(
            answer.is_empty() || answer.starts_with("HTTP/1.1 408"),
            "a slow client gets 408 or is dropped: {answer}"
        );
    }
    assert!(
        Instant::now() < closed_by,
        "slow clients were cut off after {:?}",
        started.elapsed()
    );
}

#[test]
fn a_body_that_trickles_in_gets_a_json_408() {
    let app = spawn_strict_app();
    let token = app.token(MANAGER);
    let mut stream = connect(&app);
    write!(
        stream,
        "POST /drinks HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nContent-Length: 200\r\n\r\n{{\"title\": \"Sl"
    )
    .expect("sends part of the body");
    let answer = read_until_closed(&mut stream);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert_mentions(&answer, &["\"success\":false", "\"error\":408"]);
    let stored: i64 = app
        .database()
        .scalar("SELECT count(*) FROM drinks WHERE title LIKE 'Sl%'");
    assert_eq!(stored, 0);
}

#[test]
fn idle_keep_alive_connections_are_closed() {
    let app = spawn_strict_app();
    let mut stream = connect(&app);
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .expect("asks");
    let mut first = [0u8; 512];
    let read = stream.read(&mut first).expect("answers");
    assert!(String::from_utf8_lossy(&first[..read]).starts_with("HTTP/1.1 200"));
    let idle = Instant::now();
    read_until_closed(&mut stream);
    assert!(
        idle.elapsed() < Duration::from_secs(5),
        "closed after {:?}",
        idle.elapsed()
    );
}

/// Runs the binary as `nobody`: root ignores file permissions, and the point
/// is a database file the server cannot write.
#[test]
fn a_read_only_database_refuses_writes_clearly_and_keeps_serving_reads() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");
    std::fs::create_dir(&data).expect("data dir");
    let database = data.join("menu.db");
    let binary = dir.path().join("coffee-shop");
    std::fs::copy(env!("CARGO_BIN_EXE_coffee-shop"), &binary).expect("copy the binary");
    let migrate = std::process::Command::new(&binary)
        .arg("migrate")
        .env_clear()
        .env("COFFEE_SHOP__DATABASE__PATH", &database)
        .output()
        .expect("migrates");
    assert!(migrate.status.success());
    use std::os::unix::fs::PermissionsExt;
    let mode = |path: &std::path::Path, mode: u32| {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod")
    };
    mode(dir.path(), 0o755);
    mode(&binary, 0o755);
    // The folder stays writable (SQLite's -shm lives there); the file does not.
    mode(&data, 0o777);
    mode(&database, 0o444);

    let jwks = JwksServer::start(&[&keys()[0]]);
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("port")
        .port();
    let mut command = if running_as_root() {
        let mut command = std::process::Command::new("setpriv");
        command
            .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(&binary);
        command
    } else {
        std::process::Command::new(&binary)
    };
    let child = command
        .env_clear()
        .env("RUST_LOG", "error")
        .env("COFFEE_SHOP__SERVER__BIND", format!("127.0.0.1:{port}"))
        .env("COFFEE_SHOP__DATABASE__PATH", &database)
        .env("COFFEE_SHOP__AUTH__ISSUER", jwks.issuer())
        .env("COFFEE_SHOP__AUTH__JWKS_URL", jwks.jwks_url())
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("starts");
    let server = StopOnDrop(child);
    let base = format!("http://127.0.0.1:{port}");
    let agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .new_agent();
    let ready = wait_until(Duration::from_secs(10), || {
        agent
            .get(&format!("{base}/readyz"))
            .call()
            .is_ok_and(|r| r.status() == 200)
    });
    {
        assert!(ready, "the server starts on a read-only database");
        let menu = agent.get(&format!("{base}/drinks")).call().expect("reads");
        assert_eq!(menu.status(), 200, "reads keep working");
        let token = keys()[0].sign(&json!({
            "iss": jwks.issuer(), "sub": "auth0|ro", "aud": AUDIENCE,
            "exp": now() + 600, "permissions": MANAGER,
        }));
        let mut refused = agent
            .post(&format!("{base}/drinks"))
            .header("Authorization", &format!("Bearer {token}"))
            .content_type("application/json")
            .send(json!({"title": "Cannot Save", "recipe": [{"name": "x", "color": "red", "parts": 1}]}).to_string())
            .expect("answers");
        assert_eq!(refused.status(), 503);
        let body: serde_json::Value =
            serde_json::from_str(&refused.body_mut().read_to_string().expect("body"))
                .expect("JSON");
        assert_eq!(body["success"], false);
        assert_eq!(body["code"], "storage_read_only");
        assert!(
            body["message"]
                .as_str()
                .is_some_and(|m| m.contains("read-only")),
            "{body}"
        );
        let again = agent.get(&format!("{base}/drinks")).call().expect("reads");
        assert_eq!(again.status(), 200, "still serving the menu");
    }
    drop(server);
    mode(&database, 0o644);
    let conn = rusqlite::Connection::open(&database).expect("opens");
    let (drinks, activity): (i64, i64) = conn
        .query_row(
            "SELECT (SELECT count(*) FROM drinks WHERE title = 'Cannot Save'), (SELECT count(*) FROM activity)",
            [],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .expect("counts");
    assert_eq!((drinks, activity), (0, 0), "nothing half-written");
}

/// Stops the server (SIGTERM) when the test ends, passed or not.
struct StopOnDrop(std::process::Child);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        let _ = std::process::Command::new("kill")
            .args(["-TERM", &self.0.id().to_string()])
            .status();
        let _ = self.0.wait();
    }
}

/// Whether the tests run as root (then the binary is started as nobody).
fn running_as_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|line| line.starts_with("Uid:"))
                .and_then(|line| line.split_whitespace().nth(1).map(|uid| uid == "0"))
        })
        .unwrap_or(false)
}
