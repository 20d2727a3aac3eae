//! cgroup v1: one file per controller. Every function takes the controller's cgroup
//! directory, so tests run against a fake tree in a tempdir.

pub(crate) mod blkio;
pub(crate) mod cpu;
pub(crate) mod cpuacct;
pub(crate) mod cpuset;
pub(crate) mod devices;
pub(crate) mod freezer;
pub(crate) mod hugetlb;
pub(crate) mod memory;
pub(crate) mod pids;
