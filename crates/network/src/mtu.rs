//! The host uplink's MTU: bridges and veths take the MTU of the interface carrying the
//! default route, so a 1400-byte uplink is not fed 1500-byte frames.

use crate::netlink::{Netlink, NetlinkError};

/// MTU used when the host has no default route.
pub const FALLBACK_MTU: u32 = 1500;

/// The MTU of the link carrying the IPv4 default route (the lowest if several), or
/// [`FALLBACK_MTU`].
pub fn uplink_mtu(nl: &mut Netlink) -> Result<u32, NetlinkError> {
    let routes = nl.routes()?;
    let links = nl.links()?;
    let mtu = routes
        .iter()
        .filter(|r| r.is_default() && matches!(r.destination, ipnet::IpNet::V4(_)))
        .filter_map(|r| r.oif)
        .filter_map(|oif| links.iter().find(|l| l.index == oif))
        .map(|l| l.mtu)
        .filter(|&m| m >= 576)
        .min();
    Ok(mtu.unwrap_or(FALLBACK_MTU))
}
