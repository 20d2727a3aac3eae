//! What the engine asks of a monitor, written as `<run_dir>/monitor.json`.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{MonitorError, Result};

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MonitorConfig {
    /// The runtime's container id.
    pub id: String,
    /// The OCI bundle (config.json + rootfs).
    pub bundle: PathBuf,
    /// The runtime's state root (`berth-runtime --root`).
    pub runtime_root: PathBuf,
    /// Where the monitor keeps `monitor.json`, `state.json` and the `attach` socket.
    pub run_dir: PathBuf,
    /// The json-file log; `None` keeps no log.
    #[serde(default)]
    pub log: Option<LogOpts>,
    /// The container gets a pty; everything it writes is stdout.
    #[serde(default)]
    pub tty: bool,
    /// `-i`: the container's stdin is a pipe fed by attached clients (else /dev/null).
    #[serde(default)]
    pub stdin: bool,
    /// Close the container's stdin when the first attached client with stdin detaches.
    #[serde(default)]
    pub stdin_once: bool,
    #[serde(default)]
    pub restart: Restart,
    #[serde(default)]
    pub health: Option<Health>,
    /// Run when the container is gone for good (e.g. the engine's cleanup for `--rm`).
    #[serde(default)]
    pub on_exit: Vec<String>,
    /// The event journal (`crate::events`) the monitor appends `die`, `start` (restarts)
    /// and `health_status` to; `None` writes none.
    #[serde(default)]
    pub events: Option<PathBuf>,
    /// The container's event attributes (`image`, `name`, its labels).
    #[serde(default)]
    pub event_attributes: std::collections::BTreeMap<String, String>,
    /// The embedded DNS server (containers on a user-defined network); `None` serves none.
    #[serde(default)]
    pub dns: Option<DnsOpts>,
}

/// Docker's embedded DNS server at 127.0.0.11:53 inside the container's namespace.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DnsOpts {
    /// The container's network namespace file (the engine's bind mount).
    pub netns: PathBuf,
    /// The names answered locally: `IP<TAB>name…` lines, replaced atomically by the
    /// engine when peers come and go; re-read when it changes.
    pub records: PathBuf,
    /// Where other names are forwarded: `IP` (port 53) or `IP:PORT`, in order.
    #[serde(default)]
    pub upstreams: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogOpts {
    /// `<path>`, rotated to `<path>.1`, `<path>.2`, … as Docker's jsonfilelog.
    pub path: PathBuf,
    /// Bytes per file; 0 = never rotate.
    #[serde(default)]
    pub max_size: u64,
    /// Files kept, the current one included (0 and 1 both mean: truncate in place).
    #[serde(default)]
    pub max_files: u32,
}

/// Docker's restart policy: `no` (or ""), `always`, `unless-stopped`, `on-failure`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Restart {
    #[serde(default)]
    pub name: String,
    /// `on-failure` only: 0 = unlimited.
    #[serde(default)]
    pub max_retries: u32,
}

/// Docker's healthcheck: `["CMD", args…]` or `["CMD-SHELL", "cmd"]`; durations in ns.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Health {
    pub test: Vec<String>,
    #[serde(default)]
    pub interval_ns: u64,
    #[serde(default)]
    pub timeout_ns: u64,
    #[serde(default)]
    pub start_period_ns: u64,
    #[serde(default)]
    pub retries: u32,
}

impl Restart {
    /// `<run_dir>/restart.json`: a policy given by `berth update --restart` while the
    /// monitor runs; it replaces `MonitorConfig::restart` from the next exit on.
    pub fn override_path(run_dir: &Path) -> PathBuf {
        run_dir.join("restart.json")
    }

    /// Writes the override atomically (temp file + rename).
    pub fn write_override(&self, run_dir: &Path) -> std::io::Result<()> {
        let tmp = run_dir.join(".restart.json.tmp");
        std::fs::write(
            &tmp,
            serde_json::to_vec(self).map_err(std::io::Error::other)?,
        )?;
        std::fs::rename(&tmp, Restart::override_path(run_dir))
    }

    /// The override in `run_dir`, if one was written and parses.
    pub fn read_override(run_dir: &Path) -> Option<Restart> {
        let b = std::fs::read(Restart::override_path(run_dir)).ok()?;
        serde_json::from_slice(&b).ok()
    }
}

impl MonitorConfig {
    /// `<run_dir>/monitor.json`.
    pub fn path_in(run_dir: &Path) -> PathBuf {
        run_dir.join("monitor.json")
    }

    pub fn load(path: &Path) -> Result<MonitorConfig> {
        let text = std::fs::read(path).map_err(|source| MonitorError::ReadConfig {
            path: path.to_path_buf(),
            source,
        })?;
        serde_json::from_slice(&text).map_err(|source| MonitorError::ParseConfig {
            path: path.to_path_buf(),
            source,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minimal_config_parses_with_defaults() {
        let c: MonitorConfig =
            serde_json::from_str(r#"{"id":"a","bundle":"/b","runtime_root":"/r","run_dir":"/d"}"#)
                .unwrap();
        assert_eq!(c.id, "a");
        assert!(c.log.is_none() && !c.tty && c.restart.name.is_empty());
        let back: MonitorConfig =
            serde_json::from_str(&serde_json::to_string(&c).unwrap()).unwrap();
        assert_eq!(back, c);
    }

    #[test]
    fn restart_override_round_trips() {
        let d = tempfile::tempdir().unwrap();
        assert_eq!(Restart::read_override(d.path()), None);
        let r = Restart {
            name: "on-failure".into(),
            max_retries: 3,
        };
        r.write_override(d.path()).unwrap();
        assert_eq!(Restart::read_override(d.path()), Some(r));
    }
}
