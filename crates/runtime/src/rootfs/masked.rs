//! `maskedPaths`, `readonlyPaths` and the read-only root, applied after pivot_root.

use std::path::Path;

use nix::mount::MsFlags;

use super::mount::remount_bind;
use super::paths::{fd_path, open_existing};
use crate::error::{Result, SysContext};
use crate::sys::mount::Mounter;

const NONE: Option<&str> = None;

/// Hides a path: an empty read-only tmpfs over a directory, /dev/null over a file.
pub fn mask(sys: &dyn Mounter, root: std::os::fd::BorrowedFd<'_>, path: &Path) -> Result<()> {
    let Some(fd) = open_existing(root, path)? else {
        return Ok(());
    };
    let target = fd_path(&fd);
    let is_dir = std::fs::metadata(&target)
        .map(|m| m.is_dir())
        .unwrap_or(false);
    if is_dir {
        sys.mount(
            Some(Path::new("tmpfs")),
            &target,
            Some("tmpfs"),
            MsFlags::MS_RDONLY,
            Some("size=0k"),
        )
        .ctx(|| format!("mask {} with an empty tmpfs", path.display()))
    } else {
        sys.mount(
            Some(Path::new("/dev/null")),
            &target,
            NONE,
            MsFlags::MS_BIND,
            NONE,
        )
        .ctx(|| format!("mask {} with /dev/null", path.display()))
    }
}

/// Makes a path read-only with a recursive bind onto itself and a read-only remount.
pub fn read_only(sys: &dyn Mounter, root: std::os::fd::BorrowedFd<'_>, path: &Path) -> Result<()> {
    let Some(fd) = open_existing(root, path)? else {
        return Ok(());
    };
    let target = fd_path(&fd);
    sys.mount(
        Some(target.as_path()),
        &target,
        NONE,
        MsFlags::MS_BIND | MsFlags::MS_REC,
        NONE,
    )
    .ctx(|| format!("bind {} onto itself", path.display()))?;
    remount_bind(
        sys,
        root,
        path,
        MsFlags::MS_RDONLY | MsFlags::MS_REC,
        MsFlags::empty(),
    )
}
