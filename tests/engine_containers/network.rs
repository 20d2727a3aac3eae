//! Bridge networking (issue #6): containers on a berth bridge reach each other, get the
//! uplink's MTU and their address in inspect and /etc/hosts; published ports answer from
//! the host; nothing (veth, namespace file, firewall element, address) outlives `rm`.
//!
//! Each test runs in a network namespace of its own ([`isolate_network`]: its thread, so
//! every berth process it starts), with its own bridge device and 10.231.N.0/24 subnet,
//! and removes the bridge and its firewall elements at the end ([`NetGuard`], dropped
//! after the fixture's containers): tests never collide with each other, and the host's
//! interfaces, routes, nftables and `ip_forward` are never touched.

use std::io::{Read, Write};
use std::net::{Ipv4Addr, TcpStream};

use ::network::firewall::Firewall;
use ::network::netlink::Netlink;

use super::*;

/// Removes a test's bridge and its firewall elements on drop (declare it before the
/// `Berth`, so the containers go first).
pub(super) struct NetGuard {
    pub(super) bridge: &'static str,
    pub(super) subnet: &'static str,
}

impl Drop for NetGuard {
    fn drop(&mut self) {
        if let Ok(mut fw) = Firewall::open() {
            let _ = fw.remove_network(self.bridge, self.subnet.parse().unwrap());
        }
        if let Ok(mut nl) = Netlink::open() {
            let _ = nl.delete_link_by_name(self.bridge);
        }
    }
}

/// A test's user network `name` on its own `bridge` and `subnet`, and the berth root
/// that uses it. Fields drop in order: the root (its containers removed) before the
/// bridge and its firewall elements.
pub(super) struct OnNetwork {
    pub(super) b: Berth,
    /// The network's id.
    pub(super) id: String,
    _guard: NetGuard,
}

impl OnNetwork {
    pub(super) fn new(name: &str, bridge: &'static str, subnet: &'static str) -> OnNetwork {
        let guard = NetGuard { bridge, subnet };
        let b = Berth::new();
        let id = make_network(&b, name, bridge, subnet);
        OnNetwork {
            b,
            id,
            _guard: guard,
        }
    }
}

/// The first object of an `inspect`'s JSON array.
fn inspect_json(b: &Berth, args: &[&str]) -> serde_json::Value {
    let v: serde_json::Value = serde_json::from_str(&b.ok(args)).unwrap();
    v[0].clone()
}

/// How many containers `network inspect` lists on a network.
fn attached(b: &Berth, net: &str) -> usize {
    inspect_json(b, &["network", "inspect", net])["Containers"]
        .as_object()
        .unwrap()
        .len()
}

/// Moves this test's thread — and so every berth process it starts, and their children —
/// into a network namespace of its own with only `lo`, up: the test's bridges, nftables
/// table, routes, published ports and `ip_forward` live and die there, and the host's
/// interfaces, firewall and sysctls are never touched.
pub(super) fn isolate_network() {
    nix::sched::unshare(nix::sched::CloneFlags::CLONE_NEWNET).unwrap();
    let mut nl = Netlink::open().unwrap();
    let lo = nl.link_index("lo").unwrap();
    nl.set_up(lo).unwrap();
}

