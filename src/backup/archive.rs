//! One backup on disk: `coffee-shop-<UTC time>.db.gz`, a gzip-compressed
//! consistent snapshot, and `<that name>.json` beside it, its manifest (the
//! SHA-256 and size of the compressed file, the schema version). Names sort
//! by time, so the newest is the last.

use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use flate2::Compression;
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::config::DatabaseSettings;
use crate::db;
use crate::hex::lower_hex;

const NAME_PREFIX: &str = "coffee-shop-";
const NAME_SUFFIX: &str = ".db.gz";
const MANIFEST_SUFFIX: &str = ".json";

/// What is recorded beside each backup.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// The compressed file's name.
    pub file: String,
    /// Its size and SHA-256 (lower-case hex).
    pub bytes: u64,
    pub sha256: String,
    /// The schema version of the database inside.
    pub schema_version: i64,
    /// When the snapshot was taken (RFC 3339, UTC).
    pub created_at: String,
}

/// A backup in a folder: the compressed file and its manifest.
#[derive(Debug, Clone)]
pub struct Archive {
    pub path: PathBuf,
    pub manifest: Manifest,
}

/// Why a backup could not be made or read.
#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    #[error("{what} {path}: {source}")]
    Io {
        what: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Database(#[from] db::DbError),
    #[error("the manifest {path} cannot be read: {reason}")]
    Manifest { path: PathBuf, reason: String },
}

/// Maps an I/O error on `path` to `ArchiveError::Io`.
pub fn io(what: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> ArchiveError {
    let path = path.to_owned();
    move |source| ArchiveError::Io { what, path, source }
}

/// The file name of a backup taken at `at`: `coffee-shop-20261202T083102.123Z.db.gz`.
pub fn name_at(at: SystemTime) -> String {
    format!("{NAME_PREFIX}{}{NAME_SUFFIX}", stamp(at))
}

/// `at` in UTC, to the millisecond, fit for a file name: `20261202T083102.123Z`.
pub fn stamp(at: SystemTime) -> String {
    humantime::format_rfc3339_millis(at)
        .to_string()
        .chars()
        .filter(|c| *c != '-' && *c != ':')
        .collect()
}

/// True for the name of a backup file (not its manifest).
pub fn is_backup_name(name: &str) -> bool {
    name.starts_with(NAME_PREFIX) && name.ends_with(NAME_SUFFIX)
}

/// The manifest's file name for a backup's.
pub fn manifest_name(backup_name: &str) -> String {
    format!("{backup_name}{MANIFEST_SUFFIX}")
}

/// Takes a consistent snapshot of the database into `dir` (created if need
/// be), compresses it and writes its manifest. Everything is written under
/// temporary names (removed again on failure), flushed to the disk, and
/// renamed last, the manifest first: a crash never leaves a backup that
/// looks whole and is not, nor one without its manifest.
pub fn create(database: &DatabaseSettings, dir: &Path) -> Result<Archive, ArchiveError> {
    std::fs::create_dir_all(dir).map_err(io("cannot create the backup folder", dir))?;
    let at = SystemTime::now();
    let name = name_at(at);
    let snapshot = Temporary(dir.join(format!(".{name}.snapshot")));
    let _ = std::fs::remove_file(&snapshot.0);
    db::backup(database, &snapshot.0, false)?;
    let schema_version =
        db::schema_version(&rusqlite::Connection::open(&snapshot.0).map_err(db::DbError::from)?)?;
    let partial = Temporary(dir.join(format!(".{name}.partial")));
    let (bytes, sha256) = compress(&snapshot.0, &partial.0)?;
    drop(snapshot); // as soon as it is compressed: it is the largest file here
    let path = dir.join(&name);
    let manifest = Manifest {
        file: name,
        bytes,
        sha256,
        schema_version,
        created_at: humantime::format_rfc3339_millis(at).to_string(),
    };
    write_manifest(&path, &manifest)?;
    std::fs::rename(&partial.0, &path).map_err(io("cannot name the backup", &path))?;
    Ok(Archive { path, manifest })
}

/// A file removed when dropped (when what it was for did not happen, or
/// was renamed away).
pub struct Temporary(pub PathBuf);

impl Drop for Temporary {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Gzips `source` into `target`; returns the compressed size and SHA-256.
fn compress(source: &Path, target: &Path) -> Result<(u64, String), ArchiveError> {
    let mut input = BufReader::new(File::open(source).map_err(io("cannot read", source))?);
    let output = File::create(target).map_err(io("cannot write", target))?;
    let mut hashed = HashingWriter::new(BufWriter::new(output));
    let mut encoder = GzEncoder::new(&mut hashed, Compression::default());
    std::io::copy(&mut input, &mut encoder).map_err(io("cannot compress into", target))?;
    encoder
        .finish()
        .map_err(io("cannot compress into", target))?;
    let (output, bytes, sha256) = hashed.finish();
    durable(output, target)?;
    Ok((bytes, sha256))
}

/// Flushes `output` and waits for the disk (an SD card loses what it only
/// had in its cache), so a file is whole before it is renamed into place.
pub fn durable(output: BufWriter<File>, path: &Path) -> Result<(), ArchiveError> {
    let file = output
        .into_inner()
        .map_err(|error| io("cannot write", path)(error.into_error()))?;
    file.sync_all().map_err(io("cannot write", path))
}

/// Writes `manifest` beside the backup at `path` (whole, or not at all).
pub fn write_manifest(path: &Path, manifest: &Manifest) -> Result<(), ArchiveError> {
    let manifest_path = manifest_path(path);
    let json = serde_json::to_vec_pretty(manifest).map_err(|error| ArchiveError::Manifest {
        path: manifest_path.clone(),
        reason: error.to_string(),
    })?;
    let partial = Temporary(manifest_path.with_extension("json.partial"));
    let mut output =
        BufWriter::new(File::create(&partial.0).map_err(io("cannot write", &partial.0))?);
    output
        .write_all(&json)
        .map_err(io("cannot write", &partial.0))?;
    durable(output, &partial.0)?;
    std::fs::rename(&partial.0, &manifest_path).map_err(io("cannot write", &manifest_path))
}

/// The manifest beside the backup at `path`, if there is one.
pub fn read_manifest(path: &Path) -> Result<Option<Manifest>, ArchiveError> {
    let manifest_path = manifest_path(path);
    match std::fs::read(&manifest_path) {
        Ok(json) => {
            serde_json::from_slice(&json)
                .map(Some)
                .map_err(|error| ArchiveError::Manifest {
                    path: manifest_path,
                    reason: error.to_string(),
                })
        }
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(error) => Err(io("cannot read", &manifest_path)(error)),
    }
}

fn manifest_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(MANIFEST_SUFFIX);
    path.with_file_name(name)
}

/// The size and SHA-256 of the file at `path`.
pub fn digest_file(path: &Path) -> Result<(u64, String), ArchiveError> {
    let file = File::open(path).map_err(io("cannot read", path))?;
    digest(file).map_err(io("cannot read", path))
}

/// The size and SHA-256 (lower-case hex) of what `input` holds.
pub fn digest(mut input: impl Read) -> std::io::Result<(u64, String)> {
    let mut hashed = HashingWriter::new(std::io::sink());
    std::io::copy(&mut input, &mut hashed)?;
    let (_, bytes, sha256) = hashed.finish();
    Ok((bytes, sha256))
}

/// Unpacks a backup (gzip, or a plain SQLite file as `backup FILE` writes)
/// into `target`.
pub fn unpack(path: &Path, target: &Path) -> Result<(), ArchiveError> {
    let mut input = BufReader::new(File::open(path).map_err(io("cannot read", path))?);
    let mut magic = [0u8; 2];
    let gzipped = input.read_exact(&mut magic).is_ok() && magic == [0x1f, 0x8b];
    let input = BufReader::new(File::open(path).map_err(io("cannot read", path))?);
    let mut output = BufWriter::new(File::create(target).map_err(io("cannot write", target))?);
    let copied = if gzipped {
        std::io::copy(&mut GzDecoder::new(input), &mut output)
    } else {
        std::io::copy(&mut { input }, &mut output)
    };
    copied.map_err(io("cannot unpack", path))?;
    durable(output, target)
}

/// The backups in `dir`, oldest first (none when the folder does not exist).
pub fn list(dir: &Path) -> Result<Vec<PathBuf>, ArchiveError> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(error) => return Err(io("cannot list", dir)(error)),
    };
    let mut backups: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| {
            path.file_name()
                .and_then(|name| name.to_str())
                .is_some_and(is_backup_name)
        })
        .collect();
    backups.sort();
    Ok(backups)
}

