//! Kernel tests: each test moves its own thread into a fresh network namespace (its
//! "host"), makes further namespaces for "containers", and never touches the machine's
//! own interfaces, routes or firewall. Run as root.

#![allow(clippy::unwrap_used)]

use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::os::fd::{AsFd, OwnedFd};
use std::time::{Duration, Instant};

use ipnet::Ipv4Net;
use network::endpoint::{self, EndpointSpec};
use network::firewall::{Firewall, PortMapping, Proto};
use network::netlink::{in_netns, Netlink, NetlinkError};
use network::{ipam, mtu, sysctl};
use nix::sched::{unshare, CloneFlags};

type R<T = ()> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

/// Moves the calling (test) thread into a new, empty network namespace with `lo` up.
fn enter_fresh_host() -> R<Netlink> {
    unshare(CloneFlags::CLONE_NEWNET)?;
    let mut nl = Netlink::open()?;
    let lo = nl.link_index("lo")?;
    nl.set_up(lo)?;
    Ok(nl)
}

/// A new network namespace, kept alive by the returned fd.
fn new_netns() -> R<OwnedFd> {
    std::thread::spawn(|| -> R<OwnedFd> {
        unshare(CloneFlags::CLONE_NEWNET)?;
        Ok(std::fs::File::open("/proc/thread-self/ns/net")?.into())
    })
    .join()
    .map_err(|_| "netns thread panicked")?
}

fn net(s: &str) -> Ipv4Net {
    s.parse().unwrap()
}

/// A bridge with its gateway address, as the engine makes for a network.
fn make_bridge(nl: &mut Netlink, name: &str, gateway: &str, mtu: u32) -> R<u32> {
    let index = nl.create_bridge(name, mtu)?;
    nl.add_address(index, gateway.parse()?)?;
    Ok(index)
}

/// Attaches namespace `ns` to `bridge` with `addr` (e.g. "10.1.0.2/24").
fn attach(nl: &mut Netlink, bridge: &str, veth: &str, ns: &OwnedFd, addr: &str, gw: &str) -> R {
    let address = net(addr);
    endpoint::attach(
        nl,
        &EndpointSpec {
            bridge,
            host_veth: veth,
            ifname: "eth0",
            netns: ns.as_fd(),
            address,
            gateway: Some(gw.parse()?),
            mac: endpoint::mac_from_ip(address.addr()),
            mtu: 1400,
        },
    )?;
    Ok(())
}

/// A TCP server inside `ns` answering each connection with `reply`.
fn serve_tcp(ns: &OwnedFd, addr: &str, reply: &'static str) -> R<SocketAddr> {
    let addr: SocketAddr = addr.parse()?;
    let listener = in_netns(ns.as_fd(), || -> Result<TcpListener, NetlinkError> {
        TcpListener::bind(addr).map_err(NetlinkError::Socket)
    })?;
    std::thread::spawn(move || {
        for mut s in listener.incoming().flatten() {
            let peer = s
                .peer_addr()
                .map(|a| a.ip().to_string())
                .unwrap_or_default();
            let _ = s.write_all(format!("{reply} to {peer}").as_bytes());
        }
    });
    Ok(addr)
}

/// Connects (from the namespace `ns`, or the test's own when `None`) and returns what the
/// server said. Patient: a bridge that has just gained carrier drops what it sends until
/// the kernel's linkwatch activates its queue, which may come up to a second later, so a
/// first SYN can be lost and is resent after 1 s.
fn fetch(ns: Option<&OwnedFd>, to: &str) -> R<String> {
    fetch_within(ns, to, Duration::from_secs(5)).map_err(|e| format!("fetch {to}: {e}").into())
}

/// Whether a connection to `to` fails within 700 ms (dropped or refused): for paths the
/// firewall must block, tried only after the same path has been shown to answer.
fn blocked(ns: Option<&OwnedFd>, to: &str) -> bool {
    fetch_within(ns, to, Duration::from_millis(700)).is_err()
}

fn fetch_within(ns: Option<&OwnedFd>, to: &str, timeout: Duration) -> R<String> {
    let to: SocketAddr = to.parse()?;
    let connect = move || -> Result<TcpStream, NetlinkError> {
        TcpStream::connect_timeout(&to, timeout).map_err(NetlinkError::Socket)
    };
    let mut s = match ns {
        Some(ns) => in_netns(ns.as_fd(), connect)?,
        None => connect()?,
    };
    s.set_read_timeout(Some(Duration::from_secs(2)))?;
    let mut out = String::new();
    s.read_to_string(&mut out)?;
    Ok(out)
}

