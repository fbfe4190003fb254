//! The connected datagram socket under UDP_CHECK, DNS_CHECK and PING_CHECK (an ICMP
//! socket is driven through the same type: send and recv are the same calls), and the
//! read loop each of them judges replies in.

use std::io;
use std::net::SocketAddr;

use mio::net::UdpSocket;
use mio::{Interest, Registry};

use crate::model::config::SockOpts;
use crate::probe::outcome::{Reason, Up};
use crate::probe::{open_calls, reason_of, sys, Io, Phase, ProbeSlot};

/// Datagrams read per event before yielding (ping sockets also see foreign replies).
const MAX_DATAGRAMS_PER_EVENT: usize = 64;

/// What `dgram_read` asks of each datagram (with the request sent): Some = the verdict.
type Judge<'a> = dyn FnMut(&[u8], &[u8]) -> Option<Result<(), Reason>> + 'a;

impl ProbeSlot {
    pub(super) fn open_dgram(
        &mut self,
        kind: sys::SockKind,
        target: SocketAddr,
        bind: Option<SocketAddr>,
        opts: &SockOpts,
        registry: &Registry,
    ) -> io::Result<()> {
        self.socket_calls += open_calls(bind, false, opts) + 1;
        let fd = sys::open_connected(kind, target, bind, opts)?;
        let mut s = UdpSocket::from_std(std::net::UdpSocket::from(fd));
        registry.register(&mut s, self.token, Interest::READABLE | Interest::WRITABLE)?;
        self.io = Io::Dgram(s);
        self.phase = Phase::Sending;
        Ok(())
    }

    /// Reads datagrams until one is judged (`Some`) or the socket is drained. `judge`
    /// gets the datagram and the request that was sent.
    pub(super) fn dgram_read<F>(&mut self, mut judge: F) -> Result<Option<Up>, Reason>
    where
        F: FnMut(&[u8], &[u8]) -> Option<Result<(), Reason>>,
    {
        self.dgram_read_dyn(&mut judge)
    }

    /// `dgram_read`'s loop, with `judge` as `dyn FnMut` for code size: one copy for UDP,
    /// DNS and ping instead of one each.
    fn dgram_read_dyn(&mut self, judge: &mut Judge<'_>) -> Result<Option<Up>, Reason> {
        for _ in 0..MAX_DATAGRAMS_PER_EVENT {
            let Io::Dgram(s) = &mut self.io else {
                return Err(Reason::Local(libc::EBADF));
            };
            self.socket_calls += 1;
            let n = match s.recv(self.buf) {
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(None),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(reason_of(&e)),
            };
            match judge(&self.buf[..n], &self.req[..self.req_len]) {
                Some(Ok(())) => return Ok(Some(Up::default())),
                Some(Err(r)) => return Err(r),
                None => {}
            }
        }
        Ok(None)
    }
}
