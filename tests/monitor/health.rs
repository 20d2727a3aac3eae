//! Healthchecks run inside the container and drive the health status.

use e2e::not_root;
use monitor::config::Health;
use monitor::state::HealthStatus;

use crate::fixture::{collect, Fixture};

const MS: u64 = 1_000_000;

fn check(test: &[&str]) -> Health {
    Health {
        test: test.iter().map(|s| s.to_string()).collect(),
        interval_ns: 300 * MS,
        timeout_ns: 5_000 * MS,
        start_period_ns: 0,
        retries: 2,
    }
}

#[test]
fn a_failing_check_makes_it_unhealthy_after_retries() {
    if not_root() {
        return;
    }
    let mut f = Fixture::new(&["sleep", "100"]);
    f.cfg.health = Some(check(&["CMD-SHELL", "echo sick; exit 1"]));
    let (_s, mut c) = f.spawn();
    assert_eq!(
        f.state().health.map(|h| h.status),
        Some(HealthStatus::Starting)
    );
    let s = f.wait_state(30, |s| {
        s.health
            .as_ref()
            .is_some_and(|h| h.status == HealthStatus::Unhealthy)
    });
    let h = s.health.unwrap();
    assert!(h.failing_streak >= 2, "{h:?}");
    assert_eq!(h.log.last().unwrap().exit_code, 1);
    assert_eq!(h.log.last().unwrap().output, "sick\n");
    f.stop();
    assert_eq!(collect(&mut c).exits, vec![137]);
}

#[test]
fn a_passing_check_makes_it_healthy() {
    if not_root() {
        return;
    }
    let mut f = Fixture::new(&["sleep", "100"]);
    f.cfg.health = Some(check(&["CMD", "cat", "/etc/passwd"]));
    let (_s, mut c) = f.spawn();
    let s = f.wait_state(30, |s| {
        s.health
            .as_ref()
            .is_some_and(|h| h.status == HealthStatus::Healthy)
    });
    let h = s.health.unwrap();
    assert_eq!((h.failing_streak, h.log[0].exit_code), (0, 0));
    f.stop();
    assert_eq!(collect(&mut c).exits, vec![137]);
}
