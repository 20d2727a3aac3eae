//! Frames on the attach socket: an 8-byte header `[kind, 0, 0, 0, len u32 BE]` (the
//! header of Docker's multiplexed attach stream) followed by `len` bytes of payload.

use serde::{Deserialize, Serialize};

pub const HEADER_LEN: usize = 8;
/// Largest payload accepted from a peer; a bigger length means a broken peer.
pub const MAX_PAYLOAD: usize = 1 << 20;

/// Monitor → client.
pub const STDOUT: u8 = 1;
pub const STDERR: u8 = 2;
/// Payload: the exit code, ASCII decimal.
pub const EXIT: u8 = 3;
/// Payload: the container's pid, ASCII decimal; sent on every (re)start.
pub const STARTED: u8 = 4;
/// Client → monitor.
pub const STDIN: u8 = 0;
pub const CLOSE_STDIN: u8 = 5;
/// Payload: rows and cols, two u16 BE.
pub const RESIZE: u8 = 6;
/// Payload: JSON [`Hello`].
pub const HELLO: u8 = 7;
/// No payload: this client removes the (`--rm`) container itself once it has the final
/// Exit frame (the foreground `run --rm`, which has the engine loaded already), and says
/// `REMOVED` when it has. The monitor then does not run its `on_exit` command — unless the
/// client goes away without saying it.
pub const REMOVE: u8 = 8;
/// No payload: the container is removed (after `REMOVE`).
pub const REMOVED: u8 = 9;
/// Client → monitor. Payload: JSON [`crate::config::DnsOpts`]: serve the embedded DNS
/// server from now on (`network connect` of a running container to its first
/// user-defined network). Answered with `DNS` to that client only.
pub const SERVE_DNS: u8 = 10;
/// Monitor → client: the answer to `SERVE_DNS`; empty when the server runs, else why not.
pub const DNS: u8 = 11;

/// Which streams a client wants. Exit and Started frames go to every client; a client
/// that only waits sends all false.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hello {
    #[serde(default)]
    pub stdin: bool,
    #[serde(default)]
    pub stdout: bool,
    #[serde(default)]
    pub stderr: bool,
}

impl Hello {
    /// No stream: a client that only waits (for the exit) or asks (`SERVE_DNS`).
    pub const NOTHING: Hello = Hello {
        stdin: false,
        stdout: false,
        stderr: false,
    };
}

impl Default for Hello {
    fn default() -> Self {
        Hello {
            stdin: true,
            stdout: true,
            stderr: true,
        }
    }
}

/// Appends one frame to `out`.
pub fn encode_into(out: &mut Vec<u8>, kind: u8, payload: &[u8]) {
    let len = u32::try_from(payload.len()).unwrap_or(u32::MAX);
    out.extend_from_slice(&[kind, 0, 0, 0]);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(&payload[..len as usize]);
}

pub fn encode(kind: u8, payload: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(HEADER_LEN + payload.len());
    encode_into(&mut v, kind, payload);
    v
}

/// Why bytes from a peer are not a frame.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    #[error("frame of {0} bytes is larger than the {MAX_PAYLOAD}-byte limit")]
    TooLarge(usize),
}

/// The first complete frame at the start of `buf`: (kind, payload range end) — i.e.
/// `Some((kind, total_len))` where the payload is `buf[HEADER_LEN..total_len]`.
pub fn parse(buf: &[u8]) -> Result<Option<(u8, usize)>, FrameError> {
    if buf.len() < HEADER_LEN {
        return Ok(None);
    }
    let len = u32::from_be_bytes([buf[4], buf[5], buf[6], buf[7]]) as usize;
    if len > MAX_PAYLOAD {
        return Err(FrameError::TooLarge(len));
    }
    if buf.len() < HEADER_LEN + len {
        return Ok(None);
    }
    Ok(Some((buf[0], HEADER_LEN + len)))
}

/// Rows and cols of a resize payload.
pub fn parse_resize(p: &[u8]) -> Option<(u16, u16)> {
    match p {
        [a, b, c, d] => Some((u16::from_be_bytes([*a, *b]), u16::from_be_bytes([*c, *d]))),
        _ => None,
    }
}

pub fn resize_payload(rows: u16, cols: u16) -> [u8; 4] {
    let (r, c) = (rows.to_be_bytes(), cols.to_be_bytes());
    [r[0], r[1], c[0], c[1]]
}

/// An ASCII decimal payload (exit code, pid).
pub fn parse_int(p: &[u8]) -> Option<i32> {
    std::str::from_utf8(p).ok()?.trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_is_dockers() {
        let f = encode(STDOUT, b"hi\n");
        assert_eq!(&f[..8], &[1, 0, 0, 0, 0, 0, 0, 3]);
        assert_eq!(&f[8..], b"hi\n");
    }

    #[test]
    fn parses_whole_frames_only() {
        let mut buf = encode(EXIT, b"137");
        buf.extend_from_slice(&encode(STDERR, b"x")[..5]);
        let (kind, end) = parse(&buf).unwrap().unwrap();
        assert_eq!((kind, parse_int(&buf[HEADER_LEN..end])), (EXIT, Some(137)));
        assert_eq!(parse(&buf[end..]).unwrap(), None);
        assert_eq!(parse(&buf[..7]).unwrap(), None);
    }

    #[test]
    fn refuses_huge_frames() {
        let buf = [STDIN, 0, 0, 0, 0xff, 0xff, 0xff, 0xff];
        assert!(matches!(parse(&buf), Err(FrameError::TooLarge(_))));
    }

    #[test]
    fn resize_and_hello() {
        assert_eq!(parse_resize(&resize_payload(33, 111)), Some((33, 111)));
        assert_eq!(parse_resize(b"abc"), None);
        let h: Hello =
            serde_json::from_str(r#"{"stdin":false,"stdout":false,"stderr":false}"#).unwrap();
        assert!(!h.stdin && !h.stdout && !h.stderr);
        assert!(Hello::default().stdout);
    }
}
