//! The foreground side of `run` and `exec`: wait for the process, forward signals to
//! it, relay its pty to our terminal, and return its exit code as a shell would.

use std::os::fd::{AsFd, AsRawFd, OwnedFd};

use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use nix::sys::signal::{SigSet, SigmaskHow, Signal};
use nix::sys::signalfd::{SfdFlags, SignalFd};
use nix::sys::termios::{self, SetArg};
use nix::sys::wait::{waitpid, WaitPidFlag, WaitStatus};
use nix::unistd::Pid;

use crate::error::{Result, SysContext};

/// Signals forwarded to the container process (all but those that stop or crash us).
fn forwarded() -> SigSet {
    let mut set = SigSet::all();
    for s in [
        Signal::SIGKILL,
        Signal::SIGSTOP,
        Signal::SIGSEGV,
        Signal::SIGBUS,
        Signal::SIGILL,
        Signal::SIGFPE,
        Signal::SIGTTIN,
        Signal::SIGTTOU,
        Signal::SIGTSTP,
    ] {
        set.remove(s);
    }
    set
}

/// Blocks the forwarded signals; call before the clone so none is lost.
/// Restores SIGPIPE's default action, so a command whose output goes to a closed pipe
/// (`berth ps | head -1`) ends quietly, as C and Go programs do, instead of failing on
/// every later write.
pub fn default_sigpipe() -> Result<()> {
    crate::sys::default_sigpipe().ctx(|| "restore SIGPIPE")
}

pub fn block_signals() -> Result<()> {
    forwarded().thread_block().ctx(|| "block signals")
}

/// Puts our terminal in raw mode for the relay and restores it on drop.
struct RawMode {
    saved: Option<termios::Termios>,
}

impl RawMode {
    fn enter() -> RawMode {
        let stdin = std::io::stdin();
        let saved = termios::tcgetattr(stdin.as_fd()).ok();
        if let Some(t) = &saved {
            let mut raw = t.clone();
            termios::cfmakeraw(&mut raw);
            let _ = termios::tcsetattr(stdin.as_fd(), SetArg::TCSANOW, &raw);
        }
        RawMode { saved }
    }
}

impl Drop for RawMode {
    fn drop(&mut self) {
        if let Some(t) = &self.saved {
            let _ = termios::tcsetattr(std::io::stdin().as_fd(), SetArg::TCSANOW, t);
        }
    }
}

fn copy_winsize(master: &OwnedFd) {
    if let Ok((rows, cols)) = crate::sys::get_winsize(std::io::stdin().as_raw_fd()) {
        let _ = crate::sys::set_winsize(master.as_raw_fd(), rows, cols);
    }
}

/// Copies one chunk from `from` to our stdout; false at EOF or error.
fn pump(from: i32) -> bool {
    use std::io::Write;
    let mut buf = [0u8; 8192];
    match nix::unistd::read(from, &mut buf) {
        Ok(0) | Err(_) => false,
        Ok(n) => {
            let mut out = std::io::stdout().lock();
            out.write_all(&buf[..n]).is_ok() && out.flush().is_ok()
        }
    }
}

/// Reaps children; returns the exit code once `pid` has exited.
fn reap(pid: Pid) -> Result<Option<i32>> {
    loop {
        match waitpid(None, Some(WaitPidFlag::WNOHANG)) {
            Ok(WaitStatus::Exited(p, code)) if p == pid => return Ok(Some(code)),
            Ok(WaitStatus::Signaled(p, sig, _)) if p == pid => return Ok(Some(128 + sig as i32)),
            Ok(WaitStatus::StillAlive) | Err(nix::errno::Errno::ECHILD) => return Ok(None),
            Ok(_) | Err(nix::errno::Errno::EINTR) => continue,
            Err(e) => return Err(e).ctx(|| "waitpid"),
        }
    }
}

/// Waits for `pid` (our child), forwarding signals; with `master`, relays the pty.
/// Signals must have been blocked with [`block_signals`] before the clone.
pub fn wait(pid: Pid, master: Option<OwnedFd>) -> Result<i32> {
    let sfd = SignalFd::with_flags(&forwarded(), SfdFlags::SFD_CLOEXEC).ctx(|| "signalfd")?;
    let _raw = master.as_ref().map(|_| RawMode::enter());
    if let Some(m) = &master {
        copy_winsize(m);
    }
    let mut stdin_open = master.is_some();
    let mut master_open = master.is_some();
    loop {
        if let Some(code) = reap(pid)? {
            // Drain what the process wrote before it exited.
            if let Some(m) = &master {
                let _ = nix::fcntl::fcntl(
                    m.as_raw_fd(),
                    nix::fcntl::FcntlArg::F_SETFL(nix::fcntl::OFlag::O_NONBLOCK),
                );
                while master_open && pump(m.as_raw_fd()) {}
            }
            let _ = nix::sys::signal::sigprocmask(
                SigmaskHow::SIG_SETMASK,
                Some(&SigSet::empty()),
                None,
            );
            return Ok(code);
        }
        let mut fds = vec![PollFd::new(sfd.as_fd(), PollFlags::POLLIN)];
        let stdin = std::io::stdin();
        if let Some(m) = &master {
            if master_open {
                fds.push(PollFd::new(m.as_fd(), PollFlags::POLLIN));
            }
            if stdin_open {
                fds.push(PollFd::new(stdin.as_fd(), PollFlags::POLLIN));
            }
        }
        match poll(&mut fds, PollTimeout::NONE) {
            Ok(_) | Err(nix::errno::Errno::EINTR) => {}
            Err(e) => return Err(e).ctx(|| "poll"),
        }
        let ready: Vec<bool> = fds
            .iter()
            .map(|f| f.revents().is_some_and(|r| !r.is_empty()))
            .collect();
        drop(fds);
        if ready[0] {
            if let Ok(Some(info)) = sfd.read_signal() {
                let sig = info.ssi_signo as i32;
                match Signal::try_from(sig) {
                    Ok(Signal::SIGCHLD) => {}
                    Ok(Signal::SIGWINCH) if master.is_some() => {
                        if let Some(m) = &master {
                            copy_winsize(m);
                        }
                    }
                    Ok(s) => {
                        let _ = nix::sys::signal::kill(pid, s);
                    }
                    Err(_) => {}
                }
            }
        }
        if let Some(m) = &master {
            let mut i = 1;
            if master_open {
                if ready[i] && !pump(m.as_raw_fd()) {
                    master_open = false;
                }
                i += 1;
            }
            if stdin_open && ready.get(i).copied().unwrap_or(false) {
                let mut buf = [0u8; 8192];
                match nix::unistd::read(0, &mut buf) {
                    Ok(0) | Err(_) => stdin_open = false,
                    Ok(n) => {
                        let _ = nix::unistd::write(m.as_fd(), &buf[..n]);
                    }
                }
            }
        }
    }
}
