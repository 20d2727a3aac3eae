//! The engine's end of the attach socket: send stdin, close it, resize, and receive
//! output, Started and Exit frames.

use std::fs::OpenOptions;
use std::io::{self, Read, Write};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::os::unix::fs::OpenOptionsExt;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};

use crate::protocol::{self, Hello, HEADER_LEN};

/// One frame from the monitor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    Stdout(Vec<u8>),
    Stderr(Vec<u8>),
    /// The container exited with this code (128+N for signal N). Sent on every exit;
    /// the last one is followed by EOF once the monitor is done.
    Exit(i32),
    /// The container (re)started with this pid.
    Started(i32),
    /// The answer to [`Client::serve_dns`]: `None` when the server runs, else why not.
    Dns(Option<String>),
}

/// `<run_dir>/attach`.
pub fn socket_path(run_dir: &Path) -> PathBuf {
    run_dir.join("attach")
}

/// sun_path holds 108 bytes: a longer socket path is reached through an O_PATH fd of
/// its directory (`/proc/self/fd/N/attach`), both to bind and to connect.
pub(crate) fn with_socket_path<T>(
    run_dir: &Path,
    f: impl FnOnce(&Path) -> io::Result<T>,
) -> io::Result<T> {
    let direct = socket_path(run_dir);
    if direct.as_os_str().len() < 100 {
        return f(&direct);
    }
    let dir = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_PATH | libc::O_DIRECTORY)
        .open(run_dir)?;
    f(Path::new(&format!(
        "/proc/self/fd/{}/attach",
        dir.as_raw_fd()
    )))
}

/// Reads frames from a stream; keeps what arrived beyond the last whole frame.
#[derive(Debug)]
pub struct Receiver {
    stream: UnixStream,
    buf: Vec<u8>,
}

/// Sends stdin, close and resize frames.
#[derive(Debug)]
pub struct Sender {
    stream: UnixStream,
}

/// Both directions on one connection to a monitor.
#[derive(Debug)]
pub struct Client {
    rx: Receiver,
    tx: Sender,
}

impl Client {
    /// Connects to `<run_dir>/attach`.
    pub fn connect(run_dir: &Path) -> io::Result<Client> {
        let s = with_socket_path(run_dir, |p| UnixStream::connect(p)).map_err(|e| {
            io::Error::new(
                e.kind(),
                format!(
                    "connect to the monitor at {}: {e}",
                    socket_path(run_dir).display()
                ),
            )
        })?;
        Client::from_stream(s)
    }

    /// A client on an existing connection (the CLI's end of a socketpair given to
    /// `spawn`).
    pub fn from_stream(stream: UnixStream) -> io::Result<Client> {
        let tx = stream.try_clone()?;
        Ok(Client {
            rx: Receiver {
                stream,
                buf: Vec::new(),
            },
            tx: Sender { stream: tx },
        })
    }

    /// Says which streams this client wants (default: all). Send it first.
    pub fn hello(&mut self, h: Hello) -> io::Result<()> {
        self.tx.hello(h)
    }

    pub fn send_stdin(&mut self, data: &[u8]) -> io::Result<()> {
        self.tx.send_stdin(data)
    }

    pub fn close_stdin(&mut self) -> io::Result<()> {
        self.tx.close_stdin()
    }

    pub fn resize(&mut self, rows: u16, cols: u16) -> io::Result<()> {
        self.tx.resize(rows, cols)
    }

    /// Tells the monitor of an `--rm` container that this client removes it after the
    /// final Exit frame ([`protocol::REMOVE`]); send it before the container can exit.
    pub fn will_remove(&mut self) -> io::Result<()> {
        self.tx.send(protocol::REMOVE, &[])
    }

    /// Tells the monitor the container is removed ([`protocol::REMOVED`]).
    pub fn removed(&mut self) -> io::Result<()> {
        self.tx.send(protocol::REMOVED, &[])
    }

    /// Asks the monitor to serve the embedded DNS server ([`protocol::SERVE_DNS`]); the
    /// answer is a [`Frame::Dns`].
    pub fn serve_dns(&mut self, opts: &crate::config::DnsOpts) -> io::Result<()> {
        let json = serde_json::to_vec(opts).map_err(io::Error::other)?;
        self.tx.send(protocol::SERVE_DNS, &json)
    }

    /// Bounds each `recv`'s wait (`None`: no bound).
    pub fn set_read_timeout(&self, t: Option<std::time::Duration>) -> io::Result<()> {
        self.rx.stream.set_read_timeout(t)
    }

    /// The next frame; `None` when the monitor closed the connection.
    pub fn recv(&mut self) -> io::Result<Option<Frame>> {
        self.rx.recv()
    }

    /// Whether a whole frame is already buffered (poll would not report it).
    pub fn has_buffered_frame(&self) -> bool {
        self.rx.has_buffered_frame()
    }

    /// Separate halves, e.g. to read in one place and write from another.
    pub fn into_split(self) -> (Receiver, Sender) {
        (self.rx, self.tx)
    }
}

