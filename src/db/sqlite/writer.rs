//! The single writer: one thread owns the write connection and commits the
//! queued changes in groups, so concurrent writes share one fsync.
//!
//! SQLite allows one writer at a time anyway. Queueing here, rather than in
//! SQLite's busy handler (which sleeps in steps of milliseconds while holding
//! a pooled connection and a thread), keeps writes flowing and connections
//! free for readers. Each change runs in its own savepoint: one that fails
//! (say, a title taken) is rolled back alone, and the others commit. Nobody
//! is answered before the commit that holds their change has succeeded.
//!
//! The thread also notices commits made by other processes (`coffee-shop
//! import`, the sqlite3 shell) through `PRAGMA data_version`, at least once a
//! second, and counts them like its own, so caches built on the count see them.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use metrics::{gauge, histogram};
use rusqlite::Connection;
use tokio::sync::oneshot;

use crate::db::error::{DbError, WriteFailure};
use crate::metrics::names;

/// Most changes committed together; bounds how long one group can take.
const MAX_GROUP: usize = 64;
/// How often commits by other processes are looked for.
const EXTERNAL_CHECK: Duration = Duration::from_secs(1);

/// A handle to the writer thread; cheap to clone.
#[derive(Clone)]
pub struct Writer {
    queue: mpsc::Sender<Box<dyn Change>>,
    /// Successful commits so far, bumped before any of their changes is
    /// answered: whoever has an answer sees a count that includes it.
    commits: Arc<AtomicU64>,
    /// The thread, joined by `close`.
    thread: Arc<Mutex<Option<JoinHandle<()>>>>,
}

/// A change waiting in the queue.
trait Change: Send {
    /// Runs the change inside the open transaction.
    fn apply(self: Box<Self>, conn: &Connection) -> Box<dyn Applied>;
    /// Answers without running: the transaction could not begin.
    fn abort(self: Box<Self>, why: &WriteFailure);
}

/// A change that ran and waits for the outcome of the commit.
trait Applied: Send {
    fn finish(self: Box<Self>, commit: Result<(), &WriteFailure>);
}

struct Pending<T, F> {
    change: F,
    reply: oneshot::Sender<Result<T, DbError>>,
}

struct Ran<T> {
    outcome: Result<T, DbError>,
    reply: oneshot::Sender<Result<T, DbError>>,
}

impl<T, F> Change for Pending<T, F>
where
    T: Send + 'static,
    F: FnOnce(&Connection) -> Result<T, DbError> + Send + 'static,
{
    fn apply(self: Box<Self>, conn: &Connection) -> Box<dyn Applied> {
        let Pending { change, reply } = *self;
        Box::new(Ran {
            outcome: in_savepoint(conn, change),
            reply,
        })
    }

    fn abort(self: Box<Self>, why: &WriteFailure) {
        let _ = self.reply.send(Err(DbError::WriteFailed(why.clone())));
    }
}

impl<T: Send> Applied for Ran<T> {
    fn finish(self: Box<Self>, commit: Result<(), &WriteFailure>) {
        let answer = match (self.outcome, commit) {
            (Ok(value), Ok(())) => Ok(value),
            (Ok(_), Err(why)) => Err(DbError::WriteFailed(why.clone())),
            (Err(error), _) => Err(error),
        };
        // The requester may have gone away; the change stands regardless.
        let _ = self.reply.send(answer);
    }
}

fn in_savepoint<T>(
    conn: &Connection,
    change: impl FnOnce(&Connection) -> Result<T, DbError>,
) -> Result<T, DbError> {
    conn.execute_batch("SAVEPOINT change")?;
    let outcome = change(conn);
    let end = if outcome.is_ok() {
        "RELEASE change"
    } else {
        "ROLLBACK TO change; RELEASE change"
    };
    if let Err(error) = conn.execute_batch(end) {
        // The change's rows could stay in the group unanswered for: give up
        // the whole group instead (the loop sees the transaction is gone).
        let _ = conn.execute_batch("ROLLBACK");
        return Err(error.into());
    }
    outcome
}

