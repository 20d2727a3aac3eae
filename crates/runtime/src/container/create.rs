//! `create`: everything up to a process waiting for `start`. On any failure nothing is
//! left behind: no state directory, cgroup, or process.

use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};

use nix::sys::stat::Mode;
use nix::unistd::Pid;

use crate::cgroups::{self, Manager};
use crate::error::{Result, RuntimeError, SysContext};
use crate::hooks::{self, Point};
use crate::namespaces::{self, Plan};
use crate::process::channel::{Channel, Msg};
use crate::process::init::{self, Gate, InitCtx};
use crate::security;
use crate::spec::Bundle;
use crate::state::{self, ContainerDir, HookState, Saved, Status};
use crate::sys::CloneResult;

pub struct CreateOpts<'a> {
    pub root: &'a Path,
    pub id: &'a str,
    pub bundle: Bundle,
    /// A connection to the `--console-socket` (or to the caller's own pty relay).
    pub console: Option<OwnedFd>,
    pub pid_file: Option<&'a Path>,
    pub no_pivot: bool,
    pub preserve_fds: i32,
    /// `run`: the process waits for a message instead of the exec fifo.
    pub for_run: bool,
}

/// A created container, for `run` to start at once.
pub struct Created {
    pub dir: ContainerDir,
    pub saved: Saved,
    pub chan: Channel,
    pub pid: Pid,
}

/// Undoes a half-made container: kill the process, remove its cgroups and directory.
struct Cleanup<'a> {
    dir: Option<ContainerDir>,
    cgroup: Option<&'a Manager>,
    pid: Option<Pid>,
}

impl Drop for Cleanup<'_> {
    fn drop(&mut self) {
        if let Some(pid) = self.pid.take() {
            let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGKILL);
            let _ = nix::sys::wait::waitpid(pid, None);
        }
        if let Some(cg) = self.cgroup.take() {
            if let Err(e) = cg.destroy() {
                tracing::warn!("cleanup after a failed create: {e}");
            }
        }
        if let Some(dir) = self.dir.take() {
            let _ = dir.remove();
        }
    }
}

