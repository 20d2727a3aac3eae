//! Docker's JSON for networks: a container's `NetworkSettings` (inspect) and `network
//! inspect`'s objects.

use serde_json::{json, Map, Value};

use super::netns;
use super::ports::{decode, Published};
use crate::db::{ContainerRecord, EndpointRecord, NetworkRecord};
use crate::Engine;

fn prefix_len(subnet: &str) -> u8 {
    subnet
        .split_once('/')
        .and_then(|(_, p)| p.parse().ok())
        .unwrap_or(0)
}

/// `NetworkSettings.Ports`: `{"80/tcp": [{"HostIp": "0.0.0.0", "HostPort": "8080"}]}`,
/// exposed-only ports as `null`.
fn ports_json(c: &ContainerRecord, published: &[Published]) -> Value {
    let mut out = Map::new();
    for k in c.config.exposed_ports.keys() {
        out.insert(k.clone(), Value::Null);
    }
    for p in published {
        let entry = out
            .entry(p.private.clone())
            .or_insert_with(|| Value::Array(Vec::new()));
        if !entry.is_array() {
            *entry = Value::Array(Vec::new());
        }
        if let Some(a) = entry.as_array_mut() {
            a.push(json!({"HostIp": p.host_ip, "HostPort": p.host_port.to_string()}));
        }
    }
    Value::Object(out)
}

fn endpoint_json(n: Option<&NetworkRecord>, e: Option<&EndpointRecord>) -> Value {
    let (gw, plen) = match n {
        Some(n) if e.is_some() => (n.gateway.clone(), prefix_len(&n.subnet)),
        _ => (String::new(), 0),
    };
    json!({
        "IPAMConfig": Value::Null,
        "Links": Value::Null,
        "Aliases": e.map(|e| json!(e.aliases)).unwrap_or(Value::Null),
        "MacAddress": e.map(|e| e.mac.clone()).unwrap_or_default(),
        "NetworkID": n.map(|n| n.id.clone()).unwrap_or_default(),
        "EndpointID": e.map(|e| e.endpoint_id.clone()).unwrap_or_default(),
        "Gateway": gw,
        "IPAddress": e.map(|e| e.ip.clone()).unwrap_or_default(),
        "IPPrefixLen": plen,
        "IPv6Gateway": "",
        "GlobalIPv6Address": "",
        "GlobalIPv6PrefixLen": 0,
        "DriverOpts": Value::Null,
        "DNSNames": Value::Null,
    })
}

impl Engine {
    /// A container's `NetworkSettings` in Docker's shape.
    pub(crate) fn network_settings(&self, c: &ContainerRecord) -> Value {
        let mode = c.host_config.network_mode.clone();
        let eps = self.db().container_endpoints(&c.id).unwrap_or_default();
        let nets = self.container_networks(c).unwrap_or_default();
        let mut networks = Map::new();
        let mut published: Vec<Published> = Vec::new();
        for (i, (n, cfg)) in nets.iter().enumerate() {
            let ep = eps.iter().find(|e| e.network_id == n.id);
            if i == 0 {
                published = ep.map(|e| decode(&e.ports)).unwrap_or_default();
            }
            let mut v = endpoint_json(Some(n), ep);
            if !cfg.ipv4.is_empty() {
                v["IPAMConfig"] = json!({ "IPv4Address": cfg.ipv4 });
            }
            if ep.is_none() && !cfg.aliases.is_empty() {
                v["Aliases"] = json!(cfg.aliases);
            }
            networks.insert(n.name.clone(), v);
        }
        if networks.is_empty() {
            networks.insert(mode, endpoint_json(None, None));
        }
        let top = networks
            .values()
            .next()
            .cloned()
            .unwrap_or_else(|| endpoint_json(None, None));
        let sandbox = netns::netns_path(self.root(), &c.id);
        let running = !eps.is_empty();
        json!({
            "Bridge": "",
            "SandboxID": if running { c.id.clone() } else { String::new() },
            "SandboxKey": if running { sandbox.display().to_string() } else { String::new() },
            "Ports": ports_json(c, &published),
            "HairpinMode": false,
            "LinkLocalIPv6Address": "",
            "LinkLocalIPv6PrefixLen": 0,
            "SecondaryIPAddresses": Value::Null,
            "SecondaryIPv6Addresses": Value::Null,
            "EndpointID": top["EndpointID"],
            "Gateway": top["Gateway"],
            "GlobalIPv6Address": "",
            "GlobalIPv6PrefixLen": 0,
            "IPAddress": top["IPAddress"],
            "IPPrefixLen": top["IPPrefixLen"],
            "IPv6Gateway": "",
            "MacAddress": top["MacAddress"],
            "Networks": networks,
        })
    }

    /// `network inspect`'s object for one network.
    pub fn network_inspect_json(&mut self, n: &NetworkRecord) -> Value {
        let mut containers = Map::new();
        for e in self.db().network_endpoints(&n.id).unwrap_or_default() {
            let name = self
                .db()
                .container(&e.container_id)
                .ok()
                .flatten()
                .map(|c| c.name)
                .unwrap_or_default();
            containers.insert(
                e.container_id.clone(),
                json!({
                    "Name": name,
                    "EndpointID": e.endpoint_id,
                    "MacAddress": e.mac,
                    "IPv4Address": format!("{}/{}", e.ip, prefix_len(&n.subnet)),
                    "IPv6Address": "",
                }),
            );
        }
        let config = if n.subnet.is_empty() {
            json!([])
        } else {
            let mut c = json!({"Subnet": n.subnet, "Gateway": n.gateway});
            if !n.ip_range.is_empty() {
                c["IPRange"] = json!(n.ip_range);
            }
            json!([c])
        };
        json!({
            "Name": n.name,
            "Id": n.id,
            "Created": n.created,
            "Scope": "local",
            "Driver": n.driver,
            "EnableIPv6": false,
            "IPAM": {"Driver": "default", "Options": {}, "Config": config},
            "Internal": n.internal,
            "Attachable": false,
            "Ingress": false,
            "ConfigFrom": {"Network": ""},
            "ConfigOnly": false,
            "Containers": containers,
            "Options": n.options,
            "Labels": n.labels,
        })
    }
}
