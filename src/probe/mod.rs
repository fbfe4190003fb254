//! Probes: one non-blocking attempt at checking a target, driven by the reactor.
//! A `ProbeSlot` owns the buffers a probe keeps between events (allocated once in `new`;
//! HTTP_GET shares one scratch per thread for what it needs only during a call) and runs
//! one attempt at a time: `start` opens the socket (or child) and registers it under the
//! caller's token; `on_event` and `on_deadline` advance it until `Step::Done`. Events are
//! treated as hints: a spurious or stale event is harmless (the call it leads to checks
//! for itself). For TCP sockets the readiness an event reports also saves system calls:
//! no read is tried before a READABLE event, no connect check before the first event,
//! which relies on the registration being edge-triggered (mio's), so that every later
//! change of readiness raises an event of its own. The deadline covers the whole attempt
//! (connect, request, reply, every url), as keepalived's `connect_timeout` does.
//!
//! The reactor's side of the contract: one token per slot; after `start` or a Pending
//! step, poll no later than `deadline()` and call `on_deadline` once it has passed (a
//! MISC_CHECK answers Pending with a later deadline while its script is being killed);
//! feed every event for the token to `on_event` (an idle slot ignores it). MISC_CHECK
//! children are reaped here through their pidfd and `waitpid(pid)`, so the process must
//! neither ignore SIGCHLD (SIG_IGN auto-reaps) nor reap with `waitpid(-1)`.
//! `Outcome::latency` is measured between the `now` values the caller passes in.
//!
//! This file holds the slot, its buffers and the phase machine every kind shares
//! (connect, send, receive, verdict); what is particular to a kind lives in the module
//! named for it: `tcp` (connecting, TCP_CHECK), `http` (HTTP_GET: request, reply,
//! digest), `stream` (the byte stream under HTTP), `smtp`, `agent` (HAProxy's agent
//! protocol, `agent_check`), `dgram` (the datagram socket
//! under `udp`, `dns` and `ping`), `misc` (MISC_CHECK scripts) and `file` (FILE_CHECK).

mod agent;
mod dgram;
pub mod dns;
mod file;
pub mod http;
mod http_body;
mod misc;
pub mod outcome;
mod ping;
mod smtp;
mod stream;
mod tcp;
/// Public for the fuzz target (and `genhash`), which drive the same TLS code.
#[cfg(feature = "tls")]
pub mod tls;
mod udp;

use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::os::fd::OwnedFd;
use std::time::{Duration, Instant};

use md5::{Digest, Md5};
use mio::net::UdpSocket;
use mio::{Registry, Token};

use crate::model::config::{Check, CheckKind, SockOpts};
use crate::model::limits::MAX_HTTP_HEADER_BYTES;
use crate::probe::outcome::{Outcome, Reason, Up};
use crate::probe::stream::Stream;
use crate::sys::probe as sys;

pub use misc::SCRIPT_KILL_GRACE;

/// Bytes of the receive buffer: the HTTP head must fit whole; body chunks, SMTP replies
/// and datagrams reuse it (a DNS answer without EDNS is at most 512 bytes, RFC 1035
/// 4.2.1). Each slot costs about BUF_BYTES + REQ_BYTES, times MAX_IN_FLIGHT slots.
const BUF_BYTES: usize = MAX_HTTP_HEADER_BYTES;
/// Bytes of the request buffer (HTTP request, SMTP command, DNS query, ICMP echo,
/// MISC_CHECK argv strings); keepalived's own request buffer is 2048 bytes too.
const REQ_BYTES: usize = 2048;

/// Where an attempt stands after a call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    Pending,
    Done(Outcome),
}

