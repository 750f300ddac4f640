//! The benchmark harness (run it with `bench/run.sh [--quick]`).
//!
//! Starts the release binary on a temporary database (the sample menu, then
//! 500 drinks) against a JWKS server on loopback, mints tokens, drives every
//! scenario with `wrk`, and prints one table: requests/s, p50/p99 latency,
//! non-2xx responses and the server's peak RSS, followed by the target ratios,
//! all measured in the same run; then HTTPS against plain HTTP, and TLS
//! handshakes per second, full and resumed (`https.rs`). It asserts
//! nothing: it reports.

// A harness that cannot set itself up has nothing to report: failing loudly is right.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use clap::Parser;
use coffee_shop::config::{DatabaseSettings, Settings, Synchronous};
use coffee_shop::db::{Database, configure_connection, create_drink};
use coffee_shop::domain::NewDrink;
use coffee_shop_testkit::process::command_for;
use coffee_shop_testkit::{JwksServer, ServerProcess, TestKey};
use serde_json::json;

#[path = "bench/https.rs"]
mod https;
#[path = "bench/metrics.rs"]
mod metrics;
#[path = "bench/postgres.rs"]
mod postgres_engine;

#[derive(Parser)]
#[command(about = "Benchmarks the coffee-shop release binary with wrk")]
struct Options {
    /// A few seconds per scenario (CI proves the harness works this way).
    #[arg(long)]
    quick: bool,
    /// The server binary to measure.
    #[arg(long, default_value = "target/release/coffee-shop")]
    binary: PathBuf,
    /// Seconds per scenario (default: 10, or 2 with --quick).
    #[arg(long)]
    seconds: Option<u64>,
    /// Concurrent connections wrk keeps open.
    #[arg(long, default_value_t = 32)]
    connections: u32,
    /// wrk threads.
    #[arg(long, default_value_t = 2)]
    threads: u32,
    /// Another build to compare on the hot paths, in the same run (e.g. the
    /// static musl binary); the two alternate, three rounds each.
    #[arg(long)]
    compare: Option<PathBuf>,
}

const AUDIENCE: &str = "bar";
const KID: &str = "bench-key";
const ROTATING_TOKENS: usize = 1000;
const LARGE_MENU: usize = 500;

