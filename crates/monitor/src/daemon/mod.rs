//! The `berth-monitor` process: protect the binary (CVE-2019-5736), daemonize (fork,
//! the parent exits, own session, child subreaper, oom_score_adj -1000), start the
//! container, report on the sync pipe, then loop until it is gone for good.

mod clients;
mod dns;
mod health;
mod helper;
mod launch;
pub mod logger;
mod monitor;
mod on_exit;
pub mod policy;

use std::ffi::OsString;
use std::io::Write;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;

use crate::config::MonitorConfig;
use crate::error::{Context, MonitorError, Result};
use crate::spawn::{Report, StartErrorKind};

/// Carries the fd of the host's mount namespace from the spawner (or across the
/// protective re-exec).
pub(crate) const MNTNS_ENV: &str = "_BERTH_MONITOR_HOST_MNTNS_FD";

#[derive(Debug, Default, PartialEq, Eq)]
pub struct Args {
    pub sync_fd: Option<RawFd>,
    pub attach_fd: Option<RawFd>,
    /// A pipe that brings the config's path, once the container is made (`prestart`):
    /// the monitor starts while the engine still creates, and waits here.
    pub go_fd: Option<RawFd>,
    /// Empty with `go_fd`.
    pub config: PathBuf,
}

pub fn parse_args(args: impl IntoIterator<Item = OsString>) -> Result<Args> {
    let mut out = Args::default();
    let mut it = args.into_iter();
    let mut config = None;
    while let Some(a) = it.next() {
        let mut fd = |name: &str| -> Result<RawFd> {
            it.next()
                .and_then(|v| v.to_str().and_then(|s| s.parse().ok()))
                .ok_or_else(|| MonitorError::Usage(format!("{name} needs an fd number")))
        };
        match a.to_str() {
            Some("--sync-fd") => out.sync_fd = Some(fd("--sync-fd")?),
            Some("--attach-fd") => out.attach_fd = Some(fd("--attach-fd")?),
            Some("--go-fd") => out.go_fd = Some(fd("--go-fd")?),
            Some(s) if s.starts_with('-') => {
                return Err(MonitorError::Usage(format!("unknown option {s}")))
            }
            _ if config.is_none() => config = Some(PathBuf::from(a)),
            _ => return Err(MonitorError::Usage("more than one config path".into())),
        }
    }
    match (config, out.go_fd) {
        (Some(c), None) => out.config = c,
        (None, Some(_)) => {}
        (Some(_), Some(_)) => {
            return Err(MonitorError::Usage(
                "a config path and --go-fd: give one".into(),
            ))
        }
        (None, None) => return Err(MonitorError::Usage("missing the config path".into())),
    }
    Ok(out)
}

fn cloexec(fd: &OwnedFd) -> Result<()> {
    use std::os::fd::AsRawFd;
    nix::fcntl::fcntl(
        fd.as_raw_fd(),
        nix::fcntl::FcntlArg::F_SETFD(nix::fcntl::FdFlag::FD_CLOEXEC),
    )
    .map(drop)
    .what(|| "mark an inherited fd close-on-exec")
}

fn adopt(fd: Option<RawFd>, what: &str) -> Result<Option<OwnedFd>> {
    let Some(fd) = fd else { return Ok(None) };
    let owned = crate::sys::adopt(fd).what(|| format!("{what} fd {fd}"))?;
    cloexec(&owned)?;
    Ok(Some(owned))
}

/// Re-executes from a read-only view of the binary if needed, keeping an fd of the
/// mount namespace we started in (to return to it, see `run`).
fn protect() -> Result<Option<OwnedFd>> {
    let inherited = std::env::var(MNTNS_ENV).ok().and_then(|v| v.parse().ok());
    let fd = match inherited {
        Some(fd) => Some(fd),
        None => match nix::fcntl::open(
            "/proc/self/ns/mnt",
            nix::fcntl::OFlag::O_RDONLY,
            nix::sys::stat::Mode::empty(),
        ) {
            Ok(fd) => {
                std::env::set_var(MNTNS_ENV, fd.to_string());
                Some(fd)
            }
            Err(_) => None,
        },
    };
    runtime::cloned_exe::ensure_protected().map_err(|source| MonitorError::Runtime {
        what: "run from a read-only image of berth-monitor".into(),
        source,
    })?;
    std::env::remove_var(MNTNS_ENV);
    adopt(fd, "the host mount namespace")
}

fn daemonize() -> Result<()> {
    match crate::sys::fork().what(|| "fork the monitor")? {
        nix::unistd::ForkResult::Parent { .. } => std::process::exit(0),
        nix::unistd::ForkResult::Child => {}
    }
    nix::unistd::setsid().what(|| "setsid")?;
    nix::sys::prctl::set_child_subreaper(true).what(|| "become child subreaper")?;
    let _ = std::fs::write("/proc/self/oom_score_adj", "-1000");
    let _ = nix::sys::prctl::set_name(c"berth-monitor");
    crate::sys::ignore_pipe_and_hup().what(|| "ignore SIGPIPE and SIGHUP")?;
    Ok(())
}

