//! Paths inside the rootfs, opened so they can never lead out of it: every lookup is
//! openat2(RESOLVE_IN_ROOT) from a rootfs fd, and mounts target the opened fd through
//! /proc/self/fd, not a path a container could swap for a symlink (CVE-2021-30465).

use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::path::{Component, Path, PathBuf};

use nix::fcntl::OFlag;
use nix::sys::stat::Mode;

use crate::error::{Result, SysContext};
use crate::sys::openat2_in_root;

/// What to create when the destination is missing.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Kind {
    Dir,
    File,
}

/// The normal components of `p` (`/a/./b/` → [a, b]); `..` stays, resolved in root.
fn components(p: &Path) -> Vec<&std::ffi::OsStr> {
    p.components()
        .filter_map(|c| match c {
            Component::Normal(n) => Some(n),
            Component::ParentDir => Some(std::ffi::OsStr::new("..")),
            _ => None,
        })
        .collect()
}

fn open_path(root: BorrowedFd<'_>, rel: &Path) -> std::io::Result<OwnedFd> {
    openat2_in_root(root, rel, libc::O_PATH, 0)
}

/// Opens (O_PATH) `dest` inside `root`, creating missing components: directories on
/// the way, and a directory or an empty file at the end.
pub fn open_or_create(root: BorrowedFd<'_>, dest: &Path, last: Kind) -> Result<OwnedFd> {
    let parts = components(dest);
    let mut current: PathBuf = PathBuf::from("/");
    for (i, name) in parts.iter().enumerate() {
        let next = current.join(name);
        match open_path(root, &next) {
            Ok(fd) if i + 1 == parts.len() => return Ok(fd),
            Ok(_) => {}
            Err(e) if e.raw_os_error() == Some(libc::ENOENT) => {
                let parent =
                    open_path(root, &current).ctx(|| format!("open {}", current.display()))?;
                let is_last = i + 1 == parts.len();
                if is_last && last == Kind::File {
                    let fd = nix::fcntl::openat(
                        Some(parent.as_raw_fd()),
                        *name,
                        OFlag::O_CREAT
                            | OFlag::O_EXCL
                            | OFlag::O_WRONLY
                            | OFlag::O_CLOEXEC
                            | OFlag::O_NOFOLLOW,
                        Mode::from_bits_truncate(0o644),
                    );
                    match fd {
                        Ok(fd) => drop(nix::unistd::close(fd)),
                        Err(nix::errno::Errno::EEXIST) => {}
                        Err(e) => return Err(e).ctx(|| format!("create {}", next.display())),
                    }
                } else {
                    match nix::sys::stat::mkdirat(
                        Some(parent.as_raw_fd()),
                        *name,
                        Mode::from_bits_truncate(0o755),
                    ) {
                        Ok(()) | Err(nix::errno::Errno::EEXIST) => {}
                        Err(e) => return Err(e).ctx(|| format!("mkdir {}", next.display())),
                    }
                }
                if is_last {
                    return open_path(root, &next).ctx(|| format!("open {}", next.display()));
                }
            }
            Err(e) => return Err(e).ctx(|| format!("open {} inside the rootfs", next.display())),
        }
        current = next;
    }
    // dest is "/" itself.
    open_path(root, Path::new("/")).ctx(|| "open rootfs")
}

/// Opens `dest` inside `root` if it exists.
pub fn open_existing(root: BorrowedFd<'_>, dest: &Path) -> Result<Option<OwnedFd>> {
    match open_path(root, dest) {
        Ok(fd) => Ok(Some(fd)),
        Err(e) if e.raw_os_error() == Some(libc::ENOENT) => Ok(None),
        Err(e) => Err(e).ctx(|| format!("open {} inside the rootfs", dest.display())),
    }
}

/// The magic-link path that names an open fd, for mount(2) targets.
pub fn fd_path(fd: &impl AsFd) -> PathBuf {
    PathBuf::from(format!("/proc/self/fd/{}", fd.as_fd().as_raw_fd()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    #[test]
    fn symlinks_stay_inside_root() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("root");
        let outside = tmp.path().join("outside");
        std::fs::create_dir_all(&root).unwrap();
        std::fs::create_dir_all(&outside).unwrap();
        // An absolute symlink and a ../ symlink that both point outside.
        symlink(&outside, root.join("abs")).unwrap();
        symlink("../../outside", root.join("rel")).unwrap();
        let rootfd = std::fs::File::open(&root).unwrap();
        // Dangling in-root targets may be refused; they must never reach `outside`.
        let _ = open_or_create(rootfd.as_fd(), Path::new("/abs/x"), Kind::Dir);
        let _ = open_or_create(rootfd.as_fd(), Path::new("/rel/y"), Kind::File);
        open_or_create(rootfd.as_fd(), Path::new("/../../z"), Kind::Dir).unwrap();
        open_or_create(rootfd.as_fd(), Path::new("/a/b/c"), Kind::File).unwrap();
        assert!(
            std::fs::read_dir(&outside).unwrap().next().is_none(),
            "something was created outside"
        );
        assert!(root.join("z").is_dir());
        assert!(root.join("a/b/c").is_file());
    }
}