#[test]
fn veth_into_a_namespace_carries_tcp_and_leaves_nothing_when_removed() -> R {
    let mut nl = enter_fresh_host()?;
    make_bridge(&mut nl, "bt0", "10.210.0.1/24", 1400)?;
    let c = new_netns()?;
    attach(
        &mut nl,
        "bt0",
        "vbtest00000001",
        &c,
        "10.210.0.2/24",
        "10.210.0.1",
    )?;

    // Inside: eth0 with the MTU, MAC, address and default route asked for.
    let (link, addrs, routes) = in_netns(c.as_fd(), || -> Result<_, NetlinkError> {
        let mut ns = Netlink::open()?;
        let link = ns
            .link_by_name("eth0")?
            .ok_or(NetlinkError::NoSuchLink("eth0".into()))?;
        let addrs = ns.ipv4_addresses_of(link.index)?;
        Ok((link, addrs, ns.routes()?))
    })?;
    assert_eq!(link.mtu, 1400);
    assert!(link.up);
    assert_eq!(endpoint::format_mac(link.mac.unwrap()), "02:42:0a:d2:00:02");
    assert_eq!(addrs, vec![(Ipv4Addr::new(10, 210, 0, 2), 24)]);
    assert!(routes
        .iter()
        .any(|r| r.is_default() && r.gateway == Some(Ipv4Addr::new(10, 210, 0, 1).into())));
    let host_end = nl.link_by_name("vbtest00000001")?.unwrap();
    assert_eq!(host_end.master, Some(nl.link_index("bt0")?));
    assert_eq!(nl.link_by_name("bt0")?.unwrap().mtu, 1400);

    // Traffic both ways.
    serve_tcp(&c, "10.210.0.2:7000", "hello from c")?;
    assert_eq!(
        fetch(None, "10.210.0.2:7000")?,
        "hello from c to 10.210.0.1"
    );
    serve_tcp(&c, "0.0.0.0:7001", "again")?;
    let listener = TcpListener::bind("10.210.0.1:7002")?;
    let t = std::thread::spawn(move || listener.accept().map(|(_, a)| a.ip()));
    in_netns(c.as_fd(), || -> Result<_, NetlinkError> {
        TcpStream::connect("10.210.0.1:7002").map_err(NetlinkError::Socket)
    })?;
    assert_eq!(t.join().unwrap()?, Ipv4Addr::new(10, 210, 0, 2));

    // Detach removes both ends; deleting the bridge leaves only lo.
    assert!(endpoint::detach(&mut nl, "vbtest00000001")?);
    assert!(!endpoint::detach(&mut nl, "vbtest00000001")?);
    let inside = in_netns(c.as_fd(), || -> Result<_, NetlinkError> {
        Netlink::open()?.links()
    })?;
    assert_eq!(
        inside.iter().map(|l| l.name.as_str()).collect::<Vec<_>>(),
        vec!["lo"]
    );
    assert!(nl.delete_link_by_name("bt0")?);
    let names: Vec<String> = nl.links()?.into_iter().map(|l| l.name).collect();
    assert_eq!(names, vec!["lo"]);
    assert!(nl.addresses()?.iter().all(|a| a.net.addr().is_loopback()));
    Ok(())
}

#[test]
fn a_failed_attach_leaves_no_veth() -> R {
    let mut nl = enter_fresh_host()?;
    make_bridge(&mut nl, "bt1", "10.211.0.1/24", 1500)?;
    let c = new_netns()?;
    attach(
        &mut nl,
        "bt1",
        "vbtest00000002",
        &c,
        "10.211.0.2/24",
        "10.211.0.1",
    )?;
    // A second attach naming eth0 again in the same namespace fails…
    let err = attach(
        &mut nl,
        "bt1",
        "vbtest00000003",
        &c,
        "10.211.0.3/24",
        "10.211.0.1",
    );
    assert!(err.is_err());
    // …and leaves no host end behind.
    assert!(nl.link_by_name("vbtest00000003")?.is_none());
    assert!(nl.link_by_name("vbtest00000002")?.is_some());
    Ok(())
}

