//! One rtnetlink socket and its request/acknowledge and dump exchanges, synchronous.
//!
//! A socket belongs to the network namespace of the thread that opened it: open it
//! inside [`super::netns::in_netns`] to act on a container's namespace.

use netlink_packet_core::{
    NetlinkHeader, NetlinkMessage, NetlinkPayload, NLM_F_ACK, NLM_F_DUMP, NLM_F_REQUEST,
};
use netlink_packet_route::RouteNetlinkMessage;
use netlink_sys::{protocols::NETLINK_ROUTE, Socket, SocketAddr};

use super::NetlinkError;

/// A connected rtnetlink socket with its own sequence counter.
pub struct NlSocket {
    socket: Socket,
    seq: u32,
    buf: Vec<u8>,
}

impl NlSocket {
    /// Opens a socket in the calling thread's network namespace.
    pub fn open() -> Result<Self, NetlinkError> {
        let mut socket = Socket::new(NETLINK_ROUTE).map_err(NetlinkError::Socket)?;
        socket.bind_auto().map_err(NetlinkError::Socket)?;
        socket
            .connect(&SocketAddr::new(0, 0))
            .map_err(NetlinkError::Socket)?;
        // Extended acks give the kernel's own text for a refused request.
        let _ = socket.set_ext_ack(true);
        Ok(Self {
            socket,
            seq: 0,
            buf: vec![0; 64 * 1024],
        })
    }

    fn send(&mut self, msg: RouteNetlinkMessage, flags: u16) -> Result<u32, NetlinkError> {
        self.seq = self.seq.wrapping_add(1);
        let mut header = NetlinkHeader::default();
        header.flags = flags;
        header.sequence_number = self.seq;
        let mut packet = NetlinkMessage::new(header, NetlinkPayload::from(msg));
        packet.finalize();
        let mut out = vec![0u8; packet.buffer_len()];
        packet.serialize(&mut out);
        self.socket.send(&out, 0).map_err(NetlinkError::Socket)?;
        Ok(self.seq)
    }

    /// Reads datagrams and hands each message answering `seq` to `each` until it
    /// returns `true` (done) or the kernel reports an error.
    fn receive(
        &mut self,
        seq: u32,
        mut each: impl FnMut(NetlinkPayload<RouteNetlinkMessage>) -> Result<bool, NetlinkError>,
    ) -> Result<(), NetlinkError> {
        loop {
            let len = loop {
                let mut slice = &mut self.buf[..];
                match self.socket.recv(&mut slice, 0) {
                    Ok(n) => break n,
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                    Err(e) => return Err(NetlinkError::Socket(e)),
                }
            };
            let mut offset = 0;
            while offset < len {
                let bytes = &self.buf[offset..len];
                let msg = NetlinkMessage::<RouteNetlinkMessage>::deserialize(bytes)
                    .map_err(|e| NetlinkError::Decode(e.to_string()))?;
                let msg_len = msg.header.length as usize;
                offset += msg_len.max(16).next_multiple_of(4);
                if msg.header.sequence_number != seq {
                    continue;
                }
                if each(msg.payload)? {
                    return Ok(());
                }
            }
        }
    }

    /// Sends a request that changes something and waits for the kernel's acknowledgement.
    pub fn request(&mut self, msg: RouteNetlinkMessage, flags: u16) -> Result<(), Errno> {
        let seq = self
            .send(msg, NLM_F_REQUEST | NLM_F_ACK | flags)
            .map_err(Errno::Transport)?;
        let mut result = Ok(());
        self.receive(seq, |payload| match payload {
            NetlinkPayload::Error(e) => {
                if let Some(code) = e.code {
                    result = Err(Errno::Kernel(std::io::Error::from_raw_os_error(
                        -code.get(),
                    )));
                }
                Ok(true)
            }
            NetlinkPayload::Done(_) => Ok(true),
            _ => Ok(false),
        })
        .map_err(Errno::Transport)?;
        result
    }

    /// Sends a dump request and collects every answer until the end of the dump.
    pub fn dump(&mut self, msg: RouteNetlinkMessage) -> Result<Vec<RouteNetlinkMessage>, Errno> {
        let seq = self
            .send(msg, NLM_F_REQUEST | NLM_F_DUMP)
            .map_err(Errno::Transport)?;
        let mut out = Vec::new();
        let mut result = Ok(());
        self.receive(seq, |payload| match payload {
            NetlinkPayload::InnerMessage(m) => {
                out.push(m);
                Ok(false)
            }
            NetlinkPayload::Error(e) => {
                if let Some(code) = e.code {
                    result = Err(Errno::Kernel(std::io::Error::from_raw_os_error(
                        -code.get(),
                    )));
                }
                Ok(true)
            }
            NetlinkPayload::Done(_) => Ok(true),
            _ => Ok(false),
        })
        .map_err(Errno::Transport)?;
        result.map(|()| out)
    }
}

/// Why one exchange failed: the kernel refused it, or the socket itself failed.
#[derive(Debug)]
pub enum Errno {
    /// The kernel answered with this error.
    Kernel(std::io::Error),
    /// Sending, receiving or decoding failed.
    Transport(NetlinkError),
}

impl NlSocket {
    /// Sends a get request for one object and returns the kernel's answer.
    pub fn request_one(
        &mut self,
        msg: RouteNetlinkMessage,
    ) -> Result<Option<RouteNetlinkMessage>, Errno> {
        let seq = self.send(msg, NLM_F_REQUEST).map_err(Errno::Transport)?;
        let mut out = None;
        let mut result = Ok(());
        self.receive(seq, |payload| match payload {
            NetlinkPayload::InnerMessage(m) => {
                out = Some(m);
                Ok(true)
            }
            NetlinkPayload::Error(e) => {
                if let Some(code) = e.code {
                    result = Err(Errno::Kernel(std::io::Error::from_raw_os_error(
                        -code.get(),
                    )));
                }
                Ok(true)
            }
            _ => Ok(true),
        })
        .map_err(Errno::Transport)?;
        result.map(|()| out)
    }
}
