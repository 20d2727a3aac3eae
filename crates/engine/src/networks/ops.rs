//! Network create, list, find, remove, prune; the predefined `bridge`, `host` and `none`;
//! bringing a bridge network's device, address and firewall elements up.

use std::collections::BTreeMap;
use std::net::Ipv4Addr;

use ipnet::Ipv4Net;
use network::ipam::{self, SubnetConfig};
use network::netlink::Netlink;

use super::config::NetConfig;
use super::net_err;
use crate::containers::names;
use crate::db::NetworkRecord;
use crate::error::{EngineError, Result};
use crate::Engine;

/// Docker's option naming a bridge network's device.
pub const BRIDGE_NAME_OPTION: &str = "com.docker.network.bridge.name";

/// The networks every engine has.
pub const PREDEFINED: [&str; 3] = ["bridge", "host", "none"];

/// `network create`'s request.
#[derive(Debug, Clone, Default)]
pub struct NetworkCreate {
    pub name: String,
    /// `bridge` (the default when empty).
    pub driver: String,
    pub subnet: Option<String>,
    pub gateway: Option<String>,
    pub ip_range: Option<String>,
    pub internal: bool,
    pub labels: BTreeMap<String, String>,
    pub options: BTreeMap<String, String>,
}

/// A network's addressing as the network crate wants it.
pub fn subnet_config(n: &NetworkRecord) -> Result<SubnetConfig> {
    let bad = |what: &str| EngineError::DbCorrupt {
        path: std::path::PathBuf::from("berth.db"),
        reason: format!("network {}: {what}", n.name),
    };
    let subnet: Ipv4Net = n.subnet.parse().map_err(|_| bad("subnet"))?;
    let gateway: Ipv4Addr = n.gateway.parse().map_err(|_| bad("gateway"))?;
    let ip_range = if n.ip_range.is_empty() {
        None
    } else {
        Some(n.ip_range.parse().map_err(|_| bad("ip range"))?)
    };
    Ok(SubnetConfig {
        subnet,
        ip_range,
        gateway,
    })
}

fn valid_bridge_name(b: &str) -> bool {
    !b.is_empty()
        && b.len() <= 15
        && b.bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
}

impl Engine {
    /// The subnets berth's networks hold.
    fn berth_subnets(&self) -> Result<Vec<Ipv4Net>> {
        Ok(self
            .db()
            .networks()?
            .iter()
            .filter_map(|n| n.subnet.parse().ok())
            .collect())
    }

    /// The first free subnet of the pools: not on the host, not another network's.
    fn pick_subnet(&self, cfg: &NetConfig) -> Result<Ipv4Net> {
        let mut nl = Netlink::open().map_err(net_err)?;
        let routes = nl.routes().map_err(net_err)?;
        let addrs = nl.addresses().map_err(net_err)?;
        let mut taken = ipam::host_taken(&routes, &addrs);
        taken.extend(self.berth_subnets()?);
        ipam::pick_subnet(&cfg.pools()?, &taken).map_err(net_err)
    }

    /// Makes sure the predefined networks have rows (`bridge` gets its subnet now: the
    /// daemon.json `bip`, else the first free pool subnet).
    pub(crate) fn ensure_predefined(&mut self) -> Result<()> {
        let have: Vec<String> = self.db().networks()?.into_iter().map(|n| n.name).collect();
        let bridge_disabled = NetConfig::load()?.bridge_disabled();
        for name in PREDEFINED {
            if have.iter().any(|h| h == name) || (name == "bridge" && bridge_disabled) {
                continue;
            }
            let mut rec = NetworkRecord {
                id: names::new_id(),
                name: name.to_string(),
                driver: match name {
                    "bridge" => "bridge",
                    "host" => "host",
                    _ => "null",
                }
                .to_string(),
                subnet: String::new(),
                gateway: String::new(),
                ip_range: String::new(),
                bridge: String::new(),
                options: BTreeMap::new(),
                labels: BTreeMap::new(),
                created: crate::containers::now_rfc3339(),
                internal: false,
            };
            if name == "bridge" {
                let cfg = NetConfig::load()?;
                let (subnet, gw) = match cfg.bip()? {
                    Some(b) => b,
                    None => {
                        let s = self.pick_subnet(&cfg)?;
                        (s, SubnetConfig::automatic(s).gateway)
                    }
                };
                rec.subnet = subnet.to_string();
                rec.gateway = gw.to_string();
                rec.bridge = cfg.bridge_name();
                rec.options
                    .insert(BRIDGE_NAME_OPTION.into(), rec.bridge.clone());
            }
            self.db_mut().insert_network(&rec)?;
        }
        Ok(())
    }

