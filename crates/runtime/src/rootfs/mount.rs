//! One spec mount, performed on an fd opened inside the rootfs.

use std::os::fd::{AsFd, BorrowedFd};
use std::path::{Path, PathBuf};

use nix::mount::MsFlags;
use nix::sys::statvfs::{fstatvfs, FsFlags};
use oci_spec::runtime::Mount;

use super::options::MountOptions;
use super::paths::{fd_path, open_existing, open_or_create, Kind};
use crate::error::{Result, RuntimeError, SysContext};
use crate::sys::mount::Mounter;

const NONE: Option<&str> = None;
const NO_PATH: Option<&Path> = None;

/// What mounting needs to know about the container beyond the mount itself.
pub struct MountCtx<'a> {
    pub sys: &'a dyn Mounter,
    pub root: BorrowedFd<'a>,
    pub in_userns: bool,
    pub new_cgroupns: bool,
    /// (name under /sys/fs/cgroup, host dir of the container's cgroup).
    pub cgroup_sources: &'a [(String, PathBuf)],
}

/// Flags the kernel keeps locked on a mount (in a user namespace they cannot be
/// dropped by a remount, so they must be repeated), read from the mount itself.
fn locked_flags(fd: BorrowedFd<'_>) -> Result<MsFlags> {
    let st = fstatvfs(fd).ctx(|| "statvfs of a mount")?;
    let f = st.flags();
    let mut out = MsFlags::empty();
    for (s, m) in [
        (FsFlags::ST_NOSUID, MsFlags::MS_NOSUID),
        (FsFlags::ST_NODEV, MsFlags::MS_NODEV),
        (FsFlags::ST_NOEXEC, MsFlags::MS_NOEXEC),
        (FsFlags::ST_NOATIME, MsFlags::MS_NOATIME),
        (FsFlags::ST_NODIRATIME, MsFlags::MS_NODIRATIME),
        (FsFlags::ST_RELATIME, MsFlags::MS_RELATIME),
        (FsFlags::ST_RDONLY, MsFlags::MS_RDONLY),
    ] {
        if f.contains(s) {
            out |= m;
        }
    }
    Ok(out)
}

/// Remounts the bind mount now at `dest` with `flags`, keeping locked flags.
pub fn remount_bind(
    sys: &dyn Mounter,
    root: BorrowedFd<'_>,
    dest: &Path,
    flags: MsFlags,
    cleared: MsFlags,
) -> Result<()> {
    let fd = open_existing(root, dest)?.ok_or_else(|| {
        RuntimeError::sys(
            format!("remount {}", dest.display()),
            std::io::Error::from_raw_os_error(libc::ENOENT),
        )
    })?;
    let keep = locked_flags(fd.as_fd())? & !cleared;
    sys.mount(
        NO_PATH,
        &fd_path(&fd),
        NONE,
        MsFlags::MS_BIND | MsFlags::MS_REMOUNT | flags | keep,
        NONE,
    )
    .ctx(|| format!("remount {} with {flags:?}", dest.display()))
}

fn set_propagation(
    sys: &dyn Mounter,
    root: BorrowedFd<'_>,
    dest: &Path,
    props: &[MsFlags],
) -> Result<()> {
    if props.is_empty() {
        return Ok(());
    }
    let fd = open_existing(root, dest)?.ok_or_else(|| {
        RuntimeError::sys(
            format!("open {}", dest.display()),
            std::io::Error::from_raw_os_error(libc::ENOENT),
        )
    })?;
    for p in props {
        sys.mount(NO_PATH, &fd_path(&fd), NONE, *p, NONE)
            .ctx(|| format!("set propagation {p:?} on {}", dest.display()))?;
    }
    Ok(())
}

