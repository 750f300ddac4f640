//! The PostgreSQL schema migrations: the same version numbers as SQLite's,
//! embedded and applied in one transaction under an advisory lock, so
//! servers starting together against a new database take turns, and the
//! sample menu is written exactly once, with the first migration.

use postgres::Client;

use crate::db::error::DbError;
use crate::db::sample_menu;

/// Every migration file, oldest first. Never edit a released one: add a new file.
pub(super) const MIGRATION_FILES: [&str; 6] = [
    include_str!("../../../migrations/postgres/0001_drinks.sql"),
    include_str!("../../../migrations/postgres/0002_activity.sql"),
    include_str!("../../../migrations/postgres/0003_dashboard.sql"),
    include_str!("../../../migrations/postgres/0004_drink_versions.sql"),
    include_str!("../../../migrations/postgres/0005_session_issuer.sql"),
    include_str!("../../../migrations/postgres/0006_finished_sign_ins.sql"),
];

/// Held for the migration transaction by every server that starts.
const MIGRATION_LOCK: i64 = 0x636f_6666_6565; // "coffee"

/// Applies pending migrations; refuses a database from a newer release.
pub(super) fn migrate(client: &mut Client, sample_menu: bool) -> Result<(), DbError> {
    let mut tx = client.transaction()?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])?;
    // "already exists, skipping" is no news on every start.
    tx.batch_execute("SET LOCAL client_min_messages = warning")?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
             version    bigint PRIMARY KEY,
             applied_at timestamptz NOT NULL DEFAULT now()
         )",
    )?;
    let found: i64 = tx
        .query_one(
            "SELECT coalesce(max(version), 0) FROM schema_migrations",
            &[],
        )?
        .try_get(0)?;
    let supported = MIGRATION_FILES.len();
    let current = usize::try_from(found).unwrap_or(usize::MAX);
    if current > supported {
        return Err(DbError::TooNew {
            found: current,
            supported,
        });
    }
    for (index, sql) in MIGRATION_FILES.iter().enumerate().skip(current) {
        tx.batch_execute(sql)?;
        if index == 0 && sample_menu {
            sample_menu::insert(&mut tx)?;
        }
        let version = i64::try_from(index + 1).unwrap_or(i64::MAX);
        tx.execute(
            "INSERT INTO schema_migrations (version) VALUES ($1)",
            &[&version],
        )?;
    }
    tx.commit()?;
    Ok(())
}

/// The version the database is at (0 before the first migration).
pub(super) fn schema_version(client: &mut impl postgres::GenericClient) -> Result<i64, DbError> {
    Ok(client
        .query_one(
            "SELECT coalesce(max(version), 0) FROM schema_migrations",
            &[],
        )?
        .try_get(0)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_file_in_the_migrations_folder_is_embedded_in_order() {
        crate::db::assert_embedded_in_order("postgres", &MIGRATION_FILES);
    }

    #[test]
    fn both_engines_have_the_same_versions() {
        assert_eq!(MIGRATION_FILES.len(), crate::db::LATEST_VERSION);
    }
}