fn absolute(p: &mut PathBuf) {
    if let Ok(a) = std::path::absolute(&*p) {
        *p = a;
    }
}

fn report(sync: &mut Option<OwnedFd>, r: &Report) {
    if let Some(fd) = sync.take() {
        let mut f = std::fs::File::from(fd);
        let mut line = serde_json::to_vec(r).unwrap_or_default();
        line.push(b'\n');
        let _ = f.write_all(&line);
    }
}

/// The config path the engine writes on the go pipe, read to EOF; `None` when it
/// closed the pipe without one.
fn wait_for_go(go: OwnedFd) -> Result<Option<PathBuf>> {
    let mut path = Vec::new();
    std::io::Read::read_to_end(&mut std::fs::File::from(go), &mut path)
        .what(|| "read the go pipe")?;
    let path = path.strip_suffix(b"\n").unwrap_or(&path);
    if path.is_empty() {
        return Ok(None);
    }
    Ok(Some(PathBuf::from(std::ffi::OsStr::from_bytes(path))))
}

/// Points stderr (fd 2) at `path`, appended to.
fn log_stderr_to(path: &std::path::Path) -> Result<()> {
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .what(|| format!("open {}", path.display()))?;
    nix::unistd::dup2(log.as_raw_fd(), 2)
        .map(drop)
        .what(|| format!("make {} the monitor's stderr", path.display()))
}

/// `berth-monitor`'s main; returns the process's exit code.
pub fn main() -> i32 {
    let mut sync = None;
    match run(&mut sync) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("berth-monitor: {e}");
            report(
                &mut sync,
                &Report::Failed {
                    message: e.to_string(),
                    kind: StartErrorKind::Other,
                },
            );
            125
        }
    }
}

fn run(sync: &mut Option<OwnedFd>) -> Result<i32> {
    let args = parse_args(std::env::args_os().skip(1))?;
    let host_mntns = protect()?;
    *sync = adopt(args.sync_fd, "the sync pipe")?;
    let attach = adopt(args.attach_fd, "the attach socket")?;
    let config = match adopt(args.go_fd, "the go pipe")? {
        None => args.config,
        Some(go) => {
            // Started ahead of its container: the fork is made while the engine still
            // creates, off the path from `go` to the container's start.
            daemonize()?;
            match wait_for_go(go)? {
                Some(path) => path,
                // The engine gave up before starting anything (the create failed).
                None => return Ok(0),
            }
        }
    };
    // The private namespace is freed when its last holder leaves it, and freeing its
    // mounts waits for an RCU grace period (~0.1 ms): held here until the report is
    // out, so that the wait is not on the start's path.
    let private_mntns = host_mntns
        .as_ref()
        .and_then(|_| std::fs::File::open("/proc/self/ns/mnt").ok());
    if let Some(ns) = &host_mntns {
        // Back to the mount namespace it was started from, as it is now: the private one
        // only held the read-only bind of this binary, which `/proc/self/exe` keeps
        // (still read-only, CVE-2019-5736) for this process and its forks. A monitor
        // started ahead of its container would otherwise miss the mounts made since,
        // such as the container's network namespace. Everything after (the container's
        // start, `on_exit`, the helpers) happens in the host's namespace.
        nix::sched::setns(ns, nix::sched::CloneFlags::CLONE_NEWNS)
            .what(|| "return to the host's mount namespace")?;
    }
    let mut cfg = MonitorConfig::load(&config)?;
    if args.go_fd.is_some() {
        // Started before the container had a directory: stderr was /dev/null.
        log_stderr_to(&crate::spawn::monitor_log_path(&cfg.run_dir))?;
    }
    absolute(&mut cfg.bundle);
    absolute(&mut cfg.runtime_root);
    absolute(&mut cfg.run_dir);
    if let Some(l) = &mut cfg.log {
        absolute(&mut l.path);
    }
    if args.go_fd.is_none() {
        daemonize()?;
    }
    let _ = std::env::set_current_dir("/");
    let mut m = monitor::Monitor::new(cfg, attach)?;
    let r = m.start_first()?;
    report(sync, &r);
    drop(private_mntns);
    if m.is_done() {
        return Ok(0);
    }
    m.run()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn args() {
        let a = parse_args(
            ["--sync-fd", "5", "/r/monitor.json", "--attach-fd", "6"].map(OsString::from),
        )
        .unwrap();
        assert_eq!(
            a,
            Args {
                sync_fd: Some(5),
                attach_fd: Some(6),
                go_fd: None,
                config: "/r/monitor.json".into()
            }
        );
        let pre = parse_args(["--sync-fd", "5", "--go-fd", "7"].map(OsString::from)).unwrap();
        assert_eq!(pre.go_fd, Some(7));
        assert!(
            parse_args(["--go-fd", "7", "/r/monitor.json"].map(OsString::from)).is_err(),
            "a path and a go pipe"
        );
        assert!(parse_args(["--sync-fd"].map(OsString::from)).is_err());
        assert!(parse_args([] as [OsString; 0]).is_err());
        assert!(parse_args(["--bogus", "x"].map(OsString::from)).is_err());
    }
}
