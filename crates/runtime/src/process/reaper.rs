//! berth's built-in minimal init (`docker run --init`, annotation [`ANNOTATION`]): the
//! container's PID 1 forks the program and stays behind as its parent, forwarding every
//! signal to it and reaping every orphan, then exits with the program's status (a signal
//! N as 128+N), as tini does. Nothing is bind-mounted into the container: PID 1 is this
//! runtime's own (read-only, see `cloned_exe`) image, so no static init binary is needed.

use nix::sys::signal::{kill, SigSet, Signal};
use nix::sys::wait::{waitpid, WaitPidFlag, WaitStatus};
use nix::unistd::Pid;

use crate::error::{Result, SysContext};
use crate::sys::CloneResult;

/// The annotation that asks for the init.
pub const ANNOTATION: &str = "dev.berth.init";

/// Forks. Returns in the child (which goes on to exec the program); the parent becomes
/// the init and never returns.
pub fn become_init() -> Result<()> {
    let all = SigSet::all();
    all.thread_block().ctx(|| "block signals for the init")?;
    match crate::sys::clone3(0, None).ctx(|| "fork the program under the init")? {
        CloneResult::Child => {
            all.thread_unblock().ctx(|| "unblock signals")?;
            Ok(())
        }
        CloneResult::Parent(child) => {
            // Hold nothing of the runtime's: the sync channel and the exec fifo must see
            // EOF when the program execs, not when the init exits.
            let _ = crate::sys::close_from(3);
            std::process::exit(reap(child, &all))
        }
    }
}

fn reap(child: Pid, all: &SigSet) -> i32 {
    loop {
        let sig = match all.wait() {
            Ok(s) => s,
            Err(_) => continue,
        };
        if sig != Signal::SIGCHLD {
            let _ = kill(child, sig);
            continue;
        }
        loop {
            match waitpid(None, Some(WaitPidFlag::WNOHANG)) {
                Ok(WaitStatus::Exited(pid, code)) if pid == child => return code,
                Ok(WaitStatus::Signaled(pid, s, _)) if pid == child => return 128 + s as i32,
                Ok(WaitStatus::StillAlive) | Err(_) => break,
                Ok(_) => continue,
            }
        }
    }
}
