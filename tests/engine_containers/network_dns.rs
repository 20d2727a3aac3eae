//! The embedded DNS server (issue #6): containers on a user-defined network resolve each
//! other's names, aliases and short ids through 127.0.0.11 (served by each container's
//! monitor inside its namespace); names of other networks are not answered; other names
//! are forwarded to the upstreams; nothing outlives the container.
//!
//! No query ever leaves the machine: every container names `--dns 127.0.0.77`, where the
//! test binary's own responder ([`responder`]) answers `outside.test.` and NXDOMAIN to
//! the rest, in the test's own network namespace. Each test has its own namespace,
//! bridge and 10.232.N.0/24 subnet ([`NetGuard`]).

use std::net::{Ipv4Addr, UdpSocket};

use super::network::{default_bridge, make_network, NetGuard, OnNetwork};
use super::*;

/// The upstream every test container is given.
const UPSTREAM: &str = "127.0.0.77";
/// What the responder answers for `outside.test.`: a loopback address, so that a
/// container can ping it without a packet leaving its namespace.
const OUTSIDE: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 78);

/// A DNS responder on 127.0.0.77:53 of the calling test's network namespace (see
/// `isolate_network`), answering until the test binary ends: an A record for
/// `outside.test.`, an empty answer for its other types, NXDOMAIN for every other name.
fn responder() {
    let sock = UdpSocket::bind((UPSTREAM, 53)).expect("bind the test responder");
    // The thread is in the test's namespace: threads start in their creator's.
    std::thread::spawn(move || {
        let mut buf = [0u8; 512];
        while let Ok((n, from)) = sock.recv_from(&mut buf) {
            if let Some(answer) = respond(&buf[..n]) {
                let _ = sock.send_to(&answer, from);
            }
        }
    });
}

/// The responder's answer to one query.
fn respond(q: &[u8]) -> Option<Vec<u8>> {
    if q.len() < 12 {
        return None;
    }
    let mut at = 12;
    let mut labels = Vec::new();
    loop {
        let len = usize::from(*q.get(at)?);
        at += 1;
        if len == 0 {
            break;
        }
        labels.push(String::from_utf8_lossy(q.get(at..at + len)?).to_ascii_lowercase());
        at += len;
    }
    let qtype = u16::from_be_bytes([*q.get(at)?, *q.get(at + 1)?]);
    let end = at + 4;
    let known = labels.join(".") == "outside.test";
    let a = known && qtype == 1;
    let mut out = q[..2].to_vec();
    out.push(0x81);
    out.push(if known { 0x80 } else { 0x83 });
    out.extend_from_slice(&[0, 1, 0, u8::from(a), 0, 0, 0, 0]);
    out.extend_from_slice(q.get(12..end)?);
    if a {
        out.extend_from_slice(&[0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4]);
        out.extend_from_slice(&OUTSIDE.octets());
    }
    Some(out)
}

/// `run -d --dns 127.0.0.77` of a sleeping busybox with these extra flags; the id.
fn sleeper(b: &Berth, flags: &[&str]) -> String {
    let mut args = vec!["run", "-d", "--dns", UPSTREAM];
    args.extend_from_slice(flags);
    args.extend_from_slice(&["busybox", "sleep", "120"]);
    b.ok(&args).trim().to_string()
}

/// `nslookup NAME` in a container: its output when it succeeded.
fn nslookup(b: &Berth, ctr: &str, name: &str) -> Option<String> {
    let out = b.run(&["exec", ctr, "nslookup", name]);
    out.status.success().then(|| stdout(&out))
}

/// The addresses in the answer blocks (after a `Name:` line, before the next
/// `Server:`) of busybox nslookup's output.
fn answers(out: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut in_answer = false;
    for line in out.lines() {
        if line.starts_with("Name:") {
            in_answer = true;
        } else if line.starts_with("Server:") {
            in_answer = false;
        } else if let Some(a) = line.strip_prefix("Address:").filter(|_| in_answer) {
            found.push(a.trim().to_string());
        }
    }
    found
}