    /// A network by full id, name, or unique id prefix (Docker's order).
    pub fn network(&mut self, id_or_name: &str) -> Result<NetworkRecord> {
        if PREDEFINED.contains(&id_or_name) {
            self.ensure_predefined()?;
        }
        if let Some(n) = self.db().network(id_or_name)? {
            return Ok(n);
        }
        let mut m = self.db().networks_with_prefix(id_or_name)?;
        match m.len() {
            1 => Ok(m.remove(0)),
            0 => Err(EngineError::NoSuchNetwork(id_or_name.to_string())),
            _ => Err(EngineError::InvalidParameter(format!(
                "network {id_or_name} is ambiguous ({} matches found based on ID prefix)",
                m.len()
            ))),
        }
    }

    /// Every network, the predefined ones included, by name.
    pub fn networks(&mut self) -> Result<Vec<NetworkRecord>> {
        self.ensure_predefined()?;
        self.db().networks()
    }

    /// `network create`: a bridge network with its device up.
    pub fn network_create(&mut self, req: NetworkCreate) -> Result<NetworkRecord> {
        let driver = if req.driver.is_empty() {
            "bridge"
        } else {
            req.driver.as_str()
        };
        if driver != "bridge" {
            return Err(EngineError::Network(format!(
                "plugin \"{driver}\" not found"
            )));
        }
        self.ensure_predefined()?;
        if self.db().network(&req.name)?.is_some() {
            return Err(EngineError::ContainerConflict(format!(
                "network with name {} already exists",
                req.name
            )));
        }
        let cfg = NetConfig::load()?;
        let addressing = match SubnetConfig::from_flags(
            req.subnet.as_deref(),
            req.ip_range.as_deref(),
            req.gateway.as_deref(),
            &self.berth_subnets()?,
        )
        .map_err(net_err)?
        {
            Some(a) => a,
            None => SubnetConfig::automatic(self.pick_subnet(&cfg)?),
        };
        let id = names::new_id();
        let bridge = match req.options.get(BRIDGE_NAME_OPTION) {
            Some(b) if !valid_bridge_name(b) => {
                return Err(EngineError::InvalidParameter(format!(
                    "invalid bridge name {b:?}: at most 15 letters, digits, '-', '_' or '.'"
                )))
            }
            Some(b) => b.clone(),
            None => format!("br-{}", &id[..12]),
        };
        if self.db().network_by_bridge(&bridge)?.is_some() {
            return Err(EngineError::ContainerConflict(format!(
                "bridge name {bridge} is already in use by another network"
            )));
        }
        let rec = NetworkRecord {
            id,
            name: req.name.clone(),
            driver: "bridge".into(),
            subnet: addressing.subnet.to_string(),
            gateway: addressing.gateway.to_string(),
            ip_range: addressing
                .ip_range
                .map(|r| r.to_string())
                .unwrap_or_default(),
            bridge,
            options: req.options.clone(),
            labels: req.labels.clone(),
            created: crate::containers::now_rfc3339(),
            internal: req.internal,
        };
        if !self.db_mut().insert_network(&rec)? {
            return Err(EngineError::ContainerConflict(format!(
                "network with name {} already exists",
                req.name
            )));
        }
        if let Err(e) = self.bridge_up(&rec) {
            let _ = self.bridge_down(&rec);
            let _ = self.db_mut().delete_network(&rec.id);
            return Err(e);
        }
        self.emit(crate::events::event(
            "network",
            "create",
            &rec.id,
            &[("name", rec.name.as_str()), ("type", "bridge")],
        ));
        Ok(rec)
    }