impl Sender {
    fn send(&mut self, kind: u8, payload: &[u8]) -> io::Result<()> {
        self.stream.write_all(&protocol::encode(kind, payload))
    }

    pub fn hello(&mut self, h: Hello) -> io::Result<()> {
        let json = serde_json::to_vec(&h).map_err(io::Error::other)?;
        self.send(protocol::HELLO, &json)
    }

    pub fn send_stdin(&mut self, data: &[u8]) -> io::Result<()> {
        for chunk in data.chunks(protocol::MAX_PAYLOAD) {
            self.send(protocol::STDIN, chunk)?;
        }
        Ok(())
    }

    pub fn close_stdin(&mut self) -> io::Result<()> {
        self.send(protocol::CLOSE_STDIN, &[])
    }

    pub fn resize(&mut self, rows: u16, cols: u16) -> io::Result<()> {
        self.send(protocol::RESIZE, &protocol::resize_payload(rows, cols))
    }
}

impl Receiver {
    pub fn has_buffered_frame(&self) -> bool {
        matches!(protocol::parse(&self.buf), Ok(Some(_)))
    }

    /// The next frame; `None` at EOF. Frames of unknown kinds are skipped.
    pub fn recv(&mut self) -> io::Result<Option<Frame>> {
        loop {
            let parsed = protocol::parse(&self.buf)
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
            if let Some((kind, end)) = parsed {
                let payload = self.buf[HEADER_LEN..end].to_vec();
                self.buf.drain(..end);
                let bad = || io::Error::new(io::ErrorKind::InvalidData, "bad number in frame");
                let frame = match kind {
                    protocol::STDOUT => Frame::Stdout(payload),
                    protocol::STDERR => Frame::Stderr(payload),
                    protocol::EXIT => Frame::Exit(protocol::parse_int(&payload).ok_or_else(bad)?),
                    protocol::STARTED => {
                        Frame::Started(protocol::parse_int(&payload).ok_or_else(bad)?)
                    }
                    protocol::DNS => Frame::Dns(
                        (!payload.is_empty())
                            .then(|| String::from_utf8_lossy(&payload).into_owned()),
                    ),
                    _ => continue,
                };
                return Ok(Some(frame));
            }
            let mut chunk = [0u8; 16 * 1024];
            let n = match self.stream.read(&mut chunk) {
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                // A monitor that exits with unread stdin from us resets the connection.
                Err(e) if e.kind() == io::ErrorKind::ConnectionReset => 0,
                Err(e) => return Err(e),
            };
            if n == 0 {
                return Ok(None);
            }
            self.buf.extend_from_slice(&chunk[..n]);
        }
    }
}

macro_rules! fd_access {
    ($t:ty, $($f:ident).+) => {
        impl AsFd for $t {
            fn as_fd(&self) -> BorrowedFd<'_> {
                self.$($f).+.as_fd()
            }
        }
        impl AsRawFd for $t {
            fn as_raw_fd(&self) -> RawFd {
                self.$($f).+.as_raw_fd()
            }
        }
    };
}
fd_access!(Client, rx.stream);
fd_access!(Receiver, stream);
fd_access!(Sender, stream);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_over_a_socketpair() {
        let (a, mut b) = UnixStream::pair().unwrap();
        let mut c = Client::from_stream(a).unwrap();
        let mut bytes = protocol::encode(protocol::STARTED, b"42");
        bytes.extend(protocol::encode(9, b"ignored"));
        bytes.extend(protocol::encode(protocol::STDOUT, b"hi\n"));
        bytes.extend(protocol::encode(protocol::EXIT, b"3"));
        bytes.extend(protocol::encode(protocol::DNS, b""));
        bytes.extend(protocol::encode(protocol::DNS, b"no netns"));
        b.write_all(&bytes).unwrap();
        assert_eq!(c.recv().unwrap(), Some(Frame::Started(42)));
        assert!(c.has_buffered_frame());
        assert_eq!(c.recv().unwrap(), Some(Frame::Stdout(b"hi\n".to_vec())));
        assert_eq!(c.recv().unwrap(), Some(Frame::Exit(3)));
        assert_eq!(c.recv().unwrap(), Some(Frame::Dns(None)));
        assert_eq!(c.recv().unwrap(), Some(Frame::Dns(Some("no netns".into()))));
        c.send_stdin(b"in").unwrap();
        c.resize(24, 80).unwrap();
        drop(b);
        assert_eq!(c.recv().unwrap(), None);
    }

    #[test]
    fn long_paths_go_through_proc() {
        let dir = tempfile::tempdir().unwrap();
        let long = dir.path().join("x".repeat(120));
        std::fs::create_dir(&long).unwrap();
        let l = with_socket_path(&long, |p| std::os::unix::net::UnixListener::bind(p)).unwrap();
        assert!(socket_path(&long).exists());
        let _c = Client::connect(&long).unwrap();
        l.accept().unwrap();
    }
}
