//! `-p/--publish` (`[ip:][hostPort:]containerPort[/proto]`, ranges, `[v6]` addresses, and
//! the long form `published=8080,target=80,protocol=udp`) and `--expose`, as Docker's
//! `nat.ParsePortSpecs`: every published port is also exposed.

use std::collections::BTreeMap;
use std::net::IpAddr;

use engine::containers::config::{Empty, PortBinding};

use super::error::FlagError;

/// Published ports and the ports they expose.
#[derive(Debug, Default, PartialEq)]
pub struct Published {
    pub exposed: BTreeMap<String, Empty>,
    pub bindings: BTreeMap<String, Vec<PortBinding>>,
}

/// Parses every `-p` value, in order.
pub fn parse_publish(specs: &[String]) -> Result<Published, FlagError> {
    let mut out = Published::default();
    for spec in specs {
        let spec = long_form(spec)?;
        for (port, binding) in parse_spec(&spec).map_err(FlagError::invalid)? {
            out.exposed.insert(port.clone(), Empty {});
            out.bindings.entry(port).or_default().push(binding);
        }
    }
    Ok(out)
}

/// `published=8080,target=80[,protocol=udp]` → `8080:80/udp` (Docker's
/// `convertToStandardNotation`).
fn long_form(spec: &str) -> Result<String, FlagError> {
    if !spec.contains('=') {
        return Ok(spec.to_string());
    }
    let mut params: BTreeMap<&str, &str> = BTreeMap::from([("protocol", "tcp")]);
    for param in spec.split(',') {
        match param.split_once('=') {
            Some((k, v)) if !k.is_empty() => {
                params.insert(k, v);
            }
            _ => {
                return Err(FlagError::invalid(format!(
                    "invalid publish opts format (should be name=value but got '{param}')"
                )))
            }
        }
    }
    let get = |k| params.get(k).copied().unwrap_or_default();
    Ok(format!(
        "{}:{}/{}",
        get("published"),
        get("target"),
        get("protocol")
    ))
}

/// One short-syntax spec → (`80/tcp`, binding) per container port.
fn parse_spec(raw: &str) -> Result<Vec<(String, PortBinding)>, String> {
    let parts: Vec<&str> = raw.split(':').collect();
    let (ip, host_port, container) = match parts.as_slice() {
        [c] => (String::new(), "", *c),
        [h, c] => (String::new(), *h, *c),
        [ip, h, c] => (ip.to_string(), *h, *c),
        [ip @ .., h, c] => (ip.join(":"), *h, *c),
        [] => (String::new(), "", ""),
    };
    let (container, proto) = match container.split_once('/') {
        Some((p, proto)) => (p, if proto.is_empty() { "tcp" } else { proto }),
        None => (container, "tcp"),
    };
    if container.is_empty() {
        return Err(format!("no port specified: {raw}<empty>"));
    }
    let proto = proto.to_lowercase();
    if !matches!(proto.as_str(), "tcp" | "udp" | "sctp") {
        return Err(format!("invalid proto: {proto}"));
    }
    let mut ip = ip;
    if ip.starts_with('[') {
        match ip.strip_prefix('[').and_then(|s| s.strip_suffix(']')) {
            Some(inner) if !inner.contains(['[', ']']) => ip = inner.to_string(),
            _ => {
                return Err(format!(
                    "invalid IP address {ip}: address {ip}:: missing port in address"
                ))
            }
        }
    }
    if !ip.is_empty() && ip.parse::<IpAddr>().is_err() {
        return Err(format!("invalid IP address: {ip}"));
    }
    let (start, end) =
        parse_range(container).map_err(|_| format!("invalid containerPort: {container}"))?;
    let (mut host_start, mut host_end) = (0, 0);
    if !host_port.is_empty() {
        (host_start, host_end) =
            parse_range(host_port).map_err(|_| format!("invalid hostPort: {host_port}"))?;
        if end - start != host_end - host_start && end != start {
            return Err(format!(
                "invalid ranges specified for container and host Ports: {container} and {host_port}"
            ));
        }
    }
    let count = end - start + 1;
    Ok((0..count)
        .map(|i| {
            let mut host = String::new();
            if !host_port.is_empty() {
                host = (host_start + i).to_string();
                if count == 1 && host_start != host_end {
                    host = format!("{host}-{host_end}");
                }
            }
            (
                format!("{}/{proto}", start + i),
                PortBinding {
                    host_ip: ip.clone(),
                    host_port: host,
                },
            )
        })
        .collect())
}

/// `80` or `8000-8010` (Docker's `parsePortRange`, with its error texts).
pub fn parse_range(ports: &str) -> Result<(u32, u32), String> {
    if ports.is_empty() {
        return Err("empty string specified for ports".into());
    }
    let (start, end) = match ports.split_once('-') {
        Some((s, e)) => (s, Some(e)),
        None => (ports, None),
    };
    let s = port_number(start).map_err(|e| format!("invalid start port '{start}': {e}"))?;
    let end = match end {
        Some(e) if e != start => e,
        _ => return Ok((s, s)),
    };
    let e = port_number(end).map_err(|err| format!("invalid end port '{end}': {err}"))?;
    if e < s {
        return Err(format!("invalid port range: {ports}"));
    }
    Ok((s, e))
}

