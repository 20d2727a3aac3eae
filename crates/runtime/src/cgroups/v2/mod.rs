//! cgroup v2 (unified): one file per controller, each taking the cgroup directory.

pub(crate) mod cpu;
pub(crate) mod cpuset;
pub(crate) mod devicefilter;
pub(crate) mod devices;
pub(crate) mod freeze;
pub(crate) mod hugetlb;
pub(crate) mod io;
pub(crate) mod memory;
pub(crate) mod pids;
