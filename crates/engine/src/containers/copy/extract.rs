//! Creating copied objects below a directory of a root fd. Every parent directory is
//! resolved with `openat2(RESOLVE_IN_ROOT)` (symlinks followed as if the root were `/`), the
//! final component is created with `*at` calls on that parent fd without following it, and
//! an entry name whose `..` climbs above the destination is refused. So whatever symlinks a
//! container holds, nothing is written outside its root.

use std::ffi::OsStr;
use std::fs::File;
use std::io::{self, Read};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::path::{Path, PathBuf};

use rustix::fs::{AtFlags, FileType, Mode, OFlags, Timespec, Timestamps};

use super::resolve::{clean_entry, open_dir, open_dir_create, split};
use super::stream::{Entry, Kind, Sink};

/// Who owns what is created.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Owner {
    /// The archive's uid/gid (`cp -a`).
    Keep,
    /// This uid/gid (root of the container, Docker's default into a container).
    Set(u32, u32),
    /// Whoever runs berth (Docker's default on the host).
    Caller,
}

/// Extracts entries into `dir` (relative to `root`), renaming the archive's top name.
pub(crate) struct Extractor<'r> {
    root: BorrowedFd<'r>,
    dir: PathBuf,
    owner: Owner,
    /// Directories whose times are set once their contents are in.
    dirs: Vec<(PathBuf, i64)>,
}

fn errno(e: rustix::io::Errno) -> io::Error {
    e.into()
}

impl<'r> Extractor<'r> {
    pub(crate) fn new(root: BorrowedFd<'r>, dir: PathBuf, owner: Owner) -> Self {
        Extractor {
            root,
            dir,
            owner,
            dirs: Vec::new(),
        }
    }

    /// Sets the directories' modification times (after their contents changed them).
    pub(crate) fn finish(self) -> io::Result<()> {
        for (rel, mtime) in self.dirs.iter().rev() {
            if let Ok(fd) = open_dir(self.root, rel) {
                rustix::fs::futimens(&fd, &times(*mtime)).map_err(errno)?;
            }
        }
        Ok(())
    }

    fn target(&self, e: &Entry) -> io::Result<PathBuf> {
        let rel = clean_entry(&e.path).ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "invalid archive entry {:?}: it is outside of the destination",
                    e.path
                ),
            )
        })?;
        Ok(self.dir.join(rel))
    }

    fn ids(&self, e: &Entry) -> Option<(rustix::fs::Uid, rustix::fs::Gid)> {
        let (u, g) = match self.owner {
            Owner::Caller => return None,
            Owner::Set(u, g) => (u, g),
            Owner::Keep => (
                u32::try_from(e.uid).unwrap_or(0),
                u32::try_from(e.gid).unwrap_or(0),
            ),
        };
        Some((rustix::fs::Uid::from_raw(u), rustix::fs::Gid::from_raw(g)))
    }

    fn meta_fd(&self, fd: &OwnedFd, e: &Entry) -> io::Result<()> {
        if let Some((u, g)) = self.ids(e) {
            rustix::fs::fchown(fd, Some(u), Some(g)).map_err(errno)?;
        }
        rustix::fs::fchmod(fd, Mode::from_raw_mode(e.mode & 0o7777)).map_err(errno)
    }
}

fn times(mtime: i64) -> Timestamps {
    let t = Timespec {
        tv_sec: mtime,
        tv_nsec: 0,
    };
    Timestamps {
        last_access: t,
        last_modification: t,
    }
}

/// Removes a non-directory that is in the way; refuses to replace a directory by a
/// non-directory or the reverse (Docker's `NoOverwriteDirNonDir`).
fn make_room(
    parent: BorrowedFd<'_>,
    name: &OsStr,
    want_dir: bool,
    shown: &Path,
) -> io::Result<bool> {
    let st = match rustix::fs::statat(parent, name, AtFlags::SYMLINK_NOFOLLOW) {
        Ok(st) => st,
        Err(rustix::io::Errno::NOENT) => return Ok(false),
        Err(e) => return Err(e.into()),
    };
    let is_dir = FileType::from_raw_mode(st.st_mode) == FileType::Directory;
    match (is_dir, want_dir) {
        (true, true) => Ok(true),
        (true, false) => Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            format!("cannot overwrite directory {:?} with non-directory", shown),
        )),
        (false, true) => Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            format!("cannot overwrite non-directory {:?} with directory", shown),
        )),
        (false, false) => {
            rustix::fs::unlinkat(parent, name, AtFlags::empty()).map_err(errno)?;
            Ok(false)
        }
    }
}

