//! Applying an unpacked layer (overlay format: whiteout devices, opaque xattrs) on top of a
//! full copy, for the vfs snapshotter. Both trees are berth's own directories; the walk never
//! follows a symlink (every decision uses `symlink_metadata`, and a symlink in the way of a
//! directory is replaced, as overlayfs would show it).

use std::collections::HashMap;
use std::fs;
use std::io;
use std::os::unix::fs::{FileTypeExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use rustix::fs::{FileType, Mode, CWD};

use crate::error::{io_err, Result};
use crate::fsutil;
use crate::whiteout::OVERLAY_XATTR_PREFIX;

/// Applies layer `src` onto `dst`.
pub(crate) fn apply_layer(src: &Path, dst: &Path) -> Result<()> {
    let mut links = HashMap::new();
    apply_dir(src, dst, &mut links)?;
    copy_meta(
        src,
        dst,
        &fs::symlink_metadata(src).map_err(io_err("stat", src))?,
    )
}

fn apply_dir(src: &Path, dst: &Path, links: &mut HashMap<(u64, u64), PathBuf>) -> Result<()> {
    for name in fsutil::sorted_names(src).map_err(io_err("read directory", src))? {
        let s = src.join(&name);
        let d = dst.join(&name);
        let md = fs::symlink_metadata(&s).map_err(io_err("stat", &s))?;
        let existing = fs::symlink_metadata(&d).ok();
        if fsutil::is_whiteout(&md) {
            if let Some(e) = existing {
                remove(&d, e.is_dir())?;
            }
            continue;
        }
        if md.is_dir() {
            let opaque = fsutil::is_opaque(&s).map_err(io_err("read xattrs of", &s))?;
            match existing {
                Some(e) if e.is_dir() && !opaque => {}
                Some(e) => {
                    remove(&d, e.is_dir())?;
                    fs::create_dir(&d).map_err(io_err("create directory", &d))?;
                }
                None => fs::create_dir(&d).map_err(io_err("create directory", &d))?,
            }
            apply_dir(&s, &d, links)?;
            copy_meta(&s, &d, &md)?;
            continue;
        }
        if let Some(e) = existing {
            remove(&d, e.is_dir())?;
        }
        if md.nlink() > 1 {
            if let Some(first) = links.get(&(md.dev(), md.ino())) {
                fs::hard_link(first, &d).map_err(io_err("hard link", &d))?;
                continue;
            }
            links.insert((md.dev(), md.ino()), d.clone());
        }
        copy_node(&s, &d, &md)?;
        copy_meta(&s, &d, &md)?;
    }
    Ok(())
}

pub(crate) fn copy_node(s: &Path, d: &Path, md: &fs::Metadata) -> Result<()> {
    let ft = md.file_type();
    if ft.is_file() {
        let mut from = fs::File::open(s).map_err(io_err("open", s))?;
        let mut to = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .custom_flags(rustix::fs::OFlags::NOFOLLOW.bits() as i32)
            .mode(0o600)
            .open(d)
            .map_err(io_err("create", d))?;
        io::copy(&mut from, &mut to).map_err(io_err("copy data to", d))?;
    } else if ft.is_symlink() {
        let t = fs::read_link(s).map_err(io_err("read link", s))?;
        std::os::unix::fs::symlink(t, d).map_err(io_err("create symlink", d))?;
    } else {
        let kind = if ft.is_char_device() {
            FileType::CharacterDevice
        } else if ft.is_block_device() {
            FileType::BlockDevice
        } else if ft.is_fifo() {
            FileType::Fifo
        } else {
            // Sockets are not content; skip them as docker cp does.
            return Ok(());
        };
        rustix::fs::mknodat(CWD, d, kind, Mode::from_raw_mode(0o600), md.rdev())
            .map_err(|e| io_err("create device node", d)(e.into()))?;
    }
    Ok(())
}

/// Owner, mode, xattrs (minus overlay's own) and times of `s` onto `d`.
pub(crate) fn copy_meta(s: &Path, d: &Path, md: &fs::Metadata) -> Result<()> {
    let symlink = md.file_type().is_symlink();
    std::os::unix::fs::lchown(d, Some(md.uid()), Some(md.gid())).map_err(io_err("chown", d))?;
    if !symlink {
        fs::set_permissions(
            d,
            std::os::unix::fs::PermissionsExt::from_mode(md.mode() & 0o7777),
        )
        .map_err(io_err("chmod", d))?;
    }
    for (name, value) in fsutil::xattrs(s).map_err(io_err("read xattrs of", s))? {
        if name
            .as_encoded_bytes()
            .starts_with(OVERLAY_XATTR_PREFIX.as_bytes())
        {
            continue;
        }
        fsutil::set_xattr(d, &name, &value).map_err(io_err("set xattr on", d))?;
    }
    fsutil::set_times(
        d,
        (md.atime(), md.atime_nsec()),
        (md.mtime(), md.mtime_nsec()),
    )
    .map_err(io_err("set times of", d))
}

fn remove(p: &Path, is_dir: bool) -> Result<()> {
    if is_dir {
        fs::remove_dir_all(p)
    } else {
        fs::remove_file(p)
    }
    .map_err(io_err("remove", p))
}
