//! Routes of the main table: the default route via a gateway, and listing (for the subnet
//! pool's overlap check and for the uplink's MTU).

use std::net::{IpAddr, Ipv4Addr};

use ipnet::IpNet;
use netlink_packet_core::{NLM_F_CREATE, NLM_F_EXCL};
use netlink_packet_route::route::{
    RouteAddress, RouteAttribute, RouteHeader, RouteMessage, RouteProtocol, RouteScope, RouteType,
};
use netlink_packet_route::{AddressFamily, RouteNetlinkMessage};

use super::{Netlink, NetlinkError};

/// A route of the main table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// Destination; 0.0.0.0/0 (or ::/0) for a default route.
    pub destination: IpNet,
    /// Next hop, if the route has one.
    pub gateway: Option<IpAddr>,
    /// Outgoing link index.
    pub oif: Option<u32>,
}

impl Route {
    /// Whether this is a default route.
    pub fn is_default(&self) -> bool {
        self.destination.prefix_len() == 0
    }
}

impl Netlink {
    /// Adds `0.0.0.0/0 via gateway` to the main table.
    pub fn add_default_route(&mut self, gateway: Ipv4Addr) -> Result<(), NetlinkError> {
        self.add_route(IpNet::V4(ipnet::Ipv4Net::default()), IpAddr::V4(gateway))
    }

    /// Adds `destination via gateway` to the main table.
    pub fn add_route(&mut self, destination: IpNet, gateway: IpAddr) -> Result<(), NetlinkError> {
        let mut msg = RouteMessage::default();
        msg.header.address_family = match destination {
            IpNet::V4(_) => AddressFamily::Inet,
            IpNet::V6(_) => AddressFamily::Inet6,
        };
        msg.header.destination_prefix_length = destination.prefix_len();
        msg.header.table = RouteHeader::RT_TABLE_MAIN;
        msg.header.protocol = RouteProtocol::Boot;
        msg.header.scope = RouteScope::Universe;
        msg.header.kind = RouteType::Unicast;
        if destination.prefix_len() > 0 {
            msg.attributes
                .push(RouteAttribute::Destination(route_address(
                    destination.network(),
                )));
        }
        msg.attributes
            .push(RouteAttribute::Gateway(route_address(gateway)));
        self.request(
            RouteNetlinkMessage::NewRoute(msg),
            NLM_F_CREATE | NLM_F_EXCL,
            "add route",
            || format!("{destination} via {gateway}"),
        )
    }

    /// The IPv4 and IPv6 unicast routes of the main table.
    pub fn routes(&mut self) -> Result<Vec<Route>, NetlinkError> {
        let mut out = Vec::new();
        for family in [AddressFamily::Inet, AddressFamily::Inet6] {
            let mut req = RouteMessage::default();
            req.header.address_family = family;
            for msg in self.dump(RouteNetlinkMessage::GetRoute(req), "list routes")? {
                let RouteNetlinkMessage::NewRoute(r) = msg else {
                    continue;
                };
                if let Some(route) = to_route(r) {
                    out.push(route);
                }
            }
        }
        Ok(out)
    }
}

fn route_address(ip: IpAddr) -> RouteAddress {
    match ip {
        IpAddr::V4(v4) => RouteAddress::Inet(v4),
        IpAddr::V6(v6) => RouteAddress::Inet6(v6),
    }
}

fn to_route(msg: RouteMessage) -> Option<Route> {
    let mut table = u32::from(msg.header.table);
    let mut dst: Option<IpAddr> = None;
    let mut gateway = None;
    let mut oif = None;
    for attr in msg.attributes {
        match attr {
            RouteAttribute::Table(t) => table = t,
            RouteAttribute::Destination(a) => dst = ip_of(a),
            RouteAttribute::Gateway(a) => gateway = ip_of(a),
            RouteAttribute::Oif(i) => oif = Some(i),
            _ => {}
        }
    }
    if table != u32::from(RouteHeader::RT_TABLE_MAIN) || msg.header.kind != RouteType::Unicast {
        return None;
    }
    let dst = dst.unwrap_or(match msg.header.address_family {
        AddressFamily::Inet6 => IpAddr::V6(std::net::Ipv6Addr::UNSPECIFIED),
        _ => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
    });
    let destination = IpNet::new(dst, msg.header.destination_prefix_length).ok()?;
    Some(Route {
        destination,
        gateway,
        oif,
    })
}

fn ip_of(a: RouteAddress) -> Option<IpAddr> {
    match a {
        RouteAddress::Inet(v4) => Some(IpAddr::V4(v4)),
        RouteAddress::Inet6(v6) => Some(IpAddr::V6(v6)),
        _ => None,
    }
}
