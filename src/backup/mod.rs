//! Backups that run by themselves: every `backup.interval` a compressed,
//! checksummed snapshot (`archive`) in `backup.dir`, the newest
//! `backup.keep` kept, each copied to an S3-compatible bucket when
//! `[backup.s3]` is set (`remote`), with retries that never block serving
//! (`schedule`); and `restore`, which puts one back. `BackupStatus` is what
//! the log, `/readyz`, the banner, the metrics and the System page say.

pub mod archive;
pub mod remote;
pub mod restore;
pub mod schedule;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use metrics::gauge;

use crate::elapsed::{age, in_words, seconds_between};
use crate::metrics::names;
use crate::shared::Shared;

/// How backups are set up, for the lines people read.
#[derive(Debug, Clone)]
pub struct BackupPlan {
    /// `None`: scheduled backups are off.
    pub interval: Option<Duration>,
    /// `s3://bucket/prefix`, when copies leave the machine.
    pub remote: Option<String>,
}

/// How the scheduled backups have gone.
#[derive(Debug, Clone, Default)]
pub struct BackupState {
    /// The last backup made here: when, and its file name.
    pub last_success: Option<(SystemTime, String)>,
    /// The last backup is in the bucket too.
    pub uploaded: bool,
    /// Why the last backup failed, until one succeeds: when, and why.
    pub backup_failure: Option<(SystemTime, String)>,
    /// Why the last upload failed, until one succeeds.
    pub upload_failure: Option<(SystemTime, String)>,
}

impl BackupState {
    /// The newer of the two failures, if any.
    pub fn last_failure(&self) -> Option<&(SystemTime, String)> {
        match (&self.backup_failure, &self.upload_failure) {
            (Some(backup), Some(upload)) => {
                Some(if backup.0 >= upload.0 { backup } else { upload })
            }
            (backup, upload) => backup.as_ref().or(upload.as_ref()),
        }
    }
}

/// Shared by the scheduler and everything that reports on it.
#[derive(Debug)]
pub struct BackupStatus {
    pub plan: BackupPlan,
    started: SystemTime,
    state: Shared<BackupState>,
}

impl BackupStatus {
    pub fn new(plan: BackupPlan) -> Self {
        Self {
            plan,
            started: SystemTime::now(),
            state: Shared::default(),
        }
    }

    pub fn state(&self) -> BackupState {
        self.state.snapshot()
    }

    /// A backup was made here (not yet uploaded, if a bucket is set).
    pub fn record_backup(&self, at: SystemTime, name: &str) {
        gauge!(names::BACKUP_LAST_SUCCESS_TIMESTAMP).set(unix_seconds(at));
        self.state.update(|state| {
            state.last_success = Some((at, name.to_owned()));
            state.uploaded = false;
            state.backup_failure = None;
        });
    }

    /// Every backup here is in the bucket.
    pub fn record_upload(&self, at: SystemTime) {
        gauge!(names::BACKUP_LAST_UPLOAD_TIMESTAMP).set(unix_seconds(at));
        self.state.update(|state| {
            state.uploaded = true;
            state.upload_failure = None;
        });
    }

    pub fn record_backup_failure(&self, at: SystemTime, why: String) {
        gauge!(names::BACKUP_LAST_FAILURE_TIMESTAMP).set(unix_seconds(at));
        self.state
            .update(|state| state.backup_failure = Some((at, why)));
    }

    pub fn record_upload_failure(&self, at: SystemTime, why: String) {
        gauge!(names::BACKUP_LAST_FAILURE_TIMESTAMP).set(unix_seconds(at));
        self.state
            .update(|state| state.upload_failure = Some((at, why)));
    }

    /// The backup line: "Last backup 2 h ago, uploaded".
    pub fn line(&self, now: SystemTime) -> String {
        let state = self.state();
        let Some(interval) = self.plan.interval else {
            return "Scheduled backups are off (backup.interval).".to_owned();
        };
        let last = match &state.last_success {
            Some((at, _)) => format!("Last backup {} ago", in_words(age(now, *at))),
            None => format!(
                "No backup yet (one every {})",
                humantime::format_duration(interval)
            ),
        };
        let copy = match (state.last_failure(), &self.plan.remote) {
            (Some((_, why)), _) => format!(", but the last attempt failed: {why}"),
            _ if state.last_success.is_none() => String::new(),
            (None, None) => ", kept on this machine only".to_owned(),
            (None, Some(_)) if state.uploaded => ", uploaded".to_owned(),
            (None, Some(_)) => ", not uploaded yet".to_owned(),
        };
        format!("{last}{copy}.")
    }

    /// True when the last success (or the start, before any) is older than
    /// two intervals: at most one backup may be missed unnoticed.
    pub fn is_overdue(&self, now: SystemTime) -> bool {
        let Some(interval) = self.plan.interval else {
            return false;
        };
        let since = self.state().last_success.map_or(self.started, |(at, _)| at);
        age(now, since) > interval * 2
    }
}

fn unix_seconds(at: SystemTime) -> f64 {
    seconds_between(UNIX_EPOCH, at)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: Duration = Duration::from_secs(3600);

    fn status(remote: bool) -> BackupStatus {
        BackupStatus::new(BackupPlan {
            interval: Some(6 * HOUR),
            remote: remote.then(|| "s3://cafe/coffee-shop/".to_owned()),
        })
    }

    #[test]
    fn the_line_says_when_and_where() {
        let now = SystemTime::now();
        let local = status(false);
        assert_eq!(local.line(now), "No backup yet (one every 6h).");
        local.record_backup(now - 2 * HOUR, "b");
        assert_eq!(
            local.line(now),
            "Last backup 2 h ago, kept on this machine only."
        );

        let remote = status(true);
        remote.record_backup(now - 2 * HOUR, "b");
        assert_eq!(remote.line(now), "Last backup 2 h ago, not uploaded yet.");
        remote.record_upload_failure(now, "the bucket answered 403".into());
        assert_eq!(
            remote.line(now),
            "Last backup 2 h ago, but the last attempt failed: the bucket answered 403."
        );
        remote.record_upload(now);
        assert_eq!(remote.line(now), "Last backup 2 h ago, uploaded.");
        // A failed snapshot is not hidden by an upload that had nothing new.
        remote.record_backup_failure(now, "the disk is full".into());
        remote.record_upload(now);
        assert!(remote.line(now).ends_with("failed: the disk is full."));
    }

    #[test]
    fn overdue_after_two_intervals_without_a_success() {
        let now = SystemTime::now();
        let backups = status(false);
        assert!(!backups.is_overdue(now));
        backups.record_backup(now - 11 * HOUR, "b");
        assert!(!backups.is_overdue(now));
        backups.record_backup(now - 13 * HOUR, "b");
        assert!(backups.is_overdue(now));
    }
}
