use std::ffi::CString;
use std::io;
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};
use std::path::Path;

use nix::unistd::Pid;

/// `struct clone_args` of clone3(2), laid out as the kernel expects (all u64).
#[repr(C)]
#[derive(Default)]
struct CloneArgs {
    flags: u64,
    pidfd: u64,
    child_tid: u64,
    parent_tid: u64,
    exit_signal: u64,
    stack: u64,
    stack_size: u64,
    tls: u64,
    set_tid: u64,
    set_tid_size: u64,
    cgroup: u64,
}

pub enum CloneResult {
    Parent(Pid),
    Child,
}

/// Fork-like clone3: no new stack, SIGCHLD on exit, `flags` adds namespaces.
/// `cgroup` is a cgroup2 directory fd to start the child in (CLONE_INTO_CGROUP).
/// Falls back to clone(2) when clone3 is refused with ENOSYS (seccomp profiles do that)
/// and no cgroup fd was asked for.
///
/// The caller must be single-threaded: the child continues as a copy of this process.
pub fn clone3(flags: u64, cgroup: Option<BorrowedFd<'_>>) -> io::Result<CloneResult> {
    let mut args = CloneArgs {
        flags,
        exit_signal: libc::SIGCHLD as u64,
        ..Default::default()
    };
    if let Some(fd) = cgroup {
        args.flags |= 0x2_0000_0000; // CLONE_INTO_CGROUP
        args.cgroup = fd.as_raw_fd() as u64;
    }
    // SAFETY: `args` is a live, initialised clone_args whose size we pass; there is no
    // stack pointer, so the child runs on a copy of the parent's stack like fork(2).
    // The process is single-threaded (documented precondition), so the child holds no
    // lock another thread owned.
    let ret = unsafe {
        libc::syscall(
            libc::SYS_clone3,
            &args as *const CloneArgs,
            std::mem::size_of::<CloneArgs>(),
        )
    };
    if ret < 0 {
        let err = io::Error::last_os_error();
        if err.raw_os_error() == Some(libc::ENOSYS) && cgroup.is_none() && flags >> 32 == 0 {
            // SAFETY: raw clone with a null stack behaves as fork(2); same single-thread
            // precondition as above. Flags fit the 32-bit clone(2) argument (checked).
            let ret = unsafe {
                libc::syscall(
                    libc::SYS_clone,
                    (flags as libc::c_ulong) | libc::SIGCHLD as libc::c_ulong,
                    std::ptr::null_mut::<libc::c_void>(),
                    std::ptr::null_mut::<libc::c_int>(),
                    std::ptr::null_mut::<libc::c_int>(),
                    0 as libc::c_ulong,
                )
            };
            return match ret {
                r if r < 0 => Err(io::Error::last_os_error()),
                0 => Ok(CloneResult::Child),
                pid => Ok(CloneResult::Parent(Pid::from_raw(pid as i32))),
            };
        }
        return Err(err);
    }
    if ret == 0 {
        Ok(CloneResult::Child)
    } else {
        Ok(CloneResult::Parent(Pid::from_raw(ret as i32)))
    }
}

