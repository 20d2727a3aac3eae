//! `--stop-signal`: a name (`SIGTERM`, `TERM`, `term`, `SIGRTMIN+3`) or a number, checked
//! as Docker's daemon checks it (`signal.ParseSignal`).

use super::error::FlagError;

const NAMES: [&str; 31] = [
    "ABRT", "ALRM", "BUS", "CHLD", "CLD", "CONT", "FPE", "HUP", "ILL", "INT", "IO", "IOT", "KILL",
    "PIPE", "POLL", "PROF", "PWR", "QUIT", "SEGV", "STKFLT", "STOP", "SYS", "TERM", "TRAP", "TSTP",
    "TTIN", "TTOU", "URG", "USR1", "USR2", "VTALRM",
];
const MORE: [&str; 3] = ["WINCH", "XCPU", "XFSZ"];

/// Checks a stop signal; the value is stored as typed.
pub fn validate_signal(raw: &str) -> Result<(), FlagError> {
    let bad = || FlagError::daemon(format!("Invalid signal: {raw}"));
    if let Ok(n) = raw.parse::<i64>() {
        return if (1..=64).contains(&n) {
            Ok(())
        } else {
            Err(bad())
        };
    }
    let upper = raw.to_uppercase();
    let name = upper.strip_prefix("SIG").unwrap_or(&upper);
    if NAMES.contains(&name) || MORE.contains(&name) {
        return Ok(());
    }
    let rt = |base: &str, sign: i64| -> bool {
        name.strip_prefix(base).is_some_and(|rest| {
            rest.is_empty()
                || rest
                    .strip_prefix(if sign > 0 { '+' } else { '-' })
                    .and_then(|n| n.parse::<i64>().ok())
                    .is_some_and(|n| (1..=15).contains(&n))
        })
    };
    if rt("RTMIN", 1) || rt("RTMAX", -1) {
        return Ok(());
    }
    Err(bad())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signals() {
        for ok in [
            "SIGTERM",
            "TERM",
            "term",
            "SIGKILL",
            "9",
            "SIGRTMIN+3",
            "RTMAX-1",
            "SIGWINCH",
        ] {
            assert!(validate_signal(ok).is_ok(), "{ok}");
        }
        assert_eq!(
            validate_signal("SIGFOO").unwrap_err().to_string(),
            "Error response from daemon: Invalid signal: SIGFOO"
        );
        assert!(validate_signal("0").is_err());
    }
}
