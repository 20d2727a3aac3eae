//! A container on a bridge network: at `start`, its namespace file, an address from the
//! network's pool (recorded in `endpoints`), the veth pair with address, default route and
//! MTU, its published ports in the firewall and its `/etc/hosts` line; at stop, `rm`,
//! the next start and `system check`, all of it undone (the address is released, as
//! Docker releases it at stop).

use std::collections::BTreeSet;
use std::net::Ipv4Addr;

use network::endpoint::{self, EndpointSpec};
use network::firewall::Firewall;
use network::netlink::Netlink;

use super::net_err;
use super::netns;
use super::ops::subnet_config;
use super::ports;
use crate::containers::names;
use crate::db::{ContainerRecord, EndpointRecord, NetworkRecord};
use crate::error::{EngineError, Result};
use crate::Engine;

/// Whether a recorded network mode puts the container on a berth bridge network (a name
/// other than `none`, `host`, `container:…`).
pub fn is_bridge_mode(mode: &str) -> bool {
    !matches!(mode, "" | "none" | "host" | "default") && !mode.starts_with("container:")
}

impl Engine {
    /// The network a bridge-mode container joins.
    pub(crate) fn container_network(&mut self, c: &ContainerRecord) -> Result<NetworkRecord> {
        self.network(&c.host_config.network_mode)
    }

    /// Everything a bridge-mode container needs before its monitor starts it. On failure
    /// nothing is left behind.
    pub(crate) fn network_setup(&mut self, c: &ContainerRecord) -> Result<()> {
        if !is_bridge_mode(&c.host_config.network_mode) {
            return Ok(());
        }
        self.network_release(&c.id)?;
        let n = self.container_network(c)?;
        let r = self.network_setup_on(c, &n);
        if r.is_err() {
            let _ = self.network_release(&c.id);
        }
        r
    }

    fn network_setup_on(&mut self, c: &ContainerRecord, n: &NetworkRecord) -> Result<()> {
        self.bridge_up(n)?;
        let path = netns::netns_path(self.root(), &c.id);
        netns::create(&path)?;
        let addressing = subnet_config(n)?;
        let (wanted_ip, mut aliases) = self.db().endpoint_config(&c.id)?;
        aliases.push(names::short(&c.id).to_string());
        // The unique (network, ip) index settles a race with another berth.
        let mut ip = Ipv4Addr::UNSPECIFIED;
        for _ in 0..16 {
            let used: BTreeSet<Ipv4Addr> = self
                .db()
                .network_endpoints(&n.id)?
                .iter()
                .filter_map(|e| e.ip.parse().ok())
                .collect();
            let candidate = if wanted_ip.is_empty() {
                addressing.allocate(&used)
            } else {
                addressing.request(&wanted_ip, &used)
            }
            .map_err(net_err)?;
            let mac = endpoint::mac_from_ip(candidate);
            let rec = EndpointRecord {
                container_id: c.id.clone(),
                network_id: n.id.clone(),
                endpoint_id: names::new_id(),
                ip: candidate.to_string(),
                mac: endpoint::format_mac(mac),
                aliases: aliases.clone(),
                ports: "[]".into(),
            };
            if self.db_mut().insert_endpoint(&rec)? {
                ip = candidate;
                break;
            }
        }
        if ip.is_unspecified() {
            return Err(EngineError::Network(
                "no available addresses on this pool".into(),
            ));
        }
        let file = std::fs::File::open(&path).map_err(|e| EngineError::io("open", &path, e))?;
        let mut nl = Netlink::open().map_err(net_err)?;
        let mtu = match nl.link_by_name(&n.bridge).map_err(net_err)? {
            Some(l) => l.mtu,
            None => network::mtu::uplink_mtu(&mut nl).map_err(net_err)?,
        };
        let host_veth = endpoint::host_veth_name(&c.id, &n.id);
        endpoint::attach(
            &mut nl,
            &EndpointSpec {
                bridge: &n.bridge,
                host_veth: &host_veth,
                ifname: "eth0",
                netns: std::os::fd::AsFd::as_fd(&file),
                address: addressing.with_prefix(ip),
                gateway: Some(addressing.gateway),
                mac: endpoint::mac_from_ip(ip),
                mtu,
            },
        )
        .map_err(net_err)?;
        let mut fw = Firewall::open().map_err(net_err)?;
        let installed = fw.installed().map_err(net_err)?.ports;
        let exposed: Vec<String> = c.config.exposed_ports.keys().cloned().collect();
        let wanted = ports::mappings(&c.host_config, &exposed, ip, &installed)?;
        let (maps, published): (Vec<_>, Vec<_>) = wanted.into_iter().unzip();
        fw.publish(&maps).map_err(|e| {
            EngineError::Network(format!(
                "driver failed programming external connectivity on endpoint {} ({}): {e}",
                c.name, c.id
            ))
        })?;
        let json = serde_json::to_string(&published).unwrap_or_else(|_| "[]".into());
        self.db_mut().set_endpoint_ports(&c.id, &n.id, &json)?;
        self.write_hosts(c, Some(ip))?;
        Ok(())
    }

