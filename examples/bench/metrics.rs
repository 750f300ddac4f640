//! The cost of metrics, in the same run as the rest: GET /drinks with
//! metrics on (every request counted and timed) against metrics off, the
//! same binary, alternating which goes first, median of 3 rounds.

use std::time::Duration;

use coffee_shop_testkit::process::command_for;
use coffee_shop_testkit::{ServerProcess, free_port};

use super::{Setup, compare_same_run, fresh_copy, start_server, wrk};

pub fn report(setup: &Setup) {
    let db = setup.work.join("metrics-run.db");
    let menu_rate = |server: ServerProcess| {
        let url = server.url("/drinks");
        wrk(setup.shape, setup.seconds, &url, setup.menu_script).requests_per_sec
    };
    let rate_off = || {
        fresh_copy(setup.pristine, &db);
        menu_rate(start_server(setup.binary, &db, setup.jwks))
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
        menu_rate(server)
    };
    compare_same_run(
        "Metrics (sample menu, same run)",
        "GET /drinks, keep-alive (median of 3)",
        ("on /s", "off /s"),
        ">= 0.95",
        rate_on,
        rate_off,
    );
}
