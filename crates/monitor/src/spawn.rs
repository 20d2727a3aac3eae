//! The engine's side of starting a monitor: write `monitor.json`, start
//! `berth-monitor` with a sync pipe (and the first attach client), and return once
//! the container runs or with the runtime's reason why it cannot.

use std::ffi::OsString;
use std::io::{self, BufRead, BufReader, Write};
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use nix::sys::wait::{waitpid, WaitStatus};
use nix::unistd::Pid;

use serde::{Deserialize, Serialize};

use crate::config::MonitorConfig;

/// A running container and its monitor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Spawned {
    pub monitor_pid: i32,
    /// The container's first process (host pid).
    pub pid: i32,
}

/// Why a container could not start, in Docker's exit-code classes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum StartErrorKind {
    /// The program does not exist (Docker exit code 127).
    NotFound,
    /// The program exists but cannot be executed (126).
    CannotExecute,
    /// Anything else (125).
    Other,
}

impl StartErrorKind {
    pub fn exit_code(self) -> i32 {
        match self {
            StartErrorKind::NotFound => 127,
            StartErrorKind::CannotExecute => 126,
            StartErrorKind::Other => 125,
        }
    }

    /// Classifies an error of the runtime. Only failures of the container's own
    /// process (the exec step) are 126/127, as Docker's `start` does it.
    pub fn of(err: &runtime::RuntimeError) -> StartErrorKind {
        match err {
            runtime::RuntimeError::Init(msg) => Self::of_exec_message(msg),
            _ => StartErrorKind::Other,
        }
    }