/// Closes every fd from `first` up (close_range(2)).
pub fn close_from(first: RawFd) -> io::Result<()> {
    // SAFETY: close_range only closes descriptors of this process; no memory is passed.
    // The caller owns no Rust object wrapping those fds that it will use afterwards.
    let ret = unsafe {
        libc::syscall(
            libc::SYS_close_range,
            first as libc::c_uint,
            libc::c_uint::MAX,
            0 as libc::c_uint,
        )
    };
    if ret == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// Marks every fd from `first` up as close-on-exec (close_range(2) with
/// CLOSE_RANGE_CLOEXEC), so nothing of the runtime's leaks into the container
/// (CVE-2024-21626) while the sync socket keeps working until execve.
pub fn close_range_cloexec(first: RawFd) -> io::Result<()> {
    // SAFETY: close_range only changes fd flags of this process; no memory is passed.
    let ret = unsafe {
        libc::syscall(
            libc::SYS_close_range,
            first as libc::c_uint,
            libc::c_uint::MAX,
            libc::CLOSE_RANGE_CLOEXEC,
        )
    };
    if ret == 0 {
        return Ok(());
    }
    let err = io::Error::last_os_error();
    match err.raw_os_error() {
        // A seccomp profile loaded before this point (no no_new_privs: it must be loaded
        // while privileged) may not allow close_range (runtime-tools' default profile
        // doesn't), and old kernels lack it: mark each open fd instead, as runc does.
        Some(libc::EPERM) | Some(libc::ENOSYS) | Some(libc::EINVAL) => cloexec_from_proc(first),
        _ => Err(err),
    }
}

/// Sets FD_CLOEXEC on every fd >= `first` listed in /proc/self/fd.
fn cloexec_from_proc(first: RawFd) -> io::Result<()> {
    let fds: Vec<RawFd> = std::fs::read_dir("/proc/self/fd")?
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
        .filter(|fd| *fd >= first)
        .collect();
    for fd in fds {
        // SAFETY: F_SETFD only changes the flags of `fd`; a stale entry (the directory's
        // own fd, already closed) fails with EBADF, which is ignored.
        let flags = unsafe { libc::fcntl(fd, libc::F_GETFD) };
        if flags >= 0 {
            // SAFETY: as above.
            unsafe { libc::fcntl(fd, libc::F_SETFD, flags | libc::FD_CLOEXEC) };
        }
    }
    Ok(())
}

/// Opens `path` beneath `root` with openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS):
/// symlinks (absolute or `..`) are resolved as if `root` were `/`, so the result can
/// never be outside it (CVE-2021-30465 class).
pub fn openat2_in_root(
    root: BorrowedFd<'_>,
    path: &Path,
    flags: i32,
    mode: u32,
) -> io::Result<OwnedFd> {
    use std::os::unix::ffi::OsStrExt;
    let cpath = CString::new(path.as_os_str().as_bytes())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "path contains a NUL byte"))?;
    // SAFETY: open_how is plain old data; all-zero is its documented empty value.
    let mut how: libc::open_how = unsafe { std::mem::zeroed() };
    how.flags = (flags | libc::O_CLOEXEC) as u64;
    how.mode = if flags & libc::O_CREAT != 0 {
        mode as u64
    } else {
        0
    };
    how.resolve = libc::RESOLVE_IN_ROOT | libc::RESOLVE_NO_MAGICLINKS;
    // SAFETY: `cpath` is a NUL-terminated string and `how` a live open_how, both valid
    // for the duration of the call; `root` is an open directory fd we borrow.
    let fd = unsafe {
        libc::syscall(
            libc::SYS_openat2,
            root.as_raw_fd(),
            cpath.as_ptr(),
            &how as *const libc::open_how,
            std::mem::size_of::<libc::open_how>(),
        )
    };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: the kernel returned a fresh fd that nothing else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(fd as RawFd) })
}

/// execveat(fd, "", argv, envp, AT_EMPTY_PATH): runs the program behind an open fd.
pub fn exec_fd(fd: BorrowedFd<'_>, argv: &[CString], envp: &[CString]) -> io::Error {
    let mut argv_p: Vec<*const libc::c_char> = argv.iter().map(|a| a.as_ptr()).collect();
    argv_p.push(std::ptr::null());
    let mut envp_p: Vec<*const libc::c_char> = envp.iter().map(|a| a.as_ptr()).collect();
    envp_p.push(std::ptr::null());
    let empty = c"";
    // SAFETY: argv_p/envp_p are NULL-terminated arrays of pointers into CStrings that
    // outlive the call; on success execveat does not return.
    unsafe {
        libc::syscall(
            libc::SYS_execveat,
            fd.as_raw_fd(),
            empty.as_ptr(),
            argv_p.as_ptr(),
            envp_p.as_ptr(),
            libc::AT_EMPTY_PATH,
        );
    }
    io::Error::last_os_error()
}

/// Makes this process the reaper of orphaned descendants (PR_SET_CHILD_SUBREAPER).
pub fn set_child_subreaper() -> io::Result<()> {
    // SAFETY: prctl with integer arguments only.
    let ret = unsafe { libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) };
    if ret < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// pidfd_open(2): a handle on a process that cannot be confused with a later process
/// reusing the same pid.
pub fn pidfd_open(pid: Pid) -> io::Result<OwnedFd> {
    // SAFETY: integer arguments only; a non-negative return is a fresh fd we own.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid.as_raw(), 0) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: the kernel returned a fresh fd that nothing else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(fd as RawFd) })
}

