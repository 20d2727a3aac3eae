//! The container's root filesystem: propagation, the spec's mounts in order, /dev,
//! pivot_root, then masked and read-only paths. Every destination is opened inside
//! the rootfs (see `paths`), so symlinks in an image cannot point a mount at the host.

pub mod devices;
mod masked;
mod mount;
pub mod options;
pub mod paths;
mod pivot;
pub mod snapshot;

use std::fs::File;
use std::os::fd::AsFd;
use std::path::{Path, PathBuf};

use nix::mount::MsFlags;
use oci_spec::runtime::Spec;

use crate::error::{Result, RuntimeError, SysContext};
use crate::sys::mount::Mounter;

const NONE: Option<&str> = None;
const NO_PATH: Option<&Path> = None;

/// What the rootfs steps need besides the spec.
pub struct RootfsCtx<'a> {
    pub sys: &'a dyn Mounter,
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
    ctx.sys
        .mount(NO_PATH, Path::new("/"), NONE, prop, NONE)
        .ctx(|| format!("set propagation {prop:?} on /"))?;
    if prop.contains(MsFlags::MS_SHARED) {
        // pivot_root refuses a new root whose parent mount is shared.
        if let Some(parent) = ctx.rootfs.parent().and_then(mount_point_of) {
            ctx.sys
                .mount(NO_PATH, &parent, NONE, MsFlags::MS_PRIVATE, NONE)
                .ctx(|| format!("make {} private", parent.display()))?;
        }
    }
    if let Some(m) = snapshot::from_annotations(ctx.spec.annotations().as_ref())? {
        snapshot::mount(ctx.sys, &m, ctx.rootfs)?;
    }
    ctx.sys
        .mount(
            Some(ctx.rootfs),
            ctx.rootfs,
            NONE,
            MsFlags::MS_BIND | MsFlags::MS_REC,
            NONE,
        )
        .ctx(|| format!("bind rootfs {} onto itself", ctx.rootfs.display()))?;
    let root = File::open(ctx.rootfs).ctx(|| format!("open rootfs {}", ctx.rootfs.display()))?;
    let mctx = mount::MountCtx {
        sys: ctx.sys,
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
            devices::create(ctx.sys, root.as_fd(), &d, ctx.in_userns)?;
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
        devices::create(ctx.sys, root.as_fd(), d, ctx.in_userns)?;
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
pub fn finalize(sys: &dyn Mounter, spec: &Spec) -> Result<()> {
    let root = File::open("/").ctx(|| "open / after pivot_root")?;
    if let Some(linux) = spec.linux() {
        for p in linux.readonly_paths().iter().flatten() {
            masked::read_only(sys, root.as_fd(), Path::new(p))?;
        }
        for p in linux.masked_paths().iter().flatten() {
            masked::mask(sys, root.as_fd(), Path::new(p))?;
        }
    }
    if spec
        .root()
        .as_ref()
        .is_some_and(|r| r.readonly() == Some(true))
    {
        mount::remount_bind(
            sys,
            root.as_fd(),
            Path::new("/"),
            MsFlags::MS_RDONLY,
            MsFlags::empty(),
        )?;
    }
    let configured = propagation(spec)?;
    if configured.intersects(MsFlags::MS_SHARED | MsFlags::MS_UNBINDABLE) {
        sys.mount(NO_PATH, Path::new("/"), NONE, configured, NONE)
            .ctx(|| format!("set propagation {configured:?} on /"))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    //! The mount sequence, checked with the recording double: no privileges needed.

    use oci_spec::runtime::{Mount, MountBuilder};

    use super::*;
    use crate::sys::mount::Recorder;

    fn m(dest: &str, typ: &str, source: &str, options: &[&str]) -> Mount {
        MountBuilder::default()
            .destination(dest)
            .typ(typ)
            .source(source)
            .options(options.iter().map(|s| s.to_string()).collect::<Vec<_>>())
            .build()
            .unwrap()
    }

    fn run(rec: &Recorder, root: &Path, mounts: &[Mount]) -> Result<()> {
        let rootfd = File::open(root).unwrap();
        let ctx = mount::MountCtx {
            sys: rec,
            root: rootfd.as_fd(),
            in_userns: false,
            new_cgroupns: false,
            cgroup_sources: &[],
        };
        for mt in mounts {
            mount::mount_one(&ctx, mt)?;
        }
        Ok(())
    }

    #[test]
    fn tmpfs_bind_ro_and_propagation_in_order() {
        let root = tempfile::tempdir().unwrap();
        let host = tempfile::tempdir().unwrap();
        let rec = Recorder::default();
        run(
            &rec,
            root.path(),
            &[
                m(
                    "/dev",
                    "tmpfs",
                    "tmpfs",
                    &["nosuid", "strictatime", "mode=755", "size=65536k"],
                ),
                m(
                    "/data",
                    "bind",
                    host.path().to_str().unwrap(),
                    &["rbind", "ro", "nosuid", "rslave"],
                ),
            ],
        )
        .unwrap();
        let calls = rec.calls.borrow();
        assert_eq!(calls.len(), 4, "{calls:#?}");
        assert_eq!(calls[0].target, root.path().join("dev"));
        assert_eq!(calls[0].fstype.as_deref(), Some("tmpfs"));
        assert_eq!(calls[0].flags, MsFlags::MS_NOSUID | MsFlags::MS_STRICTATIME);
        assert_eq!(calls[0].data.as_deref(), Some("mode=755,size=65536k"));
        // A read-only bind is a bind, then a remount that adds the flags.
        assert_eq!(calls[1].source.as_deref(), host.path().to_str());
        assert_eq!(calls[1].target, root.path().join("data"));
        assert_eq!(calls[1].flags, MsFlags::MS_BIND | MsFlags::MS_REC);
        assert!(calls[2].flags.contains(
            MsFlags::MS_BIND | MsFlags::MS_REMOUNT | MsFlags::MS_RDONLY | MsFlags::MS_NOSUID
        ));
        assert_eq!(calls[3].flags, MsFlags::MS_SLAVE | MsFlags::MS_REC);
    }

    #[test]
    fn symlinked_destination_is_resolved_inside_the_root() {
        let root = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink(outside.path(), root.path().join("evil")).unwrap();
        let rec = Recorder::default();
        let _ = run(&rec, root.path(), &[m("/evil/x", "tmpfs", "tmpfs", &[])]);
        for c in rec.calls.borrow().iter() {
            assert!(
                c.target.starts_with(root.path()),
                "mount target {} escaped the root",
                c.target.display()
            );
        }
        assert!(std::fs::read_dir(outside.path()).unwrap().next().is_none());
    }

    #[test]
    fn masked_paths_and_a_failing_mount_names_the_destination() {
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(root.path().join("proc/acpi")).unwrap();
        std::fs::write(root.path().join("proc/kcore"), "").unwrap();
        let rootfd = File::open(root.path()).unwrap();
        let rec = Recorder::default();
        masked::mask(&rec, rootfd.as_fd(), Path::new("/proc/acpi")).unwrap();
        masked::mask(&rec, rootfd.as_fd(), Path::new("/proc/kcore")).unwrap();
        masked::mask(&rec, rootfd.as_fd(), Path::new("/proc/missing")).unwrap();
        let calls = rec.calls.borrow().clone();
        assert_eq!(calls.len(), 2);
        assert_eq!(
            (calls[0].fstype.as_deref(), calls[0].flags),
            (Some("tmpfs"), MsFlags::MS_RDONLY)
        );
        assert_eq!(calls[1].source.as_deref(), Some("/dev/null"));
        assert_eq!(calls[1].target, root.path().join("proc/kcore"));

        let failing = Recorder {
            fail_at: Some(0),
            ..Default::default()
        };
        let err = run(
            &failing,
            root.path(),
            &[m("/sys", "sysfs", "sysfs", &["ro"])],
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("/sys") && err.contains("sysfs"), "{err}");
    }
}
