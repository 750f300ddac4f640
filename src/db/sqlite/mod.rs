//! The SQLite engine: a pool of connections for reads with the pragmas set
//! at connection init, a single writer thread that group-commits changes,
//! and embedded migrations. No database call runs on an async worker.

mod backup;
mod lock;
pub mod migrations;
mod tables;
mod writer;

use std::time::Duration;

use r2d2_sqlite::SqliteConnectionManager;
use rusqlite::Connection;
use rusqlite_migration::SchemaVersion;

use super::error::DbError;
use super::tables::Tables;
use crate::config::{DatabaseSettings, Synchronous};

pub use backup::backup;
pub use lock::ServerLock;

/// One database file: a pool of connections for reads, and the single writer.
#[derive(Clone)]
pub struct SqliteStore {
    pool: r2d2::Pool<SqliteConnectionManager>,
    writer: writer::Writer,
}

impl SqliteStore {
    /// Opens (creating if needed) the database and brings its schema up to date.
    /// A database created here gets the sample menu when `sample_menu` is on.
    pub fn open(settings: &DatabaseSettings) -> Result<Self, DbError> {
        if let Some(parent) = settings.path.parent().filter(|p| !p.as_os_str().is_empty()) {
            // A missing folder surfaces as the pool's open error below.
            let _ = std::fs::create_dir_all(parent);
        }
        enable_wal(settings)?;
        let pool = Self::connect(settings)?;
        migrate(&mut *pool.get()?, settings.sample_menu)?;
        let mut write_connection = rusqlite::Connection::open(&settings.path)?;
        configure_connection(
            &mut write_connection,
            Duration::from_millis(settings.busy_timeout_ms),
            settings.synchronous,
        )?;
        Ok(Self {
            pool,
            writer: writer::Writer::start(write_connection)?,
        })
    }

    fn connect(
        settings: &DatabaseSettings,
    ) -> Result<r2d2::Pool<SqliteConnectionManager>, DbError> {
        let busy_timeout = Duration::from_millis(settings.busy_timeout_ms);
        let synchronous = settings.synchronous;
        let manager = SqliteConnectionManager::file(&settings.path)
            .with_init(move |conn| configure_connection(conn, busy_timeout, synchronous));
        r2d2::Pool::builder()
            .max_size(settings.pool_size)
            .connection_timeout(Duration::from_millis(settings.connect_timeout_ms))
            .build(manager)
            .map_err(|source| DbError::Open {
                target: settings.path.display().to_string(),
                source: Box::new(source),
            })
    }

    /// Runs `change` in the writer's transaction; answers once it is committed.
    pub async fn change<T, F>(&self, change: F) -> Result<T, DbError>
    where
        T: Send + 'static,
        F: FnOnce(&mut dyn Tables) -> Result<T, DbError> + Send + 'static,
    {
        self.writer.write(move |conn| change(&mut &*conn)).await
    }

    /// Runs `read` with a pooled connection (on the caller's blocking thread).
    pub fn read<T>(
        &self,
        read: impl FnOnce(&mut dyn Tables) -> Result<T, DbError>,
    ) -> Result<T, DbError> {
        let conn = super::checkout(&self.pool)?;
        read(&mut &*conn)
    }

    /// Counts commits: this process's groups of writes (it moves before any
    /// write of the group is answered), and other processes' commits, seen
    /// within about a second.
    pub fn committed_writes(&self) -> u64 {
        self.writer.commits()
    }

    /// Closes the pool and waits (bounded) for the writer to finish and close
    /// its connection, so SQLite checkpoints the WAL and removes it. Other
    /// clones still alive keep their connections; returns false if the writer
    /// did not finish in time.
    pub fn close(self, wait: Duration) -> bool {
        let Self { pool, writer } = self;
        drop(pool);
        writer.close(wait)
    }
}

/// The schema version the database on `conn` is at.
pub fn schema_version(conn: &Connection) -> Result<i64, DbError> {
    Ok(conn.pragma_query_value(None, "user_version", |row| row.get(0))?)
}

