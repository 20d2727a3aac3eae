//! The `Manager`: the container's cgroup directories in every hierarchy and the operations
//! on them. Version branches live here and in the controller files, never at call sites.

use std::collections::BTreeSet;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::time::Duration;

use oci_spec::runtime::{LinuxBlockIo, LinuxMemory, LinuxResources};
use serde::{Deserialize, Serialize};

use super::detect::{CgroupSetup, Hierarchy};
use super::error::CgroupError;
use super::stats::Stats;
use super::{fs, path, v1, v2};

/// The container's directory in one hierarchy.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct CgroupDir {
    /// Absolute host path, e.g. /sys/fs/cgroup/memory/berth/<id>.
    pub path: PathBuf,
    /// Directories `create` made for it, outermost first; the last is `path` when berth owns
    /// it. Empty when an existing cgroup was joined.
    #[serde(default)]
    pub created: Vec<PathBuf>,
}

impl CgroupDir {
    fn new(path: PathBuf) -> Self {
        CgroupDir {
            path,
            created: Vec::new(),
        }
    }

    /// Whether berth created the container's directory (and so may remove it).
    pub fn owned(&self) -> bool {
        self.created.last() == Some(&self.path)
    }
}

/// One v1 hierarchy the container is in.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct V1Hierarchy {
    /// Controllers of the hierarchy, e.g. ["cpu", "cpuacct"].
    pub controllers: Vec<String>,
    /// The hierarchy's name under /sys/fs/cgroup ("memory", "cpu,cpuacct").
    pub subsystem: String,
    pub dir: CgroupDir,
}

/// Everything needed to find the container's cgroups again (stored in the state file).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct CgroupPaths {
    pub setup: CgroupSetup,
    #[serde(default)]
    pub v1: Vec<V1Hierarchy>,
    /// The container's cgroup2 directory (on hybrid hosts too, where it only groups processes).
    #[serde(default)]
    pub unified: Option<CgroupDir>,
}

/// The container's cgroups.
#[derive(Clone, Debug)]
pub struct Manager {
    paths: CgroupPaths,
    /// The path is berth's default `/berth/<id>`: the `/berth` parent is berth's own, so
    /// the last container to leave removes it (whichever container made it).
    berth_parent: bool,
}

/// Which directory serves a controller.
enum Place<'a> {
    V1(&'a Path),
    V2(&'a Path),
}

fn memory_is_set(m: &LinuxMemory) -> bool {
    m.limit().is_some()
        || m.reservation().is_some()
        || m.swap().is_some()
        || m.swappiness().is_some()
        || m.disable_oom_killer().is_some()
}

fn blkio_is_set(b: &LinuxBlockIo) -> bool {
    b.weight().is_some()
        || b.leaf_weight().is_some()
        || b.weight_device().as_ref().is_some_and(|v| !v.is_empty())
        || b.throttle_read_bps_device()
            .as_ref()
            .is_some_and(|v| !v.is_empty())
        || b.throttle_write_bps_device()
            .as_ref()
            .is_some_and(|v| !v.is_empty())
        || b.throttle_read_iops_device()
            .as_ref()
            .is_some_and(|v| !v.is_empty())
        || b.throttle_write_iops_device()
            .as_ref()
            .is_some_and(|v| !v.is_empty())
}

/// A key of `linux.resources.unified` must be a plain file name of the cgroup directory.
fn check_unified_key(key: &str) -> Result<(), CgroupError> {
    if key.is_empty()
        || key.contains('/')
        || key.starts_with('.')
        || key == "cgroup.procs"
        || key == "cgroup.threads"
    {
        return Err(CgroupError::InvalidValue {
            resource: "linux.resources.unified",
            reason: format!("{key:?} is not a cgroup interface file name berth will write"),
        });
    }
    Ok(())
}

/// mkdir -p `dir`, returning the directories this call created, outermost first.
/// A parent removed between our check and our mkdir (another runtime deleting the
/// last container under the shared `/berth`) is made again.
fn mkdir_p(dir: &Path, created: &mut Vec<PathBuf>) -> Result<(), CgroupError> {
    const ATTEMPTS: usize = 5;
    // Most often only the leaf is missing (other containers keep `/berth`): one mkdir.
    match std::fs::create_dir(dir) {
        Ok(()) => {
            created.push(dir.to_path_buf());
            return Ok(());
        }
        Err(e) if e.kind() == ErrorKind::AlreadyExists => return Ok(()),
        Err(e) if e.kind() == ErrorKind::NotFound => {}
        Err(source) => {
            return Err(CgroupError::Create {
                path: dir.to_path_buf(),
                source,
            })
        }
    }
    let mut attempt = 0;
    'again: loop {
        attempt += 1;
        let mut missing = Vec::new();
        let mut p = dir;
        while !p.exists() {
            missing.push(p.to_path_buf());
            match p.parent() {
                Some(parent) => p = parent,
                None => break,
            }
        }
        for d in missing.into_iter().rev() {
            match std::fs::create_dir(&d) {
                Ok(()) => created.push(d),
                // Made concurrently by someone else (another container under /berth): joined, not ours.
                Err(e) if e.kind() == ErrorKind::AlreadyExists => {}
                Err(e) if e.kind() == ErrorKind::NotFound && attempt < ATTEMPTS => {
                    created.retain(|c| c.exists());
                    continue 'again;
                }
                Err(source) => return Err(CgroupError::Create { path: d, source }),
            }
        }
        return Ok(());
    }
}

