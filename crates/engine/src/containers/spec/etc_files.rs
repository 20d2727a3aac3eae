//! The content of the container's `/etc/hostname`, `/etc/hosts` and `/etc/resolv.conf`,
//! which the engine writes on the host and [`super::build`] binds in.

use std::net::IpAddr;

/// Docker's default hostname: the first 12 characters of the id.
pub fn default_hostname(id: &str) -> String {
    id.chars().take(12).collect()
}

/// Docker's fixed `/etc/hosts` lines.
const HOSTS_DEFAULT: &str = "127.0.0.1\tlocalhost\n\
    ::1\tlocalhost ip6-localhost ip6-loopback\n\
    fe00::0\tip6-localnet\n\
    ff00::0\tip6-mcastprefix\n\
    ff02::1\tip6-allnodes\n\
    ff02::2\tip6-allrouters\n";

/// `/etc/hosts` without an address of the container's own (`--network none`, or before
/// the network is up): the defaults and the `--add-host` lines.
pub fn hosts_file(hostname: &str, extra_hosts: &[String]) -> String {
    hosts_file_with_address(hostname, "", None, extra_hosts)
}

/// `/etc/hosts` as Docker writes it: the defaults, `--add-host name:ip` lines (`ip\tname`;
/// `name=ip` and `[v6]` also accepted), then the container's own address with its name
/// (`ip\thostname.domain hostname` when a domain name is set).
pub fn hosts_file_with_address(
    hostname: &str,
    domainname: &str,
    address: Option<IpAddr>,
    extra_hosts: &[String],
) -> String {
    let mut out = HOSTS_DEFAULT.to_string();
    for h in extra_hosts {
        let split = match (h.find('='), h.find(':')) {
            (Some(e), Some(c)) => Some(e.min(c)),
            (Some(e), None) => Some(e),
            (None, c) => c,
        };
        let Some(at) = split else { continue };
        let (name, ip) = (&h[..at], &h[at + 1..]);
        let ip = ip.trim_start_matches('[').trim_end_matches(']');
        out.push_str(&format!("{ip}\t{name}\n"));
    }
    if let Some(addr) = address {
        if domainname.is_empty() {
            out.push_str(&format!("{addr}\t{hostname}\n"));
        } else {
            out.push_str(&format!("{addr}\t{hostname}.{domainname} {hostname}\n"));
        }
    }
    out
}

fn is_loopback(ns: &str) -> bool {
    let ns = ns.split('%').next().unwrap_or(ns);
    ns.parse::<IpAddr>()
        .map(|ip| ip.is_loopback())
        .unwrap_or(false)
}

/// The host's resolv.conf (systemd-resolved's upstream file when its stub is in use).
pub fn host_resolv_conf() -> String {
    let main = std::fs::read_to_string("/etc/resolv.conf").unwrap_or_default();
    if main.contains("nameserver 127.0.0.53") {
        if let Ok(up) = std::fs::read_to_string("/run/systemd/resolve/resolv.conf") {
            return up;
        }
    }
    main
}

/// Docker's `/etc/resolv.conf` for a container on the default network: the host's file
/// without loopback nameservers (they mean nothing inside the container's network
/// namespace); Google's 8.8.8.8 and 8.8.4.4 when none is left; `--dns`, `--dns-search`
/// (`.` = no search domain), `--dns-option` replace the host's lines of that kind.
pub fn resolv_conf(
    host_resolv: &str,
    dns: &[String],
    search: &[String],
    options: &[String],
) -> String {
    let mut out = Vec::new();
    let mut nameservers = 0;
    for line in host_resolv.lines() {
        let mut words = line.split_whitespace();
        let first = words.next().unwrap_or("");
        match first {
            "nameserver" => {
                let addr = words.next().unwrap_or("");
                if !dns.is_empty() || is_loopback(addr) || addr.is_empty() {
                    continue;
                }
                nameservers += 1;
            }
            "search" | "domain" if !search.is_empty() => continue,
            "options" if !options.is_empty() => continue,
            _ => {}
        }
        out.push(line.to_string());
    }
    let mut extra = Vec::new();
    if !search.is_empty() && search.iter().any(|s| s != ".") {
        let domains: Vec<&str> = search
            .iter()
            .map(String::as_str)
            .filter(|s| *s != ".")
            .collect();
        extra.push(format!("search {}", domains.join(" ")));
    }
    if !dns.is_empty() {
        extra.extend(dns.iter().map(|d| format!("nameserver {d}")));
    } else if nameservers == 0 {
        extra.push("nameserver 8.8.8.8".into());
        extra.push("nameserver 8.8.4.4".into());
    }
    if !options.is_empty() {
        extra.push(format!("options {}", options.join(" ")));
    }
    while out.last().is_some_and(|l| l.trim().is_empty()) {
        out.pop();
    }
    out.extend(extra);
    let mut s = out.join("\n");
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn hostname_is_first_12() {
        assert_eq!(default_hostname("0123456789abcdef0123"), "0123456789ab");
    }

    #[test]
    fn hosts_defaults_and_extra() {
        let h = hosts_file("abc", &s(&["db:10.0.0.5", "v6:[::1]", "gw=192.168.1.1"]));
        let lines: Vec<&str> = h.lines().collect();
        assert_eq!(lines[0], "127.0.0.1\tlocalhost");
        assert_eq!(lines[1], "::1\tlocalhost ip6-localhost ip6-loopback");
        assert_eq!(lines[2], "fe00::0\tip6-localnet");
        assert_eq!(lines[5], "ff02::2\tip6-allrouters");
        assert_eq!(&lines[6..], ["10.0.0.5\tdb", "::1\tv6", "192.168.1.1\tgw"]);
        let h = hosts_file_with_address(
            "abc",
            "example.com",
            Some("172.17.0.2".parse().unwrap()),
            &[],
        );
        assert!(h.ends_with("172.17.0.2\tabc.example.com abc\n"));
    }

    #[test]
    fn resolv_drops_loopback_and_falls_back_to_google() {
        let host = "# comment\nnameserver 127.0.0.53\nnameserver ::1\noptions edns0\nsearch lan\n";
        let r = resolv_conf(host, &[], &[], &[]);
        assert_eq!(
            r,
            "# comment\noptions edns0\nsearch lan\nnameserver 8.8.8.8\nnameserver 8.8.4.4\n"
        );
        let r = resolv_conf("nameserver 127.0.0.1\nnameserver 10.1.1.1\n", &[], &[], &[]);
        assert_eq!(r, "nameserver 10.1.1.1\n");
    }

    #[test]
    fn resolv_overrides() {
        let host = "nameserver 10.1.1.1\nsearch lan\noptions edns0\n";
        let r = resolv_conf(
            host,
            &s(&["1.1.1.1"]),
            &s(&["a.com", "b.com"]),
            &s(&["ndots:2"]),
        );
        assert_eq!(
            r,
            "search a.com b.com\nnameserver 1.1.1.1\noptions ndots:2\n"
        );
        let r = resolv_conf(host, &[], &s(&["."]), &[]);
        assert_eq!(r, "nameserver 10.1.1.1\noptions edns0\n");
    }
}
