//! Short-lived children of the monitor. The heavy work (parsing the bundle, creating
//! the container, joining it for a healthcheck, deleting it) runs in a fork, so the
//! pages it touches are the child's and never count in the monitor's memory.

use std::ffi::CStr;

use nix::sys::signal::{SigSet, SigmaskHow};
use nix::sys::wait::{waitpid, WaitStatus};
use nix::unistd::{ForkResult, Pid};

use crate::error::{Context, Result};

/// Forks; the child resets what the monitor changed for itself (blocked signals,
/// ignored SIGPIPE/SIGHUP, oom_score_adj -1000), names itself, runs `f` and exits with
/// its code. Returns the child's pid.
pub fn fork(name: &CStr, f: impl FnOnce() -> i32) -> Result<Pid> {
    match crate::sys::fork().what(|| "fork a helper of the monitor")? {
        ForkResult::Parent { child } => Ok(child),
        ForkResult::Child => {
            let _ = nix::sys::signal::sigprocmask(
                SigmaskHow::SIG_SETMASK,
                Some(&SigSet::empty()),
                None,
            );
            crate::sys::default_pipe_and_hup();
            let _ = std::fs::write("/proc/self/oom_score_adj", "0");
            let _ = nix::sys::prctl::set_name(name);
            // Never unwind back into the monitor's loop from a child.
            let code = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).unwrap_or(101);
            std::process::exit(code)
        }
    }
}

/// The exit code of a finished process, as a shell reports it (128+N for signal N).
pub fn exit_code(ws: WaitStatus) -> Option<(Pid, i32)> {
    match ws {
        WaitStatus::Exited(pid, code) => Some((pid, code)),
        WaitStatus::Signaled(pid, sig, _) => Some((pid, 128 + sig as i32)),
        _ => None,
    }
}

/// Waits for one helper (blocking).
pub fn wait(pid: Pid) -> Result<i32> {
    loop {
        match waitpid(pid, None) {
            Ok(ws) => {
                if let Some((_, code)) = exit_code(ws) {
                    return Ok(code);
                }
            }
            Err(nix::errno::Errno::EINTR) => {}
            Err(e) => return Err(e).what(|| format!("wait for helper {pid}")),
        }
    }
}
