//! Attach clients: any number of connections on `<run_dir>/attach` (plus the one
//! inherited from the engine), each with a read buffer for its frames and a write
//! buffer for what it has not taken yet.

use std::io::{self, Read, Write};
use std::os::fd::AsFd;
use std::os::unix::net::UnixStream;
use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::poll::{PollFd, PollFlags, PollTimeout};

use crate::protocol::{self, Hello, HEADER_LEN};

/// A client that lets this much output pile up is disconnected, rather than the
/// container being stalled or the monitor growing without bound.
const MAX_BACKLOG: usize = 4 << 20;

/// What a client asked for.
#[derive(Debug, PartialEq, Eq)]
pub enum Request {
    Stdin(Vec<u8>),
    CloseStdin,
    Resize(u16, u16),
    /// `SERVE_DNS` (or `Err` with why its payload is not a config).
    ServeDns(std::result::Result<crate::config::DnsOpts, String>),
}

pub struct Conn {
    pub stream: UnixStream,
    pub want: Hello,
    rbuf: Vec<u8>,
    wbuf: Vec<u8>,
    pub dead: bool,
    /// Sent `REMOVE`: removes the container itself after the final Exit frame.
    pub removes: bool,
    /// Sent `REMOVED`.
    pub removed: bool,
}

impl Conn {
    pub fn new(stream: UnixStream) -> io::Result<Conn> {
        stream.set_nonblocking(true)?;
        Ok(Conn {
            stream,
            want: Hello::default(),
            rbuf: Vec::new(),
            wbuf: Vec::new(),
            dead: false,
            removes: false,
            removed: false,
        })
    }

    pub fn wants_write(&self) -> bool {
        !self.wbuf.is_empty()
    }

    /// Queues a frame and writes what the socket takes now.
    pub fn send(&mut self, kind: u8, payload: &[u8]) {
        if self.dead {
            return;
        }
        protocol::encode_into(&mut self.wbuf, kind, payload);
        self.flush();
        if self.wbuf.len() > MAX_BACKLOG {
            eprintln!("berth-monitor: dropping an attach client that stopped reading");
            self.dead = true;
        }
    }