/// Enable in `parent`'s cgroup.subtree_control every controller it offers and has not enabled.
fn enable_controllers(parent: &Path) -> Result<(), CgroupError> {
    if !fs::exists(parent, "cgroup.controllers") {
        return Ok(());
    }
    let available = fs::read(parent, "cgroup.controllers")?;
    let enabled = fs::read(parent, "cgroup.subtree_control")?;
    let enabled: BTreeSet<&str> = enabled.split_whitespace().collect();
    for c in available
        .split_whitespace()
        .filter(|c| !enabled.contains(c))
    {
        fs::write_hint(
            parent,
            "cgroup.subtree_control",
            &format!("+{c}"),
            " (EBUSY: the parent has processes of its own — cgroup v2's no-internal-process rule; use an absolute cgroupsPath or move them out)",
        )?;
    }
    Ok(())
}

/// Remove `dir`'s sub-cgroups (made by the container itself), deepest first.
fn remove_children(dir: &Path) -> Result<(), CgroupError> {
    let rd = match std::fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(()),
        Err(source) => {
            return Err(CgroupError::ListDir {
                path: dir.into(),
                source,
            })
        }
    };
    for e in rd.flatten() {
        if e.file_type().map(|t| t.is_dir()).unwrap_or(false) {
            let p = e.path();
            remove_children(&p)?;
            rmdir_retry(&p)?;
        }
    }
    Ok(())
}

/// rmdir, retrying EBUSY for ~100 ms (tasks just killed leave the cgroup asynchronously).
fn rmdir_retry(dir: &Path) -> Result<(), CgroupError> {
    let mut last = None;
    for _ in 0..10 {
        match std::fs::remove_dir(dir) {
            Ok(()) => return Ok(()),
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(()),
            Err(e) if e.raw_os_error() == Some(libc::EBUSY) => {
                last = Some(e);
                std::thread::sleep(Duration::from_millis(10));
            }
            Err(source) => {
                return Err(CgroupError::Remove {
                    path: dir.into(),
                    source,
                    hint: "",
                })
            }
        }
    }
    Err(CgroupError::Remove {
        path: dir.into(),
        source: last.unwrap_or_else(|| std::io::Error::from_raw_os_error(libc::EBUSY)),
        hint:
            " (processes are still in the cgroup: kill them first; berth never kills from destroy)",
    })
}

/// Every pid in `dir` and its sub-cgroups.
fn pids_recursive(dir: &Path, out: &mut BTreeSet<i32>) -> Result<(), CgroupError> {
    out.extend(fs::read_procs(dir)?);
    let rd = std::fs::read_dir(dir).map_err(|source| CgroupError::ListDir {
        path: dir.into(),
        source,
    })?;
    for e in rd.flatten() {
        if e.file_type().map(|t| t.is_dir()).unwrap_or(false) {
            pids_recursive(&e.path(), out)?;
        }
    }
    Ok(())
}

