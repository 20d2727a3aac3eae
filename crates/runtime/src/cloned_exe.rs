//! CVE-2019-5736: a container process that execs `/proc/self/exe` while the runtime
//! is its image could reopen the runtime binary for writing once the runtime exits.
//! Commands that put processes into containers therefore run from a sealed memfd
//! copy of the binary: writes to it fail, and the host file is never the image of a
//! process inside a container.

use std::ffi::CString;
use std::fs::File;
use std::os::fd::AsFd;
use std::os::unix::ffi::OsStrExt;

use nix::fcntl::{fcntl, FcntlArg, SealFlag};
use nix::sys::memfd::{memfd_create, MemFdCreateFlag};

use crate::error::{Result, SysContext};

fn seals() -> SealFlag {
    SealFlag::F_SEAL_SEAL | SealFlag::F_SEAL_SHRINK | SealFlag::F_SEAL_GROW | SealFlag::F_SEAL_WRITE
}

/// Whether this process already runs from a sealed copy.
pub fn is_cloned() -> bool {
    let Ok(f) = File::open("/proc/self/exe") else {
        return false;
    };
    match fcntl(std::os::fd::AsRawFd::as_raw_fd(&f), FcntlArg::F_GET_SEALS) {
        Ok(s) => SealFlag::from_bits_truncate(s).contains(seals()),
        Err(_) => false,
    }
}

/// Re-executes this program from a sealed memfd copy unless it already runs from one.
/// Returns only on failure, or when already cloned.
pub fn ensure_cloned() -> Result<()> {
    if is_cloned() {
        return Ok(());
    }
    let mut src = File::open("/proc/self/exe").ctx(|| "open /proc/self/exe")?;
    let fd = memfd_create(c"berth-runtime", MemFdCreateFlag::MFD_CLOEXEC | MemFdCreateFlag::MFD_ALLOW_SEALING)
        .ctx(|| "memfd_create")?;
    let mut dst = File::from(fd);
    std::io::copy(&mut src, &mut dst).ctx(|| "copy the runtime binary into a memfd")?;
    fcntl(std::os::fd::AsRawFd::as_raw_fd(&dst), FcntlArg::F_ADD_SEALS(seals())).ctx(|| "seal the memfd")?;
    let argv: Vec<CString> = std::env::args_os()
        .filter_map(|a| CString::new(a.as_bytes()).ok())
        .collect();
    let envp: Vec<CString> = std::env::vars_os()
        .filter_map(|(k, v)| {
            let mut kv = k.as_bytes().to_vec();
            kv.push(b'=');
            kv.extend_from_slice(v.as_bytes());
            CString::new(kv).ok()
        })
        .collect();
    let err = crate::sys::exec_fd(dst.as_fd(), &argv, &envp);
    Err(crate::error::RuntimeError::sys("re-exec from the sealed memfd", err))
}
