//! A real S3-compatible server on loopback: moto's server mode, from the
//! virtualenv scripts/setup.sh installs (`target/moto-venv`, or
//! `$MOTO_SERVER`), started on a port of the caller's choosing and killed
//! when dropped. moto accepts any credentials unless told to check them.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running moto server.
pub struct S3Server {
    child: Child,
    pub port: u16,
}

impl S3Server {
    /// Starts moto on `port` with bucket `bucket`; waits until it answers.
    pub fn start(port: u16, bucket: &str) -> Self {
        Self::start_with(port, bucket, &[])
    }

    /// `start`, with moto's own environment settings, e.g.
    /// `INITIAL_NO_AUTH_ACTION_COUNT=1`: after creating the bucket, only
    /// credentials moto knows are accepted (so none are).
    pub fn start_with(port: u16, bucket: &str, env: &[(&str, &str)]) -> Self {
        let binary = std::env::var_os("MOTO_SERVER").map_or_else(default_binary, PathBuf::from);
        assert!(
            binary.exists(),
            "moto is missing at {} (scripts/setup.sh installs it)",
            binary.display()
        );
        let child = Command::new(&binary)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("moto starts");
        let server = Self { child, port };
        let deadline = Instant::now() + Duration::from_secs(30);
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into();
        loop {
            if let Ok(created) = agent.put(&server.url(&format!("/{bucket}"))).send_empty() {
                assert!(
                    created.status().is_success(),
                    "moto created the bucket: {}",
                    created.status()
                );
                return server;
            }
            assert!(
                Instant::now() < deadline,
                "moto never answered on port {port}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// `http://127.0.0.1:<port>` and `path`.
    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `target/moto-venv/bin/moto_server` in this workspace.
fn default_binary() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/moto-venv/bin/moto_server")
}
