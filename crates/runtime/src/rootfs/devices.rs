//! /dev: the default device nodes, the spec's devices and the standard symlinks.
//! In a user namespace mknod is not allowed, so the host's node is bound instead.

use std::os::fd::{AsFd, AsRawFd, BorrowedFd};
use std::path::Path;

use nix::mount::MsFlags;
use nix::sys::stat::{makedev, mknodat, Mode, SFlag};
use oci_spec::runtime::{LinuxDevice, LinuxDeviceBuilder, LinuxDeviceType};

use super::paths::{fd_path, open_or_create, Kind};
use crate::error::{Result, RuntimeError, SysContext};
use crate::sys::mount::Mounter;

/// The nodes every container gets (as runc's defaults): null, zero, full, random,
/// urandom, tty.
pub fn default_devices() -> Vec<LinuxDevice> {
    [
        ("/dev/null", 1, 3),
        ("/dev/zero", 1, 5),
        ("/dev/full", 1, 7),
        ("/dev/random", 1, 8),
        ("/dev/urandom", 1, 9),
        ("/dev/tty", 5, 0),
    ]
    .into_iter()
    .filter_map(|(p, maj, min)| {
        LinuxDeviceBuilder::default()
            .path(p)
            .typ(LinuxDeviceType::C)
            .major(maj)
            .minor(min)
            .file_mode(0o666u32)
            .uid(0u32)
            .gid(0u32)
            .build()
            .ok()
    })
    .collect()
}

/// Creates one device node at its path inside the rootfs.
pub fn create(
    sys: &dyn Mounter,
    root: BorrowedFd<'_>,
    dev: &LinuxDevice,
    in_userns: bool,
) -> Result<()> {
    let path = dev.path();
    if !path.starts_with("/dev") {
        return Err(RuntimeError::InvalidConfig {
            path: "config.json".into(),
            msg: format!("field linux.devices: {} is not under /dev", path.display()),
        });
    }
    if in_userns {
        let target = open_or_create(root, path, Kind::File)?;
        return sys
            .mount(
                Some(path.as_path()),
                &fd_path(&target),
                None::<&str>,
                MsFlags::MS_BIND,
                None::<&str>,
            )
            .ctx(|| format!("bind host device {} into the container", path.display()));
    }
    let parent_path = path.parent().unwrap_or(Path::new("/dev"));
    open_or_create(root, parent_path, Kind::Dir)?;
    // mknodat needs a real directory fd, not an O_PATH one.
    let dir = crate::sys::openat2_in_root(root, parent_path, libc::O_DIRECTORY | libc::O_RDONLY, 0)
        .ctx(|| format!("open {}", parent_path.display()))?;
    let name = path
        .file_name()
        .ok_or_else(|| RuntimeError::InvalidConfig {
            path: "config.json".into(),
            msg: format!("field linux.devices: bad path {}", path.display()),
        })?;
    let kind = match dev.typ() {
        LinuxDeviceType::C | LinuxDeviceType::U => SFlag::S_IFCHR,
        LinuxDeviceType::B => SFlag::S_IFBLK,
        LinuxDeviceType::P => SFlag::S_IFIFO,
        LinuxDeviceType::A => {
            return Err(RuntimeError::InvalidConfig {
                path: "config.json".into(),
                msg: format!(
                    "field linux.devices: type 'a' is not a node ({})",
                    path.display()
                ),
            })
        }
    };
    let mode = Mode::from_bits_truncate(dev.file_mode().unwrap_or(0o666));
    // Replace whatever the image has there (a stale node or file).
    let _ = nix::unistd::unlinkat(
        Some(dir.as_raw_fd()),
        name,
        nix::unistd::UnlinkatFlags::NoRemoveDir,
    );
    mknodat(
        Some(dir.as_raw_fd()),
        name,
        kind,
        mode,
        makedev(dev.major() as u64, dev.minor() as u64),
    )
    .ctx(|| format!("mknod {}", path.display()))?;
    // mknod applies the umask; set the exact mode and owner.
    nix::sys::stat::fchmodat(
        Some(dir.as_raw_fd()),
        name,
        mode,
        nix::sys::stat::FchmodatFlags::NoFollowSymlink,
    )
    .ctx(|| format!("chmod {}", path.display()))?;
    nix::unistd::fchownat(
        Some(dir.as_fd().as_raw_fd()),
        name,
        Some(nix::unistd::Uid::from_raw(dev.uid().unwrap_or(0))),
        Some(nix::unistd::Gid::from_raw(dev.gid().unwrap_or(0))),
        nix::fcntl::AtFlags::AT_SYMLINK_NOFOLLOW,
    )
    .ctx(|| format!("chown {}", path.display()))
}

/// /dev/fd, /dev/std{in,out,err}, /dev/core and /dev/ptmx → pts/ptmx.
pub fn symlinks(root: BorrowedFd<'_>, has_devpts: bool) -> Result<()> {
    let dev = open_or_create(root, Path::new("/dev"), Kind::Dir)?;
    let dir = fd_path(&dev);
    let mut links = vec![
        ("/proc/self/fd", "fd"),
        ("/proc/self/fd/0", "stdin"),
        ("/proc/self/fd/1", "stdout"),
        ("/proc/self/fd/2", "stderr"),
    ];
    if Path::new("/proc/kcore").exists() {
        links.push(("/proc/kcore", "core"));
    }
    for (target, name) in links {
        match std::os::unix::fs::symlink(target, dir.join(name)) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(e).ctx(|| format!("symlink /dev/{name}")),
        }
    }
    if has_devpts {
        let ptmx = dir.join("ptmx");
        match std::fs::remove_file(&ptmx) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e).ctx(|| "remove /dev/ptmx"),
        }
        std::os::unix::fs::symlink("pts/ptmx", &ptmx).ctx(|| "symlink /dev/ptmx")?;
    }
    Ok(())
}

/// Device cgroup rules every container gets after its own (as runc's AllowedDevices):
/// mknod of any node, the default nodes, the console, ptys, and the spec's devices.
pub fn default_cgroup_rules(
    spec_devices: &[LinuxDevice],
) -> Vec<oci_spec::runtime::LinuxDeviceCgroup> {
    use oci_spec::runtime::LinuxDeviceCgroupBuilder;
    let rule = |typ: LinuxDeviceType, major: Option<i64>, minor: Option<i64>, access: &str| {
        let mut b = LinuxDeviceCgroupBuilder::default()
            .allow(true)
            .typ(typ)
            .access(access);
        if let Some(m) = major {
            b = b.major(m);
        }
        if let Some(m) = minor {
            b = b.minor(m);
        }
        b.build().ok()
    };
    let c = LinuxDeviceType::C;
    let mut rules: Vec<_> = [
        rule(c, None, None, "m"),
        rule(LinuxDeviceType::B, None, None, "m"),
        rule(c, Some(1), Some(3), "rwm"),
        rule(c, Some(1), Some(8), "rwm"),
        rule(c, Some(1), Some(7), "rwm"),
        rule(c, Some(5), Some(0), "rwm"),
        rule(c, Some(1), Some(5), "rwm"),
        rule(c, Some(1), Some(9), "rwm"),
        rule(c, Some(5), Some(1), "rwm"),
        rule(c, Some(136), None, "rwm"),
        rule(c, Some(5), Some(2), "rwm"),
    ]
    .into_iter()
    .flatten()
    .collect();
    for d in spec_devices {
        rules.extend(rule(d.typ(), Some(d.major()), Some(d.minor()), "rwm"));
    }
    rules
}
