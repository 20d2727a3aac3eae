//! Creating each tar entry inside the layer root.

use std::ffi::OsStr;
use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use rustix::fs::{AtFlags, FileType, Mode, OFlags, Timespec, Timestamps, XattrFlags};
use rustix::process::{Gid, Uid};
use tar::EntryType;

use super::safe_path::{self, Escapes};
use super::{compression, UnpackOptions, UnpackStats};
use crate::error::{Result, StorageError};
use crate::whiteout::{
    AUFS_META_PREFIX, OPAQUE_MARKER, OVERLAY_OPAQUE_XATTR, OVERLAY_XATTR_PREFIX, WHITEOUT_PREFIX,
};

/// Metadata of one entry, copied out of its header before the data is read.
struct Meta {
    mode: u32,
    uid: u64,
    gid: u64,
    mtime: u64,
    xattrs: Vec<(Vec<u8>, Vec<u8>)>,
}

/// A directory whose mode and mtime are set after all entries (creating children would
/// otherwise change the mtime, and a read-only mode would block them).
struct PendingDir {
    rel: PathBuf,
    mode: u32,
    mtime: u64,
}

pub(crate) struct Unpacker<'o> {
    root: OwnedFd,
    layer: String,
    opts: &'o UnpackOptions,
    entries: u64,
    bytes: u64,
    dirs: Vec<PendingDir>,
}

impl<'o> Unpacker<'o> {
    pub(crate) fn new(root: &Path, layer: &str, opts: &'o UnpackOptions) -> Result<Self> {
        let fd = safe_path::open_root(root)
            .map_err(crate::error::io_err("open layer directory", root))?;
        Ok(Unpacker {
            root: fd,
            layer: layer.to_string(),
            opts,
            entries: 0,
            bytes: 0,
            dirs: Vec::new(),
        })
    }

    fn read_err(&self, source: io::Error) -> StorageError {
        StorageError::ReadArchive {
            layer: self.layer.clone(),
            source,
        }
    }

