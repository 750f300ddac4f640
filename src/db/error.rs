//! Why a database call failed, and the storage conditions behind it.

/// Why a database call failed. Wrapped into `ApiError` by the routes.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("a drink with this title already exists")]
    TitleTaken,
    #[error("the drink has changed since this copy of it was read")]
    Stale,
    #[error("cannot open the database {target}")]
    Open {
        /// The file, or the PostgreSQL URL without its password.
        target: String,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    #[error("no database connection available")]
    Pool(#[from] r2d2::Error),
    #[error("SQLite failed")]
    Sqlite(#[from] rusqlite::Error),
    #[error("PostgreSQL failed")]
    Postgres(#[from] postgres::Error),
    #[error("cannot migrate the database")]
    Migration(#[from] rusqlite_migration::Error),
    #[error(
        "the database has schema version {found}, newer than this binary's {supported}: \
         run a newer coffee-shop, or restore a backup made for this version"
    )]
    TooNew { found: usize, supported: usize },
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    #[error("the blocking thread pool is gone")]
    Blocking,
    #[error("the write was not saved: {0}")]
    WriteFailed(WriteFailure),
    #[error("backup failed: {0}")]
    Backup(String),
    /// Another process serves this database.
    #[error(
        "a coffee-shop server is using {path}: stop it first (systemctl stop coffee-shop, or Ctrl-C)"
    )]
    InUse { path: String },
    /// Creating a drink would pass `menu.max_drinks`.
    #[error("the menu already holds {max} drinks, the most menu.max_drinks allows")]
    MenuFull { max: u32 },
    /// A file-level operation asked of a PostgreSQL database.
    #[error(
        "`{operation}` copies the SQLite file, and this server uses PostgreSQL (database.url): \
         use your provider's backups, or pg_dump and pg_restore"
    )]
    SqliteOnly { operation: &'static str },
}

/// A storage condition the operator must fix; writes fail, reads go on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StorageProblem {
    /// The file (or its folder) cannot be written.
    ReadOnly,
    /// The disk is full.
    Full,
    /// The database server cannot be reached, is restarting, or is too busy
    /// (a statement timeout, no free connection): retrying later may work.
    Unavailable,
}

impl StorageProblem {
    /// The problem behind an SQLite error, if it is one of these.
    pub fn of(error: &rusqlite::Error) -> Option<Self> {
        match error.sqlite_error_code()? {
            rusqlite::ErrorCode::ReadOnly => Some(Self::ReadOnly),
            rusqlite::ErrorCode::DiskFull => Some(Self::Full),
            _ => None,
        }
    }
}

/// Why a group of writes was not saved, shared by every change in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriteFailure {
    pub storage: Option<StorageProblem>,
    pub message: String,
}

impl WriteFailure {
    pub(super) fn from_sqlite(error: &rusqlite::Error) -> Self {
        Self {
            storage: StorageProblem::of(error),
            message: error.to_string(),
        }
    }

    pub(super) fn other(message: impl Into<String>) -> Self {
        Self {
            storage: None,
            message: message.into(),
        }
    }
}

impl std::fmt::Display for WriteFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl DbError {
    /// The storage problem behind this error, if any.
    pub fn storage_problem(&self) -> Option<StorageProblem> {
        match self {
            DbError::WriteFailed(failure) => failure.storage,
            DbError::Sqlite(error) => StorageProblem::of(error),
            DbError::Postgres(error) => crate::db::postgres::storage_problem(error),
            DbError::Pool(_) => Some(StorageProblem::Unavailable),
            _ => None,
        }
    }
}
