//! Writing diff steps as tar entries: regular files, directories, symlinks, hard links
//! (within the diff), devices, fifos, PAX `SCHILY.xattr.*` (never overlay's own xattrs), and
//! the OCI whiteout forms.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::OwnedFd;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};

use rustix::fs::{Mode, OFlags, ResolveFlags};
use tar::{EntryType, Header};

use super::Op;
use crate::error::{Result, StorageError};
use crate::fsutil;
use crate::whiteout::{OPAQUE_MARKER, OVERLAY_XATTR_PREFIX, WHITEOUT_PREFIX};

pub(crate) fn write<W: Write>(upper: &Path, ops: &[Op], out: W) -> Result<W> {
    let root =
        crate::unpack::safe_path::open_root(upper).map_err(|source| StorageError::WriteDiff {
            upper: upper.to_path_buf(),
            entry: PathBuf::new(),
            source,
        })?;
    let mut b = tar::Builder::new(out);
    b.follow_symlinks(false);
    let mut links: HashMap<(u64, u64), PathBuf> = HashMap::new();
    for op in ops {
        let (rel, res) = match op {
            Op::Put(rel) => (rel, put(&mut b, &root, upper, rel, &mut links)),
            Op::Whiteout(rel) => {
                let name = format!(
                    "{WHITEOUT_PREFIX}{}",
                    rel.file_name().unwrap_or_default().to_string_lossy()
                );
                (rel, marker(&mut b, &rel.with_file_name(name)))
            }
            Op::Opaque(rel) => (rel, marker(&mut b, &rel.join(OPAQUE_MARKER))),
        };
        res.map_err(|source| StorageError::WriteDiff {
            upper: upper.to_path_buf(),
            entry: rel.clone(),
            source,
        })?;
    }
    b.into_inner().map_err(|source| StorageError::WriteDiff {
        upper: upper.to_path_buf(),
        entry: PathBuf::new(),
        source,
    })
}

fn base_header(md: &std::fs::Metadata, kind: EntryType) -> Header {
    let mut h = Header::new_gnu();
    h.set_entry_type(kind);
    h.set_mode(md.mode() & 0o7777);
    h.set_uid(u64::from(md.uid()));
    h.set_gid(u64::from(md.gid()));
    h.set_mtime(u64::try_from(md.mtime()).unwrap_or(0));
    h.set_size(0);
    h
}

fn marker<W: Write>(b: &mut tar::Builder<W>, path: &Path) -> io::Result<()> {
    let mut h = Header::new_gnu();
    h.set_entry_type(EntryType::Regular);
    h.set_mode(0o644);
    h.set_uid(0);
    h.set_gid(0);
    h.set_mtime(0);
    h.set_size(0);
    b.append_data(&mut h, path, io::empty())
}

fn put<W: Write>(
    b: &mut tar::Builder<W>,
    root: &OwnedFd,
    upper: &Path,
    rel: &Path,
    links: &mut HashMap<(u64, u64), PathBuf>,
) -> io::Result<()> {
    let p = upper.join(rel);
    let md = std::fs::symlink_metadata(&p)?;
    let ft = md.file_type();

    let xattrs: Vec<(String, Vec<u8>)> = fsutil::xattrs(&p)?
        .into_iter()
        .filter(|(n, _)| {
            !n.as_encoded_bytes()
                .starts_with(OVERLAY_XATTR_PREFIX.as_bytes())
        })
        .map(|(n, v)| (format!("SCHILY.xattr.{}", n.to_string_lossy()), v))
        .collect();
    if !xattrs.is_empty() {
        b.append_pax_extensions(xattrs.iter().map(|(k, v)| (k.as_str(), v.as_slice())))?;
    }

    if ft.is_dir() {
        let mut h = base_header(&md, EntryType::Directory);
        return b.append_data(&mut h, rel, io::empty());
    }
    if ft.is_symlink() {
        let target = std::fs::read_link(&p)?;
        let mut h = base_header(&md, EntryType::Symlink);
        return b.append_link(&mut h, rel, target);
    }
    if ft.is_file() {
        if md.nlink() > 1 {
            if let Some(first) = links.get(&(md.dev(), md.ino())) {
                let mut h = base_header(&md, EntryType::Link);
                return b.append_link(&mut h, rel, first);
            }
            links.insert((md.dev(), md.ino()), rel.to_path_buf());
        }
        // The data is read through an fd opened inside the upper dir without following any
        // symlink: a running container that swaps a directory for a symlink to `/` between
        // the walk and this read cannot make berth copy a host file into the image
        // (the docker cp race, CVE-2018-15664).
        let f = File::from(rustix::fs::openat2(
            root,
            rel,
            OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            Mode::empty(),
            ResolveFlags::IN_ROOT | ResolveFlags::NO_SYMLINKS | ResolveFlags::NO_MAGICLINKS,
        )?);
        let fmd = f.metadata()?;
        if !fmd.is_file() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "changed type while being read",
            ));
        }
        let mut h = base_header(&fmd, EntryType::Regular);
        h.set_size(fmd.size());
        // A file that grows meanwhile is cut at the size in its header; one that shrinks
        // fails the copy (tar cannot describe it).
        return b.append_data(&mut h, rel, f.take(fmd.size()));
    }
    let kind = if ft.is_char_device() {
        EntryType::Char
    } else if ft.is_block_device() {
        EntryType::Block
    } else if ft.is_fifo() {
        EntryType::Fifo
    } else {
        // Sockets are not layer content.
        return Ok(());
    };
    let mut h = base_header(&md, kind);
    h.set_device_major(rustix::fs::major(md.rdev()))?;
    h.set_device_minor(rustix::fs::minor(md.rdev()))?;
    b.append_data(&mut h, rel, io::empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_directory_swapped_for_a_symlink_cannot_leak_host_files() {
        let tmp = tempfile::tempdir().unwrap();
        let upper = tmp.path().join("upper");
        let outside = tmp.path().join("outside");
        std::fs::create_dir_all(&upper).unwrap();
        std::fs::create_dir_all(&outside).unwrap();
        std::fs::write(outside.join("shadow"), b"host secret").unwrap();
        // The walk saw upper/etc/shadow; then the container replaced etc with a symlink.
        std::os::unix::fs::symlink(&outside, upper.join("etc")).unwrap();
        let err = write(&upper, &[Op::Put(PathBuf::from("etc/shadow"))], Vec::new()).unwrap_err();
        assert!(matches!(err, StorageError::WriteDiff { .. }), "{err}");
        // And a symlink in the walk itself is written as a symlink, not followed.
        let out = write(&upper, &[Op::Put(PathBuf::from("etc"))], Vec::new()).unwrap();
        assert!(!out.windows(11).any(|w| w == b"host secret"));
        let mut a = tar::Archive::new(&out[..]);
        let e = a.entries().unwrap().next().unwrap().unwrap();
        assert_eq!(e.header().entry_type(), EntryType::Symlink);
    }
}