impl Writer {
    /// Starts the writer thread on `conn` (already configured with the pragmas).
    pub fn start(conn: Connection) -> Result<Self, DbError> {
        let (queue, incoming) = mpsc::channel::<Box<dyn Change>>();
        let commits = Arc::new(AtomicU64::new(0));
        let counter = Arc::clone(&commits);
        let thread = std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || write_loop(conn, &incoming, &counter))
            .map_err(|e| {
                DbError::WriteFailed(WriteFailure::other(format!(
                    "cannot start the writer thread: {e}"
                )))
            })?;
        Ok(Self {
            queue,
            commits,
            thread: Arc::new(Mutex::new(Some(thread))),
        })
    }

    /// Drops this handle and waits (at most `wait`) for the thread to finish
    /// the queued changes and close its connection. It finishes once every
    /// other handle is gone too; true when it did in time.
    pub fn close(self, wait: Duration) -> bool {
        let Self { queue, thread, .. } = self;
        drop(queue);
        let thread = thread.lock().ok().and_then(|mut thread| thread.take());
        let Some(thread) = thread else {
            return true;
        };
        let deadline = Instant::now() + wait;
        while !thread.is_finished() {
            if Instant::now() >= deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        thread.join().is_ok()
    }

    /// How many groups of changes have been committed so far.
    pub fn commits(&self) -> u64 {
        self.commits.load(Ordering::Acquire)
    }

    /// Runs `change` in the writer's transaction and answers once it is
    /// committed (durably, with `synchronous = FULL`).
    pub async fn write<T, F>(&self, change: F) -> Result<T, DbError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, DbError> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        // Counted before it is sent, so the writer can never count it down first.
        gauge!(names::DB_WRITER_QUEUE).increment(1.0);
        self.queue
            .send(Box::new(Pending { change, reply }))
            .map_err(|_| {
                gauge!(names::DB_WRITER_QUEUE).decrement(1.0);
                DbError::WriteFailed(WriteFailure::other("the writer thread has stopped"))
            })?;
        answer.await.map_err(|_| {
            DbError::WriteFailed(WriteFailure::other("the writer thread has stopped"))
        })?
    }
}

/// Runs until every `Writer` handle is dropped, then closes the connection.
fn write_loop(conn: Connection, incoming: &mpsc::Receiver<Box<dyn Change>>, commits: &AtomicU64) {
    let conn = &conn;
    let mut external = ExternalCommits::new(conn);
    loop {
        external.check(conn, commits);
        let first = match incoming.recv_timeout(EXTERNAL_CHECK) {
            Ok(change) => change,
            Err(RecvTimeoutError::Timeout) => continue,
            Err(RecvTimeoutError::Disconnected) => break,
        };
        let mut group = std::iter::once(first)
            .chain(incoming.try_iter().take(MAX_GROUP - 1))
            .inspect(|_| gauge!(names::DB_WRITER_QUEUE).decrement(1.0));
        if let Err(error) = conn.execute_batch("BEGIN IMMEDIATE") {
            let why = WriteFailure::from_sqlite(&error);
            tracing::error!(error = %why, "cannot begin a write transaction");
            group.for_each(|change| change.abort(&why));
            continue;
        }
        let mut applied: Vec<Box<dyn Applied>> = Vec::new();
        let mut lost = false;
        for change in group.by_ref() {
            applied.push(change.apply(conn));
            // SQLite rolls the whole transaction back by itself on some errors
            // (a full disk, I/O): nothing applied so far will be committed,
            // and nothing more may run outside the transaction.
            if conn.is_autocommit() {
                lost = true;
                break;
            }
        }
        histogram!(names::DB_WRITE_BATCH_SIZE).record(applied.len() as f64);
        let committing = Instant::now();
        let commit = if lost {
            Err(WriteFailure::other("the write transaction was rolled back"))
        } else {
            conn.execute_batch("COMMIT")
                .map_err(|error| WriteFailure::from_sqlite(&error))
        };
        histogram!(names::DB_COMMIT_SECONDS).record(committing.elapsed().as_secs_f64());
        match &commit {
            Ok(()) => {
                commits.fetch_add(1, Ordering::AcqRel);
            }
            Err(why) => {
                tracing::error!(error = %why, "a group of writes was not committed");
                // A failed COMMIT can leave the transaction open; end it.
                let _ = conn.execute_batch("ROLLBACK");
                group.for_each(|change| change.abort(why));
            }
        }
        for change in applied {
            change.finish(commit.as_ref().map(|_| ()));
        }
    }
}

