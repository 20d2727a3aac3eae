//! Creating and starting the container, and deleting it, each in a helper child
//! calling the runtime library (the `run -d` path: create, then start at once).
//! The container's first process is the helper's child; when the helper exits it
//! is reparented to the monitor, its child subreaper.

use std::io::{Read, Write};
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::os::unix::net::UnixStream;

use nix::fcntl::OFlag;

use crate::config::MonitorConfig;
use crate::error::{Context, MonitorError, Result};
use crate::spawn::{Report, StartErrorKind};

/// The monitor's ends of the container's stdio.
#[derive(Default)]
pub struct Stdio {
    /// stdout's pipe, or the pty master with a tty.
    pub out: Option<OwnedFd>,
    /// stderr's pipe (none with a tty).
    pub err: Option<OwnedFd>,
    /// Where attached clients' stdin goes: the stdin pipe, or the pty master.
    pub input: Option<OwnedFd>,
}

pub enum Launched {
    Running {
        pid: i32,
        stdio: Stdio,
    },
    Failed {
        message: String,
        kind: StartErrorKind,
    },
}

fn pipe() -> Result<(OwnedFd, OwnedFd)> {
    nix::unistd::pipe2(OFlag::O_CLOEXEC).what(|| "pipe for the container's stdio")
}

fn nonblocking(fd: &OwnedFd) -> Result<()> {
    nix::fcntl::fcntl(
        fd.as_raw_fd(),
        nix::fcntl::FcntlArg::F_SETFL(OFlag::O_NONBLOCK),
    )
    .map(drop)
    .what(|| "make a stdio fd non-blocking")
}

/// The helper's side: stdio in place, then the runtime's `run` detached.
fn start_in_helper(
    cfg: &MonitorConfig,
    fds: [Option<OwnedFd>; 3],
    console: Option<OwnedFd>,
) -> std::result::Result<i32, runtime::RuntimeError> {
    use runtime::RuntimeError;
    for (target, fd) in fds.iter().enumerate() {
        if let Some(fd) = fd {
            nix::unistd::dup2(fd.as_raw_fd(), target as i32).map_err(|e| {
                RuntimeError::sys(format!("dup the container's stdio onto {target}"), e)
            })?;
        }
    }
    drop(fds);
    let bundle = runtime::spec::load(&cfg.bundle)?;
    let opts = runtime::container::CreateOpts {
        root: &cfg.runtime_root,
        id: &cfg.id,
        bundle,
        console,
        pid_file: None,
        no_pivot: false,
        preserve_fds: 0,
        for_run: true,
    };
    Ok(runtime::container::run_detached(opts)?.as_raw())
}

/// Creates and starts the container; returns once it runs (or could not).
pub fn launch(cfg: &MonitorConfig) -> Result<Launched> {
    let mut mine = Stdio::default();
    let mut theirs: [Option<OwnedFd>; 3] = [None, None, None];
    let mut console = None;
    let mut ours_console = None;
    if cfg.tty {
        let (a, b) = UnixStream::pair().what(|| "socketpair for the console")?;
        ours_console = Some(a);
        console = Some(OwnedFd::from(b));
    } else {
        let (r, w) = pipe()?;
        mine.out = Some(r);
        theirs[1] = Some(w);
        let (r, w) = pipe()?;
        mine.err = Some(r);
        theirs[2] = Some(w);
        if cfg.stdin {
            let (r, w) = pipe()?;
            mine.input = Some(w);
            theirs[0] = Some(r);
        } else {
            let null = std::fs::File::open("/dev/null").what(|| "open /dev/null")?;
            theirs[0] = Some(OwnedFd::from(null));
        }
    }
    let (report_r, report_w) = pipe()?;
    let helper = super::helper::fork(c"berth:[start]", || {
        let report = match start_in_helper(cfg, theirs, console) {
            Ok(pid) => Report::Started {
                monitor_pid: 0,
                pid,
            },
            Err(e) => Report::Failed {
                kind: StartErrorKind::of(&e),
                message: e.to_string(),
            },
        };
        let ok = matches!(report, Report::Started { .. });
        let mut w = std::fs::File::from(report_w);
        // One write: the monitor reads to EOF, but one syscall beats one per token.
        if let Ok(bytes) = serde_json::to_vec(&report) {
            let _ = w.write_all(&bytes);
        }
        i32::from(!ok)
    })?;
    // `theirs`, `console` and `report_w` were moved into the closure: in the monitor
    // they were dropped when `fork` returned, so EOF on the report means the helper
    // is gone.
    let mut text = Vec::new();
    std::fs::File::from(report_r)
        .read_to_end(&mut text)
        .what(|| "read the start helper's report")?;
    let code = super::helper::wait(helper)?;
    let report: Report = serde_json::from_slice(&text).map_err(|e| MonitorError::Io {
        what: format!("the start helper exited ({code}) without a report"),
        source: std::io::Error::other(e),
    })?;
    let pid = match report {
        Report::Started { pid, .. } => pid,
        Report::Failed { message, kind } => return Ok(Launched::Failed { message, kind }),
    };
    if let Some(sock) = ours_console {
        let master = runtime::process::channel::recv_fd(sock.as_fd()).map_err(|source| {
            MonitorError::Runtime {
                what: "receive the pty master".into(),
                source,
            }
        })?;
        if cfg.stdin {
            mine.input = Some(master.try_clone().what(|| "dup the pty master")?);
        }
        mine.out = Some(master);
    }
    for fd in [&mine.out, &mine.err, &mine.input].into_iter().flatten() {
        nonblocking(fd)?;
    }
    Ok(Launched::Running { pid, stdio: mine })
}

/// Deletes the runtime's container (killing what is left of it). Errors go to the
/// monitor's log: there is nothing more to do about them here.
/// The helper's exit status when the kernel's OOM killer had killed one of the
/// container's processes (read from its memory cgroup before the cgroups go).
const DELETED_AFTER_OOM: i32 = 3;

/// Deletes the container in a helper child (the runtime state is never loaded into the
/// monitor itself); returns whether the OOM killer had killed any of its processes.
pub fn delete(cfg: &MonitorConfig) -> Result<bool> {
    let helper = super::helper::fork(c"berth:[delete]", || {
        let oom = runtime::container::load(&cfg.runtime_root, &cfg.id)
            .and_then(|c| runtime::container::oom_killed(&c))
            .unwrap_or(false);
        match runtime::container::delete(&cfg.runtime_root, &cfg.id, true) {
            Ok(()) | Err(runtime::RuntimeError::NotFound(_)) if oom => DELETED_AFTER_OOM,
            Ok(()) | Err(runtime::RuntimeError::NotFound(_)) => 0,
            Err(e) => {
                eprintln!("berth-monitor: delete container {}: {e}", cfg.id);
                1
            }
        }
    })?;
    super::helper::wait(helper).map(|code| code == DELETED_AFTER_OOM)
}
