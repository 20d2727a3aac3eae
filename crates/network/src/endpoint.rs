//! A container's attachment to a bridge network: a veth pair whose host end is a port of
//! the bridge and whose peer (`eth0`, `eth1`, …) sits in the container's namespace with
//! its address, MAC, MTU and (for the primary network) the default route.

use std::os::fd::BorrowedFd;

use ipnet::Ipv4Net;
use std::net::Ipv4Addr;

use crate::netlink::{in_netns, Netlink, NetlinkError, VethSpec};

/// What to attach, and where.
#[derive(Debug, Clone)]
pub struct EndpointSpec<'a> {
    /// The bridge of the network.
    pub bridge: &'a str,
    /// Name of the host end of the veth pair (see [`host_veth_name`]).
    pub host_veth: &'a str,
    /// Name inside the container, `eth0` for the first network.
    pub ifname: &'a str,
    /// The container's network namespace.
    pub netns: BorrowedFd<'a>,
    /// The container's address with the network's prefix length, e.g. 172.17.0.2/16.
    pub address: Ipv4Net,
    /// The default route's gateway; `None` for a secondary network.
    pub gateway: Option<Ipv4Addr>,
    /// The container's MAC address (see [`mac_from_ip`]).
    pub mac: [u8; 6],
    /// MTU of both veth ends; the bridge's.
    pub mtu: u32,
}

/// Plugs a container into a bridge; on failure nothing is left behind.
pub fn attach(nl: &mut Netlink, spec: &EndpointSpec<'_>) -> Result<(), NetlinkError> {
    let bridge_index = nl.link_index(spec.bridge)?;
    let veth = VethSpec {
        host_name: spec.host_veth,
        peer_name: spec.ifname,
        mtu: spec.mtu,
        bridge_index,
        peer_mac: Some(spec.mac),
        netns: spec.netns,
    };
    match nl.create_veth(&veth) {
        // The same container's previous pair, left to die with its old namespace and not
        // gone yet (a quick restart): the names are the same, so delete it now.
        Err(e) if e.is_exists() => {
            nl.delete_link_by_name(spec.host_veth)?;
            nl.create_veth(&veth)?;
        }
        r => r?,
    }
    let inside = in_netns(spec.netns, || -> Result<(), NetlinkError> {
        let mut ns = Netlink::open()?;
        let index = ns.link_index(spec.ifname)?;
        ns.add_address(index, spec.address.into())?;
        ns.set_up(index)?;
        if let Ok(lo) = ns.link_index("lo") {
            ns.set_up(lo)?;
        }
        if let Some(gw) = spec.gateway {
            ns.add_default_route(gw)?;
        }
        Ok(())
    });
    if let Err(e) = inside {
        let _ = nl.delete_link_by_name(spec.host_veth);
        return Err(e);
    }
    Ok(())
}

/// Unplugs a container: deletes the host end, which deletes its peer. `Ok(false)` when it
/// was already gone (the namespace died with the container, taking the pair with it).
/// The engine calls it only while the namespace lives on; a namespace about to die
/// takes the pair with it, without the caller waiting for the kernel's RCU grace periods.
pub fn detach(nl: &mut Netlink, host_veth: &str) -> Result<bool, NetlinkError> {
    nl.delete_link_by_name(host_veth)
}

/// Docker's MAC for an IPv4 endpoint: 02:42 followed by the address's four bytes.
pub fn mac_from_ip(ip: Ipv4Addr) -> [u8; 6] {
    let o = ip.octets();
    [0x02, 0x42, o[0], o[1], o[2], o[3]]
}

/// Formats a MAC as Docker prints it (`02:42:ac:11:00:02`).
pub fn format_mac(mac: [u8; 6]) -> String {
    mac.iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(":")
}

/// The host end's name for a container on a network: `vb` + 13 hex digits derived from
/// both ids, deterministic so a sweep after a crash can find it, within the kernel's
/// 15-byte limit.
pub fn host_veth_name(container_id: &str, network_id: &str) -> String {
    // FNV-1a, 64 bits: stable across releases (unlike std's hasher).
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in container_id.bytes().chain([0]).chain(network_id.bytes()) {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    let hex = format!("{h:016x}");
    format!("vb{}", &hex[..13])
}

/// Whether a link name is one of berth's veth host ends.
pub fn is_berth_veth(name: &str) -> bool {
    name.len() == 15 && name.starts_with("vb") && name[2..].bytes().all(|b| b.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mac_is_dockers() {
        let mac = mac_from_ip(Ipv4Addr::new(172, 17, 0, 2));
        assert_eq!(format_mac(mac), "02:42:ac:11:00:02");
    }

    #[test]
    fn veth_names_fit_and_differ() {
        let a = host_veth_name("abc", "net1");
        let b = host_veth_name("abc", "net2");
        assert_eq!(a.len(), 15);
        assert_ne!(a, b);
        assert_eq!(a, host_veth_name("abc", "net1"));
        assert!(is_berth_veth(&a));
        assert!(!is_berth_veth("veth1234567"));
    }
}
