//! Test helper: run a closure in a forked child and return its exit code.
//!
//! The test harness is multithreaded, so the child only does what the code under test
//! needs (a few syscalls, glibc malloc — which glibc makes fork-safe), never takes locks
//! other threads may hold (no stdout, no test-harness state) and leaves with `_exit`.

use nix::sys::wait::{waitpid, WaitStatus};
use nix::unistd::{fork, ForkResult};

pub(crate) fn in_child(f: impl FnOnce() -> i32) -> i32 {
    // SAFETY: the child runs only `f` (which the callers keep to syscalls and plain
    // allocation) and then `_exit`, so it never touches state owned by the parent's other
    // threads and never returns into the test harness.
    match unsafe { fork() } {
        Ok(ForkResult::Child) => {
            let code = f();
            // SAFETY: `_exit` ends the child immediately without running atexit handlers or
            // destructors that could touch state copied from the multithreaded parent.
            unsafe { libc::_exit(code) }
        }
        Ok(ForkResult::Parent { child }) => match waitpid(child, None) {
            Ok(WaitStatus::Exited(_, code)) => code,
            other => panic!("test child did not exit normally: {other:?}"),
        },
        Err(e) => panic!("fork failed: {e}"),
    }
}
