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
use crate::db::{ContainerRecord, EndpointConfig, EndpointRecord, NetworkRecord};
use crate::error::{EngineError, Result};
use crate::Engine;

/// Whether a recorded network mode puts the container on a berth bridge network (a name
/// other than `none`, `host`, `container:…`).
pub fn is_bridge_mode(mode: &str) -> bool {
    !matches!(mode, "" | "none" | "host" | "default") && !mode.starts_with("container:")
}

impl Engine {
    /// The networks a bridge-mode container is on, its `NetworkMode` one first, each with
    /// its settings (`--ip`, aliases, `network connect`). Networks removed since are
    /// skipped; an unknown `NetworkMode` network is an error.
    pub(crate) fn container_networks(
        &self,
        c: &ContainerRecord,
    ) -> Result<Vec<(NetworkRecord, EndpointConfig)>> {
        let mode = &c.host_config.network_mode;
        if !is_bridge_mode(mode) {
            return Ok(Vec::new());
        }
        let primary = self
            .db()
            .network(mode)?
            .ok_or_else(|| EngineError::NoSuchNetwork(mode.clone()))?;
        let configs = self.db().endpoint_configs(&c.id)?;
        let first = configs
            .iter()
            .find(|x| x.network_id == primary.id)
            .cloned()
            .unwrap_or_else(|| EndpointConfig {
                network_id: primary.id.clone(),
                ..Default::default()
            });
        let mut out = vec![(primary, first)];
        for cfg in configs {
            if out.iter().any(|(n, _)| n.id == cfg.network_id) {
                continue;
            }
            if let Some(n) = self.db().network(&cfg.network_id)? {
                out.push((n, cfg));
            }
        }
        Ok(out)
    }

    /// Everything a bridge-mode container needs before its monitor starts it. On failure
    /// nothing is left behind.
    pub(crate) fn network_setup(&mut self, c: &ContainerRecord) -> Result<()> {
        if !is_bridge_mode(&c.host_config.network_mode) {
            return Ok(());
        }
        self.network_release(&c.id)?;
        self.ensure_predefined()?;
        let r = self.network_setup_all(c);
        if r.is_err() {
            let _ = self.network_release(&c.id);
        }
        r
    }

    fn network_setup_all(&mut self, c: &ContainerRecord) -> Result<()> {
        let nets = self.container_networks(c)?;
        let path = netns::netns_path(self.root(), &c.id);
        netns::create(&path)?;
        let file = std::fs::File::open(&path).map_err(|e| EngineError::io("open", &path, e))?;
        for (i, (n, cfg)) in nets.iter().enumerate() {
            let ip = self.attach_one(c, n, cfg, i, &file)?;
            // An internal network publishes nothing (Docker ignores -p there).
            if i == 0 && !n.internal {
                self.publish_ports(c, n, ip)?;
            }
        }
        let ids: Vec<String> = nets.into_iter().map(|(n, _)| n.id).collect();
        self.write_resolv_conf_for(c)?;
        self.write_hosts_for(&c.id)?;
        self.refresh_peer_hosts(&ids);
        Ok(())
    }