/// Watches `PRAGMA data_version`, which moves when another connection (and
/// never this one) commits.
struct ExternalCommits {
    version: Option<i64>,
    checked: Instant,
}

impl ExternalCommits {
    fn new(conn: &Connection) -> Self {
        Self {
            version: data_version(conn),
            checked: Instant::now(),
        }
    }

    /// Counts a commit when the version moved; at most once per `EXTERNAL_CHECK`.
    fn check(&mut self, conn: &Connection, commits: &AtomicU64) {
        if self.checked.elapsed() < EXTERNAL_CHECK {
            return;
        }
        self.checked = Instant::now();
        let version = data_version(conn);
        if version != self.version {
            self.version = version;
            commits.fetch_add(1, Ordering::AcqRel);
        }
    }
}

fn data_version(conn: &Connection) -> Option<i64> {
    conn.pragma_query_value(None, "data_version", |row| row.get(0))
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn writer_on(dir: &tempfile::TempDir) -> (Writer, std::path::PathBuf) {
        let path = dir.path().join("writer.db");
        let conn = Connection::open(&path).expect("open");
        conn.busy_timeout(std::time::Duration::ZERO)
            .expect("no waiting");
        conn.execute_batch(
            "PRAGMA journal_mode = WAL; CREATE TABLE t (v TEXT NOT NULL UNIQUE) STRICT;",
        )
        .expect("schema");
        (Writer::start(conn).expect("starts"), path)
    }

    #[test]
    fn a_failing_change_is_rolled_back_alone_and_the_others_commit() {
        let dir = tempfile::tempdir().expect("temp dir");
        let (writer, path) = writer_on(&dir);
        let outcomes: Vec<Result<usize, DbError>> =
            actix_web::rt::System::new().block_on(async move {
                // Queued together, so they are likely to share a group.
                let tasks: Vec<_> = ["a", "b", "a", "c", "b"]
                    .into_iter()
                    .map(|value| {
                        let writer = writer.clone();
                        actix_web::rt::spawn(async move {
                            writer
                                .write(move |conn| {
                                    conn.execute("INSERT INTO t (v) VALUES (?1)", [value])?;
                                    // A second statement, so a rollback has something to undo.
                                    conn.execute(
                                        "INSERT INTO t (v) VALUES (?1)",
                                        [format!("{value}-2")],
                                    )?;
                                    Ok(1)
                                })
                                .await
                        })
                    })
                    .collect();
                let mut outcomes = Vec::new();
                for task in tasks {
                    outcomes.push(task.await.expect("task"));
                }
                outcomes
            });
        assert_eq!(outcomes.iter().filter(|o| o.is_ok()).count(), 3);
        assert_eq!(outcomes.iter().filter(|o| o.is_err()).count(), 2);
        let conn = Connection::open(path).expect("open");
        let rows: i64 = conn
            .query_row("SELECT count(*) FROM t", [], |r| r.get(0))
            .expect("count");
        assert_eq!(
            rows, 6,
            "three changes of two rows each; nothing of the failed ones"
        );
    }

    fn insert(writer: &Writer, value: &'static str) -> Result<usize, DbError> {
        actix_web::rt::System::new().block_on(
            writer.write(move |conn| Ok(conn.execute("INSERT INTO t (v) VALUES (?1)", [value])?)),
        )
    }

    fn stored(path: &std::path::Path) -> i64 {
        let conn = Connection::open(path).expect("open");
        conn.query_row("SELECT count(*) FROM t", [], |r| r.get(0))
            .expect("count")
    }

    #[test]
    fn a_failed_commit_answers_failure_and_stores_nothing() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("writer.db");
        let conn = Connection::open(&path).expect("open");
        // A deferred foreign key is only checked at COMMIT, which then fails.
        conn.execute_batch(
            "PRAGMA foreign_keys = ON;
             CREATE TABLE parent (id INTEGER PRIMARY KEY);
             CREATE TABLE t (v TEXT NOT NULL,
                             p INTEGER REFERENCES parent (id) DEFERRABLE INITIALLY DEFERRED);",
        )
        .expect("schema");
        let writer = Writer::start(conn).expect("starts");
        let orphan = actix_web::rt::System::new().block_on(
            writer.write(|conn| Ok(conn.execute("INSERT INTO t (v, p) VALUES ('a', 42)", [])?)),
        );
        assert!(matches!(orphan, Err(DbError::WriteFailed(_))), "{orphan:?}");
        assert_eq!(writer.commits(), 0);
        assert_eq!(stored(&path), 0);
        assert!(
            insert(&writer, "b").is_ok(),
            "the failed transaction was ended"
        );
        assert_eq!(writer.commits(), 1);
    }

    #[test]
    fn a_lock_held_elsewhere_fails_the_write_cleanly() {
        let dir = tempfile::tempdir().expect("temp dir");
        let (writer, path) = writer_on(&dir);
        let other = Connection::open(&path).expect("open");
        other
            .execute_batch("BEGIN IMMEDIATE")
            .expect("takes the write lock");
        // The writer's connection has no busy timeout here, so BEGIN fails at once.
        assert!(matches!(insert(&writer, "a"), Err(DbError::WriteFailed(_))));
        other.execute_batch("ROLLBACK").expect("releases");
        assert!(insert(&writer, "b").is_ok(), "the writer carries on");
        assert_eq!(writer.commits(), 1);
        assert_eq!(stored(&path), 1);
    }

    #[test]
    fn a_change_that_ends_the_transaction_fails_its_whole_group() {
        let dir = tempfile::tempdir().expect("temp dir");
        let (writer, path) = writer_on(&dir);
        let outcome = actix_web::rt::System::new().block_on(writer.write(|conn| {
            conn.execute("INSERT INTO t (v) VALUES ('x')", [])?;
            // Stands in for SQLite rolling back by itself (a full disk, I/O).
            conn.execute_batch("RELEASE change; ROLLBACK")?;
            Ok(())
        }));
        assert!(outcome.is_err());
        assert_eq!(stored(&path), 0);
        assert!(
            insert(&writer, "y").is_ok(),
            "the next group starts cleanly"
        );
        assert_eq!(stored(&path), 1);
    }

    #[test]
    fn commits_by_another_connection_are_counted() {
        let dir = tempfile::tempdir().expect("temp dir");
        let (writer, path) = writer_on(&dir);
        let other = Connection::open(&path).expect("open");
        other
            .execute("INSERT INTO t (v) VALUES ('elsewhere')", [])
            .expect("inserts");
        let seen = (0..300).any(|_| {
            std::thread::sleep(Duration::from_millis(10));
            writer.commits() > 0
        });
        assert!(seen, "the writer noticed the other connection's commit");
    }

    #[test]
    fn close_waits_for_the_connection_to_be_closed() {
        let dir = tempfile::tempdir().expect("temp dir");
        let (writer, path) = writer_on(&dir);
        insert(&writer, "x").expect("written");
        assert!(writer.close(Duration::from_secs(5)));
        assert!(!path.with_extension("db-wal").exists(), "WAL removed");
    }

    #[test]
    fn the_writer_thread_ends_when_the_last_handle_is_dropped() {
        let dir = tempfile::tempdir().expect("temp dir");
        let (writer, path) = writer_on(&dir);
        actix_web::rt::System::new()
            .block_on(writer.write(|conn| Ok(conn.execute("INSERT INTO t (v) VALUES ('x')", [])?)))
            .expect("written");
        drop(writer);
        // The connection is closed, so the WAL is checkpointed and removed.
        let wal = path.with_extension("db-wal");
        let gone = (0..100).any(|_| {
            std::thread::sleep(std::time::Duration::from_millis(10));
            !wal.exists()
        });
        assert!(gone, "the writer closed its connection");
    }
}
