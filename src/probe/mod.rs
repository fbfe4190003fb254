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

pub mod dns;
mod file;
pub mod http;
pub mod outcome;
mod smtp;

use std::cell::RefCell;
use std::fmt;
use std::io::{self, Read, Write};
use std::net::SocketAddr;
use std::os::fd::{AsRawFd, OwnedFd};
use std::time::{Duration, Instant};

use md5::{Digest, Md5};
use mio::net::{TcpStream, UdpSocket};
use mio::unix::SourceFd;
use mio::{Interest, Registry, Token};

use crate::model::config::{Check, CheckKind, HttpCheck, MiscCheck, Url};
use crate::model::limits::{MAX_HTTP_HEADER_BYTES, MAX_HTTP_REPLY_BYTES};
use crate::probe::outcome::{Outcome, Reason, Up};
use crate::sys::probe as sys;

/// Bytes of the receive buffer: the HTTP head must fit whole; body chunks, SMTP replies
/// and datagrams reuse it (a DNS answer without EDNS is at most 512 bytes, RFC 1035
/// 4.2.1). Each slot costs about BUF_BYTES + REQ_BYTES, times MAX_IN_FLIGHT slots.
const BUF_BYTES: usize = MAX_HTTP_HEADER_BYTES;
/// Bytes of the request buffer (HTTP request, SMTP command, DNS query, ICMP echo,
/// MISC_CHECK argv strings); keepalived's own request buffer is 2048 bytes too.
const REQ_BYTES: usize = 2048;
/// Bytes every HTTP probe of a thread shares: its request is written there just before it
/// is sent and its reply read there (the reactor drives one probe at a time). A probe in
/// flight then keeps nothing in its slot's own buffers, which stay out of the resident
/// set unless a reply head arrives in pieces or the check is of another kind; with
/// hundreds of probes in flight (a slow network, a slow machine) the slots' buffers
/// would each cost a page.
struct Scratch {
    req: [u8; REQ_BYTES],
    buf: [u8; BUF_BYTES],
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = const {
        RefCell::new(Scratch {
            req: [0; REQ_BYTES],
            buf: [0; BUF_BYTES],
        })
    };
}

/// Arguments of one MISC_CHECK command line.
const MAX_ARGV: usize = 64;
/// Datagrams read per event before yielding (ping sockets also see foreign replies).
const MAX_DATAGRAMS_PER_EVENT: usize = 64;
/// Time a script gets between SIGTERM and SIGKILL, and after SIGKILL to be reaped.
pub const SCRIPT_KILL_GRACE: Duration = Duration::from_millis(500);

/// Where an attempt stands after a call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    Pending,
    Done(Outcome),
}

