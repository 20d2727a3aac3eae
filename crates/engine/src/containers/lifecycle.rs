//! Start (a monitor per container), stop, kill, restart, pause, unpause and wait.

use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use monitor::config::{Health, LogOpts, MonitorConfig, Restart};
use monitor::spawn::SpawnError;

use super::state::{alive, is_active};
use crate::db::ContainerRecord;
use crate::error::{EngineError, Result};
use crate::lock::{Held, Lock};
use crate::Engine;

/// Docker's json-file default here: rotated (10 MiB × 3) so a chatty container can never
/// fill the disk (Docker's own default is unbounded; berth departs on purpose).
const DEFAULT_LOG_MAX_SIZE: u64 = 10 << 20;
const DEFAULT_LOG_MAX_FILES: u32 = 3;

/// Parses a `max-size` value (`10m`, `1g`, `500k`, bytes).
fn parse_log_size(s: &str) -> Option<u64> {
    let s = s.trim().to_ascii_lowercase();
    let (num, mult) = match s.chars().last()? {
        'k' => (&s[..s.len() - 1], 1u64 << 10),
        'm' => (&s[..s.len() - 1], 1 << 20),
        'g' => (&s[..s.len() - 1], 1 << 30),
        _ => (&s[..], 1),
    };
    num.parse::<f64>().ok().map(|n| (n * mult as f64) as u64)
}

/// The log options of a container, validated.
pub fn log_opts(c: &ContainerRecord, dir: &Path) -> Result<Option<LogOpts>> {
    let lc = &c.host_config.log_config;
    match lc.kind.as_str() {
        "none" => return Ok(None),
        "" | "json-file" => {}
        other => {
            return Err(EngineError::InvalidParameter(format!(
                "logging driver {other:?} is not supported by berth (json-file or none)"
            )))
        }
    }
    let max_size = match lc.config.get("max-size") {
        Some(v) if v == "-1" => 0,
        Some(v) => parse_log_size(v).ok_or_else(|| {
            EngineError::InvalidParameter(format!("invalid log opt max-size: {v:?}"))
        })?,
        None => DEFAULT_LOG_MAX_SIZE,
    };
    let max_files = match lc.config.get("max-file") {
        Some(v) => v.parse::<u32>().ok().filter(|n| *n >= 1).ok_or_else(|| {
            EngineError::InvalidParameter(format!("invalid log opt max-file: {v:?}"))
        })?,
        None => DEFAULT_LOG_MAX_FILES,
    };
    for k in lc.config.keys() {
        if !matches!(
            k.as_str(),
            "max-size" | "max-file" | "compress" | "labels" | "env" | "tag"
        ) {
            return Err(EngineError::InvalidParameter(format!(
                "unknown log opt '{k}' for json-file log driver"
            )));
        }
    }
    Ok(Some(LogOpts {
        path: log_path(dir, &c.id),
        max_size,
        max_files,
    }))
}

/// `<container dir>/<id>-json.log`, as Docker names it.
pub fn log_path(dir: &Path, id: &str) -> PathBuf {
    dir.join(format!("{id}-json.log"))
}

fn health(c: &ContainerRecord) -> Option<Health> {
    let h = c.config.healthcheck.as_ref()?;
    match h.test.first().map(String::as_str) {
        None | Some("NONE") => return None,
        _ => {}
    }
    let or = |v: i64, d: u64| if v > 0 { v as u64 } else { d };
    Some(Health {
        test: h.test.clone(),
        interval_ns: or(h.interval, 30_000_000_000),
        timeout_ns: or(h.timeout, 30_000_000_000),
        start_period_ns: or(h.start_period, 0),
        retries: if h.retries > 0 { h.retries as u32 } else { 3 },
    })
}

/// How `start` gets its monitor.
enum Launch {
    /// Spawned now, with this first attach client.
    Spawn(Option<OwnedFd>),
    /// Started ahead by the caller (or the reason it could not be), with or without
    /// a first attach client.
    Prestarted(Result<monitor::spawn::Prestarted, SpawnError>, bool),
}

impl Engine {
    /// Where the berth CLI lives, for the monitor's `--rm` cleanup command.
    fn self_exe() -> PathBuf {
        std::env::current_exe().unwrap_or_else(|_| PathBuf::from("berth"))
    }

