//! The only `unsafe` of the crate: fork (of the monitor, and of a program started
//! without waiting for its exec), fds inherited by number, the pty size, and signal
//! dispositions. Each wrapper is tiny and states why it is sound.

use std::ffi::{CString, OsStr, OsString};
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::ffi::OsStrExt;

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

/// A program for [`spawn_nowait`]: everything its child needs is made here, before the
/// fork, because the child may not allocate.
pub struct NoWaitExec {
    path: CString,
    _strings: Vec<CString>,
    argv: Vec<*const libc::c_char>,
    envp: Vec<*const libc::c_char>,
    keep: Vec<RawFd>,
    null: OwnedFd,
}

impl NoWaitExec {
    /// `path` (absolute, canonical) run with `args` after it, this process's environment
    /// plus `env`, stdio on /dev/null, and the fds `keep` inherited under their numbers
    /// (none of them 0, 1 or 2, which /dev/null takes).
    pub fn new(
        path: CString,
        args: &[OsString],
        env: &[(OsString, OsString)],
        keep: Vec<RawFd>,
    ) -> std::io::Result<Self> {
        let invalid = |what: &str| std::io::Error::new(std::io::ErrorKind::InvalidInput, what);
        if keep.iter().any(|fd| *fd < 3) {
            return Err(invalid("an inherited fd among 0, 1 and 2"));
        }
        let c = |b: &[u8]| CString::new(b).map_err(|_| invalid("a NUL byte in an argument"));
        let mut argv = vec![path.clone()];
        for a in args {
            argv.push(c(a.as_bytes())?);
        }
        let mut envp = Vec::new();
        let pair = |k: &OsStr, v: &OsStr| c(&[k.as_bytes(), b"=", v.as_bytes()].concat());
        for (k, v) in std::env::vars_os() {
            if !env.iter().any(|(ek, _)| *ek == k) {
                envp.push(pair(&k, &v)?);
            }
        }
        for (k, v) in env {
            envp.push(pair(k, v)?);
        }
        let null = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open("/dev/null")?;
        let ptrs = |v: &[CString]| {
            let mut p: Vec<_> = v.iter().map(|s| s.as_ptr()).collect();
            p.push(std::ptr::null());
            p
        };
        let (argv_ptrs, envp_ptrs) = (ptrs(&argv), ptrs(&envp));
        argv.extend(envp);
        Ok(Self {
            path,
            _strings: argv,
            argv: argv_ptrs,
            envp: envp_ptrs,
            keep,
            null: null.into(),
        })
    }
}

/// Starts `e` and returns its pid without waiting for its exec, which
/// `Command::spawn` does (about a millisecond here, with the bind below): the
/// caller's own work overlaps the child's start. The child makes the program's
/// read-only bind (CVE-2019-5736, as `runtime::cloned_exe::protected_command`), puts
/// /dev/null on stdio, clears close-on-exec on the kept fds, unblocks all signals and
/// execs; an exec that fails is its exit status 127.
pub fn spawn_nowait(e: &NoWaitExec) -> std::io::Result<nix::unistd::Pid> {
    // SAFETY: the child runs only `exec_child`, which makes async-signal-safe
    // syscalls on memory made before the fork and never returns, so it is sound even
    // if this process has other threads (whose locks it never takes).
    match unsafe { libc::fork() } {
        -1 => Err(std::io::Error::last_os_error()),
        0 => exec_child(e),
        pid => Ok(nix::unistd::Pid::from_raw(pid)),
    }
}

fn exec_child(e: &NoWaitExec) -> ! {
    // Not fatal: the monitor protects itself after its exec if this did not.
    let _ = runtime::cloned_exe::bind_read_only_before_exec(&e.path);
    // SAFETY: sigemptyset/sigprocmask, dup2, fcntl, execve and _exit are
    // async-signal-safe; the set is on this stack, the fds are open (/dev/null, and
    // the caller's fds, alive in the parent at the fork), `path`, `argv` and `envp`
    // are NUL-terminated strings and NULL-terminated arrays of them made before the
    // fork and owned by `e`.
    unsafe {
        let mut none: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut none);
        libc::sigprocmask(libc::SIG_SETMASK, &none, std::ptr::null_mut());
        for fd in 0..3 {
            libc::dup2(e.null.as_raw_fd(), fd);
        }
        for &fd in &e.keep {
            libc::fcntl(fd, libc::F_SETFD, 0);
        }
        libc::execve(e.path.as_ptr(), e.argv.as_ptr(), e.envp.as_ptr());
        libc::_exit(127)
    }
}

/// Takes ownership of an fd whose number we were given (argv of berth-monitor).
/// Fails unless `fd` is open; the caller must not use the number otherwise.
pub fn adopt(fd: RawFd) -> nix::Result<OwnedFd> {
    nix::fcntl::fcntl(fd, nix::fcntl::FcntlArg::F_GETFD)?;
    // SAFETY: the fd is open (F_GETFD succeeded) and was passed to this process to own:
    // its number comes from our argv and nothing else in the process refers to it.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
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