    fn entry_err<'a>(
        &'a self,
        entry: &'a Path,
        op: &'static str,
    ) -> impl FnOnce(io::Error) -> StorageError + 'a {
        move |source| StorageError::Entry {
            layer: self.layer.clone(),
            entry: entry.to_path_buf(),
            op,
            source,
        }
    }

    pub(crate) fn run<R: Read>(mut self, reader: R) -> Result<UnpackStats> {
        let (decoded, compression) = compression::decoder(reader, &self.layer)?;
        let mut archive = tar::Archive::new(super::guard::HeaderGuard::new(decoded));
        let entries = archive.entries().map_err(|e| self.read_err(e))?;
        for entry in entries {
            let entry = entry.map_err(|e| self.read_err(e))?;
            self.one(entry)?;
        }
        // Read to the end so a hashing reader upstream sees every byte.
        let mut rest = archive.into_inner();
        io::copy(&mut rest, &mut io::sink()).map_err(|e| self.read_err(e))?;
        self.finish_dirs()?;
        if self.opts.sync {
            rustix::fs::syncfs(&self.root)
                .map_err(|e| self.entry_err(Path::new("/"), "syncfs")(e.into()))?;
        }
        Ok(UnpackStats {
            entries: self.entries,
            bytes: self.bytes,
            compression,
        })
    }

    fn one<R: Read>(&mut self, mut entry: tar::Entry<'_, R>) -> Result<()> {
        let raw: PathBuf = entry.path().map_err(|e| self.read_err(e))?.into_owned();
        self.entries += 1;
        if self.entries > self.opts.max_entries {
            return Err(StorageError::TooManyEntries {
                layer: self.layer.clone(),
                entry: raw,
                limit: self.opts.max_entries,
            });
        }
        let kind = entry.header().entry_type();
        if matches!(kind, EntryType::XGlobalHeader) {
            return Ok(());
        }
        let rel = safe_path::clean(&raw).map_err(|Escapes| StorageError::PathEscapes {
            layer: self.layer.clone(),
            entry: raw.clone(),
        })?;
        let meta = self.meta(&mut entry, &raw)?;

        let Some((parent_rel, name)) = safe_path::split(&rel) else {
            // The layer root itself ("./" or "/").
            if kind.is_dir() {
                self.dirs.push(PendingDir {
                    rel: PathBuf::new(),
                    mode: meta.mode,
                    mtime: meta.mtime,
                });
                let root = self
                    .root
                    .try_clone()
                    .map_err(self.entry_err(&raw, "open layer root"))?;
                self.owner_and_xattrs_fd(&root, &raw, &meta)?;
                return Ok(());
            }
            return Err(StorageError::PathEscapes {
                layer: self.layer.clone(),
                entry: raw,
            });
        };
        let parent = self.parent_dir(parent_rel, &raw)?;

        let name_bytes = name.as_bytes();
        if name_bytes.starts_with(WHITEOUT_PREFIX.as_bytes()) {
            return self.whiteout(&parent, name, &raw, &meta);
        }

        match kind {
            EntryType::Directory => self.directory(&parent, name, &rel, &raw, &meta),
            EntryType::Regular | EntryType::Continuous | EntryType::GNUSparse => {
                self.regular(&parent, name, &raw, &meta, &mut entry)
            }
            EntryType::Symlink => {
                let target = entry
                    .link_name()
                    .map_err(|e| self.read_err(e))?
                    .ok_or_else(|| {
                        self.read_err(io::Error::new(
                            io::ErrorKind::InvalidData,
                            "symlink without a target",
                        ))
                    })?
                    .into_owned();
                self.replace_existing(&parent, name, &raw, false)?;
                rustix::fs::symlinkat(&target, &parent, name)
                    .map_err(|e| self.entry_err(&raw, "create symlink")(e.into()))?;
                self.finish_nofollow(&parent, name, &raw, &meta, false)
            }
            EntryType::Link => {
                let target = entry
                    .link_name()
                    .map_err(|e| self.read_err(e))?
                    .ok_or_else(|| {
                        self.read_err(io::Error::new(
                            io::ErrorKind::InvalidData,
                            "hard link without a target",
                        ))
                    })?
                    .into_owned();
                self.hard_link(&parent, name, &raw, &target)
            }
            EntryType::Char | EntryType::Block | EntryType::Fifo => {
                let ft = match kind {
                    EntryType::Char => FileType::CharacterDevice,
                    EntryType::Block => FileType::BlockDevice,
                    _ => FileType::Fifo,
                };
                let major = entry
                    .header()
                    .device_major()
                    .map_err(|e| self.read_err(e))?
                    .unwrap_or(0);
                let minor = entry
                    .header()
                    .device_minor()
                    .map_err(|e| self.read_err(e))?
                    .unwrap_or(0);
                self.replace_existing(&parent, name, &raw, false)?;
                rustix::fs::mknodat(
                    &parent,
                    name,
                    ft,
                    Mode::from_raw_mode(0o600),
                    rustix::fs::makedev(major, minor),
                )
                .map_err(|e| self.entry_err(&raw, "create device node or fifo")(e.into()))?;
                self.finish_nofollow(&parent, name, &raw, &meta, true)
            }
            other => Err(StorageError::UnsupportedEntry {
                layer: self.layer.clone(),
                entry: raw,
                kind: format!("{other:?}"),
            }),
        }
    }

    fn meta<R: Read>(&self, entry: &mut tar::Entry<'_, R>, raw: &Path) -> Result<Meta> {
        let h = entry.header();
        let bad = |e: io::Error| StorageError::Entry {
            layer: self.layer.clone(),
            entry: raw.to_path_buf(),
            op: "read header",
            source: e,
        };
        let mode = h.mode().map_err(bad)? & 0o7777;
        let uid = h.uid().map_err(|e| self.read_err(e))?;
        let gid = h.gid().map_err(|e| self.read_err(e))?;
        let mtime = h.mtime().map_err(|e| self.read_err(e))?;
        let mut xattrs = Vec::new();
        if let Some(exts) = entry.pax_extensions().map_err(|e| self.read_err(e))? {
            for ext in exts {
                let ext = ext.map_err(|e| self.read_err(e))?;
                let key = ext.key_bytes();
                if let Some(name) = key.strip_prefix(b"SCHILY.xattr.") {
                    if name.starts_with(OVERLAY_XATTR_PREFIX.as_bytes()) {
                        // A layer must not steer overlayfs (redirects, metacopy, fake opaque).
                        tracing::warn!(layer = %self.layer, entry = %raw.display(), "ignoring trusted.overlay.* xattr in layer");
                        continue;
                    }
                    xattrs.push((name.to_vec(), ext.value_bytes().to_vec()));
                }
            }
        }
        Ok(Meta {
            mode,
            uid,
            gid,
            mtime,
            xattrs,
        })
    }

    fn parent_dir(&self, parent_rel: &Path, raw: &Path) -> Result<OwnedFd> {
        safe_path::open_or_create_dir(&self.root, parent_rel).map_err(|e| {
            if safe_path::is_blocked_walk(&e) {
                StorageError::ThroughSymlink {
                    layer: self.layer.clone(),
                    entry: raw.to_path_buf(),
                }
            } else {
                StorageError::Entry {
                    layer: self.layer.clone(),
                    entry: raw.to_path_buf(),
                    op: "create parent directories",
                    source: e,
                }
            }
        })
    }

    fn whiteout(&mut self, parent: &OwnedFd, name: &OsStr, raw: &Path, meta: &Meta) -> Result<()> {
        let bytes = name.as_bytes();
        if bytes == OPAQUE_MARKER.as_bytes() {
            return rustix::fs::fsetxattr(parent, OVERLAY_OPAQUE_XATTR, b"y", XattrFlags::empty())
                .map_err(|e| self.entry_err(raw, "set opaque xattr on directory")(e.into()));
        }
        if bytes.starts_with(AUFS_META_PREFIX.as_bytes()) {
            return Ok(());
        }
        let target = OsStr::from_bytes(&bytes[WHITEOUT_PREFIX.len()..]);
        if target.is_empty() || target == "." || target == ".." {
            return Err(StorageError::PathEscapes {
                layer: self.layer.clone(),
                entry: raw.to_path_buf(),
            });
        }
        self.replace_existing(parent, target, raw, false)?;
        rustix::fs::mknodat(
            parent,
            target,
            FileType::CharacterDevice,
            Mode::empty(),
            rustix::fs::makedev(0, 0),
        )
        .map_err(|e| self.entry_err(raw, "create overlay whiteout")(e.into()))?;
        if self.opts.same_owner {
            rustix::fs::chownat(
                parent,
                target,
                Some(uid(meta.uid)),
                Some(gid(meta.gid)),
                AtFlags::SYMLINK_NOFOLLOW,
            )
            .map_err(|e| self.entry_err(raw, "chown whiteout")(e.into()))?;
        }
        Ok(())
    }

    fn directory(
        &mut self,
        parent: &OwnedFd,
        name: &OsStr,
        rel: &Path,
        raw: &Path,
        meta: &Meta,
    ) -> Result<()> {
        self.replace_existing(parent, name, raw, true)?;
        match rustix::fs::mkdirat(parent, name, Mode::from_raw_mode(0o700)) {
            Ok(()) | Err(rustix::io::Errno::EXIST) => {}
            Err(e) => return Err(self.entry_err(raw, "create directory")(e.into())),
        }
        let dir = safe_path::open_child_dir(parent, name).map_err(|e| {
            if safe_path::is_blocked_walk(&e) {
                StorageError::ThroughSymlink {
                    layer: self.layer.clone(),
                    entry: raw.to_path_buf(),
                }
            } else {
                self.entry_err(raw, "open directory")(e)
            }
        })?;
        self.owner_and_xattrs_fd(&dir, raw, meta)?;
        self.dirs.push(PendingDir {
            rel: rel.to_path_buf(),
            mode: meta.mode,
            mtime: meta.mtime,
        });
        Ok(())
    }

    fn regular<R: Read>(
        &mut self,
        parent: &OwnedFd,
        name: &OsStr,
        raw: &Path,
        meta: &Meta,
        data: &mut R,
    ) -> Result<()> {
        let remaining = self.opts.max_bytes.saturating_sub(self.bytes);
        let too_many = || StorageError::TooManyBytes {
            layer: self.layer.clone(),
            entry: raw.to_path_buf(),
            limit: self.opts.max_bytes,
        };
        self.replace_existing(parent, name, raw, false)?;
        let fd = rustix::fs::openat(
            parent,
            name,
            OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            Mode::from_raw_mode(0o600),
        )
        .map_err(|e| self.entry_err(raw, "create file")(e.into()))?;
        let mut file = File::from(fd);
        // Copied by hand so a read error (the archive's fault) and a write error (the
        // disk's) are reported as what they are.
        let mut buf = vec![0u8; 128 * 1024];
        let mut written: u64 = 0;
        loop {
            let n = match data.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(self.read_err(e)),
            };
            written += n as u64;
            if written > remaining {
                return Err(too_many());
            }
            file.write_all(&buf[..n])
                .map_err(self.entry_err(raw, "write file data"))?;
        }
        if written > remaining {
            return Err(too_many());
        }
        self.bytes += written;
        self.owner_and_xattrs_fd(&file, raw, meta)?;
        rustix::fs::fchmod(&file, Mode::from_raw_mode(meta.mode))
            .map_err(|e| self.entry_err(raw, "chmod file")(e.into()))?;
        let times = timestamps(meta.mtime);
        rustix::fs::futimens(&file, &times)
            .map_err(|e| self.entry_err(raw, "set file times")(e.into()))?;
        Ok(())
    }

    fn hard_link(
        &mut self,
        parent: &OwnedFd,
        name: &OsStr,
        raw: &Path,
        target_raw: &Path,
    ) -> Result<()> {
        let escapes = || StorageError::LinkEscapes {
            layer: self.layer.clone(),
            entry: raw.to_path_buf(),
            target: target_raw.to_path_buf(),
        };
        let target = safe_path::clean(target_raw).map_err(|Escapes| escapes())?;
        let Some((tparent_rel, tname)) = safe_path::split(&target) else {
            return Err(escapes());
        };
        let tparent = safe_path::open_dir(&self.root, tparent_rel).map_err(|_| escapes())?;
        // The target must exist in the layer and not be a directory.
        match rustix::fs::statat(&tparent, tname, AtFlags::SYMLINK_NOFOLLOW) {
            Ok(st) if FileType::from_raw_mode(st.st_mode) != FileType::Directory => {}
            _ => return Err(escapes()),
        }
        self.replace_existing(parent, name, raw, false)?;
        // No AT_SYMLINK_FOLLOW: a link to a symlink links the symlink itself.
        rustix::fs::linkat(&tparent, tname, parent, name, AtFlags::empty())
            .map_err(|e| self.entry_err(raw, "create hard link")(e.into()))
    }

    /// Removes what is at `name` unless both it and the new entry are directories (then the
    /// existing directory is kept and only its metadata updated, as tar does).
    fn replace_existing(
        &self,
        parent: &OwnedFd,
        name: &OsStr,
        raw: &Path,
        new_is_dir: bool,
    ) -> Result<()> {
        let st = match rustix::fs::statat(parent, name, AtFlags::SYMLINK_NOFOLLOW) {
            Ok(st) => st,
            Err(rustix::io::Errno::NOENT) => return Ok(()),
            Err(e) => return Err(self.entry_err(raw, "stat existing entry")(e.into())),
        };
        let is_dir = FileType::from_raw_mode(st.st_mode) == FileType::Directory;
        if is_dir && new_is_dir {
            return Ok(());
        }
        remove_at(parent.as_fd(), name, is_dir)
            .map_err(self.entry_err(raw, "remove existing entry"))
    }

    fn owner_and_xattrs_fd<Fd: AsFd>(&self, fd: Fd, raw: &Path, meta: &Meta) -> Result<()> {
        if self.opts.same_owner {
            rustix::fs::fchown(&fd, Some(uid(meta.uid)), Some(gid(meta.gid)))
                .map_err(|e| self.entry_err(raw, "chown")(e.into()))?;
        }
        for (name, value) in &meta.xattrs {
            rustix::fs::fsetxattr(&fd, OsStr::from_bytes(name), value, XattrFlags::empty())
                .map_err(|e| self.entry_err(raw, "set xattr")(e.into()))?;
        }
        Ok(())
    }

    /// Owner, mode, xattrs and mtime of something that cannot be opened (symlink, device, fifo).
    fn finish_nofollow(
        &self,
        parent: &OwnedFd,
        name: &OsStr,
        raw: &Path,
        meta: &Meta,
        chmod: bool,
    ) -> Result<()> {
        if self.opts.same_owner {
            rustix::fs::chownat(
                parent,
                name,
                Some(uid(meta.uid)),
                Some(gid(meta.gid)),
                AtFlags::SYMLINK_NOFOLLOW,
            )
            .map_err(|e| self.entry_err(raw, "chown")(e.into()))?;
        }
        if chmod {
            // Not a symlink (just created by mknodat on this parent fd), so following is moot.
            rustix::fs::chmodat(
                parent,
                name,
                Mode::from_raw_mode(meta.mode),
                AtFlags::empty(),
            )
            .map_err(|e| self.entry_err(raw, "chmod")(e.into()))?;
        }
        if !meta.xattrs.is_empty() {
            // lsetxattr through the parent fd's /proc link: the parent is pinned by its fd and
            // the last component is not followed.
            let path = PathBuf::from(format!("/proc/self/fd/{}", parent.as_raw_fd())).join(name);
            for (xname, value) in &meta.xattrs {
                rustix::fs::lsetxattr(&path, OsStr::from_bytes(xname), value, XattrFlags::empty())
                    .map_err(|e| self.entry_err(raw, "set xattr")(e.into()))?;
            }
        }
        rustix::fs::utimensat(
            parent,
            name,
            &timestamps(meta.mtime),
            AtFlags::SYMLINK_NOFOLLOW,
        )
        .map_err(|e| self.entry_err(raw, "set times")(e.into()))
    }

    fn finish_dirs(&mut self) -> Result<()> {
        // In entry order, so a directory listed twice ends with its last entry's metadata
        // (setting a directory's metadata does not move its parent's mtime).
        let dirs = std::mem::take(&mut self.dirs);
        for d in &dirs {
            let shown = Path::new("/").join(&d.rel);
            let fd = safe_path::open_dir(&self.root, &d.rel).map_err(|e| {
                if safe_path::is_blocked_walk(&e) {
                    StorageError::ThroughSymlink {
                        layer: self.layer.clone(),
                        entry: shown.clone(),
                    }
                } else {
                    self.entry_err(&shown, "reopen directory")(e)
                }
            })?;
            rustix::fs::fchmod(&fd, Mode::from_raw_mode(d.mode))
                .map_err(|e| self.entry_err(&shown, "chmod directory")(e.into()))?;
            rustix::fs::futimens(&fd, &timestamps(d.mtime))
                .map_err(|e| self.entry_err(&shown, "set directory times")(e.into()))?;
        }
        Ok(())
    }
}