    /// Starts a created or exited container: a monitor is spawned and creates it. With
    /// `attach`, that socket is the first attached client (output from the first byte).
    pub fn container_start(
        &mut self,
        id_or_name: &str,
        attach: Option<OwnedFd>,
    ) -> Result<ContainerRecord> {
        self.start_with(id_or_name, Launch::Spawn(attach))
    }

    /// [`Engine::container_start`] through a monitor started ahead
    /// ([`monitor::spawn::prestart`], `attached` if given an attach socket), as `berth
    /// run` does; a monitor that could not be started fails this start.
    pub fn container_start_prestarted(
        &mut self,
        id_or_name: &str,
        monitor: std::result::Result<monitor::spawn::Prestarted, SpawnError>,
        attached: bool,
    ) -> Result<ContainerRecord> {
        self.start_with(id_or_name, Launch::Prestarted(monitor, attached))
    }

    fn start_with(&mut self, id_or_name: &str, launch: Launch) -> Result<ContainerRecord> {
        // Shared with create and rm, exclusive for `system check`: a start in progress
        // (monitor spawned, not yet recorded) must not look like debris.
        let _lock = Held::shared(self.root(), Lock::Containers)?;
        let c = self.container(id_or_name)?;
        if c.state.status == "paused" {
            return Err(EngineError::ContainerConflict(
                "cannot start a paused container, try unpause instead".to_string(),
            ));
        }
        if is_active(&c.state.status) {
            return Ok(c);
        }
        let dir = self.root().container_dir(&c.id);
        let run_dir = self.root().monitor_dir(&c.id);
        // What a previous run left: its runtime state, its monitor files.
        let runtime_root = self.root().runtime_dir();
        let _ = runtime::container::delete(&runtime_root, &c.id, true);
        let _ = std::fs::remove_dir_all(&run_dir);
        let on_exit = if c.host_config.auto_remove {
            let root = self.root();
            vec![
                Self::self_exe().to_string_lossy().into_owned(),
                "--root".into(),
                root.dir().to_string_lossy().into_owned(),
                "--run-root".into(),
                root.run_dir().to_string_lossy().into_owned(),
                "container".into(),
                "cleanup".into(),
                c.id.clone(),
            ]
        } else {
            Vec::new()
        };
        let rp = &c.host_config.restart_policy;
        let cfg = MonitorConfig {
            id: c.id.clone(),
            bundle: dir.clone(),
            runtime_root,
            run_dir: run_dir.clone(),
            log: log_opts(&c, &dir)?,
            tty: c.config.tty,
            stdin: c.config.open_stdin,
            stdin_once: c.config.stdin_once,
            restart: Restart {
                name: rp.name.clone(),
                max_retries: rp.maximum_retry_count.max(0) as u32,
            },
            health: health(&c),
            dns: self.monitor_dns(&c),
            on_exit,
            events: Some(crate::events::journal(self.root())),
            event_attributes: crate::events::container_attributes(&c),
        };
        self.network_setup(&c)?;
        let attached = match &launch {
            Launch::Spawn(attach) => attach.is_some(),
            Launch::Prestarted(_, attached) => *attached,
        };
        if attached {
            self.emit_container(&c, "attach", &[]);
        }
        let started = match launch {
            Launch::Spawn(attach) => {
                monitor::spawn::spawn(&monitor::find_monitor_exe(), &cfg, attach)
            }
            Launch::Prestarted(m, _) => m.and_then(|m| m.start(&cfg)),
        };
        let spawned = match started {
            Ok(s) => s,
            Err(SpawnError::Start { message, kind }) => {
                let _ = self.network_release(&c.id);
                // 125, 126 or 127: always fits a byte.
                let exit = u8::try_from(kind.exit_code()).unwrap_or(125);
                let mut st = c.state.clone();
                st.status = if c.host_config.auto_remove {
                    "removing"
                } else {
                    "created"
                }
                .into();
                st.exit_code = i32::from(exit);
                st.error = message.clone();
                let _ = self.db_mut().set_container_state(&c.id, &st);
                return Err(EngineError::Start { message, exit });
            }
            Err(e) => {
                let _ = self.network_release(&c.id);
                return Err(EngineError::Start {
                    message: format!("start the monitor of {}: {e}", c.id),
                    exit: 125,
                });
            }
        };
        // The monitor's state.json has the rest; the next read reconciles with it.
        let mut c = c;
        c.state.status = "running".into();
        c.state.pid = spawned.pid;
        c.state.started_at = super::now_rfc3339();
        c.state.error.clear();
        self.db_mut().set_container_state(&c.id, &c.state)?;
        self.emit_container(&c, "start", &[]);
        Ok(c)
    }

