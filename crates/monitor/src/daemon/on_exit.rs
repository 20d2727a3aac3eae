//! The engine's exit command (`--rm` cleanup and the like), run once the container
//! is gone for good, in the monitor's — the host's — mount namespace.

use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;

/// Runs `argv` and waits for it; failures are logged, not fatal.
pub fn run(argv: &[String]) {
    let args: Vec<CString> = argv
        .iter()
        .filter_map(|a| CString::new(std::ffi::OsStr::new(a).as_bytes()).ok())
        .collect();
    if args.len() != argv.len() || args.is_empty() {
        eprintln!("berth-monitor: on_exit {argv:?}: empty or contains a NUL byte");
        return;
    }
    let child = super::helper::fork(c"berth:[on-exit]", || {
        let err = match nix::unistd::execvp(&args[0], &args) {
            Err(e) => e,
            Ok(never) => match never {},
        };
        eprintln!("berth-monitor: on_exit: exec {:?}: {err}", argv[0]);
        127
    });
    match child.and_then(super::helper::wait) {
        Ok(0) => {}
        Ok(code) => eprintln!("berth-monitor: on_exit {argv:?} exited with {code}"),
        Err(e) => eprintln!("berth-monitor: on_exit {argv:?}: {e}"),
    }
}
