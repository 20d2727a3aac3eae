//! Thin wrappers over the syscalls nix does not cover. All of the runtime crate's
//! `unsafe` lives in this folder; every block states the invariant it relies on.

mod linux;
pub mod mount;

pub use linux::set_child_subreaper;

pub use linux::{
    adopt, clone3, close_from, close_range_cloexec, default_sigpipe, exec_fd, get_winsize,
    openat2_in_root, pidfd_open, pidfd_send_signal, recv_fd, seccomp_set_mode_filter,
    set_controlling_tty, set_winsize, CloneResult,
};