    /// Plugs the container's namespace into one network as `eth<index>` (the default
    /// route only for index 0): an address recorded in `endpoints`, the veth pair.
    fn attach_one(
        &mut self,
        c: &ContainerRecord,
        n: &NetworkRecord,
        cfg: &EndpointConfig,
        index: usize,
        netns_file: &std::fs::File,
    ) -> Result<Ipv4Addr> {
        self.bridge_up(n)?;
        let addressing = subnet_config(n)?;
        let mut aliases = cfg.aliases.clone();
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
            let candidate = if cfg.ipv4.is_empty() {
                addressing.allocate(&used)
            } else {
                addressing.request(&cfg.ipv4, &used)
            }
            .map_err(net_err)?;
            let rec = EndpointRecord {
                container_id: c.id.clone(),
                network_id: n.id.clone(),
                endpoint_id: names::new_id(),
                ip: candidate.to_string(),
                mac: endpoint::format_mac(endpoint::mac_from_ip(candidate)),
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
        let mut nl = Netlink::open().map_err(net_err)?;
        let mtu = match nl.link_by_name(&n.bridge).map_err(net_err)? {
            Some(l) => l.mtu,
            None => network::mtu::uplink_mtu(&mut nl).map_err(net_err)?,
        };
        let host_veth = endpoint::host_veth_name(&c.id, &n.id);
        let ifname = format!("eth{index}");
        endpoint::attach(
            &mut nl,
            &EndpointSpec {
                bridge: &n.bridge,
                host_veth: &host_veth,
                ifname: &ifname,
                netns: std::os::fd::AsFd::as_fd(netns_file),
                address: addressing.with_prefix(ip),
                // An internal network gives no default route (Docker's).
                gateway: (index == 0 && !n.internal).then_some(addressing.gateway),
                mac: endpoint::mac_from_ip(ip),
                mtu,
            },
        )
        .map_err(net_err)?;
        Ok(ip)
    }

    /// Publishes the container's ports to `ip` and records them on its endpoint.
    fn publish_ports(
        &mut self,
        c: &ContainerRecord,
        n: &NetworkRecord,
        ip: Ipv4Addr,
    ) -> Result<()> {
        // Nothing to publish: no firewall round trip (libnftables and a table listing
        // cost milliseconds on every start).
        if c.host_config.port_bindings.is_empty() && !c.host_config.publish_all_ports {
            return Ok(());
        }
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
        self.db_mut().set_endpoint_ports(&c.id, &n.id, &json)
    }

    /// `network connect`: records the network for the container and, when it runs,
    /// plugs it in now as the next `ethN`.
    pub fn network_connect(
        &mut self,
        network: &str,
        container: &str,
        ipv4: Option<Ipv4Addr>,
        aliases: Vec<String>,
    ) -> Result<()> {
        let c = self.container(container)?;
        let n = self.network(network)?;
        if n.driver != "bridge" || !is_bridge_mode(&c.host_config.network_mode) {
            return Err(EngineError::ContainerConflict(format!(
                "container cannot be connected to network {}: berth connects bridge-network containers to bridge networks only",
                n.name
            )));
        }
        if self
            .container_networks(&c)?
            .iter()
            .any(|(m, _)| m.id == n.id)
        {
            return Err(EngineError::ContainerConflict(format!(
                "endpoint with name {} already exists in network {}",
                c.name, n.name
            )));
        }
        // Docker starts a sandbox's resolver when a running container joins its first
        // user-defined network (below); one that has it already keeps it.
        let had_dns = self.on_user_network(&c)?;
        if ipv4.is_some() && n.name == "bridge" {
            return Err(EngineError::InvalidParameter(
                "user specified IP address is supported on user defined networks only".into(),
            ));
        }
        if let Some(ip) = ipv4 {
            subnet_config(&n)?
                .request(&ip.to_string(), &BTreeSet::new())
                .map_err(|e| {
                    EngineError::InvalidParameter(format!("invalid endpoint settings:\n{e}"))
                })?;
        }
        let cfg = EndpointConfig {
            network_id: n.id.clone(),
            ipv4: ipv4.map(|a| a.to_string()).unwrap_or_default(),
            aliases,
        };
        self.db_mut().set_endpoint_config(&c.id, &cfg)?;
        let index = self.db().container_endpoints(&c.id)?.len();
        if index > 0 {
            let path = netns::netns_path(self.root(), &c.id);
            let plugged = std::fs::File::open(&path)
                .map_err(|e| EngineError::io("open", &path, e))
                .and_then(|f| self.attach_one(&c, &n, &cfg, index, &f));
            if let Err(e) = plugged {
                let _ = self.unplug(&c.id, &n.id);
                let _ = self.db_mut().delete_endpoint_config(&c.id, &n.id);
                return Err(e);
            }
            self.refresh_peer_hosts(std::slice::from_ref(&n.id));
            self.write_hosts_for(&c.id)?;
            if !had_dns {
                self.serve_dns_after_connect(&c);
            }
        }
        self.emit(crate::events::event(
            "network",
            "connect",
            &n.id,
            &[
                ("container", c.id.as_str()),
                ("name", n.name.as_str()),
                ("type", "bridge"),
            ],
        ));
        Ok(())
    }

    /// `network disconnect`: unplugs a running container and forgets the network.
    pub fn network_disconnect(&mut self, network: &str, container: &str) -> Result<()> {
        let c = self.container(container)?;
        let n = self.network(network)?;
        let nets = self.container_networks(&c)?;
        match nets.iter().position(|(m, _)| m.id == n.id) {
            None => Err(EngineError::ContainerConflict(format!(
                "container {} is not connected to network {}",
                c.id, n.name
            ))),
            Some(0) => Err(EngineError::ContainerConflict(format!(
                "berth cannot disconnect container {} from {}, the network it was created on (--network), yet",
                c.name, n.name
            ))),
            Some(_) => {
                self.unplug(&c.id, &n.id)?;
                self.db_mut().delete_endpoint_config(&c.id, &n.id)?;
                self.refresh_peer_hosts(std::slice::from_ref(&n.id));
                self.write_hosts_for(&c.id)?;
                self.emit(crate::events::event(
                    "network",
                    "disconnect",
                    &n.id,
                    &[("container", c.id.as_str()), ("name", n.name.as_str()), ("type", "bridge")],
                ));
                Ok(())
            }
        }
    }

    /// Removes one endpoint: its ports, its veth, its row.
    fn unplug(&mut self, id: &str, network_id: &str) -> Result<()> {
        self.unplug_as(id, network_id, Unplug::Delete)
    }

    fn unplug_as(&mut self, id: &str, network_id: &str, how: Unplug) -> Result<()> {
        let Some(e) = self
            .db()
            .container_endpoints(id)?
            .into_iter()
            .find(|e| e.network_id == network_id)
        else {
            return Ok(());
        };
        let mut first_err = None;
        let ip: Ipv4Addr = e.ip.parse().unwrap_or(Ipv4Addr::UNSPECIFIED);
        let maps = ports::to_mappings(&ports::decode(&e.ports), ip);
        if !maps.is_empty() {
            if let Err(err) = Firewall::open().and_then(|mut fw| fw.unpublish(&maps)) {
                first_err.get_or_insert(net_err(err));
            }
        }
        let veth = endpoint::host_veth_name(id, &e.network_id);
        if how == Unplug::Delete {
            if let Err(err) =
                Netlink::open().and_then(|mut nl| endpoint::detach(&mut nl, &veth).map(drop))
            {
                first_err.get_or_insert(net_err(err));
            }
        }
        self.db_mut().delete_endpoint(id, &e.network_id)?;
        match first_err {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    /// Undoes [`Engine::network_setup`]: unpublishes, unplugs, releases the addresses,
    /// unmounts the namespace. Safe to call at any time, any number of times.
    pub fn network_release(&mut self, id: &str) -> Result<()> {
        let mut first_err = None;
        let eps = self.db().container_endpoints(id)?;
        let ns = netns::netns_path(self.root(), id);
        // Deleting a veth waits for RCU grace periods (10–40 ms here), on the path of
        // every `rm` and `run --rm`. The container's processes are gone by now: when its
        // namespace loses its last reference (the mount, below) the kernel tears the pair
        // down in the background. Unless another container may hold the namespace
        // (`--network container:`): then the pair goes now, as Docker's does.
        let how =
            if !eps.is_empty() && netns::is_mounted(&ns) && !self.db().namespaces_shared(id)? {
                Unplug::WithNamespace
            } else {
                Unplug::Delete
            };
        for e in &eps {
            if let Err(err) = self.unplug_as(id, &e.network_id, how) {
                first_err.get_or_insert(err);
            }
        }
        if !eps.is_empty() {
            let ids: Vec<String> = eps.into_iter().map(|e| e.network_id).collect();
            self.refresh_peer_hosts(&ids);
        }
        netns::remove(&ns)?;
        match first_err {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }
}

/// How the host end of a container's veth goes when it is unplugged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unplug {
    /// Deleted now: the namespace lives on (a running container, `network disconnect`).
    Delete,
    /// Left to the kernel: the namespace's last reference is about to go, and the pair
    /// with it.
    WithNamespace,
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
        let c = self.find_container(id)?;
        let n = self.network(&c.host_config.network_mode)?;
        self.db_mut().set_endpoint_config(
            id,
            &EndpointConfig {
                network_id: n.id,
                ipv4: req.ipv4.map(|a| a.to_string()).unwrap_or_default(),
                aliases: req.aliases.clone(),
            },
        )
    }
}
