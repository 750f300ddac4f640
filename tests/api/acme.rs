//! Automatic certificates end to end against a real ACME CA: Debian's
//! `pebble`, with `pebble-challtestsrv` answering DNS so that every test
//! domain resolves to loopback, where the app's plain listener answers the
//! HTTP-01 challenges. Orders are counted in pebble's own log.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use coffee_shop::config::Settings;
use coffee_shop_testkit::free_port;
use coffee_shop_testkit::tls::{HttpsAnswer, client_config, https_get};

use crate::helpers::*;

const DOMAIN: &str = "menu.cafe.test";

/// pebble and its DNS server, on free loopback ports; killed on drop. Its
/// files live in the `PebblePlan`, which outlives it.
struct Pebble {
    processes: Vec<Child>,
    /// pebble's stdout and stderr, line by line.
    log: Arc<Mutex<String>>,
    management: String,
}

/// Where a test's pebble lives: chosen before it runs, so an app can be
/// pointed at a CA that is not up yet.
struct PebblePlan {
    dir: tempfile::TempDir,
    directory_port: u16,
    dns_port: u16,
    /// The CA of pebble's own HTTPS certificate (`tls.acme_ca_file`).
    ca_file: PathBuf,
    /// The app's plain-HTTP port, where pebble checks HTTP-01.
    challenge_port: u16,
}

impl PebblePlan {
    fn new() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let ca = TestCa::new("pebble's HTTPS CA");
        let issued = ca.issue(&["127.0.0.1", "localhost"]);
        let ca_file = dir.path().join("pebble-https-ca.pem");
        std::fs::write(&ca_file, ca.pem()).expect("write CA");
        std::fs::write(dir.path().join("cert.pem"), issued.cert_pem).expect("write cert");
        std::fs::write(dir.path().join("key.pem"), issued.key_pem).expect("write key");
        Self {
            dir,
            directory_port: free_port(),
            dns_port: free_port(),
            ca_file,
            challenge_port: free_port(),
        }
    }

    fn directory_url(&self) -> String {
        format!("https://127.0.0.1:{}/dir", self.directory_port)
    }

    /// Settings tweak: certificates for `DOMAIN` from this pebble.
    fn configure(&self, settings: &mut Settings) {
        let loopback = |port| SocketAddr::from(([127, 0, 0, 1], port)).into();
        settings.tls.acme_domains = vec![DOMAIN.to_owned()];
        settings.tls.acme_email = Some("owner@cafe.test".into());
        settings.tls.acme_directory = self.directory_url();
        settings.tls.acme_ca_file = Some(self.ca_file.clone());
        settings.tls.https_bind = loopback(0);
        settings.tls.http_bind = Some(loopback(self.challenge_port));
    }

    /// Starts pebble issuing certificates valid for `validity_secs`.
    fn start(&self, validity_secs: u64) -> Pebble {
        let management_port = free_port();
        let dir = self.dir.path();
        let config = serde_json::json!({"pebble": {
            "listenAddress": format!("127.0.0.1:{}", self.directory_port),
            "managementListenAddress": format!("127.0.0.1:{management_port}"),
            "certificate": dir.join("cert.pem"),
            "privateKey": dir.join("key.pem"),
            "httpPort": self.challenge_port,
            "tlsPort": free_port(),
            "ocspResponderURL": "",
            "externalAccountBindingRequired": false,
            "certificateValidityPeriod": validity_secs,
        }});
        let config_file = dir.join("pebble.json");
        std::fs::write(&config_file, config.to_string()).expect("write config");
        let log = Arc::new(Mutex::new(String::new()));
        let dns = format!("127.0.0.1:{}", self.dns_port);
        let mut challtestsrv = Command::new("pebble-challtestsrv");
        challtestsrv.args(["-defaultIPv4", "127.0.0.1", "-defaultIPv6", ""]);
        challtestsrv.args([
            "-dns01",
            &dns,
            "-http01",
            "",
            "-https01",
            "",
            "-tlsalpn01",
            "",
        ]);
        challtestsrv.args(["-management", &format!("127.0.0.1:{}", free_port())]);
        let mut pebble = Command::new("pebble");
        pebble
            .arg("-config")
            .arg(&config_file)
            .args(["-dnsserver", &dns]);
        // Fast and deterministic: no validation sleeps, no rejected nonces.
        pebble
            .env("PEBBLE_VA_NOSLEEP", "1")
            .env("PEBBLE_WFE_NONCEREJECT", "0");
        let processes = vec![spawn_logged(challtestsrv, &log), spawn_logged(pebble, &log)];
        let started = Pebble {
            processes,
            log,
            management: format!("https://127.0.0.1:{management_port}"),
        };
        started.wait_for_log("ACME directory available");
        started
    }
}

