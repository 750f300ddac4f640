//! The soak test (run it with `scripts/soak.sh [--seconds N]`).
//!
//! Runs the release binary under a bounded mixed load for a while: readers on
//! every read route, writers creating, changing and deleting drinks, the
//! identity provider rotating its signing key twice, and a provider outage
//! in the middle (during which a second, freshly started server must answer
//! the documented 503 on protected routes until the keys come back). Prints a
//! summary table and fails on any unexpected status, any 5xx besides that
//! 503, memory that keeps growing, or a final state that does not add up.

// A harness that cannot set itself up has nothing to report: failing loudly is right.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Mutex, RwLock};
use std::time::{Duration, Instant};

use clap::Parser;
use coffee_shop_testkit::process::command_for;
use coffee_shop_testkit::{JwksServer, ServerProcess, TestKey};
use serde_json::{Value, json};

#[derive(Parser)]
#[command(about = "Soaks the coffee-shop release binary under a mixed load")]
struct Options {
    /// How long the load runs.
    #[arg(long, default_value_t = 60)]
    seconds: u64,
    /// The server binary.
    #[arg(long, default_value = "target/release/coffee-shop")]
    binary: PathBuf,
}

const AUDIENCE: &str = "bar";
const READERS: usize = 4;
const WRITERS: usize = 2;
/// Memory may settle after warm-up, but not keep growing: the last third's
/// median RSS may exceed the middle third's by at most this much.
const RSS_GROWTH_LIMIT_KB: u64 = 4096;

// ---------------------------------------------------------------- the server

/// The soaked server on `db`: quick to pick up rotations (unknown key ids
/// refetch at most every second), started but not yet waited for.
fn start_server(binary: &Path, db: &Path, jwks: &JwksServer) -> ServerProcess {
    let mut command = command_for(binary, db, jwks);
    command
        .env("COFFEE_SHOP__AUTH__REFRESH_INTERVAL_SECS", "2")
        .env("COFFEE_SHOP__AUTH__REFRESH_COOLDOWN_SECS", "1")
        .env("COFFEE_SHOP__AUTH__STARTUP_WAIT_MS", "500")
        .stderr(Stdio::inherit());
    ServerProcess::spawn(command)
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(10)))
        .build()
        .new_agent()
}

// ---------------------------------------------------------------- load

/// The tokens clients use now; swapped at each rotation.
struct Tokens {
    barista: String,
    manager: String,
}

/// Per request kind: statuses seen and latencies.
#[derive(Default)]
struct Tally {
    statuses: BTreeMap<u16, usize>,
    latencies_us: Vec<u64>,
    unexpected: Vec<String>,
}

type Tallies = Mutex<BTreeMap<&'static str, Tally>>;
/// The drinks writers keep: (writer, id, title).
type Kept = Mutex<Vec<(usize, i64, String)>>;

fn record(tallies: &Tallies, kind: &'static str, status: u16, started: Instant, expected: &[u16]) {
    let mut tallies = tallies.lock().expect("lock");
    let tally = tallies.entry(kind).or_default();
    *tally.statuses.entry(status).or_default() += 1;
    tally
        .latencies_us
        .push(started.elapsed().as_micros() as u64);
    if !expected.contains(&status) && tally.unexpected.len() < 5 {
        tally.unexpected.push(format!("{kind}: {status}"));
    }
}

fn reader(
    server: &ServerProcess,
    tokens: &RwLock<Tokens>,
    tallies: &Tallies,
    stop: &AtomicBool,
    seed: usize,
) {
    let agent = agent();
    let mut step = seed;
    while !stop.load(Ordering::Relaxed) {
        step += 1;
        let token = tokens.read().expect("lock").barista.clone();
        let started = Instant::now();
        let (kind, response) = match step % 3 {
            0 => ("GET /drinks", agent.get(&server.url("/drinks")).call()),
            1 => (
                "GET /drinks-detail",
                agent
                    .get(&server.url("/drinks-detail"))
                    .header("Authorization", &format!("Bearer {token}"))
                    .call(),
            ),
            _ => (
                "GET /drinks/{id}",
                agent
                    .get(&server.url(&format!("/drinks/{}", 1 + step % 6)))
                    .header("Authorization", &format!("Bearer {token}"))
                    .call(),
            ),
        };
        let status = response.map_or(0, |r| r.status().as_u16());
        // Sample drinks 1-6 may have been renamed, never deleted, so 200 it is.
        record(tallies, kind, status, started, &[200, 304]);
    }
}

