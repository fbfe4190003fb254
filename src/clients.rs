//! The one shape of the reactor's clients (the control socket and the HTTP listener): a
//! listener and a fixed number of connection slots. A connection is accepted into a free
//! slot (none free: a short "busy" reply and hang up), its request is read into a bounded
//! buffer until the protocol's framing says it is complete, the caller answers it once,
//! the reply is written without blocking, and the connection is closed. Every connection
//! has a deadline; at it the connection gets the protocol's timeout reply (if any) and is
//! closed. A slow, silent, oversized or hostile client therefore costs one slot for at
//! most one deadline and never holds up the loop.
//!
//! The slots' buffers are allocated once, when the listener is set up; serving a request
//! reuses them (a reply larger than any before grows its buffer once; one past
//! `KEEP_OUT_BYTES` is given back when the connection closes).

use std::io::{self, Read, Write};
use std::time::{Duration, Instant};

use mio::event::Source;
use mio::{Interest, Registry, Token};

/// A reply buffer above this size is freed at close: what a connection keeps between
/// requests is bounded (16 HTTP slots keep at most 1 MiB), and a large reply (a scrape of
/// thousands of real servers) is allocated for its request and freed after it.
const KEEP_OUT_BYTES: usize = 64 * 1024;

/// Connections refused (every slot busy) per turn of the loop, beyond one per slot.
const ACCEPT_BATCH: usize = 256;

/// A listening socket the reactor accepts from.
pub trait Listen: Source {
    type Stream: Read + Write + Source;
    fn accept_one(&self) -> io::Result<Self::Stream>;
}

impl Listen for mio::net::UnixListener {
    type Stream = mio::net::UnixStream;
    fn accept_one(&self) -> io::Result<Self::Stream> {
        self.accept().map(|(s, _)| s)
    }
}

impl Listen for mio::net::TcpListener {
    type Stream = mio::net::TcpStream;
    fn accept_one(&self) -> io::Result<Self::Stream> {
        self.accept().map(|(s, _)| s)
    }
}

/// The reactor's listeners as one type, for code size: `Clients<AnyListener>` is one
/// copy of this module's code where a `Clients` per listener type was two (about
/// 3 KB on mipsel).
pub enum AnyListener {
    Unix(mio::net::UnixListener),
    Tcp(mio::net::TcpListener),
}

/// A connection accepted from an `AnyListener`.
pub enum AnyStream {
    Unix(mio::net::UnixStream),
    Tcp(mio::net::TcpStream),
}

impl Listen for AnyListener {
    type Stream = AnyStream;
    fn accept_one(&self) -> io::Result<AnyStream> {
        match self {
            AnyListener::Unix(l) => l.accept_one().map(AnyStream::Unix),
            AnyListener::Tcp(l) => l.accept_one().map(AnyStream::Tcp),
        }
    }
}

/// Forwards a `Source` method to the variant's socket.
macro_rules! either {
    ($self: ident, $s: ident => $e: expr) => {
        match $self {
            Self::Unix($s) => $e,
            Self::Tcp($s) => $e,
        }
    };
}

impl Source for AnyListener {
    fn register(&mut self, r: &Registry, t: Token, i: Interest) -> io::Result<()> {
        either!(self, s => s.register(r, t, i))
    }
    fn reregister(&mut self, r: &Registry, t: Token, i: Interest) -> io::Result<()> {
        either!(self, s => s.reregister(r, t, i))
    }
    fn deregister(&mut self, r: &Registry) -> io::Result<()> {
        either!(self, s => s.deregister(r))
    }
}

impl Source for AnyStream {
    fn register(&mut self, r: &Registry, t: Token, i: Interest) -> io::Result<()> {
        either!(self, s => s.register(r, t, i))
    }
    fn reregister(&mut self, r: &Registry, t: Token, i: Interest) -> io::Result<()> {
        either!(self, s => s.reregister(r, t, i))
    }
    fn deregister(&mut self, r: &Registry) -> io::Result<()> {
        either!(self, s => s.deregister(r))
    }
}

impl Read for AnyStream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        either!(self, s => s.read(buf))
    }
}

impl Write for AnyStream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        either!(self, s => s.write(buf))
    }
    fn flush(&mut self) -> io::Result<()> {
        either!(self, s => s.flush())
    }
}

/// What the protocol says of the bytes read so far.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Framing {
    /// A whole request: its first `n` bytes.
    Complete(usize),
    /// Not yet.
    Incomplete,
}

/// The protocol half of a listener: how a request ends, and what to say when a client
/// cannot be served.
pub struct Protocol {
    /// Used in log lines: "control socket", "http".
    pub name: &'static str,
    /// Whether `buf` holds a complete request yet.
    pub frame: fn(buf: &[u8]) -> Framing,
    /// Sent (best effort) to a connection refused because every slot is busy.
    pub busy_reply: &'static [u8],
    /// Sent (best effort) to a connection whose deadline passed before its request was
    /// complete.
    pub timeout_reply: &'static [u8],
    /// Request bytes a slot holds; one more byte than this is "too large".
    pub max_request: usize,
    /// From accept to the reply fully written.
    pub timeout: Duration,
}

