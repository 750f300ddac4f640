//! Storage: one interface, `Database`, that routes and commands use, over
//! two engines. SQLite (`sqlite/`) is the embedded default for one café;
//! PostgreSQL (`postgres/`) serves a chain of servers sharing one database.
//! The menu's rules are written once (`drinks`, `activity`, `sessions`,
//! `housekeeping`) over `Tables`, the row operations each engine writes in
//! its own SQL. No database call runs on an async worker.

mod activity;
mod drinks;
mod error;
pub mod housekeeping;
mod postgres;
mod sample_menu;
mod sessions;
mod sqlite;
mod tables;

use std::path::Path;
use std::time::Duration;

use crate::config::DatabaseSettings;
use crate::domain::{Drink, NewDrink};

pub use activity::ActivityEntry;
pub use drinks::{ImportSummary, create_drink, delete_drink, update_drink};
pub use error::{DbError, StorageProblem, WriteFailure};
pub use sessions::{NewSession, Person, StoredSession, create_session};
pub use sqlite::migrations::LATEST_VERSION;
pub use sqlite::{ServerLock, configure_connection, migrations, schema_version};
pub use tables::Tables;

/// The database: a SQLite file, or a PostgreSQL server. Cheap to clone.
#[derive(Clone)]
pub struct Database {
    engine: Engine,
}

#[derive(Clone)]
enum Engine {
    Sqlite(sqlite::SqliteStore),
    Postgres(postgres::PostgresStore),
}

impl Database {
    /// Opens (creating if needed) the database and brings its schema up to
    /// date: PostgreSQL with `database.url`, else the SQLite file. A new
    /// database gets the sample menu when `database.sample_menu` is on.
    pub fn open(settings: &DatabaseSettings) -> Result<Self, DbError> {
        let engine = match &settings.url {
            Some(url) => Engine::Postgres(postgres::PostgresStore::open(settings, url)?),
            None => Engine::Sqlite(sqlite::SqliteStore::open(settings)?),
        };
        Ok(Self { engine })
    }

    /// Runs `change` in one transaction; answers once it is committed.
    pub async fn change<T, F>(&self, change: F) -> Result<T, DbError>
    where
        T: Send + 'static,
        F: FnOnce(&mut dyn Tables) -> Result<T, DbError> + Send + 'static,
    {
        match &self.engine {
            Engine::Sqlite(store) => store.change(change).await,
            Engine::Postgres(store) => store.change(change).await,
        }
    }

    /// Runs `read` on the blocking thread pool.
    pub async fn read<T, F>(&self, read: F) -> Result<T, DbError>
    where
        T: Send + 'static,
        F: FnOnce(&mut dyn Tables) -> Result<T, DbError> + Send + 'static,
    {
        let database = self.clone();
        actix_web::web::block(move || database.read_here(read))
            .await
            .map_err(|_| DbError::Blocking)?
    }

    /// Runs `read` on this thread: never on an async worker.
    fn read_here<T>(
        &self,
        read: impl FnOnce(&mut dyn Tables) -> Result<T, DbError>,
    ) -> Result<T, DbError> {
        match &self.engine {
            Engine::Sqlite(store) => store.read(read),
            Engine::Postgres(store) => store.read(read),
        }
    }

    /// The schema version the database is at (blocking: for commands).
    pub fn schema_version(&self) -> Result<i64, DbError> {
        self.read_here(|tables| tables.schema_version())
    }

    pub async fn list_drinks(&self) -> Result<Vec<Drink>, DbError> {
        self.read(|tables| tables.list_drinks()).await
    }

    /// See `drinks::import_menu`: one transaction for the whole menu.
    pub async fn import_menu(
        &self,
        menu: Vec<NewDrink>,
        replace: bool,
        actor: &'static str,
        max_drinks: u32,
    ) -> Result<ImportSummary, DbError> {
        self.change(move |tables| drinks::import_menu(tables, &menu, replace, actor, max_drinks))
            .await
    }

    /// Deletes expired sessions and old activity; see `housekeeping::tidy`.
    pub async fn tidy(
        &self,
        now: i64,
        keep_activity_days: Option<u32>,
    ) -> Result<housekeeping::Tidied, DbError> {
        self.change(move |tables| housekeeping::tidy(tables, now, keep_activity_days))
            .await
    }

    /// Counts commits: moves before any write of this server is answered,
    /// and (within about a second) when another process or server changed
    /// the menu. The menu cache reloads when it moves.
    pub fn committed_writes(&self) -> u64 {
        match &self.engine {
            Engine::Sqlite(store) => store.committed_writes(),
            Engine::Postgres(store) => store.committed_writes(),
        }
    }

    /// True when the database answers a query.
    pub async fn is_ready(&self) -> bool {
        self.read(|tables| tables.schema_version()).await.is_ok()
    }

    /// Lets go of the database. SQLite: closes the pool and waits (bounded)
    /// for the writer to finish, so the WAL is checkpointed and removed;
    /// false if it did not finish in time. PostgreSQL: nothing to wait for.
    pub fn close(self, wait: Duration) -> bool {
        match self.engine {
            Engine::Sqlite(store) => store.close(wait),
            Engine::Postgres(_) => true,
        }
    }
}

/// A connection from `pool`, with the wait recorded (either engine).
fn checkout<M: r2d2::ManageConnection>(
    pool: &r2d2::Pool<M>,
) -> Result<r2d2::PooledConnection<M>, DbError> {
    let waiting = std::time::Instant::now();
    let connection = pool.get()?;
    metrics::histogram!(crate::metrics::names::DB_POOL_WAIT_SECONDS)
        .record(waiting.elapsed().as_secs_f64());
    Ok(connection)
}

/// Writes a consistent copy of the SQLite database to `target` (see
/// `sqlite::backup`); PostgreSQL has its own tools, and says so.
pub fn backup(settings: &DatabaseSettings, target: &Path, overwrite: bool) -> Result<u64, DbError> {
    if settings.url.is_some() {
        return Err(DbError::SqliteOnly {
            operation: "backup",
        });
    }
    sqlite::backup(settings, target, overwrite)
}

/// Checks that the files in `migrations/<engine>/` are embedded in order.
#[cfg(test)]
pub(crate) fn assert_embedded_in_order(engine: &str, embedded: &[&str]) {
    let folder = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("migrations")
        .join(engine);
    let mut files: Vec<std::path::PathBuf> = std::fs::read_dir(&folder)
        .expect("migrations folder exists")
        .filter_map(|entry| Some(entry.ok()?.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "sql"))
        .collect();
    files.sort();
    assert_eq!(files.len(), embedded.len(), "embed every file: {files:?}");
    for (index, (path, embedded)) in files.iter().zip(embedded).enumerate() {
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        assert!(
            name.starts_with(&format!("{:04}_", index + 1)),
            "files are numbered 0001_, 0002_, ... without gaps: {name}"
        );
        let on_disk = std::fs::read_to_string(path).expect("readable");
        assert_eq!(&on_disk, embedded, "{name} is embedded at position {index}");
    }
}
