//! The coffee-shop binary as a child process on a loopback port: started
//! with a clean environment, waited for, measured, and stopped with
//! SIGTERM (gracefully) or SIGKILL (a crash).

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use crate::jwks::JwksServer;

/// A port on 127.0.0.1 that nothing listens on right now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port()
}

/// The binary with nothing of the caller's environment but `RUST_LOG=warn`,
/// so a developer's own `COFFEE_SHOP__*` variables never leak in; its
/// output is discarded unless the caller says otherwise.
pub fn clean_command(binary: &Path) -> Command {
    let mut command = Command::new(binary);
    command
        .env_clear()
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    command
}

/// `clean_command` with its database at `database` (and its working
/// directory beside it) and `jwks` as the identity provider.
pub fn command_for(binary: &Path, database: &Path, jwks: &JwksServer) -> Command {
    let mut command = clean_command(binary);
    command
        .env("COFFEE_SHOP__DATABASE__PATH", database)
        .env("COFFEE_SHOP__AUTH__ISSUER", jwks.issuer())
        .env("COFFEE_SHOP__AUTH__JWKS_URL", jwks.jwks_url())
        .current_dir(database.parent().expect("the database's folder"));
    command
}

/// A running coffee-shop; killed (SIGKILL) if dropped while still running.
pub struct ServerProcess {
    /// `None` only once it has been handed over by `terminate_with_output`.
    child: Option<Child>,
    pub port: u16,
}

impl ServerProcess {
    /// Starts `command` bound to a free loopback port; does not wait.
    pub fn spawn(command: Command) -> Self {
        Self::spawn_on(command, free_port())
    }

    /// Starts `command` bound to 127.0.0.1:`port`; does not wait.
    pub fn spawn_on(mut command: Command, port: u16) -> Self {
        let child = command
            .env("COFFEE_SHOP__SERVER__BIND", format!("127.0.0.1:{port}"))
            .stdin(Stdio::null())
            .spawn()
            .expect("the server starts");
        Self {
            child: Some(child),
            port,
        }
    }

    fn child(&mut self) -> &mut Child {
        self.child.as_mut().expect("the process is still owned")
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// True once `path` answers `status` (polled until `timeout`).
    pub fn answers(&self, path: &str, status: u16, timeout: Duration) -> bool {
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(5)))
            .build()
            .new_agent();
        let url = self.url(path);
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if agent.get(&url).call().is_ok_and(|r| r.status() == status) {
                return true;
            }
            // Fine-grained: the benchmark times start-up with it.
            std::thread::sleep(Duration::from_millis(1));
        }
        false
    }

    pub fn pid(&self) -> u32 {
        self.child.as_ref().map_or(0, Child::id)
    }

    /// A field of /proc/<pid>/status in kB: `VmRSS` now, `VmHWM` the peak.
    pub fn memory_kb(&self, field: &str) -> u64 {
        std::fs::read_to_string(format!("/proc/{}/status", self.pid()))
            .unwrap_or_default()
            .lines()
            .find_map(|line| {
                line.strip_prefix(field)?
                    .trim_start_matches(':')
                    .split_whitespace()
                    .next()?
                    .parse()
                    .ok()
            })
            .unwrap_or(0)
    }

    /// Resets `VmHWM`, so the next reading is the peak from now on.
    pub fn reset_peak_memory(&self) {
        let _ = std::fs::write(format!("/proc/{}/clear_refs", self.pid()), "5");
    }

    /// The exit status, once it has exited within `timeout`.
    pub fn exit_within(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + timeout;
        loop {
            let status = self.child().try_wait().expect("wait");
            if status.is_some() || Instant::now() >= deadline {
                return status;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Sends SIGTERM (what systemd and Ctrl-C send); does not wait.
    pub fn request_stop(&self) {
        signal(self.pid(), "-TERM");
    }

    /// SIGTERM, then the exit status once it has stopped.
    pub fn terminate(mut self) -> ExitStatus {
        self.request_stop();
        self.child().wait().expect("exits")
    }

    /// SIGTERM, then the exit status and whatever it printed (for a
    /// `command` whose stdout and stderr were piped).
    pub fn terminate_with_output(mut self) -> (ExitStatus, String, String) {
        self.request_stop();
        let child = self.child.take().expect("the process is still owned");
        let output = child.wait_with_output().expect("exits");
        (
            output.status,
            String::from_utf8_lossy(&output.stdout).into_owned(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    }

    /// SIGKILL: a crash, with no chance to clean up.
    pub fn kill(mut self) {
        self.child().kill().expect("kill");
        self.child().wait().expect("reaped");
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        if let Some(child) = self.child.as_mut()
            && let Ok(None) = child.try_wait()
        {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn signal(pid: u32, signal: &str) {
    let sent = Command::new("kill")
        .args([signal, &pid.to_string()])
        .status()
        .expect("kill runs");
    assert!(sent.success(), "kill {signal} {pid}");
}
