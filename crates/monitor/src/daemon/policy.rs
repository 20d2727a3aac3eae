//! Docker's restart policy and its back-off (daemon/restartmanager in moby): the delay
//! starts at 100 ms, doubles at each restart, is capped at one minute, and starts over
//! when the container had run for at least 10 s.

use std::time::Duration;

use crate::config::Restart;

const FIRST: Duration = Duration::from_millis(100);
const MAX: Duration = Duration::from_secs(60);
const RESET_AFTER: Duration = Duration::from_secs(10);

/// Whether an exit with `code` is followed by a restart. `stopping`: the engine asked
/// for the container to stop (`<run_dir>/stopping` exists), which always wins.
pub fn should_restart(p: &Restart, code: i32, restarts_so_far: u32, stopping: bool) -> bool {
    if stopping {
        return false;
    }
    match p.name.as_str() {
        "always" | "unless-stopped" => true,
        "on-failure" => code != 0 && (p.max_retries == 0 || restarts_so_far < p.max_retries),
        _ => false,
    }
}

#[derive(Debug, Default)]
pub struct Backoff {
    last: Option<Duration>,
}

impl Backoff {
    /// The delay before the next restart of a container that ran for `ran`.
    pub fn next(&mut self, ran: Duration) -> Duration {
        let d = match self.last {
            Some(prev) if ran < RESET_AFTER => (prev * 2).min(MAX),
            _ => FIRST,
        };
        self.last = Some(d);
        d
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(name: &str, max: u32) -> Restart {
        Restart {
            name: name.into(),
            max_retries: max,
        }
    }

    #[test]
    fn policies() {
        assert!(!should_restart(&p("", 0), 1, 0, false));
        assert!(!should_restart(&p("no", 0), 1, 0, false));
        assert!(should_restart(&p("always", 0), 0, 99, false));
        assert!(should_restart(&p("unless-stopped", 0), 0, 0, false));
        assert!(!should_restart(&p("always", 0), 0, 0, true));
        assert!(!should_restart(&p("on-failure", 2), 0, 0, false));
        assert!(should_restart(&p("on-failure", 2), 1, 1, false));
        assert!(!should_restart(&p("on-failure", 2), 1, 2, false));
        assert!(should_restart(&p("on-failure", 0), 1, 1000, false));
    }

    #[test]
    fn backoff_doubles_caps_and_resets() {
        let mut b = Backoff::default();
        let short = Duration::from_secs(1);
        assert_eq!(b.next(short), Duration::from_millis(100));
        assert_eq!(b.next(short), Duration::from_millis(200));
        assert_eq!(b.next(short), Duration::from_millis(400));
        for _ in 0..20 {
            b.next(short);
        }
        assert_eq!(b.next(short), Duration::from_secs(60));
        assert_eq!(b.next(Duration::from_secs(10)), Duration::from_millis(100));
    }
}
