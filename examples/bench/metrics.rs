//! The cost of metrics, in the same run as the rest: GET /drinks with
//! metrics on (every request counted and timed) against metrics off, the
//! same binary, alternating which goes first, median of 3 rounds.

use std::time::Duration;

use coffee_shop_testkit::process::command_for;
use coffee_shop_testkit::{ServerProcess, free_port};

use super::{Setup, fresh_copy, median, start_server, wrk};

pub fn report(setup: &Setup) {
    let db = setup.work.join("metrics-run.db");
    let (mut off, mut on, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..3 {
        let rate_off = || {
            fresh_copy(setup.pristine, &db);
            let server = start_server(setup.binary, &db, setup.jwks);
            wrk(
                setup.shape,
                setup.seconds,
                &server.url("/drinks"),
                setup.menu_script,
            )
            .requests_per_sec
        };
        let rate_on = || {
            fresh_copy(setup.pristine, &db);
            let mut command = command_for(setup.binary, &db, setup.jwks);
            command.env("COFFEE_SHOP__METRICS__ENABLED", "true").env(
                "COFFEE_SHOP__METRICS__BIND",
                format!("127.0.0.1:{}", free_port()),
            );
            let server = ServerProcess::spawn(command);
            assert!(
                server.answers("/readyz", 200, Duration::from_secs(10)),
                "the server with metrics became ready"
            );
            wrk(
                setup.shape,
                setup.seconds,
                &server.url("/drinks"),
                setup.menu_script,
            )
            .requests_per_sec
        };
        // Alternate which goes first, so drift favours neither.
        let (without, with) = if round % 2 == 0 {
            let without = rate_off();
            (without, rate_on())
        } else {
            let with = rate_on();
            (rate_off(), with)
        };
        off.push(without);
        on.push(with);
        ratios.push(with / without);
    }
    println!();
    println!(
        "| {:<52} | {:>10} | {:>10} | {:>6} | {:>6} |",
        "Metrics (sample menu, same run)", "on /s", "off /s", "ratio", "target"
    );
    println!(
        "|{:-<54}|{:-<12}|{:-<12}|{:-<8}|{:-<8}|",
        "", "", "", "", ""
    );
    println!(
        "| {:<52} | {:>10.0} | {:>10.0} | {:>6.2} | {:>6} |",
        "GET /drinks, keep-alive (median of 3)",
        median(&mut on),
        median(&mut off),
        median(&mut ratios),
        ">= 0.95"
    );
}