/// The open descriptor of the attempt in progress.
enum Io {
    None,
    Tcp(TcpStream),
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

/// SMTP dialogue stage: which reply is awaited.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum SmtpStage {
    Banner,
    Helo,
    Quit,
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
    // SMTP_CHECK
    smtp: SmtpStage,
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
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
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
            smtp: SmtpStage::Banner,
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
            // SSL_GET is refused by config resolution ("not supported in this build");
            // should one get here, plain HTTP must not stand in for TLS.
            CheckKind::Http(h) if h.tls => Err(Reason::Local(libc::EPROTONOSUPPORT)),
            CheckKind::Tcp | CheckKind::Http(_) | CheckKind::Smtp(_) => {
                self.smtp = SmtpStage::Banner;
                self.open_tcp(check, registry)
            }
            CheckKind::Udp(_) | CheckKind::Dns(_) => self.open_udp(check, registry),
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
                let pid = match self.io {
                    Io::Child { pid, .. } => pid,
                    _ => 0,
                };
                match self.phase {
                    Phase::Running => {
                        sys::kill_group(pid, libc::SIGTERM);
                        self.phase = Phase::Terminating;
                        self.deadline = Some(now + SCRIPT_KILL_GRACE);
                        Step::Pending
                    }
                    Phase::Terminating => {
                        sys::kill_group(pid, libc::SIGKILL);
                        self.phase = Phase::Killing;
                        self.deadline = Some(now + SCRIPT_KILL_GRACE);
                        Step::Pending
                    }
                    _ => {
                        // Still not reaped after SIGKILL and a grace period: wait for it
                        // here rather than leave a zombie.
                        let r = Err(Reason::Timeout {
                            ms: ms(self.timeout),
                        });
                        self.finish(registry, now, r)
                    }
                }
            }
            _ => {
                let r = if self.udp_silence_is_up() {
                    Ok(Up::default())
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
            Io::Tcp(s) => {
                self.socket_calls += 1;
                drop(s)
            }
            Io::Dgram(mut s) => {
                self.socket_calls += 2;
                let _ = registry.deregister(&mut s);
            }
            Io::Child { pid, pidfd } => {
                let _ = registry.deregister(&mut SourceFd(&pidfd.as_raw_fd()));
                sys::kill_and_reap(pid);
            }
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

/// What one read pass of an HTTP reply concluded.
enum HttpStep {
    Wait,
    UrlPassed,
}

/// What one read pass of an SMTP dialogue concluded.
enum SmtpStep {
    Wait,
    Send,
    Up,
}

fn bind_addr(check: &Check) -> Option<SocketAddr> {
    match (check.bindto, check.bind_port) {
        (Some(ip), port) => Some(SocketAddr::new(ip, port.unwrap_or(0))),
        (None, Some(port)) => Some(sys::any_addr(&check.target, port)),
        (None, None) => None,
    }
}

/// Calls `sys::open_connected` makes: socket and connect, plus SO_REUSEADDR (and for
/// TCP SO_LINGER) with a fixed source port, plus bind.
fn open_calls(bind: Option<SocketAddr>, tcp: bool) -> u64 {
    match bind {
        None => 2,
        Some(b) if b.port() == 0 => 3,
        Some(_) => 4 + u64::from(tcp),
    }
}

fn is_would_block(e: &io::Error) -> bool {
    e.kind() == io::ErrorKind::WouldBlock
}

/// Writes `data[*sent..]` to the attempt's socket. Ok(true) once all of it is out.
fn send_rest(io: &mut Io, data: &[u8], sent: &mut usize, calls: &mut u64) -> Result<bool, Reason> {
    // Each write moves `sent` forward by at least one byte or returns.
    while *sent < data.len() {
        let rest = &data[*sent..];
        *calls += 1;
        let res = match io {
            Io::Tcp(s) => s.write(rest),
            Io::Dgram(s) => s.send(rest).map(|_| rest.len()),
            _ => return Err(Reason::Local(libc::EBADF)),
        };
        match res {
            Ok(0) => return Err(Reason::ClosedEarly),
            Ok(n) => *sent += n,
            Err(e) if is_would_block(&e) => return Ok(false),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(reason_of(&e)),
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
    }

    fn open_tcp(&mut self, check: &Check, registry: &Registry) -> Result<(), Reason> {
        self.reset_buffers();
        let bind = bind_addr(check);
        self.socket_calls += open_calls(bind, true) + 1;
        let fd = sys::open_connected(sys::SockKind::Tcp, check.target, bind)
            .map_err(|e| reason_of(&e))?;
        let mut s = TcpStream::from_std(std::net::TcpStream::from(fd));
        registry
            .register(&mut s, self.token, Interest::READABLE | Interest::WRITABLE)
            .map_err(|e| reason_of(&e))?;
        self.io = Io::Tcp(s);
        self.phase = Phase::Connecting;
        Ok(())
    }

    fn open_dgram(
        &mut self,
        kind: sys::SockKind,
        target: SocketAddr,
        bind: Option<SocketAddr>,
        registry: &Registry,
    ) -> io::Result<()> {
        self.socket_calls += open_calls(bind, false) + 1;
        let fd = sys::open_connected(kind, target, bind)?;
        let mut s = UdpSocket::from_std(std::net::UdpSocket::from(fd));
        registry.register(&mut s, self.token, Interest::READABLE | Interest::WRITABLE)?;
        self.io = Io::Dgram(s);
        self.phase = Phase::Sending;
        Ok(())
    }

    fn open_udp(&mut self, check: &Check, registry: &Registry) -> Result<(), Reason> {
        self.reset_buffers();
        match &check.kind {
            CheckKind::Udp(u) => {
                // keepalived sends a random payload when none is configured; any bytes
                // will do, so a fixed recognisable text is sent instead.
                let payload: &[u8] = if u.payload.is_empty() {
                    UDP_DEFAULT_PAYLOAD
                } else {
                    &u.payload
                };
                let n = payload.len();
                let dst = self.req.get_mut(..n).ok_or(Reason::Local(libc::EMSGSIZE))?;
                dst.copy_from_slice(payload);
                self.req_len = n;
                self.silence_is_up = u.require_reply.is_none();
            }
            CheckKind::Dns(d) => {
                self.id = next_id();
                self.req_len = dns::write_query(self.req, self.id, &d.name, d.qtype)
                    .ok_or(Reason::Local(libc::EINVAL))?;
            }
            _ => return Err(Reason::Local(libc::EINVAL)),
        }
        self.open_dgram(sys::SockKind::Udp, check.target, bind_addr(check), registry)
            .map_err(|e| reason_of(&e))
    }

    fn open_ping(&mut self, check: &Check, registry: &Registry) -> Result<(), Reason> {
        self.reset_buffers();
        let target = SocketAddr::new(check.target.ip(), 0);
        let bind = check.bindto.map(|ip| SocketAddr::new(ip, 0));
        self.raw_ping = false;
        if let Err(e) = self.open_dgram(sys::SockKind::PingDgram, target, bind, registry) {
            match e.raw_os_error() {
                // Ping sockets need net.ipv4.ping_group_range to include our group; a
                // raw socket (CAP_NET_RAW) is the fallback, as in iputils ping.
                Some(libc::EACCES)
                | Some(libc::EPERM)
                | Some(libc::EPROTONOSUPPORT)
                | Some(libc::ESOCKTNOSUPPORT) => {
                    self.open_dgram(sys::SockKind::PingRaw, target, bind, registry)
                        .map_err(|e| reason_of(&e))?;
                    self.raw_ping = true;
                }
                _ => return Err(reason_of(&e)),
            }
        }
        self.seq = next_id();
        self.id = (std::process::id() as u16) ^ 0x5a5a;
        let v6 = check.target.is_ipv6();
        // RFC 792 / RFC 4443 echo request: type, code, checksum, identifier, sequence.
        let req = &mut self.req[..ECHO_LEN];
        req[0] = if v6 { 128 } else { 8 };
        req[1] = 0;
        req[2..4].copy_from_slice(&[0, 0]);
        req[4..6].copy_from_slice(&self.id.to_be_bytes());
        req[6..8].copy_from_slice(&self.seq.to_be_bytes());
        req[8..].copy_from_slice(ECHO_PAYLOAD);
        if !v6 {
            // The kernel fills the ICMPv6 checksum itself (RFC 3542 3.1) and rewrites
            // the identifier and checksum of ping sockets; raw ICMPv4 needs ours.
            let sum = checksum(req);
            req[2..4].copy_from_slice(&sum.to_be_bytes());
        }
        self.req_len = ECHO_LEN;
        Ok(())
    }

    fn spawn_misc(
        &mut self,
        m: &MiscCheck,
        check: &Check,
        registry: &Registry,
        now: Instant,
    ) -> Result<(), Reason> {
        self.reset_buffers();
        // keepalived: misc_timeout, else the checker's delay_loop.
        self.timeout = m.timeout.unwrap_or(check.delay_loop);
        self.deadline = Some(now + self.timeout);
        let argv = &m.script.argv;
        if argv.is_empty() {
            return Err(Reason::Local(libc::ENOENT));
        }
        if argv.len() > MAX_ARGV {
            return Err(Reason::Local(libc::E2BIG));
        }
        // argv strings, NUL-terminated, in the request buffer; pointers on the stack.
        let mut offsets = [0usize; MAX_ARGV];
        let mut off = 0;
        for (i, a) in argv.iter().enumerate() {
            off = put_cstr(self.req, off, a.as_bytes())?;
            offsets[i] = off - a.len() - 1;
        }
        let ids = match &m.script.user {
            None => None,
            Some(user) => {
                let (names, scratch) = self.buf.split_at_mut(1024);
                let (unames, gnames) = names.split_at_mut(512);
                put_cstr(unames, 0, user.as_bytes())?;
                let u = std::ffi::CStr::from_bytes_until_nul(unames)
                    .map_err(|_| Reason::Local(libc::EINVAL))?;
                let g = match &m.script.group {
                    Some(g) => {
                        put_cstr(gnames, 0, g.as_bytes())?;
                        Some(
                            std::ffi::CStr::from_bytes_until_nul(gnames)
                                .map_err(|_| Reason::Local(libc::EINVAL))?,
                        )
                    }
                    None => None,
                };
                Some(sys::lookup_ids(u, g, scratch).map_err(|e| reason_of(&e))?)
            }
        };
        let mut ptrs = [std::ptr::null::<libc::c_char>(); MAX_ARGV + 1];
        for (i, &o) in offsets.iter().take(argv.len()).enumerate() {
            ptrs[i] = self.req[o..].as_ptr() as *const libc::c_char;
        }
        let pid = sys::spawn(&ptrs[..argv.len() + 1], ids).map_err(|e| reason_of(&e))?;
        let pidfd = match sys::pidfd_open(pid) {
            Ok(fd) => fd,
            Err(e) => {
                sys::kill_and_reap(pid);
                return Err(reason_of(&e));
            }
        };
        if let Err(e) = registry.register(
            &mut SourceFd(&pidfd.as_raw_fd()),
            self.token,
            Interest::READABLE,
        ) {
            sys::kill_and_reap(pid);
            return Err(reason_of(&e));
        }
        self.io = Io::Child { pid, pidfd };
        self.phase = Phase::Running;
        Ok(())
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
                Phase::Connecting => {
                    let Io::Tcp(s) = &self.io else {
                        return Err(Reason::Local(libc::EBADF));
                    };
                    match &check.kind {
                        CheckKind::Http(h) if !h.urls.is_empty() => {
                            // No SO_ERROR / getpeername round: send(2) on a socket still
                            // connecting fails with EAGAIN, on one whose connect failed
                            // with that error (ECONNREFUSED...), so the request's own
                            // send tells how the connect went. Right after connect(2)
                            // (no event yet) nothing is tried: the socket is registered
                            // edge-triggered for WRITABLE, which fires once connected.
                            if ready.is_none() {
                                return Ok(None);
                            }
                            self.prepare_http(h)?;
                            self.phase = Phase::Sending;
                            continue;
                        }
                        CheckKind::Tcp if ready.is_none() => return Ok(None),
                        // TCP_CHECK: epoll reports EPOLLOUT on a TCP socket only once it
                        // is established (tcp_poll: not in SYN_SENT/SYN_RECV), and
                        // EPOLLERR once the connect failed; so a writable event without
                        // an error is the verdict itself, with no syscall. Anything
                        // else falls through to SO_ERROR and getpeername.
                        CheckKind::Tcp if ready.writable && !ready.error => {
                            return Ok(Some(Up::default()));
                        }
                        _ => {}
                    }
                    self.socket_calls += 2;
                    if let Some(e) = s.take_error().map_err(|e| reason_of(&e))? {
                        return Err(reason_of(&e));
                    }
                    match s.peer_addr() {
                        Ok(_) => {}
                        Err(e) if e.raw_os_error() == Some(libc::ENOTCONN) => return Ok(None),
                        Err(e) => return Err(reason_of(&e)),
                    }
                    match &check.kind {
                        CheckKind::Http(h) if !h.urls.is_empty() => {
                            self.prepare_http(h)?;
                            self.phase = Phase::Sending;
                        }
                        CheckKind::Smtp(_) => self.phase = Phase::Receiving,
                        // TCP_CHECK: the connect is the check.
                        _ => return Ok(Some(Up::default())),
                    }
                }
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
                    CheckKind::Http(_) if !ready.readable && ready.is_some() => return Ok(None),
                    CheckKind::Http(h) => match self.http_read(h)? {
                        HttpStep::Wait => return Ok(None),
                        HttpStep::UrlPassed => {
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
                        SmtpStep::Wait => return Ok(None),
                        SmtpStep::Send => self.phase = Phase::Sending,
                        SmtpStep::Up => return Ok(Some(Up::default())),
                    },
                    CheckKind::Udp(u) => {
                        return self.dgram_read(|reply, _| match &u.require_reply {
                            None => Some(Ok(())),
                            // keepalived compares up to the shorter of the two.
                            Some(want) => {
                                let n = reply.len().min(want.len());
                                Some(if reply[..n] == want[..n] {
                                    Ok(())
                                } else {
                                    Err(Reason::BadReply("UDP reply differs from require_reply"))
                                })
                            }
                        });
                    }
                    CheckKind::Dns(_) => {
                        let id = self.id;
                        return self.dgram_read(|reply, query| {
                            Some(dns::check_reply(reply, id, query).map_err(dns::Error::reason))
                        });
                    }
                    CheckKind::Ping => {
                        let (raw, v6, id, seq) =
                            (self.raw_ping, check.target.is_ipv6(), self.id, self.seq);
                        return self.dgram_read(|reply, _| {
                            if echo_reply_matches(reply, raw, v6, id, seq) {
                                Some(Ok(()))
                            } else {
                                None
                            }
                        });
                    }
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

    fn prepare_http(&mut self, h: &HttpCheck) -> Result<(), Reason> {
        if self.url >= h.urls.len() {
            return Err(Reason::Local(libc::EINVAL));
        }
        // The request itself is written by `send_pending`, into the shared scratch.
        self.sent = 0;
        Ok(())
    }

    /// Writes what is left of the request. Ok(true) once all of it is out. An HTTP
    /// request is written afresh into the shared scratch on each call (it depends only on
    /// the check and the url), so the slot's own buffer stays untouched; the other kinds
    /// keep theirs in `req` (a DNS query carries its id, a datagram is sent whole).
    fn send_pending(&mut self, check: &Check) -> Result<bool, Reason> {
        match &check.kind {
            CheckKind::Http(h) => SCRATCH.with_borrow_mut(|scratch| {
                let url: &Url = h.urls.get(self.url).ok_or(Reason::Local(libc::EINVAL))?;
                let len = http::write_request(&mut scratch.req, h, url, check.target)
                    .ok_or(Reason::Local(libc::ENAMETOOLONG))?;
                send_rest(
                    &mut self.io,
                    &scratch.req[..len],
                    &mut self.sent,
                    &mut self.socket_calls,
                )
            }),
            _ => send_rest(
                &mut self.io,
                &self.req[..self.req_len],
                &mut self.sent,
                &mut self.socket_calls,
            ),
        }
    }

    fn http_read(&mut self, h: &HttpCheck) -> Result<HttpStep, Reason> {
        let url: &Url = h.urls.get(self.url).ok_or(Reason::Local(libc::EINVAL))?;
        SCRATCH.with_borrow_mut(|scratch| self.http_read_into(url, &mut scratch.buf))
    }

    /// Reads the reply into the shared `scratch`: a head that arrives whole (the usual
    /// case) is judged there, and body bytes are only hashed, so the slot's own buffer
    /// is written only when a head arrives in pieces (`filled` > 0 then: the bytes so
    /// far, kept until the rest comes).
    fn http_read_into(&mut self, url: &Url, scratch: &mut [u8]) -> Result<HttpStep, Reason> {
        let head_cap = MAX_HTTP_HEADER_BYTES.min(self.buf.len()).min(scratch.len());
        // Every read returns at least one byte or ends the loop, and the bytes are
        // bounded (head_cap, then MAX_HTTP_REPLY_BYTES of body).
        for _ in 0..(MAX_HTTP_REPLY_BYTES + MAX_HTTP_HEADER_BYTES + 2) {
            let Io::Tcp(s) = &mut self.io else {
                return Err(Reason::Local(libc::EBADF));
            };
            let kept = !self.head_done && self.filled > 0;
            let room = if self.head_done {
                &mut scratch[..]
            } else if kept {
                &mut self.buf[self.filled..head_cap]
            } else {
                &mut scratch[..head_cap]
            };
            self.socket_calls += 1;
            let n = match s.read(room) {
                Ok(n) => n,
                Err(e) if is_would_block(&e) => return Ok(HttpStep::Wait),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(reason_of(&e)),
            };
            if n == 0 {
                // End of reply.
                if !self.head_done {
                    return Err(Reason::ClosedEarly);
                }
                if matches!(self.content_length, Some(cl) if self.body_len < cl) {
                    return Err(Reason::ClosedEarly);
                }
                return self.digest_verdict(url);
            }
            if self.head_done {
                if self.feed_body(&scratch[..n])? {
                    return self.digest_verdict(url);
                }
                continue;
            }
            let total = if kept { self.filled + n } else { n };
            let head = if kept {
                &self.buf[..total]
            } else {
                &scratch[..total]
            };
            match http::parse_head(head) {
                http::Head::Partial { code } => {
                    if let Some(code) = code {
                        http::judge_status(url, code)?;
                        if url.digest.is_none() {
                            // Without a digest the status line is the whole verdict.
                            return Ok(HttpStep::UrlPassed);
                        }
                    }
                    if total == head_cap {
                        return Err(if code.is_some() {
                            Reason::ReplyTooLarge
                        } else {
                            Reason::BadReply("HTTP status line too long")
                        });
                    }
                    if !kept {
                        self.buf[..n].copy_from_slice(&scratch[..n]);
                    }
                    self.filled = total;
                }
                http::Head::Bad { code, what } => {
                    if let Some(code) = code {
                        http::judge_status(url, code)?;
                        if url.digest.is_none() {
                            return Ok(HttpStep::UrlPassed);
                        }
                    }
                    return Err(Reason::BadReply(what));
                }
                http::Head::Complete {
                    code,
                    len,
                    content_length,
                } => {
                    http::judge_status(url, code)?;
                    if url.digest.is_none() {
                        return Ok(HttpStep::UrlPassed);
                    }
                    if matches!(content_length, Some(cl) if cl > MAX_HTTP_REPLY_BYTES as u64) {
                        return Err(Reason::ReplyTooLarge);
                    }
                    self.head_done = true;
                    self.content_length = content_length;
                    self.body_len = 0;
                    Digest::reset(&mut self.md5);
                    // The body bytes that came with the head.
                    let rest = total - len;
                    if kept {
                        scratch[..rest].copy_from_slice(&self.buf[len..total]);
                    } else {
                        scratch.copy_within(len..total, 0);
                    }
                    self.filled = 0;
                    if self.feed_body(&scratch[..rest])? {
                        return self.digest_verdict(url);
                    }
                }
            }
        }
        Ok(HttpStep::Wait)
    }

    /// Hashes `bytes` as body bytes. Ok(true) once Content-Length bytes are in.
    fn feed_body(&mut self, bytes: &[u8]) -> Result<bool, Reason> {
        let want = match self.content_length {
            Some(cl) => (cl - self.body_len).min(bytes.len() as u64) as usize,
            None => bytes.len(),
        };
        self.body_len += want as u64;
        if self.body_len > MAX_HTTP_REPLY_BYTES as u64 {
            return Err(Reason::ReplyTooLarge);
        }
        self.md5.update(&bytes[..want]);
        Ok(matches!(self.content_length, Some(cl) if self.body_len == cl))
    }

    fn digest_verdict(&mut self, url: &Url) -> Result<HttpStep, Reason> {
        let sum = self.md5.finalize_reset();
        match &url.digest {
            Some(d) if sum.as_slice() != &d[..] => Err(Reason::DigestMismatch),
            _ => Ok(HttpStep::UrlPassed),
        }
    }

    fn smtp_read(&mut self, helo_name: &str) -> Result<SmtpStep, Reason> {
        // Each read adds at least one byte to a buffer that is bounded.
        for _ in 0..(BUF_BYTES + 2) {
            let Io::Tcp(s) = &mut self.io else {
                return Err(Reason::Local(libc::EBADF));
            };
            if self.filled == self.buf.len() {
                return Err(Reason::BadReply("SMTP reply too long"));
            }
            self.socket_calls += 1;
            let n = match s.read(&mut self.buf[self.filled..]) {
                Ok(n) => n,
                Err(e) if is_would_block(&e) => return Ok(SmtpStep::Wait),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(reason_of(&e)),
            };
            if n == 0 {
                // A server that hangs up after our QUIT has done all we asked.
                return if self.smtp == SmtpStage::Quit {
                    Ok(SmtpStep::Up)
                } else {
                    Err(Reason::ClosedEarly)
                };
            }
            self.filled += n;
            let Some((code, used)) = smtp::reply(&self.buf[..self.filled])? else {
                continue;
            };
            self.buf.copy_within(used..self.filled, 0);
            self.filled -= used;
            // RFC 5321 4.3.2: 220 greeting, 250 to HELO, 221 to QUIT.
            let (want, next) = match self.smtp {
                SmtpStage::Banner => (220, SmtpStage::Helo),
                SmtpStage::Helo => (250, SmtpStage::Quit),
                SmtpStage::Quit => (221, SmtpStage::Quit),
            };
            if code != want {
                return Err(Reason::SmtpCode(code));
            }
            if self.smtp == SmtpStage::Quit {
                return Ok(SmtpStep::Up);
            }
            let mut w = BoundedWriter::new(self.req);
            let res = if next == SmtpStage::Helo {
                fmt::Write::write_fmt(&mut w, format_args!("HELO {}\r\n", helo_name))
            } else {
                fmt::Write::write_str(&mut w, "QUIT\r\n")
            };
            res.map_err(|_| Reason::Local(libc::ENAMETOOLONG))?;
            self.req_len = w.len();
            self.sent = 0;
            self.smtp = next;
            return Ok(SmtpStep::Send);
        }
        Ok(SmtpStep::Wait)
    }

    /// Reads datagrams until one is judged (`Some`) or the socket is drained. `judge`
    /// gets the datagram and the request that was sent.
    fn dgram_read<F>(&mut self, mut judge: F) -> Result<Option<Up>, Reason>
    where
        F: FnMut(&[u8], &[u8]) -> Option<Result<(), Reason>>,
    {
        for _ in 0..MAX_DATAGRAMS_PER_EVENT {
            let Io::Dgram(s) = &mut self.io else {
                return Err(Reason::Local(libc::EBADF));
            };
            self.socket_calls += 1;
            let n = match s.recv(self.buf) {
                Ok(n) => n,
                Err(e) if is_would_block(&e) => return Ok(None),
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

    fn misc_poll(&mut self, m: &MiscCheck, registry: &Registry) -> Result<Option<Up>, Reason> {
        let Io::Child { pid, .. } = self.io else {
            return Err(Reason::Local(libc::EBADF));
        };
        match sys::has_exited(pid) {
            Ok(false) => return Ok(None),
            Ok(true) => {}
            Err(e) => return Err(reason_of(&e)),
        }
        // The script is a zombie, so its pid (= its process group) cannot be reused yet:
        // kill what it left behind in its group, then reap it.
        sys::kill_group(pid, libc::SIGKILL);
        let exit = sys::try_reap(pid);
        if let Io::Child { pidfd, .. } = std::mem::replace(&mut self.io, Io::None) {
            let _ = registry.deregister(&mut SourceFd(&pidfd.as_raw_fd()));
        }
        if self.phase != Phase::Running {
            return Err(Reason::Timeout {
                ms: ms(self.timeout),
            });
        }
        match exit {
            Ok(Some(sys::Exit::Code(0))) => Ok(Some(Up::default())),
            // keepalived misc_dynamic: 2-255 is up with weight = status - 2.
            Ok(Some(sys::Exit::Code(c))) if m.dynamic && c >= 2 => Ok(Some(Up {
                weight: Some(c - 2),
            })),
            Ok(Some(sys::Exit::Code(c))) => Err(Reason::ScriptExit(c)),
            Ok(Some(sys::Exit::Signal(s))) => Err(Reason::ScriptSignal(s)),
            Ok(None) => Err(Reason::Local(libc::ECHILD)),
            Err(e) => Err(reason_of(&e)),
        }
    }
}

/// Copies `s` and a NUL into `buf` at `off`; returns the offset after the NUL.
fn put_cstr(buf: &mut [u8], off: usize, s: &[u8]) -> Result<usize, Reason> {
    if s.contains(&0) {
        return Err(Reason::Local(libc::EINVAL));
    }
    let end = off + s.len() + 1;
    let dst = buf.get_mut(off..end).ok_or(Reason::Local(libc::E2BIG))?;
    dst[..s.len()].copy_from_slice(s);
    dst[s.len()] = 0;
    Ok(end)
}

const UDP_DEFAULT_PAYLOAD: &[u8] = b"lvsmon udp check";
const ECHO_PAYLOAD: &[u8; 16] = b"lvsmon echo ping";
const ECHO_LEN: usize = 8 + ECHO_PAYLOAD.len();

/// RFC 1071 Internet checksum.
fn checksum(data: &[u8]) -> u16 {
    let mut sum: u32 = 0;
    for pair in data.chunks(2) {
        let word = if pair.len() == 2 {
            u16::from_be_bytes([pair[0], pair[1]])
        } else {
            u16::from_be_bytes([pair[0], 0])
        };
        sum += u32::from(word);
    }
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// Whether a datagram from the ICMP socket is the reply to our echo. A raw IPv4 socket
/// delivers the IP header too (raw(7)); ping sockets and raw IPv6 deliver ICMP only.
/// Ping sockets rewrite the identifier, so only raw sockets check it.
fn echo_reply_matches(pkt: &[u8], raw: bool, v6: bool, id: u16, seq: u16) -> bool {
    let icmp = if raw && !v6 {
        let Some(&vihl) = pkt.first() else {
            return false;
        };
        match pkt.get(usize::from(vihl & 0x0f) * 4..) {
            Some(rest) => rest,
            None => return false,
        }
    } else {
        pkt
    };
    if icmp.len() < 8 {
        return false;
    }
    let want_type = if v6 { 129 } else { 0 };
    icmp[0] == want_type
        && icmp[1] == 0
        && u16::from_be_bytes([icmp[6], icmp[7]]) == seq
        && (!raw || u16::from_be_bytes([icmp[4], icmp[5]]) == id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksum_of_rfc1071_example() {
        // RFC 1071 section 3: 00 01 f2 03 f4 f5 f6 f7 sums to ddf2, checksum 220d.
        assert_eq!(
            checksum(&[0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7]),
            0x220d
        );
    }

    #[test]
    fn echo_reply_matching() {
        let mut reply = [0u8; 24];
        reply[6..8].copy_from_slice(&7u16.to_be_bytes());
        assert!(echo_reply_matches(&reply, false, false, 1, 7));
        assert!(!echo_reply_matches(&reply, false, false, 1, 8));
        assert!(!echo_reply_matches(&reply, false, true, 1, 7));
        reply[0] = 8; // our own request, seen by a raw socket on loopback
        assert!(!echo_reply_matches(&reply, false, false, 1, 7));
        let mut ip = [0u8; 20 + 24];
        ip[0] = 0x45;
        ip[20 + 4..20 + 6].copy_from_slice(&9u16.to_be_bytes());
        ip[20 + 6..20 + 8].copy_from_slice(&7u16.to_be_bytes());
        assert!(echo_reply_matches(&ip, true, false, 9, 7));
        assert!(!echo_reply_matches(&ip, true, false, 10, 7));
        assert!(!echo_reply_matches(&[0x4f], true, false, 9, 7));
    }

    /// Serves one connection on loopback: reads the request head, then writes `pieces`
    /// with a pause between them.
    fn serve_once(pieces: &'static [&'static [u8]]) -> SocketAddr {
        use std::io::{Read, Write};
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap();
        std::thread::spawn(move || {
            let (mut c, _) = l.accept().unwrap();
            c.set_nodelay(true).unwrap();
            let mut head = [0u8; 1024];
            let mut n = 0;
            while !head[..n].windows(4).any(|w| w == b"\r\n\r\n") && n < head.len() {
                match c.read(&mut head[n..]) {
                    Ok(0) | Err(_) => return,
                    Ok(k) => n += k,
                }
            }
            for p in pieces {
                let _ = c.write_all(p);
                std::thread::sleep(Duration::from_millis(30));
            }
        });
        addr
    }

    /// One HTTP_GET with a digest (so the whole body is read) on `slot`, to its verdict.
    fn get_with_digest(slot: &mut ProbeSlot, target: SocketAddr) -> Outcome {
        let body_md5: [u8; 16] = Md5::digest(b"hello\n").into();
        let check = Check {
            kind: CheckKind::Http(HttpCheck {
                tls: false,
                urls: vec![Url {
                    path: "/".into(),
                    digest: Some(body_md5),
                    status: Default::default(),
                    virtualhost: None,
                }]
                .into(),
                virtualhost: None,
            }),
            target,
            bindto: None,
            bind_port: None,
            connect_timeout: Duration::from_secs(5),
            retry: 0,
            delay_before_retry: Duration::from_secs(1),
            rise: 1,
            jitter_percent: 0,
            delay_loop: Duration::from_secs(1),
            warmup: Duration::ZERO,
        };
        let mut poll = mio::Poll::new().unwrap();
        let mut events = mio::Events::with_capacity(8);
        let mut step = slot.start(&check, poll.registry(), Token(1), Instant::now());
        for _ in 0..1000 {
            if let Step::Done(o) = step {
                return o;
            }
            let now = Instant::now();
            let deadline = slot.deadline().unwrap();
            if now >= deadline {
                step = slot.on_deadline(poll.registry(), now);
                continue;
            }
            poll.poll(&mut events, Some(deadline - now)).unwrap();
            for e in events.iter() {
                if let Step::Pending = step {
                    step = slot.on_event(&check, e, poll.registry(), Instant::now());
                }
            }
        }
        panic!("no verdict");
    }

    #[test]
    fn a_whole_reply_leaves_the_slots_buffers_untouched() {
        static WHOLE: &[&[u8]] = &[b"HTTP/1.0 200 OK\r\nContent-Length: 6\r\n\r\nhello\n"];
        let mut slot = ProbeSlot::pool(1).pop().unwrap();
        let o = get_with_digest(&mut slot, serve_once(WHOLE));
        assert_eq!(o.result, Ok(Up::default()));
        // Never written, so never made resident (the pool's pages are mapped lazily).
        assert!(slot.req.iter().all(|&b| b == 0));
        assert!(slot.buf.iter().all(|&b| b == 0));
    }

    #[test]
    fn a_head_in_pieces_is_kept_in_the_slot_until_whole() {
        static PIECES: &[&[u8]] = &[
            b"HTTP/1.0 20",
            b"0 OK\r\nContent-Len",
            b"gth: 6\r\n\r\nhel",
            b"lo\n",
        ];
        let mut slot = ProbeSlot::pool(1).pop().unwrap();
        let o = get_with_digest(&mut slot, serve_once(PIECES));
        assert_eq!(o.result, Ok(Up::default()));
        assert!(slot
            .buf
            .starts_with(b"HTTP/1.0 200 OK\r\nContent-Length: 6\r\n\r\nhel"));
        static WRONG: &[&[u8]] = &[b"HTTP/1.0 200 OK\r\nCont", b"ent-Length: 6\r\n\r\nhullo\n"];
        let o = get_with_digest(&mut slot, serve_once(WRONG));
        assert_eq!(o.result, Err(Reason::DigestMismatch));
    }

    #[test]
    fn bounded_writer_refuses_overflow() {
        let mut b = [0u8; 4];
        let mut w = BoundedWriter::new(&mut b);
        assert!(fmt::Write::write_str(&mut w, "abc").is_ok());
        assert!(fmt::Write::write_str(&mut w, "de").is_err());
        assert_eq!(w.len(), 3);
    }
}
