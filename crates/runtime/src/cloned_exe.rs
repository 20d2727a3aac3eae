//! CVE-2019-5736: a container process that execs `/proc/self/exe` while the runtime
//! is its image could reopen the runtime binary for writing once the runtime exits.
//! Commands that put processes into containers therefore run from a copy of the
//! binary that cannot be written: first choice, the binary bound read-only onto
//! itself in a private mount namespace of the runtime (no copy; as runc 1.2 does),
//! re-executed from there; fallback, a sealed memfd copy.

use std::ffi::CString;
use std::fs::File;
use std::os::fd::AsFd;
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;

use nix::fcntl::{fcntl, FcntlArg, SealFlag};
use nix::mount::{mount, MsFlags};
use nix::sys::memfd::{memfd_create, MemFdCreateFlag};
use nix::sys::statvfs::{fstatvfs, FsFlags};

use crate::error::{Result, RuntimeError, SysContext};

const NONE: Option<&str> = None;

fn seals() -> SealFlag {
    SealFlag::F_SEAL_SEAL | SealFlag::F_SEAL_SHRINK | SealFlag::F_SEAL_GROW | SealFlag::F_SEAL_WRITE
}

/// Whether this process runs from an image that cannot be written: a read-only mount
/// or a sealed memfd.
pub fn is_protected() -> bool {
    let Ok(f) = File::open("/proc/self/exe") else {
        return false;
    };
    if fstatvfs(&f).is_ok_and(|s| s.flags().contains(FsFlags::ST_RDONLY)) {
        return true;
    }
    match fcntl(std::os::fd::AsRawFd::as_raw_fd(&f), FcntlArg::F_GET_SEALS) {
        Ok(s) => SealFlag::from_bits_truncate(s).contains(seals()),
        Err(_) => false,
    }
}

fn argv_envp() -> (Vec<CString>, Vec<CString>) {
    let argv = std::env::args_os()
        .filter_map(|a| CString::new(a.as_bytes()).ok())
        .collect();
    let envp = std::env::vars_os()
        .filter_map(|(k, v)| {
            let mut kv = k.as_bytes().to_vec();
            kv.push(b'=');
            kv.extend_from_slice(v.as_bytes());
            CString::new(kv).ok()
        })
        .collect();
    (argv, envp)
}

/// Binds the binary read-only onto itself in a new, private mount namespace of this
/// process and re-executes it. Mounts made here never reach the host: the namespace
/// is a slave of it and dies with the runtime and its container children.
fn reexec_read_only() -> Result<std::convert::Infallible> {
    let exe: PathBuf = std::fs::read_link("/proc/self/exe").ctx(|| "readlink /proc/self/exe")?;
    nix::sched::unshare(nix::sched::CloneFlags::CLONE_NEWNS)
        .ctx(|| "unshare a mount namespace for the runtime")?;
    mount(NONE, "/", NONE, MsFlags::MS_SLAVE | MsFlags::MS_REC, NONE)
        .ctx(|| "make the runtime's mounts slaves")?;
    mount(Some(&exe), &exe, NONE, MsFlags::MS_BIND, NONE)
        .ctx(|| format!("bind {} onto itself", exe.display()))?;
    mount(
        NONE,
        &exe,
        NONE,
        MsFlags::MS_BIND | MsFlags::MS_REMOUNT | MsFlags::MS_RDONLY,
        NONE,
    )
    .ctx(|| format!("remount {} read-only", exe.display()))?;
    let f = File::open(&exe).ctx(|| format!("open {}", exe.display()))?;
    let (argv, envp) = argv_envp();
    Err(RuntimeError::sys(
        "re-exec from the read-only bind",
        crate::sys::exec_fd(f.as_fd(), &argv, &envp),
    ))
}

/// Re-executes from a sealed memfd copy of the binary.
fn reexec_memfd() -> Result<std::convert::Infallible> {
    let mut src = File::open("/proc/self/exe").ctx(|| "open /proc/self/exe")?;
    let fd = memfd_create(
        c"berth-runtime",
        MemFdCreateFlag::MFD_CLOEXEC | MemFdCreateFlag::MFD_ALLOW_SEALING,
    )
    .ctx(|| "memfd_create")?;
    let mut dst = File::from(fd);
    std::io::copy(&mut src, &mut dst).ctx(|| "copy the runtime binary into a memfd")?;
    fcntl(
        std::os::fd::AsRawFd::as_raw_fd(&dst),
        FcntlArg::F_ADD_SEALS(seals()),
    )
    .ctx(|| "seal the memfd")?;
    let (argv, envp) = argv_envp();
    Err(RuntimeError::sys(
        "re-exec from the sealed memfd",
        crate::sys::exec_fd(dst.as_fd(), &argv, &envp),
    ))
}

/// Makes sure this process runs from an unwritable image, re-executing if needed.
/// Returns only when already protected, or with the error of both ways.
pub fn ensure_protected() -> Result<()> {
    if is_protected() {
        return Ok(());
    }
    let first = match reexec_read_only() {
        Ok(never) => match never {},
        Err(e) => e,
    };
    tracing::debug!("read-only re-exec failed ({first}); copying into a sealed memfd");
    match reexec_memfd() {
        Ok(never) => match never {},
        Err(e) => Err(e),
    }
}
