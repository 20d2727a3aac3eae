//! Resolving layer entry names strictly inside the layer root.
//!
//! Two defences, both needed:
//! 1. Lexically: an entry name is cleaned (`/` prefix dropped, `.` removed) and refused when a
//!    `..` would climb above the root ([`clean`]).
//! 2. On the filesystem: every directory is opened relative to the layer root fd with
//!    `openat2(RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS)`, and the final
//!    component is always created with `*at` calls on that parent fd without following it. So an
//!    earlier entry that planted a symlink (`evil -> /etc`) cannot redirect a later
//!    `evil/passwd`: the kernel refuses the walk with `ELOOP` instead of following it.

use std::ffi::OsStr;
use std::io;
use std::os::fd::{AsFd, OwnedFd};
use std::path::{Component, Path, PathBuf};

use rustix::fs::{Mode, OFlags, ResolveFlags};

/// Why an entry name was refused by [`clean`].
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Escapes;

/// Cleans an entry name lexically: drops a leading `/` and `.` components, resolves `..`
/// against earlier components, and refuses names that climb above the root. The empty path
/// means the layer root itself.
pub(crate) fn clean(raw: &Path) -> Result<PathBuf, Escapes> {
    let mut out = PathBuf::new();
    for comp in raw.components() {
        match comp {
            Component::Prefix(_) | Component::RootDir | Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    return Err(Escapes);
                }
            }
            Component::Normal(name) => out.push(name),
        }
    }
    Ok(out)
}

/// The flags every resolution inside a layer uses.
fn resolve_flags() -> ResolveFlags {
    ResolveFlags::IN_ROOT | ResolveFlags::NO_SYMLINKS | ResolveFlags::NO_MAGICLINKS
}

fn dir_oflags() -> OFlags {
    OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC
}

/// Opens the layer root directory itself (an ordinary path on the host, not followed if it
/// is a symlink).
pub(crate) fn open_root(path: &Path) -> io::Result<OwnedFd> {
    Ok(rustix::fs::open(path, dir_oflags(), Mode::empty())?)
}

/// Opens the directory `rel` (already [`clean`]ed; empty = the root) below `root`, never
/// following a symlink. `ELOOP` means a symlink was on the way, `ENOTDIR` a non-directory.
pub(crate) fn open_dir<Fd: AsFd>(root: Fd, rel: &Path) -> io::Result<OwnedFd> {
    let rel: &Path = if rel.as_os_str().is_empty() {
        Path::new(".")
    } else {
        rel
    };
    Ok(rustix::fs::openat2(
        root,
        rel,
        dir_oflags(),
        Mode::empty(),
        resolve_flags(),
    )?)
}

/// Opens the directory `rel` below `root`, creating missing directories (mode 0755, owned by
/// the caller) one component at a time, each created and opened relative to its parent fd.
pub(crate) fn open_or_create_dir<Fd: AsFd>(root: Fd, rel: &Path) -> io::Result<OwnedFd> {
    match open_dir(root.as_fd(), rel) {
        Ok(fd) => return Ok(fd),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    let mut cur = open_dir(root.as_fd(), Path::new(""))?;
    for comp in rel.components() {
        let name: &OsStr = comp.as_os_str();
        let next = match open_child_dir(&cur, name) {
            Ok(fd) => fd,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                match rustix::fs::mkdirat(&cur, name, Mode::from_raw_mode(0o755)) {
                    Ok(()) => {}
                    Err(rustix::io::Errno::EXIST) => {}
                    Err(e) => return Err(e.into()),
                }
                open_child_dir(&cur, name)?
            }
            Err(e) => return Err(e),
        };
        cur = next;
    }
    Ok(cur)
}

/// Opens the single-component directory `name` in `parent` without following a symlink.
pub(crate) fn open_child_dir<Fd: AsFd>(parent: Fd, name: &OsStr) -> io::Result<OwnedFd> {
    Ok(rustix::fs::openat2(
        parent,
        name,
        dir_oflags(),
        Mode::empty(),
        resolve_flags(),
    )?)
}

/// Whether an open error means "a symlink or a non-directory was in the way".
pub(crate) fn is_blocked_walk(e: &io::Error) -> bool {
    matches!(e.raw_os_error(), Some(code) if code == rustix::io::Errno::LOOP.raw_os_error()
        || code == rustix::io::Errno::NOTDIR.raw_os_error()
        || code == rustix::io::Errno::XDEV.raw_os_error())
}

/// Splits a cleaned, non-empty path into (parent, file name).
pub(crate) fn split(rel: &Path) -> Option<(&Path, &OsStr)> {
    Some((rel.parent().unwrap_or(Path::new("")), rel.file_name()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_drops_root_and_dots() {
        assert_eq!(
            clean(Path::new("/etc/./passwd")).unwrap(),
            PathBuf::from("etc/passwd")
        );
        assert_eq!(clean(Path::new("./")).unwrap(), PathBuf::new());
        assert_eq!(clean(Path::new("a/b/../c")).unwrap(), PathBuf::from("a/c"));
    }

    #[test]
    fn clean_refuses_climbing_out() {
        assert_eq!(clean(Path::new("../x")), Err(Escapes));
        assert_eq!(clean(Path::new("a/../../x")), Err(Escapes));
        assert_eq!(clean(Path::new("/../../etc/passwd")), Err(Escapes));
    }

    #[test]
    fn open_dir_refuses_symlinks_on_the_way() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::create_dir(tmp.path().join("real")).unwrap();
        std::os::unix::fs::symlink("real", tmp.path().join("link")).unwrap();
        std::os::unix::fs::symlink("/", tmp.path().join("out")).unwrap();
        let root = open_root(tmp.path()).unwrap();
        assert!(open_dir(&root, Path::new("real")).is_ok());
        let e = open_dir(&root, Path::new("link")).unwrap_err();
        assert!(is_blocked_walk(&e), "{e}");
        let e = open_or_create_dir(&root, Path::new("out/tmp/x")).unwrap_err();
        assert!(is_blocked_walk(&e), "{e}");
        open_or_create_dir(&root, Path::new("a/b/c")).unwrap();
        assert!(tmp.path().join("a/b/c").is_dir());
    }
}
