//! Published ports: `HostConfig.PortBindings` (and `-P`'s exposed ports) turned into
//! firewall mappings, free host ports picked for `-p 80` and `-P`, and the record kept in
//! the endpoint row that `port` and `inspect` read back.

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, TcpListener, UdpSocket};

use network::firewall::{PortMapping, Proto};
use serde::{Deserialize, Serialize};

use crate::containers::HostConfig;
use crate::error::{EngineError, Result};

/// One published port as installed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Published {
    /// `80/tcp`.
    pub private: String,
    /// `0.0.0.0` for every address.
    pub host_ip: String,
    pub host_port: u16,
}

fn proto_of(key: &str) -> Result<(u16, Proto)> {
    let (port, proto) = key.split_once('/').unwrap_or((key, "tcp"));
    let port: u16 = port
        .parse()
        .map_err(|_| EngineError::InvalidParameter(format!("invalid port {key}")))?;
    match proto {
        "tcp" | "" => Ok((port, Proto::Tcp)),
        "udp" => Ok((port, Proto::Udp)),
        other => Err(EngineError::InvalidParameter(format!(
            "publishing {other} ports is not supported by berth (tcp or udp)"
        ))),
    }
}

/// The kernel's ephemeral range, where Docker picks ports for `-p 80` and `-P`.
fn ephemeral_range() -> (u16, u16) {
    std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|s| {
            let mut it = s.split_whitespace().map(|w| w.parse::<u16>().ok());
            Some((it.next()??, it.next()??))
        })
        .unwrap_or((32768, 60999))
}

/// Whether nothing on the host holds `port` (a listener would be shadowed by the DNAT).
fn host_port_free(proto: Proto, ip: Ipv4Addr, port: u16) -> bool {
    match proto {
        Proto::Tcp => TcpListener::bind((ip, port)).is_ok(),
        Proto::Udp => UdpSocket::bind((ip, port)).is_ok(),
    }
}

fn taken(installed: &[PortMapping], proto: Proto, port: u16) -> bool {
    installed
        .iter()
        .any(|m| m.proto == proto && m.host_port == port)
}

/// The mappings a container's host config asks for, to `container_ip`, with concrete
/// host ports (`installed` are those other containers hold).
pub fn mappings(
    host: &HostConfig,
    exposed: &[String],
    container_ip: Ipv4Addr,
    installed: &[PortMapping],
) -> Result<Vec<(PortMapping, Published)>> {
    let mut wanted: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
    for (key, bindings) in &host.port_bindings {
        for b in bindings {
            wanted
                .entry(key.clone())
                .or_default()
                .push((b.host_ip.clone(), b.host_port.clone()));
        }
    }
    if host.publish_all_ports {
        for key in exposed {
            wanted
                .entry(key.clone())
                .or_insert_with(|| vec![(String::new(), String::new())]);
        }
    }
    let mut out: Vec<(PortMapping, Published)> = Vec::new();
    let (lo, hi) = ephemeral_range();
    for (key, bindings) in wanted {
        let (container_port, proto) = proto_of(&key)?;
        for (ip, port) in bindings {
            let host_ip: Option<Ipv4Addr> = match ip.as_str() {
                "" | "0.0.0.0" => None,
                s => match s.parse() {
                    Ok(a) => Some(a),
                    // IPv6 host addresses: berth publishes IPv4 only.
                    Err(_) => continue,
                },
            };
            let bind_ip = host_ip.unwrap_or(Ipv4Addr::UNSPECIFIED);
            let mine: Vec<PortMapping> = out.iter().map(|(m, _)| *m).collect();
            let (start, end) = match port.split_once('-') {
                _ if port.is_empty() => (lo, hi),
                Some((a, b)) => (
                    a.parse().map_err(|_| bad_port(&port))?,
                    b.parse().map_err(|_| bad_port(&port))?,
                ),
                None => {
                    let p = port.parse().map_err(|_| bad_port(&port))?;
                    (p, p)
                }
            };
            let host_port = if start == end {
                start
            } else {
                (start..=end)
                    .find(|p| {
                        !taken(installed, proto, *p)
                            && !taken(&mine, proto, *p)
                            && host_port_free(proto, bind_ip, *p)
                    })
                    .ok_or_else(|| {
                        EngineError::Network(format!(
                            "Bind for {bind_ip}:{port} failed: port is already allocated"
                        ))
                    })?
            };
            let m = PortMapping {
                proto,
                host_ip,
                host_port,
                container_ip,
                container_port,
            };
            out.push((
                m,
                Published {
                    private: key.clone(),
                    host_ip: bind_ip.to_string(),
                    host_port,
                },
            ));
        }
    }
    Ok(out)
}

fn bad_port(p: &str) -> EngineError {
    EngineError::InvalidParameter(format!("invalid hostPort: {p}"))
}

/// The endpoint row's `ports` column → mappings (for unpublishing) and records.
pub fn decode(ports: &str) -> Vec<Published> {
    serde_json::from_str(ports).unwrap_or_default()
}

/// Records → the mappings to remove from the firewall.
pub fn to_mappings(published: &[Published], container_ip: Ipv4Addr) -> Vec<PortMapping> {
    published
        .iter()
        .filter_map(|p| {
            let (container_port, proto) = proto_of(&p.private).ok()?;
            let host_ip = match p.host_ip.parse::<Ipv4Addr>() {
                Ok(a) if !a.is_unspecified() => Some(a),
                _ => None,
            };
            Some(PortMapping {
                proto,
                host_ip,
                host_port: p.host_port,
                container_ip,
                container_port,
            })
        })
        .collect()
}
