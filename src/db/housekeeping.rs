//! Data that cannot grow without bound: expired sessions (and finished
//! sign-ins) go, and with
//! `activity.keep_days` set, activity older than that. The menu itself is
//! never touched. Runs through the writer at start-up, then every hour.

use std::time::Duration;

use super::Database;
use super::error::DbError;
use super::tables::Tables;

/// How often the tidying runs.
const EVERY: Duration = Duration::from_secs(3600);

/// What one round deleted.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Tidied {
    pub sessions: usize,
    pub activity: usize,
}

/// Deletes sessions expired at `now` (Unix seconds) and, with
/// `keep_activity_days`, activity older than that many days.
pub fn tidy(
    tables: &mut dyn Tables,
    now: i64,
    keep_activity_days: Option<u32>,
) -> Result<Tidied, DbError> {
    let sessions = tables.delete_expired_sessions(now)?;
    tables.delete_finished_sign_ins(now)?;
    let activity = match keep_activity_days {
        Some(days) => tables.delete_activity_before(now - i64::from(days) * 86_400)?,
        None => 0,
    };
    Ok(Tidied { sessions, activity })
}

/// Tidies now, then every hour, for the life of the server.
pub async fn keep_tidy(database: Database, keep_activity_days: Option<u32>) {
    let mut every = tokio::time::interval(EVERY);
    loop {
        every.tick().await;
        let now = jsonwebtoken::get_current_timestamp() as i64;
        match database
            .change(move |tables| tidy(tables, now, keep_activity_days))
            .await
        {
            Ok(tidied) if tidied != Tidied::default() => {
                tracing::info!(
                    sessions = tidied.sessions,
                    activity = tidied.activity,
                    "deleted expired sessions and old activity"
                );
            }
            Ok(_) => {}
            Err(error) => {
                tracing::warn!(%error, "tidying the database failed; it is retried in an hour")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_expired_sessions_and_activity_past_its_days_go() {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut conn = rusqlite::Connection::open(dir.path().join("t.db")).expect("open");
        super::super::sqlite::migrate(&mut conn, true).expect("migrate");
        let now = 1_800_000_000_i64;
        for (id, expires) in [(b"a", now - 1), (b"b", now + 600)] {
            conn.execute(
                "INSERT INTO sessions (id_hash, subject, permissions, csrf_token, expires_at, issuer, key_id)
                 VALUES (?1, 's', '', 'c', ?2, 'i', 'k')",
                (&id[..], expires),
            )
            .expect("session");
        }
        for at in [
            "2027-01-15T07:59:59.000Z",
            "2026-12-01T00:00:00.000Z",
            "2027-01-10T00:00:00.000Z",
        ] {
            conn.execute(
                "INSERT INTO activity (at, actor, action, drink_id, drink_title) VALUES (?1, 'a', 'create', 1, 'x')",
                [at],
            )
            .expect("activity");
        }
        let drinks_before: i64 = conn
            .query_row("SELECT count(*) FROM drinks", [], |r| r.get(0))
            .expect("count");
        // 1_800_000_000 is 2027-01-15T08:00:00Z: keeping 30 days drops only December.
        let tidied = tidy(&mut &conn, now, Some(30)).expect("tidy");
        assert_eq!(
            tidied,
            Tidied {
                sessions: 1,
                activity: 1
            }
        );
        assert_eq!(
            tidy(&mut &conn, now, None).expect("tidy"),
            Tidied::default(),
            "activity kept without keep_days"
        );
        let drinks_after: i64 = conn
            .query_row("SELECT count(*) FROM drinks", [], |r| r.get(0))
            .expect("count");
        assert_eq!(drinks_after, drinks_before, "the menu is never touched");
    }
}