/// Mounts one entry of config.json `mounts`.
pub fn mount_one(ctx: &MountCtx<'_>, m: &Mount) -> Result<()> {
    let opts = MountOptions::parse(m.options().as_deref().unwrap_or_default());
    let typ = m.typ().as_deref().unwrap_or("");
    let dest = m.destination();
    let is_bind = opts.is_bind() || typ == "bind";
    if !is_bind && (typ == "cgroup" || typ == "cgroup2") {
        return mount_cgroup(ctx, dest, &opts, typ == "cgroup2");
    }
    if is_bind {
        let source = m
            .source()
            .as_ref()
            .ok_or_else(|| RuntimeError::InvalidConfig {
                path: "config.json".into(),
                msg: format!(
                    "field mounts: bind mount on {} has no source",
                    dest.display()
                ),
            })?;
        let meta = std::fs::metadata(source).map_err(|e| RuntimeError::InvalidConfig {
            path: "config.json".into(),
            msg: format!(
                "field mounts: bind source {} for {}: {e}",
                source.display(),
                dest.display()
            ),
        })?;
        let kind = if meta.is_dir() { Kind::Dir } else { Kind::File };
        let target = open_or_create(ctx.root, dest, kind)?;
        ctx.sys
            .mount(
                Some(source.as_path()),
                &fd_path(&target),
                NONE,
                MsFlags::MS_BIND | (opts.flags & MsFlags::MS_REC),
                NONE,
            )
            .ctx(|| format!("bind mount {} on {}", source.display(), dest.display()))?;
        let rest = opts.flags & !(MsFlags::MS_BIND | MsFlags::MS_REC | MsFlags::MS_REMOUNT);
        if !rest.is_empty() {
            remount_bind(ctx.sys, ctx.root, dest, rest, opts.cleared)?;
        }
    } else {
        let target = open_or_create(ctx.root, dest, Kind::Dir)?;
        let source = m.source().clone().unwrap_or_else(|| PathBuf::from(typ));
        let data = (!opts.data.is_empty()).then_some(opts.data.as_str());
        let res = ctx.sys.mount(
            Some(source.as_path()),
            &fd_path(&target),
            Some(typ),
            opts.flags,
            data,
        );
        match res {
            Ok(()) => {}
            // Without its own network namespace a user namespace may not mount sysfs,
            // nor mqueue without its own IPC namespace: bind the host's, as runc does.
            Err(nix::errno::Errno::EPERM)
                if ctx.in_userns && (typ == "sysfs" || typ == "mqueue") =>
            {
                let host = if typ == "sysfs" {
                    "/sys"
                } else {
                    "/dev/mqueue"
                };
                ctx.sys
                    .mount(
                        Some(Path::new(host)),
                        &fd_path(&target),
                        NONE,
                        MsFlags::MS_BIND | MsFlags::MS_REC,
                        NONE,
                    )
                    .ctx(|| format!("bind {host} on {}", dest.display()))?;
                let rest = opts.flags & !MsFlags::MS_REMOUNT;
                if !rest.is_empty() {
                    remount_bind(ctx.sys, ctx.root, dest, rest, opts.cleared)?;
                }
            }
            Err(e) => {
                return Err(e).ctx(|| {
                    format!(
                        "mount {typ} ({}) on {} with options {:?}",
                        source.display(),
                        dest.display(),
                        m.options()
                    )
                })
            }
        }
    }
    set_propagation(ctx.sys, ctx.root, dest, &opts.propagation)
}

