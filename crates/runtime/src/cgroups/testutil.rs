//! Fake cgroupfs trees for unit tests.

use std::path::Path;

/// A tempdir holding the given (empty) files, like a cgroup directory of a kernel that has them.
pub(crate) fn fake(files: &[&str]) -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    for f in files {
        std::fs::write(d.path().join(f), "").unwrap();
    }
    d
}

/// The trimmed content of `dir/file`.
pub(crate) fn read(dir: &Path, file: &str) -> String {
    std::fs::read_to_string(dir.join(file))
        .unwrap()
        .trim()
        .to_string()
}