#[test]
fn uplink_mtu_follows_the_default_route() -> R {
    let mut nl = enter_fresh_host()?;
    assert_eq!(mtu::uplink_mtu(&mut nl)?, mtu::FALLBACK_MTU);
    nl.create_veth_pair("up0", "up0p", 1400)?;
    let up = nl.link_index("up0")?;
    nl.set_up(up)?;
    nl.add_address(up, "10.212.0.2/24".parse()?)?;
    nl.add_default_route("10.212.0.1".parse()?)?;
    assert_eq!(mtu::uplink_mtu(&mut nl)?, 1400);
    nl.set_mtu(up, 9000)?;
    assert_eq!(mtu::uplink_mtu(&mut nl)?, 9000);
    Ok(())
}

#[test]
fn the_pool_skips_a_subnet_colliding_with_a_host_route() -> R {
    let mut nl = enter_fresh_host()?;
    nl.create_veth_pair("rt0", "rt0p", 1500)?;
    let rt = nl.link_index("rt0")?;
    nl.set_up(rt)?;
    nl.add_address(rt, "10.213.0.2/24".parse()?)?;
    let taken = ipam::host_taken(&nl.routes()?, &nl.addresses()?);
    assert_eq!(
        ipam::pick_subnet(&ipam::default_pools(), &taken)?,
        net("172.17.0.0/16")
    );
    nl.add_route("172.17.3.0/24".parse()?, "10.213.0.1".parse()?)?;
    let taken = ipam::host_taken(&nl.routes()?, &nl.addresses()?);
    assert_eq!(
        ipam::pick_subnet(&ipam::default_pools(), &taken)?,
        net("172.18.0.0/16")
    );
    Ok(())
}

#[test]
fn thirty_endpoints_attach_and_detach_without_leaks() -> R {
    let mut nl = enter_fresh_host()?;
    make_bridge(&mut nl, "bt3", "10.214.0.1/24", 1400)?;
    let before = nl.links()?.len();
    let start = Instant::now();
    let mut namespaces = Vec::new();
    for i in 0..30u8 {
        let ns = new_netns()?;
        let veth = format!("vbtest000000{i:02}");
        attach(
            &mut nl,
            "bt3",
            &veth,
            &ns,
            &format!("10.214.0.{}/24", i + 2),
            "10.214.0.1",
        )?;
        namespaces.push((veth, ns));
    }
    eprintln!("30 attaches: {:?}", start.elapsed());
    assert_eq!(nl.links()?.len(), before + 30);
    for (veth, _) in &namespaces {
        assert!(endpoint::detach(&mut nl, veth)?);
    }
    assert_eq!(nl.links()?.len(), before);
    Ok(())
}

fn publish(
    fw: &mut Firewall,
    proto: Proto,
    host_ip: Option<Ipv4Addr>,
    host_port: u16,
    to: &str,
    port: u16,
) -> R {
    fw.publish(&[PortMapping {
        proto,
        host_ip,
        host_port,
        container_ip: to.parse()?,
        container_port: port,
    }])?;
    Ok(())
}