/// Drinks each writer keeps at most: the menu stays the same size, so the
/// memory reading measures the server, not a growing menu.
const KEPT_PER_WRITER: usize = 10;

/// Creates drinks, renames them, deletes every other one, and deletes its
/// oldest kept drink beyond `KEPT_PER_WRITER`; remembers what stays.
fn writer(
    server: &ServerProcess,
    tokens: &RwLock<Tokens>,
    tallies: &Tallies,
    stop: &AtomicBool,
    number: usize,
    kept: &Kept,
) {
    let agent = agent();
    let mut step = 0usize;
    while !stop.load(Ordering::Relaxed) {
        step += 1;
        let auth = format!("Bearer {}", tokens.read().expect("lock").manager);
        let delete = |id: i64| {
            let started = Instant::now();
            let status = agent
                .delete(&server.url(&format!("/drinks/{id}")))
                .header("Authorization", &auth)
                .call()
                .map_or(0, |r| r.status().as_u16());
            record(tallies, "DELETE /drinks/{id}", status, started, &[200]);
        };
        let title = format!("Soak W{number} #{step}");
        let body = json!({"title": title, "recipe": [{"name": "milk", "color": "white", "parts": 1 + step % 5}]});
        let started = Instant::now();
        let created = agent
            .post(&server.url("/drinks"))
            .header("Authorization", &auth)
            .content_type("application/json")
            .send(body.to_string());
        let Ok(mut created) = created else {
            record(tallies, "POST /drinks", 0, started, &[200]);
            continue;
        };
        let status = created.status().as_u16();
        record(tallies, "POST /drinks", status, started, &[200]);
        let Some(id) = created
            .body_mut()
            .read_json::<Value>()
            .ok()
            .and_then(|b| b["drinks"][0]["id"].as_i64())
        else {
            continue;
        };
        let renamed = format!("{title} (renamed)");
        let started = Instant::now();
        let status = agent
            .patch(&server.url(&format!("/drinks/{id}")))
            .header("Authorization", &auth)
            .content_type("application/json")
            .send(json!({"title": renamed}).to_string())
            .map_or(0, |r| r.status().as_u16());
        record(tallies, "PATCH /drinks/{id}", status, started, &[200]);
        if step.is_multiple_of(2) {
            delete(id);
        } else if status == 200 {
            let mut kept = kept.lock().expect("lock");
            kept.push((number, id, renamed));
            let mine: Vec<usize> = (0..kept.len()).filter(|&i| kept[i].0 == number).collect();
            if mine.len() > KEPT_PER_WRITER {
                let (_, oldest, _) = kept.remove(mine[0]);
                drop(kept);
                delete(oldest);
            }
        }
    }
}

fn percentile(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let index = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[index] as f64 / 1000.0
}

fn median(values: &mut [u64]) -> u64 {
    values.sort_unstable();
    values.get(values.len() / 2).copied().unwrap_or(0)
}