    fn of_exec_message(msg: &str) -> StartErrorKind {
        let m = msg.to_ascii_lowercase();
        if m.contains("not found in $path") || m.contains("no such file or directory") {
            StartErrorKind::NotFound
        } else if m.contains("permission denied")
            || m.contains("is a directory")
            || m.contains("exec format error")
        {
            StartErrorKind::CannotExecute
        } else {
            StartErrorKind::Other
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SpawnError {
    /// The runtime could not create or start the container.
    #[error("{message}")]
    Start {
        message: String,
        kind: StartErrorKind,
    },
    #[error("{what}: {source}")]
    Io {
        what: String,
        #[source]
        source: io::Error,
    },
}

impl SpawnError {
    fn io(what: impl Into<String>) -> impl FnOnce(io::Error) -> SpawnError {
        let what = what.into();
        move |source| SpawnError::Io { what, source }
    }
}

/// The one line the monitor writes on the sync pipe.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum Report {
    Started {
        monitor_pid: i32,
        pid: i32,
    },
    Failed {
        message: String,
        kind: StartErrorKind,
    },
}

/// `<run_dir>/monitor.log`: the monitor's own complaints (its stderr).
pub fn monitor_log_path(run_dir: &Path) -> PathBuf {
    run_dir.join("monitor.log")
}

/// Writes `<run_dir>/monitor.json`, starts the monitor and waits until the container
/// runs. `attach` (the monitor's end of a socketpair) becomes the first attach client,
/// connected before the container starts, so no output is lost. No zombie is left:
/// the process started here forks the monitor and exits, and is reaped here.
pub fn spawn(
    monitor_exe: &Path,
    cfg: &MonitorConfig,
    attach: Option<OwnedFd>,
) -> Result<Spawned, SpawnError> {
    prestart(monitor_exe, attach)?.start(cfg)
}

/// A `berth-monitor` started before its container is made (`berth run` starts it first
/// thing, so its exec and start overlap the engine's create on another CPU). It waits
/// on a pipe for [`Prestarted::start`]; dropped unstarted, it exits and is reaped.
#[derive(Debug)]
pub struct Prestarted {
    pid: Pid,
    exe: PathBuf,
    /// Where the config's path goes; `None` once written.
    go: Option<std::fs::File>,
    /// The monitor's end of the go pipe, kept open here so that writing to a monitor
    /// that died early is no SIGPIPE (its sync pipe then says what happened).
    _go_r: OwnedFd,
    sync_r: std::fs::File,
}

/// Starts `berth-monitor` with no container yet (see [`Prestarted`]); `attach` as in
/// [`spawn`]. Returns without waiting for the monitor's exec.
pub fn prestart(monitor_exe: &Path, attach: Option<OwnedFd>) -> Result<Prestarted, SpawnError> {
    let start_err = || SpawnError::io(format!("start {}", monitor_exe.display()));
    // CVE-2019-5736: the monitor must run from a read-only image of itself, since the
    // container's processes are its forks. Made in the child before its exec, which
    // spares the monitor a second exec; should it fail, the monitor re-executes itself.
    let (path, c_path) = runtime::cloned_exe::protectable(monitor_exe)
        .ok_or_else(|| start_err()(io::ErrorKind::NotFound.into()))?;
    nix::unistd::access(&path, nix::unistd::AccessFlags::X_OK)
        .map_err(|e| start_err()(e.into()))?;
    let pipe = |what: &str| {
        nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC)
            .map_err(|e| SpawnError::io(format!("pipe for the monitor's {what}"))(e.into()))
    };
    let (sync_r, sync_w) = pipe("sync")?;
    let (go_r, go_w) = pipe("start")?;
    let number = |fd: &dyn AsRawFd| OsString::from(fd.as_raw_fd().to_string());
    let mut args = vec![
        OsString::from("--sync-fd"),
        number(&sync_w),
        OsString::from("--go-fd"),
        number(&go_r),
    ];
    let mut keep = vec![sync_w.as_raw_fd(), go_r.as_raw_fd()];
    // The mount namespace the monitor returns to once it has its config: this one.
    let host_mntns = std::fs::File::open("/proc/self/ns/mnt").ok();
    let mut env = Vec::new();
    if let Some(ns) = &host_mntns {
        env.push((OsString::from(crate::daemon::MNTNS_ENV), number(ns)));
        keep.push(ns.as_raw_fd());
    }
    if let Some(a) = &attach {
        args.push(OsString::from("--attach-fd"));
        args.push(number(a));
        keep.push(a.as_raw_fd());
    }
    // stderr becomes `<run_dir>/monitor.log` once the monitor knows its run directory.
    let exec = crate::sys::NoWaitExec::new(c_path, &args, &env, keep).map_err(start_err())?;
    let pid = crate::sys::spawn_nowait(&exec).map_err(start_err())?;
    Ok(Prestarted {
        pid,
        exe: path,
        go: Some(std::fs::File::from(go_w)),
        _go_r: go_r,
        sync_r: std::fs::File::from(sync_r),
    })
}

/// How a reaped process ended, in words.
fn ended(status: WaitStatus) -> String {
    match status {
        WaitStatus::Exited(_, code) => format!("exit status {code}"),
        WaitStatus::Signaled(_, sig, _) => format!("killed by {sig}"),
        other => format!("{other:?}"),
    }
}

impl Prestarted {
    /// Writes `<run_dir>/monitor.json`, hands its path to the monitor and waits until
    /// the container runs, as [`spawn`].
    pub fn start(mut self, cfg: &MonitorConfig) -> Result<Spawned, SpawnError> {
        let run_dir = &cfg.run_dir;
        std::fs::create_dir_all(run_dir)
            .map_err(SpawnError::io(format!("create {}", run_dir.display())))?;
        let cfg_path = MonitorConfig::path_in(run_dir);
        let json = serde_json::to_vec_pretty(cfg).map_err(|e| SpawnError::Io {
            what: "serialise the monitor config".into(),
            source: io::Error::other(e),
        })?;
        // Written in place: only this monitor reads it, once its path arrives on the go
        // pipe, after the write; a spawner killed mid-write never sends that path.
        std::fs::write(&cfg_path, json)
            .map_err(SpawnError::io(format!("write {}", cfg_path.display())))?;
        let log_path = monitor_log_path(run_dir);
        if let Some(mut go) = self.go.take() {
            let mut msg = cfg_path.as_os_str().as_bytes().to_vec();
            msg.push(b'\n');
            // A monitor that died already says why below (its sync pipe, its log).
            let _ = go.write_all(&msg);
        }
        // The process we started daemonizes (forks) and exits, before it waits for
        // `go`: reap it.
        let status = waitpid(self.pid, None)
            .map_err(|e| SpawnError::io("wait for berth-monitor to daemonize")(e.into()))?;
        let mut line = String::new();
        BufReader::new(&self.sync_r)
            .read_line(&mut line)
            .map_err(SpawnError::io("read the monitor's sync pipe"))?;
        let report: Report = serde_json::from_str(line.trim_end()).map_err(|_| {
            let log = std::fs::read_to_string(&log_path).unwrap_or_default();
            let why = match (status, log.trim_end()) {
                (WaitStatus::Exited(_, 127), "") => {
                    format!("could not execute {}", self.exe.display())
                }
                (_, log) => log.to_string(),
            };
            // Exit 0 is the daemonizing fork's: the monitor itself ended after it.
            let how = match status {
                WaitStatus::Exited(_, 0) => "ended".to_string(),
                other => format!("exited ({})", ended(other)),
            };
            SpawnError::Io {
                what: format!(
                    "berth-monitor for {} {how} without reporting: {why}",
                    cfg.id
                ),
                source: io::Error::from(io::ErrorKind::UnexpectedEof),
            }
        })?;
        match report {
            Report::Started { monitor_pid, pid } => Ok(Spawned { monitor_pid, pid }),
            Report::Failed { message, kind } => Err(SpawnError::Start { message, kind }),
        }
    }
}

impl Drop for Prestarted {
    fn drop(&mut self) {
        // Never started: the go pipe closes empty, the monitor exits; reap it.
        if self.go.take().is_some() {
            let _ = waitpid(self.pid, None);
        }
    }
}

/// `berth-monitor` next to the running executable, else from PATH, else the bare name.
pub fn find_monitor_exe() -> PathBuf {
    const NAME: &str = "berth-monitor";
    if let Some(p) = std::env::current_exe()
        .ok()
        .and_then(|e| e.parent().map(|d| d.join(NAME)))
        .filter(|p| p.is_file())
    {
        return p;
    }
    std::env::var_os("PATH")
        .and_then(|path| {
            std::env::split_paths(&path)
                .map(|d| d.join(NAME))
                .find(|p| p.is_file())
        })
        .unwrap_or_else(|| PathBuf::from(NAME))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exec_errors_map_to_dockers_codes() {
        let k = |m: &str| StartErrorKind::of(&runtime::RuntimeError::Init(m.into()));
        assert_eq!(
            k("exec: \"nope\": executable file not found in $PATH"),
            StartErrorKind::NotFound
        );
        assert_eq!(
            k("exec \"/x\": ENOENT: No such file or directory"),
            StartErrorKind::NotFound
        );
        assert_eq!(
            k("exec: \"/etc\": is a directory"),
            StartErrorKind::CannotExecute
        );
        assert_eq!(
            k("exec: \"/etc/passwd\": permission denied"),
            StartErrorKind::CannotExecute
        );
        assert_eq!(k("mount proc: EPERM"), StartErrorKind::Other);
        let other = runtime::RuntimeError::NotFound("x".into());
        assert_eq!(StartErrorKind::of(&other).exit_code(), 125);
        assert_eq!(StartErrorKind::NotFound.exit_code(), 127);
    }

    #[test]
    fn report_is_one_json_line() {
        let r = Report::Started {
            monitor_pid: 1,
            pid: 2,
        };
        let s = serde_json::to_string(&r).unwrap();
        assert!(!s.contains('\n'));
        assert_eq!(serde_json::from_str::<Report>(&s).unwrap(), r);
    }
}