fn port_number(raw: &str) -> Result<u32, String> {
    if raw.is_empty() {
        return Err("value is empty".into());
    }
    let digits = raw.strip_prefix(['+', '-']).unwrap_or(raw);
    if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) {
        return Err("invalid syntax".into());
    }
    match raw.parse::<i64>() {
        Ok(p) if (0..=65535).contains(&p) => u32::try_from(p).map_err(|e| e.to_string()),
        _ => Err("value out of range (0–65535)".into()),
    }
}

/// `--expose 80`, `--expose 8000-8010/udp` → `80/tcp`, `8000/udp` … `8010/udp`.
pub fn parse_expose(specs: &[String], into: &mut BTreeMap<String, Empty>) -> Result<(), FlagError> {
    for e in specs {
        let (range, proto) = match e.split_once('/') {
            Some((r, p)) => (r, p.to_lowercase()),
            None => (e.as_str(), "tcp".to_string()),
        };
        let wrap =
            |msg: String| FlagError::invalid(format!("invalid range format for --expose: {msg}"));
        if !matches!(proto.as_str(), "tcp" | "udp" | "sctp") {
            return Err(wrap(format!("invalid proto: {proto}")));
        }
        let (start, end) = parse_range(range).map_err(wrap)?;
        for p in start..=end {
            into.insert(format!("{p}/{proto}"), Empty {});
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b(ip: &str, port: &str) -> PortBinding {
        PortBinding {
            host_ip: ip.into(),
            host_port: port.into(),
        }
    }

    fn publish(specs: &[&str]) -> Result<Published, String> {
        let v: Vec<String> = specs.iter().map(|s| s.to_string()).collect();
        parse_publish(&v).map_err(|e| e.to_string())
    }

    #[test]
    fn short_forms() {
        let p = publish(&["80", "8080:81", "127.0.0.1:8081:82/udp", "127.0.0.1::83"]).unwrap();
        assert_eq!(p.bindings["80/tcp"], vec![b("", "")]);
        assert_eq!(p.bindings["81/tcp"], vec![b("", "8080")]);
        assert_eq!(p.bindings["82/udp"], vec![b("127.0.0.1", "8081")]);
        assert_eq!(p.bindings["83/tcp"], vec![b("127.0.0.1", "")]);
        assert_eq!(p.exposed.len(), 4);
        assert!(p.exposed.contains_key("82/udp"));
    }

    #[test]
    fn ranges() {
        let p = publish(&["8000-8002:80-82"]).unwrap();
        assert_eq!(p.bindings["80/tcp"], vec![b("", "8000")]);
        assert_eq!(p.bindings["82/tcp"], vec![b("", "8002")]);
        let p = publish(&["8000-8010:80"]).unwrap();
        assert_eq!(p.bindings["80/tcp"], vec![b("", "8000-8010")]);
        let p = publish(&["90-91"]).unwrap();
        assert_eq!(p.bindings.len(), 2);
        assert_eq!(
            publish(&["8000-8001:80-90"]).unwrap_err(),
            "invalid ranges specified for container and host Ports: 80-90 and 8000-8001"
        );
    }

    #[test]
    fn ipv6_and_long_form() {
        let p = publish(&["[::1]:8080:80", "published=9090,target=90,protocol=udp"]).unwrap();
        assert_eq!(p.bindings["80/tcp"], vec![b("::1", "8080")]);
        assert_eq!(p.bindings["90/udp"], vec![b("", "9090")]);
        let p = publish(&["80", "8080:80"]).unwrap();
        assert_eq!(p.bindings["80/tcp"], vec![b("", ""), b("", "8080")]);
    }

    #[test]
    fn errors() {
        assert_eq!(publish(&["abc"]).unwrap_err(), "invalid containerPort: abc");
        assert_eq!(publish(&["x:80"]).unwrap_err(), "invalid hostPort: x");
        assert_eq!(publish(&["80/foo"]).unwrap_err(), "invalid proto: foo");
        assert_eq!(
            publish(&["1.2.3:80:80"]).unwrap_err(),
            "invalid IP address: 1.2.3"
        );
        assert_eq!(
            publish(&["8080:"]).unwrap_err(),
            "no port specified: 8080:<empty>"
        );
        assert_eq!(
            publish(&["70000"]).unwrap_err(),
            "invalid containerPort: 70000"
        );
    }

    #[test]
    fn expose() {
        let mut m = BTreeMap::new();
        parse_expose(&["80".into(), "7000-7002/udp".into()], &mut m).unwrap();
        let keys: Vec<&str> = m.keys().map(String::as_str).collect();
        assert_eq!(keys, ["7000/udp", "7001/udp", "7002/udp", "80/tcp"]);
        let e = parse_expose(&["x".into()], &mut m).unwrap_err();
        assert_eq!(
            e.to_string(),
            "invalid range format for --expose: invalid start port 'x': invalid syntax"
        );
    }
}
