//! Owner-only files for secrets kept on disk (the development key, the
//! ACME account key and certificates): nobody else on the machine reads them.

use std::io::Write;
use std::path::Path;

/// Creates `path` (never replacing a file) with owner-only permissions.
pub fn create_new(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    file.write_all(contents)?;
    file.sync_all()
}

/// Replaces `path` atomically with an owner-only file: a reader sees the
/// old contents or the new, never half of them.
pub fn replace(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    let mut temporary = path.as_os_str().to_owned();
    temporary.push(".new");
    let temporary = Path::new(&temporary);
    let _ = std::fs::remove_file(temporary);
    create_new(temporary, contents)?;
    std::fs::rename(temporary, path)
}

/// Creates `dir` and its parents; the last one owner-only.
pub fn create_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}
