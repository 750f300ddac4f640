//! Schema migrations, embedded in the binary and applied in order at start-up
//! (and by `coffee-shop migrate`). SQLite's `user_version` records how far a
//! database has come, so a newer binary upgrades an older file in place.

use std::sync::LazyLock;

use rusqlite_migration::{M, Migrations};

/// Every migration, oldest first. Never edit a released one: add a new file.
pub static MIGRATIONS: LazyLock<Migrations<'static>> = LazyLock::new(|| {
    Migrations::new(vec![
        M::up(include_str!("../../migrations/0001_drinks.sql")),
        M::up(include_str!("../../migrations/0002_activity.sql")),
    ])
});

/// The schema version this binary brings databases to.
pub const LATEST_VERSION: usize = 2;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_are_valid() {
        assert!(MIGRATIONS.validate().is_ok());
    }

    #[test]
    fn every_file_in_the_migrations_folder_is_embedded() {
        let folder = concat!(env!("CARGO_MANIFEST_DIR"), "/migrations");
        let mut files: Vec<String> = std::fs::read_dir(folder)
            .expect("migrations folder exists")
            .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
            .filter(|name| name.ends_with(".sql"))
            .collect();
        files.sort();
        assert_eq!(files.len(), LATEST_VERSION, "embed every file: {files:?}");
        for (index, name) in files.iter().enumerate() {
            assert!(
                name.starts_with(&format!("{:04}_", index + 1)),
                "migration files are numbered 0001_, 0002_, ... without gaps: {name}"
            );
        }
    }
}
