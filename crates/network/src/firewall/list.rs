//! Reading back what berth installed, from libnftables' JSON listing of its table.

use std::net::Ipv4Addr;

use ipnet::Ipv4Net;
use serde_json::Value;

use super::{FirewallError, PortMapping, Proto};

/// Everything berth's table holds.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Installed {
    /// Bridges of networks with rules.
    pub bridges: Vec<String>,
    /// Bridges of internal networks.
    pub internal: Vec<String>,
    /// Subnets of networks with rules.
    pub subnets: Vec<Ipv4Net>,
    /// Published ports (`host_ip` is `None` for every host address).
    pub ports: Vec<PortMapping>,
}

impl Installed {
    /// Whether nothing is installed.
    pub fn is_empty(&self) -> bool {
        self.bridges.is_empty()
            && self.internal.is_empty()
            && self.subnets.is_empty()
            && self.ports.is_empty()
    }
}

fn bad(what: &str) -> FirewallError {
    FirewallError::Decode(what.to_string())
}

fn parse_proto(v: &Value) -> Result<Proto, FirewallError> {
    match v.as_str() {
        Some("tcp") => Ok(Proto::Tcp),
        Some("udp") => Ok(Proto::Udp),
        Some("6") => Ok(Proto::Tcp),
        Some("17") => Ok(Proto::Udp),
        _ => match v.as_u64() {
            Some(6) => Ok(Proto::Tcp),
            Some(17) => Ok(Proto::Udp),
            _ => Err(bad("protocol")),
        },
    }
}

fn parse_ip(v: &Value) -> Result<Ipv4Addr, FirewallError> {
    v.as_str()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| bad("address"))
}

fn parse_port(v: &Value) -> Result<u16, FirewallError> {
    v.as_u64()
        .and_then(|p| u16::try_from(p).ok())
        .ok_or_else(|| bad("port"))
}

fn concat(v: &Value) -> Result<&Vec<Value>, FirewallError> {
    v.get("concat")
        .and_then(Value::as_array)
        .ok_or_else(|| bad("concatenation"))
}

/// Parses `nft -j list table ip berth`.
pub fn parse(json: &str) -> Result<Installed, FirewallError> {
    let doc: Value =
        serde_json::from_str(json).map_err(|e| FirewallError::Decode(e.to_string()))?;
    let items = doc
        .get("nftables")
        .and_then(Value::as_array)
        .ok_or_else(|| bad("listing"))?;
    let mut out = Installed::default();
    for item in items {
        let (obj, is_map) = match (item.get("set"), item.get("map")) {
            (Some(s), _) => (s, false),
            (_, Some(m)) => (m, true),
            _ => continue,
        };
        let name = obj.get("name").and_then(Value::as_str).unwrap_or_default();
        let empty = Vec::new();
        let elems = obj.get("elem").and_then(Value::as_array).unwrap_or(&empty);
        for e in elems {
            match (name, is_map) {
                ("bridges", false) => {
                    if let Some(s) = e.as_str() {
                        out.bridges.push(s.to_string());
                    }
                }
                ("internal", false) => {
                    if let Some(s) = e.as_str() {
                        out.internal.push(s.to_string());
                    }
                }
                ("subnets", false) => {
                    let net = if let Some(p) = e.get("prefix") {
                        let addr = parse_ip(&p["addr"])?;
                        let len = p["len"].as_u64().and_then(|l| u8::try_from(l).ok());
                        len.and_then(|l| Ipv4Net::new(addr, l).ok())
                    } else {
                        parse_ip(e).ok().and_then(|a| Ipv4Net::new(a, 32).ok())
                    };
                    out.subnets.push(net.ok_or_else(|| bad("subnet"))?);
                }
                ("ports" | "ports_any", true) => {
                    let pair = e.as_array().ok_or_else(|| bad("map element"))?;
                    let (Some(k), Some(v)) = (pair.first(), pair.get(1)) else {
                        return Err(bad("map element"));
                    };
                    let k = concat(k)?;
                    let v = concat(v)?;
                    let (proto, host_ip, host_port) = if name == "ports" {
                        (
                            parse_proto(&k[0])?,
                            Some(parse_ip(&k[1])?),
                            parse_port(&k[2])?,
                        )
                    } else {
                        (parse_proto(&k[0])?, None, parse_port(&k[1])?)
                    };
                    out.ports.push(PortMapping {
                        proto,
                        host_ip,
                        host_port,
                        container_ip: parse_ip(&v[0])?,
                        container_port: parse_port(&v[1])?,
                    });
                }
                _ => {}
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_libnftables_listing() {
        let json = r#"{"nftables": [{"metainfo": {"version": "1.0.6"}},
          {"set": {"name": "bridges", "elem": ["br0"]}},
          {"set": {"name": "subnets", "elem": [{"prefix": {"addr": "172.17.0.0", "len": 16}}, "10.0.0.1"]}},
          {"map": {"name": "ports", "elem": [[{"concat": ["tcp", "10.0.0.1", 8080]}, {"concat": ["172.17.0.2", 80]}]]}},
          {"map": {"name": "ports_any", "elem": [[{"concat": ["udp", 53]}, {"concat": ["172.17.0.2", 5353]}]]}}]}"#;
        let got = parse(json).unwrap();
        assert_eq!(got.bridges, vec!["br0"]);
        assert_eq!(
            got.subnets,
            vec![
                "172.17.0.0/16".parse().unwrap(),
                "10.0.0.1/32".parse().unwrap()
            ]
        );
        assert_eq!(got.ports.len(), 2);
        assert_eq!(got.ports[0].host_ip, Some(Ipv4Addr::new(10, 0, 0, 1)));
        assert_eq!(got.ports[1].proto, Proto::Udp);
        assert_eq!(got.ports[1].host_ip, None);
        assert_eq!(got.ports[1].container_port, 5353);
    }
}