/// pidfd_send_signal(2): signals exactly the process behind `pidfd`.
pub fn pidfd_send_signal(pidfd: BorrowedFd<'_>, sig: i32) -> io::Result<()> {
    // SAFETY: integer arguments and a null siginfo, which the kernel accepts.
    let ret = unsafe {
        libc::syscall(
            libc::SYS_pidfd_send_signal,
            pidfd.as_raw_fd(),
            sig,
            std::ptr::null::<libc::siginfo_t>(),
            0,
        )
    };
    if ret < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Receives one fd sent with SCM_RIGHTS on a unix socket; the fd is close-on-exec.
pub fn recv_fd(sock: BorrowedFd<'_>) -> io::Result<OwnedFd> {
    use nix::sys::socket::{recvmsg, ControlMessageOwned, MsgFlags};
    let mut buf = [0u8; 4096];
    let mut iov = [std::io::IoSliceMut::new(&mut buf)];
    let mut space = nix::cmsg_space!([RawFd; 1]);
    let msg = recvmsg::<()>(
        sock.as_raw_fd(),
        &mut iov,
        Some(&mut space),
        MsgFlags::MSG_CMSG_CLOEXEC,
    )?;
    for c in msg.cmsgs()? {
        if let ControlMessageOwned::ScmRights(fds) = c {
            let mut owned = fds.into_iter().map(|fd| {
                // SAFETY: SCM_RIGHTS installed these fds in our table during recvmsg;
                // nothing else refers to them, so each is owned exactly once here.
                unsafe { OwnedFd::from_raw_fd(fd) }
            });
            if let Some(fd) = owned.next() {
                return Ok(fd);
            }
        }
    }
    Err(io::Error::new(
        io::ErrorKind::InvalidData,
        "no file descriptor in the message",
    ))
}

nix::ioctl_write_ptr_bad!(tiocswinsz, libc::TIOCSWINSZ, nix::pty::Winsize);
nix::ioctl_write_int_bad!(tiocsctty, libc::TIOCSCTTY);
nix::ioctl_read_bad!(tiocgwinsz, libc::TIOCGWINSZ, nix::pty::Winsize);

/// Sets a terminal's size (TIOCSWINSZ).
pub fn set_winsize(fd: RawFd, rows: u16, cols: u16) -> nix::Result<()> {
    let ws = nix::pty::Winsize {
        ws_row: rows,
        ws_col: cols,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: `ws` is a live Winsize for the duration of the ioctl; a bad fd is an error.
    unsafe { tiocswinsz(fd, &ws) }.map(drop)
}

/// Reads a terminal's size (TIOCGWINSZ) as (rows, cols).
pub fn get_winsize(fd: RawFd) -> nix::Result<(u16, u16)> {
    let mut ws = nix::pty::Winsize {
        ws_row: 0,
        ws_col: 0,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: `ws` is a live, writable Winsize for the duration of the ioctl.
    unsafe { tiocgwinsz(fd, &mut ws) }?;
    Ok((ws.ws_row, ws.ws_col))
}

/// Makes `fd` (a tty) the controlling terminal of this session leader (TIOCSCTTY).
pub fn set_controlling_tty(fd: RawFd) -> nix::Result<()> {
    // SAFETY: TIOCSCTTY takes an integer argument; no memory is passed.
    unsafe { tiocsctty(fd, 0) }.map(drop)
}

/// Takes ownership of an fd that nix returned as a bare `RawFd` from open/openat.
/// Callers pass the return value of such a call directly, so no other owner exists.
pub fn adopt(fd: RawFd) -> OwnedFd {
    // SAFETY: per this function's contract `fd` was just returned by open(2)/openat(2)
    // in this thread and has not been stored or closed elsewhere.
    unsafe { OwnedFd::from_raw_fd(fd) }
}

/// Puts SIGPIPE back to its default action (Rust's start-up code ignores it).
pub fn default_sigpipe() -> io::Result<()> {
    // SAFETY: SIG_DFL installs no handler code, so no async-signal-safety question arises;
    // sigaction is called with a fully initialised, zeroed struct.
    let ret = unsafe {
        let mut sa: libc::sigaction = std::mem::zeroed();
        sa.sa_sigaction = libc::SIG_DFL;
        libc::sigaction(libc::SIGPIPE, &sa, std::ptr::null_mut())
    };
    if ret == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// seccomp(SECCOMP_SET_MODE_FILTER, flags, prog): installs a classic-BPF filter made
/// of `program` (`struct sock_filter` entries) on the calling thread (all threads with
/// SECCOMP_FILTER_FLAG_TSYNC). Returns the syscall's non-negative result: with TSYNC,
/// a positive value is the id of a thread that could not be synchronised.
pub fn seccomp_set_mode_filter(
    flags: libc::c_ulong,
    program: &[libc::sock_filter],
) -> io::Result<i64> {
    let len =
        u16::try_from(program.len()).map_err(|_| io::Error::from_raw_os_error(libc::EINVAL))?;
    let prog = libc::sock_fprog {
        len,
        // The kernel copies the program and never writes through this pointer.
        filter: program.as_ptr().cast_mut(),
    };
    // SAFETY: `prog` points at `len` valid sock_filter entries that outlive the call;
    // the kernel copies them before returning.
    let ret = unsafe {
        libc::syscall(
            libc::SYS_seccomp,
            libc::SECCOMP_SET_MODE_FILTER,
            flags,
            &prog as *const libc::sock_fprog,
        )
    };
    if ret < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(ret)
}