fn main() {
    let options = Options::parse();
    let binary = std::fs::canonicalize(&options.binary).unwrap_or_else(|_| {
        panic!(
            "build the server first: {} is missing",
            options.binary.display()
        )
    });
    let total = Duration::from_secs(options.seconds.max(10));
    let work = tempfile::tempdir().expect("temp dir");
    let keys = TestKey::generate_each(&["soak-a", "soak-b", "soak-c"]);
    let provider = JwksServer::start(&[&keys[0]]);
    let issuer = provider.issuer();
    let mint = |key: &TestKey| Tokens {
        barista: key.access_token(
            &issuer,
            AUDIENCE,
            "soak|barista",
            &["get:drinks-detail"],
            3600,
        ),
        manager: key.access_token(
            &issuer,
            AUDIENCE,
            "soak|manager",
            &[
                "get:drinks-detail",
                "post:drinks",
                "patch:drinks",
                "delete:drinks",
            ],
            3600,
        ),
    };
    let tokens = RwLock::new(mint(&keys[0]));
    let server = start_server(&binary, &work.path().join("soak.db"), &provider);
    assert!(
        server.answers("/readyz", 200, Duration::from_secs(10)),
        "ready"
    );

    let tallies: Tallies = Mutex::new(BTreeMap::new());
    let kept: Kept = Mutex::new(Vec::new());
    let stop = AtomicBool::new(false);
    let rss_samples = Mutex::new(Vec::new());
    let events = Mutex::new(Vec::new());
    let outage_checks = AtomicUsize::new(0);
    let started = Instant::now();
    let at = |fraction: f64| total.mul_f64(fraction);
    std::thread::scope(|scope| {
        for seed in 0..READERS {
            let (server, tokens, tallies, stop) = (&server, &tokens, &tallies, &stop);
            scope.spawn(move || reader(server, tokens, tallies, stop, seed));
        }
        for number in 0..WRITERS {
            let (server, tokens, tallies, stop, kept) = (&server, &tokens, &tallies, &stop, &kept);
            scope.spawn(move || writer(server, tokens, tallies, stop, number, kept));
        }
        let sleep_until =
            |moment: Duration| std::thread::sleep(moment.saturating_sub(started.elapsed()));
        // Each event is reported with the moment it happened.
        let note = |event: &str| {
            let moment = started.elapsed().as_secs_f64();
            events
                .lock()
                .expect("lock")
                .push(format!("{moment:>5.1}s  {event}"));
        };
        let sampler = scope.spawn(|| {
            while !stop.load(Ordering::Relaxed) {
                rss_samples
                    .lock()
                    .expect("lock")
                    .push(server.memory_kb("VmRSS"));
                std::thread::sleep(Duration::from_millis(250));
            }
        });

        // Rotation 1: publish key B beside A, then clients switch to B tokens.
        sleep_until(at(0.25));
        provider.publish(&[&keys[0], &keys[1]]);
        note("key B published beside A");
        sleep_until(at(0.25) + Duration::from_secs(3));
        *tokens.write().expect("lock") = mint(&keys[1]);
        note("clients use key B");

        // The outage: known keys keep working; a fresh server cannot check tokens yet.
        sleep_until(at(0.45));
        provider.set_failing(true);
        note("provider down");
        let fresh = start_server(&binary, &work.path().join("fresh.db"), &provider);
        assert!(
            fresh.answers("/healthz", 200, Duration::from_secs(10)),
            "the fresh server starts"
        );
        let token = tokens.read().expect("lock").barista.clone();
        let probe = agent()
            .get(&fresh.url("/drinks-detail"))
            .header("Authorization", &format!("Bearer {token}"))
            .call();
        let (status, retry_after) = probe.map_or((0, false), |r| {
            (r.status().as_u16(), r.headers().contains_key("retry-after"))
        });
        assert_eq!(
            (status, retry_after),
            (503, true),
            "before its keys are known: 503 with Retry-After"
        );
        assert_eq!(
            agent()
                .get(&fresh.url("/drinks"))
                .call()
                .map_or(0, |r| r.status().as_u16()),
            200,
            "the public menu works"
        );
        outage_checks.fetch_add(1, Ordering::SeqCst);
        sleep_until(at(0.65));
        provider.set_failing(false);
        note("provider back");
        assert!(
            fresh.answers("/readyz", 200, Duration::from_secs(15)),
            "the fresh server recovers"
        );
        assert!(
            fresh.terminate().success(),
            "the fresh server stops cleanly"
        );
        outage_checks.fetch_add(1, Ordering::SeqCst);

        // Rotation 2: C replaces A; clients switch to C tokens.
        provider.publish(&[&keys[1], &keys[2]]);
        note("key C published, A withdrawn");
        sleep_until(at(0.65) + Duration::from_secs(3));
        *tokens.write().expect("lock") = mint(&keys[2]);
        note("clients use key C");

        sleep_until(total);
        stop.store(true, Ordering::Relaxed);
        sampler.join().expect("sampler");
    });

    // The final state: every drink a writer kept is there as renamed.
    let token = tokens.read().expect("lock").barista.clone();
    let detail: Value = agent()
        .get(&server.url("/drinks-detail"))
        .header("Authorization", &format!("Bearer {token}"))
        .call()
        .expect("final read")
        .body_mut()
        .read_json()
        .expect("JSON");
    let served: BTreeMap<i64, String> = detail["drinks"]
        .as_array()
        .expect("drinks")
        .iter()
        .map(|d| {
            (
                d["id"].as_i64().unwrap_or(0),
                d["title"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    let kept = kept.into_inner().expect("lock");
    let missing = kept
        .iter()
        .filter(|(_, id, title)| served.get(id) != Some(title))
        .count();
    let soak_drinks = served.values().filter(|t| t.starts_with("Soak ")).count();
    let clean_stop = server.terminate().success();

    // The report.
    let mut failures: Vec<String> = Vec::new();
    println!(
        "\nsoak: {} s, {READERS} readers, {WRITERS} writers\n",
        total.as_secs()
    );
    for event in events.into_inner().expect("lock") {
        println!("  {event}");
    }
    println!("\n| requests | count | statuses | p50 ms | p99 ms |");
    println!("|---|---:|---|---:|---:|");
    for (kind, tally) in tallies.lock().expect("lock").iter_mut() {
        tally.latencies_us.sort_unstable();
        let statuses: Vec<String> = tally
            .statuses
            .iter()
            .map(|(s, n)| format!("{s}×{n}"))
            .collect();
        println!(
            "| {kind} | {} | {} | {:.2} | {:.2} |",
            tally.latencies_us.len(),
            statuses.join(" "),
            percentile(&tally.latencies_us, 0.5),
            percentile(&tally.latencies_us, 0.99)
        );
        failures.extend(
            tally
                .unexpected
                .iter()
                .map(|u| format!("unexpected status {u}")),
        );
    }
    let mut samples = rss_samples.into_inner().expect("lock");
    let third = samples.len() / 3;
    let (middle, last) = if third > 0 {
        let mut middle = samples[third..2 * third].to_vec();
        let mut last = samples[2 * third..].to_vec();
        (median(&mut middle), median(&mut last))
    } else {
        (0, 0)
    };
    let peak = samples.iter().copied().max().unwrap_or(0);
    println!(
        "\nRSS: middle third median {} MB, last third median {} MB, peak {} MB",
        middle / 1024,
        last / 1024,
        peak / 1024
    );
    println!(
        "final state: {} drinks kept by writers, {missing} missing or wrong; {soak_drinks} soak drinks served",
        kept.len()
    );
    if last > middle + RSS_GROWTH_LIMIT_KB {
        failures.push(format!("memory grew from {middle} kB to {last} kB"));
    }
    if missing > 0 || soak_drinks != kept.len() {
        failures.push(format!(
            "final state: {missing} kept drinks missing, {soak_drinks} served vs {} kept",
            kept.len()
        ));
    }
    if outage_checks.load(Ordering::SeqCst) != 2 {
        failures.push("the outage checks did not run".into());
    }
    if !clean_stop {
        failures.push("the server did not stop cleanly".into());
    }
    samples.clear();
    if failures.is_empty() {
        println!("\nsoak: passed");
    } else {
        for failure in &failures {
            eprintln!("soak: FAILED: {failure}");
        }
        std::process::exit(1);
    }
}
