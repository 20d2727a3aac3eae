//! Network flags: `--network/--net`, `--network-alias`, `--ip`, `--ip6`, `--mac-address`,
//! `--dns`, `--dns-search`, `--dns-option`, `--add-host`. What has no field in
//! `HostConfig` (Docker keeps it in the endpoint settings) is returned as [`Endpoint`].

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::error::FlagError;

/// Docker's endpoint settings for the container's first network.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Endpoint {
    /// `--network-alias` (user-defined networks only).
    pub aliases: Vec<String>,
    /// `--ip`, canonical form.
    pub ipv4_address: Option<Ipv4Addr>,
    /// `--ip6`.
    pub ipv6_address: Option<Ipv6Addr>,
    /// `--mac-address`, as typed (validated).
    pub mac_address: Option<String>,
    /// Further `--network` values after the first, in order (Docker sends them to the
    /// daemon, which refuses more than one at create time unless it supports it).
    pub extra_networks: Vec<String>,
}

/// `--dns 8.8.8.8` → canonical address text.
pub fn parse_dns(v: &str) -> Result<String, FlagError> {
    v.trim()
        .parse::<IpAddr>()
        .map(|ip| ip.to_string())
        .map_err(|_| {
            FlagError::value(
                "--dns",
                v,
                format!("IP address is not correctly formatted: {v}"),
            )
        })
}

/// `--dns-search example.com` (or `.` for none), Docker's domain check.
pub fn parse_dns_search(v: &str) -> Result<String, FlagError> {
    let trimmed = v.trim_matches(' ');
    if trimmed == "." {
        return Ok(trimmed.to_string());
    }
    let err = || {
        FlagError::value(
            "--dns-search",
            v,
            format!("{trimmed} is not a valid domain"),
        )
    };
    if !trimmed.chars().any(|c| c.is_ascii_alphabetic()) {
        return Err(err());
    }
    let body = trimmed.strip_suffix('.').unwrap_or(trimmed);
    let label_ok = |l: &str| {
        !l.is_empty()
            && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            && !l.starts_with('-')
            && !l.ends_with('-')
    };
    if body.split('.').all(label_ok) && body.len() < 255 {
        Ok(body.to_string())
    } else {
        Err(err())
    }
}

/// `--add-host name:ip` or `name=ip` (`[v6]` allowed, `host-gateway` kept) → `name:ip`.
pub fn parse_add_host(v: &str) -> Result<String, FlagError> {
    let (k, ip) = match v.split_once('=') {
        Some(p) => Some(p),
        None => v.split_once(':'),
    }
    .filter(|(k, _)| !k.is_empty() && !k.contains(':'))
    .ok_or_else(|| {
        FlagError::value(
            "--add-host",
            v,
            format!("bad format for add-host: {}", super::error::quote(v)),
        )
    })?;
    let mut ip = ip;
    if ip != "host-gateway" {
        if ip.len() > 2 && ip.starts_with('[') && ip.ends_with(']') {
            ip = &ip[1..ip.len() - 1];
        }
        if ip.trim().parse::<IpAddr>().is_err() {
            return Err(FlagError::value(
                "--add-host",
                v,
                format!(
                    "invalid IP address in add-host: {}",
                    super::error::quote(ip)
                ),
            ));
        }
    }
    Ok(format!("{k}:{ip}"))
}

/// `--ip`/`--ip6` (pflag's IP flag type).
pub fn parse_ip(flag: &str, v: &str) -> Result<IpAddr, FlagError> {
    v.trim().parse::<IpAddr>().map_err(|_| {
        FlagError::value(
            flag,
            v,
            format!("invalid string being converted to IP address: {v}"),
        )
    })
}

/// `--mac-address 92:d0:c6:0a:29:33` (also `-` separated).
pub fn validate_mac(v: &str) -> Result<(), FlagError> {
    let t = v.trim();
    let parts: Vec<&str> = t.split([':', '-']).collect();
    let seps_same = !(t.contains(':') && t.contains('-'));
    let ok = seps_same
        && matches!(parts.len(), 6 | 8 | 20)
        && parts
            .iter()
            .all(|p| p.len() == 2 && p.chars().all(|c| c.is_ascii_hexdigit()));
    if ok {
        Ok(())
    } else {
        Err(FlagError::invalid(format!(
            "{v} is not a valid mac address"
        )))
    }
}

/// Docker's `NetworkMode.IsUserDefined`.
pub fn is_user_defined(mode: &str) -> bool {
    !matches!(mode, "" | "default" | "bridge" | "host" | "none") && !mode.starts_with("container:")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dns() {
        assert_eq!(parse_dns("8.8.8.8").unwrap(), "8.8.8.8");
        assert_eq!(parse_dns("0:0:0:0:0:0:0:1").unwrap(), "::1");
        assert_eq!(
            parse_dns("nope").unwrap_err().to_string(),
            "invalid argument \"nope\" for \"--dns\" flag: IP address is not correctly formatted: nope"
        );
        assert_eq!(parse_dns_search("example.com").unwrap(), "example.com");
        assert_eq!(parse_dns_search("example.com.").unwrap(), "example.com");
        assert_eq!(parse_dns_search(".").unwrap(), ".");
        assert_eq!(
            parse_dns_search("-bad.com").unwrap_err().to_string(),
            "invalid argument \"-bad.com\" for \"--dns-search\" flag: -bad.com is not a valid domain"
        );
    }

    #[test]
    fn add_host() {
        assert_eq!(parse_add_host("db:10.0.0.2").unwrap(), "db:10.0.0.2");
        assert_eq!(parse_add_host("db=10.0.0.2").unwrap(), "db:10.0.0.2");
        assert_eq!(parse_add_host("v6:::1").unwrap(), "v6:::1");
        assert_eq!(parse_add_host("v6=[::1]").unwrap(), "v6:::1");
        assert_eq!(
            parse_add_host("gw:host-gateway").unwrap(),
            "gw:host-gateway"
        );
        assert_eq!(
            parse_add_host("nohost").unwrap_err().to_string(),
            "invalid argument \"nohost\" for \"--add-host\" flag: bad format for add-host: \"nohost\""
        );
        assert_eq!(
            parse_add_host("db:nope").unwrap_err().to_string(),
            "invalid argument \"db:nope\" for \"--add-host\" flag: invalid IP address in add-host: \"nope\""
        );
    }

    #[test]
    fn ip_and_mac() {
        assert!(parse_ip("--ip", "172.30.100.104").is_ok());
        assert_eq!(
            parse_ip("--ip", "x").unwrap_err().to_string(),
            "invalid argument \"x\" for \"--ip\" flag: invalid string being converted to IP address: x"
        );
        assert!(validate_mac("92:d0:c6:0a:29:33").is_ok());
        assert!(validate_mac("92-d0-c6-0a-29-33").is_ok());
        assert_eq!(
            validate_mac("92:d0").unwrap_err().to_string(),
            "92:d0 is not a valid mac address"
        );
        assert!(is_user_defined("mynet"));
        assert!(!is_user_defined("bridge"));
        assert!(!is_user_defined("container:x"));
    }
}