impl Sink for Extractor<'_> {
    fn put(&mut self, e: &Entry, data: Option<&mut dyn Read>) -> io::Result<()> {
        let full = self.target(e)?;
        let Some((parent_rel, name)) = split(&full) else {
            // The root itself: only a directory's metadata can land there.
            if e.kind == Kind::Dir {
                let fd = open_dir(self.root, &full)?;
                return self.meta_fd(&fd, e);
            }
            return Err(io::Error::other("cannot overwrite the root directory"));
        };
        let parent = open_dir_create(self.root, parent_rel)?;
        let shown = Path::new("/").join(&full);
        match &e.kind {
            Kind::Dir => {
                if !make_room(parent.as_fd(), name, true, &shown)? {
                    rustix::fs::mkdirat(&parent, name, Mode::from_raw_mode(0o700))
                        .map_err(errno)?;
                }
                let fd = rustix::fs::openat(
                    &parent,
                    name,
                    OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
                    Mode::empty(),
                )
                .map_err(errno)?;
                self.meta_fd(&fd, e)?;
                self.dirs.push((full.clone(), e.mtime));
                Ok(())
            }
            Kind::File => {
                make_room(parent.as_fd(), name, false, &shown)?;
                let fd = rustix::fs::openat(
                    &parent,
                    name,
                    OFlags::WRONLY
                        | OFlags::CREATE
                        | OFlags::EXCL
                        | OFlags::NOFOLLOW
                        | OFlags::CLOEXEC,
                    Mode::from_raw_mode(0o600),
                )
                .map_err(errno)?;
                let mut f = File::from(fd);
                if let Some(d) = data {
                    let n = io::copy(&mut d.take(e.size), &mut f)?;
                    if n != e.size {
                        return Err(io::Error::new(
                            io::ErrorKind::UnexpectedEof,
                            format!("{}: short content", shown.display()),
                        ));
                    }
                }
                let fd = OwnedFd::from(f);
                self.meta_fd(&fd, e)?;
                rustix::fs::futimens(&fd, &times(e.mtime)).map_err(errno)
            }
            Kind::Symlink(target) => {
                make_room(parent.as_fd(), name, false, &shown)?;
                rustix::fs::symlinkat(target.as_path(), &parent, name).map_err(errno)?;
                if let Some((u, g)) = self.ids(e) {
                    rustix::fs::chownat(&parent, name, Some(u), Some(g), AtFlags::SYMLINK_NOFOLLOW)
                        .map_err(errno)?;
                }
                rustix::fs::utimensat(&parent, name, &times(e.mtime), AtFlags::SYMLINK_NOFOLLOW)
                    .map_err(errno)
            }
            Kind::Link(target) => {
                let t = self.target(&Entry {
                    path: target.clone(),
                    ..e.clone()
                })?;
                let (tp, tn) =
                    split(&t).ok_or_else(|| io::Error::other("hard link to the root"))?;
                let tparent = open_dir(self.root, tp)?;
                make_room(parent.as_fd(), name, false, &shown)?;
                rustix::fs::linkat(&tparent, tn, &parent, name, AtFlags::empty()).map_err(errno)
            }
            Kind::Char | Kind::Block | Kind::Fifo => {
                make_room(parent.as_fd(), name, false, &shown)?;
                let ft = match e.kind {
                    Kind::Char => FileType::CharacterDevice,
                    Kind::Block => FileType::BlockDevice,
                    _ => FileType::Fifo,
                };
                rustix::fs::mknodat(
                    &parent,
                    name,
                    ft,
                    Mode::from_raw_mode(e.mode & 0o7777),
                    rustix::fs::makedev(e.major, e.minor),
                )
                .map_err(errno)?;
                match self.ids(e) {
                    Some((u, g)) => rustix::fs::chownat(
                        &parent,
                        name,
                        Some(u),
                        Some(g),
                        AtFlags::SYMLINK_NOFOLLOW,
                    )
                    .map_err(errno),
                    None => Ok(()),
                }
            }
        }
    }
}
