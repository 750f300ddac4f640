//! `backup [FILE] [--upload]`, `backups` and `restore <FILE | s3 key | latest>`.

use std::path::Path;

use super::CommandResult;
use crate::backup::archive;
use crate::backup::remote::RemoteStore;
use crate::backup::restore::restore as restore_backup;
use crate::config::Settings;

/// With `file`: a plain, consistent SQLite copy there (as before). Without:
/// a backup like the scheduled ones in `backup.dir`, pruned to
/// `backup.keep`, and with `upload`, copied to the bucket and checked.
pub fn backup(
    settings: &Settings,
    file: Option<&Path>,
    force: bool,
    upload: bool,
) -> CommandResult {
    if let Some(file) = file {
        if upload {
            return Err("--upload sends a backup from backup.dir: leave out FILE \
                        (`coffee-shop backup --upload`)"
                .into());
        }
        let bytes = crate::db::backup(&settings.database, file, force)?;
        println!(
            "backed up {} to {} ({bytes} bytes); to restore it: coffee-shop restore {}",
            settings.database.path.display(),
            file.display(),
            file.display()
        );
        return Ok(());
    }
    let remote = match (upload, RemoteStore::from_settings(&settings.backup.s3)?) {
        (true, None) => {
            return Err(
                "--upload needs a bucket: set backup.s3.bucket (README: \"Backups\")".into(),
            );
        }
        (true, Some(remote)) => Some(remote),
        (false, _) => None,
    };
    let dir = settings.backup_dir();
    let made = archive::create(&settings.database, &dir)?;
    println!(
        "backed up {} to {} ({} bytes, SHA-256 {})",
        settings.database.path.display(),
        made.path.display(),
        made.manifest.bytes,
        made.manifest.sha256
    );
    if let Some(remote) = remote {
        remote.upload(&made)?;
        println!(
            "uploaded to {}{} and checked",
            remote.describe(),
            made.manifest.file
        );
        remote.prune(settings.backup.keep as usize)?;
    }
    archive::prune(&dir, settings.backup.keep as usize)?;
    Ok(())
}

/// Lists the backups here and in the bucket: date, size, checksum state.
pub fn list(settings: &Settings) -> CommandResult {
    let dir = settings.backup_dir();
    let local = archive::list(&dir)?;
    println!("{} ({} backups):", dir.display(), local.len());
    for path in &local {
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        let (bytes, sha256) = archive::digest_file(path)?;
        let state = match archive::read_manifest(path)? {
            Some(manifest) if manifest.sha256 == sha256 && manifest.bytes == bytes => {
                format!("checksum ok, schema {}", manifest.schema_version)
            }
            Some(_) => "DAMAGED: the checksum does not match its manifest".to_owned(),
            None => "no manifest: cannot be checked".to_owned(),
        };
        println!("  {name}  {bytes} bytes  {state}");
    }
    if let Some(remote) = RemoteStore::from_settings(&settings.backup.s3)? {
        let backups = remote.list()?;
        println!("{} ({} backups):", remote.describe(), backups.len());
        for backup in backups {
            let state = if backup.has_manifest {
                "checked at upload"
            } else {
                "no manifest: incomplete upload"
            };
            println!("  {}  {} bytes  {state}", backup.name, backup.bytes);
        }
    }
    Ok(())
}

pub fn restore(settings: &Settings, what: &str) -> CommandResult {
    let restored = restore_backup(settings, what)?;
    let checksum = if restored.checksum_checked {
        "checksum ok"
    } else {
        "no manifest, so no checksum to check"
    };
    println!(
        "restored {} into {} ({checksum}, integrity ok, schema {} → {})",
        restored.source.display(),
        settings.database.path.display(),
        restored.schema_version_before,
        restored.schema_version_now
    );
    if let Some(aside) = restored.set_aside {
        println!("the database it replaced is kept at {}", aside.display());
    }
    Ok(())
}
