//! `no_new_privs`: once set, execve can no longer grant privileges (setuid bits, file
//! capabilities), and an unprivileged process may load seccomp filters.

use super::error::NnpError;

/// Sets `PR_SET_NO_NEW_PRIVS` on the calling thread (inherited by children, irreversible).
pub fn set_no_new_privileges() -> Result<(), NnpError> {
    nix::sys::prctl::set_no_new_privs().map_err(|source| NnpError::Set { source })
}

#[cfg(test)]
mod tests {
    use crate::security::testutil::in_child;

    #[test]
    fn sets_no_new_privs_in_child() {
        let code = in_child(|| match super::set_no_new_privileges() {
            Ok(()) => match nix::sys::prctl::get_no_new_privs() {
                Ok(true) => 0,
                _ => 2,
            },
            Err(_) => 1,
        });
        assert_eq!(code, 0);
    }
}
