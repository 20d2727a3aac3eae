//! The container's root filesystem: propagation, the spec's mounts in order, /dev,
//! pivot_root, then masked and read-only paths. Every destination is opened inside
//! the rootfs (see `paths`), so symlinks in an image cannot point a mount at the host.

pub mod devices;
mod masked;
mod mount;
pub mod options;
pub mod paths;
mod pivot;

use std::fs::File;
use std::os::fd::AsFd;
use std::path::{Path, PathBuf};

use nix::mount::{mount as sys_mount, MsFlags};
use oci_spec::runtime::Spec;

use crate::error::{Result, RuntimeError, SysContext};

const NONE: Option<&str> = None;

/// What the rootfs steps need besides the spec.
pub struct RootfsCtx<'a> {
    pub spec: &'a Spec,
    pub rootfs: &'a Path,
    pub in_userns: bool,
    pub new_cgroupns: bool,
    pub cgroup_sources: &'a [(String, PathBuf)],
}

fn propagation(spec: &Spec) -> Result<MsFlags> {
    let value = spec
        .linux()
        .as_ref()
        .and_then(|l| l.rootfs_propagation().clone());
    Ok(match value.as_deref() {
        None | Some("") => MsFlags::MS_SLAVE | MsFlags::MS_REC,
        Some("shared") => MsFlags::MS_SHARED,
        Some("rshared") => MsFlags::MS_SHARED | MsFlags::MS_REC,
        Some("slave") => MsFlags::MS_SLAVE,
        Some("rslave") => MsFlags::MS_SLAVE | MsFlags::MS_REC,
        Some("private") => MsFlags::MS_PRIVATE,
        Some("rprivate") => MsFlags::MS_PRIVATE | MsFlags::MS_REC,
        Some("unbindable") => MsFlags::MS_UNBINDABLE,
        Some("runbindable") => MsFlags::MS_UNBINDABLE | MsFlags::MS_REC,
        Some(other) => {
            return Err(RuntimeError::InvalidConfig {
                path: "config.json".into(),
                msg: format!("field linux.rootfsPropagation: unknown value {other:?}"),
            })
        }
    })
}

/// The mount point (from /proc/self/mountinfo) that contains `path`.
fn mount_point_of(path: &Path) -> Option<PathBuf> {
    let info = std::fs::read_to_string("/proc/self/mountinfo").ok()?;
    info.lines()
        .filter_map(|l| l.split(' ').nth(4).map(PathBuf::from))
        .filter(|mp| path.starts_with(mp))
        .max_by_key(|mp| mp.as_os_str().len())
}

/// Steps before the hooks: propagation, the rootfs bind, the spec's mounts and /dev.
pub fn prepare(ctx: &RootfsCtx<'_>) -> Result<()> {
    let configured = propagation(ctx.spec)?;
    // An unbindable `/` would refuse the rootfs bind below: it is applied after pivot.
    let prop = if configured.contains(MsFlags::MS_UNBINDABLE) {
        MsFlags::MS_SLAVE | MsFlags::MS_REC
    } else {
        configured
    };
    sys_mount(NONE, "/", NONE, prop, NONE).ctx(|| format!("set propagation {prop:?} on /"))?;
    if prop.contains(MsFlags::MS_SHARED) {
        // pivot_root refuses a new root whose parent mount is shared.
        if let Some(parent) = ctx.rootfs.parent().and_then(mount_point_of) {
            sys_mount(NONE, &parent, NONE, MsFlags::MS_PRIVATE, NONE)
                .ctx(|| format!("make {} private", parent.display()))?;
        }
    }
    sys_mount(
        Some(ctx.rootfs),
        ctx.rootfs,
        NONE,
        MsFlags::MS_BIND | MsFlags::MS_REC,
        NONE,
    )
    .ctx(|| format!("bind rootfs {} onto itself", ctx.rootfs.display()))?;
    let root = File::open(ctx.rootfs).ctx(|| format!("open rootfs {}", ctx.rootfs.display()))?;
    let mctx = mount::MountCtx {
        root: root.as_fd(),
        in_userns: ctx.in_userns,
        new_cgroupns: ctx.new_cgroupns,
        cgroup_sources: ctx.cgroup_sources,
    };
    let mounts = ctx.spec.mounts().as_deref().unwrap_or_default();
    for m in mounts {
        mount::mount_one(&mctx, m)?;
    }
    let dev_is_bound = mounts.iter().any(|m| {
        m.destination() == Path::new("/dev")
            && (m.typ().as_deref() == Some("bind")
                || m.options()
                    .iter()
                    .flatten()
                    .any(|o| o == "bind" || o == "rbind"))
    });
    if !dev_is_bound {
        for d in devices::default_devices() {
            devices::create(root.as_fd(), &d, ctx.in_userns)?;
        }
        let has_devpts = mounts
            .iter()
            .any(|m| m.destination() == Path::new("/dev/pts"));
        devices::symlinks(root.as_fd(), has_devpts)?;
    }
    for d in ctx
        .spec
        .linux()
        .iter()
        .flat_map(|l| l.devices().iter().flatten())
    {
        devices::create(root.as_fd(), d, ctx.in_userns)?;
    }
    Ok(())
}

/// Makes the rootfs `/`.
pub fn enter(rootfs: &Path, no_pivot: bool) -> Result<()> {
    if no_pivot {
        return pivot::move_root(rootfs);
    }
    match pivot::pivot(rootfs) {
        Err(RuntimeError::Sys { ref source, .. })
            if source.raw_os_error() == Some(libc::EINVAL) =>
        {
            // pivot_root is impossible when / is the initramfs (rootfs): fall back.
            tracing::warn!("pivot_root is not possible here; falling back to MS_MOVE and chroot");
            pivot::move_root(rootfs)
        }
        r => r,
    }
}

/// Enters the rootfs with chroot only (a mount namespace shared with the runtime).
pub fn chroot_into(rootfs: &Path) -> Result<()> {
    nix::unistd::chroot(rootfs).ctx(|| format!("chroot to {}", rootfs.display()))?;
    nix::unistd::chdir("/").ctx(|| "chdir /")
}

/// Steps after pivot_root: read-only and masked paths, then the read-only root.
/// Sysctls are written by the caller before this (readonlyPaths covers /proc/sys).
pub fn finalize(spec: &Spec) -> Result<()> {
    let root = File::open("/").ctx(|| "open / after pivot_root")?;
    if let Some(linux) = spec.linux() {
        for p in linux.readonly_paths().iter().flatten() {
            masked::read_only(root.as_fd(), Path::new(p))?;
        }
        for p in linux.masked_paths().iter().flatten() {
            masked::mask(root.as_fd(), Path::new(p))?;
        }
    }
    if spec
        .root()
        .as_ref()
        .is_some_and(|r| r.readonly() == Some(true))
    {
        mount::remount_bind(
            root.as_fd(),
            Path::new("/"),
            MsFlags::MS_RDONLY,
            MsFlags::empty(),
        )?;
    }
    let configured = propagation(spec)?;
    if configured.intersects(MsFlags::MS_SHARED | MsFlags::MS_UNBINDABLE) {
        sys_mount(NONE, "/", NONE, configured, NONE)
            .ctx(|| format!("set propagation {configured:?} on /"))?;
    }
    Ok(())
}
