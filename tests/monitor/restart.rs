//! The restart policy: on-failure with a retry limit, always until stopped.

use e2e::not_root;
use monitor::config::Restart;
use monitor::Frame;

use crate::fixture::{collect, Fixture};

#[test]
fn on_failure_2_restarts_exactly_twice() {
    if not_root() {
        return;
    }
    let mut f = Fixture::new(&["sh", "-c", "echo run; exit 1"]);
    f.cfg.restart = Restart {
        name: "on-failure".into(),
        max_retries: 2,
    };
    let (_s, mut c) = f.spawn();
    let seen = collect(&mut c);
    assert_eq!(seen.exits, vec![1, 1, 1]);
    assert_eq!(seen.started.len(), 3);
    assert_eq!(seen.stdout, "run\nrun\nrun\n");
    let s = f.state();
    assert_eq!((s.restart_count, s.exit_code), (2, 1));
    assert_eq!(s.status, monitor::state::Status::Exited);
    assert_eq!(f.log_entries().len(), 3);
}

#[test]
fn always_stops_restarting_once_stopping_exists() {
    if not_root() {
        return;
    }
    let mut f = Fixture::new(&["sh", "-c", "sleep 0.1"]);
    f.cfg.restart = Restart {
        name: "always".into(),
        max_retries: 0,
    };
    let (_s, mut c) = f.spawn();
    let mut starts = 0;
    let mut exits = 0;
    while let Some(fr) = c.recv().unwrap() {
        match fr {
            Frame::Started(_) => {
                starts += 1;
                if starts == 3 {
                    std::fs::write(f.run_dir().join("stopping"), "").unwrap();
                }
            }
            Frame::Exit(_) => exits += 1,
            _ => {}
        }
    }
    assert_eq!(starts, 3, "restarted after `stopping` was made");
    assert_eq!(exits, 3);
    let s = f.state();
    assert_eq!(
        (s.status, s.restart_count),
        (monitor::state::Status::Exited, 2)
    );
}
