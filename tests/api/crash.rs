//! Crash safety: the binary is killed with SIGKILL in the middle of
//! concurrent creates, updates and deletes, several times, and restarted;
//! on PostgreSQL too, and there, separately, the database server itself is
//! restarted (immediate shutdown: in-flight transactions die) under load.
//! Every write that was acknowledged must be there with its content,
//! nothing that failed may be half-applied, and the activity log must
//! agree with the drinks table. `COFFEE_SHOP_BINARY` picks the binary
//! (scripts/test.sh points it at the release build).
//!
//! The tests named `on_postgres_` restart the shared test cluster, so
//! scripts/test.sh runs them alone, after the others.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use coffee_shop_testkit::process::command_for;
use coffee_shop_testkit::{ServerProcess, TestCluster};

use crate::helpers::*;

const CLIENTS: usize = 4;
const ROUNDS: usize = 4;

fn binary() -> PathBuf {
    std::env::var_os("COFFEE_SHOP_BINARY")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_coffee-shop")))
}

/// Where the crashing servers keep the menu.
enum Target {
    /// A SQLite file, in a temp dir.
    File(tempfile::TempDir),
    /// A new database on the test cluster.
    Postgres(String),
}

impl Target {
    fn file() -> Self {
        Target::File(tempfile::tempdir().expect("temp dir"))
    }

    fn postgres() -> Self {
        Target::Postgres(TestCluster::get().new_database())
    }

    fn stored(&self) -> Stored {
        match self {
            Target::File(dir) => Stored::file(&dir.path().join("crash.db")),
            Target::Postgres(url) => Stored::Postgres(url.clone()),
        }
    }
}

fn start(target: &Target, jwks: &JwksServer) -> ServerProcess {
    let (dir, url) = match target {
        Target::File(dir) => (dir.path().to_owned(), None),
        Target::Postgres(url) => (std::env::temp_dir(), Some(url)),
    };
    let mut command = command_for(&binary(), &dir.join("crash.db"), jwks);
    if let Some(url) = url {
        command.env("COFFEE_SHOP__DATABASE__URL", url);
    }
    command
        .env("RUST_LOG", "error")
        .env("COFFEE_SHOP__SERVER__WORKERS", "2")
        // Every drink then has its activity rows, which the test checks.
        .env("COFFEE_SHOP__DATABASE__SAMPLE_MENU", "false")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    ServerProcess::spawn(command)
}

/// What the client knows about one of its drinks.
#[derive(Default, Clone)]
struct Known {
    id: Option<i64>,
    /// The long form last acknowledged (`None`: deleted, or never created).
    acknowledged: Option<Value>,
    /// A change whose answer never came: its result, if it happened.
    in_doubt: Option<Option<Value>>,
}

fn recipe(seed: usize) -> Value {
    json!([
        {"name": "espresso", "color": "#3b1f0e", "parts": 1 + seed % 3},
        {"name": format!("milk {seed}"), "color": "white", "parts": 1 + seed % 5},
    ])
}

