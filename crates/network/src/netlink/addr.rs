//! Addresses: adding, removing and listing the IP addresses of links.

use std::net::{IpAddr, Ipv4Addr};

use ipnet::IpNet;
use netlink_packet_core::{NLM_F_CREATE, NLM_F_EXCL};
use netlink_packet_route::address::{AddressAttribute, AddressMessage};
use netlink_packet_route::{AddressFamily, RouteNetlinkMessage};

use super::{Netlink, NetlinkError};

/// An address on a link, e.g. 172.17.0.1/16 on berth0.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Address {
    /// Index of the link carrying it.
    pub index: u32,
    /// The address and its prefix length.
    pub net: IpNet,
}

impl Address {
    /// The subnet the address belongs to (host bits cleared).
    pub fn subnet(&self) -> IpNet {
        self.net.trunc()
    }
}

fn message(index: u32, net: IpNet) -> AddressMessage {
    let mut msg = AddressMessage::default();
    msg.header.index = index;
    msg.header.prefix_len = net.prefix_len();
    msg.header.family = match net {
        IpNet::V4(_) => AddressFamily::Inet,
        IpNet::V6(_) => AddressFamily::Inet6,
    };
    msg.attributes.push(AddressAttribute::Local(net.addr()));
    msg.attributes.push(AddressAttribute::Address(net.addr()));
    if let IpNet::V4(v4) = net {
        if v4.prefix_len() < 31 {
            msg.attributes
                .push(AddressAttribute::Broadcast(v4.broadcast()));
        }
    }
    msg
}

impl Netlink {
    /// Adds `net` (address/prefix, e.g. 172.17.0.1/16) to the link; the kernel adds the
    /// subnet's route with it.
    pub fn add_address(&mut self, index: u32, net: IpNet) -> Result<(), NetlinkError> {
        self.request(
            RouteNetlinkMessage::NewAddress(message(index, net)),
            NLM_F_CREATE | NLM_F_EXCL,
            "add address",
            || net.to_string(),
        )
    }

    /// Removes `net` from the link.
    pub fn delete_address(&mut self, index: u32, net: IpNet) -> Result<(), NetlinkError> {
        self.request(
            RouteNetlinkMessage::DelAddress(message(index, net)),
            0,
            "delete address",
            || net.to_string(),
        )
    }

    /// Every address of every link in the namespace.
    pub fn addresses(&mut self) -> Result<Vec<Address>, NetlinkError> {
        let msgs = self.dump(
            RouteNetlinkMessage::GetAddress(AddressMessage::default()),
            "list addresses",
        )?;
        let mut out = Vec::new();
        for msg in msgs {
            let RouteNetlinkMessage::NewAddress(a) = msg else {
                continue;
            };
            // IFA_LOCAL is the link's own address; IFA_ADDRESS the peer's on
            // point-to-point links, the same otherwise.
            let mut addr: Option<IpAddr> = None;
            for attr in &a.attributes {
                match attr {
                    AddressAttribute::Local(ip) => addr = Some(*ip),
                    AddressAttribute::Address(ip) if addr.is_none() => addr = Some(*ip),
                    _ => {}
                }
            }
            if let Some(ip) = addr {
                if let Ok(net) = IpNet::new(ip, a.header.prefix_len) {
                    out.push(Address {
                        index: a.header.index,
                        net,
                    });
                }
            }
        }
        Ok(out)
    }

    /// The IPv4 addresses of one link.
    pub fn ipv4_addresses_of(&mut self, index: u32) -> Result<Vec<(Ipv4Addr, u8)>, NetlinkError> {
        Ok(self
            .addresses()?
            .into_iter()
            .filter(|a| a.index == index)
            .filter_map(|a| match a.net {
                IpNet::V4(n) => Some((n.addr(), n.prefix_len())),
                IpNet::V6(_) => None,
            })
            .collect())
    }
}
