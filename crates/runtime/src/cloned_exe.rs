//! CVE-2019-5736: a container process that execs `/proc/self/exe` while the runtime
//! is its image could reopen the runtime binary for writing once the runtime exits.
//! Commands that put processes into containers therefore run from a copy of the
//! binary that cannot be written: first choice, the binary bound read-only onto
//! itself in a private mount namespace of the runtime (no copy; as runc 1.2 does),
//! re-executed from there; fallback, a sealed memfd copy.

use std::ffi::{CStr, CString};
use std::fs::File;
use std::os::fd::AsFd;
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;

use nix::fcntl::{fcntl, FcntlArg, SealFlag};
use nix::sys::memfd::{memfd_create, MemFdCreateFlag};
use nix::sys::statvfs::{fstatvfs, FsFlags};

use crate::error::{Result, RuntimeError, SysContext};

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
    let c_exe =
        CString::new(exe.as_os_str().as_bytes()).ctx(|| format!("path {}", exe.display()))?;
    bind_read_only_before_exec(&c_exe).ctx(|| {
        format!(
            "bind {} read-only onto itself in a mount namespace of its own",
            exe.display()
        )
    })?;
    let f = File::open(&exe).ctx(|| format!("open {}", exe.display()))?;
    let (argv, envp) = argv_envp();
    Err(RuntimeError::sys(
        "re-exec from the read-only bind",
        crate::sys::exec_fd(f.as_fd(), &argv, &envp),
    ))
}

/// The read-only view: a new mount namespace, slave of the one it came from, with
/// `exe` (a canonical path) bound read-only onto itself, so that an exec of `exe` from
/// there runs protected ([`is_protected`] is true). Used by [`reexec_read_only`], and
/// by [`protected_command`] in a child between fork and exec, which then need not
/// re-execute itself.
///
/// Async-signal-safe: raw syscalls on a string made before the fork, no allocation.
/// A failure leaves the child unprotected (it then protects itself after its exec,
/// through [`ensure_protected`]); the mounts it may have made stay in its own namespace.
pub fn bind_read_only_before_exec(exe: &CStr) -> std::io::Result<()> {
    let none = std::ptr::null::<libc::c_char>();
    // SAFETY: unshare(2) with a flag constant; no memory is passed.
    if unsafe { libc::unshare(libc::CLONE_NEWNS) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    let steps: [(*const libc::c_char, *const libc::c_char, libc::c_ulong); 3] = [
        (none, c"/".as_ptr(), libc::MS_SLAVE | libc::MS_REC),
        (exe.as_ptr(), exe.as_ptr(), libc::MS_BIND),
        (
            none,
            exe.as_ptr(),
            libc::MS_BIND | libc::MS_REMOUNT | libc::MS_RDONLY,
        ),
    ];
    for (source, target, flags) in steps {
        // SAFETY: `source` is null or `exe`, `target` is "/" or `exe`: NUL-terminated
        // strings alive for the call; fstype and data are null, as MS_BIND/MS_REMOUNT/
        // propagation changes allow.
        if unsafe { libc::mount(source, target, none, flags, std::ptr::null()) } != 0 {
            return Err(std::io::Error::last_os_error());
        }
    }
    Ok(())
}

/// A `Command` for `exe` whose child is already protected when `exe` starts: the
/// read-only bind is made between fork and exec ([`bind_read_only_before_exec`]), so a
/// child that calls [`ensure_protected`] finds nothing to do and skips its re-exec. The
/// program is `exe`'s canonical path (the one the bind covers and `/proc/self/exe` will
/// name); a bare name (a PATH search) gets a plain `Command`, the child protecting itself.
pub fn protected_command(exe: &std::path::Path) -> std::process::Command {
    use std::os::unix::process::CommandExt;
    let Some((path, c_path)) = protectable(exe) else {
        return std::process::Command::new(exe);
    };
    let mut cmd = std::process::Command::new(path);
    let hook = move || {
        // Not fatal: the child protects itself after the exec if this did not.
        let _ = bind_read_only_before_exec(&c_path);
        Ok(())
    };
    // SAFETY: the hook runs between fork and exec, possibly in a child of a
    // multi-threaded process: it makes only unshare(2) and mount(2) calls, which are
    // async-signal-safe, on a string built before the fork; it neither allocates nor
    // takes locks.
    unsafe {
        cmd.pre_exec(hook);
    }
    cmd
}

/// The canonical path of `exe` (the one a bind covers and `/proc/self/exe` will name),
/// also as a C string for [`bind_read_only_before_exec`]; `None` for a bare name (a
/// PATH search) or a path that does not resolve.
pub fn protectable(exe: &std::path::Path) -> Option<(std::path::PathBuf, CString)> {
    if exe.components().count() < 2 {
        return None;
    }
    let path = std::fs::canonicalize(exe).ok()?;
    let c = CString::new(path.as_os_str().as_bytes()).ok()?;
    Some((path, c))
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
