//! Reading a container back: its recorded state, its live status, and the commands
//! that only look or adjust (state, list, ps, pause, resume, update, stats).

use std::path::Path;

use oci_spec::runtime::LinuxResources;

use crate::cgroups::{Manager, Stats};
use crate::error::{Result, RuntimeError};
use crate::state::{self, ContainerDir, Saved, StateView, Status};

/// A container's directory (locked), what it recorded, and its status now.
pub struct Loaded {
    pub dir: ContainerDir,
    pub saved: Saved,
    pub status: Status,
}

impl Loaded {
    pub fn cgroup(&self) -> Manager {
        Manager::from_paths(self.saved.cgroups.clone())
    }

    pub fn hook_state(&self) -> Vec<u8> {
        let alive = self.status != Status::Stopped;
        let hs = state::HookState {
            oci_version: self.saved.spec.version(),
            id: &self.saved.id,
            status: self.status,
            pid: alive.then_some(self.saved.pid),
            bundle: &self.saved.bundle,
            annotations: &self.saved.annotations,
        };
        serde_json::to_vec(&hs).unwrap_or_default()
    }

    pub fn wrong_state(&self, what: &str) -> RuntimeError {
        RuntimeError::WrongState {
            id: self.saved.id.clone(),
            status: self.status.to_string(),
            what: what.to_string(),
        }
    }
}

fn status_of(dir: &ContainerDir, saved: &Saved) -> Status {
    if !state::is_alive(saved.pid, saved.pid_start) {
        return Status::Stopped;
    }
    if dir.fifo().exists() {
        return Status::Created;
    }
    if Manager::from_paths(saved.cgroups.clone())
        .is_frozen()
        .unwrap_or(false)
    {
        return Status::Paused;
    }
    Status::Running
}

/// Opens, locks and reads a container.
pub fn load(root: &Path, id: &str) -> Result<Loaded> {
    let dir = ContainerDir::open(root, id)?;
    let saved = dir.load()?;
    let status = status_of(&dir, &saved);
    Ok(Loaded { dir, saved, status })
}

/// The JSON of `state`, as runc prints it.
pub fn state_json(c: &Loaded) -> Result<String> {
    let pid = if c.status == Status::Stopped {
        0
    } else {
        c.saved.pid
    };
    let view = StateView {
        oci_version: c.saved.spec.version(),
        id: &c.saved.id,
        pid,
        status: c.status,
        bundle: &c.saved.bundle,
        rootfs: &c.saved.rootfs,
        created: &c.saved.created,
        owner: &c.saved.owner,
        annotations: &c.saved.annotations,
    };
    serde_json::to_string_pretty(&view).map_err(|e| RuntimeError::Init(e.to_string()))
}

/// Every container under `root` with its status.
pub fn list(root: &Path) -> Result<Vec<Loaded>> {
    let mut out = Vec::new();
    for id in state::list(root)? {
        match load(root, &id) {
            Ok(c) => out.push(c),
            Err(RuntimeError::NotFound(_)) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(out)
}

pub fn pids(c: &Loaded) -> Result<Vec<i32>> {
    Ok(c.cgroup().pids()?)
}

pub fn pause(c: &Loaded) -> Result<()> {
    if c.status != Status::Running {
        return Err(c.wrong_state("only a running container can be paused"));
    }
    Ok(c.cgroup().freeze()?)
}

pub fn resume(c: &Loaded) -> Result<()> {
    if c.status != Status::Paused {
        return Err(c.wrong_state("only a paused container can be resumed"));
    }
    Ok(c.cgroup().thaw()?)
}

/// Applies new resource limits to a live container and records them.
pub fn update(c: &mut Loaded, r: &LinuxResources) -> Result<()> {
    if c.status == Status::Stopped {
        return Err(c.wrong_state("cannot update a stopped container"));
    }
    c.cgroup().apply(r)?;
    if let Some(linux) = c.saved.spec.linux_mut() {
        linux.set_resources(Some(r.clone()));
    }
    c.dir.save(&c.saved)
}

/// Whether the kernel's OOM killer killed any of the container's processes; readable
/// after it stopped too, until `delete` removes its cgroups.
pub fn oom_killed(c: &Loaded) -> Result<bool> {
    Ok(c.cgroup().oom_kills()? > 0)
}

pub fn stats(c: &Loaded) -> Result<Stats> {
    if c.status == Status::Stopped {
        return Err(c.wrong_state("a stopped container has no stats"));
    }
    Ok(c.cgroup().stats()?)
}