/// The open descriptor of the attempt in progress.
enum Io {
    None,
    /// TCP_CHECK, HTTP_GET and SMTP_CHECK.
    Tcp(Stream),
    /// UDP_CHECK, DNS_CHECK and PING_CHECK (a connected datagram socket; ICMP sockets are
    /// handled through the same type because recv/send are the same calls).
    Dgram(UdpSocket),
    Child {
        pid: libc::pid_t,
        pidfd: OwnedFd,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    Idle,
    /// TCP connect in progress: waiting for WRITABLE.
    Connecting,
    /// Writing the request (`sent` bytes of it are out).
    Sending,
    /// Reading the reply.
    Receiving,
    /// MISC_CHECK child running.
    Running,
    /// SIGTERM sent after the timeout.
    Terminating,
    /// SIGKILL sent.
    Killing,
}

/// One probe at a time, with every buffer preallocated.
pub struct ProbeSlot {
    io: Io,
    phase: Phase,
    token: Token,
    started: Instant,
    deadline: Option<Instant>,
    /// The timeout reported in `Reason::Timeout`.
    timeout: Duration,
    req: &'static mut [u8],
    req_len: usize,
    sent: usize,
    buf: &'static mut [u8],
    filled: usize,
    // HTTP_GET
    url: usize,
    head_done: bool,
    body_len: u64,
    content_length: Option<u64>,
    md5: Md5,
    /// The reply is chunked: its body goes through this decoder.
    chunked: Option<http_body::Chunked>,
    /// The url's regex scan over the body (its window is `buf`).
    rx: http_body::RegexScan,
    // SMTP_CHECK
    smtp: smtp::Stage,
    // DNS_CHECK / PING_CHECK
    id: u16,
    seq: u16,
    raw_ping: bool,
    /// UDP_CHECK without require_reply: keepalived counts an attempt that drew no ICMP
    /// error within connect_timeout as a success.
    silence_is_up: bool,
    /// Socket system calls made by this slot (see `socket_calls`).
    socket_calls: u64,
}

impl fmt::Debug for ProbeSlot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProbeSlot")
            .field("phase", &self.phase)
            .field("token", &self.token)
            .field("deadline", &self.deadline)
            .finish()
    }
}

impl Drop for ProbeSlot {
    /// A slot dropped mid-attempt leaves no child behind (closing its descriptors also
    /// removes them from the poll set).
    fn drop(&mut self) {
        if let Io::Child { pid, .. } = self.io {
            sys::kill_and_reap(pid);
        }
    }
}

impl Default for ProbeSlot {
    fn default() -> Self {
        Self::new()
    }
}

/// A `fmt::Write` into a fixed byte slice that fails instead of growing.
pub(crate) struct BoundedWriter<'a> {
    buf: &'a mut [u8],
    len: usize,
}

impl<'a> BoundedWriter<'a> {
    pub(crate) fn new(buf: &'a mut [u8]) -> Self {
        BoundedWriter { buf, len: 0 }
    }
    pub(crate) fn len(&self) -> usize {
        self.len
    }
}

impl fmt::Write for BoundedWriter<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let end = self.len.checked_add(s.len()).ok_or(fmt::Error)?;
        let dst = self.buf.get_mut(self.len..end).ok_or(fmt::Error)?;
        dst.copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

/// What an event said about the descriptor (all false: no event, right after `start`).
/// Only a hint for saving syscalls: a flag that is set is re-checked by the call it
/// leads to, and a readiness that is not reported yet will be (edge-triggered epoll
/// reports every later change).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Ready {
    readable: bool,
    writable: bool,
    error: bool,
}

impl Ready {
    const NONE: Ready = Ready {
        readable: false,
        writable: false,
        error: false,
    };

    fn of(event: &mio::event::Event) -> Ready {
        Ready {
            // A peer's close or a reset must be read to be seen: count them as readable.
            readable: event.is_readable() || event.is_read_closed() || event.is_error(),
            writable: event.is_writable(),
            error: event.is_error() || event.is_write_closed(),
        }
    }

    fn is_none(&self) -> bool {
        *self == Ready::NONE
    }

    fn is_some(&self) -> bool {
        !self.is_none()
    }
}

