//! berth's network layer (DESIGN.md §1 "the network"): the kernel mechanisms the engine
//! composes into Docker's network model.
//!
//! - [`netlink`]: links, addresses and routes through rtnetlink; [`netlink::in_netns`] to
//!   work inside a container's namespace.
//! - [`endpoint`]: a container's attachment to a bridge (veth pair, address, routes) in
//!   one call, and its removal.
//! - [`ipam`]: the subnet pool and address allocation, pure functions.
//! - [`mtu`]: the host uplink's MTU.
//! - [`firewall`]: berth's own nftables table (masquerade, published ports, isolation).
//! - [`sysctl`]: `ip_forward` and per-bridge `route_localnet`.
//!
//! Everything is synchronous: each call is a handful of netlink messages.
#![deny(unsafe_code)]

pub mod endpoint;
pub mod firewall;
pub mod ipam;
pub mod mtu;
pub mod netlink;
pub mod sysctl;