    /// Rewrites the container's `/etc/hosts` with (or without) its own address.
    fn write_hosts(&self, c: &ContainerRecord, ip: Option<Ipv4Addr>) -> Result<()> {
        let p = self.root().container_dir(&c.id).join("hosts");
        let text = crate::containers::spec::etc_files::hosts_file_with_address(
            &c.config.hostname,
            &c.config.domainname,
            ip.map(std::net::IpAddr::V4),
            &c.host_config.extra_hosts,
        );
        std::fs::write(&p, text).map_err(|e| EngineError::io("write", &p, e))
    }

    /// Undoes [`Engine::network_setup`]: unpublishes, unplugs, releases the addresses,
    /// unmounts the namespace. Safe to call at any time, any number of times.
    pub fn network_release(&mut self, id: &str) -> Result<()> {
        let eps = self.db().container_endpoints(id)?;
        let mut first_err = None;
        for e in &eps {
            let ip: Ipv4Addr = e.ip.parse().unwrap_or(Ipv4Addr::UNSPECIFIED);
            let maps = ports::to_mappings(&ports::decode(&e.ports), ip);
            if !maps.is_empty() {
                if let Err(err) = Firewall::open().and_then(|mut fw| fw.unpublish(&maps)) {
                    first_err.get_or_insert(net_err(err));
                }
            }
            let veth = endpoint::host_veth_name(id, &e.network_id);
            if let Err(err) =
                Netlink::open().and_then(|mut nl| endpoint::detach(&mut nl, &veth).map(drop))
            {
                first_err.get_or_insert(net_err(err));
            }
            self.db_mut().delete_endpoint(id, &e.network_id)?;
        }
        netns::remove(&netns::netns_path(self.root(), id))?;
        match first_err {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }
}

impl Engine {
    /// `--ip` and `--network-alias` at create: user-defined networks only, the address
    /// inside the network's subnet (Docker's messages).
    pub(crate) fn check_endpoint_request(
        &mut self,
        mode: &str,
        req: &crate::containers::config::EndpointRequest,
    ) -> Result<()> {
        let user_net = is_bridge_mode(mode) && mode != "bridge";
        if req.ipv4.is_some() && !user_net {
            return Err(EngineError::InvalidParameter(
                "user specified IP address is supported on user defined networks only".into(),
            ));
        }
        if !req.aliases.is_empty() && !user_net {
            return Err(EngineError::InvalidParameter(
                "network-scoped alias is supported only for containers in user defined networks"
                    .into(),
            ));
        }
        if let Some(ip) = req.ipv4 {
            let n = self.network(mode)?;
            subnet_config(&n)?
                .request(&ip.to_string(), &BTreeSet::new())
                .map_err(|e| {
                    EngineError::InvalidParameter(format!("invalid endpoint settings:\n{e}"))
                })?;
        }
        Ok(())
    }

    /// Records `--ip`/`--network-alias` with the new container.
    pub(crate) fn record_endpoint_request(
        &mut self,
        id: &str,
        req: &crate::containers::config::EndpointRequest,
    ) -> Result<()> {
        if req.ipv4.is_none() && req.aliases.is_empty() {
            return Ok(());
        }
        let ip = req.ipv4.map(|a| a.to_string()).unwrap_or_default();
        self.db_mut().set_endpoint_config(id, &ip, &req.aliases)
    }
}
