//! Schema migrations, embedded in the binary and applied in order at start-up
//! (and by `coffee-shop migrate`). SQLite's `user_version` records how far a
//! database has come, so a newer binary upgrades an older file in place.

use rusqlite::Transaction;
use rusqlite_migration::{HookError, M, Migrations};

use super::sample_menu;

/// Every migration file, oldest first. Never edit a released one: add a new file.
const MIGRATION_FILES: [&str; 5] = [
    include_str!("../../migrations/0001_drinks.sql"),
    include_str!("../../migrations/0002_activity.sql"),
    include_str!("../../migrations/0003_dashboard.sql"),
    include_str!("../../migrations/0004_drink_versions.sql"),
    include_str!("../../migrations/0005_session_issuer.sql"),
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
    sample_menu::insert(tx).map_err(|error| HookError::Hook(error.to_string()))
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
        let folder = concat!(env!("CARGO_MANIFEST_DIR"), "/migrations");
        let mut files: Vec<std::path::PathBuf> = std::fs::read_dir(folder)
            .expect("migrations folder exists")
            .filter_map(|entry| Some(entry.ok()?.path()))
            .filter(|path| path.extension().is_some_and(|ext| ext == "sql"))
            .collect();
        files.sort();
        assert_eq!(
            files.len(),
            MIGRATION_FILES.len(),
            "embed every file: {files:?}"
        );
        for (index, (path, embedded)) in files.iter().zip(MIGRATION_FILES).enumerate() {
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default();
            assert!(
                name.starts_with(&format!("{:04}_", index + 1)),
                "files are numbered 0001_, 0002_, ... without gaps: {name}"
            );
            let on_disk = std::fs::read_to_string(path).expect("readable");
            assert_eq!(on_disk, embedded, "{name} is embedded at position {index}");
        }
    }
}
