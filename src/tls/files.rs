//! Certificate files (`tls.cert`, `tls.key`) reloaded without a restart:
//! when either file changes (a certbot renewal), and on SIGHUP. A bad
//! reload keeps the certificate being served and logs why.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use super::CertificateStore;
use super::certificate::load_files;

/// How often the files are looked at. A stat of two files is cheap, and
/// polling also sees certbot's symlink swaps, which file events can miss.
const POLL_INTERVAL: Duration = Duration::from_secs(2);

/// What identifies a version of a file: its modification time and size
/// (through symlinks, as certbot's `live/` files are).
type FileStamp = Option<(SystemTime, u64)>;

fn stamp(path: &Path) -> FileStamp {
    let metadata = std::fs::metadata(path).ok()?;
    Some((metadata.modified().ok()?, metadata.len()))
}

/// Watches the files for the life of the actix system. SIGHUP is taken
/// over at once, before start-up goes on, so it never stops the server.
pub fn watch(store: Arc<CertificateStore>, cert: PathBuf, key: PathBuf) {
    let mut hangups = hangup_signals();
    actix_web::rt::spawn(async move {
        let mut seen = (stamp(&cert), stamp(&key));
        let mut interval = tokio::time::interval(POLL_INTERVAL);
        loop {
            let hangup = tokio::select! {
                _ = interval.tick() => false,
                _ = next_hangup(&mut hangups) => true,
            };
            let now = (stamp(&cert), stamp(&key));
            if hangup || now != seen {
                seen = now;
                reload(
                    &store,
                    &cert,
                    &key,
                    if hangup { "SIGHUP" } else { "a file changed" },
                );
            }
        }
    });
}

/// Without certificate files, SIGHUP (e.g. `systemctl reload`) has nothing
/// to reload: it is logged, and never stops the server as it would by
/// default.
pub fn ignore_hangups() {
    let mut hangups = hangup_signals();
    actix_web::rt::spawn(async move {
        loop {
            next_hangup(&mut hangups).await;
            tracing::info!("SIGHUP: nothing to reload (no certificate files are in use)");
        }
    });
}

fn reload(store: &CertificateStore, cert: &Path, key: &Path, why: &str) {
    match load_files(cert, key) {
        Ok(loaded) => {
            tracing::info!(
                why,
                certificate = %loaded.info.summary(SystemTime::now()),
                "TLS certificate reloaded; new connections use it"
            );
            store.install(loaded, None);
        }
        Err(error) => tracing::warn!(
            why,
            %error,
            "TLS certificate not reloaded; still serving the previous one"
        ),
    }
}

#[cfg(unix)]
type Hangups = Option<tokio::signal::unix::Signal>;
/// Elsewhere (Windows) there is no SIGHUP: nothing ever arrives.
#[cfg(not(unix))]
type Hangups = Option<std::convert::Infallible>;

#[cfg(unix)]
fn hangup_signals() -> Hangups {
    use tokio::signal::unix::{SignalKind, signal};
    signal(SignalKind::hangup())
        .inspect_err(|error| tracing::warn!(%error, "SIGHUP will not reload the certificate"))
        .ok()
}

#[cfg(not(unix))]
fn hangup_signals() -> Hangups {
    None
}

#[cfg(unix)]
async fn next_hangup(hangups: &mut Hangups) {
    match hangups {
        Some(signal) => {
            signal.recv().await;
        }
        None => std::future::pending().await,
    }
}

#[cfg(not(unix))]
async fn next_hangup(_: &mut Hangups) {
    std::future::pending().await
}