/// Puts the file in WAL mode (readers never block the writer). The mode is
/// stored in the file, so this runs once, before any other connection: set
/// per connection, it can meet a lock held by a write and fail.
fn enable_wal(settings: &DatabaseSettings) -> Result<(), DbError> {
    let conn = Connection::open(&settings.path)?;
    conn.busy_timeout(Duration::from_millis(settings.busy_timeout_ms))?;
    conn.pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get::<_, String>(0))?;
    Ok(())
}

/// Pragmas for every connection: `busy_timeout` first so the others can wait
/// for a lock, then the durability level and foreign keys (WAL is the file's,
/// set by `SqliteStore::open`). Public so benchmarks can measure raw SQLite
/// with exactly the server's settings.
pub fn configure_connection(
    conn: &mut Connection,
    busy_timeout: Duration,
    synchronous: Synchronous,
) -> Result<(), rusqlite::Error> {
    conn.busy_timeout(busy_timeout)?;
    conn.pragma_update(None, "synchronous", synchronous.pragma_value())?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    Ok(())
}

/// Applies pending migrations; refuses a database from a newer release.
pub fn migrate(conn: &mut Connection, sample_menu: bool) -> Result<(), DbError> {
    let migrations = migrations::migrations(sample_menu);
    if let SchemaVersion::Outside(found) = migrations.current_version(conn)? {
        return Err(DbError::TooNew {
            found: found.get(),
            supported: migrations::LATEST_VERSION,
        });
    }
    migrations.to_latest(conn)?;
    Ok(())
}

/// An in-memory database at the latest schema, for unit tests.
#[cfg(test)]
pub fn migrated_in_memory(sample_menu: bool) -> Connection {
    let mut conn = Connection::open_in_memory().expect("memory db");
    migrate(&mut conn, sample_menu).expect("migrates");
    conn
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    fn settings(dir: &Path, sample_menu: bool) -> DatabaseSettings {
        let defaults = crate::config::Settings::load_from(None, &Default::default())
            .expect("the embedded defaults load");
        DatabaseSettings {
            path: dir.join("nested/menu.db"),
            sample_menu,
            pool_size: 2,
            ..defaults.database
        }
    }

    #[test]
    fn migrations_reach_the_latest_version_and_seed_only_once() {
        let mut conn = migrated_in_memory(true);
        let version = schema_version(&conn).expect("version");
        assert_eq!(version, migrations::LATEST_VERSION as i64);
        let seeded = (&conn).list_drinks().expect("lists").len();
        assert!(seeded > 0);
        conn.execute("DELETE FROM drinks", []).expect("empties");
        migrate(&mut conn, true).expect("idempotent");
        assert!(
            (&conn).list_drinks().expect("lists").is_empty(),
            "never reseeded"
        );
    }

    #[test]
    fn a_database_from_a_newer_binary_is_refused() {
        let mut conn = Connection::open_in_memory().expect("memory db");
        conn.pragma_update(None, "user_version", 99)
            .expect("set version");
        assert!(matches!(
            migrate(&mut conn, false),
            Err(DbError::TooNew { found: 99, .. })
        ));
    }

    #[test]
    fn pragmas_are_set_on_pooled_connections() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = SqliteStore::open(&settings(dir.path(), false)).expect("opens");
        let conn = store.pool.get().expect("connection");
        let mode: String = conn
            .pragma_query_value(None, "journal_mode", |row| row.get(0))
            .expect("journal_mode");
        let synchronous: i64 = conn
            .pragma_query_value(None, "synchronous", |row| row.get(0))
            .expect("synchronous");
        let foreign_keys: i64 = conn
            .pragma_query_value(None, "foreign_keys", |row| row.get(0))
            .expect("foreign_keys");
        assert_eq!(mode, "wal");
        assert_eq!(synchronous, 2, "FULL");
        assert_eq!(foreign_keys, 1);
        assert!(
            (&*conn).list_drinks().expect("lists").is_empty(),
            "sample menu was off"
        );
    }
}
