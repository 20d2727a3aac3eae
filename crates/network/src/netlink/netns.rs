//! Running code inside another network namespace.
//!
//! `setns(CLONE_NEWNET)` changes only the calling thread, so the work runs on a short-lived
//! dedicated thread that joins the namespace, opens its own netlink socket (sockets belong
//! to the namespace they were opened in) and exits; the caller's thread never moves.

use std::os::fd::AsFd;

use nix::sched::{setns, CloneFlags};

use super::NetlinkError;

/// Runs `f` on a fresh thread that has joined the network namespace `netns` (an open
/// `/proc/PID/ns/net` or a bind-mounted namespace file) and returns its result.
pub fn in_netns<F, R, E>(netns: impl AsFd + Send, f: F) -> Result<R, E>
where
    F: FnOnce() -> Result<R, E> + Send,
    R: Send,
    E: From<NetlinkError> + Send,
{
    std::thread::scope(|scope| {
        let handle = scope.spawn(move || {
            setns(netns.as_fd(), CloneFlags::CLONE_NEWNET).map_err(NetlinkError::Netns)?;
            f()
        });
        handle
            .join()
            .map_err(|_| E::from(NetlinkError::ThreadPanicked))?
    })
}