    /// Writes queued bytes until the socket would block.
    pub fn flush(&mut self) {
        while !self.wbuf.is_empty() && !self.dead {
            match self.stream.write(&self.wbuf) {
                Ok(0) => self.dead = true,
                Ok(n) => {
                    self.wbuf.drain(..n);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(_) => self.dead = true,
            }
        }
        if self.wbuf.is_empty() && self.wbuf.capacity() > 64 * 1024 {
            self.wbuf = Vec::new();
        }
    }

    /// Writes everything queued, waiting up to a few seconds (at the monitor's exit).
    pub fn flush_blocking(&mut self) {
        if self.dead || self.wbuf.is_empty() {
            return;
        }
        let _ = self.stream.set_nonblocking(false);
        let _ = self
            .stream
            .set_write_timeout(Some(std::time::Duration::from_secs(5)));
        if self.stream.write_all(&self.wbuf).is_err() {
            self.dead = true;
        }
        self.wbuf.clear();
    }

    /// Waits until the client says `REMOVED` (true), goes away or `limit` passes (false).
    pub fn wait_removed(&mut self, limit: Duration) -> bool {
        let deadline = Instant::now() + limit;
        while !self.removed && !self.dead {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            let ms = i32::try_from(left.as_millis() + 1).unwrap_or(i32::MAX);
            let timeout = PollTimeout::try_from(ms).unwrap_or(PollTimeout::MAX);
            let mut fds = [PollFd::new(self.stream.as_fd(), PollFlags::POLLIN)];
            match nix::poll::poll(&mut fds, timeout) {
                Ok(_) | Err(Errno::EINTR) => {}
                Err(_) => return false,
            }
            // Stdin from a client whose container is gone: nothing to do with it.
            let _ = self.read();
        }
        self.removed
    }

    /// Reads what arrived and returns the requests in it; marks the client dead at
    /// EOF or on a broken frame.
    pub fn read(&mut self) -> Vec<Request> {
        let mut chunk = [0u8; 8192];
        loop {
            match self.stream.read(&mut chunk) {
                Ok(0) => {
                    self.dead = true;
                    break;
                }
                Ok(n) => self.rbuf.extend_from_slice(&chunk[..n]),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(_) => {
                    self.dead = true;
                    break;
                }
            }
        }
        let mut out = Vec::new();
        loop {
            let (kind, end) = match protocol::parse(&self.rbuf) {
                Ok(Some(f)) => f,
                Ok(None) => break,
                Err(e) => {
                    eprintln!("berth-monitor: dropping an attach client: {e}");
                    self.dead = true;
                    break;
                }
            };
            let payload = &self.rbuf[HEADER_LEN..end];
            match kind {
                protocol::STDIN if self.want.stdin => out.push(Request::Stdin(payload.to_vec())),
                protocol::CLOSE_STDIN if self.want.stdin => out.push(Request::CloseStdin),
                protocol::RESIZE => {
                    if let Some((r, c)) = protocol::parse_resize(payload) {
                        out.push(Request::Resize(r, c));
                    }
                }
                protocol::HELLO => {
                    if let Ok(h) = serde_json::from_slice(payload) {
                        self.want = h;
                    }
                }
                protocol::REMOVE => self.removes = true,
                protocol::REMOVED => self.removed = true,
                protocol::SERVE_DNS => out.push(Request::ServeDns(
                    serde_json::from_slice(payload).map_err(|e| format!("bad DNS config: {e}")),
                )),
                _ => {}
            }
            self.rbuf.drain(..end);
        }
        if self.rbuf.is_empty() && self.rbuf.capacity() > 64 * 1024 {
            self.rbuf = Vec::new();
        }
        out
    }
}

/// Whether a client gets frames of `kind`.
pub fn wanted(want: &Hello, kind: u8) -> bool {
    match kind {
        protocol::STDOUT => want.stdout,
        protocol::STDERR => want.stderr,
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_and_hello() {
        let (a, mut b) = UnixStream::pair().unwrap();
        let mut c = Conn::new(a).unwrap();
        let mut bytes = protocol::encode(protocol::STDIN, b"abc");
        bytes.extend(protocol::encode(
            protocol::RESIZE,
            &protocol::resize_payload(10, 20),
        ));
        bytes.extend(protocol::encode(
            protocol::HELLO,
            br#"{"stdin":false,"stdout":false,"stderr":true}"#,
        ));
        bytes.extend(protocol::encode(
            protocol::STDIN,
            b"ignored: stdin not wanted",
        ));
        bytes.extend(&protocol::encode(protocol::CLOSE_STDIN, b"")[..4]);
        b.write_all(&bytes).unwrap();
        let r = c.read();
        assert_eq!(
            r,
            vec![Request::Stdin(b"abc".to_vec()), Request::Resize(10, 20)]
        );
        assert!(!c.want.stdout && c.want.stderr);
        assert!(!wanted(&c.want, protocol::STDOUT));
        assert!(wanted(&c.want, protocol::EXIT));
        assert!(!c.dead);
        drop(b);
        c.read();
        assert!(c.dead);
    }

    #[test]
    fn serve_dns_carries_its_config() {
        let (a, mut b) = UnixStream::pair().unwrap();
        let mut c = Conn::new(a).unwrap();
        let opts = crate::config::DnsOpts {
            netns: "/run/netns/x".into(),
            records: "/c/x/dns.records".into(),
            upstreams: vec!["10.0.0.1".into()],
        };
        let mut bytes = protocol::encode(protocol::SERVE_DNS, &serde_json::to_vec(&opts).unwrap());
        bytes.extend(protocol::encode(protocol::SERVE_DNS, b"{"));
        b.write_all(&bytes).unwrap();
        let r = c.read();
        assert_eq!(r[0], Request::ServeDns(Ok(opts)));
        assert!(
            matches!(&r[1], Request::ServeDns(Err(e)) if e.starts_with("bad DNS config")),
            "{r:?}"
        );
    }

    #[test]
    fn send_queues_when_the_peer_is_slow() {
        let (a, b) = UnixStream::pair().unwrap();
        let mut c = Conn::new(a).unwrap();
        let big = vec![7u8; 512 * 1024];
        c.send(protocol::STDOUT, &big);
        assert!(c.wants_write() && !c.dead);
        drop(b);
        c.flush();
        assert!(c.dead);
    }
}
