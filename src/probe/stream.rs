//! The byte stream a connection-oriented probe talks through: plain TCP, or TLS over it
//! (SSL_GET, `tls.rs`). HTTP_GET's engine (`http.rs`), SMTP_CHECK and TCP_CHECK see only
//! this type, so the request and reply code exists once whatever carries the bytes.
//!
//! Reads and writes are non-blocking and report "nothing now" as `Ok(None)`; an
//! interrupted call is retried a bounded number of times; every other error is already
//! the `Reason` users read. `calls` counts the system calls made (see
//! `ProbeSlot::socket_calls`).

use std::io::{self, Read, Write};

use mio::net::TcpStream;

use crate::probe::outcome::Reason;
use crate::probe::reason_of;
#[cfg(feature = "tls")]
use crate::probe::tls::TlsStream;

/// Retries of a call interrupted by a signal (EINTR is rare on a non-blocking socket; the
/// bound keeps a signal storm from spinning here).
const MAX_EINTR: usize = 8;

/// A connected (or connecting) stream socket.
pub(super) enum Stream {
    /// Bytes straight on the TCP socket.
    Plain(TcpStream),
    /// TLS records on the TCP socket (boxed: rustls's state is allocated per connection
    /// and freed with it).
    #[cfg(feature = "tls")]
    Tls(Box<TlsStream>),
}

impl Stream {
    /// The TCP socket under the stream (for SO_ERROR and getpeername).
    pub(super) fn tcp(&self) -> &TcpStream {
        match self {
            Stream::Plain(s) => s,
            #[cfg(feature = "tls")]
            Stream::Tls(t) => t.tcp(),
        }
    }

    /// Reads into `buf`. Ok(Some(0)) is the end of the stream, Ok(None) means nothing
    /// can be read now (an event will say when).
    pub(super) fn read(
        &mut self,
        buf: &mut [u8],
        calls: &mut u64,
    ) -> Result<Option<usize>, Reason> {
        match self {
            Stream::Plain(s) => retry(calls, || s.read(buf)),
            #[cfg(feature = "tls")]
            Stream::Tls(t) => t.read(buf, calls),
        }
    }

    /// Writes from `data`. Ok(Some(n)) with n > 0 when bytes were taken, Ok(Some(0)) when
    /// the peer can take no more, Ok(None) when the socket is full for now.
    pub(super) fn write(&mut self, data: &[u8], calls: &mut u64) -> Result<Option<usize>, Reason> {
        match self {
            Stream::Plain(s) => retry(calls, || s.write(data)),
            #[cfg(feature = "tls")]
            Stream::Tls(t) => t.write(data, calls),
        }
    }

    /// Whether bytes already accepted wait for room in the socket (TLS records; a plain
    /// socket takes what it can at once).
    pub(super) fn wants_write(&self) -> bool {
        match self {
            Stream::Plain(_) => false,
            #[cfg(feature = "tls")]
            Stream::Tls(t) => t.wants_write(),
        }
    }

    /// Whether a TLS handshake is under way (for the timeout's words).
    pub(super) fn in_tls_handshake(&self) -> bool {
        match self {
            Stream::Plain(_) => false,
            #[cfg(feature = "tls")]
            Stream::Tls(t) => t.is_handshaking(),
        }
    }

    /// Last words before the socket is closed (TLS close_notify with `tls_compliant`).
    pub(super) fn close(&mut self, calls: &mut u64) {
        match self {
            // Nothing to say on plain TCP: the close itself is the end.
            Stream::Plain(_) => {
                let _ = calls;
            }
            #[cfg(feature = "tls")]
            Stream::Tls(t) => t.close(calls),
        }
    }
}

/// Runs one socket call (again after EINTR), counting each attempt.
pub(super) fn retry(
    calls: &mut u64,
    mut f: impl FnMut() -> io::Result<usize>,
) -> Result<Option<usize>, Reason> {
    retry_dyn(calls, &mut f)
}

/// `retry`'s loop, through `dyn FnMut` for code size: one copy, not one inlined at each
/// socket call (about 0.3 KB each on mipsel).
fn retry_dyn(
    calls: &mut u64,
    f: &mut dyn FnMut() -> io::Result<usize>,
) -> Result<Option<usize>, Reason> {
    for _ in 0..MAX_EINTR {
        *calls += 1;
        match f() {
            Ok(n) => return Ok(Some(n)),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(None),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(reason_of(&e)),
        }
    }
    Err(Reason::Local(libc::EINTR))
}
