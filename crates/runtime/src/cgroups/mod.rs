//! `runtime::cgroups`: put a container in cgroups, limit it, freeze it, read its statistics,
//! remove its cgroups — on legacy (v1), hybrid (v1 + an empty cgroup2 mount) and unified
//! (v2) hosts. Callers see one `Manager`; which cgroup version serves a resource is decided
//! inside (DESIGN.md §1, STYLE.md §6.4), by what `detect` found on the host.
//!
//! Usual order: `detect` → `Manager::new` → `create` → `apply` → `add_task(pid)` → …
//! → `destroy`. Apply before add_task so the process never runs unlimited (and a memory
//! limit below its usage cannot fail). `create` already makes v1 cpuset dirs joinable, so
//! add_task also works before apply. `apply` is also `update`. Persist `paths()` (serde) in
//! the state file and re-open with `from_paths` in another process. If `create` fails, call
//! `destroy`: what was made so far is recorded. `destroy` kills nothing: the container's
//! processes must be gone (kill them, wait) or it returns EBUSY after ~100 ms of retries.
//!
//! Layout: `detect` (host layout from /proc text), `path` (cgroupsPath), `v1/*` and `v2/*`
//! (one file per controller, each taking the cgroup dir), `convert` (v1↔v2 units),
//! `stats` (runc `events --stats` shape), `bpf` (the only `unsafe`: the bpf(2) syscall),
//! `manager` (the `Manager`, where the version is chosen).

mod bpf;
mod convert;
mod detect;
mod error;
mod fs;
mod join;
mod manager;
mod path;
mod stats;
mod v1;
mod v2;

#[cfg(test)]
mod tests_kernel;
#[cfg(test)]
mod testutil;

pub use convert::{blkio_weight_to_io_weight, shares_to_weight};
pub use detect::{detect, parse as parse_hierarchy, CgroupSetup, Hierarchy, UnifiedMount, V1Mount};
pub use error::CgroupError;
pub use join::SelfJoin;
pub use manager::{CgroupDir, CgroupPaths, Manager, V1Hierarchy};
pub use stats::{
    Blkio, BlkioEntry, Cpu, CpuSet, CpuUsage, Hugetlb, IntelRdt, Memory, MemoryEntry, Pids, Stats,
    Throttling,
};
