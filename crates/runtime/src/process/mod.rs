//! Process creation and the container side of setup: the sync channel between the
//! runtime and the container's first process, the init steps in the new namespaces,
//! and the tail shared by `create` and `exec` (credentials, capabilities, seccomp, exec).

pub mod channel;
pub mod finish;
pub mod init;
pub mod lookup;
pub mod reaper;
pub mod spawn;
