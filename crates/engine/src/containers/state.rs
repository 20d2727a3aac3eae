//! The recorded state of a container brought up to date. While a container has a monitor,
//! the monitor's `state.json` is the truth (it sees the exit, the restarts, the health);
//! the database keeps the last state the engine saw, so `ps` after a reboot or after a
//! monitor was killed still answers, and what it answers is then repaired here.

use std::path::Path;

use monitor::state::{MonitorState, Status};

use crate::db::{ContainerRecord, StateRecord};
use crate::error::Result;
use crate::Engine;

/// Whether a process exists (a zombie counts: it is someone's to reap).
pub(crate) fn alive(pid: i32) -> bool {
    pid > 0 && Path::new(&format!("/proc/{pid}")).exists()
}

/// Whether a process exists and is not a zombie (a killed monitor stays a zombie until
/// init reaps it: it is dead for us).
pub(crate) fn running(pid: i32) -> bool {
    pid > 0 && runtime::state::proc_stat(pid).is_some_and(|(_, state)| !matches!(state, 'Z' | 'X'))
}

/// Whether a container's recorded status means "has a monitor".
pub(crate) fn is_active(status: &str) -> bool {
    matches!(status, "running" | "restarting" | "paused")
}

/// The monitor's view of a container, if it has (had) one.
pub(crate) fn monitor_state(engine: &Engine, id: &str) -> Option<MonitorState> {
    monitor::state::read(&engine.root().monitor_dir(id))
        .ok()
        .flatten()
}

/// The health status (`starting`, `healthy`, `unhealthy`) a running container's monitor
/// reports, if it has a healthcheck.
pub fn health_status(root: &crate::Root, id: &str) -> Option<String> {
    let m = monitor::state::read(&root.monitor_dir(id)).ok().flatten()?;
    Some(m.health?.status.as_str().to_string())
}

/// Whether the monitor ran the container in a start the record does not know of: the
/// `start` that spawned it was killed before it could record it.
fn unrecorded_run(rec: &StateRecord, mon: Option<&MonitorState>) -> bool {
    mon.is_some_and(|m| m.pid > 0 && !m.started_at.is_empty() && m.started_at != rec.started_at)
}

/// The state the record should have given what the monitor says.
fn reconcile(rec: &StateRecord, mon: Option<&MonitorState>) -> StateRecord {
    let mut s = rec.clone();
    match mon {
        Some(m) if running(m.monitor_pid) && m.status != Status::Exited => {
            s.status = match m.status {
                Status::Restarting => "restarting",
                _ if rec.status == "paused" => "paused",
                _ => "running",
            }
            .into();
            s.pid = if m.status == Status::Restarting {
                0
            } else {
                m.pid
            };
            s.started_at = m.started_at.clone();
            s.restart_count = i64::from(m.restart_count);
            s.exit_code = m.exit_code;
            s.finished_at = m.finished_at.clone();
        }
        Some(m) if m.status == Status::Exited => {
            s.status = "exited".into();
            s.pid = 0;
            s.exit_code = m.exit_code;
            s.started_at = m.started_at.clone();
            s.finished_at = m.finished_at.clone();
            s.restart_count = i64::from(m.restart_count);
            s.error = m.error.clone();
        }
        Some(m) if alive(m.pid) => {
            // The monitor is gone but the container runs on: report it running;
            // `berth system check` stops it (nothing watches its exit any more).
            s.status = "running".into();
            s.pid = m.pid;
            s.error = "the container's monitor is gone (run 'berth system check')".into();
        }
        _ => {
            s.status = "exited".into();
            s.pid = 0;
            if s.finished_at.is_empty() {
                s.finished_at = super::now_rfc3339();
            }
            if mon.is_some() {
                s.exit_code = 255;
                s.error = "the container's monitor died before the container exited".into();
            }
        }
    }
    s
}

impl Engine {
    /// `rec` with its state brought up to date (and the database with it).
    pub(crate) fn refresh(&mut self, mut rec: ContainerRecord) -> Result<ContainerRecord> {
        let mon = monitor_state(self, &rec.id);
        if !is_active(&rec.state.status) && !unrecorded_run(&rec.state, mon.as_ref()) {
            return Ok(rec);
        }
        let new = reconcile(&rec.state, mon.as_ref());
        if new != rec.state {
            let stopped = !is_active(&new.status);
            self.db_mut().set_container_state(&rec.id, &new)?;
            rec.state = new;
            if stopped {
                // Docker releases the address at stop; the next look after the exit does.
                if let Err(e) = self.network_release(&rec.id) {
                    tracing::warn!("release the network of {}: {e}", rec.id);
                }
            }
        }
        Ok(rec)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mon(status: Status, monitor_pid: i32) -> MonitorState {
        MonitorState {
            status,
            pid: 4_000_000,
            monitor_pid,
            exit_code: 3,
            finished_at: "2026-11-24T05:00:00.5Z".into(),
            ..Default::default()
        }
    }

    #[test]
    fn exits_and_dead_monitors() {
        let running = StateRecord {
            status: "running".into(),
            pid: 7,
            ..Default::default()
        };
        let s = reconcile(&running, Some(&mon(Status::Exited, 0)));
        assert_eq!((s.status.as_str(), s.exit_code, s.pid), ("exited", 3, 0));
        // A live monitor (ourselves) keeps it running with the monitor's pid.
        let me = std::process::id() as i32;
        let s = reconcile(&running, Some(&mon(Status::Running, me)));
        assert_eq!((s.status.as_str(), s.pid), ("running", 4_000_000));
        let paused = StateRecord {
            status: "paused".into(),
            ..running.clone()
        };
        assert_eq!(
            reconcile(&paused, Some(&mon(Status::Running, me))).status,
            "paused"
        );
        // A dead monitor with a dead container: exited 255 with a reason.
        let s = reconcile(&running, Some(&mon(Status::Running, 4_000_001)));
        assert_eq!((s.status.as_str(), s.exit_code), ("exited", 255));
        assert!(!s.error.is_empty());
        // No monitor files at all (after a reboot): exited, code kept.
        let s = reconcile(&running, None);
        assert_eq!((s.status.as_str(), s.exit_code), ("exited", 0));
    }
}
