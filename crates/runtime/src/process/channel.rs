//! A typed, message-oriented channel (SOCK_SEQPACKET socketpair) between the runtime
//! and the container's first process. Errors travel as messages with their context.

use std::io::IoSlice;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};

use nix::sys::socket::{
    sendmsg, socketpair, AddressFamily, ControlMessage, MsgFlags, SockFlag, SockType,
};
use serde::{Deserialize, Serialize};

use crate::error::{Result, RuntimeError, SysContext};

/// One step of the create/exec handshake.
#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
pub enum Msg {
    /// runtime → init: uid/gid maps written, cgroups joined; go on (only when the
    /// runtime has such work, `Plan::runtime_goes_first`).
    Go,
    /// init → runtime: mounts done; run the prestart and createRuntime hooks (only
    /// when the spec has hooks of create, `hooks::during_create`).
    HooksRequest,
    /// runtime → init: hooks done; the state JSON for the container-side hooks.
    HooksDone(String),
    /// init → runtime: the container is created; it now waits for `start` (the exec
    /// fifo), or with `run` execs at once.
    Ready,
    /// Either side: the step that failed, with its cause.
    Error(String),
}

pub struct Channel {
    fd: OwnedFd,
}

impl Channel {
    pub fn from_fd(fd: OwnedFd) -> Channel {
        Channel { fd }
    }

    /// Both ends; each side drops the other's after the clone.
    pub fn pair() -> Result<(Channel, Channel)> {
        let (a, b) = socketpair(
            AddressFamily::Unix,
            SockType::SeqPacket,
            None,
            SockFlag::SOCK_CLOEXEC,
        )
        .ctx(|| "socketpair for the init channel")?;
        Ok((Channel { fd: a }, Channel { fd: b }))
    }

    pub fn send(&self, msg: &Msg) -> Result<()> {
        let data = serde_json::to_vec(msg).map_err(|e| RuntimeError::Init(e.to_string()))?;
        nix::sys::socket::send(self.fd.as_raw_fd(), &data, MsgFlags::MSG_NOSIGNAL)
            .ctx(|| "send on the init channel")?;
        Ok(())
    }

    /// Waits for the next message. A closed channel means the peer exited.
    ///
    /// A peer that exits with one of our messages still unread leaves ECONNRESET
    /// pending on our end, and the kernel reports that before the messages the peer
    /// sent first (its `Error` among them). The error is cleared by reporting it, so
    /// one more receive reads what is queued.
    pub fn recv(&self) -> Result<Msg> {
        let mut buf = vec![0u8; 64 * 1024];
        let mut reset = false;
        let n = loop {
            match nix::sys::socket::recv(self.fd.as_raw_fd(), &mut buf, MsgFlags::empty()) {
                Err(nix::errno::Errno::EINTR) => continue,
                Err(nix::errno::Errno::ECONNRESET) if !reset => reset = true,
                Err(nix::errno::Errno::ECONNRESET) => break 0,
                r => break r.ctx(|| "receive on the init channel")?,
            }
        };
        if n == 0 {
            return Err(RuntimeError::Init(
                "the container process exited during setup".to_string(),
            ));
        }
        serde_json::from_slice(&buf[..n])
            .map_err(|e| RuntimeError::Init(format!("bad message on the init channel: {e}")))
    }

    /// Waits for `want`; an `Error` from the peer becomes this side's error.
    pub fn expect(&self, want: Msg) -> Result<()> {
        match self.recv()? {
            m if m == want => Ok(()),
            Msg::Error(e) => Err(RuntimeError::Init(e)),
            other => Err(RuntimeError::Init(format!(
                "protocol error: expected {want:?}, got {other:?}"
            ))),
        }
    }

    pub fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

/// Sends one fd over a unix socket with SCM_RIGHTS (the console-socket protocol).
pub fn send_fd(sock: BorrowedFd<'_>, fd: BorrowedFd<'_>, name: &str) -> Result<()> {
    let fds = [fd.as_raw_fd()];
    let cmsg = [ControlMessage::ScmRights(&fds)];
    let iov = [IoSlice::new(name.as_bytes())];
    sendmsg::<()>(sock.as_raw_fd(), &iov, &cmsg, MsgFlags::empty(), None)
        .ctx(|| "send the pty master over the console socket")?;
    Ok(())
}

/// Receives one fd sent with [`send_fd`].
pub fn recv_fd(sock: BorrowedFd<'_>) -> Result<OwnedFd> {
    crate::sys::recv_fd(sock).ctx(|| "receive a fd over a unix socket")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_error_sent_before_exiting_survives_our_unread_message() {
        let (parent, child) = Channel::pair().unwrap();
        parent.send(&Msg::Go).unwrap();
        child
            .send(&Msg::Error("join cgroup: EBUSY".into()))
            .unwrap();
        drop(child); // exits with Go unread: ECONNRESET is pending on the parent's end
        assert_eq!(
            parent.recv().unwrap(),
            Msg::Error("join cgroup: EBUSY".into())
        );
        let e = parent.recv().unwrap_err().to_string();
        assert!(e.contains("exited during setup"), "{e}");
    }

    #[test]
    fn a_peer_gone_without_a_word_is_an_exit_during_setup() {
        let (parent, child) = Channel::pair().unwrap();
        parent.send(&Msg::Go).unwrap();
        drop(child);
        let e = parent.recv().unwrap_err().to_string();
        assert!(e.contains("exited during setup"), "{e}");
    }
}
