//! The process's own figures, read from `/proc` where there is one; on
//! other systems they are left out rather than reported wrong.

/// Resident memory: `VmRSS` of `/proc/self/status` (in kB there), which,
/// unlike `statm`, does not depend on the page size (16 KiB on a Pi 5).
pub fn resident_memory_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with("VmRSS:"))?;
    let kilobytes: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kilobytes * 1024)
}

/// Open file descriptors: the entries of `/proc/self/fd`.
pub fn open_fds() -> Option<usize> {
    Some(std::fs::read_dir("/proc/self/fd").ok()?.count())
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    #[test]
    fn this_process_has_memory_and_open_files() {
        assert!(super::resident_memory_bytes().is_some_and(|bytes| bytes > 1024 * 1024));
        assert!(super::open_fds().is_some_and(|count| count >= 3));
    }
}
