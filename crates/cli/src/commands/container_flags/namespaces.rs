//! `--pid`, `--ipc`, `--uts`, `--userns`, `--cgroupns`: the namespace modes Docker
//! accepts, with its errors (the CLI's for pid, uts, userns and cgroupns; the daemon's
//! for ipc).

use super::error::FlagError;

fn container_ref(mode: &str) -> Option<bool> {
    mode.strip_prefix("container:").map(|name| !name.is_empty())
}

/// `""`, `host`, `container:NAME`.
pub fn validate_pid(mode: &str) -> Result<(), FlagError> {
    let ok = matches!(mode, "" | "host") || container_ref(mode) == Some(true);
    if ok {
        Ok(())
    } else {
        Err(FlagError::invalid("--pid: invalid PID mode"))
    }
}

/// `""`, `host`.
pub fn validate_uts(mode: &str) -> Result<(), FlagError> {
    if matches!(mode, "" | "host") {
        Ok(())
    } else {
        Err(FlagError::invalid("--uts: invalid UTS mode"))
    }
}

/// `""`, `host`.
pub fn validate_userns(mode: &str) -> Result<(), FlagError> {
    if mode.is_empty() || mode.split(':').next() == Some("host") {
        Ok(())
    } else {
        Err(FlagError::invalid("--userns: invalid USER mode"))
    }
}

/// `""`, `host`, `private`.
pub fn validate_cgroupns(mode: &str) -> Result<(), FlagError> {
    if matches!(mode, "" | "host" | "private") {
        Ok(())
    } else {
        Err(FlagError::invalid("--cgroupns: invalid CGROUP mode"))
    }
}

/// `""`, `none`, `private`, `shareable`, `host`, `container:NAME`.
pub fn validate_ipc(mode: &str) -> Result<(), FlagError> {
    let ok = matches!(mode, "" | "none" | "private" | "shareable" | "host")
        || container_ref(mode) == Some(true);
    if ok {
        Ok(())
    } else {
        Err(FlagError::daemon(format!("invalid IPC mode: {mode}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes() {
        assert!(validate_pid("").is_ok());
        assert!(validate_pid("host").is_ok());
        assert!(validate_pid("container:db").is_ok());
        assert_eq!(
            validate_pid("container:").unwrap_err().to_string(),
            "--pid: invalid PID mode"
        );
        assert_eq!(
            validate_pid("bogus").unwrap_err().to_string(),
            "--pid: invalid PID mode"
        );
        assert!(validate_uts("host").is_ok());
        assert_eq!(
            validate_uts("private").unwrap_err().to_string(),
            "--uts: invalid UTS mode"
        );
        assert!(validate_userns("host").is_ok());
        assert_eq!(
            validate_userns("x").unwrap_err().to_string(),
            "--userns: invalid USER mode"
        );
        assert!(validate_cgroupns("private").is_ok());
        assert!(validate_ipc("shareable").is_ok());
        assert_eq!(
            validate_ipc("bogus").unwrap_err().to_string(),
            "Error response from daemon: invalid IPC mode: bogus"
        );
    }
}