/// One client: creates drinks, then updates or deletes them, one request
/// at a time, until a request fails (the server was killed).
fn client(
    base: &str,
    token: &str,
    number: usize,
    round: usize,
    drinks: &mut Vec<Known>,
    stop: &AtomicBool,
) {
    let agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(5)))
        .build()
        .new_agent();
    let auth = format!("Bearer {token}");
    let mut step = 0usize;
    while !stop.load(Ordering::Relaxed) {
        step += 1;
        let seed = number * 1000 + round * 100 + step;
        let live: Vec<usize> = (0..drinks.len())
            .filter(|&i| drinks[i].acknowledged.is_some())
            .collect();
        let (index, request, expected) = match (step % 3, live.get(seed % live.len().max(1))) {
            (1, Some(&i)) => {
                let id = drinks[i].id.expect("id");
                let title = format!("C{number} R{round} S{step} upd");
                let body = json!({"title": title, "recipe": recipe(seed)});
                let expected = json!({"id": id, "title": title, "recipe": recipe(seed)});
                let request = agent
                    .patch(&format!("{base}/drinks/{id}"))
                    .header("Authorization", &auth)
                    .content_type("application/json")
                    .send(body.to_string());
                (i, request, Some(expected))
            }
            (2, Some(&i)) => {
                let id = drinks[i].id.expect("id");
                let request = agent
                    .delete(&format!("{base}/drinks/{id}"))
                    .header("Authorization", &auth)
                    .call();
                (i, request, None)
            }
            _ => {
                let title = format!("C{number} R{round} S{step}");
                drinks.push(Known {
                    in_doubt: Some(Some(json!({"title": title, "recipe": recipe(seed)}))),
                    ..Known::default()
                });
                let request = agent
                    .post(&format!("{base}/drinks"))
                    .header("Authorization", &auth)
                    .content_type("application/json")
                    .send(json!({"title": title, "recipe": recipe(seed)}).to_string());
                let index = drinks.len() - 1;
                (index, request, drinks[index].in_doubt.clone().flatten())
            }
        };
        let known = &mut drinks[index];
        known.in_doubt = Some(expected.clone());
        let answer = request
            .ok()
            .filter(|r| r.status().is_success())
            .and_then(|mut r| r.body_mut().read_json::<Value>().ok());
        let Some(answer) = answer else {
            // Killed mid-request: the change may or may not have happened.
            return;
        };
        known.in_doubt = None;
        match expected {
            Some(_) => {
                let drink = answer["drinks"][0].clone();
                known.id = drink["id"].as_i64();
                known.acknowledged = Some(drink);
            }
            None => known.acknowledged = None,
        }
    }
}

/// Drinks by id, in their long form.
type StoredDrinks = HashMap<i64, Value>;
/// The latest activity row of each drink id: its action and `after`.
type LatestActivity = HashMap<i64, (String, Option<Value>)>;

/// Every drink and the latest activity row for each drink id.
fn stored(target: &Target) -> (StoredDrinks, LatestActivity) {
    let database = target.stored();
    if let Stored::Sqlite(_) = database {
        let integrity: String = database.scalar("PRAGMA integrity_check");
        assert_eq!(integrity, "ok");
    }
    let json = |text: &Option<String>| {
        text.as_deref()
            .map(|t| serde_json::from_str::<Value>(t).expect("JSON"))
    };
    let drinks = database
        .rows("SELECT id, title, recipe FROM drinks")
        .iter()
        .map(|row| {
            let id = id_of(&row[0]);
            (
                id,
                json!({"id": id, "title": row[1], "recipe": json(&row[2])}),
            )
        })
        .collect();
    // Rows come oldest first, so the last one per drink stays.
    let latest = database
        .rows("SELECT drink_id, action, after FROM activity ORDER BY id")
        .iter()
        .map(|row| {
            (
                id_of(&row[0]),
                (row[1].clone().unwrap_or_default(), json(&row[2])),
            )
        })
        .collect();
    (drinks, latest)
}

fn id_of(column: &Option<String>) -> i64 {
    column
        .as_deref()
        .and_then(|id| id.parse().ok())
        .expect("an id")
}

fn same_content(a: &Value, b: &Value) -> bool {
    a["title"] == b["title"] && a["recipe"] == b["recipe"]
}

/// How a round of load ends.
#[derive(Clone, Copy)]
enum Crash {
    /// The server is killed with SIGKILL, and started again.
    KillServer,
    /// The database server restarts (immediate shutdown); the server runs on.
    RestartPostgres,
}

#[test]
fn acknowledged_writes_survive_kill_9_and_nothing_is_half_applied() {
    survives(&Target::file(), Crash::KillServer);
}

#[test]
fn on_postgres_acknowledged_writes_survive_kill_9() {
    survives(&Target::postgres(), Crash::KillServer);
}