/// Maps a socket error to the words users read.
fn reason_of(e: &io::Error) -> Reason {
    match e.raw_os_error() {
        Some(libc::ECONNREFUSED) => Reason::ConnectionRefused,
        Some(libc::ECONNRESET) | Some(libc::EPIPE) | Some(libc::ECONNABORTED) => {
            Reason::ConnectionReset
        }
        Some(libc::EHOSTUNREACH) | Some(libc::EHOSTDOWN) => Reason::HostUnreachable,
        Some(libc::ENETUNREACH) | Some(libc::ENETDOWN) => Reason::NetworkUnreachable,
        Some(errno) => Reason::Local(errno),
        None => Reason::Local(libc::EIO),
    }
}

fn ms(d: Duration) -> u64 {
    crate::model::duration::millis(d)
}

/// Per-process counter for DNS ids and ICMP sequence numbers (RFC 1035 4.1.1: the id
/// matches replies to queries; each slot's socket is connected, so a counter suffices).
fn next_id() -> u16 {
    use std::sync::atomic::{AtomicU16, Ordering};
    static NEXT: AtomicU16 = AtomicU16::new(0x2f1d);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// Bytes of buffer one slot uses (receive + request).
const SLOT_BYTES: usize = BUF_BYTES + REQ_BYTES;
/// Distance between two slots of a pool: SLOT_BYTES rounded up to whole 4 KiB pages.
/// Address space only: the pages past what a probe writes are never touched.
const POOL_STRIDE: usize = SLOT_BYTES.div_ceil(4096) * 4096;

/// Zeroed memory that lives as long as the process. One large zeroed allocation is
/// mapped fresh by the allocator (calloc above the mmap threshold, musl and glibc alike)
/// and the kernel backs its pages only when they are first written, so buffers of slots
/// that never run stay out of the resident set; many small allocations would each be
/// cleared or headed, touching their pages at once. Leaked on purpose: probe slots are
/// made once per daemon (the reactor's, at start-up) and are used until exit.
fn zeroed_static(len: usize) -> &'static mut [u8] {
    Box::leak(vec![0u8; len].into_boxed_slice())
}

impl ProbeSlot {
    /// A slot with buffers of its own; every later probe reuses them.
    pub fn new() -> ProbeSlot {
        let (req, buf) = zeroed_static(SLOT_BYTES).split_at_mut(REQ_BYTES);
        ProbeSlot::with_buffers(buf, req)
    }

    /// `n` slots whose buffers are carved from one allocation: memory is resident only
    /// for slots that have run a probe (the reactor reuses free slots last-in first-out,
    /// so that is about the peak number of probes in flight, not MAX_IN_FLIGHT).
    pub fn pool(n: usize) -> Vec<ProbeSlot> {
        let mut rest = zeroed_static(n * POOL_STRIDE);
        let mut slots = Vec::with_capacity(n);
        for _ in 0..n {
            let (mine, tail) = std::mem::take(&mut rest).split_at_mut(POOL_STRIDE);
            rest = tail;
            // The request first: a probe writes the start of `req` and reads a short reply
            // into the start of `buf`; with a stride of whole pages both land in the
            // slot's first page (a 10 KiB stride put every other slot across two).
            let (req, tail) = mine.split_at_mut(REQ_BYTES);
            let (buf, _) = tail.split_at_mut(BUF_BYTES);
            slots.push(ProbeSlot::with_buffers(buf, req));
        }
        slots
    }

    fn with_buffers(buf: &'static mut [u8], req: &'static mut [u8]) -> ProbeSlot {
        ProbeSlot {
            io: Io::None,
            phase: Phase::Idle,
            token: Token(0),
            started: Instant::now(),
            deadline: None,
            timeout: Duration::ZERO,
            req,
            req_len: 0,
            sent: 0,
            buf,
            filled: 0,
            url: 0,
            head_done: false,
            body_len: 0,
            content_length: None,
            md5: Md5::new(),
            chunked: None,
            rx: http_body::RegexScan::default(),
            smtp: smtp::Stage::Banner,
            id: 0,
            seq: 0,
            raw_ping: false,
            silence_is_up: false,
            socket_calls: 0,
        }
    }

