//! The only `unsafe` of the crate: fork, fds inherited by number, the pty size, and
//! signal dispositions. Each wrapper is tiny and states why it is sound.

use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::process::CommandExt;
use std::process::Command;

use nix::unistd::ForkResult;

/// fork(2) of the monitor.
///
/// Callers: only the monitor process (`berth-monitor`), which never starts a thread,
/// so the child is a full copy of a single-threaded process and may run Rust code.
pub fn fork() -> nix::Result<ForkResult> {
    // SAFETY: berth-monitor is single-threaded from main to exit (no thread is ever
    // spawned in this crate, the runtime crate spawns none either), so no lock can
    // be held by another thread at the time of the fork.
    unsafe { nix::unistd::fork() }
}

/// Takes ownership of an fd whose number we were given (argv of berth-monitor).
/// Fails unless `fd` is open; the caller must not use the number otherwise.
pub fn adopt(fd: RawFd) -> nix::Result<OwnedFd> {
    nix::fcntl::fcntl(fd, nix::fcntl::FcntlArg::F_GETFD)?;
    // SAFETY: the fd is open (F_GETFD succeeded) and was passed to this process to own:
    // its number comes from our argv and nothing else in the process refers to it.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// Lets `fds` survive the exec of `cmd` (they keep their numbers).
pub fn inherit_fds(cmd: &mut Command, fds: Vec<RawFd>) {
    let hook = move || {
        for &fd in &fds {
            nix::fcntl::fcntl(
                fd,
                nix::fcntl::FcntlArg::F_SETFD(nix::fcntl::FdFlag::empty()),
            )?;
        }
        Ok(())
    };
    // SAFETY: the hook runs between fork and exec, possibly in a child of a
    // multi-threaded process: it only calls fcntl(2), which is async-signal-safe, and
    // neither allocates nor takes locks (the Vec was built before the fork).
    unsafe {
        cmd.pre_exec(hook);
    }
}

/// TIOCSWINSZ on a pty master.
pub fn set_winsize(fd: BorrowedFd<'_>, rows: u16, cols: u16) -> std::io::Result<()> {
    let ws = libc::winsize {
        ws_row: rows,
        ws_col: cols,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: `fd` is a live borrowed fd; TIOCSWINSZ reads one `winsize`, which `ws`
    // is, alive for the duration of the call.
    let r = unsafe {
        libc::ioctl(
            fd.as_raw_fd(),
            libc::TIOCSWINSZ,
            &ws as *const libc::winsize,
        )
    };
    if r < 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}

/// Ignores SIGPIPE (a client gone mid-write is an EPIPE, not our death) and SIGHUP
/// (the session we left may hang up).
pub fn ignore_pipe_and_hup() -> nix::Result<()> {
    use nix::sys::signal::{signal, SigHandler, Signal};
    for s in [Signal::SIGPIPE, Signal::SIGHUP] {
        // SAFETY: SIG_IGN installs no handler code, so no async-signal-safety
        // requirement arises; the process is single-threaded.
        unsafe { signal(s, SigHandler::SigIgn) }?;
    }
    Ok(())
}

/// Restores default dispositions in a child that execs (SIG_IGN survives exec).
pub fn default_pipe_and_hup() {
    use nix::sys::signal::{signal, SigHandler, Signal};
    for s in [Signal::SIGPIPE, Signal::SIGHUP] {
        // SAFETY: SIG_DFL installs no handler code; called in a single-threaded child.
        let _ = unsafe { signal(s, SigHandler::SigDfl) };
    }
}
