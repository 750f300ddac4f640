//! The PostgreSQL engine, for a chain of servers sharing one database: an
//! r2d2 pool of synchronous clients (the same pool and the same
//! blocking-thread discipline as SQLite), every read and change in its own
//! transaction, and a listener that tells this server when another one
//! changed the menu.
//!
//! The synchronous client drives a small runtime of its own, which must
//! never run, or be dropped, on an async worker: clients live in the pool,
//! in blocking threads, and in the listener's thread, and the pool is
//! dropped on a thread of its own.

mod connect;
mod listen;
mod migrations;
mod tables;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use postgres::error::SqlState;
use r2d2_postgres::PostgresConnectionManager;
use tokio_postgres_rustls::MakeRustlsConnect;

use super::error::{DbError, StorageProblem};
use super::tables::Tables;
use crate::config::{DatabaseSettings, DatabaseUrl};
use connect::Target;

type Pool = r2d2::Pool<PostgresConnectionManager<MakeRustlsConnect>>;

/// A PostgreSQL database: the pool, and the count of menu changes seen.
#[derive(Clone)]
pub struct PostgresStore {
    pool: Arc<PoolOffThread>,
    /// This server's commits, and other servers' menu changes.
    commits: Arc<AtomicU64>,
    /// Stops the listener when the last handle goes.
    _listener: Arc<listen::Listener>,
}

impl PostgresStore {
    /// Connects, and brings the schema up to date (waiting for any other
    /// server doing the same). Blocking: runs on a thread of its own, so
    /// it may be called anywhere.
    pub fn open(settings: &DatabaseSettings, url: &DatabaseUrl) -> Result<Self, DbError> {
        let target = Target::new(settings, url)?;
        std::thread::scope(|scope| {
            scope
                .spawn(|| Self::open_here(settings, target))
                .join()
                .map_err(|_| DbError::Blocking)?
        })
    }

    fn open_here(settings: &DatabaseSettings, target: Target) -> Result<Self, DbError> {
        let open_error = |source: Box<dyn std::error::Error + Send + Sync>| DbError::Open {
            target: target.shown.clone(),
            source,
        };
        // One connection first: its error names the cause (refused, a
        // password, a certificate), where the pool's would only time out.
        let mut client = target.connect().map_err(|e| open_error(Box::new(e)))?;
        migrations::migrate(&mut client, settings.sample_menu)
            .map_err(|e| open_error(Box::new(e)))?;
        drop(client);
        let manager = PostgresConnectionManager::new(target.config.clone(), target.tls.clone());
        let pool = r2d2::Pool::builder()
            .max_size(settings.pool_size)
            // Every server of a chain keeps a few connections, not all of
            // them: PostgreSQL's max_connections is shared.
            .min_idle(Some(settings.pool_size.min(2)))
            .connection_timeout(Duration::from_millis(settings.connect_timeout_ms))
            .error_handler(Box::new(LogConnectionErrors))
            .build(manager)
            .map_err(|e| open_error(Box::new(e)))?;
        let pool = PoolOffThread(Some(pool));
        let commits = Arc::new(AtomicU64::new(0));
        let listener = listen::Listener::start(target, Arc::clone(&commits))?;
        Ok(Self {
            pool: Arc::new(pool),
            commits,
            _listener: Arc::new(listener),
        })
    }

    /// Runs `change` in a transaction on a blocking thread; answers once it
    /// is committed, after counting the commit (so this server's next read
    /// of the menu is never older than its own write).
    pub async fn change<T, F>(&self, change: F) -> Result<T, DbError>
    where
        T: Send + 'static,
        F: FnOnce(&mut dyn Tables) -> Result<T, DbError> + Send + 'static,
    {
        let pool = Arc::clone(&self.pool);
        let commits = Arc::clone(&self.commits);
        actix_web::web::block(move || {
            let mut client = pool.get()?;
            let mut transaction = client.transaction()?;
            let outcome = change(&mut transaction)?;
            transaction.commit()?;
            commits.fetch_add(1, Ordering::AcqRel);
            Ok(outcome)
        })
        .await
        .map_err(|_| DbError::Blocking)?
    }

    /// Runs `read` in a read-only transaction (one snapshot), on the
    /// caller's blocking thread.
    pub fn read<T>(
        &self,
        read: impl FnOnce(&mut dyn Tables) -> Result<T, DbError>,
    ) -> Result<T, DbError> {
        let mut client = self.pool.get()?;
        let mut transaction = client.build_transaction().read_only(true).start()?;
        let outcome = read(&mut transaction)?;
        transaction.commit()?;
        Ok(outcome)
    }

    /// Moves on each commit of this server and each menu change by another.
    pub fn committed_writes(&self) -> u64 {
        self.commits.load(Ordering::Acquire)
    }
}

/// Logs why the pool could not connect, with the cause (r2d2's own log
/// line says only "error connecting to server").
#[derive(Debug)]
struct LogConnectionErrors;

impl r2d2::HandleError<postgres::Error> for LogConnectionErrors {
    fn handle_error(&self, error: postgres::Error) {
        tracing::warn!(error = %crate::error::error_chain(&error), "cannot connect to PostgreSQL");
    }
}

/// The pool, dropped on a thread of its own (see the module's comment).
struct PoolOffThread(Option<Pool>);

impl PoolOffThread {
    fn get(
        &self,
    ) -> Result<r2d2::PooledConnection<PostgresConnectionManager<MakeRustlsConnect>>, DbError> {
        super::checkout(self.0.as_ref().ok_or(DbError::Blocking)?)
    }
}

impl Drop for PoolOffThread {
    fn drop(&mut self) {
        if let Some(pool) = self.0.take() {
            let _ = std::thread::spawn(move || drop(pool)).join();
        }
    }
}

/// The storage condition behind a PostgreSQL error, if it is one a retry
/// may cure (the server is down, restarting, overloaded, or a statement
/// ran past `database.statement_timeout_ms`), or one the operator must fix.
pub fn storage_problem(error: &postgres::Error) -> Option<StorageProblem> {
    let Some(code) = error.code() else {
        // No SQLSTATE: the connection itself failed (refused, reset, TLS).
        return Some(StorageProblem::Unavailable);
    };
    if *code == SqlState::DISK_FULL {
        return Some(StorageProblem::Full);
    }
    if *code == SqlState::READ_ONLY_SQL_TRANSACTION {
        // A standby, reached before a failover finished.
        return Some(StorageProblem::ReadOnly);
    }
    let class = &code.code()[..2];
    let retryable = [
        SqlState::QUERY_CANCELED,
        SqlState::ADMIN_SHUTDOWN,
        SqlState::CRASH_SHUTDOWN,
        SqlState::CANNOT_CONNECT_NOW,
        SqlState::T_R_SERIALIZATION_FAILURE,
        SqlState::T_R_DEADLOCK_DETECTED,
    ];
    // 08: connection exceptions; 53: insufficient resources (too many connections).
    (class == "08" || class == "53" || retryable.contains(code))
        .then_some(StorageProblem::Unavailable)
}
