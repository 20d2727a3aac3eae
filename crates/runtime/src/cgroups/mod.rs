//! `runtime::cgroups`: put a container in cgroups, limit it, freeze it, read its statistics,
//! remove its cgroups — on legacy (v1), hybrid (v1 + an empty cgroup2 mount) and unified
//! (v2) hosts. Callers see one `Manager`; which cgroup version serves a resource is decided
//! inside (DESIGN.md §1, STYLE.md §6.4), by what `detect` found on the host.
//!
//! Usual order: `detect` → `Manager::new` → `create` → `apply` → `add_task(pid)` → …
//! → `destroy`. `apply` is also `update`. A `Manager` is re-opened by another process with
//! `from_paths` from the serialised `CgroupPaths`.

mod bpf;
mod convert;
mod detect;
mod error;
mod fs;
mod manager;
mod path;
mod stats;
mod v1;
mod v2;

#[cfg(test)]
mod testutil;
#[cfg(test)]
mod tests_kernel;

pub use convert::{blkio_weight_to_io_weight, shares_to_weight};
pub use detect::{detect, parse as parse_hierarchy, CgroupSetup, Hierarchy, UnifiedMount, V1Mount};
pub use error::CgroupError;
pub use manager::{CgroupDir, CgroupPaths, Manager, V1Hierarchy};
pub use stats::{
    Blkio, BlkioEntry, Cpu, CpuSet, CpuUsage, Hugetlb, IntelRdt, Memory, MemoryEntry, Pids, Stats, Throttling,
};
