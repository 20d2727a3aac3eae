//! The monitor's error type: every variant says what failed and on what.

use std::io;
use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum MonitorError {
    #[error("berth-monitor: {0}\nusage: berth-monitor [--sync-fd N] [--attach-fd N] [--host-mntns-fd N] RUN_DIR/monitor.json")]
    Usage(String),
    #[error("cannot read the monitor config {path}: {source}")]
    ReadConfig {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("invalid monitor config {path}: {source}")]
    ParseConfig {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    #[error("{what}: {source}")]
    Io {
        what: String,
        #[source]
        source: io::Error,
    },
    #[error("{what}: {source}")]
    Runtime {
        what: String,
        #[source]
        source: runtime::RuntimeError,
    },
}

pub type Result<T, E = MonitorError> = std::result::Result<T, E>;

/// Names the step of an OS error: `bind(..).what(|| format!("bind {path}"))?`.
pub trait Context<T> {
    fn what<S: Into<String>>(self, what: impl FnOnce() -> S) -> Result<T>;
}

impl<T, E: Into<io::Error>> Context<T> for std::result::Result<T, E> {
    fn what<S: Into<String>>(self, what: impl FnOnce() -> S) -> Result<T> {
        self.map_err(|e| MonitorError::Io {
            what: what().into(),
            source: e.into(),
        })
    }
}