    /// Sends `signal` (a name or number; `None` = the container's stop signal) to a
    /// running container. `stopping` marks it as stopped by the user (no restart).
    pub fn container_kill(
        &mut self,
        id_or_name: &str,
        signal: Option<&str>,
        stopping: bool,
    ) -> Result<ContainerRecord> {
        let c = self.container(id_or_name)?;
        if !is_active(&c.state.status) {
            return Err(EngineError::ContainerConflict(format!(
                "cannot kill container: {}: container {} is not running",
                id_or_name, c.id
            )));
        }
        let sig = signal
            .map(str::to_string)
            .or_else(|| c.config.stop_signal.clone())
            .unwrap_or_else(|| "SIGTERM".into());
        let num = runtime::container::parse_signal(&sig)
            .map_err(|_| EngineError::InvalidParameter(format!("Invalid signal: {sig}")))?;
        let run_dir = self.root().monitor_dir(&c.id);
        if stopping || num == 9 {
            let _ = std::fs::write(run_dir.join("stopping"), b"");
        }
        if c.state.status == "paused" && (num == 9 || stopping) {
            // A frozen process cannot act on a signal: thaw it (Docker does the same).
            let _ = self.runtime_call(&c.id, runtime::container::resume);
        }
        if c.state.pid > 0 && alive(c.state.pid) {
            self.emit_container(&c, "kill", &[("signal", num.to_string().as_str())]);
            nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(c.state.pid),
                nix::sys::signal::Signal::try_from(num)
                    .map_err(|_| EngineError::InvalidParameter(format!("Invalid signal: {sig}")))?,
            )
            .map_err(|e| EngineError::Container {
                id: c.id.clone(),
                reason: format!("send {sig}: {e}"),
            })?;
        }
        Ok(c)
    }

    /// Waits until the container is no longer running (its next exit), at most `timeout`.
    /// Returns the exit code, or `None` on timeout.
    pub fn container_wait_exit(
        &mut self,
        id: &str,
        timeout: Option<Duration>,
    ) -> Result<Option<i32>> {
        let deadline = timeout.map(|t| Instant::now() + t);
        let run_dir = self.root().monitor_dir(id);
        if let Ok(mut client) = monitor::client::Client::connect(&run_dir) {
            let _ = client.hello(monitor::protocol::Hello::NOTHING);
            if let Some(d) = deadline {
                let _ = client.set_read_timeout(Some(
                    d.saturating_duration_since(Instant::now())
                        .max(Duration::from_millis(1)),
                ));
            }
            loop {
                match client.recv() {
                    Ok(Some(monitor::client::Frame::Exit(code))) => return Ok(Some(code)),
                    Ok(Some(_)) => continue,
                    Ok(None) => break,
                    Err(e)
                        if matches!(
                            e.kind(),
                            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                        ) =>
                    {
                        return Ok(None)
                    }
                    Err(_) => break,
                }
            }
        }
        // No monitor to ask (already gone, or it went while we asked): poll its files.
        loop {
            let c = self.container(id)?;
            if !is_active(&c.state.status) || c.state.status == "restarting" {
                return Ok(Some(c.state.exit_code));
            }
            if deadline.is_some_and(|d| Instant::now() >= d) {
                return Ok(None);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// `stop`: the stop signal, `timeout` seconds (default: the container's or 10), then
    /// SIGKILL. Stopping a stopped container is not an error (Docker).
    pub fn container_stop(
        &mut self,
        id_or_name: &str,
        timeout: Option<i64>,
        signal: Option<&str>,
    ) -> Result<ContainerRecord> {
        let c = self.container(id_or_name)?;
        if !is_active(&c.state.status) {
            return Ok(c);
        }
        let secs = timeout.or(c.config.stop_timeout).unwrap_or(10);
        self.container_kill(&c.id, signal, true)?;
        let wait = if secs < 0 {
            None
        } else {
            Some(Duration::from_secs(secs as u64))
        };
        if self.container_wait_exit(&c.id, wait)?.is_none() {
            self.container_kill(&c.id, Some("SIGKILL"), true)?;
            self.container_wait_exit(&c.id, Some(Duration::from_secs(30)))?;
        }
        self.emit_container(&c, "stop", &[]);
        match self.find_container(&c.id) {
            Ok(c) => self.refresh(c),
            // `--rm`: the monitor removed it.
            Err(EngineError::NoSuchContainer(_)) => Ok(c),
            Err(e) => Err(e),
        }
    }

    /// `restart`: stop (if running) then start.
    pub fn container_restart(
        &mut self,
        id_or_name: &str,
        timeout: Option<i64>,
        signal: Option<&str>,
    ) -> Result<ContainerRecord> {
        let c = self.container_stop(id_or_name, timeout, signal)?;
        let c = self.container_start(&c.id, None)?;
        self.emit_container(&c, "restart", &[]);
        Ok(c)
    }

    /// Runs `f` on the runtime's view of the container.
    /// Deletes a container's runtime state, killing what still runs (`delete --force`).
    pub(crate) fn runtime_delete(&self, id: &str) -> Result<()> {
        runtime::container::delete(&self.root().runtime_dir(), id, true).map_err(|e| {
            EngineError::Container {
                id: id.to_string(),
                reason: e.to_string(),
            }
        })
    }

    pub(crate) fn runtime_call<T>(
        &self,
        id: &str,
        f: impl FnOnce(&runtime::container::Loaded) -> runtime::Result<T>,
    ) -> Result<T> {
        let l = runtime::container::load(&self.root().runtime_dir(), id).map_err(|e| {
            EngineError::Container {
                id: id.to_string(),
                reason: e.to_string(),
            }
        })?;
        f(&l).map_err(|e| EngineError::Container {
            id: id.to_string(),
            reason: e.to_string(),
        })
    }

    /// `pause`: freeze every process of the container.
    pub fn container_pause(&mut self, id_or_name: &str) -> Result<ContainerRecord> {
        let mut c = self.container(id_or_name)?;
        match c.state.status.as_str() {
            "running" => {}
            "paused" => {
                return Err(EngineError::ContainerConflict(format!(
                    "container {} is already paused",
                    c.id
                )))
            }
            _ => {
                return Err(EngineError::ContainerConflict(format!(
                    "container {} is not running",
                    c.id
                )))
            }
        }
        self.runtime_call(&c.id, runtime::container::pause)?;
        c.state.status = "paused".into();
        self.db_mut().set_container_state(&c.id, &c.state)?;
        self.emit_container(&c, "pause", &[]);
        Ok(c)
    }

    /// `unpause`.
    pub fn container_unpause(&mut self, id_or_name: &str) -> Result<ContainerRecord> {
        let mut c = self.container(id_or_name)?;
        if c.state.status != "paused" {
            return Err(EngineError::ContainerConflict(format!(
                "container {} is not paused",
                c.id
            )));
        }
        self.runtime_call(&c.id, runtime::container::resume)?;
        c.state.status = "running".into();
        self.db_mut().set_container_state(&c.id, &c.state)?;
        self.emit_container(&c, "unpause", &[]);
        Ok(c)
    }

    /// `rename`: a new name, Docker's rules (valid, unused).
    pub fn container_rename(&mut self, id_or_name: &str, new: &str) -> Result<()> {
        let c = self.find_container(id_or_name)?;
        let new = new.strip_prefix('/').unwrap_or(new);
        if !super::names::valid_name(new) {
            return Err(EngineError::InvalidParameter(format!(
                "Invalid container name ({new}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed"
            )));
        }
        if c.name == new {
            return Err(EngineError::InvalidParameter(
                "Renaming a container with the same name as its current name".into(),
            ));
        }
        self.db_mut().rename_container(&c.id, new)?;
        let old = format!("/{}", c.name);
        let renamed = ContainerRecord {
            name: new.to_string(),
            ..c
        };
        self.emit_container(&renamed, "rename", &[("oldName", old.as_str())]);
        Ok(())
    }

    /// The pids of a running container's processes (for `top`).
    pub fn container_pids(&mut self, id_or_name: &str) -> Result<Vec<i32>> {
        let c = self.container(id_or_name)?;
        if !is_active(&c.state.status) {
            return Err(EngineError::ContainerConflict(format!(
                "container {} is not running",
                c.id
            )));
        }
        self.runtime_call(&c.id, runtime::container::pids)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_sizes() {
        assert_eq!(parse_log_size("10m"), Some(10 << 20));
        assert_eq!(parse_log_size("1k"), Some(1024));
        assert_eq!(parse_log_size("100"), Some(100));
        assert_eq!(parse_log_size("x"), None);
    }
}
