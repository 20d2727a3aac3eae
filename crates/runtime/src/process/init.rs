//! The container's first process, from the clone to the exec: namespaces joined,
//! hostname, rootfs, hooks, pivot_root, sysctls, masked paths, then the shared tail.
//! Runs in a single-threaded copy of the runtime; every failure goes back to the
//! runtime as a message naming the step.

use std::convert::Infallible;
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};

use nix::sys::signal::{SigSet, SigmaskHow};
use oci_spec::runtime::{LinuxNamespaceType, Spec};

use super::channel::{Channel, Msg};
use super::finish::{self, Tail};
use crate::error::{Result, RuntimeError, SysContext};
use crate::hooks::{self, Point};
use crate::namespaces::{self, Plan};
use crate::rootfs::{self, RootfsCtx};

/// How the process learns that `start` was called.
pub enum Gate {
    /// `create`: block opening the exec fifo (an O_PATH fd to it) for writing.
    Fifo(OwnedFd),
    /// `run`: none; the program starts once the runtime has the `Ready` (it saved the
    /// state before), which spares a round trip of messages, two wake-ups, per start.
    Open,
}

pub struct InitCtx<'a> {
    pub spec: &'a Spec,
    pub rootfs: &'a Path,
    pub plan: &'a Plan,
    pub chan: Channel,
    pub console: Option<OwnedFd>,
    pub gate: Gate,
    pub cgroup_sources: Vec<(String, PathBuf)>,
    /// Set when this process joins its cgroups itself.
    pub cgroup_join: Option<&'a crate::cgroups::SelfJoin>,
    pub no_pivot: bool,
    pub preserve_fds: i32,
    /// `linux.seccomp`, compiled before the clone.
    pub seccomp: Option<crate::security::SeccompFilter>,
}

/// Entry point in the child after clone. Never returns.
pub fn run(ctx: InitCtx<'_>) -> ! {
    let chan_fd = ctx.chan.as_fd().try_clone_to_owned();
    let err = match setup(ctx) {
        Ok(never) => match never {},
        Err(e) => e,
    };
    if let Ok(fd) = chan_fd {
        let chan = Channel::from_fd(fd);
        let _ = chan.send(&Msg::Error(err.to_string()));
    }
    // SAFETY-free exit without running the parent's atexit handlers or destructors.
    std::process::exit(1)
}

/// Writes `process.oomScoreAdj` to `path` (the child's own, or the runtime's view of it).
pub(crate) fn set_oom_score_adj(path: &str, adj: i32) -> Result<()> {
    std::fs::write(path, adj.to_string()).ctx(|| format!("write {adj} to {path}"))
}

fn has_ns(spec: &Spec, t: LinuxNamespaceType) -> bool {
    spec.linux()
        .iter()
        .flat_map(|l| l.namespaces().iter().flatten())
        .any(|n| n.typ() == t)
}

