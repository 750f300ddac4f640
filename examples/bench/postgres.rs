//! PostgreSQL against SQLite, in the same run as the rest, on the cluster
//! `scripts/with-postgres.sh` starts (bench/run.sh runs the harness inside
//! it): GET /drinks and /drinks-detail on a PostgreSQL-backed server against
//! a SQLite-backed one (the menu is cached either way), the durable POST
//! rate against the raw insert-and-commit rate on the same cluster, and the
//! read rate of two servers sharing one database. Connections to the
//! cluster are plain TCP on loopback (`sslmode=disable`): the figures are
//! the engine's, not TLS's.

use std::time::Duration;

use coffee_shop::db::create_drink;
use coffee_shop_testkit::process::command_for;
use coffee_shop_testkit::{ServerProcess, TestCluster};

use super::{Setup, compare_same_run, fresh_copy, insert_rate, median, start_server, wrk};

pub fn report(setup: &Setup) {
    if std::env::var_os("COFFEE_SHOP_TEST_DATABASE_URL").is_none() {
        println!("\nPostgreSQL: skipped (bench/run.sh runs the harness beside a cluster)");
        return;
    }
    let cluster = TestCluster::get();
    let db = setup.work.join("postgres-compare.db");
    let sqlite_server = || {
        fresh_copy(setup.pristine, &db);
        start_server(setup.binary, &db, setup.jwks)
    };
    let postgres_server = |url: &str| start_on_postgres(setup, url);
    let rate = |server: ServerProcess, path: &str, script| {
        wrk(setup.shape, setup.seconds, &server.url(path), script).requests_per_sec
    };
    compare_same_run(
        "PostgreSQL against SQLite (sample menu, same run)",
        "GET /drinks, keep-alive (median of 3)",
        ("PG /s", "SQLite /s"),
        ">= 0.90",
        || {
            rate(
                postgres_server(&cluster.new_database()),
                "/drinks",
                setup.menu_script,
            )
        },
        || rate(sqlite_server(), "/drinks", setup.menu_script),
    );
    compare_same_run(
        "PostgreSQL against SQLite (sample menu, same run)",
        "GET /drinks-detail, one token (median of 3)",
        ("PG /s", "SQLite /s"),
        ">= 0.90",
        || {
            let server = postgres_server(&cluster.new_database());
            rate(server, "/drinks-detail", setup.detail_script)
        },
        || rate(sqlite_server(), "/drinks-detail", setup.detail_script),
    );

    let url = cluster.new_database();
    let posts = rate(postgres_server(&url), "/drinks", setup.create_script);
    let raw = raw_insert_rate(setup, &cluster.new_database(), setup.seconds);
    println!();
    println!(
        "| {:<52} | {:>10} | {:>10} | {:>6} |",
        "Durable writes on PostgreSQL (same run)", "POST /s", "raw /s", "ratio"
    );
    println!("|{:-<54}|{:-<12}|{:-<12}|{:-<8}|", "", "", "", "");
    println!(
        "| {:<52} | {:>10.0} | {:>10.0} | {:>6.2} |",
        "POST /drinks vs one client's insert + commit",
        posts,
        raw,
        posts / raw
    );

    two_servers(setup, &cluster);
}

fn start_on_postgres(setup: &Setup, url: &str) -> ServerProcess {
    let mut command = command_for(setup.binary, &setup.work.join("unused.db"), setup.jwks);
    command
        .env(
            "COFFEE_SHOP__DATABASE__URL",
            format!("{url}?sslmode=disable"),
        )
        .env("COFFEE_SHOP__MENU__MAX_DRINKS", "1000000");
    let server = ServerProcess::spawn(command);
    assert!(
        server.answers("/readyz", 200, Duration::from_secs(10)),
        "the PostgreSQL-backed server became ready"
    );
    server
}

/// The statements a POST runs, one transaction and one commit each,
/// straight through the client library on one connection.
fn raw_insert_rate(setup: &Setup, url: &str, seconds: u64) -> f64 {
    // Migrated by a server first, so the tables are the server's own.
    drop(start_on_postgres(setup, url));
    let url = format!("{url}?sslmode=disable");
    std::thread::scope(|scope| {
        scope
            .spawn(|| {
                let mut client = postgres::Client::connect(&url, postgres::NoTls).expect("connect");
                insert_rate(Duration::from_secs(seconds), |drink| {
                    let mut tx = client.transaction().expect("begin");
                    create_drink(&mut tx, drink, "raw", u32::MAX).expect("insert");
                    tx.commit().expect("commit");
                })
            })
            .join()
            .expect("the raw client")
    })
}

/// GET /drinks on one server, then on two sharing one database, each
/// with half the connections, at once; three rounds.
fn two_servers(setup: &Setup, cluster: &TestCluster) {
    let url = cluster.new_database();
    let (threads, connections) = setup.shape;
    let half = (threads.div_ceil(2), connections.div_ceil(2));
    let (mut one, mut two) = (Vec::new(), Vec::new());
    for _ in 0..3 {
        let single = start_on_postgres(setup, &url);
        one.push(
            wrk(
                setup.shape,
                setup.seconds,
                &single.url("/drinks"),
                setup.menu_script,
            )
            .requests_per_sec,
        );
        drop(single);
        let (first, second) = (
            start_on_postgres(setup, &url),
            start_on_postgres(setup, &url),
        );
        let combined: f64 = std::thread::scope(|scope| {
            [&first, &second]
                .map(|server| {
                    scope.spawn(move || {
                        wrk(
                            half,
                            setup.seconds,
                            &server.url("/drinks"),
                            setup.menu_script,
                        )
                        .requests_per_sec
                    })
                })
                .into_iter()
                .map(|run| run.join().expect("wrk"))
                .sum()
        });
        two.push(combined);
    }
    let (one, two) = (median(&mut one), median(&mut two));
    println!();
    println!(
        "| {:<52} | {:>10} | {:>10} | {:>6} |",
        "Two servers on one PostgreSQL (same run)", "two /s", "one /s", "ratio"
    );
    println!("|{:-<54}|{:-<12}|{:-<12}|{:-<8}|", "", "", "", "");
    println!(
        "| {:<52} | {:>10.0} | {:>10.0} | {:>6.2} |",
        "GET /drinks, both at once (median of 3)",
        two,
        one,
        two / one
    );
    println!(
        "two servers and wrk share this machine's 2 cores: no real scaling can show \
         here; on separate machines each server adds its own cores"
    );
}
