//! Least privilege for the container process (DESIGN.md §1): seccomp, capabilities,
//! rlimits, no_new_privs and LSM labels.
//!
//! Order in the container's init (single-threaded, after clone), as runc's
//! standard_init_linux.go:
//! 1. `rlimits::apply` (while CAP_SYS_RESOURCE may still be held);
//! 2. `lsm::check_labels`, `seccomp::compile_cached` (they allocate and log; done by
//!    the runtime before the clone, so the init only loads the program);
//! 3. `lsm::apply_apparmor` / `lsm::apply_selinux` if requested;
//! 4. if `process.noNewPrivileges`: `set_no_new_privileges`;
//! 5. if NOT noNewPrivileges: `SeccompFilter::load` now, while CAP_SYS_ADMIN is held;
//! 6. `caps::drop_bounding`, `caps::set_keep_caps(true)`, setgroups/setgid/setuid,
//!    `caps::set_keep_caps(false)`, `caps::apply`;
//! 7. if noNewPrivileges: `SeccompFilter::load` as the last step;
//! 8. execve.

pub mod caps;
pub mod error;
pub mod lsm;
mod nnp;
pub mod rlimits;
pub mod seccomp;
mod seccomp_cache;

pub use error::{CapsError, LsmError, NnpError, RlimitError, SeccompError};
pub use nnp::set_no_new_privileges;
pub use seccomp::{compile, compile_cached, SeccompFilter};

#[cfg(test)]
mod testutil;
