//! Tells this server when another one changed the menu: `LISTEN` on the
//! menu channel, woken by each notification, and, at least once a second,
//! a read of the menu's version, for poolers that drop notifications
//! (PgBouncer in transaction mode) and for the time a connection was lost.
//! Either way the commit count moves and the menu cache reloads.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use postgres::fallible_iterator::FallibleIterator;

use super::connect::Target;
use super::tables::menu_channel;
use crate::db::error::DbError;

/// How long the listener waits for a notification before it reads the version.
const CHECK: Duration = Duration::from_secs(1);

/// The listener thread; it stops within a second of this being dropped.
pub(super) struct Listener {
    stop: Arc<AtomicBool>,
}

impl Listener {
    pub fn start(target: Target, commits: Arc<AtomicU64>) -> Result<Self, DbError> {
        let stop = Arc::new(AtomicBool::new(false));
        let stopping = Arc::clone(&stop);
        std::thread::Builder::new()
            .name("postgres-listener".into())
            .spawn(move || listen(&target, &commits, &stopping))
            .map_err(|e| DbError::Open {
                target: "the PostgreSQL listener thread".into(),
                source: Box::new(e),
            })?;
        Ok(Self { stop })
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
    }
}

fn listen(target: &Target, commits: &AtomicU64, stop: &AtomicBool) {
    let mut state = Connection::First;
    while !stop.load(Ordering::Acquire) {
        match watch(target, commits, stop, &mut state) {
            Ok(()) => return,
            Err(error) => {
                // Said once per outage, not every second.
                if state != Connection::Lost {
                    tracing::warn!(database = %target.shown, %error,
                        "not hearing about menu changes from other servers; reconnecting");
                    state = Connection::Lost;
                }
                std::thread::sleep(CHECK);
            }
        }
    }
}

/// How the listener's connection has gone so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Connection {
    First,
    Up,
    Lost,
}

/// Watches one connection until it fails (`Err`) or the listener stops.
fn watch(
    target: &Target,
    commits: &AtomicU64,
    stop: &AtomicBool,
    state: &mut Connection,
) -> Result<(), postgres::Error> {
    let mut client = target.connect()?;
    client.batch_execute(concat!("LISTEN ", menu_channel!()))?;
    let mut seen = menu_version(&mut client)?;
    if *state == Connection::Lost {
        // Changes made while this server was not listening were missed.
        commits.fetch_add(1, Ordering::AcqRel);
        tracing::info!(database = %target.shown, "hearing about menu changes again");
    }
    *state = Connection::Up;
    while !stop.load(Ordering::Acquire) {
        // Woken early by a notification; drained so one wake-up covers many.
        {
            let mut notifications = client.notifications();
            notifications.timeout_iter(CHECK).next()?;
            while notifications.iter().next()?.is_some() {}
        }
        let version = menu_version(&mut client)?;
        if version != seen {
            seen = version;
            commits.fetch_add(1, Ordering::AcqRel);
        }
    }
    Ok(())
}

fn menu_version(client: &mut postgres::Client) -> Result<i64, postgres::Error> {
    client
        .query_one("SELECT version FROM menu_state", &[])?
        .try_get(0)
}
