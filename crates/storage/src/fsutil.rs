//! Small filesystem helpers shared by snapshots and diffs, on trusted trees (berth's own
//! layer and snapshot directories): xattrs, metadata copies, timestamps.

use std::ffi::{OsStr, OsString};
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use rustix::fs::{AtFlags, Timespec, Timestamps, XattrFlags, CWD};

/// The largest xattr value Linux allows (XATTR_SIZE_MAX).
const XATTR_MAX: usize = 64 * 1024;

/// All xattrs of `path` (not following a symlink), names sorted.
pub(crate) fn xattrs(path: &Path) -> io::Result<Vec<(OsString, Vec<u8>)>> {
    let mut list = vec![0u8; XATTR_MAX];
    let n = match rustix::fs::llistxattr(path, &mut list[..]) {
        Ok(n) => n,
        Err(rustix::io::Errno::NOTSUP) => return Ok(Vec::new()),
        Err(e) => return Err(e.into()),
    };
    let mut out = Vec::new();
    let mut value = vec![0u8; XATTR_MAX];
    for name in list[..n].split(|b| *b == 0).filter(|s| !s.is_empty()) {
        let name = OsStr::from_bytes(name);
        match rustix::fs::lgetxattr(path, name, &mut value[..]) {
            Ok(len) => out.push((name.to_os_string(), value[..len].to_vec())),
            // Removed between list and get.
            Err(rustix::io::Errno::NODATA) => {}
            Err(e) => return Err(e.into()),
        }
    }
    out.sort();
    Ok(out)
}

/// One xattr of `path` (not following a symlink), `None` when absent.
pub(crate) fn xattr(path: &Path, name: &str) -> io::Result<Option<Vec<u8>>> {
    let mut value = vec![0u8; XATTR_MAX];
    match rustix::fs::lgetxattr(path, name, &mut value[..]) {
        Ok(len) => Ok(Some(value[..len].to_vec())),
        Err(rustix::io::Errno::NODATA) | Err(rustix::io::Errno::NOTSUP) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// Sets an xattr on `path` without following a symlink.
pub(crate) fn set_xattr(path: &Path, name: &OsStr, value: &[u8]) -> io::Result<()> {
    Ok(rustix::fs::lsetxattr(
        path,
        name,
        value,
        XattrFlags::empty(),
    )?)
}

/// Sets atime and mtime of `path` (not following a symlink).
pub(crate) fn set_times(path: &Path, atime: (i64, i64), mtime: (i64, i64)) -> io::Result<()> {
    let ts = |(s, ns): (i64, i64)| Timespec {
        tv_sec: s,
        tv_nsec: ns,
    };
    let t = Timestamps {
        last_access: ts(atime),
        last_modification: ts(mtime),
    };
    Ok(rustix::fs::utimensat(
        CWD,
        path,
        &t,
        AtFlags::SYMLINK_NOFOLLOW,
    )?)
}

/// Whether `path` is an overlay whiteout (a character device 0:0).
pub(crate) fn is_whiteout(md: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::{FileTypeExt, MetadataExt};
    md.file_type().is_char_device() && md.rdev() == 0
}

/// Whether the directory `path` carries `trusted.overlay.opaque=y`.
pub(crate) fn is_opaque(path: &Path) -> io::Result<bool> {
    Ok(xattr(path, crate::whiteout::OVERLAY_OPAQUE_XATTR)?.as_deref() == Some(b"y"))
}

/// Names in directory `dir`, sorted (so diffs and copies are deterministic).
pub(crate) fn sorted_names(dir: &Path) -> io::Result<Vec<OsString>> {
    let mut names = std::fs::read_dir(dir)?
        .map(|e| e.map(|e| e.file_name()))
        .collect::<io::Result<Vec<_>>>()?;
    names.sort();
    Ok(names)
}
