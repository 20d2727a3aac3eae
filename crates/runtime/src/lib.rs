//! berth's OCI runtime: turns an OCI bundle (config.json + rootfs) into an isolated,
//! limited process. Knows nothing of images, the state DB or networks (DESIGN.md §2).
//!
//! Where things live: `namespaces` (which are new, which joined), `rootfs/` (mounts,
//! devices, pivot_root, masked paths), `process/` (the init channel, the container's
//! first process, the exec tail), `cgroups/` (v1, v2, hybrid), `security/` (caps,
//! seccomp, rlimits, LSM labels), `container/` (one file per lifecycle verb), `sys/`
//! (the only `unsafe`: syscalls nix lacks).

pub mod cgroups;
pub mod cloned_exe;
mod console;
pub mod container;
pub mod error;
pub mod hooks;
pub mod namespaces;
pub mod process;
pub mod rootfs;
pub mod security;
pub mod spec;
pub mod state;
mod sys;

pub use error::{Result, RuntimeError};
pub use oci_spec;
