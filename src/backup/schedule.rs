//! The scheduler: a thread of its own (snapshots, compression and uploads
//! are blocking work, and never hold up a request) that makes a backup
//! every interval, prunes, and copies what the bucket lacks, retrying with
//! back-off until it succeeds or the next backup is due. A failed upload
//! never touches the local copy.

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::time::{Duration, SystemTime};

use super::BackupStatus;
use super::archive::{self, Archive};
use super::remote::{RemoteError, RemoteStore};
use crate::config::{DatabaseSettings, Settings};

const FIRST_RETRY: Duration = Duration::from_secs(2);
const MAX_RETRY: Duration = Duration::from_secs(300);

/// The running scheduler.
pub struct Scheduler {
    stop: Sender<()>,
    finished: Receiver<()>,
}

impl Scheduler {
    /// Stops it at its next wait, and waits up to `wait` for a backup or
    /// an upload in progress to finish; false if one was still running.
    pub fn stop(self, wait: Duration) -> bool {
        drop(self.stop);
        !matches!(
            self.finished.recv_timeout(wait),
            Err(RecvTimeoutError::Timeout)
        )
    }
}

/// What each round works on.
struct Job {
    database: DatabaseSettings,
    dir: PathBuf,
    keep: usize,
    interval: Duration,
    remote: Option<RemoteStore>,
}

/// Starts the scheduler when `backup.interval` is set.
pub fn start(
    settings: &Settings,
    remote: Option<RemoteStore>,
    status: Arc<BackupStatus>,
) -> Option<Scheduler> {
    let interval = settings.scheduled_backups()?;
    let job = Job {
        database: settings.database.clone(),
        dir: settings.backup_dir(),
        keep: settings.backup.keep as usize,
        interval,
        remote,
    };
    let (stop, stopped) = mpsc::channel();
    let (done, finished) = mpsc::channel();
    let spawned = std::thread::Builder::new()
        .name("backups".into())
        .spawn(move || {
            run(&job, &status, &stopped);
            let _ = done.send(());
        });
    if let Err(error) = spawned {
        tracing::error!(%error, "cannot start the backup scheduler");
        return None;
    }
    Some(Scheduler { stop, finished })
}

fn run(job: &Job, status: &BackupStatus, stopped: &Receiver<()>) {
    remove_leftovers(job);
    let mut due = first_due(job);
    loop {
        if sleep_until(stopped, due) {
            return;
        }
        let started = SystemTime::now();
        due = started + job.interval;
        match archive::create(&job.database, &job.dir) {
            Ok(made) => {
                tracing::info!(file = %made.path.display(), bytes = made.manifest.bytes, "backup made");
                status.record_backup(started, &made.manifest.file);
                if let Err(error) = archive::prune(&job.dir, job.keep) {
                    tracing::warn!(%error, "cannot prune old backups");
                }
            }
            Err(error) => {
                tracing::error!(%error, dir = %job.dir.display(), "the scheduled backup failed");
                status.record_backup_failure(SystemTime::now(), error.to_string());
            }
        }
        if let Some(remote) = &job.remote
            && upload_with_retries(job, remote, status, stopped, due)
        {
            return;
        }
    }
}

/// Copies what the bucket lacks until it works, the next backup is due, or
/// the server stops (true).
fn upload_with_retries(
    job: &Job,
    remote: &RemoteStore,
    status: &BackupStatus,
    stopped: &Receiver<()>,
    due: SystemTime,
) -> bool {
    let mut retry = FIRST_RETRY;
    loop {
        match sync(job, remote) {
            Ok(uploaded) => {
                tracing::info!(
                    uploaded,
                    bucket = remote.describe(),
                    "backups are in the bucket"
                );
                status.record_upload(SystemTime::now());
                return false;
            }
            Err(error) => {
                tracing::warn!(%error, retry_in_secs = retry.as_secs(), "uploading the backup failed; the local copy is kept");
                status.record_upload_failure(SystemTime::now(), error.to_string());
            }
        }
        let next_try = SystemTime::now() + retry;
        if next_try >= due {
            return sleep_until(stopped, due);
        }
        if sleep_until(stopped, next_try) {
            return true;
        }
        retry = (retry * 2).min(MAX_RETRY);
    }
}

/// Uploads each local backup the bucket lacks, then prunes the bucket;
/// returns how many were uploaded.
fn sync(job: &Job, remote: &RemoteStore) -> Result<usize, RemoteError> {
    let there: HashSet<String> = remote
        .list()?
        .into_iter()
        .filter(|backup| backup.has_manifest)
        .map(|backup| backup.name)
        .collect();
    let mut uploaded = 0;
    for path in archive::list(&job.dir)? {
        // A backup without a readable manifest cannot be vouched for: it
        // stays here (and is pruned in time) but is not uploaded.
        let manifest = match archive::read_manifest(&path) {
            Ok(Some(manifest)) => manifest,
            Ok(None) => continue,
            Err(error) => {
                tracing::warn!(%error, "skipping a backup whose manifest cannot be read");
                continue;
            }
        };
        if !there.contains(&manifest.file) {
            remote.upload(&Archive { path, manifest })?;
            uploaded += 1;
        }
    }
    remote.prune(job.keep)?;
    Ok(uploaded)
}

/// When the first backup is due: an interval after the newest one here, or now.
fn first_due(job: &Job) -> SystemTime {
    archive::newest(&job.dir).map_or_else(SystemTime::now, |newest| newest.made + job.interval)
}

/// Temporary files a crash left behind (a backup is renamed into place only
/// once whole).
fn remove_leftovers(job: &Job) {
    let Ok(entries) = std::fs::read_dir(&job.dir) else {
        return;
    };
    for entry in entries.filter_map(Result::ok) {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with('.') && (name.ends_with(".partial") || name.ends_with(".snapshot")) {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// Waits until `at`; true when the server stopped meanwhile.
fn sleep_until(stopped: &Receiver<()>, at: SystemTime) -> bool {
    let wait = at.duration_since(SystemTime::now()).unwrap_or_default();
    !matches!(stopped.recv_timeout(wait), Err(RecvTimeoutError::Timeout))
}
