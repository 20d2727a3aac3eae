//! `no_new_privs`: once set, execve can no longer grant privileges (setuid bits, file
//! capabilities), and an unprivileged process may load seccomp filters.

use super::error::NnpError;

/// Sets `PR_SET_NO_NEW_PRIVS` on the calling thread (inherited by children, irreversible).
pub fn set_no_new_privileges() -> Result<(), NnpError> {
    nix::sys::prctl::set_no_new_privs().map_err(|source| NnpError::Set { source })
}
