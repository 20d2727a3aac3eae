//! The embedded DNS server of a container on a user-defined network (Docker's
//! 127.0.0.11), served by the container's monitor: no daemon.
//!
//! The monitor `setns`es into the container's network namespace (the file the engine
//! bind-mounted), binds UDP and TCP 127.0.0.11:53 there and returns to its own; the
//! sockets stay in that namespace (restarts by the policy join the same one) and join the monitor's poll
//! loop. Names of the records file (peers sharing a user-defined network) are answered
//! here: A with their addresses, AAAA and other types with an empty NOERROR, PTR for
//! their addresses. Everything else is forwarded from the monitor's own (host) network
//! namespace to the upstream resolvers, one at a time, each given its share of
//! [`FORWARD_TIMEOUT`]; SERVFAIL when none answers.

mod msg;
mod records;

use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4, TcpListener, TcpStream, UdpSocket};
use std::os::fd::{AsFd, BorrowedFd};
use std::path::Path;
use std::time::{Duration, Instant};

use crate::config::DnsOpts;
use records::Records;

/// The address the container's resolv.conf names.
pub const ADDR: SocketAddrV4 = SocketAddrV4::new(Ipv4Addr::new(127, 0, 0, 11), 53);
/// How long a forwarded query may wait for all upstreams together.
const FORWARD_TIMEOUT: Duration = Duration::from_secs(5);
/// Queries waiting for an upstream at most (the oldest is dropped beyond).
const MAX_PENDING: usize = 256;
/// TCP clients at a time, and how long one may take.
const MAX_TCP: usize = 16;
const TCP_TIMEOUT: Duration = Duration::from_secs(5);

/// Who asked a forwarded query, and how to answer.
#[derive(Debug)]
enum Client {
    Udp(SocketAddr),
    /// Index into `tcp`, checked against the connection's serial.
    Tcp(u64),
}

#[derive(Debug)]
struct Pending {
    /// The id the upstream sees.
    id: u16,
    client: Client,
    client_id: u16,
    query: Vec<u8>,
    upstream: usize,
    deadline: Instant,
}

/// One TCP client: a length-prefixed query read, its answer written (then closed).
#[derive(Debug)]
struct TcpConn {
    serial: u64,
    stream: TcpStream,
    inbuf: Vec<u8>,
    out: Vec<u8>,
    /// Waiting for an upstream: no more reading.
    waiting: bool,
    deadline: Instant,
    dead: bool,
}

pub struct Dns {
    udp: UdpSocket,
    tcp_listener: Option<TcpListener>,
    tcp: Vec<TcpConn>,
    next_serial: u64,
    /// One socket per upstream, in the monitor's (host) namespace, connected: only its
    /// upstream's answers arrive on it, and an ICMP "port unreachable" comes back as
    /// ECONNREFUSED (the next upstream is tried at once, not after a timeout).
    upstreams: Vec<UdpSocket>,
    pending: Vec<Pending>,
    records: Records,
    rng: u32,
}

/// The fds the poll loop watches, and what each is.
#[derive(Clone, Copy, Debug)]
pub enum Source {
    Udp,
    Upstream(usize),
    TcpListener,
    Tcp(usize),
}

/// Runs `f` inside the network namespace at `netns`, then returns to our own. The
/// monitor is single-threaded here, so the switch is its own and brief; a thread of its
/// own would be cleaner, but its first creation maps ~0.9 MB more of libc and ld.so
/// into the monitor (measured). Failing to return is an error the caller must not
/// survive: it would leave the monitor in the container's namespace.
fn in_netns<T>(netns: &Path, f: impl FnOnce() -> io::Result<T>) -> io::Result<T> {
    use nix::sched::{setns, CloneFlags};
    let ns = std::fs::File::open(netns)?;
    let own = std::fs::File::open("/proc/thread-self/ns/net")?;
    setns(ns.as_fd(), CloneFlags::CLONE_NEWNET).map_err(io::Error::from)?;
    let r = f();
    if let Err(e) = setns(own.as_fd(), CloneFlags::CLONE_NEWNET) {
        eprintln!("berth-monitor: return to the host network namespace: {e}");
        std::process::abort();
    }
    r
}

