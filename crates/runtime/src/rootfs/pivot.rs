//! Making the rootfs the process's `/`: pivot_root, or MS_MOVE + chroot where
//! pivot_root is impossible (a rootfs on the initramfs, or `--no-pivot`).

use std::path::Path;

use nix::fcntl::{open, OFlag};
use nix::mount::{mount, umount2, MntFlags, MsFlags};
use nix::sys::stat::Mode;
use nix::unistd::{chdir, chroot, fchdir, pivot_root};

use crate::error::{Result, SysContext};

const NONE: Option<&str> = None;

/// pivot_root(".", ".") as runc does: the old root ends up stacked on the new one and
/// is detached at once, after being made a slave so the unmount cannot reach the host.
pub fn pivot(rootfs: &Path) -> Result<()> {
    let old_root = open(
        "/",
        OFlag::O_DIRECTORY | OFlag::O_RDONLY | OFlag::O_CLOEXEC,
        Mode::empty(),
    )
    .ctx(|| "open / before pivot_root")?;
    let new_root = open(
        rootfs,
        OFlag::O_DIRECTORY | OFlag::O_RDONLY | OFlag::O_CLOEXEC,
        Mode::empty(),
    )
    .ctx(|| format!("open rootfs {}", rootfs.display()))?;
    let res = (|| {
        fchdir(new_root).ctx(|| "chdir to the rootfs")?;
        pivot_root(".", ".").ctx(|| format!("pivot_root to {}", rootfs.display()))?;
        fchdir(old_root).ctx(|| "chdir to the old root")?;
        mount(NONE, ".", NONE, MsFlags::MS_SLAVE | MsFlags::MS_REC, NONE)
            .ctx(|| "make the old root a slave")?;
        umount2(".", MntFlags::MNT_DETACH).ctx(|| "detach the old root")?;
        chdir("/").ctx(|| "chdir /")
    })();
    let _ = nix::unistd::close(old_root);
    let _ = nix::unistd::close(new_root);
    res
}

/// The fallback: move the rootfs mount over `/` and chroot into it.
pub fn move_root(rootfs: &Path) -> Result<()> {
    chdir(rootfs).ctx(|| format!("chdir to rootfs {}", rootfs.display()))?;
    mount(Some("."), "/", NONE, MsFlags::MS_MOVE, NONE).ctx(|| "move the rootfs mount to /")?;
    chroot(".").ctx(|| "chroot into the rootfs")?;
    chdir("/").ctx(|| "chdir /")
}