/// A backup's name and when it was made.
pub struct Made {
    pub name: String,
    pub made: SystemTime,
}

/// The newest backup in `dir` with a readable manifest.
pub fn newest(dir: &Path) -> Option<Made> {
    list(dir).ok()?.iter().rev().find_map(|path| {
        let manifest = read_manifest(path).ok()??;
        let made = humantime::parse_rfc3339(&manifest.created_at).ok()?;
        Some(Made {
            name: manifest.file,
            made,
        })
    })
}

/// Deletes the oldest backups in `dir` (and their manifests) beyond `keep`;
/// returns how many went.
pub fn prune(dir: &Path, keep: usize) -> Result<usize, ArchiveError> {
    let backups = list(dir)?;
    let excess = backups.len().saturating_sub(keep);
    for old in &backups[..excess] {
        std::fs::remove_file(old).map_err(io("cannot delete", old))?;
        let _ = std::fs::remove_file(manifest_path(old));
    }
    Ok(excess)
}

/// A writer that counts and hashes what passes through it.
struct HashingWriter<W> {
    inner: W,
    digest: Sha256,
    bytes: u64,
}

impl<W: Write> HashingWriter<W> {
    fn new(inner: W) -> Self {
        Self {
            inner,
            digest: Sha256::new(),
            bytes: 0,
        }
    }

    /// The inner writer, how many bytes passed, and their SHA-256.
    fn finish(self) -> (W, u64, String) {
        (self.inner, self.bytes, lower_hex(&self.digest.finalize()))
    }
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let written = self.inner.write(buf)?;
        self.digest.update(&buf[..written]);
        self.bytes += written as u64;
        Ok(written)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_sort_by_time_and_are_recognised() {
        let earlier =
            name_at(SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_800_000_000));
        let later =
            name_at(SystemTime::UNIX_EPOCH + std::time::Duration::from_millis(1_800_000_000_001));
        assert_eq!(earlier, "coffee-shop-20270115T080000.000Z.db.gz");
        assert!(earlier < later);
        assert!(is_backup_name(&earlier));
        assert!(!is_backup_name(&manifest_name(&earlier)));
    }
}
