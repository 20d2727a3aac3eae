//! Networks (issue #6): Docker's bridge networks on top of the `network` crate.
//!
//! | module | concern |
//! |---|---|
//! | [`config`] | daemon.json keys: `bridge`, `bip`, `mtu`, `default-address-pools` |
//! | [`ops`] | network create, ls, rm, prune; the predefined `bridge`, `host`, `none`; bridge up/down |
//! | [`netns`] | a container's network namespace, made before the runtime starts it |
//! | [`attach`] | a container's endpoint: address, veth, routes, MTU, ports, `/etc/hosts`; release |
//! | [`hosts`] | each running container's `/etc/hosts`, and its DNS records ([`dns`]) |
//! | [`dns`] | the embedded DNS server's records, upstreams and `/etc/resolv.conf` (the monitor serves it) |
//! | [`ports`] | `-p`/`-P` → firewall mappings and the record `port` reads |
//! | [`settings`] | inspect's `NetworkSettings` and the network inspect JSON |
//! | [`sweep`] | `system check`: namespace files, veths and ports of no running container |
//!
//! The rows live in `networks` and `endpoints` (db/networks.rs). An endpoint exists while
//! its container runs; its address is released at stop, as Docker does.

pub mod attach;
pub mod config;
pub mod dns;
pub mod hosts;
pub mod netns;
pub mod ops;
pub mod ports;
pub mod settings;
pub mod sweep;

pub use ops::NetworkCreate;

use crate::error::EngineError;

/// A network-layer failure as an engine error (its text is the message users see).
pub(crate) fn net_err(e: impl std::fmt::Display) -> EngineError {
    EngineError::Network(e.to_string())
}
