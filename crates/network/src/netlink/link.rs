//! Links: bridges, veth pairs, and the attributes berth sets on them (MTU, MAC, state,
//! master, name, namespace).

use std::os::fd::{AsRawFd, BorrowedFd};

use netlink_packet_core::{NLM_F_CREATE, NLM_F_EXCL};
use netlink_packet_route::link::{
    InfoData, InfoKind, InfoVeth, LinkAttribute, LinkFlags, LinkInfo, LinkMessage,
};
use netlink_packet_route::RouteNetlinkMessage;

use super::{Netlink, NetlinkError};

/// A link as the kernel lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    /// Interface index.
    pub index: u32,
    /// Interface name.
    pub name: String,
    /// Link kind ("bridge", "veth", …); `None` for physical devices and loopback.
    pub kind: Option<String>,
    /// MTU in bytes.
    pub mtu: u32,
    /// Administratively up.
    pub up: bool,
    /// Hardware address.
    pub mac: Option<[u8; 6]>,
    /// Index of the bridge this link is a port of.
    pub master: Option<u32>,
}

/// A veth pair whose host end joins a bridge (up) and whose peer is created directly
/// inside a container's network namespace (down: set it up from inside), in one request.
#[derive(Debug, Clone)]
pub struct VethSpec<'a> {
    /// Name of the host end (at most 15 bytes).
    pub host_name: &'a str,
    /// Name of the peer inside the namespace, usually `eth0`.
    pub peer_name: &'a str,
    /// MTU of both ends.
    pub mtu: u32,
    /// Index of the bridge the host end joins.
    pub bridge_index: u32,
    /// MAC address of the peer.
    pub peer_mac: Option<[u8; 6]>,
    /// The container's network namespace.
    pub netns: BorrowedFd<'a>,
}

fn up_header(index: u32) -> LinkMessage {
    let mut msg = LinkMessage::default();
    msg.header.index = index;
    msg.header.flags = LinkFlags::Up;
    msg.header.change_mask = LinkFlags::Up;
    msg
}

impl Netlink {
    /// Creates a bridge with this name and MTU, administratively up; returns its index.
    pub fn create_bridge(&mut self, name: &str, mtu: u32) -> Result<u32, NetlinkError> {
        let mut msg = up_header(0);
        msg.attributes = vec![
            LinkAttribute::IfName(name.to_string()),
            LinkAttribute::Mtu(mtu),
            LinkAttribute::LinkInfo(vec![LinkInfo::Kind(InfoKind::Bridge)]),
        ];
        self.request(
            RouteNetlinkMessage::NewLink(msg),
            NLM_F_CREATE | NLM_F_EXCL,
            "create bridge",
            || name.to_string(),
        )?;
        self.link_index(name)
    }

    /// Creates a veth pair as described by `spec` (host end on the bridge and up, peer in
    /// the namespace with its MAC set).
    pub fn create_veth(&mut self, spec: &VethSpec<'_>) -> Result<(), NetlinkError> {
        // The peer cannot be brought up here: a veth end refuses to open (ENOTCONN) before
        // its pair is complete. The caller sets it up inside the namespace.
        let mut peer = LinkMessage::default();
        peer.attributes = vec![
            LinkAttribute::IfName(spec.peer_name.to_string()),
            LinkAttribute::Mtu(spec.mtu),
            LinkAttribute::NetNsFd(spec.netns.as_raw_fd()),
        ];
        if let Some(mac) = spec.peer_mac {
            peer.attributes.push(LinkAttribute::Address(mac.to_vec()));
        }
        let mut msg = up_header(0);
        msg.attributes = vec![
            LinkAttribute::IfName(spec.host_name.to_string()),
            LinkAttribute::Mtu(spec.mtu),
            LinkAttribute::Controller(spec.bridge_index),
            LinkAttribute::LinkInfo(vec![
                LinkInfo::Kind(InfoKind::Veth),
                LinkInfo::Data(InfoData::Veth(InfoVeth::Peer(peer))),
            ]),
        ];
        self.request(
            RouteNetlinkMessage::NewLink(msg),
            NLM_F_CREATE | NLM_F_EXCL,
            "create veth",
            || spec.host_name.to_string(),
        )
    }

    /// Creates a plain veth pair in this namespace, both ends down (for tests and for
    /// callers that move an end themselves).
    pub fn create_veth_pair(
        &mut self,
        name: &str,
        peer: &str,
        mtu: u32,
    ) -> Result<(), NetlinkError> {
        let mut peer_msg = LinkMessage::default();
        peer_msg.attributes = vec![
            LinkAttribute::IfName(peer.to_string()),
            LinkAttribute::Mtu(mtu),
        ];
        let mut msg = LinkMessage::default();
        msg.attributes = vec![
            LinkAttribute::IfName(name.to_string()),
            LinkAttribute::Mtu(mtu),
            LinkAttribute::LinkInfo(vec![
                LinkInfo::Kind(InfoKind::Veth),
                LinkInfo::Data(InfoData::Veth(InfoVeth::Peer(peer_msg))),
            ]),
        ];
        self.request(
            RouteNetlinkMessage::NewLink(msg),
            NLM_F_CREATE | NLM_F_EXCL,
            "create veth",
            || name.to_string(),
        )
    }