/// `type: cgroup`: the container's own cgroups at the destination. With a cgroup
/// namespace they are mounted fresh (the namespace root shows as `/`); without, the
/// host directories of the container's cgroups are bound in.
fn mount_cgroup(ctx: &MountCtx<'_>, dest: &Path, opts: &MountOptions, v2: bool) -> Result<()> {
    let flags = opts.flags & !(MsFlags::MS_BIND | MsFlags::MS_REC | MsFlags::MS_REMOUNT);
    let unified_only = v2 || ctx.cgroup_sources.iter().all(|(n, _)| n.is_empty());
    if unified_only {
        let target = open_or_create(ctx.root, dest, Kind::Dir)?;
        return mount_cgroup_dir(
            ctx,
            &fd_path(&target),
            "",
            ctx.cgroup_sources.first().map(|(_, p)| p.as_path()),
            flags,
            dest,
        );
    }
    let target = open_or_create(ctx.root, dest, Kind::Dir)?;
    ctx.sys
        .mount(
            Some(Path::new("tmpfs")),
            &fd_path(&target),
            Some("tmpfs"),
            (flags & !MsFlags::MS_RDONLY)
                | MsFlags::MS_NOSUID
                | MsFlags::MS_NODEV
                | MsFlags::MS_NOEXEC,
            Some("mode=755"),
        )
        .ctx(|| format!("mount tmpfs for cgroups on {}", dest.display()))?;
    for (name, host_dir) in ctx.cgroup_sources {
        let sub = dest.join(name);
        let fd = open_or_create(ctx.root, &sub, Kind::Dir)?;
        mount_cgroup_dir(ctx, &fd_path(&fd), name, Some(host_dir), flags, &sub)?;
        // Co-mounted controllers ("cpu,cpuacct") get one link per controller.
        if name.contains(',') {
            let dir = open_existing(ctx.root, dest)?.ok_or_else(|| {
                RuntimeError::sys(
                    format!("open {}", dest.display()),
                    std::io::Error::from_raw_os_error(libc::ENOENT),
                )
            })?;
            for part in name.split(',') {
                let link = fd_path(&dir).join(part);
                match std::os::unix::fs::symlink(name, &link) {
                    Ok(()) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                    Err(e) => return Err(e).ctx(|| format!("symlink {}/{part}", dest.display())),
                }
            }
        }
    }
    if flags.contains(MsFlags::MS_RDONLY) {
        remount_bind_like_tmpfs(ctx.sys, ctx.root, dest, flags)?;
    }
    Ok(())
}

fn remount_bind_like_tmpfs(
    sys: &dyn Mounter,
    root: BorrowedFd<'_>,
    dest: &Path,
    flags: MsFlags,
) -> Result<()> {
    let fd = open_existing(root, dest)?.ok_or_else(|| {
        RuntimeError::sys(
            format!("open {}", dest.display()),
            std::io::Error::from_raw_os_error(libc::ENOENT),
        )
    })?;
    sys.mount(
        NO_PATH,
        &fd_path(&fd),
        NONE,
        MsFlags::MS_REMOUNT | flags | MsFlags::MS_NOSUID | MsFlags::MS_NODEV | MsFlags::MS_NOEXEC,
        Some("mode=755"),
    )
    .ctx(|| format!("remount {} read-only", dest.display()))
}

fn mount_cgroup_dir(
    ctx: &MountCtx<'_>,
    target: &Path,
    name: &str,
    host_dir: Option<&Path>,
    flags: MsFlags,
    shown: &Path,
) -> Result<()> {
    let flags = flags | MsFlags::MS_NOSUID | MsFlags::MS_NODEV | MsFlags::MS_NOEXEC;
    let v2 = name.is_empty() || name == "unified";
    if ctx.new_cgroupns {
        let (fstype, data) = if v2 {
            ("cgroup2", None)
        } else {
            ("cgroup", Some(name))
        };
        return ctx
            .sys
            .mount(Some(Path::new(fstype)), target, Some(fstype), flags, data)
            .ctx(|| format!("mount {fstype} {name} on {}", shown.display()));
    }
    let Some(host_dir) = host_dir else {
        return Ok(());
    };
    ctx.sys
        .mount(
            Some(host_dir),
            target,
            NONE,
            MsFlags::MS_BIND | MsFlags::MS_REC,
            NONE,
        )
        .ctx(|| format!("bind cgroup {} on {}", host_dir.display(), shown.display()))?;
    remount_bind(ctx.sys, ctx.root, shown, flags, MsFlags::empty())
}