impl Manager {
    /// `cgroups_path` is the spec's linux.cgroupsPath. Absolute: from each hierarchy's root.
    /// Relative: under the caller's own cgroup of that hierarchy (runc semantics).
    /// None/empty: "/berth/<container_id>". ".." escaping the start is rejected.
    /// Nothing is touched on disk.
    pub fn new(
        h: &Hierarchy,
        cgroups_path: Option<&Path>,
        container_id: &str,
    ) -> Result<Manager, CgroupError> {
        let target = path::resolve(cgroups_path, container_id)?;
        let mut v1s = Vec::new();
        for m in &h.v1 {
            let dir = path::host_dir(&target, &m.mount_point, &m.root, &m.own_cgroup)?;
            let subsystem = m
                .mount_point
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| m.controllers.join(","));
            v1s.push(V1Hierarchy {
                controllers: m.controllers.clone(),
                subsystem,
                dir: CgroupDir::new(dir),
            });
        }
        let unified = match &h.unified {
            Some(u) => Some(CgroupDir::new(path::host_dir(
                &target,
                &u.mount_point,
                &u.root,
                &u.own_cgroup,
            )?)),
            None => None,
        };
        Ok(Manager {
            paths: CgroupPaths {
                setup: h.setup,
                v1: v1s,
                unified,
            },
            // The default, or the engine's `/berth/<id>` (Docker's `/docker/<id>`).
            berth_parent: cgroups_path.is_none_or(|p| {
                p.as_os_str().is_empty() || p.parent() == Some(Path::new("/berth"))
            }),
        })
    }

    /// Re-open a container's cgroups from its state file.
    pub fn from_paths(p: CgroupPaths) -> Manager {
        Manager {
            paths: p,
            berth_parent: false,
        }
    }

    pub fn paths(&self) -> &CgroupPaths {
        &self.paths
    }

    /// Every distinct directory of the container (co-mounted hierarchies share one), v1 first.
    fn dirs(&self) -> Vec<&CgroupDir> {
        let mut seen = BTreeSet::new();
        self.paths
            .v1
            .iter()
            .map(|h| &h.dir)
            .chain(self.paths.unified.iter())
            .filter(|d| seen.insert(d.path.clone()))
            .collect()
    }

    fn v1_dir(&self, controller: &str) -> Option<&Path> {
        self.paths
            .v1
            .iter()
            .find(|h| h.controllers.iter().any(|c| c == controller))
            .map(|h| h.dir.path.as_path())
    }

    fn unified_dir(&self) -> Option<&Path> {
        self.paths.unified.as_ref().map(|d| d.path.as_path())
    }

    /// The directory serving `controller` (v1 name); an error naming `resource` if none.
    fn place(
        &self,
        controller: &'static str,
        resource: &'static str,
    ) -> Result<Place<'_>, CgroupError> {
        let found = if self.paths.setup == CgroupSetup::Unified {
            self.unified_dir().map(Place::V2)
        } else {
            self.v1_dir(controller).map(Place::V1)
        };
        found.ok_or(CgroupError::ControllerMissing {
            controller,
            resource,
            hint: "",
        })
    }

    /// mkdir -p the container's directory in every hierarchy (v1 controllers and the cgroup2
    /// mount; not name=systemd). Existing directories are joined, not owned. New v1 cpuset
    /// dirs get their parent's cpus/mems; on unified hosts the parents of new dirs get their
    /// controllers enabled. On error, what was made so far is recorded: call `destroy`.
    pub fn create(&mut self) -> Result<(), CgroupError> {
        let unified_setup = self.paths.setup == CgroupSetup::Unified;
        for h in &mut self.paths.v1 {
            let mut created = Vec::new();
            let r = mkdir_p(&h.dir.path, &mut created);
            h.dir.created.extend(created.iter().cloned());
            claim_berth_parent(self.berth_parent, &mut h.dir);
            r?;
            if h.controllers.iter().any(|c| c == "cpuset") {
                for d in &created {
                    v1::cpuset::init_from_parent(d)?;
                }
            }
        }
        if let Some(u) = &mut self.paths.unified {
            let mut created = Vec::new();
            let r = mkdir_p(&u.path, &mut created);
            u.created.extend(created.iter().cloned());
            claim_berth_parent(self.berth_parent, u);
            r?;
            if unified_setup {
                for d in &created {
                    if let Some(parent) = d.parent() {
                        enable_controllers(parent)?;
                    }
                }
            }
        }
        Ok(())
    }

    /// Write every resource of `r`. A resource whose controller or file is missing on this
    /// host is an error naming it; absent values are never an error. Also serves `update`.
    pub fn apply(&self, r: &LinuxResources) -> Result<(), CgroupError> {
        if let Some(m) = r.memory().as_ref().filter(|m| memory_is_set(m)) {
            match self.place("memory", "linux.resources.memory")? {
                Place::V1(d) => v1::memory::apply(d, m)?,
                Place::V2(d) => v2::memory::apply(d, m)?,
            }
        }
        if let Some(c) = r.cpu() {
            let cpus = c.cpus().as_deref().filter(|s| !s.is_empty());
            let mems = c.mems().as_deref().filter(|s| !s.is_empty());
            if cpus.is_some() || mems.is_some() {
                match self.place("cpuset", "linux.resources.cpu.cpus/mems")? {
                    Place::V1(d) => v1::cpuset::apply(d, cpus, mems)?,
                    Place::V2(d) => v2::cpuset::apply(d, cpus, mems)?,
                }
            }
            if v1::cpu::wants_cpu(c) {
                match self.place("cpu", "linux.resources.cpu")? {
                    Place::V1(d) => v1::cpu::apply(d, c)?,
                    Place::V2(d) => v2::cpu::apply(d, c)?,
                }
            }
        }
        if let Some(p) = r.pids() {
            match self.place("pids", "linux.resources.pids")? {
                Place::V1(d) => v1::pids::apply(d, p)?,
                Place::V2(d) => v2::pids::apply(d, p)?,
            }
        }
        if let Some(b) = r.block_io().as_ref().filter(|b| blkio_is_set(b)) {
            match self.place("blkio", "linux.resources.blockIO")? {
                Place::V1(d) => v1::blkio::apply(d, b)?,
                Place::V2(d) => v2::io::apply(d, b)?,
            }
        }
        if let Some(h) = r.hugepage_limits().as_ref().filter(|h| !h.is_empty()) {
            match self.place("hugetlb", "linux.resources.hugepageLimits")? {
                Place::V1(d) => v1::hugetlb::apply(d, h)?,
                Place::V2(d) => v2::hugetlb::apply(d, h)?,
            }
        }
        if let Some(n) = r.network() {
            if n.class_id().is_some() || n.priorities().as_ref().is_some_and(|p| !p.is_empty()) {
                return Err(CgroupError::ControllerMissing {
                    controller: "net_cls/net_prio",
                    resource: "linux.resources.network",
                    hint: " (berth does not manage net_cls/net_prio; remove the field)",
                });
            }
        }
        if r.rdma().as_ref().is_some_and(|m| !m.is_empty()) {
            tracing::warn!(
                "linux.resources.rdma is ignored: berth does not manage the rdma controller"
            );
        }
        if let Some(u) = r.unified().as_ref().filter(|u| !u.is_empty()) {
            let dir = match (self.paths.setup, self.unified_dir()) {
                (CgroupSetup::Unified, Some(d)) => d,
                _ => {
                    return Err(CgroupError::ControllerMissing {
                        controller: "cgroup v2",
                        resource: "linux.resources.unified",
                        hint: " (this host runs cgroup v1 controllers; express the limits in the v1 fields)",
                    })
                }
            };
            let mut keys: Vec<_> = u.iter().collect();
            keys.sort();
            for (k, v) in keys {
                check_unified_key(k)?;
                fs::write(dir, k, v)?;
            }
        }
        // Devices last: a bad earlier limit must not leave the container with no devices.
        if let Some(devs) = r.devices() {
            match self.place("devices", "linux.resources.devices")? {
                Place::V1(d) => v1::devices::apply(d, devs)?,
                Place::V2(d) => v2::devices::apply(d, devs)?,
            }
        }
        Ok(())
    }

    /// Move `pid` (the whole process) into the container's cgroup in every hierarchy.
    pub fn add_task(&self, pid: i32) -> Result<(), CgroupError> {
        for d in self.dirs() {
            let path = d.path.join("cgroup.procs");
            let r = std::fs::OpenOptions::new()
                .write(true)
                .open(&path)
                .and_then(|mut f| std::io::Write::write_all(&mut f, pid.to_string().as_bytes()));
            if let Err(source) = r {
                let hint = match source.raw_os_error() {
                    Some(libc::ENOSPC) => " (v1 cpuset: cpuset.cpus or cpuset.mems of the cgroup is empty)",
                    Some(libc::EBUSY) => " (cgroup v2: the cgroup has sub-cgroups with controllers enabled — no-internal-process rule)",
                    Some(libc::ESRCH) => " (the process has already exited)",
                    Some(libc::ENOENT) => " (the cgroup does not exist: call create first)",
                    _ => "",
                };
                return Err(CgroupError::AddTask {
                    pid,
                    path,
                    source,
                    hint,
                });
            }
        }
        Ok(())
    }

    /// The directory used for freezing, with whether it is v2.
    fn freezer(&self) -> Result<Place<'_>, CgroupError> {
        match (self.paths.setup, self.v1_dir("freezer"), self.unified_dir()) {
            (CgroupSetup::Unified, _, Some(u)) => Ok(Place::V2(u)),
            (_, Some(f), _) => Ok(Place::V1(f)),
            (_, None, Some(u)) => Ok(Place::V2(u)),
            _ => Err(CgroupError::ControllerMissing {
                controller: "freezer",
                resource: "pause",
                hint: "",
            }),
        }
    }

    /// Freeze every process; returns once the kernel reports the cgroup frozen.
    pub fn freeze(&self) -> Result<(), CgroupError> {
        match self.freezer()? {
            Place::V1(d) => v1::freezer::freeze(d),
            Place::V2(d) => v2::freeze::freeze(d),
        }
    }

    pub fn thaw(&self) -> Result<(), CgroupError> {
        match self.freezer()? {
            Place::V1(d) => v1::freezer::thaw(d),
            Place::V2(d) => v2::freeze::thaw(d),
        }
    }

    pub fn is_frozen(&self) -> Result<bool, CgroupError> {
        match self.freezer()? {
            Place::V1(d) => v1::freezer::is_frozen(d),
            Place::V2(d) => v2::freeze::is_frozen(d),
        }
    }

    /// Every pid in the container's cgroup and its sub-cgroups, sorted.
    pub fn pids(&self) -> Result<Vec<i32>, CgroupError> {
        let dir = if self.paths.setup == CgroupSetup::Unified {
            self.unified_dir()
        } else {
            ["pids", "freezer", "memory"]
                .iter()
                .find_map(|c| self.v1_dir(c))
                .or_else(|| self.paths.v1.first().map(|h| h.dir.path.as_path()))
                .or_else(|| self.unified_dir())
        };
        let dir = dir.ok_or(CgroupError::ControllerMissing {
            controller: "any",
            resource: "pids",
            hint: "",
        })?;
        let mut out = BTreeSet::new();
        pids_recursive(dir, &mut out)?;
        Ok(out.into_iter().collect())
    }

    /// How many of the cgroup's processes the kernel's OOM killer has killed: the
    /// `oom_kill` line of `memory.oom_control` (v1) or `memory.events` (cgroup2). 0 when
    /// there is no memory controller or the kernel does not count (v1 before 4.13).
    pub fn oom_kills(&self) -> Result<u64, CgroupError> {
        let (dir, file) = match self.place("memory", "memory.oom_control") {
            Ok(Place::V1(d)) => (d, "memory.oom_control"),
            Ok(Place::V2(d)) => (d, "memory.events"),
            Err(_) => return Ok(0),
        };
        if !fs::exists(dir, file) {
            return Ok(0);
        }
        let text = fs::read(dir, file)?;
        Ok(text
            .lines()
            .find_map(|l| l.strip_prefix("oom_kill "))
            .and_then(|n| n.trim().parse().ok())
            .unwrap_or(0))
    }

    /// Statistics read from the files the limits were written to (runc `events --stats`).
    pub fn stats(&self) -> Result<Stats, CgroupError> {
        let mut s = Stats::default();
        if self.paths.setup == CgroupSetup::Unified {
            let Some(d) = self.unified_dir() else {
                return Ok(s);
            };
            if fs::exists(d, "cpu.stat") {
                v2::cpu::stats(d, &mut s.cpu)?;
            }
            if fs::exists(d, "memory.current") {
                v2::memory::stats(d, &mut s.memory)?;
            }
            if fs::exists(d, "pids.current") {
                v2::pids::stats(d, &mut s.pids)?;
            }
            v2::io::stats(d, &mut s.blkio)?;
            v2::cpuset::stats(d, &mut s.cpuset)?;
            v2::hugetlb::stats(d, &mut s.hugetlb)?;
            return Ok(s);
        }
        if let Some(d) = self.v1_dir("cpuacct") {
            v1::cpuacct::stats(d, &mut s.cpu.usage)?;
        }
        if let Some(d) = self.v1_dir("cpu") {
            v1::cpu::stats(d, &mut s.cpu.throttling)?;
        }
        if let Some(d) = self.v1_dir("cpuset") {
            v1::cpuset::stats(d, &mut s.cpuset)?;
        }
        if let Some(d) = self.v1_dir("memory") {
            v1::memory::stats(d, &mut s.memory)?;
        }
        if let Some(d) = self.v1_dir("pids") {
            v1::pids::stats(d, &mut s.pids)?;
        }
        if let Some(d) = self.v1_dir("blkio") {
            v1::blkio::stats(d, &mut s.blkio)?;
        }
        if let Some(d) = self.v1_dir("hugetlb") {
            v1::hugetlb::stats(d, &mut s.hugetlb)?;
        }
        Ok(s)
    }

    /// rmdir what `create` made (the container's sub-cgroups first), never anything joined,
    /// never killing anything. Shared parents (e.g. /berth) still in use by others stay.
    pub fn destroy(&self) -> Result<(), CgroupError> {
        let mut first_err = None;
        for d in self.dirs() {
            if d.owned() {
                if let Err(e) = remove_children(&d.path) {
                    first_err.get_or_insert(e);
                    continue;
                }
            }
            for (i, c) in d.created.iter().enumerate().rev() {
                let leaf = i + 1 == d.created.len() && d.owned();
                let r = if leaf {
                    rmdir_retry(c)
                } else {
                    match std::fs::remove_dir(c) {
                        Ok(()) => Ok(()),
                        Err(e) if e.kind() == ErrorKind::NotFound => Ok(()),
                        // Another container's cgroup lives below this shared parent.
                        Err(e)
                            if matches!(
                                e.raw_os_error(),
                                Some(libc::EBUSY) | Some(libc::ENOTEMPTY)
                            ) =>
                        {
                            break
                        }
                        Err(source) => Err(CgroupError::Remove {
                            path: c.clone(),
                            source,
                            hint: "",
                        }),
                    }
                };
                if let Err(e) = r {
                    first_err.get_or_insert(e);
                    break;
                }
            }
        }
        first_err.map_or(Ok(()), Err)
    }

    /// Sources for a `type: cgroup` spec mount without a cgroup namespace: (hierarchy name
    /// under /sys/fs/cgroup, the container's host dir in it). Unified hosts: one entry
    /// ("", unified dir). Hybrid hosts list only the v1 hierarchies.
    pub fn mount_sources(&self) -> Vec<(String, PathBuf)> {
        if self.paths.setup == CgroupSetup::Unified {
            return self
                .unified_dir()
                .map(|d| vec![(String::new(), d.to_path_buf())])
                .unwrap_or_default();
        }
        self.paths
            .v1
            .iter()
            .map(|h| (h.subsystem.clone(), h.dir.path.clone()))
            .collect()
    }
}

/// Records the default `/berth` parent as removable by this container too: destroy
/// removes it only once it is empty (EBUSY/ENOTEMPTY leave it for the others).
fn claim_berth_parent(berth_parent: bool, dir: &mut CgroupDir) {
    if !berth_parent {
        return;
    }
    if let Some(parent) = dir.path.parent() {
        if parent.file_name().is_some_and(|n| n == "berth")
            && !dir.created.iter().any(|c| c == parent)
        {
            dir.created.insert(0, parent.to_path_buf());
        }
    }
}

#[cfg(test)]
mod tests;