    /// System calls this slot has made on sockets since it was made: opening (socket,
    /// setsockopt, bind, connect), epoll registration, reads, writes, SO_ERROR and
    /// getpeername, deregistration and close. Counted in the code rather than traced,
    /// so tests can hold the per-check cost (an HTTP_GET on loopback: socket, connect,
    /// EPOLL_CTL_ADD, send, recv, close) without timing anything.
    pub fn socket_calls(&self) -> u64 {
        self.socket_calls
    }

    pub fn is_idle(&self) -> bool {
        self.phase == Phase::Idle
    }

    /// When the attempt must be over (or, after a script's timeout, when the next
    /// escalation is due). None when idle.
    pub fn deadline(&self) -> Option<Instant> {
        self.deadline
    }

    /// Starts one attempt of `check`, registering its socket or pidfd with `registry`
    /// under `token`. A slot that is still busy is cancelled first.
    pub fn start(
        &mut self,
        check: &Check,
        registry: &Registry,
        token: Token,
        now: Instant,
    ) -> Step {
        if !self.is_idle() {
            self.cancel(registry);
        }
        self.token = token;
        self.started = now;
        self.timeout = check.connect_timeout;
        self.deadline = Some(now + check.connect_timeout);
        self.url = 0;
        self.silence_is_up = false;
        let res = match &check.kind {
            CheckKind::Tcp | CheckKind::Http(_) | CheckKind::Smtp(_) | CheckKind::Agent => {
                self.smtp = smtp::Stage::Banner;
                self.open_tcp(check, registry)
            }
            CheckKind::Udp(u) => self.open_udp(check, u, registry),
            CheckKind::Dns(d) => self.open_dns(check, d, registry),
            CheckKind::Ping => self.open_ping(check, registry),
            CheckKind::Misc(m) => self.spawn_misc(m, check, registry, now),
            CheckKind::File(f) => {
                let r = file::judge(f, self.buf);
                return self.finish(registry, now, r);
            }
        };
        match res {
            Ok(()) => self.drive(check, registry, now, Ready::NONE),
            Err(r) => self.finish(registry, now, Err(r)),
        }
    }

    /// Readiness for this slot's token.
    pub fn on_event(
        &mut self,
        check: &Check,
        event: &mio::event::Event,
        registry: &Registry,
        now: Instant,
    ) -> Step {
        if self.is_idle() {
            return Step::Pending;
        }
        self.drive(check, registry, now, Ready::of(event))
    }

    /// The deadline passed. Sockets are closed with the timeout verdict (or, for a
    /// UDP_CHECK without `require_reply`, with keepalived's "no ICMP error in time = up").
    /// A script gets SIGTERM, then SIGKILL, each followed by a grace period (Pending with
    /// a new deadline); its verdict is the timeout once it is reaped.
    pub fn on_deadline(&mut self, registry: &Registry, now: Instant) -> Step {
        match self.phase {
            Phase::Idle => Step::Pending,
            Phase::Running | Phase::Terminating | Phase::Killing => {
                self.script_deadline(registry, now)
            }
            _ => {
                let r = if self.udp_silence_is_up() {
                    Ok(Up::default())
                } else if self.phase != Phase::Connecting
                    && matches!(&self.io, Io::Tcp(s) if s.in_tls_handshake())
                {
                    Err(Reason::TlsTimeout {
                        ms: ms(self.timeout),
                    })
                } else {
                    Err(Reason::Timeout {
                        ms: ms(self.timeout),
                    })
                };
                self.finish(registry, now, r)
            }
        }
    }

    /// Abandons the attempt: closes its socket, kills and reaps its child; no outcome.
    pub fn cancel(&mut self, registry: &Registry) {
        self.close(registry);
        self.phase = Phase::Idle;
        self.deadline = None;
    }