fn upstream_addr(s: &str) -> Option<SocketAddr> {
    if let Ok(a) = s.parse::<SocketAddr>() {
        return Some(a);
    }
    let host = s.split('%').next().unwrap_or(s);
    host.parse::<std::net::IpAddr>()
        .ok()
        .map(|ip| SocketAddr::new(ip, 53))
}

impl Dns {
    /// Binds 127.0.0.11:53 in the container's namespace and the forwarding sockets here.
    pub fn start(opts: &DnsOpts) -> io::Result<Dns> {
        let (udp, tcp_listener) = in_netns(&opts.netns, || {
            let u = UdpSocket::bind(ADDR)?;
            // TCP is a bonus: a failure leaves UDP alone.
            let t = TcpListener::bind(ADDR).ok();
            Ok((u, t))
        })?;
        udp.set_nonblocking(true)?;
        if let Some(t) = &tcp_listener {
            t.set_nonblocking(true)?;
        }
        let connect = |to: SocketAddr| -> io::Result<UdpSocket> {
            let any: SocketAddr = match to {
                SocketAddr::V4(_) => (Ipv4Addr::UNSPECIFIED, 0).into(),
                SocketAddr::V6(_) => (std::net::Ipv6Addr::UNSPECIFIED, 0).into(),
            };
            let s = UdpSocket::bind(any)?;
            s.connect(to)?;
            s.set_nonblocking(true)?;
            Ok(s)
        };
        // An upstream that cannot be reached from here (no route, no IPv6) is left out.
        let upstreams: Vec<UdpSocket> = opts
            .upstreams
            .iter()
            .filter_map(|s| upstream_addr(s))
            .filter_map(|to| connect(to).ok())
            .collect();
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(1, |d| d.subsec_nanos() ^ std::process::id().rotate_left(16));
        Ok(Dns {
            udp,
            tcp_listener,
            tcp: Vec::new(),
            next_serial: 0,
            upstreams,
            pending: Vec::new(),
            records: Records::new(opts.records.clone()),
            rng: seed | 1,
        })
    }

    /// What to poll (all for reading but TCP clients with an answer to write).
    pub fn fds(&self) -> Vec<(BorrowedFd<'_>, Source, bool)> {
        let mut v = vec![(self.udp.as_fd(), Source::Udp, false)];
        for (i, s) in self.upstreams.iter().enumerate() {
            v.push((s.as_fd(), Source::Upstream(i), false));
        }
        if let Some(l) = &self.tcp_listener {
            if self.tcp.len() < MAX_TCP {
                v.push((l.as_fd(), Source::TcpListener, false));
            }
        }
        for (i, c) in self.tcp.iter().enumerate() {
            if !c.out.is_empty() {
                v.push((c.stream.as_fd(), Source::Tcp(i), true));
            } else if !c.waiting {
                v.push((c.stream.as_fd(), Source::Tcp(i), false));
            }
        }
        v
    }

    /// The earliest deadline (a forwarded query or a TCP client).
    pub fn wake_at(&self) -> Option<Instant> {
        let p = self.pending.iter().map(|p| p.deadline);
        let t = self.tcp.iter().map(|c| c.deadline);
        p.chain(t).min()
    }

    /// Serves a ready fd.
    pub fn ready(&mut self, src: Source) {
        match src {
            Source::Udp => self.read_udp(),
            Source::Upstream(i) => self.read_upstream(i),
            Source::TcpListener => self.accept(),
            Source::Tcp(i) => self.serve_tcp(i),
        }
    }

