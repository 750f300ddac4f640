//! `coffee-shop restore <FILE | s3 key | latest>`: puts a backup back, or
//! changes nothing. In order: refuse while a server uses the database; find
//! the backup (downloading it if it is in the bucket); check its SHA-256
//! against its manifest; unpack it beside the database and run
//! `PRAGMA integrity_check`; refuse a schema newer than this binary's; set
//! the current database aside as `<database>.replaced-<time>`; move the
//! backup into place and migrate it forward.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use rusqlite::{Connection, OpenFlags};

use super::archive;
use super::remote::{RemoteError, RemoteStore};
use crate::config::Settings;
use crate::db::{self, Database, DbError, ServerLock};

/// What a restore did.
#[derive(Debug)]
pub struct Restored {
    /// The backup that was put back.
    pub source: PathBuf,
    /// Its checksum matched its manifest (`false`: a plain copy without one).
    pub checksum_checked: bool,
    pub schema_version_before: i64,
    pub schema_version_now: i64,
    /// Where the database it replaced was set aside.
    pub set_aside: Option<PathBuf>,
}

/// Why nothing was restored.
#[derive(Debug, thiserror::Error)]
pub enum RestoreError {
    #[error(transparent)]
    Database(#[from] DbError),
    #[error(transparent)]
    Remote(#[from] RemoteError),
    #[error(transparent)]
    Archive(#[from] archive::ArchiveError),
    #[error("{0}")]
    Refused(String),
}

pub fn restore(settings: &Settings, what: &str) -> Result<Restored, RestoreError> {
    if settings.database.url.is_some() {
        return Err(DbError::SqliteOnly {
            operation: "restore",
        }
        .into());
    }
    // Held until the end: no server can start meanwhile either.
    let _lock = ServerLock::acquire(&settings.database)?;
    let remote = RemoteStore::from_settings(&settings.backup.s3)?;
    let source = find(settings, remote.as_ref(), what)?;
    let checksum_checked = check_checksum(&source)?;
    let database = &settings.database.path;
    // Beside the database (one filesystem: the rename below is atomic);
    // removed unless it is moved into place.
    let unpacked = archive::Temporary(settings.database.sibling_file(".restoring"));
    archive::unpack(&source, &unpacked.0)?;
    let schema_version_before = check_integrity(&unpacked.0)?;
    let set_aside = set_aside(settings)?;
    if let Err(error) = std::fs::rename(&unpacked.0, database) {
        let put_back = set_aside.as_ref().map(|aside| put_back(settings, aside));
        return Err(RestoreError::Refused(format!(
            "cannot move the backup into {}: {error}; {}",
            database.display(),
            match put_back {
                Some(Ok(())) => "the database was put back as it was".to_owned(),
                Some(Err(at)) => format!("the database is at {at}: move it back by hand"),
                None => "nothing was there before".to_owned(),
            }
        )));
    }
    let restored = Database::open(&settings.database).map_err(|error| {
        RestoreError::Refused(format!(
            "the backup is in place but cannot be opened ({error}){}",
            set_aside.as_ref().map_or(String::new(), |aside| format!(
                "; the database it replaced is at {}",
                aside.display()
            ))
        ))
    })?;
    Ok(Restored {
        source,
        checksum_checked,
        schema_version_before,
        schema_version_now: restored.schema_version()?,
        set_aside,
    })
}

/// The backup `what` names: a file, a backup in `backup.dir`, a key in the
/// bucket (downloaded into `backup.dir`), or `latest` of them all.
fn find(
    settings: &Settings,
    remote: Option<&RemoteStore>,
    what: &str,
) -> Result<PathBuf, RestoreError> {
    let dir = settings.backup_dir();
    if what == "latest" {
        let local = archive::list(&dir)?.last().cloned();
        let remote_newest = match remote.map(RemoteStore::list) {
            Some(Ok(backups)) => backups.into_iter().rfind(|b| b.has_manifest),
            // The machine may be offline: the newest backup here will do.
            Some(Err(error)) if local.is_some() => {
                eprintln!("the bucket cannot be read ({error}); restoring the newest backup here");
                None
            }
            Some(Err(error)) => return Err(error.into()),
            None => None,
        };
        let local_name = local
            .as_ref()
            .and_then(|p| p.file_name()?.to_str().map(str::to_owned));
        return match (local, remote_newest, remote) {
            (Some(path), Some(newest), _)
                if local_name.as_deref() >= Some(newest.name.as_str()) =>
            {
                Ok(path)
            }
            (_, Some(newest), Some(remote)) => Ok(remote.download(&newest.name, &dir)?),
            (Some(path), _, _) => Ok(path),
            _ => Err(RestoreError::Refused(format!(
                "there is no backup in {}{}",
                dir.display(),
                remote.map_or(String::new(), |r| format!(" or {}", r.describe()))
            ))),
        };
    }
    let as_given = Path::new(what);
    if as_given.is_file() {
        return Ok(as_given.to_owned());
    }
    let in_dir = dir.join(what);
    if in_dir.is_file() {
        return Ok(in_dir);
    }
    match remote {
        // A key as `backups` lists it, or with the configured prefix.
        Some(remote) => Ok(remote.download(remote.name_of_key(what), &dir)?),
        None => Err(RestoreError::Refused(format!(
            "there is no file {what}, nor a backup of that name in {}",
            dir.display()
        ))),
    }
}

/// True when the manifest's SHA-256 matched; false for a plain copy without
/// a manifest; an error (and nothing restored) when it did not match, or
/// when a scheduled backup has lost its manifest.
fn check_checksum(source: &Path) -> Result<bool, RestoreError> {
    let Some(manifest) = archive::read_manifest(source)? else {
        let name = source.file_name().unwrap_or_default().to_string_lossy();
        if archive::is_backup_name(&name) {
            return Err(RestoreError::Refused(format!(
                "{} has no manifest, so its checksum cannot be checked. Nothing was restored; \
                 pick another backup (`coffee-shop backups`).",
                source.display()
            )));
        }
        return Ok(false);
    };
    let (bytes, sha256) = archive::digest_file(source)?;
    if bytes != manifest.bytes || sha256 != manifest.sha256 {
        return Err(RestoreError::Refused(format!(
            "{} is damaged: its SHA-256 is {sha256} ({bytes} bytes), its manifest says {} ({} bytes). \
             Nothing was restored; pick another backup (`coffee-shop backups`).",
            source.display(),
            manifest.sha256,
            manifest.bytes
        )));
    }
    Ok(true)
}

/// `PRAGMA integrity_check` and the schema version of the unpacked copy.
fn check_integrity(unpacked: &Path) -> Result<i64, RestoreError> {
    let refused = |why: String| {
        RestoreError::Refused(format!(
            "the backup is not a usable database: {why}. Nothing was restored."
        ))
    };
    let conn = Connection::open_with_flags(unpacked, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .map_err(|e| refused(e.to_string()))?;
    let verdict: String = conn
        .query_row("PRAGMA integrity_check", [], |row| row.get(0))
        .map_err(|e| refused(e.to_string()))?;
    if verdict != "ok" {
        return Err(refused(format!("integrity_check says {verdict}")));
    }
    let version = db::schema_version(&conn)?;
    let supported = db::migrations::LATEST_VERSION as i64;
    if version > supported {
        return Err(RestoreError::Refused(format!(
            "the backup has schema version {version}, newer than this binary's {supported}: \
             restore it with a newer coffee-shop. Nothing was restored."
        )));
    }
    Ok(version)
}

/// Moves the database set aside at `aside` back (a failed restore); the
/// error says where it still is.
fn put_back(settings: &Settings, aside: &Path) -> Result<(), String> {
    std::fs::rename(aside, &settings.database.path).map_err(|_| aside.display().to_string())
}

/// Moves the current database (and any write-ahead log left by a crash)
/// to `<database>.replaced-<time>`; `None` when there was none. Should a log
/// not move, the database is moved back, so the two stay together.
fn set_aside(settings: &Settings) -> Result<Option<PathBuf>, RestoreError> {
    let database = &settings.database;
    if !database.path.exists() {
        return Ok(None);
    }
    let aside = database.sibling_file(&format!(".replaced-{}", archive::stamp(SystemTime::now())));
    for (suffix, required) in [("", true), ("-wal", false), ("-shm", false)] {
        let from = database.sibling_file(suffix);
        if !required && !from.exists() {
            continue;
        }
        let mut to = aside.clone().into_os_string();
        to.push(suffix);
        if let Err(error) = std::fs::rename(&from, &to) {
            if !required {
                let _ = put_back(settings, &aside);
            }
            return Err(RestoreError::Refused(format!(
                "cannot set {} aside ({error}); nothing was restored",
                from.display()
            )));
        }
    }
    Ok(Some(aside))
}
