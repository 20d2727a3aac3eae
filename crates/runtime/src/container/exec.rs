//! `exec`: a new process in a running container's namespaces and cgroups, with the
//! same tail as the container's first process (credentials, capabilities, seccomp).

use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use nix::unistd::Pid;
use oci_spec::runtime::{LinuxNamespaceType, Process};

use super::status::load;
use crate::error::{Result, RuntimeError, SysContext};
use crate::namespaces::{clone_flag, proc_name};
use crate::process::channel::{Channel, Msg};
use crate::process::finish::{self, Tail};
use crate::state::Status;
use crate::sys::CloneResult;

pub struct ExecOpts<'a> {
    pub root: &'a Path,
    pub id: &'a str,
    pub process: Process,
    /// A connection to the `--console-socket` (or to the caller's own pty relay).
    pub console: Option<OwnedFd>,
    pub pid_file: Option<&'a Path>,
    pub preserve_fds: i32,
}

/// The running exec'd process (our child) and its channel, which reports an exec
/// failure or closes on a successful exec.
pub struct Execed {
    pub pid: Pid,
    pub chan: Channel,
}

const ORDER: [LinuxNamespaceType; 8] = [
    LinuxNamespaceType::User,
    LinuxNamespaceType::Mount,
    LinuxNamespaceType::Pid,
    LinuxNamespaceType::Network,
    LinuxNamespaceType::Ipc,
    LinuxNamespaceType::Uts,
    LinuxNamespaceType::Cgroup,
    LinuxNamespaceType::Time,
];

/// The container's namespaces that differ from ours, opened now (host /proc).
fn open_namespaces(pid: i32) -> Result<Vec<(LinuxNamespaceType, OwnedFd)>> {
    let mut out = Vec::new();
    for t in ORDER {
        let theirs = format!("/proc/{pid}/ns/{}", proc_name(t));
        let ours = format!("/proc/self/ns/{}", proc_name(t));
        let (Ok(a), Ok(b)) = (std::fs::metadata(&theirs), std::fs::metadata(&ours)) else {
            continue;
        };
        if a.ino() == b.ino() && a.dev() == b.dev() {
            continue;
        }
        let f = std::fs::File::open(&theirs).ctx(|| format!("open {theirs}"))?;
        out.push((t, OwnedFd::from(f)));
    }
    Ok(out)
}

pub fn exec(o: ExecOpts<'_>) -> Result<Execed> {
    let c = load(o.root, o.id)?;
    if c.status != Status::Running {
        return Err(c.wrong_state("cannot exec in a container that is not running"));
    }
    let spec = &c.saved.spec;
    let linux = spec.linux().as_ref();
    if o.process.terminal() == Some(true) && o.console.is_none() {
        return Err(RuntimeError::InvalidConfig {
            path: "process".into(),
            msg: "terminal is true: pass --console-socket".into(),
        });
    }
    let console = o.console;
    let nss = open_namespaces(c.saved.pid)?;
    // PID and time namespaces apply to children: enter them here, before the clone.
    let mut in_child = Vec::new();
    for (t, fd) in nss {
        if matches!(t, LinuxNamespaceType::Pid | LinuxNamespaceType::Time) {
            nix::sched::setns(fd.as_fd(), clone_flag(t))
                .ctx(|| format!("join the container's {} namespace", proc_name(t)))?;
        } else {
            in_child.push((t, fd));
        }
    }
    let seccomp = linux
        .and_then(|l| l.seccomp().as_ref())
        .map(|s| crate::security::compile_cached(s, &crate::state::seccomp_cache_dir(o.root)))
        .transpose()?;
    let cg = c.cgroup();
    let (parent_chan, child_chan) = Channel::pair()?;
    let (cloned, mut join) =
        crate::process::spawn::clone_into_cgroups(0, &cg).ctx(|| "clone for exec")?;
    match cloned {
        CloneResult::Child => {
            drop(parent_chan);
            if let Some(j) = &join {
                if let Err(e) = j.join() {
                    let _ = child_chan.send(&Msg::Error(e.to_string()));
                    std::process::exit(1);
                }
            }
            let err = match exec_child(
                &child_chan,
                in_child,
                &o.process,
                seccomp,
                console,
                o.preserve_fds,
            ) {
                Ok(never) => match never {},
                Err(e) => e,
            };
            let _ = child_chan.send(&Msg::Error(err.to_string()));
            std::process::exit(1)
        }
        CloneResult::Parent(pid) => {
            drop(child_chan);
            drop(console);
            let joined = join.take().is_some();
            if let Err(e) = if joined {
                Ok(())
            } else {
                cg.add_task(pid.as_raw())
            } {
                let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGKILL);
                let _ = nix::sys::wait::waitpid(pid, None);
                return Err(e.into());
            }
            parent_chan.send(&Msg::Go)?;
            if let Err(e) = parent_chan.expect(Msg::Ready) {
                let _ = nix::sys::wait::waitpid(pid, None);
                return Err(e);
            }
            // Ready is sent just before execve; a closed channel means exec succeeded.
            if let Ok(Msg::Error(e)) = parent_chan.recv() {
                let _ = nix::sys::wait::waitpid(pid, None);
                return Err(RuntimeError::Init(e));
            }
            if let Some(p) = o.pid_file {
                super::create::write_pid_file(p, pid)?;
            }
            Ok(Execed {
                pid,
                chan: parent_chan,
            })
        }
    }
}

fn exec_child(
    chan: &Channel,
    nss: Vec<(LinuxNamespaceType, OwnedFd)>,
    process: &Process,
    seccomp: Option<crate::security::SeccompFilter>,
    console: Option<OwnedFd>,
    preserve_fds: i32,
) -> Result<std::convert::Infallible> {
    nix::sys::signal::sigprocmask(
        nix::sys::signal::SigmaskHow::SIG_SETMASK,
        Some(&nix::sys::signal::SigSet::empty()),
        None,
    )
    .ctx(|| "reset the signal mask")?;
    nix::sys::prctl::set_pdeathsig(nix::sys::signal::Signal::SIGKILL)
        .ctx(|| "set parent death signal")?;
    let _ = nix::sys::prctl::set_name(c"berth:[exec]");
    // Not dumpable while we still hold host resources: other container processes
    // cannot open our /proc entries (CVE-2019-5736 class).
    nix::sys::prctl::set_dumpable(false).ctx(|| "prctl(PR_SET_DUMPABLE)")?;
    chan.expect(Msg::Go)?;
    for (t, fd) in &nss {
        nix::sched::setns(fd.as_fd(), clone_flag(*t))
            .ctx(|| format!("join the container's {} namespace", proc_name(*t)))?;
    }
    drop(nss);
    let prepared = finish::prepare(Tail {
        process,
        seccomp,
        console,
        preserve_fds,
        init: false,
    })?;
    // The death signal guarded the setup only: it survives execve, and the process must
    // outlive whoever started it (`exec -d`, a CLI that exits), as the init does.
    nix::sys::prctl::set_pdeathsig(None).ctx(|| "clear parent death signal")?;
    chan.send(&Msg::Ready)?;
    prepared.exec(Some(chan))
}
