//! `port`: a container's published ports and Docker's lines for them: on a bridge network
//! what its endpoint recorded (networks::ports); otherwise (host mode) a running
//! container's `HostConfig.PortBindings`.

use std::cmp::Ordering;

use super::state::is_active;
use crate::error::{EngineError, Result};
use crate::Engine;

/// One published port: `80/tcp` → `0.0.0.0:8080`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortMapping {
    /// `PORT/PROTO` inside the container.
    pub private: String,
    pub host_ip: String,
    pub host_port: String,
}

impl Engine {
    /// The published ports of a container (none unless it runs, as Docker).
    pub fn container_ports(&mut self, id_or_name: &str) -> Result<Vec<PortMapping>> {
        let c = self.container(id_or_name)?;
        if !is_active(&c.state.status) {
            return Ok(Vec::new());
        }
        let mut out = Vec::new();
        if crate::networks::attach::is_bridge_mode(&c.host_config.network_mode) {
            // What was really published (host ports picked for `-p 80`, `-P`).
            for e in self.db().container_endpoints(&c.id)? {
                for p in crate::networks::ports::decode(&e.ports) {
                    out.push(PortMapping {
                        private: p.private,
                        host_ip: p.host_ip,
                        host_port: p.host_port.to_string(),
                    });
                }
            }
            return Ok(out);
        }
        for (private, bindings) in &c.host_config.port_bindings {
            for b in bindings {
                // An empty host IP is bound on every address, IPv4 and IPv6 (Docker ≥ 20.10).
                let ips: Vec<&str> = if b.host_ip.is_empty() {
                    vec!["0.0.0.0", "::"]
                } else {
                    vec![b.host_ip.as_str()]
                };
                for ip in ips {
                    out.push(PortMapping {
                        private: private.clone(),
                        host_ip: ip.to_string(),
                        host_port: b.host_port.clone(),
                    });
                }
            }
        }
        Ok(out)
    }
}

/// Go's `net.JoinHostPort`: IPv6 addresses in brackets.
fn join_host_port(ip: &str, port: &str) -> String {
    if ip.contains(':') {
        format!("[{ip}]:{port}")
    } else {
        format!("{ip}:{port}")
    }
}

/// Docker's `port` output: every mapping as `80/tcp -> 0.0.0.0:8080`, or with
/// `private` (`80`, `80/udp`; tcp by default) only the host addresses of that port —
/// an error naming `container` when it is not published. Lines in natural order.
pub fn port_lines(
    mappings: &[PortMapping],
    private: Option<&str>,
    container: &str,
) -> Result<Vec<String>> {
    let mut out = match private {
        Some(p) => {
            let (port, proto) = p.split_once('/').unwrap_or((p, "tcp"));
            let proto = if proto.is_empty() { "tcp" } else { proto };
            if port.parse::<u16>().is_err() {
                return Err(EngineError::InvalidParameter(format!(
                    "Error: invalid port ({port}): strconv.ParseUint: parsing \"{port}\": invalid syntax"
                )));
            }
            let key = format!("{port}/{proto}");
            let found: Vec<String> = mappings
                .iter()
                .filter(|m| m.private == key)
                .map(|m| join_host_port(&m.host_ip, &m.host_port))
                .collect();
            if found.is_empty() {
                return Err(EngineError::InvalidParameter(format!(
                    "Error: No public port '{key}' published for {container}"
                )));
            }
            found
        }
        None => mappings
            .iter()
            .map(|m| {
                format!(
                    "{} -> {}",
                    m.private,
                    join_host_port(&m.host_ip, &m.host_port)
                )
            })
            .collect(),
    };
    out.sort_by(|a, b| natural_cmp(a, b));
    Ok(out)
}

/// Natural order (`sortorder.NaturalLess`): digit runs compare as numbers.
fn natural_cmp(a: &str, b: &str) -> Ordering {
    let (mut a, mut b) = (a.as_bytes(), b.as_bytes());
    loop {
        match (a.first(), b.first()) {
            (None, None) => return Ordering::Equal,
            (None, _) => return Ordering::Less,
            (_, None) => return Ordering::Greater,
            (Some(x), Some(y)) if x.is_ascii_digit() && y.is_ascii_digit() => {
                let da = a.iter().take_while(|c| c.is_ascii_digit()).count();
                let db = b.iter().take_while(|c| c.is_ascii_digit()).count();
                let na = std::str::from_utf8(&a[..da])
                    .unwrap_or("0")
                    .trim_start_matches('0');
                let nb = std::str::from_utf8(&b[..db])
                    .unwrap_or("0")
                    .trim_start_matches('0');
                let o = na.len().cmp(&nb.len()).then_with(|| na.cmp(nb));
                if o != Ordering::Equal {
                    return o;
                }
                a = &a[da..];
                b = &b[db..];
            }
            (Some(x), Some(y)) => {
                if x != y {
                    return x.cmp(y);
                }
                a = &a[1..];
                b = &b[1..];
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(private: &str, ip: &str, port: &str) -> PortMapping {
        PortMapping {
            private: private.into(),
            host_ip: ip.into(),
            host_port: port.into(),
        }
    }

    #[test]
    fn lines_like_docker() {
        let ms = vec![
            m("9000/tcp", "0.0.0.0", "9000"),
            m("80/tcp", "::", "8080"),
            m("80/tcp", "0.0.0.0", "8080"),
            m("53/udp", "127.0.0.1", "5353"),
        ];
        assert_eq!(
            port_lines(&ms, None, "web").unwrap(),
            vec![
                "53/udp -> 127.0.0.1:5353",
                "80/tcp -> 0.0.0.0:8080",
                "80/tcp -> [::]:8080",
                "9000/tcp -> 0.0.0.0:9000",
            ]
        );
        assert_eq!(
            port_lines(&ms, Some("80"), "web").unwrap(),
            vec!["0.0.0.0:8080", "[::]:8080"]
        );
        assert_eq!(
            port_lines(&ms, Some("53/udp"), "web").unwrap(),
            vec!["127.0.0.1:5353"]
        );
        assert_eq!(
            port_lines(&ms, Some("53"), "web").unwrap_err().to_string(),
            "Error: No public port '53/tcp' published for web"
        );
        assert!(port_lines(&ms, Some("http"), "web").is_err());
        assert!(port_lines(&[], None, "web").unwrap().is_empty());
    }
}