    /// Brings a bridge network's device, gateway address, sysctls and firewall elements
    /// up; what is already there is kept.
    pub(crate) fn bridge_up(&self, n: &NetworkRecord) -> Result<()> {
        let a = subnet_config(n)?;
        let mut nl = Netlink::open().map_err(net_err)?;
        if nl.link_by_name(&n.bridge).map_err(net_err)?.is_none() {
            let mtu = match NetConfig::load()?.mtu {
                Some(m) => m,
                None => network::mtu::uplink_mtu(&mut nl).map_err(net_err)?,
            };
            let index = match nl.create_bridge(&n.bridge, mtu) {
                Ok(i) => i,
                Err(e) if e.is_exists() => nl.link_index(&n.bridge).map_err(net_err)?,
                Err(e) => return Err(net_err(e)),
            };
            let addr = Ipv4Net::new(a.gateway, a.subnet.prefix_len()).map_err(net_err)?;
            match nl.add_address(index, addr.into()) {
                Ok(()) => {}
                Err(e) if e.is_exists() => {}
                Err(e) => return Err(net_err(e)),
            }
            nl.set_up(index).map_err(net_err)?;
        }
        network::sysctl::enable_ip_forward().map_err(net_err)?;
        network::sysctl::set_route_localnet(&n.bridge, true).map_err(net_err)?;
        let mut fw = network::firewall::Firewall::open().map_err(net_err)?;
        fw.add_network(&n.bridge, a.subnet).map_err(net_err)?;
        if n.internal {
            fw.add_internal(&n.bridge).map_err(net_err)?;
        }
        Ok(())
    }

    /// Removes a bridge network's firewall elements and device.
    pub(crate) fn bridge_down(&self, n: &NetworkRecord) -> Result<()> {
        if n.bridge.is_empty() {
            return Ok(());
        }
        if let Ok(subnet) = n.subnet.parse::<Ipv4Net>() {
            let mut fw = network::firewall::Firewall::open().map_err(net_err)?;
            fw.remove_network(&n.bridge, subnet).map_err(net_err)?;
        }
        let mut nl = Netlink::open().map_err(net_err)?;
        nl.delete_link_by_name(&n.bridge).map_err(net_err)?;
        Ok(())
    }

    /// `network rm`: refused for the predefined networks and while containers are
    /// attached (Docker's messages).
    pub fn network_remove(&mut self, id_or_name: &str) -> Result<NetworkRecord> {
        let n = self.network(id_or_name)?;
        if PREDEFINED.contains(&n.name.as_str()) {
            return Err(EngineError::ContainerConflict(format!(
                "{} is a pre-defined network and cannot be removed",
                n.name
            )));
        }
        let eps = self.db().network_endpoints(&n.id)?;
        if !eps.is_empty() {
            // Docker ≥ 28: the count and the containers' names.
            let names: Vec<String> = eps
                .iter()
                .map(|e| match self.db().container(&e.container_id) {
                    Ok(Some(c)) => c.name,
                    _ => names::short(&e.container_id).to_string(),
                })
                .collect();
            let s = if eps.len() == 1 { "" } else { "s" };
            return Err(EngineError::ContainerConflict(format!(
                "error while removing network: network {} has {} active endpoint{s} ({})",
                n.name,
                eps.len(),
                names.join(", ")
            )));
        }
        self.bridge_down(&n)?;
        // Stopped containers connected to it forget it (Docker's do too).
        self.db_mut().delete_network_configs(&n.id)?;
        self.db_mut().delete_network(&n.id)?;
        self.emit(crate::events::event(
            "network",
            "destroy",
            &n.id,
            &[("name", n.name.as_str()), ("type", "bridge")],
        ));
        Ok(n)
    }

    /// `network prune`: removes every user network without endpoints; their names.
    pub fn network_prune(&mut self) -> Result<Vec<String>> {
        let mut gone = Vec::new();
        for n in self.networks()? {
            if PREDEFINED.contains(&n.name.as_str())
                || !self.db().network_endpoints(&n.id)?.is_empty()
            {
                continue;
            }
            self.network_remove(&n.id)?;
            gone.push(n.name);
        }
        Ok(gone)
    }
}
