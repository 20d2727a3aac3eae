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
use std::os::fd::{OwnedFd, RawFd};
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
            Some(s) if s.starts_with('-') => {
                return Err(MonitorError::Usage(format!("unknown option {s}")))
            }
            _ if config.is_none() => config = Some(PathBuf::from(a)),
            _ => return Err(MonitorError::Usage("more than one config path".into())),
        }
    }
    out.config = config.ok_or_else(|| MonitorError::Usage("missing the config path".into()))?;
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
/// mount namespace we started in (for `on_exit`).
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
    let mut cfg = MonitorConfig::load(&args.config)?;
    absolute(&mut cfg.bundle);
    absolute(&mut cfg.runtime_root);
    absolute(&mut cfg.run_dir);
    if let Some(l) = &mut cfg.log {
        absolute(&mut l.path);
    }
    daemonize()?;
    let _ = std::env::set_current_dir("/");
    let mut m = monitor::Monitor::new(cfg, attach, host_mntns)?;
    let r = m.start_first()?;
    report(sync, &r);
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
                config: "/r/monitor.json".into()
            }
        );
        assert!(parse_args(["--sync-fd"].map(OsString::from)).is_err());
        assert!(parse_args([] as [OsString; 0]).is_err());
        assert!(parse_args(["--bogus", "x"].map(OsString::from)).is_err());
    }
}