#[test]
fn on_postgres_acknowledged_writes_survive_a_database_restart() {
    survives(&Target::postgres(), Crash::RestartPostgres);
}

fn survives(target: &Target, crash: Crash) {
    let jwks = JwksServer::start(&[&keys()[0]]);
    let token = keys()[0].sign(&json!({
        "iss": jwks.issuer(), "sub": "auth0|crash", "aud": AUDIENCE,
        "exp": now() + 3600, "permissions": MANAGER,
    }));
    let mut clients: Vec<Vec<Known>> = vec![Vec::new(); CLIENTS];
    let mut acknowledged_writes = 0;
    let mut running = None;
    for round in 0..ROUNDS {
        let server = running.take().unwrap_or_else(|| start(target, &jwks));
        let base = server.url("");
        assert!(server.answers("/readyz", 200, Duration::from_secs(15)));
        let mut server = Some(server);
        let stop = AtomicBool::new(false);
        let killed_at = Instant::now() + Duration::from_millis(600 + 150 * round as u64);
        std::thread::scope(|scope| {
            for (number, drinks) in clients.iter_mut().enumerate() {
                let (base, token, stop) = (&base, &token, &stop);
                scope.spawn(move || client(base, token, number, round, drinks, stop));
            }
            std::thread::sleep(killed_at.saturating_duration_since(Instant::now()));
            match crash {
                Crash::KillServer => server.take().into_iter().for_each(ServerProcess::kill),
                Crash::RestartPostgres => TestCluster::get().ctl("restart -m immediate -w"),
            }
            stop.store(true, Ordering::Relaxed);
        });
        running = server;
        // A killed client's in-doubt change is settled by what is stored.
        let (drinks, _) = stored(target);
        for known in clients.iter_mut().flatten() {
            acknowledged_writes += usize::from(known.in_doubt.is_none());
            let Some(outcome) = known.in_doubt.take() else {
                continue;
            };
            let title_match =
                |d: &&Value| outcome.as_ref().is_some_and(|o| d["title"] == o["title"]);
            let now_stored = match known.id {
                Some(id) => drinks.get(&id).cloned(),
                None => drinks.values().find(title_match).cloned(),
            };
            let unchanged = match (&now_stored, &known.acknowledged) {
                (None, None) => true,
                (Some(s), Some(a)) => same_content(s, a),
                _ => false,
            };
            let applied = match (&now_stored, &outcome) {
                (None, None) => true,
                (Some(s), Some(o)) => same_content(s, o),
                _ => false,
            };
            assert!(
                unchanged || applied,
                "round {round}: half-applied? stored {now_stored:?}"
            );
            known.id = known
                .id
                .or_else(|| now_stored.as_ref().and_then(|s| s["id"].as_i64()));
            known.acknowledged = now_stored;
        }
    }
    assert!(
        acknowledged_writes > 50,
        "the load was real: {acknowledged_writes} answers"
    );

    let (drinks, latest) = stored(target);
    for known in clients.iter().flatten() {
        match (&known.acknowledged, known.id) {
            (Some(expected), Some(id)) => {
                let stored = drinks
                    .get(&id)
                    .unwrap_or_else(|| panic!("acknowledged drink {id} is gone"));
                assert!(
                    same_content(stored, expected),
                    "drink {id}: {stored} != {expected}"
                );
            }
            (None, Some(id)) => assert!(!drinks.contains_key(&id), "deleted drink {id} is back"),
            _ => {}
        }
    }
    for (id, drink) in &drinks {
        let (action, after) = latest
            .get(id)
            .unwrap_or_else(|| panic!("drink {id} has no activity row"));
        assert_ne!(action, "delete", "drink {id}");
        assert!(
            after.as_ref().is_some_and(|a| same_content(a, drink)),
            "drink {id}: the log says {after:?}"
        );
    }
    for (id, (action, _)) in &latest {
        if !drinks.contains_key(id) {
            assert_eq!(action, "delete", "drink {id} vanished without a delete row");
        }
    }
}