/// What the reactor must do after an event on one of the listener's tokens.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ready {
    Nothing,
    /// Slot `slot` holds a complete request of `len` bytes (`request`); answer with
    /// `respond`.
    Request {
        slot: usize,
        len: usize,
    },
    /// The peer closed after sending `len` bytes that do not frame as a request (may be
    /// 0). The caller decides whether to answer them (`respond`) or `close`.
    Closed {
        slot: usize,
        len: usize,
    },
    /// The request filled the buffer without being complete: answer with an error.
    TooLarge {
        slot: usize,
    },
}

struct Conn<S> {
    stream: Option<S>,
    inbuf: Box<[u8]>,
    in_len: usize,
    out: Vec<u8>,
    written: usize,
    deadline: Instant,
    answered: bool,
}

/// A listener and its connection slots.
pub struct Clients<L: Listen> {
    listener: L,
    proto: Protocol,
    listener_token: Token,
    first_token: usize,
    conns: Vec<Conn<L::Stream>>,
}

impl<L: Listen> Clients<L> {
    /// Registers `listener` under `listener_token`; connections use the `slots` tokens
    /// from `first_token`.
    pub fn new(
        mut listener: L,
        proto: Protocol,
        registry: &Registry,
        listener_token: Token,
        first_token: usize,
        slots: usize,
    ) -> io::Result<Clients<L>> {
        registry.register(&mut listener, listener_token, Interest::READABLE)?;
        let now = Instant::now();
        let conns = (0..slots)
            .map(|_| Conn {
                stream: None,
                inbuf: vec![0; proto.max_request + 1].into_boxed_slice(),
                in_len: 0,
                out: Vec::with_capacity(4096),
                written: 0,
                deadline: now,
                answered: false,
            })
            .collect();
        Ok(Clients {
            listener,
            proto,
            listener_token,
            first_token,
            conns,
        })
    }

    pub fn owns(&self, token: Token) -> bool {
        token == self.listener_token
            || (self.first_token..self.first_token + self.conns.len()).contains(&token.0)
    }

    /// Connections open now.
    pub fn open(&self) -> usize {
        self.conns.iter().filter(|c| c.stream.is_some()).count()
    }

    /// Handles readiness on any of the listener's tokens.
    pub fn on_ready(&mut self, token: Token, registry: &Registry, now: Instant) -> Ready {
        if token == self.listener_token {
            self.accept_all(registry, now);
            return Ready::Nothing;
        }
        let slot = token.0 - self.first_token;
        self.service(slot, registry)
    }

    /// The request bytes of `slot` (valid after `Ready::Request` or `Ready::Closed`).
    pub fn request(&self, slot: usize, len: usize) -> &[u8] {
        &self.conns[slot].inbuf[..len.min(self.conns[slot].in_len)]
    }

