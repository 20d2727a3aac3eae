//! Errors of `runtime::cgroups`: one variant per failing step, each naming the path (and the
//! data written) and, where errno misleads, what to check.

use std::io;
use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum CgroupError {
    #[error("failed to read {path}: {source}")]
    ReadProc {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("cannot parse line {line:?} of {path}: {reason}")]
    ParseProc {
        path: PathBuf,
        line: String,
        reason: &'static str,
    },
    #[error("no cgroup hierarchy is mounted (checked /proc/self/mountinfo for cgroup and cgroup2 mounts)")]
    NoHierarchy,
    #[error("invalid cgroupsPath {path}: {reason}")]
    InvalidPath { path: PathBuf, reason: &'static str },
    #[error("failed to create cgroup directory {path}: {source}")]
    Create {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("{resource} is set in the spec but the {controller} controller is not available on this host{hint}")]
    ControllerMissing {
        controller: &'static str,
        resource: &'static str,
        hint: &'static str,
    },
    #[error("cannot write {data:?} for {what}: {path} does not exist (the kernel lacks this feature, the controller is not mounted, or on cgroup v2 it is not enabled in the parent's cgroup.subtree_control)")]
    MissingFile {
        what: String,
        path: PathBuf,
        data: String,
    },
    #[error("failed to write {data:?} to {path}: {source}{hint}")]
    Write {
        path: PathBuf,
        data: String,
        #[source]
        source: io::Error,
        hint: &'static str,
    },
    #[error("failed to read {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("cannot parse {value:?} read from {path}")]
    Parse { path: PathBuf, value: String },
    #[error("invalid value for {resource}: {reason}")]
    InvalidValue {
        resource: &'static str,
        reason: String,
    },
    #[error("failed to add pid {pid} to {path}: {source}{hint}")]
    AddTask {
        pid: i32,
        path: PathBuf,
        #[source]
        source: io::Error,
        hint: &'static str,
    },
    #[error("cgroup {path} did not reach state {state} in time (a process may be stuck in uninterruptible sleep)")]
    FreezeTimeout { path: PathBuf, state: &'static str },
    #[error("failed to list cgroup directory {path}: {source}")]
    ListDir {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("failed to remove cgroup directory {path}: {source}{hint}")]
    Remove {
        path: PathBuf,
        #[source]
        source: io::Error,
        hint: &'static str,
    },
    #[error("the device filter has {count} instructions, more than the eBPF limit")]
    BpfTooLarge { count: usize },
    #[error("failed to load the eBPF device filter ({count} instructions): {source}; verifier log: {log}")]
    BpfLoad {
        count: usize,
        #[source]
        source: nix::Error,
        log: String,
    },
    #[error("failed to open cgroup directory {path} to attach the device filter: {source}")]
    BpfOpenCgroup {
        path: PathBuf,
        #[source]
        source: nix::Error,
    },
    #[error("failed to attach the eBPF device filter to {path}: {source} (is this cgroup2 mount allowed to hold BPF_CGROUP_DEVICE programs, and does an ancestor forbid overriding?)")]
    BpfAttach {
        path: PathBuf,
        #[source]
        source: nix::Error,
    },
}

impl CgroupError {
    pub(crate) fn read(path: impl Into<PathBuf>, source: io::Error) -> Self {
        CgroupError::Read {
            path: path.into(),
            source,
        }
    }
}