#[test]
fn published_ports_answer_from_the_host_and_localhost_and_networks_are_isolated() -> R {
    let mut nl = enter_fresh_host()?;
    sysctl::enable_ip_forward()?;
    // Network A with container c, network B with container e.
    make_bridge(&mut nl, "bta", "10.220.0.1/24", 1400)?;
    make_bridge(&mut nl, "btb", "10.221.0.1/24", 1400)?;
    let c = new_netns()?;
    let e = new_netns()?;
    attach(
        &mut nl,
        "bta",
        "vbtest0000000c",
        &c,
        "10.220.0.2/24",
        "10.220.0.1",
    )?;
    attach(
        &mut nl,
        "btb",
        "vbtest0000000e",
        &e,
        "10.221.0.2/24",
        "10.221.0.1",
    )?;
    // An "outside" machine d on a link of the host: 10.222.0.2 talks to the host's 10.222.0.1.
    let d = new_netns()?;
    nl.create_veth_pair("out0", "out0p", 1500)?;
    let out = nl.link_index("out0")?;
    nl.set_up(out)?;
    nl.add_address(out, "10.222.0.1/24".parse()?)?;
    let peer = nl.link_index("out0p")?;
    nl.set_netns(peer, d.as_fd())?;
    in_netns(d.as_fd(), || -> Result<(), NetlinkError> {
        let mut ns = Netlink::open()?;
        let p = ns.link_index("out0p")?;
        ns.add_address(
            p,
            "10.222.0.2/24"
                .parse()
                .map_err(|_| NetlinkError::Decode("addr".into()))?,
        )?;
        ns.set_up(p)?;
        ns.add_default_route(Ipv4Addr::new(10, 222, 0, 1))?;
        Ok(())
    })?;
    serve_tcp(&c, "0.0.0.0:80", "web")?;

    // Without berth's table, B and the outside reach A: the isolation below is the table's doing.
    assert_eq!(fetch(Some(&e), "10.220.0.2:80")?, "web to 10.221.0.2");
    assert_eq!(fetch(Some(&d), "10.220.0.2:80")?, "web to 10.222.0.2");

    let t = Instant::now();
    let mut fw = Firewall::open()?;
    fw.ensure_table()?;
    let setup = t.elapsed();
    fw.add_network("bta", net("10.220.0.0/24"))?;
    fw.add_network("btb", net("10.221.0.0/24"))?;
    sysctl::set_route_localnet("bta", true)?;
    let t = Instant::now();
    publish(&mut fw, Proto::Tcp, None, 8080, "10.220.0.2", 80)?;
    let per_container = t.elapsed();
    publish(
        &mut fw,
        Proto::Tcp,
        Some("10.222.0.1".parse()?),
        9090,
        "10.220.0.2",
        80,
    )?;
    eprintln!("table setup {setup:?}, one port published {per_container:?}");

    // From the host, its own address, and 127.0.0.1.
    assert_eq!(fetch(None, "10.220.0.1:8080")?, "web to 10.220.0.1");
    assert_eq!(fetch(None, "127.0.0.1:8080")?, "web to 10.220.0.1");
    // From outside, to the host's address on the outside link: the mapping bound to it.
    assert_eq!(fetch(Some(&d), "10.222.0.1:9090")?, "web to 10.222.0.2");
    // A container of network B through the published port on A's gateway address:
    // isolation stops direct routes, not published ports (masqueraded as a hairpin is).
    assert_eq!(fetch(Some(&e), "10.220.0.1:8080")?, "web to 10.220.0.1");
    // Isolation: B no longer reaches A's address directly; outside cannot either.
    assert!(blocked(Some(&e), "10.220.0.2:80"));
    assert!(blocked(Some(&d), "10.220.0.2:80"));

    // UDP.
    let udp = in_netns(c.as_fd(), || -> Result<UdpSocket, NetlinkError> {
        UdpSocket::bind("0.0.0.0:53").map_err(NetlinkError::Socket)
    })?;
    std::thread::spawn(move || {
        let mut buf = [0u8; 64];
        if let Ok((n, from)) = udp.recv_from(&mut buf) {
            let _ = udp.send_to(&buf[..n], from);
        }
    });
    publish(&mut fw, Proto::Udp, None, 5353, "10.220.0.2", 53)?;
    let client = UdpSocket::bind("127.0.0.1:0")?;
    client.set_read_timeout(Some(Duration::from_secs(2)))?;
    client.send_to(b"ping", "127.0.0.1:5353")?;
    let mut buf = [0u8; 64];
    let (n, _) = client.recv_from(&mut buf)?;
    assert_eq!(&buf[..n], b"ping");

    // The same port twice: Docker's error, nothing changed.
    let err = publish(&mut fw, Proto::Tcp, None, 8080, "10.220.0.9", 80).unwrap_err();
    assert_eq!(
        err.to_string(),
        "Bind for 0.0.0.0:8080 failed: port is already allocated"
    );

    // Listing, then removal of exactly what was added.
    let installed = fw.installed()?;
    assert_eq!(installed.bridges.len(), 2);
    assert_eq!(
        installed.subnets,
        vec![net("10.220.0.0/24"), net("10.221.0.0/24")]
    );
    assert_eq!(installed.ports.len(), 3);
    fw.unpublish(&installed.ports)?;
    fw.unpublish(&installed.ports)?; // already gone: fine
    assert!(blocked(None, "127.0.0.1:8080"));
    fw.remove_network("bta", net("10.220.0.0/24"))?;
    assert!(fw.table_exists()?, "btb still has its elements");
    fw.remove_network("btb", net("10.221.0.0/24"))?;
    // The last network gone, the table goes with it.
    assert!(fw.installed()?.is_empty());
    assert!(!fw.table_exists()?);
    fw.remove_network("btb", net("10.221.0.0/24"))?;
    assert!(!fw.remove_all()?);
    Ok(())
}