fn setup(ctx: InitCtx<'_>) -> Result<Infallible> {
    // The runtime may have blocked signals (to forward them); the container must not.
    nix::sys::signal::sigprocmask(SigmaskHow::SIG_SETMASK, Some(&SigSet::empty()), None)
        .ctx(|| "reset the signal mask")?;
    nix::sys::prctl::set_pdeathsig(nix::sys::signal::Signal::SIGKILL)
        .ctx(|| "set parent death signal")?;
    // So `ps` shows which stage a stuck container is in.
    let _ = nix::sys::prctl::set_name(c"berth:[init]");
    if let Some(j) = ctx.cgroup_join {
        j.join()?;
    }
    let spec = ctx.spec;
    if ctx.plan.runtime_goes_first(ctx.cgroup_join.is_some()) {
        ctx.chan.expect(Msg::Go)?;
    } else if let Some(adj) = spec.process().as_ref().and_then(|p| p.oom_score_adj()) {
        set_oom_score_adj("/proc/self/oom_score_adj", adj)?;
    }
    let linux = spec
        .linux()
        .as_ref()
        .ok_or_else(|| RuntimeError::Init("no linux section".into()))?;

    if ctx.plan.new_user() {
        // Become root of the new user namespace when root is mapped.
        let root = nix::unistd::Uid::from_raw(0);
        let groot = nix::unistd::Gid::from_raw(0);
        let _ = nix::unistd::setresgid(groot, groot, groot);
        let _ = nix::unistd::setresuid(root, root, root);
    }
    for (t, path) in &ctx.plan.join_in_child {
        namespaces::join(*t, path)?;
    }
    if ctx.plan.child_unshares() && !ctx.plan.clone_flags.is_empty() {
        nix::sched::unshare(ctx.plan.clone_flags)
            .ctx(|| "unshare namespaces in the joined user namespace")?;
    }
    if let Some(h) = spec.hostname().as_deref().filter(|h| !h.is_empty()) {
        nix::unistd::sethostname(h).ctx(|| format!("sethostname {h}"))?;
    }
    if let Some(d) = spec.domainname().as_deref().filter(|d| !d.is_empty()) {
        std::fs::write("/proc/sys/kernel/domainname", d).ctx(|| format!("setdomainname {d}"))?;
    }
    // Without a mount namespace the container shares the runtime's, which is a
    // private one (see cloned_exe): its mounts never reach the host. If the runtime
    // shares the host's, refuse rather than mount onto the host.
    let own_mount_ns = has_ns(spec, LinuxNamespaceType::Mount);
    if !own_mount_ns
        && std::fs::read_link("/proc/self/ns/mnt").ok() == std::fs::read_link("/proc/1/ns/mnt").ok()
    {
        return Err(RuntimeError::InvalidConfig {
            path: "config.json".into(),
            msg: "field linux.namespaces: without a mount namespace the rootfs would be mounted in the host's; add {\"type\": \"mount\"}".to_string(),
        });
    }
    let in_userns = has_ns(spec, LinuxNamespaceType::User);
    let new_cgroupns = ctx
        .plan
        .clone_flags
        .contains(nix::sched::CloneFlags::CLONE_NEWCGROUP);
    let rctx = RootfsCtx {
        sys: &crate::sys::mount::Linux,
        spec,
        rootfs: ctx.rootfs,
        in_userns,
        new_cgroupns,
        cgroup_sources: &ctx.cgroup_sources,
    };
    rootfs::prepare(&rctx)?;

    // With no hook to run, the runtime expects no request (it decides the same way).
    let state = if hooks::during_create(spec.hooks().as_ref()) {
        ctx.chan.send(&Msg::HooksRequest)?;
        match ctx.chan.recv()? {
            Msg::HooksDone(state) => state,
            Msg::Error(e) => return Err(RuntimeError::Init(e)),
            other => return Err(RuntimeError::Init(format!("protocol error: got {other:?}"))),
        }
    } else {
        String::new()
    };
    hooks::run(
        spec.hooks().as_ref(),
        Point::CreateContainer,
        state.as_bytes(),
    )?;

    if own_mount_ns {
        rootfs::enter(ctx.rootfs, ctx.no_pivot)?;
    } else {
        // pivot_root or MS_MOVE would change `/` for the runtime too.
        rootfs::chroot_into(ctx.rootfs)?;
    }
    for (key, value) in linux.sysctl().iter().flatten() {
        let path = format!("/proc/sys/{}", key.replace('.', "/"));
        std::fs::write(&path, value).ctx(|| format!("set sysctl {key}={value}"))?;
    }
    rootfs::finalize(&crate::sys::mount::Linux, spec)?;

    let process = spec
        .process()
        .as_ref()
        .ok_or_else(|| RuntimeError::Init("no process".into()))?;
    let prepared = finish::prepare(Tail {
        process,
        seccomp: ctx.seccomp,
        console: ctx.console,
        preserve_fds: ctx.preserve_fds,
        init: spec
            .annotations()
            .as_ref()
            .and_then(|a| a.get(crate::process::reaper::ANNOTATION))
            .is_some_and(|v| v == "true"),
    })?;

    // Created: the runtime may leave now; we wait for `start`.
    nix::sys::prctl::set_pdeathsig(None).ctx(|| "clear parent death signal")?;
    ctx.chan.send(&Msg::Ready)?;
    // For `create`, the fifo stays open (close-on-exec) until execve: `start` sees
    // EOF once the program runs, and only then runs the poststart hooks.
    let _fifo = match ctx.gate {
        Gate::Fifo(fd) => {
            let path = format!("/proc/self/fd/{}", std::os::fd::AsRawFd::as_raw_fd(&fd));
            // Blocks until `start` opens the fifo for reading.
            let mut fifo = std::fs::OpenOptions::new()
                .write(true)
                .open(&path)
                .ctx(|| "open exec fifo")?;
            std::io::Write::write_all(&mut fifo, b"0").ctx(|| "write exec fifo")?;
            Some(fifo)
        }
        Gate::Open => None,
    };
    hooks::run(
        spec.hooks().as_ref(),
        Point::StartContainer,
        state.as_bytes(),
    )?;
    prepared.exec(Some(&ctx.chan))
}
