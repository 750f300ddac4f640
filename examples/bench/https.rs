//! HTTPS figures, in the same run as the rest: GET /drinks over HTTPS with
//! keep-alive against plain HTTP (the same binary, alternating, median of 3
//! rounds), then new connections per second, each a TLS handshake and one
//! small request, with full handshakes and with resumed ones.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use coffee_shop_testkit::process::command_for;
use coffee_shop_testkit::tls::{client_config, https_get};
use coffee_shop_testkit::{ServerProcess, TestCa, free_port};
use rustls::client::Resumption;

use super::{Setup, compare_same_run, fresh_copy, start_server, wrk};

/// The server over HTTPS from files `ca` issued, and its address.
struct TlsServer {
    _process: ServerProcess,
    address: SocketAddr,
}

impl TlsServer {
    fn start(setup: &Setup, db: &Path, ca: &TestCa) -> Self {
        let issued = ca.issue(&["127.0.0.1"]);
        let (cert, key) = (
            setup.work.join("bench-cert.pem"),
            setup.work.join("bench-key.pem"),
        );
        std::fs::write(&cert, issued.cert_pem).expect("write cert");
        std::fs::write(&key, issued.key_pem).expect("write key");
        let address = SocketAddr::from(([127, 0, 0, 1], free_port()));
        let mut command = command_for(setup.binary, db, setup.jwks);
        command
            .env("COFFEE_SHOP__TLS__CERT", &cert)
            .env("COFFEE_SHOP__TLS__KEY", &key)
            .env("COFFEE_SHOP__TLS__HTTPS_BIND", address.to_string())
            .env("COFFEE_SHOP__TLS__HTTP_BIND", "off");
        let process = ServerProcess::spawn(command);
        let config = client_config(&[&ca.pem()]);
        let deadline = Instant::now() + Duration::from_secs(10);
        while !https_get(address, "127.0.0.1", &config, "/readyz").is_ok_and(|a| a.status == 200) {
            assert!(Instant::now() < deadline, "the HTTPS server became ready");
            std::thread::sleep(Duration::from_millis(50));
        }
        Self {
            _process: process,
            address,
        }
    }
}

pub fn report(setup: &Setup) {
    let ca = TestCa::new("bench CA");
    let db = setup.work.join("https-run.db");
    let plain_rate = || {
        fresh_copy(setup.pristine, &db);
        let server = start_server(setup.binary, &db, setup.jwks);
        let url = server.url("/drinks");
        wrk(setup.shape, setup.seconds, &url, setup.menu_script).requests_per_sec
    };
    let tls_rate = || {
        fresh_copy(setup.pristine, &db);
        let server = TlsServer::start(setup, &db, &ca);
        let url = format!("https://{}/drinks", server.address);
        wrk(setup.shape, setup.seconds, &url, setup.menu_script).requests_per_sec
    };
    compare_same_run(
        "HTTPS (sample menu, same run)",
        "GET /drinks, keep-alive (median of 3)",
        ("HTTPS /s", "HTTP /s"),
        ">= 0.6",
        tls_rate,
        plain_rate,
    );

    fresh_copy(setup.pristine, &db);
    let server = TlsServer::start(setup, &db, &ca);
    let seconds = Duration::from_secs(setup.seconds);
    let threads = setup.shape.0.max(1);
    for resumed in [false, true] {
        let (rate, resumed_share) = handshakes(server.address, &ca, resumed, threads, seconds);
        println!(
            "| {:<52} | {:>10.0} | {:>10} | {:>6} | {:>6} |",
            if resumed {
                format!(
                    "new connection + GET /healthz, resumed ({:.0}% were)",
                    resumed_share * 100.0
                )
            } else {
                "new connection + GET /healthz, full handshake".to_owned()
            },
            rate,
            "-",
            "-",
            "-"
        );
    }
    println!(
        "(handshake rows: {threads} client threads, each connection does one TLS handshake and one request)"
    );
}

/// New connections per second over `threads` clients for `length`, each a
/// handshake and GET /healthz; with `resume`, clients offer their session
/// tickets. Returns the rate and the share of handshakes that resumed.
fn handshakes(
    address: SocketAddr,
    ca: &TestCa,
    resume: bool,
    threads: u32,
    length: Duration,
) -> (f64, f64) {
    let mut config = Arc::unwrap_or_clone(client_config(&[&ca.pem()]));
    if !resume {
        config.resumption = Resumption::disabled();
    }
    let config = Arc::new(config);
    let (done, resumed) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
    let started = Instant::now();
    let workers: Vec<_> = (0..threads)
        .map(|_| {
            let (config, done, resumed) =
                (Arc::clone(&config), Arc::clone(&done), Arc::clone(&resumed));
            std::thread::spawn(move || {
                while started.elapsed() < length {
                    let answer = https_get(address, "127.0.0.1", &config, "/healthz")
                        .expect("a handshake and an answer");
                    done.fetch_add(1, Ordering::Relaxed);
                    if answer.resumed {
                        resumed.fetch_add(1, Ordering::Relaxed);
                    }
                }
            })
        })
        .collect();
    for worker in workers {
        worker.join().expect("client thread");
    }
    let done = done.load(Ordering::Relaxed) as f64;
    (
        done / started.elapsed().as_secs_f64(),
        resumed.load(Ordering::Relaxed) as f64 / done.max(1.0),
    )
}