#[test]
fn names_and_aliases_resolve_through_the_embedded_server() {
    if skip() {
        return;
    }
    super::network::isolate_network();
    responder();
    let _n1 = NetGuard {
        bridge: "bdn1",
        subnet: "10.232.1.0/24",
    };
    let _n2 = NetGuard {
        bridge: "bdn2",
        subnet: "10.232.2.0/24",
    };
    let b = Berth::new();
    make_network(&b, "d1", "bdn1", "10.232.1.0/24");
    make_network(&b, "d2", "bdn2", "10.232.2.0/24");
    let web = sleeper(
        &b,
        &["--name", "web", "--network", "d1", "--network-alias", "www"],
    );
    sleeper(&b, &["--name", "client", "--network", "d1"]);
    sleeper(&b, &["--name", "other", "--network", "d2"]);
    let web_ip = b.inspect("web", "{{.NetworkSettings.IPAddress}}");
    assert_eq!(web_ip, "10.232.1.2");

    let conf = b.ok(&["exec", "client", "cat", "/etc/resolv.conf"]);
    let lines: Vec<&str> = conf.lines().filter(|l| !l.starts_with('#')).collect();
    assert_eq!(lines[0], "nameserver 127.0.0.11", "{conf}");
    assert!(lines.contains(&"options ndots:0"), "{conf}");
    assert!(
        !conf
            .lines()
            .any(|l| l.starts_with("nameserver") && l != "nameserver 127.0.0.11"),
        "{conf}"
    );

    for name in ["web", "www", "WEB", "web.", &web[..12]] {
        let out = nslookup(&b, "client", name).unwrap_or_else(|| panic!("nslookup {name}"));
        assert!(out.contains("127.0.0.11"), "{out}");
        assert_eq!(
            answers(&out),
            std::slice::from_ref(&web_ip),
            "{name}: {out}"
        );
    }
    // getaddrinfo (ping) finds it too.
    b.ok(&["exec", "client", "ping", "-c1", "-W2", "web"]);
    // Its own name as well.
    let own = nslookup(&b, "client", "client").expect("own name");
    assert_eq!(answers(&own), ["10.232.1.3"], "{own}");

    // Another network's container is unknown here, and the other way round.
    assert_eq!(nslookup(&b, "client", "other"), None);
    assert_eq!(nslookup(&b, "other", "web"), None);

    // Other names go to the upstream (--dns), from the host's namespace.
    let out = nslookup(&b, "client", "outside.test").expect("forwarded name");
    assert_eq!(answers(&out), [OUTSIDE.to_string()], "{out}");
    assert_eq!(nslookup(&b, "client", "nothing.test"), None);
    // getaddrinfo (the C library's resolver, not /etc/hosts) goes through it too.
    let ping = b.ok(&["exec", "client", "ping", "-c1", "-W2", "outside.test"]);
    assert!(ping.contains(&format!("({OUTSIDE})")), "{ping}");

    // network connect/disconnect update the names at once.
    b.ok(&["network", "connect", "d1", "other"]);
    let out = nslookup(&b, "client", "other").expect("connected");
    let other_ip = b.inspect("other", "{{.NetworkSettings.Networks.d1.IPAddress}}");
    assert_eq!(answers(&out), [other_ip], "{out}");
    b.ok(&["network", "disconnect", "d1", "other"]);
    assert_eq!(nslookup(&b, "client", "other"), None);
    // A stopped container is forgotten.
    b.ok(&["stop", "-t", "1", "web"]);
    assert_eq!(nslookup(&b, "client", "web"), None);

    b.ok(&["rm", "-f", "web", "client", "other"]);
    b.ok(&["network", "rm", "d1", "d2"]);
}