    /// Retries or fails forwarded queries past their deadline; drops slow and finished
    /// TCP clients. Called after every round of [`Dns::ready`].
    pub fn tick(&mut self) {
        let now = Instant::now();
        let mut i = 0;
        while i < self.pending.len() {
            if self.pending[i].deadline > now {
                i += 1;
                continue;
            }
            let p = self.pending.swap_remove(i);
            self.forward(p.client, p.client_id, p.query, p.upstream + 1);
        }
        for c in &mut self.tcp {
            if c.deadline <= now {
                c.dead = true;
            }
        }
        self.tcp.retain(|c| !c.dead);
    }

    fn read_udp(&mut self) {
        let mut buf = [0u8; 4096];
        // A bounded batch: the rest waits for the next poll.
        for _ in 0..64 {
            let (n, from) = match self.udp.recv_from(&mut buf) {
                Ok(r) => r,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(_) => return,
            };
            let query = &buf[..n];
            if let Some(answer) = self.local_answer(query) {
                let _ = self.udp.send_to(&answer, from);
            } else if let Some(id) = msg::id(query) {
                if n >= 12 && query[2] & 0x80 == 0 {
                    self.forward(Client::Udp(from), id, query.to_vec(), 0);
                }
            }
        }
    }

    /// The answer to a query about a name of the records file, if it is one.
    fn local_answer(&mut self, query: &[u8]) -> Option<Vec<u8>> {
        let q = msg::question(query)?;
        if q.qclass != msg::CLASS_IN && q.qclass != msg::TYPE_ANY {
            return None;
        }
        self.records.refresh();
        if q.qtype == msg::TYPE_PTR {
            let ip = msg::reverse_v4(&q.name)?;
            let name = self.records.name_of(ip)?;
            return Some(msg::answer_ptr(query, &q, name));
        }
        let addrs = self.records.lookup(&q.name);
        if addrs.is_empty() {
            return None;
        }
        match q.qtype {
            msg::TYPE_A | msg::TYPE_ANY => Some(msg::answer_a(query, &q, &addrs)),
            // The name exists, without addresses of that type.
            _ => Some(msg::answer_a(query, &q, &[])),
        }
    }

    fn next_id(&mut self) -> u16 {
        // xorshift32: unpredictable enough for ids only an upstream on the path sees.
        loop {
            let mut x = self.rng;
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            self.rng = x;
            let id = (x >> 8) as u16;
            if !self.pending.iter().any(|p| p.id == id) {
                return id;
            }
        }
    }

    /// Sends `query` to upstream `from` (or the next one that can be reached); answers
    /// SERVFAIL when none is left.
    fn forward(&mut self, client: Client, client_id: u16, mut query: Vec<u8>, from: usize) {
        let n = self.upstreams.len().max(1) as u32;
        let share = (FORWARD_TIMEOUT / n).max(Duration::from_secs(1));
        for upstream in from..self.upstreams.len() {
            let id = self.next_id();
            msg::set_id(&mut query, id);
            if self.upstreams[upstream].send(&query).is_err() {
                continue;
            }
            if self.pending.len() >= MAX_PENDING {
                let oldest = self
                    .pending
                    .iter()
                    .enumerate()
                    .min_by_key(|(_, p)| p.deadline)
                    .map(|(i, _)| i);
                if let Some(i) = oldest {
                    self.pending.swap_remove(i);
                }
            }
            self.pending.push(Pending {
                id,
                client,
                client_id,
                query,
                upstream,
                deadline: Instant::now() + share,
            });
            return;
        }
        msg::set_id(&mut query, client_id);
        if let Some(fail) = msg::error(&query, msg::RCODE_SERVFAIL) {
            self.reply(client, &fail);
        }
    }

