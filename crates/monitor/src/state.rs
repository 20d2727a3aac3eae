//! `<run_dir>/state.json`: what the monitor knows of its container, rewritten
//! atomically (temp file + rename) at every change, read by the engine.

use std::io;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// The monitor runs; the container is being created.
    #[default]
    Starting,
    Running,
    /// Exited; waiting out the back-off before the restart policy starts it again.
    Restarting,
    /// Gone for good: the monitor has exited or is about to.
    Exited,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MonitorState {
    pub status: Status,
    /// The container's first process (0 when none runs).
    pub pid: i32,
    pub monitor_pid: i32,
    /// RFC 3339 with nanoseconds, UTC; "" when unset.
    pub started_at: String,
    pub finished_at: String,
    /// The code (or 128+N for signal N) of the last exit.
    pub exit_code: i32,
    pub oom_killed: bool,
    pub restart_count: u32,
    /// Why the container could not start, as the runtime said it.
    pub error: String,
    #[serde(default)]
    pub health: Option<HealthState>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum HealthStatus {
    #[default]
    Starting,
    Healthy,
    Unhealthy,
}

impl HealthStatus {
    /// Docker's word for it (`starting`, `healthy`, `unhealthy`).
    pub fn as_str(self) -> &'static str {
        match self {
            HealthStatus::Starting => "starting",
            HealthStatus::Healthy => "healthy",
            HealthStatus::Unhealthy => "unhealthy",
        }
    }
}

/// Docker's `State.Health`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct HealthState {
    pub status: HealthStatus,
    pub failing_streak: u32,
    /// The last five results, oldest first.
    pub log: Vec<HealthResult>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct HealthResult {
    pub start: String,
    pub end: String,
    pub exit_code: i32,
    pub output: String,
}

pub fn path_in(run_dir: &Path) -> PathBuf {
    run_dir.join("state.json")
}

/// Reads `<run_dir>/state.json`; `None` when the monitor has not written it yet.
pub fn read(run_dir: &Path) -> io::Result<Option<MonitorState>> {
    let path = path_in(run_dir);
    let text = match std::fs::read(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    serde_json::from_slice(&text).map(Some).map_err(|e| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("{}: {e}", path.display()),
        )
    })
}

/// Writes `<run_dir>/state.json` atomically: readers see the old or the new state.
pub fn write(run_dir: &Path, s: &MonitorState) -> io::Result<()> {
    let tmp = run_dir.join(".state.json.tmp");
    let text = serde_json::to_vec(s).map_err(io::Error::other)?;
    std::fs::write(&tmp, text)?;
    std::fs::rename(&tmp, path_in(run_dir))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_docker_health_shape() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(read(dir.path()).unwrap(), None);
        let s = MonitorState {
            status: Status::Restarting,
            pid: 42,
            restart_count: 2,
            health: Some(HealthState {
                status: HealthStatus::Healthy,
                failing_streak: 0,
                log: vec![HealthResult {
                    exit_code: 0,
                    output: "ok\n".into(),
                    ..Default::default()
                }],
            }),
            ..Default::default()
        };
        write(dir.path(), &s).unwrap();
        assert_eq!(read(dir.path()).unwrap(), Some(s));
        let v: serde_json::Value =
            serde_json::from_slice(&std::fs::read(path_in(dir.path())).unwrap()).unwrap();
        assert_eq!(v["status"], "restarting");
        assert_eq!(v["health"]["Status"], "healthy");
        assert_eq!(v["health"]["FailingStreak"], 0);
        assert_eq!(v["health"]["Log"][0]["ExitCode"], 0);
        assert_eq!(v["health"]["Log"][0]["Output"], "ok\n");
        assert!(!dir.path().join(".state.json.tmp").exists());
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(path_in(dir.path()), "{not json").unwrap();
        assert!(read(dir.path()).is_err());
    }
}