    fn set_link(
        &mut self,
        index: u32,
        op: &'static str,
        build: impl FnOnce(&mut LinkMessage),
    ) -> Result<(), NetlinkError> {
        let mut msg = LinkMessage::default();
        msg.header.index = index;
        build(&mut msg);
        self.request(RouteNetlinkMessage::SetLink(msg), 0, op, || {
            format!("link {index}")
        })
    }

    /// Sets a link administratively up.
    pub fn set_up(&mut self, index: u32) -> Result<(), NetlinkError> {
        self.set_link(index, "set link up", |m| {
            m.header.flags = LinkFlags::Up;
            m.header.change_mask = LinkFlags::Up;
        })
    }

    /// Sets a link's MTU.
    pub fn set_mtu(&mut self, index: u32, mtu: u32) -> Result<(), NetlinkError> {
        self.set_link(index, "set mtu", |m| {
            m.attributes.push(LinkAttribute::Mtu(mtu))
        })
    }

    /// Sets a link's MAC address.
    pub fn set_mac(&mut self, index: u32, mac: [u8; 6]) -> Result<(), NetlinkError> {
        self.set_link(index, "set mac address", |m| {
            m.attributes.push(LinkAttribute::Address(mac.to_vec()))
        })
    }

    /// Renames a link (it must be down).
    pub fn rename(&mut self, index: u32, name: &str) -> Result<(), NetlinkError> {
        self.set_link(index, "rename link", |m| {
            m.attributes.push(LinkAttribute::IfName(name.to_string()))
        })
    }

    /// Makes a link a port of a bridge.
    pub fn set_master(&mut self, index: u32, bridge_index: u32) -> Result<(), NetlinkError> {
        self.set_link(index, "set master", |m| {
            m.attributes.push(LinkAttribute::Controller(bridge_index))
        })
    }

    /// Moves a link into the network namespace `netns`.
    pub fn set_netns(&mut self, index: u32, netns: BorrowedFd<'_>) -> Result<(), NetlinkError> {
        self.set_link(index, "move link to namespace", |m| {
            m.attributes.push(LinkAttribute::NetNsFd(netns.as_raw_fd()))
        })
    }

    /// Deletes a link; deleting one end of a veth pair deletes both.
    pub fn delete_link(&mut self, index: u32) -> Result<(), NetlinkError> {
        let mut msg = LinkMessage::default();
        msg.header.index = index;
        self.request(RouteNetlinkMessage::DelLink(msg), 0, "delete link", || {
            format!("link {index}")
        })
    }

    /// Deletes the link with this name; `Ok(false)` when there was none.
    pub fn delete_link_by_name(&mut self, name: &str) -> Result<bool, NetlinkError> {
        match self.link_index(name) {
            Ok(index) => match self.delete_link(index) {
                Ok(()) => Ok(true),
                Err(e) if e.is_not_found() => Ok(false),
                Err(e) => Err(e),
            },
            Err(e) if e.is_not_found() => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// The index of the link with this name.
    pub fn link_index(&mut self, name: &str) -> Result<u32, NetlinkError> {
        self.link_by_name(name)?
            .map(|l| l.index)
            .ok_or_else(|| NetlinkError::NoSuchLink(name.to_string()))
    }

    /// The link with this name, if any.
    pub fn link_by_name(&mut self, name: &str) -> Result<Option<Link>, NetlinkError> {
        let mut msg = LinkMessage::default();
        msg.attributes.push(LinkAttribute::IfName(name.to_string()));
        match self.sock.request_one(RouteNetlinkMessage::GetLink(msg)) {
            Ok(Some(RouteNetlinkMessage::NewLink(m))) => Ok(Some(to_link(m))),
            Ok(_) => Ok(None),
            Err(super::socket::Errno::Kernel(e))
                if matches!(e.raw_os_error(), Some(libc::ENODEV | libc::ENOENT)) =>
            {
                Ok(None)
            }
            Err(super::socket::Errno::Kernel(source)) => Err(NetlinkError::Kernel {
                op: "get link",
                object: name.to_string(),
                source,
            }),
            Err(super::socket::Errno::Transport(t)) => Err(t),
        }
    }

    /// Every link of the namespace.
    pub fn links(&mut self) -> Result<Vec<Link>, NetlinkError> {
        let msgs = self.dump(
            RouteNetlinkMessage::GetLink(LinkMessage::default()),
            "list links",
        )?;
        Ok(msgs
            .into_iter()
            .filter_map(|m| match m {
                RouteNetlinkMessage::NewLink(l) => Some(to_link(l)),
                _ => None,
            })
            .collect())
    }
}

fn to_link(msg: LinkMessage) -> Link {
    let mut link = Link {
        index: msg.header.index,
        name: String::new(),
        kind: None,
        mtu: 0,
        up: msg.header.flags.contains(LinkFlags::Up),
        mac: None,
        master: None,
    };
    for attr in msg.attributes {
        match attr {
            LinkAttribute::IfName(n) => link.name = n,
            LinkAttribute::Mtu(m) => link.mtu = m,
            LinkAttribute::Controller(c) => link.master = Some(c),
            LinkAttribute::Address(a) => link.mac = a.try_into().ok(),
            LinkAttribute::LinkInfo(infos) => {
                for info in infos {
                    if let LinkInfo::Kind(k) = info {
                        link.kind = Some(k.to_string());
                    }
                }
            }
            _ => {}
        }
    }
    link
}
