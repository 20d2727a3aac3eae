//! v2 devices: generate the eBPF device filter and attach it to the cgroup directory.

use std::os::fd::AsFd;
use std::path::Path;

use oci_spec::runtime::LinuxDeviceCgroup;

use super::devicefilter;
use crate::cgroups::bpf;
use crate::cgroups::error::CgroupError;

pub(crate) fn apply(dir: &Path, rules: &[LinuxDeviceCgroup]) -> Result<(), CgroupError> {
    let prog = devicefilter::program(rules)?;
    let count = prog.len();
    let pfd = bpf::load_device_program(&prog).map_err(|(source, log)| CgroupError::BpfLoad {
        count,
        source,
        log,
    })?;
    // A directory opens read-only like a file; the fd is what BPF_PROG_ATTACH targets.
    let cg = std::fs::File::open(dir).map_err(|e| CgroupError::BpfOpenCgroup {
        path: dir.into(),
        source: nix::Error::from_raw(e.raw_os_error().unwrap_or(libc::EIO)),
    })?;
    bpf::attach_device_program(cg.as_fd(), pfd.as_fd()).map_err(|source| CgroupError::BpfAttach {
        path: dir.into(),
        source,
    })
}