    fn close(&mut self, registry: &Registry) {
        match std::mem::replace(&mut self.io, Io::None) {
            Io::None => {}
            // No EPOLL_CTL_DEL: closing the socket removes it from the epoll set
            // (epoll(7)), and the descriptor is ours alone (close-on-exec; a child
            // between fork and exec holds it for microseconds, and any event it
            // still draws carries a token the reactor no longer accepts or, for the
            // next url of the same probe, is only a hint that costs one EAGAIN).
            Io::Tcp(mut s) => {
                s.close(&mut self.socket_calls);
                self.socket_calls += 1;
                drop(s)
            }
            Io::Dgram(mut s) => {
                self.socket_calls += 2;
                let _ = registry.deregister(&mut s);
            }
            Io::Child { pid, pidfd } => misc::close_child(registry, pid, pidfd),
        }
    }

    fn finish(&mut self, registry: &Registry, now: Instant, result: Result<Up, Reason>) -> Step {
        self.cancel(registry);
        Step::Done(Outcome {
            result,
            latency: now.saturating_duration_since(self.started),
        })
    }

    fn udp_silence_is_up(&self) -> bool {
        self.silence_is_up && self.phase == Phase::Receiving
    }
}

fn bind_addr(check: &Check) -> Option<SocketAddr> {
    match (check.bindto, check.bind_port) {
        (Some(ip), port) => Some(SocketAddr::new(ip, port.unwrap_or(0))),
        (None, Some(port)) => Some(sys::any_addr(&check.target, port)),
        (None, None) => None,
    }
}

/// Calls `sys::open_connected` makes: socket and connect, plus SO_REUSEADDR (and for
/// TCP SO_LINGER) with a fixed source port, plus bind, plus SO_MARK and SO_BINDTODEVICE.
fn open_calls(bind: Option<SocketAddr>, tcp: bool, opts: &SockOpts) -> u64 {
    let sockopts = u64::from(opts.fwmark != 0) + u64::from(opts.bind_if.is_some());
    sockopts
        + match bind {
            None => 2,
            Some(b) if b.port() == 0 => 3,
            Some(_) => 4 + u64::from(tcp),
        }
}

/// Writes `data[*sent..]` to the attempt's socket. Ok(true) once all of it is out.
fn send_rest(io: &mut Io, data: &[u8], sent: &mut usize, calls: &mut u64) -> Result<bool, Reason> {
    // Each write moves `sent` forward by at least one byte or returns.
    while *sent < data.len() {
        let rest = &data[*sent..];
        let res = match io {
            Io::Tcp(s) => s.write(rest, calls)?,
            Io::Dgram(s) => stream::retry(calls, || s.send(rest).map(|_| rest.len()))?,
            _ => return Err(Reason::Local(libc::EBADF)),
        };
        match res {
            Some(0) => return Err(Reason::ClosedEarly),
            Some(n) => *sent += n,
            None => return Ok(false),
        }
    }
    Ok(true)
}

impl ProbeSlot {
    fn reset_buffers(&mut self) {
        self.filled = 0;
        self.sent = 0;
        self.req_len = 0;
        self.head_done = false;
        self.body_len = 0;
        self.content_length = None;
        Digest::reset(&mut self.md5);
        self.chunked = None;
        self.rx = http_body::RegexScan::default();
    }

    /// Advances as far as non-blocking calls allow and turns the verdict into a Step.
    fn drive(&mut self, check: &Check, registry: &Registry, now: Instant, ready: Ready) -> Step {
        match self.advance(check, registry, ready) {
            Ok(None) => Step::Pending,
            Ok(Some(up)) => self.finish(registry, now, Ok(up)),
            Err(Reason::ConnectionRefused) if matches!(self.io, Io::Dgram(_)) => {
                // On a connected datagram socket ECONNREFUSED is the ICMP port
                // unreachable the kernel queued for it (ip(7), IP_RECVERR off).
                self.finish(registry, now, Err(Reason::PortUnreachable))
            }
            Err(r) => self.finish(registry, now, Err(r)),
        }
    }

