//! Signals: names and numbers as runc accepts them, sent through a pidfd so a reused
//! pid is never signalled.

use nix::sys::signal::Signal;

use super::status::Loaded;
use crate::error::{Result, RuntimeError, SysContext};
use crate::state::Status;

/// "KILL", "SIGKILL", "9" → SIGKILL.
pub fn parse_signal(s: &str) -> Result<i32> {
    if let Ok(n) = s.parse::<i32>() {
        if (1..=64).contains(&n) {
            return Ok(n);
        }
    }
    let upper = s.to_ascii_uppercase();
    let name = if upper.starts_with("SIG") {
        upper
    } else {
        format!("SIG{upper}")
    };
    if let Some(rt) = name.strip_prefix("SIGRTMIN") {
        let off: i32 = if rt.is_empty() {
            0
        } else {
            rt.trim_start_matches('+').parse().unwrap_or(-1)
        };
        if off >= 0 && libc::SIGRTMIN() + off <= libc::SIGRTMAX() {
            return Ok(libc::SIGRTMIN() + off);
        }
    }
    name.parse::<Signal>()
        .map(|s| s as i32)
        .map_err(|_| RuntimeError::Unsupported(format!("unknown signal {s:?}")))
}

/// Sends `sig` to the container's process, or with `all` to every process in its cgroup.
pub fn kill(c: &Loaded, sig: i32, all: bool) -> Result<()> {
    if c.status == Status::Stopped {
        return Err(RuntimeError::WrongState {
            id: c.saved.id.clone(),
            status: "stopped".into(),
            what: "container not running".into(),
        });
    }
    if all {
        for pid in c.cgroup().pids()? {
            let _ =
                nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), Signal::try_from(sig).ok());
        }
        return Ok(());
    }
    let pidfd = crate::sys::pidfd_open(nix::unistd::Pid::from_raw(c.saved.pid))
        .ctx(|| format!("pidfd_open {}", c.saved.pid))?;
    // The pid could have been reused between the status check and pidfd_open.
    if !crate::state::is_alive(c.saved.pid, c.saved.pid_start) {
        return Err(c.wrong_state("container not running"));
    }
    crate::sys::pidfd_send_signal(std::os::fd::AsFd::as_fd(&pidfd), sig)
        .ctx(|| format!("send signal {sig} to {}", c.saved.pid))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_numbers() {
        assert_eq!(parse_signal("KILL").unwrap(), 9);
        assert_eq!(parse_signal("SIGTERM").unwrap(), 15);
        assert_eq!(parse_signal("9").unwrap(), 9);
        assert_eq!(parse_signal("hup").unwrap(), 1);
        assert!(parse_signal("NOPE").is_err());
        assert!(parse_signal("0").is_err());
    }
}
