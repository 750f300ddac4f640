//! Consistent copies of the database while the server runs.

use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

use crate::config::DatabaseSettings;
use crate::db::error::DbError;

/// Writes a consistent, compacted copy of the database to `target` with
/// `VACUUM INTO`, which reads one snapshot while writers carry on. An existing
/// `target` is refused unless `overwrite`.
pub fn backup(settings: &DatabaseSettings, target: &Path, overwrite: bool) -> Result<u64, DbError> {
    if target.exists() {
        if !overwrite {
            return Err(DbError::Backup(format!(
                "{} exists; pass --force to replace it",
                target.display()
            )));
        }
        std::fs::remove_file(target)
            .map_err(|e| DbError::Backup(format!("cannot replace {}: {e}", target.display())))?;
    }
    if !settings.path.is_file() {
        return Err(DbError::Backup(format!(
            "there is no database at {}",
            settings.path.display()
        )));
    }
    // Read-only: a backup never creates, migrates or changes the source.
    let source = Connection::open_with_flags(&settings.path, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    source.busy_timeout(Duration::from_millis(settings.busy_timeout_ms))?;
    let target_text = target
        .to_str()
        .ok_or_else(|| DbError::Backup(format!("{} is not a UTF-8 path", target.display())))?;
    source.execute("VACUUM INTO ?1", [target_text])?;
    std::fs::metadata(target)
        .map(|meta| meta.len())
        .map_err(|e| DbError::Backup(format!("cannot read {}: {e}", target.display())))
}
