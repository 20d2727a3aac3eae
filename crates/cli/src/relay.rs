//! The client end of an attached container: the terminal's (or pipes') stdin goes to the
//! monitor, the container's output comes back, signals are forwarded (`--sig-proxy`), the
//! pty follows the terminal's size, and the detach keys (default ctrl-p ctrl-q) leave the
//! container running.

use std::io::{IsTerminal, Read, Write};
use std::os::fd::AsFd;

use monitor::client::{Client, Frame};
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use nix::sys::signal::{SigSet, Signal};
use nix::sys::signalfd::{SfdFlags, SignalFd};
use nix::sys::termios::{self, SetArg, Termios};

/// How an attachment ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    /// The container exited with this code.
    Exit(i32),
    /// The user pressed the detach keys.
    Detached,
    /// The monitor went away without an exit code.
    Closed,
}

/// What to relay.
pub struct Relay<'a> {
    pub tty: bool,
    pub stdin: bool,
    /// Parsed detach key sequence (empty = none).
    pub detach_keys: Vec<u8>,
    /// Forward these signals to the container (`--sig-proxy`): a callback given the signal.
    pub on_signal: Option<&'a mut dyn FnMut(Signal)>,
}

/// Docker's `--detach-keys` syntax: `ctrl-p,ctrl-q`, `a,b`, `ctrl-@`…
pub fn parse_detach_keys(s: &str) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    for k in s.split(',') {
        let k = k.trim();
        if let Some(c) = k.strip_prefix("ctrl-") {
            let b = match c.as_bytes() {
                [b @ b'a'..=b'z'] => b - b'a' + 1,
                [b'@'] => 0,
                [b'['] => 27,
                [b'\\'] => 28,
                [b']'] => 29,
                [b'^'] => 30,
                [b'_'] => 31,
                _ => return Err(format!("Unknown character: '{k}'")),
            };
            out.push(b);
        } else if k.len() == 1 {
            out.push(k.as_bytes()[0]);
        } else {
            return Err(format!("Unknown character: '{k}'"));
        }
    }
    Ok(out)
}

/// Puts the terminal into raw mode for as long as it lives.
struct RawTerminal {
    saved: Termios,
}

impl RawTerminal {
    fn enter() -> Option<RawTerminal> {
        let stdin = std::io::stdin();
        if !stdin.is_terminal() {
            return None;
        }
        let saved = termios::tcgetattr(stdin.as_fd()).ok()?;
        let mut raw = saved.clone();
        termios::cfmakeraw(&mut raw);
        termios::tcsetattr(stdin.as_fd(), SetArg::TCSANOW, &raw).ok()?;
        Some(RawTerminal { saved })
    }
}

impl Drop for RawTerminal {
    fn drop(&mut self) {
        let _ = termios::tcsetattr(std::io::stdin().as_fd(), SetArg::TCSANOW, &self.saved);
    }
}

/// The terminal's size (rows, cols), if stdout is one.
fn terminal_size() -> Option<(u16, u16)> {
    let out = std::io::stdout();
    if !out.is_terminal() {
        return None;
    }
    let ws = rustix::termios::tcgetwinsize(out.as_fd()).ok()?;
    Some((ws.ws_row, ws.ws_col))
}

const FORWARDED: [Signal; 8] = [
    Signal::SIGINT,
    Signal::SIGTERM,
    Signal::SIGHUP,
    Signal::SIGQUIT,
    Signal::SIGUSR1,
    Signal::SIGUSR2,
    Signal::SIGCONT,
    Signal::SIGWINCH,
];

