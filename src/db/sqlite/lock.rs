//! "A server is using this database": an exclusive lock on `<database>.lock`
//! that `serve` holds for its life (the OS drops it when the process dies,
//! so a crash never leaves it stuck). `restore` refuses while it is held,
//! and a second server on the same file is refused at start.

use std::fs::{File, OpenOptions, TryLockError};

use crate::config::DatabaseSettings;
use crate::db::error::DbError;

/// Held by the serving process.
#[derive(Debug)]
pub struct ServerLock {
    _file: File,
}

impl ServerLock {
    /// Takes the lock; `InUse` when another process holds it.
    pub fn acquire(settings: &DatabaseSettings) -> Result<Self, DbError> {
        let path = settings.sibling_file(".lock");
        if let Some(dir) = path.parent().filter(|dir| !dir.as_os_str().is_empty()) {
            let _ = std::fs::create_dir_all(dir);
        }
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| DbError::Backup(format!("cannot open {}: {e}", path.display())))?;
        match file.try_lock() {
            Ok(()) => Ok(Self { _file: file }),
            Err(TryLockError::WouldBlock) => Err(DbError::InUse {
                path: settings.path.display().to_string(),
            }),
            Err(TryLockError::Error(e)) => Err(DbError::Backup(format!(
                "cannot lock {}: {e}",
                path.display()
            ))),
        }
    }
}