/// Whether `cond` holds within 5 s: a removed container's veth goes with its network
/// namespace, torn down by the kernel in the background.
fn soon(cond: impl Fn() -> bool) -> bool {
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while !cond() {
        if std::time::Instant::now() > deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    true
}

fn link_exists(name: &str) -> bool {
    Netlink::open()
        .unwrap()
        .link_by_name(name)
        .unwrap()
        .is_some()
}

fn uplink_mtu() -> u32 {
    ::network::mtu::uplink_mtu(&mut Netlink::open().unwrap()).unwrap()
}

fn http_get(addr: (Ipv4Addr, u16), path: &str) -> String {
    // `run -d` returns once the server is exec'd, maybe before it listens: a refused
    // connection is retried for a while.
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    let mut s = loop {
        match TcpStream::connect_timeout(&addr.into(), Duration::from_secs(5)) {
            Ok(s) => break s,
            Err(e)
                if e.kind() == std::io::ErrorKind::ConnectionRefused
                    && std::time::Instant::now() < deadline =>
            {
                std::thread::sleep(Duration::from_millis(20));
            }
            Err(e) => panic!("connect {addr:?}: {e}"),
        }
    };
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    write!(s, "GET {path} HTTP/1.0\r\n\r\n").unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out
}

/// A TCP port nothing on the host uses right now.
fn free_port() -> u16 {
    std::net::TcpListener::bind("0.0.0.0:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn containers_on_a_bridge_reach_each_other_and_leave_nothing_behind() {
    if skip() {
        return;
    }
    isolate_network();
    let _net = NetGuard {
        bridge: "bnt1",
        subnet: "10.231.1.0/24",
    };
    let b = Berth::new();
    // The default bridge's row (no device is made until a container uses it).
    std::fs::write(b.root().join("daemon.json"), "{}").unwrap();
    let id = b.ok(&[
        "network",
        "create",
        "--subnet",
        "10.231.1.0/24",
        "-o",
        "com.docker.network.bridge.name=bnt1",
        "n1",
    ]);
    let net_id = id.trim().to_string();
    assert_eq!(net_id.len(), 64, "{id}");
    assert!(link_exists("bnt1"));
    let ls = b.ok(&["network", "ls"]);
    assert!(ls.starts_with("NETWORK ID"), "{ls}");
    for name in ["bridge", "host", "none", "n1"] {
        assert!(
            ls.lines()
                .any(|l| l.split_whitespace().nth(1) == Some(name)),
            "{ls}"
        );
    }

    let c1 = b
        .ok(&[
            "run",
            "-d",
            "--name",
            "web",
            "--network",
            "n1",
            "busybox",
            "httpd",
            "-f",
            "-p",
            "80",
            "-h",
            "/etc",
        ])
        .trim()
        .to_string();
    assert_eq!(
        b.inspect("web", "{{.NetworkSettings.IPAddress}}"),
        "10.231.1.2"
    );
    assert_eq!(
        b.inspect("web", "{{.NetworkSettings.Networks.n1.Gateway}}"),
        "10.231.1.1"
    );
    assert_eq!(
        b.inspect("web", "{{.NetworkSettings.Networks.n1.NetworkID}}"),
        net_id
    );
    assert_eq!(
        b.inspect("web", "{{.NetworkSettings.MacAddress}}"),
        "02:42:0a:e7:01:02"
    );
    let hosts = b.ok(&["exec", "web", "cat", "/etc/hosts"]);
    assert!(
        hosts.contains(&format!("10.231.1.2\t{}", &c1[..12])),
        "{hosts}"
    );

    // A second container reaches the first by address; its MTU is the uplink's.
    let out = b.ok(&[
        "run",
        "--rm",
        "--network",
        "n1",
        "busybox",
        "sh",
        "-c",
        "cat /sys/class/net/eth0/mtu; wget -q -O- http://10.231.1.2/hostname",
    ]);
    assert_eq!(out, format!("{}\n{}\n", uplink_mtu(), &c1[..12]));

    // A network with a running container can't go.
    let rm = b.run(&["network", "rm", "n1"]);
    assert_eq!(code(&rm), 1);
    assert_eq!(
        stderr(&rm).trim(),
        "Error response from daemon: error while removing network: network n1 has 1 active endpoint (web)"
    );

    let veth = ::network::endpoint::host_veth_name(&c1, &net_id);
    assert!(link_exists(&veth));
    let netns = b.root().join("run/netns").join(&c1);
    assert!(netns.exists());
    b.ok(&["rm", "-f", "web"]);
    assert!(soon(|| !link_exists(&veth)), "veth {veth} left behind");
    assert!(!netns.exists(), "{} left behind", netns.display());
    assert_eq!(attached(&b, "n1"), 0);
    assert_eq!(b.ok(&["system", "check"]).trim(), "No problems found");
    assert_eq!(b.ok(&["network", "rm", "n1"]).trim(), "n1");
    assert!(!link_exists("bnt1"));
    let gone = b.run(&["network", "inspect", "n1"]);
    assert_eq!(code(&gone), 1);
    assert!(
        stderr(&gone).contains("network n1 not found"),
        "{}",
        stderr(&gone)
    );
}

#[test]
fn published_port_answers_from_the_host_and_is_removed_with_the_container() {
    if skip() {
        return;
    }
    isolate_network();
    let _net = NetGuard {
        bridge: "bnt2",
        subnet: "10.231.2.0/24",
    };
    let b = Berth::new();
    b.ok(&[
        "network",
        "create",
        "--subnet",
        "10.231.2.0/24",
        "-o",
        "com.docker.network.bridge.name=bnt2",
        "n2",
    ]);
    let port = free_port();
    let publish = format!("{port}:80");
    let c = b
        .ok(&[
            "run",
            "-d",
            "--network",
            "n2",
            "-p",
            &publish,
            "busybox",
            "httpd",
            "-f",
            "-p",
            "80",
            "-h",
            "/etc",
        ])
        .trim()
        .to_string();
    assert_eq!(b.ok(&["port", &c]), format!("80/tcp -> 0.0.0.0:{port}\n"));
    assert_eq!(
        inspect_json(&b, &["inspect", &c])["NetworkSettings"]["Ports"],
        serde_json::json!({"80/tcp": [{"HostIp": "0.0.0.0", "HostPort": port.to_string()}]})
    );
    for host in [Ipv4Addr::LOCALHOST, Ipv4Addr::new(10, 231, 2, 1)] {
        let resp = http_get((host, port), "/hostname");
        assert!(
            resp.starts_with("HTTP/1.") && resp.contains(" 200 "),
            "{host}: {resp}"
        );
        assert!(resp.ends_with(&format!("{}\n", &c[..12])), "{host}: {resp}");
    }

    // The same host port for another container: Docker's message, exit 125, nothing kept.
    let again = b.run(&[
        "run",
        "-d",
        "--name",
        "second",
        "--network",
        "n2",
        "-p",
        &publish,
        "busybox",
        "sleep",
        "60",
    ]);
    assert_eq!(code(&again), 125, "{}", stderr(&again));
    assert!(
        stderr(&again).contains(&format!(
            "Bind for 0.0.0.0:{port} failed: port is already allocated"
        )),
        "{}",
        stderr(&again)
    );
    assert_eq!(attached(&b, "n2"), 1);

    // `-p 80`: a host port picked by berth, shown by `port`.
    let auto = b
        .ok(&[
            "run",
            "-d",
            "--network",
            "n2",
            "-p",
            "80",
            "busybox",
            "httpd",
            "-f",
            "-p",
            "80",
            "-h",
            "/etc",
        ])
        .trim()
        .to_string();
    let line = b.ok(&["port", &auto, "80"]);
    let picked: u16 = line.trim().rsplit(':').next().unwrap().parse().unwrap();
    assert_ne!(picked, port);
    let resp = http_get((Ipv4Addr::LOCALHOST, picked), "/hostname");
    assert!(resp.ends_with(&format!("{}\n", &auto[..12])), "{resp}");

    let published = |p: u16| {
        Firewall::open()
            .unwrap()
            .installed()
            .unwrap()
            .ports
            .iter()
            .any(|m| m.host_port == p)
    };
    assert!(published(port));
    b.ok(&["stop", "-t", "1", &c]);
    assert!(!published(port), "port {port} still published after stop");
    assert_eq!(b.ok(&["port", &c]), "");
    b.ok(&["rm", "-f", &c, &auto]);
    assert!(!published(picked), "port {picked} still published after rm");
    b.ok(&["rm", "-f", "second"]);
    b.ok(&["network", "rm", "n2"]);
}

#[test]
fn default_bridge_takes_its_device_and_address_from_daemon_json() {
    if skip() {
        return;
    }
    isolate_network();
    let _net = NetGuard {
        bridge: "bnt3",
        subnet: "10.231.3.0/24",
    };
    let b = Berth::new();
    default_bridge(&b, "bnt3", "10.231.3.1/24");
    // No --network: the default bridge, as Docker's.
    let script = "ip -4 -o addr show eth0 | awk '{print $4}'; ip route | grep default";
    let out = b.ok(&["run", "--rm", "busybox", "sh", "-c", script]);
    assert_eq!(out, "10.231.3.2/24\ndefault via 10.231.3.1 dev eth0 \n");
    let out = b.ok(&[
        "run",
        "--rm",
        "--network",
        "bridge",
        "busybox",
        "sh",
        "-c",
        script,
    ]);
    assert_eq!(out, "10.231.3.2/24\ndefault via 10.231.3.1 dev eth0 \n");
    let id = b.ok(&["create", "busybox", "true"]);
    let mode = b.ok(&["inspect", "-f", "{{.HostConfig.NetworkMode}}", id.trim()]);
    assert_eq!(mode.trim(), "bridge");
    b.ok(&["rm", id.trim()]);
    assert!(link_exists("bnt3"));
    let rm = b.run(&["network", "rm", "bridge"]);
    assert_eq!(code(&rm), 1);
    assert_eq!(
        stderr(&rm).trim(),
        "Error response from daemon: bridge is a pre-defined network and cannot be removed"
    );
    let unknown = b.run(&["run", "--rm", "--network", "nosuchnet", "busybox", "true"]);
    assert_eq!(code(&unknown), 125);
    assert!(
        stderr(&unknown).contains("network nosuchnet not found"),
        "{}",
        stderr(&unknown)
    );
}

/// Creates network `name` on bridge `bridge` with `subnet`; returns its id.
pub(super) fn make_network(b: &Berth, name: &str, bridge: &str, subnet: &str) -> String {
    let opt = format!("com.docker.network.bridge.name={bridge}");
    b.ok(&["network", "create", "--subnet", subnet, "-o", &opt, name])
        .trim()
        .to_string()
}

/// Points the root's default bridge (daemon.json) at the test's own device `bridge`,
/// with gateway address `bip` (`10.231.N.1/24`).
pub(super) fn default_bridge(b: &Berth, bridge: &str, bip: &str) {
    let json = serde_json::json!({ "bridge": bridge, "bip": bip });
    std::fs::write(b.root().join("daemon.json"), json.to_string()).unwrap();
}

/// berth veths on `bridge`.
fn veths_on(bridge: &str) -> Vec<String> {
    let mut nl = Netlink::open().unwrap();
    let Some(br) = nl.link_by_name(bridge).unwrap() else {
        return Vec::new();
    };
    nl.links()
        .unwrap()
        .into_iter()
        .filter(|l| l.master == Some(br.index))
        .map(|l| l.name)
        .collect()
}

#[test]
fn system_check_removes_what_a_crash_leaves_on_a_network() {
    if skip() {
        return;
    }
    isolate_network();
    let t = OnNetwork::new("n4", "bnt4", "10.231.4.0/24");
    let b = &t.b;
    let net_id = &t.id;
    // Debris as a killed CLI leaves it: a veth on the bridge, a published port into the
    // subnet, a namespace file — none of them recorded.
    let stray = ::network::endpoint::host_veth_name("0123456789ab", net_id);
    let mut nl = Netlink::open().unwrap();
    nl.create_veth_pair(&stray, "bnt4peer", 1400).unwrap();
    let idx = nl.link_index(&stray).unwrap();
    let br = nl.link_index("bnt4").unwrap();
    nl.set_master(idx, br).unwrap();
    let port = free_port();
    let mapping = ::network::firewall::PortMapping {
        proto: ::network::firewall::Proto::Tcp,
        host_ip: None,
        host_port: port,
        container_ip: Ipv4Addr::new(10, 231, 4, 77),
        container_port: 80,
    };
    Firewall::open().unwrap().publish(&[mapping]).unwrap();
    let netns_dir = b.root().join("run/netns");
    std::fs::create_dir_all(&netns_dir).unwrap();
    std::fs::write(netns_dir.join("f".repeat(64)), b"").unwrap();

    let found = b.run(&["system", "check", "--dry-run"]);
    let text = stdout(&found) + &stderr(&found);
    assert!(text.contains(&format!("veth {stray}")), "{text}");
    assert!(text.contains(&format!("published port {port}")), "{text}");
    assert!(text.contains("network namespace"), "{text}");
    let fixed = b.ok(&["system", "check"]);
    assert!(
        fixed.contains(&format!("repaired: veth {stray}")),
        "{fixed}"
    );
    assert!(!link_exists(&stray));
    assert!(!Firewall::open()
        .unwrap()
        .installed()
        .unwrap()
        .ports
        .contains(&mapping));
    assert!(!netns_dir.join("f".repeat(64)).exists());
    assert_eq!(b.ok(&["system", "check"]).trim(), "No problems found");
    b.ok(&["network", "rm", "n4"]);
}

#[test]
fn thirty_containers_come_and_go_without_leaks_and_udp_and_all_ports_publish() {
    if skip() {
        return;
    }
    isolate_network();
    let t = OnNetwork::new("n5", "bnt5", "10.231.5.0/24");
    let b = &t.b;
    let mut ids = Vec::new();
    // 30 containers, each publishing a port (its firewall element must go with it).
    for _ in 0..30 {
        ids.push(
            b.ok(&[
                "run",
                "-d",
                "--network",
                "n5",
                "-p",
                "80",
                "busybox",
                "sleep",
                "60",
            ])
            .trim()
            .to_string(),
        );
    }
    let ips: std::collections::BTreeSet<String> = ids
        .iter()
        .map(|id| b.inspect(id, "{{.NetworkSettings.IPAddress}}"))
        .collect();
    assert_eq!(ips.len(), 30, "{ips:?}");
    assert_eq!(veths_on("bnt5").len(), 30);
    let ports_into_subnet = || {
        Firewall::open()
            .unwrap()
            .installed()
            .unwrap()
            .ports
            .into_iter()
            .filter(|p| p.container_ip.octets()[..3] == [10, 231, 5])
            .count()
    };
    assert_eq!(ports_into_subnet(), 30);
    let mut args = vec!["rm", "-f"];
    args.extend(ids.iter().map(String::as_str));
    b.ok(&args);
    assert_eq!(
        ports_into_subnet(),
        0,
        "a published port outlived its container"
    );
    assert!(
        soon(|| veths_on("bnt5").is_empty()),
        "{:?}",
        veths_on("bnt5")
    );
    assert_eq!(attached(b, "n5"), 0);
    let netns: Vec<_> = std::fs::read_dir(b.root().join("run/netns"))
        .unwrap()
        .collect();
    assert!(netns.is_empty(), "{netns:?}");

    // UDP: a datagram to the published port reaches the container. busybox has no UDP
    // server: the test binds one inside the container's network namespace.
    let port = std::net::UdpSocket::bind("0.0.0.0:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let publish = format!("{port}:5353/udp");
    let c = b
        .ok(&[
            "run",
            "-d",
            "--network",
            "n5",
            "-p",
            &publish,
            "busybox",
            "sleep",
            "60",
        ])
        .trim()
        .to_string();
    assert_eq!(b.ok(&["port", &c]), format!("5353/udp -> 0.0.0.0:{port}\n"));
    let ns = std::fs::File::open(b.root().join("run/netns").join(&c)).unwrap();
    let inside = ::network::netlink::in_netns(&ns, || {
        Ok::<_, ::network::netlink::NetlinkError>(
            std::net::UdpSocket::bind("0.0.0.0:5353").unwrap(),
        )
    })
    .unwrap();
    inside
        .set_read_timeout(Some(Duration::from_millis(500)))
        .unwrap();
    let sock = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let mut buf = [0u8; 64];
    let mut got = None;
    for _ in 0..10 {
        sock.send_to(b"over udp", ("127.0.0.1", port)).unwrap();
        if let Ok((n, _)) = inside.recv_from(&mut buf) {
            got = Some(buf[..n].to_vec());
            break;
        }
    }
    assert_eq!(got.as_deref(), Some(&b"over udp"[..]));

    // -P: every exposed port gets a host port of its own.
    let all = b
        .ok(&[
            "run",
            "-d",
            "--network",
            "n5",
            "--expose",
            "80",
            "--expose",
            "81",
            "-P",
            "busybox",
            "sleep",
            "60",
        ])
        .trim()
        .to_string();
    let lines = b.ok(&["port", &all]);
    let lines: Vec<&str> = lines.lines().collect();
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(lines[0].starts_with("80/tcp -> 0.0.0.0:"), "{lines:?}");
    assert!(lines[1].starts_with("81/tcp -> 0.0.0.0:"), "{lines:?}");
    b.ok(&["rm", "-f", &c, &all]);
    b.ok(&["network", "rm", "n5"]);
}

/// The veth of a removed container goes with its namespace in the background, but at
/// once when another container joined that namespace (it keeps it alive); a container
/// stopped and started again at once gets a new pair although the old one may still be
/// on its way out (same name).
#[test]
fn a_shared_namespace_loses_its_veth_at_once_and_a_quick_restart_replugs() {
    if skip() {
        return;
    }
    isolate_network();
    let t = OnNetwork::new("n9", "bnt9", "10.231.9.0/24");
    let b = &t.b;
    let net_id = &t.id;
    let a = b
        .ok(&["run", "-d", "--network", "n9", "busybox", "sleep", "100"])
        .trim()
        .to_string();
    b.ok(&[
        "run",
        "-d",
        "--name",
        "joiner",
        "--network",
        &format!("container:{a}"),
        "busybox",
        "sleep",
        "100",
    ]);
    let veth = ::network::endpoint::host_veth_name(&a, net_id);
    assert!(link_exists(&veth));
    b.ok(&["rm", "-f", &a]);
    // No waiting: the joiner keeps the namespace, so nothing else would take the veth.
    assert!(
        !link_exists(&veth),
        "veth {veth} of a shared namespace left on the bridge"
    );
    b.ok(&["rm", "-f", "joiner"]);

    let c = b
        .ok(&["run", "-d", "--network", "n9", "busybox", "sleep", "100"])
        .trim()
        .to_string();
    for _ in 0..3 {
        b.ok(&["stop", "-t", "0", &c]);
        b.ok(&["start", &c]);
        let out = b.ok(&["exec", &c, "ip", "-4", "-o", "addr", "show", "eth0"]);
        assert!(out.contains("10.231.9."), "{out}");
    }
    b.ok(&["rm", "-f", &c]);
    assert!(
        soon(|| veths_on("bnt9").is_empty()),
        "{:?}",
        veths_on("bnt9")
    );
    b.ok(&["network", "rm", "n9"]);
}

#[test]
fn a_restarted_container_keeps_its_network() {
    if skip() {
        return;
    }
    isolate_network();
    let t = OnNetwork::new("n6", "bnt6", "10.231.6.0/24");
    let b = &t.b;
    // Exits once (the marker is on a volume), then serves.
    let c = b
        .ok(&[
            "run",
            "-d",
            "--restart",
            "on-failure:3",
            "--network",
            "n6",
            "-v",
            "/state",
            "busybox",
            "sh",
            "-c",
            "if [ ! -e /state/once ]; then touch /state/once; exit 1; fi; \
             ip -4 -o addr show eth0 | awk '{print $4}' > /state/addr; exec sleep 60",
        ])
        .trim()
        .to_string();
    b.until(20, "the restart", |b| {
        b.inspect(&c, "{{.RestartCount}}") == "1" && b.inspect(&c, "{{.State.Status}}") == "running"
    });
    b.until(10, "the address file", |b| {
        b.run(&["exec", &c, "cat", "/state/addr"]).status.success()
    });
    assert_eq!(b.ok(&["exec", &c, "cat", "/state/addr"]), "10.231.6.2/24\n");
    assert_eq!(
        b.inspect(&c, "{{.NetworkSettings.IPAddress}}"),
        "10.231.6.2"
    );
    b.ok(&["rm", "-f", &c]);
    assert!(
        soon(|| veths_on("bnt6").is_empty()),
        "{:?}",
        veths_on("bnt6")
    );
    b.ok(&["network", "rm", "n6"]);
}

/// A test's "outside" host: a network namespace of its own, held by an open fd, joined to
/// the host by a veth pair `host_end` (10.231.N.1/24 on the host, .2 inside). Dropping it
/// deletes the pair; the namespace goes with the fd.
struct Outside {
    ns: std::fs::File,
    host_end: &'static str,
}

impl Outside {
    fn new(host_end: &'static str, inner_end: &'static str, n: u8) -> Outside {
        let ns = std::thread::spawn(|| {
            nix::sched::unshare(nix::sched::CloneFlags::CLONE_NEWNET).unwrap();
            std::fs::File::open(format!("/proc/self/task/{}/ns/net", nix::unistd::gettid()))
                .unwrap()
        })
        .join()
        .unwrap();
        let o = Outside { ns, host_end };
        let mut nl = Netlink::open().unwrap();
        nl.create_veth_pair(host_end, inner_end, 1400).unwrap();
        let inner = nl.link_index(inner_end).unwrap();
        nl.set_netns(inner, std::os::fd::AsFd::as_fd(&o.ns))
            .unwrap();
        let host = nl.link_index(host_end).unwrap();
        nl.add_address(host, format!("10.231.{n}.1/24").parse().unwrap())
            .unwrap();
        nl.set_up(host).unwrap();
        ::network::netlink::in_netns(&o.ns, || {
            let mut nl = Netlink::open()?;
            let i = nl.link_index(inner_end)?;
            nl.add_address(i, format!("10.231.{n}.2/24").parse().unwrap())?;
            nl.set_up(i)?;
            nl.add_default_route(Ipv4Addr::new(10, 231, n, 1))
        })
        .unwrap();
        o
    }

    fn http_get(&self, addr: (Ipv4Addr, u16), path: &str) -> String {
        ::network::netlink::in_netns(&self.ns, || {
            Ok::<_, ::network::netlink::NetlinkError>(http_get(addr, path))
        })
        .unwrap()
    }
}

impl Drop for Outside {
    fn drop(&mut self) {
        if let Ok(mut nl) = Netlink::open() {
            let _ = nl.delete_link_by_name(self.host_end);
        }
    }
}

#[test]
fn published_port_answers_from_another_interface() {
    if skip() {
        return;
    }
    isolate_network();
    let _net = NetGuard {
        bridge: "bnt7",
        subnet: "10.231.7.0/24",
    };
    let outside = Outside::new("bnt7o", "bnt7i", 8);
    let b = Berth::new();
    make_network(&b, "n7", "bnt7", "10.231.7.0/24");
    let port = free_port();
    let publish = format!("{port}:80");
    let c = b
        .ok(&[
            "run",
            "-d",
            "--network",
            "n7",
            "-p",
            &publish,
            "busybox",
            "httpd",
            "-f",
            "-p",
            "80",
            "-h",
            "/etc",
        ])
        .trim()
        .to_string();
    // The host's own connection first (the network crate's kernel test saw outside
    // connections fail after one), then from the "outside" namespace, to the host's
    // address on that link.
    let local = http_get((Ipv4Addr::LOCALHOST, port), "/hostname");
    assert!(local.ends_with(&format!("{}\n", &c[..12])), "{local}");
    let resp = outside.http_get((Ipv4Addr::new(10, 231, 8, 1), port), "/hostname");
    assert!(resp.ends_with(&format!("{}\n", &c[..12])), "{resp}");
    // Hairpin: a container on the same network, through the gateway address.
    let url = format!("http://10.231.7.1:{port}/hostname");
    assert_eq!(
        b.ok(&[
            "run",
            "--rm",
            "--network",
            "n7",
            "busybox",
            "wget",
            "-q",
            "-O-",
            &url
        ]),
        format!("{}\n", &c[..12])
    );
    // A container of another network, isolated from n7, still reaches the published port
    // through n7's gateway address (a published port is open to every network).
    let _other = NetGuard {
        bridge: "bnt7b",
        subnet: "10.231.10.0/24",
    };
    make_network(&b, "n7b", "bnt7b", "10.231.10.0/24");
    let direct = format!(
        "http://{}:80/hostname",
        b.inspect(&c, "{{.NetworkSettings.IPAddress}}")
    );
    let out = b.run(&[
        "run",
        "--rm",
        "--network",
        "n7b",
        "busybox",
        "wget",
        "-q",
        "-T",
        "2",
        "-O-",
        &direct,
    ]);
    assert_ne!(code(&out), 0, "n7b reached n7's container directly");
    assert_eq!(
        b.ok(&[
            "run",
            "--rm",
            "--network",
            "n7b",
            "busybox",
            "wget",
            "-q",
            "-O-",
            &url
        ]),
        format!("{}\n", &c[..12])
    );
    b.ok(&["rm", "-f", &c]);
    b.ok(&["network", "rm", "n7", "n7b"]);
}

#[test]
fn ip_flag_picks_the_address_on_user_networks_only() {
    if skip() {
        return;
    }
    isolate_network();
    let _net = NetGuard {
        bridge: "bnt13",
        subnet: "10.231.13.0/24",
    };
    let b = Berth::new();
    // The default bridge exists (as a row: the refused create makes no device).
    std::fs::write(b.root().join("daemon.json"), "{}").unwrap();
    make_network(&b, "n13", "bnt13", "10.231.13.0/24");
    let c = b
        .ok(&[
            "run",
            "-d",
            "--network",
            "n13",
            "--ip",
            "10.231.13.50",
            "--network-alias",
            "db",
            "busybox",
            "sleep",
            "60",
        ])
        .trim()
        .to_string();
    assert_eq!(
        b.inspect(&c, "{{.NetworkSettings.IPAddress}}"),
        "10.231.13.50"
    );
    let v = inspect_json(&b, &["inspect", &c]);
    let ep = &v["NetworkSettings"]["Networks"]["n13"];
    assert_eq!(ep["IPAMConfig"]["IPv4Address"], "10.231.13.50");
    assert_eq!(ep["Aliases"], serde_json::json!(["db", &c[..12]]));
    // The same address for a second container: refused at start, nothing kept.
    let dup = b.run(&[
        "run",
        "-d",
        "--network",
        "n13",
        "--ip",
        "10.231.13.50",
        "busybox",
        "sleep",
        "60",
    ]);
    assert_eq!(code(&dup), 125);
    assert!(
        stderr(&dup).contains("Address already in use"),
        "{}",
        stderr(&dup)
    );
    assert_eq!(attached(&b, "n13"), 1);
    // Outside the subnet, or on the default bridge: refused at create.
    let out = b.run(&[
        "create",
        "--network",
        "n13",
        "--ip",
        "10.9.9.9",
        "busybox",
        "true",
    ]);
    assert_eq!(code(&out), 125);
    assert!(
        stderr(&out).contains("no configured subnet or ip-range contain the IP address 10.9.9.9"),
        "{}",
        stderr(&out)
    );
    let def = b.run(&[
        "create",
        "--network",
        "bridge",
        "--ip",
        "10.9.9.9",
        "busybox",
        "true",
    ]);
    assert_eq!(code(&def), 125);
    assert!(
        stderr(&def)
            .contains("user specified IP address is supported on user defined networks only"),
        "{}",
        stderr(&def)
    );
    b.ok(&["rm", "-f", &c]);
    let left = b.ok(&["ps", "-aq"]);
    let mut args = vec!["rm", "-f"];
    args.extend(left.lines());
    if args.len() > 2 {
        b.ok(&args);
    }
    b.ok(&["network", "rm", "n13"]);
}

#[test]
fn connect_and_disconnect_a_running_container() {
    if skip() {
        return;
    }
    isolate_network();
    let _a = NetGuard {
        bridge: "bnt14",
        subnet: "10.231.14.0/24",
    };
    let _b = NetGuard {
        bridge: "bnt15",
        subnet: "10.231.15.0/24",
    };
    let b = Berth::new();
    make_network(&b, "n14", "bnt14", "10.231.14.0/24");
    let n15 = make_network(&b, "n15", "bnt15", "10.231.15.0/24");
    let web = b
        .ok(&[
            "run",
            "-d",
            "--name",
            "web",
            "--network",
            "n14",
            "busybox",
            "httpd",
            "-f",
            "-p",
            "80",
            "-h",
            "/etc",
        ])
        .trim()
        .to_string();
    let url = "http://10.231.15.9/hostname";
    let from_n15 = |b: &Berth| {
        b.run(&[
            "run",
            "--rm",
            "--network",
            "n15",
            "busybox",
            "timeout",
            "5",
            "wget",
            "-q",
            "-O-",
            url,
        ])
    };
    assert_ne!(code(&from_n15(&b)), 0, "reachable before connect");
    b.ok(&["network", "connect", "--ip", "10.231.15.9", "n15", "web"]);
    let addrs = b.ok(&[
        "exec",
        "web",
        "sh",
        "-c",
        "ip -4 -o addr show eth1 | awk '{print $4}'",
    ]);
    assert_eq!(addrs, "10.231.15.9/24\n");
    assert_eq!(stdout(&from_n15(&b)), format!("{}\n", &web[..12]));
    let v = inspect_json(&b, &["inspect", "web"]);
    assert_eq!(
        v["NetworkSettings"]["Networks"]["n15"]["NetworkID"],
        n15.as_str()
    );
    assert_eq!(
        v["NetworkSettings"]["Networks"]["n15"]["IPAddress"],
        "10.231.15.9"
    );
    assert_eq!(v["NetworkSettings"]["IPAddress"], "10.231.14.2");

    let again = b.run(&["network", "connect", "n15", "web"]);
    assert_eq!(code(&again), 1);
    assert_eq!(
        stderr(&again).trim(),
        "Error response from daemon: endpoint with name web already exists in network n15"
    );
    // Restarts keep both networks.
    b.ok(&["restart", "-t", "1", "web"]);
    assert_eq!(stdout(&from_n15(&b)), format!("{}\n", &web[..12]));

    b.ok(&["network", "disconnect", "n15", "web"]);
    assert_eq!(attached(&b, "n15"), 0);
    assert!(!link_exists(&::network::endpoint::host_veth_name(
        &web, &n15
    )));
    assert!(!b
        .run(&["exec", "web", "ip", "link", "show", "eth1"])
        .status
        .success());
    let not = b.run(&["network", "disconnect", "n15", "web"]);
    assert_eq!(code(&not), 1);
    assert_eq!(
        stderr(&not).trim(),
        format!("Error response from daemon: container {web} is not connected to network n15")
    );
    b.ok(&["rm", "-f", "web"]);
    b.ok(&["network", "rm", "n14", "n15"]);
}

#[test]
fn bad_network_input_is_refused_with_dockers_words_and_prune_removes_unused() {
    if skip() {
        return;
    }
    isolate_network();
    let _net = NetGuard {
        bridge: "bnt16",
        subnet: "10.231.16.0/24",
    };
    let _other = NetGuard {
        bridge: "bnt17",
        subnet: "10.231.17.0/24",
    };
    let b = Berth::new();
    std::fs::write(b.root().join("daemon.json"), "{}").unwrap(); // the default bridge row
    make_network(&b, "n16", "bnt16", "10.231.16.0/24");
    let refused = |args: &[&str], msg: &str| {
        let o = b.run(args);
        assert_eq!(code(&o), 1, "{args:?}: {}", stderr(&o));
        assert_eq!(
            stderr(&o).trim(),
            format!("Error response from daemon: {msg}"),
            "{args:?}"
        );
    };
    refused(
        &["network", "create", "--subnet", "10.231.16.128/25", "other"],
        "Pool overlaps with other one on this address space",
    );
    refused(
        &["network", "create", "--subnet", "10.231.16.0/24", "n16"],
        "network with name n16 already exists",
    );
    refused(
        &["network", "create", "--subnet", "nonsense", "bad"],
        "invalid network config:\ninvalid subnet nonsense: invalid CIDR block notation",
    );
    refused(
        &["network", "create", "--gateway", "10.231.17.1", "bad"],
        "every ip-range or gateway must have a corresponding subnet",
    );
    refused(
        &["network", "create", "-d", "overlay", "bad"],
        "plugin \"overlay\" not found",
    );
    refused(&["network", "rm", "nosuch"], "network nosuch not found");
    refused(
        &["network", "rm", "host"],
        "host is a pre-defined network and cannot be removed",
    );
    assert_eq!(b.ok(&["network", "rm", "-f", "nosuch"]), "");
    // Nothing half-made by the refusals.
    let names = b.ok(&["network", "ls", "--format", "{{.Name}}"]);
    assert_eq!(names, "bridge\nhost\nn16\nnone\n");
    assert!(!link_exists("bnt17"));

    // prune: unused user networks go, those with a running container and the predefined
    // ones stay.
    make_network(&b, "n17", "bnt17", "10.231.17.0/24");
    let c = b
        .ok(&["run", "-d", "--network", "n16", "busybox", "sleep", "60"])
        .trim()
        .to_string();
    assert_eq!(
        b.ok(&["network", "prune", "-f"]),
        "Deleted Networks:\nn17\n\n"
    );
    assert!(!link_exists("bnt17"));
    assert_eq!(
        b.ok(&["network", "ls", "-q", "--filter", "type=custom"])
            .lines()
            .count(),
        1
    );
    b.ok(&["rm", "-f", &c]);
    b.ok(&["network", "rm", "n16"]);
}

#[test]
fn containers_on_a_user_network_reach_each_other_by_name_and_alias() {
    if skip() {
        return;
    }
    isolate_network();
    let t = OnNetwork::new("n18", "bnt18", "10.231.18.0/24");
    let b = &t.b;
    let web = b
        .ok(&[
            "run",
            "-d",
            "--name",
            "web",
            "--network",
            "n18",
            "--network-alias",
            "www",
            "busybox",
            "httpd",
            "-f",
            "-p",
            "80",
            "-h",
            "/etc",
        ])
        .trim()
        .to_string();
    b.ok(&[
        "run",
        "-d",
        "--name",
        "client",
        "--network",
        "n18",
        "busybox",
        "sleep",
        "60",
    ]);
    for name in ["web", "www", &web[..12]] {
        let url = format!("http://{name}/hostname");
        assert_eq!(
            b.ok(&["exec", "client", "wget", "-q", "-O-", &url]),
            format!("{}\n", &web[..12]),
            "{name}"
        );
    }
    // A container started later is known to those already running, and a stopped one
    // is forgotten.
    b.ok(&["stop", "-t", "1", "web"]);
    let hosts = b.ok(&["exec", "client", "cat", "/etc/hosts"]);
    assert!(!hosts.contains("web"), "{hosts}");
    b.ok(&["start", "web"]);
    let hosts = b.ok(&["exec", "client", "cat", "/etc/hosts"]);
    assert!(hosts.contains("\tweb www "), "{hosts}");
    b.ok(&["rm", "-f", "web", "client"]);
    b.ok(&["network", "rm", "n18"]);
}

#[test]
fn an_internal_network_keeps_its_containers_inside() {
    if skip() {
        return;
    }
    isolate_network();
    let _open = NetGuard {
        bridge: "bnt20",
        subnet: "10.231.20.0/24",
    };
    let _closed = NetGuard {
        bridge: "bnt21",
        subnet: "10.231.21.0/24",
    };
    // A host outside every berth network, at 10.231.22.2 behind a host veth.
    let _outside = Outside::new("bnt22o", "bnt22i", 22);
    let b = Berth::new();
    make_network(&b, "open", "bnt20", "10.231.20.0/24");
    let opt = "com.docker.network.bridge.name=bnt21";
    b.ok(&[
        "network",
        "create",
        "--internal",
        "--subnet",
        "10.231.21.0/24",
        "-o",
        opt,
        "closed",
    ]);
    assert_eq!(
        b.ok(&["network", "inspect", "-f", "{{.Internal}}", "closed"]),
        "true\n"
    );
    let ping = "ping -c1 -W2 10.231.22.2 >/dev/null && echo reached || echo unreachable";
    // The control: an ordinary network reaches the outside host.
    let open = b.ok(&[
        "run",
        "--rm",
        "--network",
        "open",
        "busybox",
        "sh",
        "-c",
        ping,
    ]);
    assert_eq!(open, "reached\n");

    let peer = b
        .ok(&[
            "run",
            "-d",
            "--network",
            "closed",
            "-p",
            "80",
            "busybox",
            "sleep",
            "60",
        ])
        .trim()
        .to_string();
    let peer_ip = b.inspect(&peer, "{{.NetworkSettings.IPAddress}}");
    let script = format!(
        "ip route | grep -c default; {ping}; ping -c1 -W2 {peer_ip} >/dev/null && echo peer"
    );
    let out = b.ok(&[
        "run",
        "--rm",
        "--network",
        "closed",
        "-p",
        "80",
        "busybox",
        "sh",
        "-c",
        &script,
    ]);
    assert_eq!(
        out, "0\nunreachable\npeer\n",
        "no default route, no way out, peers reachable"
    );
    // Even a container that makes itself a default route is not forwarded out.
    let script = format!("ip route add default via 10.231.21.1 && {ping}");
    let out = b.ok(&[
        "run",
        "--rm",
        "--network",
        "closed",
        "--cap-add",
        "NET_ADMIN",
        "busybox",
        "sh",
        "-c",
        &script,
    ]);
    assert_eq!(out, "unreachable\n");
    assert_eq!(
        b.ok(&["port", &peer]),
        "",
        "an internal network publishes nothing"
    );
    let installed = Firewall::open().unwrap().installed().unwrap();
    assert!(installed.internal.contains(&"bnt21".to_string()));
    assert!(!installed.internal.contains(&"bnt20".to_string()));
    b.ok(&["rm", "-f", &peer]);
    b.ok(&["network", "rm", "closed", "open"]);
    let installed = Firewall::open().unwrap().installed().unwrap();
    assert!(!installed.internal.contains(&"bnt21".to_string()));
}