fn spawn_logged(mut command: Command, log: &Arc<Mutex<String>>) -> Child {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("pebble is installed (apt-get install pebble)");
    let outputs: Vec<Box<dyn std::io::Read + Send>> = vec![
        Box::new(child.stdout.take().expect("stdout")),
        Box::new(child.stderr.take().expect("stderr")),
    ];
    for output in outputs {
        let log = Arc::clone(log);
        std::thread::spawn(move || {
            for line in BufReader::new(output).lines().map_while(Result::ok) {
                let mut log = log.lock().expect("log");
                log.push_str(&line);
                log.push('\n');
            }
        });
    }
    child
}

impl Pebble {
    fn wait_for_log(&self, text: &str) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while !self.log.lock().expect("log").contains(text) {
            assert!(
                Instant::now() < deadline,
                "pebble never said {text:?}:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn log(&self) -> String {
        self.log.lock().expect("log").clone()
    }

    /// New orders pebble has received.
    fn orders(&self) -> usize {
        self.log().matches("POST /order-plz").count()
    }

    /// pebble's root CA (made anew each time pebble starts), PEM.
    fn root_pem(&self, plan_ca: &std::path::Path) -> String {
        let ca = std::fs::read(plan_ca).expect("pebble's HTTPS CA");
        let root = ureq::tls::Certificate::from_pem(&ca).expect("PEM");
        let agent = ureq::Agent::config_builder()
            .tls_config(
                ureq::tls::TlsConfig::builder()
                    .root_certs(ureq::tls::RootCerts::new_with_certs(&[root]))
                    .build(),
            )
            .build()
            .new_agent();
        // The management listener may come up just after the directory
        // says it is available; give it a few seconds under load.
        let url = format!("{}/roots/0", self.management);
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            match agent.get(&url).call() {
                Ok(mut answer) => return answer.body_mut().read_to_string().expect("a PEM root"),
                Err(error) if std::time::Instant::now() > deadline => {
                    panic!("pebble's management interface did not answer: {error}")
                }
                Err(_) => std::thread::sleep(std::time::Duration::from_millis(100)),
            }
        }
    }
}

impl Drop for Pebble {
    fn drop(&mut self) {
        for process in &mut self.processes {
            let _ = process.kill();
            let _ = process.wait();
        }
    }
}

/// The app's HTTPS answer for `DOMAIN`, verified against `root`, once a
/// certificate is served (within `within`).
fn wait_for_https(app: &TestApp, root: &str, within: Duration) -> HttpsAnswer {
    let address: SocketAddr = app
        .address
        .trim_start_matches("https://")
        .parse()
        .expect("address");
    let config = client_config(&[root]);
    let deadline = Instant::now() + within;
    loop {
        match https_get(address, DOMAIN, &config, "/drinks") {
            Ok(answer) => return answer,
            Err(error) => assert!(Instant::now() < deadline, "no HTTPS yet: {error}"),
        }
        std::thread::sleep(Duration::from_millis(250));
    }
}

fn plain_get(app: &TestApp, path: &str) -> TestResponse {
    let url = format!(
        "http://127.0.0.1:{}{path}",
        app.plain_http_port.expect("plain listener")
    );
    into_test_response(
        ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .new_agent()
            .get(url)
            .call()
            .expect("answers"),
    )
}

