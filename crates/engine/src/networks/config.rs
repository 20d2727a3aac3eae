//! The daemon.json keys of the default bridge, read from `$BERTH_CONFIG` (default
//! `/etc/berth/daemon.json`, as Docker's `/etc/docker/daemon.json`): `"bridge"` (the
//! default network's device, `berth0`), `"bip"` (its gateway address and prefix,
//! `10.231.1.1/24`), `"mtu"` (instead of the uplink's), `"default-address-pools"`
//! (`[{"base": "10.232.0.0/16", "size": 24}]`, where new networks' subnets come from).

use std::path::PathBuf;

use ipnet::Ipv4Net;
use serde::Deserialize;

use crate::error::{EngineError, Result};

/// The default bridge device.
pub const DEFAULT_BRIDGE: &str = "berth0";

/// `BERTH_CONFIG`'s network keys.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct NetConfig {
    /// The default network's bridge device.
    #[serde(default)]
    pub bridge: Option<String>,
    /// The default bridge's address with prefix (`10.231.1.1/24`).
    #[serde(default)]
    pub bip: Option<String>,
    /// MTU of bridges and veths; the uplink's when unset.
    #[serde(default)]
    pub mtu: Option<u32>,
    /// Where automatic subnets come from.
    #[serde(default, rename = "default-address-pools")]
    pub default_address_pools: Vec<PoolConfig>,
}

/// One `default-address-pools` entry.
#[derive(Debug, Clone, Deserialize)]
pub struct PoolConfig {
    pub base: String,
    pub size: u8,
}

fn path() -> PathBuf {
    std::env::var_os("BERTH_CONFIG")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/etc/berth/daemon.json"))
}

impl NetConfig {
    /// Reads the file; a missing one is the defaults.
    pub fn load() -> Result<Self> {
        let p = path();
        let text = match std::fs::read_to_string(&p) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Self::default()),
            Err(e) => return Err(EngineError::io("read", &p, e)),
        };
        serde_json::from_str(&text).map_err(|e| {
            EngineError::InvalidParameter(format!(
                "{}: invalid daemon configuration: {e}",
                p.display()
            ))
        })
    }

    /// `"bridge": "none"`: no default bridge (Docker's `--bridge=none`). Containers
    /// asking for the default network get only a loopback, as with `--network none`.
    pub fn bridge_disabled(&self) -> bool {
        self.bridge.as_deref() == Some("none")
    }

    /// The default bridge device's name.
    pub fn bridge_name(&self) -> String {
        self.bridge
            .clone()
            .filter(|b| !b.is_empty())
            .unwrap_or_else(|| DEFAULT_BRIDGE.to_string())
    }

    /// `bip` as (subnet, gateway).
    pub fn bip(&self) -> Result<Option<(Ipv4Net, std::net::Ipv4Addr)>> {
        let Some(b) = &self.bip else { return Ok(None) };
        let net: Ipv4Net = b.parse().map_err(|_| {
            EngineError::InvalidParameter(format!("invalid bip {b}: invalid CIDR address"))
        })?;
        Ok(Some((net.trunc(), net.addr())))
    }

    /// The pools new subnets come from: the configured ones, else Docker's defaults.
    pub fn pools(&self) -> Result<Vec<network::ipam::Pool>> {
        if self.default_address_pools.is_empty() {
            return Ok(network::ipam::default_pools());
        }
        self.default_address_pools
            .iter()
            .map(|p| {
                let base: Ipv4Net = p.base.parse().map_err(|_| {
                    EngineError::InvalidParameter(format!(
                        "invalid default-address-pools base {}",
                        p.base
                    ))
                })?;
                Ok(network::ipam::Pool {
                    base: base.trunc(),
                    size: p.size,
                })
            })
            .collect()
    }
}