pub fn create(o: CreateOpts<'_>) -> Result<Created> {
    let spec = &o.bundle.spec;
    let linux = spec
        .linux()
        .as_ref()
        .ok_or_else(|| RuntimeError::Init("no linux section".into()))?;
    let process = spec
        .process()
        .as_ref()
        .ok_or_else(|| RuntimeError::Init("no process".into()))?;
    security::lsm::check_labels(
        process.apparmor_profile().as_deref(),
        process.selinux_label().as_deref(),
        linux.mount_label().as_deref(),
    )?;
    // Compiled here, once, rather than in the init after the clone: from the cache under
    // the state root on every start but the first.
    let seccomp = linux
        .seccomp()
        .as_ref()
        .map(|s| security::compile_cached(s, &state::seccomp_cache_dir(o.root)))
        .transpose()?;
    let plan = Plan::new(linux)?;
    if process.terminal() == Some(true) && o.console.is_none() {
        return Err(RuntimeError::InvalidConfig {
            path: o.bundle.dir.join("config.json"),
            msg: "process.terminal is true: pass --console-socket, or set terminal to false".into(),
        });
    }
    let console = o.console;

    let hierarchy = cgroups::detect()?;
    let mut cg = Manager::new(&hierarchy, linux.cgroups_path().as_deref(), o.id)?;
    let dir = ContainerDir::create(o.root, o.id)?;
    let mut cleanup = Cleanup {
        dir: Some(dir),
        cgroup: None,
        pid: None,
    };
    cg.create()?;
    cleanup.cgroup = Some(&cg);
    let mut resources = linux.resources().clone().unwrap_or_default();
    let mut rules = resources.devices().clone().unwrap_or_default();
    rules.extend(crate::rootfs::devices::default_cgroup_rules(
        linux.devices().as_deref().unwrap_or_default(),
    ));
    resources.set_devices(Some(rules));
    cg.apply(&resources)?;

    let gate = if o.for_run {
        Gate::Open
    } else {
        let dir_path = cleanup.dir.as_ref().map(|d| d.fifo()).unwrap_or_default();
        nix::unistd::mkfifo(&dir_path, Mode::from_bits_truncate(0o622))
            .ctx(|| format!("mkfifo {}", dir_path.display()))?;
        // Not through the umask: an init whose root maps to a host uid other than ours (a
        // user namespace) opens the fifo for writing as "other".
        std::fs::set_permissions(
            &dir_path,
            std::os::unix::fs::PermissionsExt::from_mode(0o622),
        )
        .ctx(|| format!("chmod {}", dir_path.display()))?;
        let fd = nix::fcntl::open(
            &dir_path,
            nix::fcntl::OFlag::O_PATH | nix::fcntl::OFlag::O_CLOEXEC,
            Mode::empty(),
        )
        .ctx(|| "open exec fifo")?;
        Gate::Fifo(crate::sys::adopt(fd))
    };

    // PID and time namespaces apply to children: the runtime enters them itself.
    for (t, path) in &plan.join_before {
        namespaces::join(*t, path)?;
    }
    if plan.new_time {
        namespaces::new_time_for_children(linux)?;
    }

    let (parent_chan, child_chan) = Channel::pair()?;
    let flags = if plan.child_unshares() {
        0
    } else {
        plan.clone_flags.bits() as u64
    };
    // The child joins its cgroups itself (see cgroups::join); the runtime writes the
    // pid only if that is not possible here.
    let (cloned, join) = crate::process::spawn::clone_into_cgroups(flags, &cg)
        .ctx(|| format!("clone with namespaces {:?}", plan.clone_flags))?;
    let pid = match cloned {
        CloneResult::Child => {
            drop(parent_chan);
            init::run(InitCtx {
                spec,
                rootfs: &o.bundle.rootfs,
                plan: &plan,
                chan: child_chan,
                console,
                gate,
                cgroup_sources: cg.mount_sources(),
                cgroup_join: join.as_ref(),
                no_pivot: o.no_pivot,
                preserve_fds: o.preserve_fds,
                seccomp,
            })
        }
        CloneResult::Parent(pid) => pid,
    };
    drop(child_chan);
    drop(console);
    drop(gate);
    cleanup.pid = Some(pid);

    if plan.runtime_goes_first(join.is_some()) {
        if plan.new_user() {
            namespaces::write_id_maps(pid, linux)?;
        }
        if join.is_none() {
            cg.add_task(pid.as_raw())?;
        }
        if let Some(adj) = process.oom_score_adj() {
            crate::process::init::set_oom_score_adj(&format!("/proc/{pid}/oom_score_adj"), adj)?;
        }
        parent_chan.send(&Msg::Go)?;
    }
    drop(join);

    let pid_start = state::proc_stat(pid.as_raw()).map(|(s, _)| s).unwrap_or(0);
    let saved = Saved {
        id: o.id.to_string(),
        pid: pid.as_raw(),
        pid_start,
        bundle: o.bundle.dir.clone(),
        rootfs: o.bundle.rootfs.clone(),
        created: state::rfc3339_now(),
        annotations: spec.annotations().clone().unwrap_or_default(),
        cgroups: cg.paths().clone(),
        spec: spec.clone(),
        owner: String::new(),
    };

    // `cleanup` holds the directory until the end, to remove it on a failure.
    let lost = || RuntimeError::Init("state directory lost".into());
    // Written while the init prepares the rootfs on the other CPU; a failure from here
    // on removes the directory, state and all.
    cleanup.dir.as_ref().ok_or_else(lost)?.save(&saved)?;

    // The init asks for the hook state only when there are hooks (hooks::during_create).
    if hooks::during_create(spec.hooks().as_ref()) {
        parent_chan.expect(Msg::HooksRequest)?;
        let hook_state = |status| {
            serde_json::to_string(&HookState {
                oci_version: spec.version(),
                id: o.id,
                status,
                pid: Some(pid.as_raw()),
                bundle: &o.bundle.dir,
                annotations: &saved.annotations,
            })
            .unwrap_or_default()
        };
        // crun gives prestart/createRuntime hooks "created" (runc "creating"); the
        // conformance suite expects "created".
        let created = hook_state(Status::Created);
        let hook_result = hooks::run(spec.hooks().as_ref(), Point::Prestart, created.as_bytes())
            .and_then(|()| {
                hooks::run(
                    spec.hooks().as_ref(),
                    Point::CreateRuntime,
                    created.as_bytes(),
                )
            });
        if let Err(e) = hook_result {
            let _ = parent_chan.send(&Msg::Error(e.to_string()));
            return Err(e);
        }
        parent_chan.send(&Msg::HooksDone(hook_state(Status::Created)))?;
    }
    parent_chan.expect(Msg::Ready)?;

    let dir = cleanup.dir.take().ok_or_else(lost)?;
    if let Some(p) = o.pid_file {
        write_pid_file(p, pid)?;
    }
    cleanup.pid = None;
    cleanup.cgroup = None;
    Ok(Created {
        dir,
        saved,
        chan: parent_chan,
        pid,
    })
}

/// Writes the pid file atomically, as runc does.
pub fn write_pid_file(path: &Path, pid: Pid) -> Result<()> {
    let path: PathBuf = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let tmp = path.with_file_name(format!(
        ".{}.tmp",
        path.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    ));
    std::fs::write(&tmp, pid.to_string()).map_err(|e| RuntimeError::Write {
        path: tmp.clone(),
        source: e,
    })?;
    std::fs::rename(&tmp, &path).map_err(|e| RuntimeError::Write { path, source: e })
}