    /// Answers from upstream `u` to their clients; a refusal (ICMP port unreachable)
    /// sends its pending queries on to the next upstream at once.
    fn read_upstream(&mut self, u: usize) {
        // Upstreams answer within the size the client advertised (EDNS, at most 4096
        // from common resolvers; 512 without): a bigger buffer would only cost stack.
        let mut buf = [0u8; 4096];
        for _ in 0..64 {
            let Some(sock) = self.upstreams.get(u) else {
                return;
            };
            let n = match sock.recv(&mut buf) {
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) if e.kind() == io::ErrorKind::ConnectionRefused => {
                    let mut i = 0;
                    while i < self.pending.len() {
                        if self.pending[i].upstream == u {
                            let p = self.pending.swap_remove(i);
                            self.forward(p.client, p.client_id, p.query, u + 1);
                        } else {
                            i += 1;
                        }
                    }
                    continue;
                }
                Err(_) => return,
            };
            let answer = &mut buf[..n];
            let Some(id) = msg::id(answer) else { continue };
            let Some(i) = self
                .pending
                .iter()
                .position(|p| p.id == id && p.upstream == u)
            else {
                continue;
            };
            let p = self.pending.swap_remove(i);
            msg::set_id(answer, p.client_id);
            let answer = answer.to_vec();
            self.reply(p.client, &answer);
        }
    }

    fn reply(&mut self, client: Client, answer: &[u8]) {
        match client {
            Client::Udp(to) => {
                let _ = self.udp.send_to(answer, to);
            }
            Client::Tcp(serial) => {
                if let Some(c) = self.tcp.iter_mut().find(|c| c.serial == serial) {
                    c.out
                        .extend_from_slice(&(answer.len() as u16).to_be_bytes());
                    c.out.extend_from_slice(answer);
                    c.waiting = false;
                }
            }
        }
    }

    fn accept(&mut self) {
        let Some(l) = &self.tcp_listener else { return };
        while self.tcp.len() < MAX_TCP {
            let Ok((stream, _)) = l.accept() else { return };
            if stream.set_nonblocking(true).is_err() {
                continue;
            }
            self.next_serial += 1;
            self.tcp.push(TcpConn {
                serial: self.next_serial,
                stream,
                inbuf: Vec::new(),
                out: Vec::new(),
                waiting: false,
                deadline: Instant::now() + TCP_TIMEOUT,
                dead: false,
            });
        }
    }

    /// Reads a TCP client's query (2-byte length, message) or writes its answer. Closed
    /// connections are dropped by [`Dns::tick`] (indices stay valid until then).
    fn serve_tcp(&mut self, i: usize) {
        let Some(c) = self.tcp.get_mut(i) else { return };
        if !c.out.is_empty() {
            match c.stream.write(&c.out) {
                Ok(n) => {
                    c.out.drain(..n);
                    if c.out.is_empty() {
                        // One query per connection, as resolvers send.
                        c.dead = true;
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(_) => c.dead = true,
            }
        } else {
            let mut buf = [0u8; 1024];
            match c.stream.read(&mut buf) {
                Ok(0) => c.dead = true,
                Ok(n) => c.inbuf.extend_from_slice(&buf[..n]),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(_) => c.dead = true,
            }
            if c.inbuf.len() > 2 + 65535 {
                c.dead = true;
            }
            let len = match c.inbuf.get(..2) {
                Some(l) => usize::from(u16::from_be_bytes([l[0], l[1]])),
                None => return,
            };
            if c.inbuf.len() >= 2 + len && !c.dead {
                let query: Vec<u8> = c.inbuf[2..2 + len].to_vec();
                c.inbuf.clear();
                c.waiting = true;
                let serial = c.serial;
                if let Some(answer) = self.local_answer(&query) {
                    self.reply(Client::Tcp(serial), &answer);
                } else if let Some(id) = msg::id(&query).filter(|_| query.len() >= 12) {
                    self.forward(Client::Tcp(serial), id, query, 0);
                } else if let Some(c) = self.tcp.iter_mut().find(|c| c.serial == serial) {
                    c.dead = true;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upstream_addresses() {
        assert_eq!(upstream_addr("10.0.0.1"), "10.0.0.1:53".parse().ok());
        assert_eq!(
            upstream_addr("127.0.0.77:5353"),
            "127.0.0.77:5353".parse().ok()
        );
        assert_eq!(upstream_addr("fe80::1%eth0"), "[fe80::1]:53".parse().ok());
        assert_eq!(upstream_addr("bogus"), None);
    }
}
