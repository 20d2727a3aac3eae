//! The text of berth's nftables table and of the elements berth adds to it.
//!
//! The table's chains never change after creation: per-network and per-container state
//! lives in sets and maps, so attaching a network or publishing a port is one element
//! added in one transaction, and removing it deletes exactly that element.

use std::net::Ipv4Addr;

use ipnet::Ipv4Net;

use super::{PortMapping, Proto};

/// Family and name of berth's table.
pub const TABLE: &str = "ip berth";

/// The whole table, created in one transaction by `create table` (which fails if another
/// process created it first, leaving the first one's elements alone).
pub const TABLE_SCRIPT: &str = r#"
create table ip berth
table ip berth {
	# Bridges of berth networks, their subnets, and bridge.bridge pairs allowed to route
	# to themselves (hairpin through a published port).
	set bridges { type ifname; }
	set subnets { type ipv4_addr; flags interval; }
	set same { type ifname . ifname; }
	# Bridges of internal networks (`network create --internal`): no traffic in or out.
	set internal { type ifname; }
	# Published ports: protocol . host address . host port -> container address . port,
	# and the same for ports published on every host address.
	map ports { type inet_proto . ipv4_addr . inet_service : ipv4_addr . inet_service; }
	map ports_any { type inet_proto . inet_service : ipv4_addr . inet_service; }

	chain published {
		dnat to meta l4proto . ip daddr . th dport map @ports
		dnat to meta l4proto . th dport map @ports_any
	}
	chain prerouting {
		type nat hook prerouting priority dstnat; policy accept;
		fib daddr type local jump published
	}
	chain output {
		type nat hook output priority -100; policy accept;
		fib daddr type local jump published
	}
	chain postrouting {
		type nat hook postrouting priority srcnat; policy accept;
		# A published port reached through 127.0.0.1 (route_localnet is on for the bridge).
		oifname @bridges ip saddr 127.0.0.0/8 masquerade
		# Hairpin: a container reaching a published port through a host address.
		oifname @bridges ct status dnat ip saddr @subnets masquerade
		# Outbound traffic of the containers.
		oifname != @bridges ip saddr @subnets masquerade
	}
	chain forward {
		type filter hook forward priority filter; policy accept;
		ct state established,related accept
		iifname . oifname @same accept
		# Internal networks: their containers reach each other only.
		iifname @internal drop
		oifname @internal drop
		# A published port is open to every network: isolation stops direct routes only.
		iifname @bridges oifname @bridges ct status dnat accept
		# Isolation: no routing from one berth network to another.
		iifname @bridges oifname @bridges drop
		iifname @bridges accept
		# From outside, only published ports reach a container.
		oifname @bridges ct status dnat accept
		oifname @bridges drop
	}
}
"#;

fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace(['"', '\\'], ""))
}

/// The elements a network adds: its bridge, its subnet, its hairpin pair.
pub fn network_elements(verb: &str, bridge: &str, subnet: Ipv4Net) -> String {
    let b = quote(bridge);
    format!(
        "{verb} element {TABLE} bridges {{ {b} }}\n\
         {verb} element {TABLE} subnets {{ {} }}\n\
         {verb} element {TABLE} same {{ {b} . {b} }}\n",
        subnet.trunc()
    )
}

/// The element marking a network internal.
pub fn internal_element(verb: &str, bridge: &str) -> String {
    format!("{verb} element {TABLE} internal {{ {} }}\n", quote(bridge))
}

fn proto(p: Proto) -> &'static str {
    match p {
        Proto::Tcp => "tcp",
        Proto::Udp => "udp",
    }
}

fn port_key(p: &PortMapping) -> (&'static str, String) {
    match p.host_ip {
        Some(ip) if ip != Ipv4Addr::UNSPECIFIED => (
            "ports",
            format!("{} . {} . {}", proto(p.proto), ip, p.host_port),
        ),
        _ => ("ports_any", format!("{} . {}", proto(p.proto), p.host_port)),
    }
}

/// `create element` commands for published ports (fails if a key is already mapped).
pub fn publish(ports: &[PortMapping]) -> String {
    let mut out = String::new();
    for p in ports {
        let (map, key) = port_key(p);
        out.push_str(&format!(
            "create element {TABLE} {map} {{ {key} : {} . {} }}\n",
            p.container_ip, p.container_port
        ));
    }
    out
}

/// `delete element` command for one published port.
pub fn unpublish_one(p: &PortMapping) -> String {
    let (map, key) = port_key(p);
    format!("delete element {TABLE} {map} {{ {key} }}\n")
}