    /// Ok(None) = wait for readiness; Ok(Some) = up; Err = down.
    fn advance(
        &mut self,
        check: &Check,
        registry: &Registry,
        ready: Ready,
    ) -> Result<Option<Up>, Reason> {
        // Each pass moves the phase forward or returns; the bound covers every url's
        // connect, send and receive.
        for _ in 0..(crate::model::limits::MAX_URLS * 4 + 8) {
            match self.phase {
                Phase::Idle => return Ok(None),
                Phase::Connecting => match self.tcp_connect_state(check, ready)? {
                    tcp::Connect::Pending => return Ok(None),
                    tcp::Connect::Up => return Ok(Some(Up::default())),
                    tcp::Connect::Established => match &check.kind {
                        CheckKind::Http(h) if !h.urls.is_empty() => {
                            self.prepare_http(h)?;
                            self.phase = Phase::Sending;
                        }
                        CheckKind::Smtp(_) | CheckKind::Agent => self.phase = Phase::Receiving,
                        // TCP_CHECK: the connect is the check.
                        _ => return Ok(Some(Up::default())),
                    },
                },
                Phase::Sending => {
                    if !self.send_pending(check)? {
                        return Ok(None);
                    }
                    self.phase = Phase::Receiving;
                    if matches!(check.kind, CheckKind::Http(_)) && !ready.readable {
                        // The reply cannot be read before it is asked for: the socket
                        // was registered (edge-triggered, READABLE) before the request
                        // went out, so its arrival raises an event. Reading now would
                        // almost always be a wasted EAGAIN.
                        return Ok(None);
                    }
                }
                Phase::Receiving => match &check.kind {
                    // Only a write-space event (the request was acknowledged): no
                    // reply bytes to read, and their arrival raises an event of its own.
                    // (Unless TLS records wait for that room.)
                    CheckKind::Http(_)
                        if !ready.readable
                            && ready.is_some()
                            && !matches!(&self.io, Io::Tcp(s) if s.wants_write()) =>
                    {
                        return Ok(None)
                    }
                    CheckKind::Http(h) => match self.http_read(h)? {
                        http::ReadStep::Wait => return Ok(None),
                        http::ReadStep::UrlPassed => {
                            if self.url + 1 >= h.urls.len() {
                                return Ok(Some(Up::default()));
                            }
                            // HTTP/1.0 with Connection: close: one connection per url.
                            self.url += 1;
                            self.close(registry);
                            self.open_tcp(check, registry)?;
                            // The new socket has had no event yet.
                            return Ok(None);
                        }
                    },
                    CheckKind::Smtp(s) => match self.smtp_read(&s.helo_name)? {
                        smtp::ReadStep::Wait => return Ok(None),
                        smtp::ReadStep::Send => self.phase = Phase::Sending,
                        smtp::ReadStep::Up => return Ok(Some(Up::default())),
                    },
                    CheckKind::Agent => return self.agent_read(),
                    CheckKind::Udp(u) => return self.udp_read(u),
                    CheckKind::Dns(_) => return self.dns_read(),
                    CheckKind::Ping => return self.ping_read(check),
                    _ => return Err(Reason::Local(libc::EINVAL)),
                },
                Phase::Running | Phase::Terminating | Phase::Killing => {
                    let CheckKind::Misc(m) = &check.kind else {
                        return Err(Reason::Local(libc::EINVAL));
                    };
                    return self.misc_poll(m, registry);
                }
            }
        }
        Ok(None)
    }

    /// Writes what is left of the request. Ok(true) once all of it is out. An HTTP
    /// request is written by the HTTP engine (see `http_send`); the other kinds keep
    /// theirs in `req` (a DNS query carries its id, a datagram is sent whole).
    fn send_pending(&mut self, check: &Check) -> Result<bool, Reason> {
        match &check.kind {
            CheckKind::Http(h) => self.http_send(h, check.target),
            _ => send_rest(
                &mut self.io,
                &self.req[..self.req_len],
                &mut self.sent,
                &mut self.socket_calls,
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded_writer_refuses_overflow() {
        let mut b = [0u8; 4];
        let mut w = BoundedWriter::new(&mut b);
        assert!(fmt::Write::write_str(&mut w, "abc").is_ok());
        assert!(fmt::Write::write_str(&mut w, "de").is_err());
        assert_eq!(w.len(), 3);
    }
}