/// Removes `name` in `parent` (recursively for a directory), never following symlinks.
pub(crate) fn remove_at(parent: BorrowedFd<'_>, name: &OsStr, is_dir: bool) -> io::Result<()> {
    if !is_dir {
        return Ok(rustix::fs::unlinkat(parent, name, AtFlags::empty())?);
    }
    let dir = safe_path::open_child_dir(parent, name)?;
    let mut children = Vec::new();
    for ent in rustix::fs::Dir::read_from(&dir)? {
        let ent = ent?;
        let n = ent.file_name().to_bytes();
        if n == b"." || n == b".." {
            continue;
        }
        children.push((
            OsStr::from_bytes(n).to_os_string(),
            ent.file_type() == FileType::Directory,
        ));
    }
    for (child, child_dir) in children {
        remove_at(dir.as_fd(), &child, child_dir)?;
    }
    Ok(rustix::fs::unlinkat(parent, name, AtFlags::REMOVEDIR)?)
}

fn timestamps(mtime: u64) -> Timestamps {
    let t = Timespec {
        tv_sec: i64::try_from(mtime).unwrap_or(i64::MAX),
        tv_nsec: 0,
    };
    Timestamps {
        last_access: t,
        last_modification: t,
    }
}

fn uid(id: u64) -> Uid {
    Uid::from_raw(u32::try_from(id).unwrap_or(u32::MAX - 1))
}

fn gid(id: u64) -> Gid {
    Gid::from_raw(u32::try_from(id).unwrap_or(u32::MAX - 1))
}
