//! Walking a source tree into a [`Sink`] through file descriptors only: every child is
//! opened with `openat(…, O_NOFOLLOW)` relative to its parent's fd, so a directory that a
//! running container swaps for a symlink mid-walk fails the copy (`ELOOP`/`ENOTDIR`)
//! instead of redirecting it outside the root (the `docker cp` race, CVE-2018-15664).

use std::collections::HashMap;
use std::ffi::OsStr;
use std::fs::File;
use std::io;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use rustix::fs::{AtFlags, FileType, Mode, OFlags, Stat};

use super::stream::{Entry, Kind, Sink};

/// Walks the objects below one source, remembering hard links.
pub(crate) struct Walker<'s> {
    sink: &'s mut dyn Sink,
    links: HashMap<(u64, u64), PathBuf>,
    /// Bytes of regular file content sent.
    pub moved: u64,
}

impl<'s> Walker<'s> {
    pub(crate) fn new(sink: &'s mut dyn Sink) -> Self {
        Walker {
            sink,
            links: HashMap::new(),
            moved: 0,
        }
    }

    /// The object `name` in directory `parent`, named `path` in the archive.
    pub(crate) fn entry_at(
        &mut self,
        parent: BorrowedFd<'_>,
        name: &OsStr,
        path: &Path,
    ) -> io::Result<()> {
        let st = rustix::fs::statat(parent, name, AtFlags::SYMLINK_NOFOLLOW)?;
        match FileType::from_raw_mode(st.st_mode) {
            FileType::Directory => {
                let dir = rustix::fs::openat(
                    parent,
                    name,
                    OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
                    Mode::empty(),
                )?;
                self.dir(dir, path)
            }
            FileType::RegularFile => {
                let fd = rustix::fs::openat(
                    parent,
                    name,
                    OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC | OFlags::NOCTTY,
                    Mode::empty(),
                )?;
                let st = rustix::fs::fstat(&fd)?;
                if FileType::from_raw_mode(st.st_mode) != FileType::RegularFile {
                    return Err(io::Error::other("changed type while being copied"));
                }
                self.file(fd, &st, path)
            }
            FileType::Symlink => {
                let t = rustix::fs::readlinkat(parent, name, Vec::new())?;
                let t = PathBuf::from(OsStr::from_bytes(t.as_bytes()));
                self.put(&st, path, Kind::Symlink(t), None)
            }
            FileType::CharacterDevice => self.put(&st, path, Kind::Char, None),
            FileType::BlockDevice => self.put(&st, path, Kind::Block, None),
            FileType::Fifo => self.put(&st, path, Kind::Fifo, None),
            // Sockets are not copied (Docker skips them too).
            _ => Ok(()),
        }
    }

    /// The directory open as `dir` and everything below it, named `path`.
    pub(crate) fn dir(&mut self, dir: OwnedFd, path: &Path) -> io::Result<()> {
        let st = rustix::fs::fstat(&dir)?;
        self.put(&st, path, Kind::Dir, None)?;
        let mut names: Vec<Vec<u8>> = Vec::new();
        for e in rustix::fs::Dir::read_from(&dir)? {
            let e = e?;
            let n = e.file_name().to_bytes();
            if n != b"." && n != b".." {
                names.push(n.to_vec());
            }
        }
        names.sort();
        for n in names {
            let name = OsStr::from_bytes(&n);
            self.entry_at(dir.as_fd(), name, &path.join(name))?;
        }
        Ok(())
    }

    fn file(&mut self, fd: OwnedFd, st: &Stat, path: &Path) -> io::Result<()> {
        if st.st_nlink > 1 {
            let key = (st.st_dev, st.st_ino);
            if let Some(first) = self.links.get(&key) {
                let first = first.clone();
                return self.put(st, path, Kind::Link(first), None);
            }
            self.links.insert(key, path.to_path_buf());
        }
        let mut f = File::from(fd);
        self.moved += u64::try_from(st.st_size).unwrap_or(0);
        self.put(st, path, Kind::File, Some(&mut f))
    }

    fn put(
        &mut self,
        st: &Stat,
        path: &Path,
        kind: Kind,
        data: Option<&mut File>,
    ) -> io::Result<()> {
        let e = Entry {
            path: path.to_path_buf(),
            kind,
            mode: st.st_mode & 0o7777,
            uid: u64::from(st.st_uid),
            gid: u64::from(st.st_gid),
            mtime: st.st_mtime,
            size: u64::try_from(st.st_size).unwrap_or(0),
            major: rustix::fs::major(st.st_rdev),
            minor: rustix::fs::minor(st.st_rdev),
        };
        match data {
            Some(f) => self.sink.put(&e, Some(f)),
            None => self.sink.put(&e, None),
        }
    }
}