fn main() {
    let mut options = Options::parse();
    let seconds = options
        .seconds
        .unwrap_or(if options.quick { 2 } else { 10 });
    // Absolute, because each server runs in its own working directory.
    options.binary = std::fs::canonicalize(&options.binary).unwrap_or_else(|_| {
        panic!(
            "build the server first: {} is missing",
            options.binary.display()
        )
    });
    let work = tempfile::tempdir().expect("temp dir");

    let key = TestKey::generate(KID, 2048);
    let jwks = JwksServer::start(&[&key]);
    let tokens = Tokens::mint(&key, &jwks.issuer());
    let scripts = Scripts::write(work.path(), &tokens);
    let run_id = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_millis();

    let mut rows: Vec<Row> = Vec::new();
    let mut idle_rss = Vec::new();
    let mut startup = None;
    for menu in [Menu::Sample, Menu::Large] {
        let pristine = work.path().join(format!("{}.db", menu.name()));
        prepare_database(&pristine, menu);
        let db = work.path().join(format!("{}-run.db", menu.name()));
        for scenario in Scenario::ALL {
            // Each scenario starts from the same database and a fresh server,
            // so writes of one (thousands of new drinks) never skew the next.
            fresh_copy(&pristine, &db);
            let server = start_server(&options.binary, &db, &jwks);
            if scenario == Scenario::Healthz {
                std::thread::sleep(Duration::from_millis(300));
                idle_rss.push((menu, server.memory_kb("VmRSS")));
            }
            let etag = etag(&server, "/drinks");
            let script =
                scripts.for_scenario(scenario, &etag, &format!("{run_id}-{}", menu.name()));
            if scenario == Scenario::MenuNotModified
                && !answers_not_modified(&server, etag.as_deref())
            {
                // An older build without ETags: the row then measures full answers.
                eprintln!(
                    "note: this build answers no 304s; `{}` measures 200s",
                    scenario.label()
                );
            }
            server.reset_peak_memory();
            let result = wrk(
                load_shape(&options, scenario),
                seconds,
                &server.url(scenario.path()),
                &script,
            );
            rows.push(Row {
                scenario,
                menu,
                result,
                peak_rss_kb: server.memory_kb("VmHWM"),
            });
            server.terminate();
        }
        if menu == Menu::Large {
            fresh_copy(&pristine, &db);
            startup = Some(measure_startup(&options.binary, &db, &jwks));
        }
    }
    let raw_inserts = raw_insert_rate(work.path(), Duration::from_secs(seconds));
    print_report(&options, seconds, &rows, &idle_rss, startup, raw_inserts);
    let same_run = Setup {
        binary: &options.binary,
        pristine: &work.path().join(format!("{}.db", Menu::Sample.name())),
        work: work.path(),
        jwks: &jwks,
        menu_script: &scripts.for_scenario(Scenario::Menu, &None, &format!("{run_id}-https")),
        detail_script: &scripts.for_scenario(
            Scenario::DetailSameToken,
            &None,
            &format!("{run_id}-detail"),
        ),
        create_script: &scripts.for_scenario(Scenario::Create, &None, &format!("{run_id}-pg")),
        shape: (options.threads, options.connections),
        seconds,
    };
    https::report(&same_run);
    metrics::report(&same_run);
    postgres_engine::report(&same_run);

    if let Some(other) = &options.compare {
        let other = std::fs::canonicalize(other)
            .unwrap_or_else(|_| panic!("{} is missing", other.display()));
        let pristine = work.path().join(format!("{}.db", Menu::Sample.name()));
        let db = work.path().join("compare-run.db");
        println!();
        println!(
            "| {:<34} | {:>12} | {:>12} | {:>6} |",
            "scenario (sample menu)", "this req/s", "other req/s", "ratio"
        );
        println!("|{:-<36}|{:-<14}|{:-<14}|{:-<8}|", "", "", "", "");
        for scenario in [Scenario::Menu, Scenario::DetailSameToken] {
            let (mut ours, mut theirs, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
            for round in 0..3 {
                let rate_of = |binary: &Path| {
                    fresh_copy(&pristine, &db);
                    let server = start_server(binary, &db, &jwks);
                    let script =
                        scripts.for_scenario(scenario, &None, &format!("{run_id}-compare-{round}"));
                    let shape = load_shape(&options, scenario);
                    let rate =
                        wrk(shape, seconds, &server.url(scenario.path()), &script).requests_per_sec;
                    server.terminate();
                    rate
                };
                // Alternate which build goes first, so drift favours neither.
                let (a, b) = if round % 2 == 0 {
                    let a = rate_of(&options.binary);
                    (a, rate_of(&other))
                } else {
                    let b = rate_of(&other);
                    (rate_of(&options.binary), b)
                };
                ours.push(a);
                theirs.push(b);
                ratios.push(b / a);
            }
            println!(
                "| {:<34} | {:>12.0} | {:>12.0} | {:>6.2} |",
                scenario.label(),
                median(&mut ours),
                median(&mut theirs),
                median(&mut ratios)
            );
        }
        println!(
            "other = {} (each figure: median of 3 rounds, the builds alternating)",
            other.display()
        );
    }
}

// ---------------------------------------------------------------- scenarios

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Menu {
    Sample,
    Large,
}

impl Menu {
    fn name(self) -> &'static str {
        match self {
            Menu::Sample => "sample",
            Menu::Large => "500",
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Scenario {
    Healthz,
    Menu,
    MenuNotModified,
    DetailSameToken,
    DetailRotatingTokens,
    Create,
    CreateOneClient,
    Update,
    Mixed,
}

impl Scenario {
    const ALL: [Scenario; 9] = [
        Scenario::Healthz,
        Scenario::Menu,
        Scenario::MenuNotModified,
        Scenario::DetailSameToken,
        Scenario::DetailRotatingTokens,
        Scenario::Create,
        Scenario::CreateOneClient,
        Scenario::Update,
        Scenario::Mixed,
    ];

    fn label(self) -> &'static str {
        match self {
            Scenario::Healthz => "GET /healthz",
            Scenario::Menu => "GET /drinks",
            Scenario::MenuNotModified => "GET /drinks If-None-Match",
            Scenario::DetailSameToken => "GET /drinks-detail (1 token)",
            Scenario::DetailRotatingTokens => "GET /drinks-detail (1000 tokens)",
            Scenario::Create => "POST /drinks",
            Scenario::CreateOneClient => "POST /drinks (1 connection)",
            Scenario::Update => "PATCH /drinks/1",
            Scenario::Mixed => "95% GET /drinks, 5% POST",
        }
    }

    fn path(self) -> &'static str {
        match self {
            Scenario::Healthz => "/healthz",
            Scenario::Menu | Scenario::MenuNotModified | Scenario::Mixed => "/drinks",
            Scenario::DetailSameToken | Scenario::DetailRotatingTokens => "/drinks-detail",
            Scenario::Create | Scenario::CreateOneClient => "/drinks",
            Scenario::Update => "/drinks/1",
        }
    }
}

struct Row {
    scenario: Scenario,
    menu: Menu,
    result: WrkResult,
    peak_rss_kb: u64,
}

// ---------------------------------------------------------------- tokens and JWKS

struct Tokens {
    barista: String,
    manager: String,
    rotating: Vec<String>,
}

impl Tokens {
    fn mint(key: &TestKey, issuer: &str) -> Self {
        let sign = |sub: String, permissions: &[&str]| {
            key.access_token(issuer, AUDIENCE, &sub, permissions, 3 * 3600)
        };
        let barista_permissions = ["get:drinks-detail"];
        let manager_permissions = [
            "get:drinks-detail",
            "post:drinks",
            "patch:drinks",
            "delete:drinks",
        ];
        Self {
            barista: sign("bench|barista".into(), &barista_permissions),
            manager: sign("bench|manager".into(), &manager_permissions),
            rotating: (0..ROTATING_TOKENS)
                .map(|i| sign(format!("bench|barista-{i}"), &barista_permissions))
                .collect(),
        }
    }
}

// ---------------------------------------------------------------- the server

/// `[database]` as `config.toml` sets it (SQLite, synchronous = "full").
fn embedded_database_settings() -> DatabaseSettings {
    Settings::load_from(None, &Default::default())
        .expect("the embedded defaults load")
        .database
}

fn prepare_database(path: &Path, menu: Menu) {
    let settings = DatabaseSettings {
        path: path.to_owned(),
        sample_menu: true,
        pool_size: 1,
        ..embedded_database_settings()
    };
    drop(Database::open(&settings).expect("database"));
    if menu == Menu::Large {
        let mut conn = rusqlite::Connection::open(path).expect("open");
        let existing: i64 = conn
            .query_row("SELECT count(*) FROM drinks", [], |row| row.get(0))
            .expect("count");
        for i in existing as usize..LARGE_MENU {
            let drink = NewDrink::from_json(&json!({
                "title": format!("House Blend No. {i}"),
                "recipe": [
                    {"name": "espresso", "color": "#3b1f0e", "parts": 1 + i % 3},
                    {"name": "steamed milk", "color": "#f3e5ce", "parts": 2},
                    {"name": "foam", "color": "hsl(40, 60%, 95%)", "parts": 1}
                ]
            }))
            .expect("valid drink");
            let tx = conn.transaction().expect("begin");
            create_drink(&mut &*tx, &drink, "bench", u32::MAX).expect("insert");
            tx.commit().expect("commit");
        }
    }
}

/// Replaces `copy` with the prepared database (and no stale WAL).
fn fresh_copy(pristine: &Path, copy: &Path) {
    for suffix in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", copy.display()));
    }
    std::fs::copy(pristine, copy).expect("copy the database");
}

