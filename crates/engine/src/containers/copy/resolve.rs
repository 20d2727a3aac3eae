//! Resolving paths inside a root directory fd: lexical cleaning, and `openat2` with
//! `RESOLVE_IN_ROOT`, so every symlink (`/escape -> /`, `x -> ../../..`) and every `..` is
//! resolved as if the root were `/` — nothing a container holds can name a host path.

use std::ffi::{OsStr, OsString};
use std::io;
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::ffi::OsStringExt;
use std::path::{Component, Path, PathBuf};

use rustix::fs::{Mode, OFlags, ResolveFlags};

/// A path made relative to the root, `..` clamped at the root as the kernel does for
/// `RESOLVE_IN_ROOT` (`/a/../../b` → `b`; `/` → ``).
pub(crate) fn clean(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::Normal(n) => out.push(n),
            Component::ParentDir => {
                out.pop();
            }
            _ => {}
        }
    }
    out
}

/// A tar entry name made relative, or `None` when a `..` climbs above the extraction
/// directory (Docker refuses those entries as a breakout).
pub(crate) fn clean_entry(p: &Path) -> Option<PathBuf> {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::Normal(n) => out.push(n),
            Component::ParentDir if !out.pop() => return None,
            _ => {}
        }
    }
    Some(out)
}

/// `a/b/c` → (`a/b`, `c`); `None` for the root itself.
pub(crate) fn split(rel: &Path) -> Option<(&Path, &OsStr)> {
    Some((rel.parent().unwrap_or(Path::new("")), rel.file_name()?))
}

fn dot(rel: &Path) -> &Path {
    if rel.as_os_str().is_empty() {
        Path::new(".")
    } else {
        rel
    }
}

fn flags() -> ResolveFlags {
    ResolveFlags::IN_ROOT | ResolveFlags::NO_MAGICLINKS
}

/// Opens the directory `rel` below `root` (symlinks followed, inside the root).
pub(crate) fn open_dir<Fd: AsFd>(root: Fd, rel: &Path) -> io::Result<OwnedFd> {
    Ok(rustix::fs::openat2(
        root,
        dot(rel),
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
        flags(),
    )?)
}

/// An `O_PATH` handle on whatever `rel` names below `root` (symlinks followed, inside the
/// root), to stat it.
pub(crate) fn open_path<Fd: AsFd>(root: Fd, rel: &Path) -> io::Result<OwnedFd> {
    Ok(rustix::fs::openat2(
        root,
        dot(rel),
        OFlags::PATH | OFlags::CLOEXEC,
        Mode::empty(),
        flags(),
    )?)
}

/// Opens the directory `rel` below `root`, creating missing ones (mode 0755) one at a
/// time, each created relative to its resolved parent.
pub(crate) fn open_dir_create<Fd: AsFd>(root: Fd, rel: &Path) -> io::Result<OwnedFd> {
    match open_dir(root.as_fd(), rel) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        other => return other,
    }
    let Some((parent, name)) = split(rel) else {
        return open_dir(root, rel);
    };
    let p = open_dir_create(root.as_fd(), parent)?;
    match rustix::fs::mkdirat(&p, name, Mode::from_raw_mode(0o755)) {
        Ok(()) | Err(rustix::io::Errno::EXIST) => {}
        Err(e) => return Err(e.into()),
    }
    open_dir(root, rel)
}

/// Where a source path is: its resolved parent directory and its own name (not followed
/// unless `follow`), or the directory whose contents are meant (`/dir/.`, `/`).
pub(crate) enum Located {
    Entry { parent: OwnedFd, name: OsString },
    Contents { dir: OwnedFd },
}

/// Locates `path` (as the user wrote it, absolute or not) below `root`. With `follow`, a
/// symlink at the end is followed (still inside the root), as `cp -L` does.
pub(crate) fn locate<Fd: AsFd>(root: Fd, path: &str, follow: bool) -> io::Result<Located> {
    let mut rel = clean(Path::new(path));
    if path.ends_with("/.") || path == "." || rel.as_os_str().is_empty() {
        return Ok(Located::Contents {
            dir: open_dir(root, &rel)?,
        });
    }
    for _ in 0..40 {
        let (parent, name) = split(&rel).ok_or_else(|| io::Error::from(io::ErrorKind::NotFound))?;
        let pfd = open_dir(root.as_fd(), parent)?;
        let st = rustix::fs::statat(&pfd, name, rustix::fs::AtFlags::SYMLINK_NOFOLLOW)?;
        let is_link = rustix::fs::FileType::from_raw_mode(st.st_mode).is_symlink();
        if !(follow && is_link) {
            return Ok(Located::Entry {
                parent: pfd,
                name: name.to_os_string(),
            });
        }
        let target = rustix::fs::readlinkat(&pfd, name, Vec::new())?;
        let target = PathBuf::from(OsString::from_vec(target.into_bytes()));
        rel = clean(&parent.join(target));
        if rel.as_os_str().is_empty() {
            return Ok(Located::Contents {
                dir: open_dir(root, &rel)?,
            });
        }
    }
    Err(io::Error::from_raw_os_error(
        rustix::io::Errno::LOOP.raw_os_error(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_clamps_at_the_root() {
        assert_eq!(clean(Path::new("/a/../../b")), PathBuf::from("b"));
        assert_eq!(clean(Path::new("/")), PathBuf::new());
        assert_eq!(clean(Path::new("a/./b/")), PathBuf::from("a/b"));
        assert_eq!(clean_entry(Path::new("./a/../b")), Some(PathBuf::from("b")));
        assert_eq!(clean_entry(Path::new("a/../../etc/passwd")), None);
        assert_eq!(
            clean_entry(Path::new("/etc/passwd")),
            Some("etc/passwd".into())
        );
    }
}
