//! A small synchronous rtnetlink client: links, addresses and routes of one network
//! namespace, plus [`in_netns`] to act inside another one.
//!
//! Built on the `netlink-packet-route` message types and a plain `netlink-sys` socket:
//! no async runtime, no `ip` subprocess. One [`Netlink`] handle is one socket in the
//! namespace of the thread that opened it.

mod addr;
mod link;
mod netns;
mod route;
mod socket;

use std::io;

pub use addr::Address;
pub use link::{Link, VethSpec};
pub use netns::in_netns;
pub use route::Route;

use socket::{Errno, NlSocket};

/// A failed netlink operation.
#[derive(Debug, thiserror::Error)]
pub enum NetlinkError {
    /// The netlink socket could not be opened, written or read.
    #[error("netlink socket: {0}")]
    Socket(#[source] io::Error),
    /// The kernel sent a message this client could not decode.
    #[error("undecodable netlink message: {0}")]
    Decode(String),
    /// The kernel refused a request.
    #[error("{op} {object}: {source}")]
    Kernel {
        /// What was asked, e.g. "create bridge".
        op: &'static str,
        /// The link, address or route concerned.
        object: String,
        /// The kernel's errno.
        #[source]
        source: io::Error,
    },
    /// No link has this name.
    #[error("no network interface named {0}")]
    NoSuchLink(String),
    /// Entering a network namespace failed.
    #[error("entering network namespace: {0}")]
    Netns(#[source] nix::Error),
    /// The helper thread running inside a namespace panicked.
    #[error("network namespace helper thread panicked")]
    ThreadPanicked,
}

impl NetlinkError {
    /// The kernel's errno for a refused request.
    pub fn raw_os_error(&self) -> Option<i32> {
        match self {
            Self::Kernel { source, .. } => source.raw_os_error(),
            _ => None,
        }
    }

    /// Whether the object already existed (EEXIST).
    pub fn is_exists(&self) -> bool {
        self.raw_os_error() == Some(libc::EEXIST)
    }

    /// Whether the object did not exist (ENODEV, ENOENT, ESRCH, EADDRNOTAVAIL).
    pub fn is_not_found(&self) -> bool {
        matches!(self, Self::NoSuchLink(_))
            || matches!(
                self.raw_os_error(),
                Some(libc::ENODEV | libc::ENOENT | libc::ESRCH | libc::EADDRNOTAVAIL)
            )
    }
}

/// One rtnetlink connection to the kernel, in the network namespace of the thread that
/// opened it.
pub struct Netlink {
    sock: NlSocket,
}

impl Netlink {
    /// Opens a connection in the calling thread's network namespace.
    pub fn open() -> Result<Self, NetlinkError> {
        Ok(Self {
            sock: NlSocket::open()?,
        })
    }

    fn request(
        &mut self,
        msg: netlink_packet_route::RouteNetlinkMessage,
        flags: u16,
        op: &'static str,
        object: impl FnOnce() -> String,
    ) -> Result<(), NetlinkError> {
        self.sock.request(msg, flags).map_err(|e| match e {
            Errno::Kernel(source) => NetlinkError::Kernel {
                op,
                object: object(),
                source,
            },
            Errno::Transport(t) => t,
        })
    }

    fn dump(
        &mut self,
        msg: netlink_packet_route::RouteNetlinkMessage,
        op: &'static str,
    ) -> Result<Vec<netlink_packet_route::RouteNetlinkMessage>, NetlinkError> {
        self.sock.dump(msg).map_err(|e| match e {
            Errno::Kernel(source) => NetlinkError::Kernel {
                op,
                object: String::new(),
                source,
            },
            Errno::Transport(t) => t,
        })
    }
}