/// What the same-run comparisons (`https`, `metrics`) start their servers from.
pub struct Setup<'a> {
    pub binary: &'a Path,
    /// The sample-menu database every server starts from.
    pub pristine: &'a Path,
    pub work: &'a Path,
    pub jwks: &'a JwksServer,
    /// wrk's scripts for GET /drinks, GET /drinks-detail and POST /drinks.
    pub menu_script: &'a Path,
    pub detail_script: &'a Path,
    pub create_script: &'a Path,
    pub shape: (u32, u32),
    pub seconds: u64,
}

/// GET /drinks rates of a variant against the baseline, alternating which
/// goes first (so drift favours neither), three rounds; prints the medians
/// under `title` with the median of the rounds' ratios against `target`.
/// The table's first row; the caller may print more rows under it.
fn compare_same_run(
    title: &str,
    row: &str,
    columns: (&str, &str),
    target: &str,
    mut variant: impl FnMut() -> f64,
    mut baseline: impl FnMut() -> f64,
) {
    let (mut variants, mut baselines, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..3 {
        let (base, var) = if round % 2 == 0 {
            let base = baseline();
            (base, variant())
        } else {
            let var = variant();
            (baseline(), var)
        };
        baselines.push(base);
        variants.push(var);
        ratios.push(var / base);
    }
    println!();
    println!(
        "| {:<52} | {:>10} | {:>10} | {:>6} | {:>6} |",
        title, columns.0, columns.1, "ratio", "target"
    );
    println!(
        "|{:-<54}|{:-<12}|{:-<12}|{:-<8}|{:-<8}|",
        "", "", "", "", ""
    );
    println!(
        "| {:<52} | {:>10.0} | {:>10.0} | {:>6.2} | {:>6} |",
        row,
        median(&mut variants),
        median(&mut baselines),
        median(&mut ratios),
        target
    );
}

/// A fresh server on `db`, once it is ready.
fn start_server(binary: &Path, db: &Path, jwks: &JwksServer) -> ServerProcess {
    let mut command = command_for(binary, db, jwks);
    // The write scenarios add far more drinks than a café's menu holds: the
    // cap (default 1,000) would turn them into refusals.
    command.env("COFFEE_SHOP__MENU__MAX_DRINKS", "1000000");
    let server = ServerProcess::spawn(command);
    assert!(
        server.answers("/readyz", 200, Duration::from_secs(10)),
        "the server became ready"
    );
    server
}

/// The ETag the server sends for `path`.
fn etag(server: &ServerProcess, path: &str) -> Option<String> {
    let response = ureq::get(&server.url(path)).call().ok()?;
    response
        .headers()
        .get("etag")?
        .to_str()
        .ok()
        .map(str::to_owned)
}

/// True when a conditional GET of the menu with `etag` answers 304.
fn answers_not_modified(server: &ServerProcess, etag: Option<&str>) -> bool {
    let Some(etag) = etag else { return false };
    ureq::get(&server.url("/drinks"))
        .header("If-None-Match", etag)
        .call()
        .is_ok_and(|response| response.status() == 304)
}

/// Median of a few starts: spawn to the first 200 on /readyz.
fn measure_startup(binary: &Path, db: &Path, jwks: &JwksServer) -> Duration {
    let mut times: Vec<Duration> = (0..5)
        .map(|_| {
            let started = Instant::now();
            let server = start_server(binary, db, jwks);
            let elapsed = started.elapsed();
            server.terminate();
            elapsed
        })
        .collect();
    times.sort();
    times[times.len() / 2]
}

// ---------------------------------------------------------------- raw SQLite

/// The physical limit for writes: the same insert-and-commit (a drink row and
/// its activity row) with the server's pragmas, straight through rusqlite.
fn raw_insert_rate(dir: &Path, duration: Duration) -> f64 {
    let path = dir.join("raw.db");
    let settings = DatabaseSettings {
        path: path.clone(),
        sample_menu: false,
        pool_size: 1,
        ..embedded_database_settings()
    };
    drop(Database::open(&settings).expect("database"));
    let mut conn = rusqlite::Connection::open(&path).expect("open");
    configure_connection(&mut conn, Duration::from_millis(5000), Synchronous::Full)
        .expect("pragmas");
    insert_rate(duration, |drink| {
        let tx = conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .expect("begin");
        create_drink(&mut &*tx, drink, "raw", u32::MAX).expect("insert");
        tx.commit().expect("commit");
    })
}

/// Inserts drinks one after another for `duration` with `insert` (the very
/// statements a POST runs: the drink and its activity row, one transaction
/// and one commit each); returns inserts per second.
pub fn insert_rate(duration: Duration, mut insert: impl FnMut(&NewDrink)) -> f64 {
    let started = Instant::now();
    let mut inserts = 0u64;
    while started.elapsed() < duration {
        let drink = NewDrink::from_json(&json!({
            "title": format!("Raw {inserts}"),
            "recipe": [
                {"name": "espresso", "color": "#3b1f0e", "parts": 1},
                {"name": "milk", "color": "#f3e5ce", "parts": 3}
            ]
        }))
        .expect("valid drink");
        insert(&drink);
        inserts += 1;
    }
    inserts as f64 / started.elapsed().as_secs_f64()
}

// ---------------------------------------------------------------- wrk

/// Writes one wrk Lua script per scenario, with its tokens and bodies.
struct Scripts {
    dir: PathBuf,
    barista: String,
    manager: String,
    token_file: PathBuf,
}

/// Prints wrk's figures as one machine-readable line.
const REPORT_LUA: &str = r#"
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("BENCH %d %d %d %d %d %d\n", summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(99), e.status, e.connect + e.read + e.write + e.timeout))
end
"#;