#[test]
fn the_default_bridge_keeps_the_hosts_resolvers_and_dns_flags() {
    if skip() {
        return;
    }
    super::network::isolate_network();
    let _n = NetGuard {
        bridge: "bdn3",
        subnet: "10.232.3.0/24",
    };
    let b = Berth::new();
    default_bridge(&b, "bdn3", "10.232.3.1/24");
    let c = b
        .ok(&[
            "run",
            "-d",
            "--network",
            "bridge",
            "--dns",
            "10.9.9.9",
            "--dns-search",
            "example.test",
            "--dns-option",
            "ndots:3",
            "busybox",
            "sleep",
            "60",
        ])
        .trim()
        .to_string();
    let conf = b.ok(&["exec", &c, "cat", "/etc/resolv.conf"]);
    assert_eq!(
        conf, "search example.test\nnameserver 10.9.9.9\noptions ndots:3\n",
        "{conf}"
    );
    assert_eq!(b.inspect(&c, "{{json .HostConfig.Dns}}"), r#"["10.9.9.9"]"#);
    assert_eq!(
        b.inspect(&c, "{{json .HostConfig.DnsSearch}}"),
        r#"["example.test"]"#
    );
    assert_eq!(
        b.inspect(&c, "{{json .HostConfig.DnsOptions}}"),
        r#"["ndots:3"]"#
    );
    // No server in its namespace.
    let ns = std::fs::File::open(b.root().join("run/netns").join(&c)).unwrap();
    assert!(bind_53_in(&ns).is_ok());
    b.ok(&["rm", "-f", &c]);
}

/// Docker starts a container's resolver when it joins its first user-defined network
/// while running: a default-bridge container connected to one resolves its peers at once.
#[test]
fn connecting_a_default_bridge_container_to_a_user_network_starts_its_dns() {
    if skip() {
        return;
    }
    super::network::isolate_network();
    responder();
    let _d = NetGuard {
        bridge: "bdn5",
        subnet: "10.232.5.0/24",
    };
    let t = OnNetwork::new("d6", "bdn6", "10.232.6.0/24");
    let b = &t.b;
    default_bridge(b, "bdn5", "10.232.5.1/24");
    let lone = sleeper(b, &["--name", "lone", "--network", "bridge"]);
    sleeper(b, &["--name", "web", "--network", "d6"]);
    assert_eq!(
        b.ok(&["exec", "lone", "cat", "/etc/resolv.conf"]),
        format!("nameserver {UPSTREAM}\n")
    );
    let ns = std::fs::File::open(b.root().join("run/netns").join(&lone)).unwrap();
    assert!(bind_53_in(&ns).is_ok(), "a DNS server before the connect");
    assert_eq!(nslookup(b, "lone", "web"), None);

    b.ok(&["network", "connect", "d6", "lone"]);
    let conf = b.ok(&["exec", "lone", "cat", "/etc/resolv.conf"]);
    let lines: Vec<&str> = conf.lines().filter(|l| !l.starts_with('#')).collect();
    assert_eq!(lines[0], "nameserver 127.0.0.11", "{conf}");
    let web_ip = b.inspect("web", "{{.NetworkSettings.Networks.d6.IPAddress}}");
    let out = nslookup(b, "lone", "web").expect("web after the connect");
    assert_eq!(answers(&out), [web_ip], "{out}");
    // Other names still reach the upstream it had, through the server.
    let out = nslookup(b, "lone", "outside.test").expect("forwarded name");
    assert_eq!(answers(&out), [OUTSIDE.to_string()], "{out}");
    // And its new peer finds it.
    let lone_ip = b.inspect("lone", "{{.NetworkSettings.Networks.d6.IPAddress}}");
    let out = nslookup(b, "web", "lone").expect("lone from web");
    assert_eq!(answers(&out), [lone_ip], "{out}");

    b.ok(&["rm", "-f", "lone", "web"]);
    b.ok(&["network", "rm", "d6"]);
}

/// Whether UDP 127.0.0.11:53 is free in the namespace (nothing serves DNS there).
fn bind_53_in(ns: &std::fs::File) -> std::io::Result<()> {
    ::network::netlink::in_netns(ns, || {
        Ok::<_, ::network::netlink::NetlinkError>(UdpSocket::bind("127.0.0.11:53").map(drop))
    })
    .unwrap()
}

/// A query (`qtype` for `name`) to 127.0.0.11:53 from inside the namespace, over TCP
/// or UDP: the answer, if one came within 10 s.
fn query_in(ns: &std::fs::File, name: &str, qtype: u16, tcp: bool) -> Option<Vec<u8>> {
    use std::io::{Read, Write};
    let mut q = vec![0x42, 0x42, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0];
    for l in name.split('.') {
        q.push(l.len() as u8);
        q.extend_from_slice(l.as_bytes());
    }
    q.push(0);
    q.extend_from_slice(&qtype.to_be_bytes());
    q.extend_from_slice(&[0, 1]);
    let timeout = Some(Duration::from_secs(10));
    let answer = ::network::netlink::in_netns(ns, move || {
        let run = || -> std::io::Result<Vec<u8>> {
            if !tcp {
                let s = UdpSocket::bind("127.0.0.1:0")?;
                s.set_read_timeout(timeout)?;
                s.send_to(&q, "127.0.0.11:53")?;
                let mut buf = vec![0u8; 4096];
                let n = s.recv(&mut buf)?;
                buf.truncate(n);
                return Ok(buf);
            }
            let mut s = std::net::TcpStream::connect("127.0.0.11:53")?;
            s.set_read_timeout(timeout)?;
            let mut msg = (q.len() as u16).to_be_bytes().to_vec();
            msg.extend_from_slice(&q);
            s.write_all(&msg)?;
            let mut len = [0u8; 2];
            s.read_exact(&mut len)?;
            let mut a = vec![0u8; usize::from(u16::from_be_bytes(len))];
            s.read_exact(&mut a)?;
            Ok(a)
        };
        Ok::<_, ::network::netlink::NetlinkError>(run())
    })
    .unwrap()
    .ok()?;
    (answer.len() >= 12 && answer[..2] == [0x42, 0x42]).then_some(answer)
}

/// The rcode and answer count of a response.
fn rcode_and_answers(a: &[u8]) -> (u8, u16) {
    (a[3] & 0x0f, u16::from_be_bytes([a[6], a[7]]))
}

/// An A query for `name` over TCP from inside the namespace: the first address.
fn tcp_lookup_in(ns: &std::fs::File, name: &str) -> Option<Ipv4Addr> {
    let a = query_in(ns, name, 1, true)?;
    let n = a.len();
    (rcode_and_answers(&a) == (0, 1)).then(|| Ipv4Addr::new(a[n - 4], a[n - 3], a[n - 2], a[n - 1]))
}

#[test]
fn dns_survives_restarts_and_goes_with_the_container() {
    if skip() {
        return;
    }
    super::network::isolate_network();
    responder();
    let _n = NetGuard {
        bridge: "bdn4",
        subnet: "10.232.4.0/24",
    };
    let b = Berth::new();
    make_network(&b, "d4", "bdn4", "10.232.4.0/24");
    sleeper(&b, &["--name", "web", "--network", "d4"]);
    // Resolves web, then fails (restarted by its policy) until its third run, which
    // stays up. (`web.`: busybox's nslookup tries only the search domains for a name
    // without a dot; getaddrinfo tries the bare name first under ndots:0.)
    let c = b
        .ok(&[
            "run",
            "-d",
            "--dns",
            UPSTREAM,
            "--restart",
            "on-failure:5",
            "--network",
            "d4",
            "--dns-search",
            "example.test",
            "-v",
            "/state",
            "busybox",
            "sh",
            "-c",
            "nslookup web. >> /state/log 2>&1; echo run >> /state/runs; \
             [ $(wc -l < /state/runs) -ge 3 ] && exec sleep 120; exit 1",
        ])
        .trim()
        .to_string();
    b.until(30, "two restarts", |b| {
        b.inspect(&c, "{{.RestartCount}}") == "2" && b.inspect(&c, "{{.State.Status}}") == "running"
    });
    let log = b.ok(&["exec", &c, "cat", "/state/log"]);
    assert_eq!(answers(&log), ["10.232.4.2"; 3], "{log}");
    let conf = b.ok(&["exec", &c, "cat", "/etc/resolv.conf"]);
    assert!(conf.contains("\nsearch example.test\n"), "{conf}");

    // The server's socket is in the container's namespace; it goes with the container.
    let netns = b.root().join("run/netns").join(&c);
    let ns = std::fs::File::open(&netns).unwrap();
    let busy = bind_53_in(&ns).unwrap_err();
    assert_eq!(busy.kind(), std::io::ErrorKind::AddrInUse, "{busy}");
    // A known name has no IPv6 address: an empty answer, not an error.
    let aaaa = query_in(&ns, "web", 28, false).expect("an AAAA answer");
    assert_eq!(rcode_and_answers(&aaaa), (0, 0));
    // It answers over TCP too (resolvers retry there after a truncated answer).
    assert_eq!(
        tcp_lookup_in(&ns, "Web"),
        Some(Ipv4Addr::new(10, 232, 4, 2))
    );
    let monitor_pid = std::fs::read_to_string(b.root().join("run/c").join(&c).join("state.json"))
        .ok()
        .and_then(|s| serde_json::from_str::<serde_json::Value>(&s).ok())
        .and_then(|v| v["monitor_pid"].as_i64())
        .expect("the monitor's pid");
    // An upstream that refuses (nothing on 127.0.0.79:53) is skipped at once.
    let skip = b
        .ok(&[
            "run",
            "-d",
            "--network",
            "d4",
            "--dns",
            "127.0.0.79",
            "--dns",
            UPSTREAM,
            "busybox",
            "sleep",
            "60",
        ])
        .trim()
        .to_string();
    let skip_ns = std::fs::File::open(b.root().join("run/netns").join(&skip)).unwrap();
    let asked = Instant::now();
    let a = query_in(&skip_ns, "outside.test", 1, false).expect("an answer");
    assert_eq!(rcode_and_answers(&a), (0, 1));
    assert!(a.ends_with(&OUTSIDE.octets()));
    assert!(
        asked.elapsed() < Duration::from_secs(2),
        "{:?}",
        asked.elapsed()
    );
    // One that never answers (a socket of ours that reads nothing): SERVFAIL after the
    // forwarding timeout (5 s).
    let _silent = UdpSocket::bind("127.0.0.80:53").unwrap();
    let deaf = b
        .ok(&[
            "run",
            "-d",
            "--network",
            "d4",
            "--dns",
            "127.0.0.80",
            "busybox",
            "sleep",
            "60",
        ])
        .trim()
        .to_string();
    let deaf_ns = std::fs::File::open(b.root().join("run/netns").join(&deaf)).unwrap();
    let asked = Instant::now();
    let fail = query_in(&deaf_ns, "nothing.test", 1, false).expect("a SERVFAIL");
    assert_eq!(rcode_and_answers(&fail), (2, 0));
    let waited = asked.elapsed();
    assert!(
        waited >= Duration::from_secs(4) && waited < Duration::from_secs(9),
        "{waited:?}"
    );
    // (Its own names are still answered at once.)
    assert!(tcp_lookup_in(&deaf_ns, "web").is_some());

    b.ok(&["stop", "-t", "1", &c]);
    assert!(!netns.exists(), "{} left behind", netns.display());
    b.until(10, "the monitor's exit", |_| {
        !Path::new(&format!("/proc/{monitor_pid}")).exists()
    });
    // The namespace we still hold no longer has the socket.
    assert!(bind_53_in(&ns).is_ok());
    b.ok(&["rm", "-f", "web", &c, &skip, &deaf]);
    b.ok(&["network", "rm", "d4"]);
}