    fn accept_all(&mut self, registry: &Registry, now: Instant) {
        // Bounded: one accept per slot plus a batch of refusals per turn of the loop, so
        // a flood of connections cannot keep the loop from its checks. mio's events are
        // edge-triggered: a backlog left behind raises no new event by itself, so after
        // a full batch the listener is registered again, which reports it readable at
        // the next poll.
        for _ in 0..self.conns.len() + ACCEPT_BATCH {
            let mut stream = match self.listener.accept_one() {
                Ok(s) => s,
                Err(ref e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(ref e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    warn!("{}: accept failed: {}", self.proto.name, e);
                    return;
                }
            };
            let Some(slot) = self.conns.iter().position(|c| c.stream.is_none()) else {
                // Every slot is busy: say so without waiting, then hang up.
                let _ = stream.write(self.proto.busy_reply);
                continue;
            };
            let token = Token(self.first_token + slot);
            if let Err(e) = registry.register(&mut stream, token, Interest::READABLE) {
                warn!("{}: cannot watch a client: {}", self.proto.name, e);
                continue;
            }
            let c = &mut self.conns[slot];
            c.stream = Some(stream);
            c.in_len = 0;
            c.out.clear();
            c.written = 0;
            c.deadline = now + self.proto.timeout;
            c.answered = false;
        }
        if let Err(e) =
            registry.reregister(&mut self.listener, self.listener_token, Interest::READABLE)
        {
            warn!(
                "{}: cannot watch the listener again: {}",
                self.proto.name, e
            );
        }
    }

    fn service(&mut self, slot: usize, registry: &Registry) -> Ready {
        let Some(c) = self.conns.get_mut(slot) else {
            return Ready::Nothing;
        };
        if c.stream.is_none() {
            return Ready::Nothing; // stale event for a closed slot
        }
        if c.answered {
            // Writable again, or the client sent more after its request: either way the
            // reply goes on; extra request bytes are not read (one request per
            // connection).
            self.flush(slot, registry);
            return Ready::Nothing;
        }
        let mut closed = false;
        let mut framing = Framing::Incomplete;
        // Read until WouldBlock, a complete request, or the byte bound.
        loop {
            let stream = c.stream.as_mut().expect("checked above");
            if c.in_len == c.inbuf.len() {
                break;
            }
            match stream.read(&mut c.inbuf[c.in_len..]) {
                Ok(0) => {
                    closed = true;
                    break;
                }
                Ok(n) => {
                    c.in_len += n;
                    framing = (self.proto.frame)(&c.inbuf[..c.in_len]);
                    if framing != Framing::Incomplete {
                        break;
                    }
                }
                Err(ref e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(ref e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(_) => {
                    self.close(slot, registry);
                    return Ready::Nothing;
                }
            }
        }
        match framing {
            Framing::Complete(len) => Ready::Request { slot, len },
            Framing::Incomplete if c.in_len == c.inbuf.len() => Ready::TooLarge { slot },
            Framing::Incomplete if closed => Ready::Closed {
                slot,
                len: c.in_len,
            },
            Framing::Incomplete => Ready::Nothing,
        }
    }

    /// Sends the reply built by `body` to `slot`, then closes it once written.
    pub fn respond(&mut self, slot: usize, registry: &Registry, body: impl FnOnce(&mut Vec<u8>)) {
        let Some(c) = self.conns.get_mut(slot) else {
            return;
        };
        if c.stream.is_none() {
            return;
        }
        body(&mut c.out);
        self.send(slot, registry);
    }

    /// `respond` once the reply is in the buffer. Not generic, for code size: one copy,
    /// not one per reply closure.
    fn send(&mut self, slot: usize, registry: &Registry) {
        let c = &mut self.conns[slot];
        c.written = 0;
        c.answered = true;
        let token = Token(self.first_token + slot);
        if let Some(stream) = c.stream.as_mut() {
            if registry
                .reregister(stream, token, Interest::WRITABLE)
                .is_err()
            {
                self.close(slot, registry);
                return;
            }
        }
        self.flush(slot, registry);
    }

    /// `respond` with a reply built elsewhere: `reply` becomes the connection's buffer
    /// (no copy) and the buffer it held is returned, cleared. Without a connection in
    /// `slot`, `reply` comes back.
    pub fn respond_owned(&mut self, slot: usize, registry: &Registry, reply: Vec<u8>) -> Vec<u8> {
        let Some(c) = self.conns.get_mut(slot).filter(|c| c.stream.is_some()) else {
            return reply;
        };
        let mut old = std::mem::replace(&mut c.out, reply);
        old.clear();
        self.send(slot, registry);
        old
    }

    fn flush(&mut self, slot: usize, registry: &Registry) {
        let c = &mut self.conns[slot];
        let Some(stream) = c.stream.as_mut() else {
            return;
        };
        while c.written < c.out.len() {
            match stream.write(&c.out[c.written..]) {
                Ok(0) => break,
                Ok(n) => c.written += n,
                Err(ref e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(ref e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(_) => break,
            }
        }
        // Bytes the client sent after its request (pipelined requests) are read and
        // dropped first: closing with unread input makes the kernel send a reset, which
        // can destroy the reply before the client has read it. Bounded: a few buffers.
        for _ in 0..4 {
            match stream.read(&mut c.inbuf) {
                Ok(n) if n > 0 => continue,
                _ => break,
            }
        }
        self.close(slot, registry);
    }

    /// Closes `slot` without a reply.
    pub fn close(&mut self, slot: usize, registry: &Registry) {
        let Some(c) = self.conns.get_mut(slot) else {
            return;
        };
        if let Some(mut stream) = c.stream.take() {
            let _ = registry.deregister(&mut stream);
        }
        c.in_len = 0;
        c.written = 0;
        c.answered = false;
        if c.out.capacity() > KEEP_OUT_BYTES {
            c.out = Vec::with_capacity(4096);
        }
        c.out.clear();
    }

    /// Earliest connection deadline, for the poll timeout.
    pub fn next_deadline(&self) -> Option<Instant> {
        self.conns
            .iter()
            .map(|c| c.stream.as_ref().map(|_| c.deadline))
            .fold(None, crate::sched::earliest)
    }

    /// Cuts off connections whose deadline passed; one still sending its request gets
    /// the protocol's timeout reply first (best effort: one non-blocking write). Returns
    /// how many were cut off.
    pub fn expire(&mut self, registry: &Registry, now: Instant) -> usize {
        let mut cut = 0;
        for slot in 0..self.conns.len() {
            let c = &mut self.conns[slot];
            if c.stream.is_none() || c.deadline > now {
                continue;
            }
            if !c.answered {
                if let Some(stream) = c.stream.as_mut() {
                    let _ = stream.write(self.proto.timeout_reply);
                }
            }
            self.close(slot, registry);
            cut += 1;
        }
        cut
    }
}