#[test]
fn a_certificate_is_obtained_served_and_reused_after_a_restart() {
    let plan = PebblePlan::new();
    let pebble = plan.start(90 * 86_400);
    let app = spawn_tweaked_app(|settings| plan.configure(settings));
    let root = pebble.root_pem(&plan.ca_file);

    let first = wait_for_https(&app, &root, Duration::from_secs(60));
    assert_eq!(first.status, 200, "{}", first.head);
    assert!(first.body.contains("\"water\""), "{}", first.body);
    assert_eq!(pebble.orders(), 1, "{}", pebble.log());
    let ready = plain_get(&app, "/readyz");
    let tls = ready.json()["checks"]["tls"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert_mentions(&tls, &[DOMAIN, "renews at"]);
    assert!(ready.status == 200, "{}", ready.text);

    let acme_dir = app.db_path.parent().expect("folder").join("acme");
    for file in walk(&acme_dir) {
        let mode = std::os::unix::fs::PermissionsExt::mode(
            &std::fs::metadata(&file).expect("metadata").permissions(),
        );
        assert_eq!(mode & 0o077, 0, "{} is readable by others", file.display());
    }

    let (settings, jwks, dir) = app.stop();
    let restarted = spawn_app_with(settings, jwks, dir);
    let again = wait_for_https(&restarted, &root, Duration::from_secs(5));
    assert_eq!(
        again.certificate, first.certificate,
        "the stored certificate is reused"
    );
    assert_eq!(pebble.orders(), 1, "a restart orders nothing");
}

#[test]
fn a_short_lived_certificate_is_renewed_without_a_restart() {
    let plan = PebblePlan::new();
    // 30 s certificates are renewed with a third of their life left.
    let pebble = plan.start(30);
    let app = spawn_tweaked_app(|settings| plan.configure(settings));
    let root = pebble.root_pem(&plan.ca_file);
    let first = wait_for_https(&app, &root, Duration::from_secs(60));

    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let now = wait_for_https(&app, &root, Duration::from_secs(5));
        if now.certificate != first.certificate {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "never renewed:\n{}",
            pebble.log()
        );
        std::thread::sleep(Duration::from_millis(500));
    }
    assert!(pebble.orders() >= 2, "the renewal is a new order");

    // The CA goes away: the next renewal fails, the certificate in hand
    // stays served, and /readyz says why.
    let served = wait_for_https(&app, &root, Duration::from_secs(5)).certificate;
    drop(pebble);
    let deadline = Instant::now() + Duration::from_secs(40);
    loop {
        let ready = plain_get(&app, "/readyz");
        let tls = ready.json()["checks"]["tls"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        if tls.contains("renewal failing") {
            assert!(tls.contains(&plan.directory_url()), "{tls}");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no renewal failure reported: {tls}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let still = wait_for_https(&app, &root, Duration::from_secs(2));
    assert_eq!(still.certificate, served, "the current certificate is kept");
}

#[test]
fn with_the_ca_down_the_server_is_alive_not_ready_and_gets_a_certificate_later() {
    let plan = PebblePlan::new();
    let app = spawn_tweaked_app(|settings| plan.configure(settings));

    assert_eq!(plain_get(&app, "/healthz").status, 200);
    // The first attempt fails at once (nothing listens); /readyz says why.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let not_ready = plain_get(&app, "/readyz");
        assert_eq!(not_ready.status, 503, "{}", not_ready.text);
        let tls = not_ready.json()["checks"]["tls"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        assert!(tls.starts_with("pending: "), "{tls}");
        if tls.contains(&plan.directory_url()) && tls.contains("retrying in 10 s") {
            break;
        }
        assert!(Instant::now() < deadline, "no reason given: {tls}");
        std::thread::sleep(Duration::from_millis(100));
    }

    let pebble = plan.start(90 * 86_400);
    let root = pebble.root_pem(&plan.ca_file);
    let answer = wait_for_https(&app, &root, Duration::from_secs(60));
    assert_eq!(answer.status, 200);
    assert_eq!(plain_get(&app, "/readyz").status, 200);
}

fn walk(dir: &std::path::Path) -> Vec<PathBuf> {
    let mut found = vec![dir.to_owned()];
    for entry in std::fs::read_dir(dir)
        .expect("acme dir")
        .map_while(Result::ok)
    {
        let path = entry.path();
        if path.is_dir() {
            found.extend(walk(&path));
        } else {
            found.push(path);
        }
    }
    found
}