/// Numbers each wrk thread, so generated titles never collide.
const THREAD_IDS_LUA: &str = r##"
local next_thread = 0
setup = function(thread)
  next_thread = next_thread + 1
  thread:set("thread_id", next_thread)
end
local sent = 0
function unique_title(prefix)
  sent = sent + 1
  return prefix .. "-" .. tostring(thread_id) .. "-" .. tostring(sent)
end
function drink_body(title)
  return '{"title":"' .. title .. '","recipe":[{"name":"espresso","color":"#3b1f0e","parts":1},{"name":"milk","color":"#f3e5ce","parts":3}]}'
end
"##;

impl Scripts {
    fn write(dir: &Path, tokens: &Tokens) -> Self {
        let token_file = dir.join("tokens.txt");
        std::fs::write(&token_file, tokens.rotating.join("\n")).expect("token file");
        Self {
            dir: dir.to_owned(),
            barista: tokens.barista.clone(),
            manager: tokens.manager.clone(),
            token_file,
        }
    }

    fn for_scenario(&self, scenario: Scenario, etag: &Option<String>, run_id: &str) -> PathBuf {
        let mut lua = String::from(REPORT_LUA);
        // As every browser, and so the Ionic app, does.
        lua.push_str("wrk.headers[\"Accept-Encoding\"] = \"gzip\"\n");
        let json_headers = format!(
            r#"{{["Authorization"] = "Bearer {}", ["Content-Type"] = "application/json"}}"#,
            self.manager
        );
        match scenario {
            Scenario::Healthz | Scenario::Menu => {}
            Scenario::MenuNotModified => {
                if let Some(etag) = etag {
                    let _ = writeln!(lua, "wrk.headers[\"If-None-Match\"] = {}", lua_string(etag));
                }
            }
            Scenario::DetailSameToken => {
                let _ = writeln!(
                    lua,
                    "wrk.headers[\"Authorization\"] = \"Bearer {}\"",
                    self.barista
                );
            }
            Scenario::DetailRotatingTokens => {
                let _ = write!(
                    lua,
                    r#"
local tokens = {{}}
for line in io.lines("{}") do tokens[#tokens + 1] = line end
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", "/drinks-detail", {{["Authorization"] = "Bearer " .. tokens[(i % #tokens) + 1], ["Accept-Encoding"] = "gzip"}})
end
"#,
                    self.token_file.display()
                );
            }
            Scenario::Create | Scenario::CreateOneClient => {
                let post = format!(
                    r#"wrk.format("POST", "/drinks", {json_headers}, drink_body(unique_title("Bench {run_id}")))"#
                );
                write_writer_script(&mut lua, &format!("  return {post}"));
            }
            Scenario::Update => {
                let patch = format!(
                    r#"wrk.format("PATCH", "/drinks/1", {json_headers}, '{{"title":"' .. unique_title("Patched {run_id}") .. '"}}')"#
                );
                write_writer_script(&mut lua, &format!("  return {patch}"));
            }
            Scenario::Mixed => {
                let post = format!(
                    r#"wrk.format("POST", "/drinks", {json_headers}, drink_body(unique_title("Mixed {run_id}")))"#
                );
                let get = r#"wrk.format("GET", "/drinks", {["Accept-Encoding"] = "gzip"})"#;
                write_writer_script(
                    &mut lua,
                    &format!(
                        "  if math.random() < 0.05 then\n    return {post}\n  end\n  return {get}"
                    ),
                );
            }
        }
        let path = self.dir.join(format!("{scenario:?}-{run_id}.lua"));
        std::fs::write(&path, lua).expect("script");
        path
    }
}

/// A script for the writing scenarios: the helpers that make titles unique
/// per wrk thread, then a `request` function with `body`.
fn write_writer_script(lua: &mut String, body: &str) {
    lua.push_str(THREAD_IDS_LUA);
    let _ = write!(lua, "\nrequest = function()\n{body}\nend\n");
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn lua_string(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

#[derive(Default, Clone, Copy)]
struct WrkResult {
    requests_per_sec: f64,
    p50: Duration,
    p99: Duration,
    non_2xx: u64,
    socket_errors: u64,
}

/// wrk threads and connections for a scenario: one client measures the
/// latency-bound rate (no writes to group), the rest use the options.
fn load_shape(options: &Options, scenario: Scenario) -> (u32, u32) {
    match scenario {
        Scenario::CreateOneClient => (1, 1),
        _ => (options.threads, options.connections),
    }
}

/// Drives `url` (http or https) with `script` for `seconds`.
fn wrk(shape: (u32, u32), seconds: u64, url: &str, script: &Path) -> WrkResult {
    let output = Command::new("wrk")
        .arg(format!("-t{}", shape.0))
        .arg(format!("-c{}", shape.1))
        .arg(format!("-d{seconds}s"))
        .arg("-s")
        .arg(script)
        .arg(url)
        .output()
        .expect("wrk runs (apt-get install wrk)");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let figures: Vec<u64> = stdout
        .lines()
        .find_map(|line| line.strip_prefix("BENCH "))
        .map(|line| {
            line.split_whitespace()
                .filter_map(|n| n.parse().ok())
                .collect()
        })
        .unwrap_or_default();
    let [requests, duration_us, p50, p99, non_2xx, socket_errors] = figures[..] else {
        panic!(
            "unexpected wrk output:\n{stdout}\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
    };
    WrkResult {
        requests_per_sec: requests as f64 / (duration_us as f64 / 1e6),
        p50: Duration::from_micros(p50),
        p99: Duration::from_micros(p99),
        non_2xx,
        socket_errors,
    }
}

// ---------------------------------------------------------------- report

fn print_report(
    options: &Options,
    seconds: u64,
    rows: &[Row],
    idle_rss: &[(Menu, u64)],
    startup: Option<Duration>,
    raw_inserts: f64,
) {
    println!(
        "coffee-shop benchmark: {} ({} s per scenario, wrk -t{} -c{}, GETs send Accept-Encoding: gzip)",
        options.binary.display(),
        seconds,
        options.threads,
        options.connections
    );
    println!();
    println!(
        "| {:<34} | {:>6} | {:>9} | {:>8} | {:>8} | {:>7} | {:>8} |",
        "scenario", "menu", "req/s", "p50 ms", "p99 ms", "4xx/5xx", "peak MB"
    );
    println!(
        "|{:-<36}|{:-<8}|{:-<11}|{:-<10}|{:-<10}|{:-<9}|{:-<10}|",
        "", "", "", "", "", "", ""
    );
    for row in rows {
        let errors = if row.result.socket_errors > 0 {
            format!("{}+{}e", row.result.non_2xx, row.result.socket_errors)
        } else {
            row.result.non_2xx.to_string()
        };
        println!(
            "| {:<34} | {:>6} | {:>9.0} | {:>8.2} | {:>8.2} | {:>7} | {:>8.1} |",
            row.scenario.label(),
            row.menu.name(),
            row.result.requests_per_sec,
            row.result.p50.as_secs_f64() * 1e3,
            row.result.p99.as_secs_f64() * 1e3,
            errors,
            row.peak_rss_kb as f64 / 1024.0
        );
    }
    let rate = |scenario, menu| {
        rows.iter()
            .find(|r| r.scenario == scenario && r.menu == menu)
            .map_or(0.0, |r| r.result.requests_per_sec)
    };
    println!();
    println!(
        "| {:<58} | {:>8} | {:>6} |",
        "ratio (same run)", "measured", "target"
    );
    println!("|{:-<60}|{:-<10}|{:-<8}|", "", "", "");
    for menu in [Menu::Sample, Menu::Large] {
        let ratio = rate(Scenario::Menu, menu) / rate(Scenario::Healthz, menu);
        println!(
            "| {:<58} | {:>8.2} | {:>6} |",
            format!("GET /drinks / GET /healthz ({} menu)", menu.name()),
            ratio,
            ">= 0.8"
        );
    }
    for menu in [Menu::Sample, Menu::Large] {
        let ratio = rate(Scenario::DetailSameToken, menu) / rate(Scenario::Menu, menu);
        println!(
            "| {:<58} | {:>8.2} | {:>6} |",
            format!(
                "GET /drinks-detail (1 token) / GET /drinks ({} menu)",
                menu.name()
            ),
            ratio,
            ">= 0.6"
        );
        let ratio = rate(Scenario::DetailRotatingTokens, menu) / rate(Scenario::Menu, menu);
        println!(
            "| {:<58} | {:>8.2} | {:>6} |",
            format!(
                "GET /drinks-detail (1000 tokens) / GET /drinks ({} menu)",
                menu.name()
            ),
            ratio,
            ">= 0.6"
        );
    }
    let create = rate(Scenario::Create, Menu::Sample);
    let create_one = rate(Scenario::CreateOneClient, Menu::Sample);
    println!(
        "| {:<58} | {:>8.2} | {:>6} |",
        format!("POST /drinks / raw SQLite insert+commit ({raw_inserts:.0}/s)"),
        create / raw_inserts,
        ">= 0.5"
    );
    println!(
        "| {:<58} | {:>8.2} | {:>6} |",
        "POST /drinks (1 connection, nothing to group) / raw SQLite",
        create_one / raw_inserts,
        "-"
    );
    println!();
    for (menu, kb) in idle_rss {
        println!(
            "idle RSS after start-up ({} menu): {:.1} MB (target <= 25 MB)",
            menu.name(),
            *kb as f64 / 1024.0
        );
    }
    let peak = rows.iter().map(|r| r.peak_rss_kb).max().unwrap_or(0);
    println!(
        "peak RSS over all scenarios: {:.1} MB (target <= 60 MB)",
        peak as f64 / 1024.0
    );
    if let Some(startup) = startup {
        println!(
            "start-up to 200 on /readyz ({LARGE_MENU}-drink database, loopback JWKS, median of 5): {:.1} ms (target <= 150 ms)",
            startup.as_secs_f64() * 1e3
        );
    }
}