/// Relays until the container exits, the user detaches or the monitor goes away.
pub fn relay(client: &mut Client, mut r: Relay<'_>) -> std::io::Result<Ended> {
    let mut mask = SigSet::empty();
    for s in FORWARDED {
        if s != Signal::SIGWINCH && r.on_signal.is_none() {
            continue;
        }
        mask.add(s);
    }
    mask.thread_block().map_err(std::io::Error::from)?;
    let sfd = SignalFd::with_flags(&mask, SfdFlags::SFD_CLOEXEC | SfdFlags::SFD_NONBLOCK)
        .map_err(std::io::Error::from)?;
    let _raw = if r.tty && r.stdin {
        RawTerminal::enter()
    } else {
        None
    };
    if r.tty {
        if let Some((rows, cols)) = terminal_size() {
            let _ = client.resize(rows, cols);
        }
    }
    let stdin = std::io::stdin();
    let mut stdin_open = r.stdin;
    let mut matched = 0usize;
    let mut out = std::io::stdout();
    let mut err = std::io::stderr();
    let mut buf = vec![0u8; 32 * 1024];
    loop {
        let buffered = client.has_buffered_frame();
        let mut fds = vec![
            PollFd::new(client.as_fd(), PollFlags::POLLIN),
            PollFd::new(sfd.as_fd(), PollFlags::POLLIN),
        ];
        if stdin_open {
            fds.push(PollFd::new(stdin.as_fd(), PollFlags::POLLIN));
        }
        let timeout = if buffered {
            PollTimeout::ZERO
        } else {
            PollTimeout::NONE
        };
        match poll(&mut fds, timeout) {
            Ok(_) => {}
            Err(nix::errno::Errno::EINTR) => continue,
            Err(e) => return Err(e.into()),
        }
        let ready = |i: usize, fds: &[PollFd]| {
            fds.get(i)
                .and_then(|f| f.revents())
                .is_some_and(|r| !r.is_empty())
        };
        let (c_ready, s_ready, i_ready) =
            (buffered || ready(0, &fds), ready(1, &fds), ready(2, &fds));
        drop(fds);
        if s_ready {
            while let Ok(Some(info)) = sfd.read_signal() {
                let Ok(sig) = Signal::try_from(info.ssi_signo as i32) else {
                    continue;
                };
                if sig == Signal::SIGWINCH {
                    if let Some((rows, cols)) = terminal_size() {
                        let _ = client.resize(rows, cols);
                    }
                } else if let Some(f) = r.on_signal.as_mut() {
                    f(sig);
                }
            }
        }
        if i_ready {
            let n = stdin.lock().read(&mut buf).unwrap_or(0);
            if n == 0 {
                stdin_open = false;
                let _ = client.close_stdin();
            } else {
                let mut data = Vec::with_capacity(n);
                for &b in &buf[..n] {
                    if !r.detach_keys.is_empty() && r.tty {
                        if b == r.detach_keys[matched] {
                            matched += 1;
                            if matched == r.detach_keys.len() {
                                return Ok(Ended::Detached);
                            }
                            continue;
                        }
                        // A partial match that broke: send what was held back.
                        data.extend_from_slice(&r.detach_keys[..matched]);
                        matched = 0;
                    }
                    data.push(b);
                }
                if !data.is_empty() && client.send_stdin(&data).is_err() {
                    stdin_open = false;
                }
            }
        }
        if c_ready {
            match client.recv()? {
                Some(Frame::Stdout(d)) => {
                    out.write_all(&d)?;
                    out.flush()?;
                }
                Some(Frame::Stderr(d)) => {
                    err.write_all(&d)?;
                    err.flush()?;
                }
                Some(Frame::Exit(code)) => return Ok(Ended::Exit(code)),
                Some(_) => {}
                None => return Ok(Ended::Closed),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detach_keys() {
        assert_eq!(parse_detach_keys("ctrl-p,ctrl-q").unwrap(), vec![16, 17]);
        assert_eq!(parse_detach_keys("a,ctrl-@").unwrap(), vec![b'a', 0]);
        assert!(parse_detach_keys("ctrl-1").is_err());
        assert!(parse_detach_keys("abc").is_err());
    }
}
