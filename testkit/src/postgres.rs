//! Databases on the throwaway PostgreSQL cluster that
//! `scripts/with-postgres.sh` starts (and stops), which it names in
//! `COFFEE_SHOP_TEST_DATABASE_URL`. Each test gets a new, empty database.
//!
//! The same integration tests run on both engines: with
//! `COFFEE_SHOP_TEST_ENGINE=postgres` every test app gets a database here
//! instead of a SQLite file (`scripts/test.sh` runs them both ways).

use std::sync::atomic::{AtomicU64, Ordering};

/// The variable `scripts/with-postgres.sh` sets.
const CLUSTER_URL: &str = "COFFEE_SHOP_TEST_DATABASE_URL";
/// The CA that signed the cluster's certificate.
const CLUSTER_CA: &str = "COFFEE_SHOP_TEST_DATABASE_CA";
/// How to stop and start the cluster (`pg_ctl -D <data> -l <log>`).
const CLUSTER_CTL: &str = "COFFEE_SHOP_TEST_PG_CTL";

/// True when the test apps run on PostgreSQL (`COFFEE_SHOP_TEST_ENGINE=postgres`).
pub fn test_engine_is_postgres() -> bool {
    std::env::var("COFFEE_SHOP_TEST_ENGINE").is_ok_and(|engine| engine == "postgres")
}

/// The running test cluster.
#[derive(Debug, Clone)]
pub struct TestCluster {
    /// `postgres://postgres:<password>@127.0.0.1:<port>/postgres`.
    pub url: String,
    /// The CA certificate (PEM file) that vouches for the cluster.
    pub ca_file: String,
    ctl: String,
}

impl TestCluster {
    /// The cluster; fails, saying how to start one, outside `with-postgres.sh`.
    pub fn get() -> Self {
        let read = |name: &str| {
            std::env::var(name).unwrap_or_else(|_| {
                panic!(
                    "{name} is not set: run the tests through scripts/test.sh, or \
                     `scripts/with-postgres.sh cargo test`, which start a PostgreSQL cluster"
                )
            })
        };
        Self {
            url: read(CLUSTER_URL),
            ca_file: read(CLUSTER_CA),
            ctl: read(CLUSTER_CTL),
        }
    }

    /// Creates a new, empty database; returns its URL (no `sslmode`).
    pub fn new_database(&self) -> String {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let name = format!(
            "test_{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        self.execute(&format!("CREATE DATABASE {name}"));
        let (server, _) = self.url.rsplit_once('/').expect("the URL names a database");
        format!("{server}/{name}")
    }

    /// Runs `sql` on the cluster's `postgres` database.
    pub fn execute(&self, sql: &str) {
        run_on(&self.url, sql);
    }

    /// `pg_ctl ACTION` (`stop -m immediate`, `start -w`, ...), for the
    /// tests that take the database away.
    pub fn ctl(&self, action: &str) {
        let command = format!("{} {action}", self.ctl);
        let status = std::process::Command::new("sh")
            .args(["-c", &command])
            .stdout(std::process::Stdio::null())
            .status()
            .expect("run pg_ctl");
        assert!(status.success(), "{command} failed");
    }
}

/// Runs `sql` on the database at `url`. On a thread of its own: the
/// synchronous client must not run inside a test's async runtime.
pub fn run_on(url: &str, sql: &str) {
    let (url, sql) = (url.to_owned(), sql.to_owned());
    std::thread::spawn(move || {
        let mut client = postgres::Client::connect(&url, postgres::NoTls)
            .unwrap_or_else(|e| panic!("connect to {url}: {e}"));
        client
            .batch_execute(&sql)
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    })
    .join()
    .expect("the PostgreSQL thread");
}

/// Every row `sql` returns, each column as text (`None` for NULL).
pub fn query_rows(url: &str, sql: &str) -> Vec<Vec<Option<String>>> {
    let (url, sql) = (url.to_owned(), sql.to_owned());
    std::thread::spawn(move || {
        let mut client = postgres::Client::connect(&url, postgres::NoTls)
            .unwrap_or_else(|e| panic!("connect to {url}: {e}"));
        let messages = client
            .simple_query(&sql)
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
        messages
            .iter()
            .filter_map(|message| match message {
                postgres::SimpleQueryMessage::Row(row) => Some(
                    (0..row.len())
                        .map(|column| row.get(column).map(str::to_owned))
                        .collect(),
                ),
                _ => None,
            })
            .collect()
    })
    .join()
    .expect("the PostgreSQL thread")
}
