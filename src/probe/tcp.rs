//! TCP connections: opening the non-blocking socket every stream check starts with
//! (TCP_CHECK, HTTP_GET, SMTP_CHECK) and telling when its connect is done. For TCP_CHECK
//! the connect is the whole check.

use mio::net::TcpStream;
use mio::{Interest, Registry};

use crate::model::config::{Check, CheckKind};
#[cfg(feature = "tls")]
use crate::model::limits::MAX_TLS_IN_FLIGHT;
use crate::probe::outcome::Reason;
use crate::probe::stream::Stream;
#[cfg(feature = "tls")]
use crate::probe::tls::{self, TlsStream};
use crate::probe::{bind_addr, open_calls, reason_of, sys, Io, Phase, ProbeSlot, Ready};

/// How a connect in progress stands.
pub(super) enum Connect {
    /// Not known yet: wait for an event.
    Pending,
    /// Connected (or, for HTTP_GET, as good as: its first send will tell).
    Established,
    /// TCP_CHECK's verdict, read from the event alone.
    Up,
}

impl ProbeSlot {
    pub(super) fn open_tcp(&mut self, check: &Check, registry: &Registry) -> Result<(), Reason> {
        self.reset_buffers();
        #[cfg(feature = "tls")]
        if let CheckKind::Http(h) = &check.kind {
            if h.tls.is_some() && tls::open_connections() >= MAX_TLS_IN_FLIGHT {
                // Counted as not run (the checker is retried soon), like a full slot pool.
                return Err(Reason::NoSlot);
            }
        }
        let bind = bind_addr(check);
        self.socket_calls += open_calls(bind, true, &check.sock) + 1;
        let fd = sys::open_connected(sys::SockKind::Tcp, check.target, bind, &check.sock)
            .map_err(|e| reason_of(&e))?;
        let mut s = TcpStream::from_std(std::net::TcpStream::from(fd));
        registry
            .register(&mut s, self.token, Interest::READABLE | Interest::WRITABLE)
            .map_err(|e| reason_of(&e))?;
        self.io = Io::Tcp(self.stream_for(check, s)?);
        self.phase = Phase::Connecting;
        Ok(())
    }

    /// The stream for `check` over the new socket: TLS for SSL_GET.
    fn stream_for(&self, check: &Check, s: TcpStream) -> Result<Stream, Reason> {
        #[cfg(feature = "tls")]
        if let CheckKind::Http(h) = &check.kind {
            if let Some(t) = &h.tls {
                let url = self.url;
                let vh = h.virtualhost.as_deref();
                let t = TlsStream::new(s, t, &h.urls, url, vh, check.target)?;
                return Ok(Stream::Tls(Box::new(t)));
            }
        }
        #[cfg(not(feature = "tls"))]
        let _ = check;
        Ok(Stream::Plain(s))
    }

    /// Where the connect stands, with as few system calls as the event allows.
    pub(super) fn tcp_connect_state(
        &mut self,
        check: &Check,
        ready: Ready,
    ) -> Result<Connect, Reason> {
        let Io::Tcp(s) = &self.io else {
            return Err(Reason::Local(libc::EBADF));
        };
        match &check.kind {
            CheckKind::Http(h) if !h.urls.is_empty() => {
                // No SO_ERROR / getpeername round: send(2) on a socket still connecting
                // fails with EAGAIN, on one whose connect failed with that error
                // (ECONNREFUSED...), so the request's own send tells how the connect
                // went. Right after connect(2) (no event yet) nothing is tried: the
                // socket is registered edge-triggered for WRITABLE, which fires once
                // connected.
                if ready.is_none() {
                    return Ok(Connect::Pending);
                }
                return Ok(Connect::Established);
            }
            CheckKind::Tcp if ready.is_none() => return Ok(Connect::Pending),
            // TCP_CHECK: epoll reports EPOLLOUT on a TCP socket only once it is
            // established (tcp_poll: not in SYN_SENT/SYN_RECV), and EPOLLERR once the
            // connect failed; so a writable event without an error is the verdict
            // itself, with no syscall. Anything else falls through to SO_ERROR and
            // getpeername.
            CheckKind::Tcp if ready.writable && !ready.error => return Ok(Connect::Up),
            _ => {}
        }
        self.socket_calls += 2;
        let s = s.tcp();
        if let Some(e) = s.take_error().map_err(|e| reason_of(&e))? {
            return Err(reason_of(&e));
        }
        match s.peer_addr() {
            Ok(_) => Ok(Connect::Established),
            Err(e) if e.raw_os_error() == Some(libc::ENOTCONN) => Ok(Connect::Pending),
            Err(e) => Err(reason_of(&e)),
        }
    }
}
