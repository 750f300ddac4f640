//! Schema migrations, embedded in the binary and applied in order at start-up
//! (and by `coffee-shop migrate`). SQLite's `user_version` records how far a
//! database has come, so a newer binary upgrades an older file in place.

use rusqlite::Transaction;
use rusqlite_migration::{HookError, M, Migrations};

use crate::db::sample_menu;

/// Every migration file, oldest first. Never edit a released one: add a new file.
const MIGRATION_FILES: [&str; 6] = [
    include_str!("../../../migrations/sqlite/0001_drinks.sql"),
    include_str!("../../../migrations/sqlite/0002_activity.sql"),
    include_str!("../../../migrations/sqlite/0003_dashboard.sql"),
    include_str!("../../../migrations/sqlite/0004_drink_versions.sql"),
    include_str!("../../../migrations/sqlite/0005_session_issuer.sql"),
    include_str!("../../../migrations/sqlite/0006_finished_sign_ins.sql"),
];

/// The schema version this binary brings databases to.
pub const LATEST_VERSION: usize = MIGRATION_FILES.len();

/// The migrations. With `sample_menu`, the first one also inserts the sample
/// menu in its own transaction: exactly a newly created database gets it, and
/// a crash can never leave a new database migrated but unseeded.
pub fn migrations(sample_menu: bool) -> Migrations<'static> {
    let steps = MIGRATION_FILES
        .iter()
        .enumerate()
        .map(|(index, sql)| {
            if index == 0 && sample_menu {
                M::up_with_hook(sql, seed_sample_menu)
            } else {
                M::up(sql)
            }
        })
        .collect();
    Migrations::new(steps)
}

fn seed_sample_menu(tx: &Transaction) -> Result<(), HookError> {
    sample_menu::insert(&mut &**tx).map_err(|error| HookError::Hook(error.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_are_valid() {
        assert!(migrations(true).validate().is_ok());
        assert!(migrations(false).validate().is_ok());
    }

    #[test]
    fn every_file_in_the_migrations_folder_is_embedded_in_order() {
        crate::db::assert_embedded_in_order("sqlite", &MIGRATION_FILES);
    }
}
