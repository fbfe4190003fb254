//! Test support shared by integration tests: misbehaving servers on 127.0.0.0/8 (threads
//! and std::net, bounded loops, each stops itself when dropped or after `SERVER_LIFETIME`)
//! and a tiny mio loop that drives one `ProbeSlot` to its verdict.
//! Include with `mod support;`.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use lvsmon::model::config::{Check, CheckKind, HttpCheck, StatusCodes, Url};
use lvsmon::probe::outcome::{Outcome, Reason};
use lvsmon::probe::{ProbeSlot, Step};
use mio::{Events, Poll, Token};

/// No test server outlives this, whatever the test does.
pub const SERVER_LIFETIME: Duration = Duration::from_secs(20);
/// No probe driven by `run` may take longer than this (a generous bound, not a timing).
pub const RUN_BOUND: Duration = Duration::from_secs(10);

/// The body served by `Mode::Good` at "/" (and its MD5, computed with md5sum).
pub const GOOD_BODY: &[u8] = b"hello from the lvsmon test server\n";
pub const GOOD_DIGEST_HEX: &str = "9a4d7da57298fbb47608a59468e635fa";

/// `GOOD_DIGEST_HEX` as bytes.
pub fn good_digest() -> [u8; 16] {
    let mut d = [0u8; 16];
    for (i, b) in d.iter_mut().enumerate() {
        *b = u8::from_str_radix(&GOOD_DIGEST_HEX[2 * i..2 * i + 2], 16).unwrap();
    }
    d
}

/// How the TCP test server treats each connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Accept and never answer.
    Stall,
    /// Accept, then close with SO_LINGER 0 (RST) without reading.
    Reset,
    /// Answer "HTTP/1.0 20" and close.
    PartialStatus,
    /// Answer a head promising 1000 bytes, send 7, close.
    PartialBody,
    /// Answer binary garbage.
    Garbage,
    /// Answer an HTTP/0.9-style body without a status line.
    Http09,
    /// 200 with a 10 MB body (no Content-Length), until the client goes away.
    Huge,
    /// "HTTP/1.0 200 OK..." one byte every 100 ms.
    SlowDrip,
    /// 503 Service Unavailable.
    Unavailable,
    /// "/" → 200 with GOOD_BODY and Content-Length; "/nolen" → the same body delimited
    /// by close; "/chunked" → the same body chunked; "/redirect" → 302; anything else →
    /// 404.
    Good,
    /// 200 whose head carries one 64 KB header line, then GOOD_BODY.
    LongHeader,
    /// SMTP: "220" banner, 250 to HELO, 221 to QUIT.
    Smtp,
    /// SMTP: "554" banner.
    Smtp554,
    /// A banner that is not SMTP (an IMAP greeting).
    SmtpGarbage,
}

/// A TCP server on 127.0.0.1 (or another loopback address) in one mode.
pub struct Server {
    pub addr: SocketAddr,
    /// Every request head received (up to its blank line), in order.
    pub requests: Arc<Mutex<Vec<Vec<u8>>>>,
    /// The peer address of every connection accepted.
    pub peers: Arc<Mutex<Vec<SocketAddr>>>,
    stop: Arc<AtomicBool>,
    handle: Option<JoinHandle<()>>,
}

impl Server {
    pub fn start(mode: Mode) -> Server {
        Server::start_on("127.0.0.1:0", mode)
    }

    pub fn start_on(bind: &str, mode: Mode) -> Server {
        let listener = TcpListener::bind(bind).expect("bind test server");
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let requests = Arc::new(Mutex::new(Vec::new()));
        let peers = Arc::new(Mutex::new(Vec::new()));
        let (s, r, p) = (stop.clone(), requests.clone(), peers.clone());
        let handle = thread::spawn(move || {
            let born = Instant::now();
            let mut conns = Vec::new();
            while !s.load(Ordering::Relaxed) && born.elapsed() < SERVER_LIFETIME {
                match listener.accept() {
                    Ok((stream, peer)) => {
                        p.lock().unwrap().push(peer);
                        let (s, r) = (s.clone(), r.clone());
                        conns.push(thread::spawn(move || serve(stream, mode, &s, &r)));
                    }
                    Err(_) => thread::sleep(Duration::from_millis(2)),
                }
            }
            s.store(true, Ordering::Relaxed);
            for c in conns {
                let _ = c.join();
            }
        });
        Server {
            addr,
            requests,
            peers,
            stop,
            handle: Some(handle),
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

/// Sleeps up to `d` in small steps, returning early when the server stops.
fn nap(d: Duration, stop: &AtomicBool) -> bool {
    let until = Instant::now() + d;
    while Instant::now() < until {
        if stop.load(Ordering::Relaxed) {
            return false;
        }
        thread::sleep(Duration::from_millis(5));
    }
    !stop.load(Ordering::Relaxed)
}

/// Reads a request head (to its blank line, at most 8 KB, at most 2 s).
fn read_head(stream: &mut TcpStream) -> Vec<u8> {
    stream
        .set_read_timeout(Some(Duration::from_millis(2000)))
        .unwrap();
    let mut head = Vec::new();
    let mut byte = [0u8; 512];
    while head.len() < 8192 && !head.ends_with(b"\r\n\r\n") {
        match stream.read(&mut byte) {
            Ok(0) | Err(_) => break,
            Ok(n) => head.extend_from_slice(&byte[..n]),
        }
    }
    head
}

fn set_linger_zero(stream: &TcpStream) {
    let linger = libc::linger {
        l_onoff: 1,
        l_linger: 0,
    };
    // SAFETY: valid fd and a correctly sized option value.
    let rc = unsafe {
        libc::setsockopt(
            stream.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_LINGER,
            &linger as *const _ as *const libc::c_void,
            std::mem::size_of::<libc::linger>() as libc::socklen_t,
        )
    };
    assert_eq!(rc, 0, "SO_LINGER");
}

fn serve(mut stream: TcpStream, mode: Mode, stop: &AtomicBool, requests: &Mutex<Vec<Vec<u8>>>) {
    stream
        .set_write_timeout(Some(Duration::from_millis(3000)))
        .unwrap();
    match mode {
        Mode::Reset => {
            set_linger_zero(&stream);
            return;
        }
        Mode::Stall => {
            nap(SERVER_LIFETIME, stop);
            return;
        }
        Mode::Smtp | Mode::Smtp554 | Mode::SmtpGarbage => {
            return serve_smtp(stream, mode, requests)
        }
        _ => {}
    }
    let head = read_head(&mut stream);
    requests.lock().unwrap().push(head.clone());
    let path = head
        .split(|&b| b == b' ')
        .nth(1)
        .map(|p| String::from_utf8_lossy(p).into_owned())
        .unwrap_or_default();
    let _ = match mode {
        Mode::PartialStatus => stream.write_all(b"HTTP/1.0 20"),
        Mode::PartialBody => {
            stream.write_all(b"HTTP/1.0 200 OK\r\nContent-Length: 1000\r\n\r\npartial")
        }
        Mode::Garbage => stream.write_all(b"\x16\x03\x01\x00\xa5\xff\xfe garbage \x00\r\n\r\n"),
        Mode::Http09 => stream.write_all(b"<html><body>It works!</body></html>\n"),
        Mode::Unavailable => {
            stream.write_all(b"HTTP/1.0 503 Service Unavailable\r\nContent-Length: 5\r\n\r\nbusy\n")
        }
        Mode::Huge => {
            let chunk = [b'x'; 64 * 1024];
            let mut r = stream.write_all(b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\n");
            for _ in 0..(10 * 1024 * 1024 / chunk.len()) {
                if r.is_err() || stop.load(Ordering::Relaxed) {
                    break;
                }
                r = stream.write_all(&chunk);
            }
            r
        }
        Mode::SlowDrip => {
            let reply = b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok";
            let mut r = Ok(());
            for b in reply.iter() {
                if r.is_err() || !nap(Duration::from_millis(100), stop) {
                    break;
                }
                r = stream.write_all(std::slice::from_ref(b));
            }
            r
        }
        Mode::LongHeader => {
            let mut reply = b"HTTP/1.0 200 OK\r\nX-Long: ".to_vec();
            reply.extend(std::iter::repeat(b'a').take(64 * 1024));
            reply.extend_from_slice(b"\r\n\r\n");
            reply.extend_from_slice(GOOD_BODY);
            stream.write_all(&reply)
        }
        Mode::Good => match path.as_str() {
            "/" => {
                let mut reply = format!(
                    "HTTP/1.0 200 OK\r\nContent-Length: {}\r\n\r\n",
                    GOOD_BODY.len()
                )
                .into_bytes();
                reply.extend_from_slice(GOOD_BODY);
                stream.write_all(&reply)
            }
            "/nolen" => {
                let mut reply = b"HTTP/1.0 200 OK\r\n\r\n".to_vec();
                reply.extend_from_slice(GOOD_BODY);
                stream.write_all(&reply)
            }
            "/redirect" => {
                stream.write_all(b"HTTP/1.0 302 Found\r\nLocation: /\r\nContent-Length: 0\r\n\r\n")
            }
            "/chunked" => {
                // GOOD_BODY in two chunks (HTTP/1.1 chunked transfer coding).
                let (a, b) = GOOD_BODY.split_at(10);
                let mut reply = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
                for part in [a, b] {
                    reply.extend_from_slice(format!("{:x}\r\n", part.len()).as_bytes());
                    reply.extend_from_slice(part);
                    reply.extend_from_slice(b"\r\n");
                }
                reply.extend_from_slice(b"0\r\n\r\n");
                stream.write_all(&reply)
            }
            _ => stream.write_all(b"HTTP/1.0 404 Not Found\r\nContent-Length: 0\r\n\r\n"),
        },
        _ => Ok(()),
    };
    // Close after the reply (HTTP/1.0), but give the client a moment to read it first.
    let _ = stream.shutdown(std::net::Shutdown::Write);
    nap(Duration::from_millis(200), stop);
}

fn serve_smtp(mut stream: TcpStream, mode: Mode, requests: &Mutex<Vec<Vec<u8>>>) {
    stream
        .set_read_timeout(Some(Duration::from_millis(2000)))
        .unwrap();
    if mode == Mode::SmtpGarbage {
        let _ = stream.write_all(b"* OK IMAP4rev1 ready\r\n");
        return;
    }
    if mode == Mode::Smtp554 {
        let _ = stream.write_all(b"554 5.3.2 no service here\r\n");
        return;
    }
    let _ = stream.write_all(b"220-mx.test ESMTP\r\n220 lvsmon test server\r\n");
    let mut got = Vec::new();
    let mut buf = [0u8; 256];
    for _ in 0..16 {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => got.extend_from_slice(&buf[..n]),
        }
        if got.ends_with(b"QUIT\r\n") {
            let _ = stream.write_all(b"221 bye\r\n");
            break;
        } else if got.ends_with(b"\r\n") && got.starts_with(b"HELO ") && !got.contains(&b'Q') {
            let _ = stream.write_all(b"250 hello\r\n");
        }
    }
    requests.lock().unwrap().push(got);
}

/// An address on which nothing listens (bound once, then closed).
pub fn closed_port() -> SocketAddr {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap()
}

/// A check of `kind` at `target` with `timeout_ms` as connect_timeout.
pub fn check(kind: CheckKind, target: SocketAddr, timeout_ms: u64) -> Check {
    Check {
        kind,
        target,
        bindto: None,
        bind_port: None,
        sock: Default::default(),
        connect_timeout: Duration::from_millis(timeout_ms),
        retry: 0,
        delay_before_retry: Duration::from_secs(1),
        rise: 1,
        jitter_percent: 0,
        delay_loop: Duration::from_secs(1),
        warmup: Duration::ZERO,
    }
}

pub fn url(path: &str, digest: Option<[u8; 16]>) -> Url {
    Url {
        path: path.into(),
        digest,
        status: StatusCodes::new(),
        virtualhost: None,
        regex: None,
    }
}

pub fn http(urls: Vec<Url>) -> CheckKind {
    CheckKind::Http(HttpCheck {
        tls: None,
        urls: urls.into(),
        virtualhost: None,
        protocol: Default::default(),
        fast_recovery: false,
    })
}

/// Drives one attempt of `check` on a fresh slot with a private mio loop, as the
/// reactor does: poll until the slot's deadline, feed events, then the deadline.
pub fn run(check: &Check) -> Outcome {
    let mut slot = ProbeSlot::new();
    run_on(&mut slot, check)
}

/// As `run`, reusing `slot` (to show that a slot serves attempt after attempt).
pub fn run_on(slot: &mut ProbeSlot, check: &Check) -> Outcome {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(16);
    let token = Token(42);
    let begun = Instant::now();
    let mut step = slot.start(check, poll.registry(), token, begun);
    for _ in 0..100_000 {
        if let Step::Done(outcome) = step {
            assert!(slot.is_idle(), "slot idle after its verdict");
            assert_eq!(slot.deadline(), None);
            return outcome;
        }
        assert!(begun.elapsed() < RUN_BOUND, "probe ran past {RUN_BOUND:?}");
        let now = Instant::now();
        let deadline = slot.deadline().expect("a pending slot has a deadline");
        if now >= deadline {
            step = slot.on_deadline(poll.registry(), now);
            continue;
        }
        poll.poll(&mut events, Some(deadline - now)).unwrap();
        step = Step::Pending;
        for ev in events.iter() {
            assert_eq!(ev.token(), token);
            step = slot.on_event(check, ev, poll.registry(), Instant::now());
            if matches!(step, Step::Done(_)) {
                break;
            }
        }
    }
    panic!("probe loop did not finish");
}

/// The verdict text: "up" or the reason users read.
pub fn verdict(o: &Outcome) -> String {
    match o.result {
        Ok(up) => match up.weight {
            None => "up".to_string(),
            Some(w) => format!("up weight {w}"),
        },
        Err(r) => r.to_string(),
    }
}

pub fn timeout_text(ms: u64) -> String {
    Reason::Timeout { ms }.to_string()
}

/// A UDP server: echoes every datagram when `echo`, else stays silent. Returns its
/// address; it stops when the returned guard is dropped.
pub struct UdpServer {
    pub addr: SocketAddr,
    stop: Arc<AtomicBool>,
    handle: Option<JoinHandle<()>>,
}

impl UdpServer {
    /// `reply` maps each received datagram to the datagram sent back (None = silence).
    pub fn start(reply: fn(&[u8]) -> Option<Vec<u8>>) -> UdpServer {
        let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
        sock.set_read_timeout(Some(Duration::from_millis(20)))
            .unwrap();
        let addr = sock.local_addr().unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let s = stop.clone();
        let handle = thread::spawn(move || {
            let born = Instant::now();
            let mut buf = [0u8; 2048];
            while !s.load(Ordering::Relaxed) && born.elapsed() < SERVER_LIFETIME {
                if let Ok((n, peer)) = sock.recv_from(&mut buf) {
                    if let Some(out) = reply(&buf[..n]) {
                        let _ = sock.send_to(&out, peer);
                    }
                }
            }
        });
        UdpServer {
            addr,
            stop,
            handle: Some(handle),
        }
    }
}

impl Drop for UdpServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

/// A UDP port on which nothing listens.
pub fn closed_udp_port() -> SocketAddr {
    let s = UdpSocket::bind("127.0.0.1:0").unwrap();
    s.local_addr().unwrap()
}

/// DNS responder answers (RFC 1035 4.1) built from the query: the question echoed, one
/// A record 127.0.0.1 whose owner is a pointer to the question name.
pub fn dns_answer(query: &[u8], rcode: u8) -> Vec<u8> {
    let mut a = query.to_vec();
    if a.len() < 12 {
        return a;
    }
    a[2] = 0x80 | (query[2] & 0x01); // QR, RD copied
    a[3] = 0x80 | rcode; // RA
    a[6] = 0;
    a[7] = if rcode == 0 { 1 } else { 0 };
    if rcode == 0 {
        a.extend_from_slice(&[0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 127, 0, 0, 1]);
    }
    a
}

pub fn dns_good(q: &[u8]) -> Option<Vec<u8>> {
    Some(dns_answer(q, 0))
}

pub fn dns_nxdomain(q: &[u8]) -> Option<Vec<u8>> {
    Some(dns_answer(q, 3))
}

pub fn dns_wrong_id(q: &[u8]) -> Option<Vec<u8>> {
    let mut a = dns_answer(q, 0);
    a[1] ^= 0xff;
    Some(a)
}

pub fn dns_truncated(q: &[u8]) -> Option<Vec<u8>> {
    let a = dns_answer(q, 0);
    Some(a[..a.len() - 3].to_vec())
}

pub fn dns_looping_pointer(q: &[u8]) -> Option<Vec<u8>> {
    let mut a = dns_answer(q, 0);
    // The answer's owner name points at itself.
    let at = q.len();
    a[at + 1] = at as u8;
    Some(a)
}

pub fn udp_echo(d: &[u8]) -> Option<Vec<u8>> {
    Some(d.to_vec())
}

pub fn udp_silent(_: &[u8]) -> Option<Vec<u8>> {
    None
}

/// Drives several attempts at once on one Poll, one slot and one token per check (the
/// reactor's shape). Returns the outcomes in the order of `checks`.
pub fn run_many(checks: &[Check]) -> Vec<Outcome> {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(64);
    let mut slots: Vec<ProbeSlot> = checks.iter().map(|_| ProbeSlot::new()).collect();
    let mut done: Vec<Option<Outcome>> = vec![None; checks.len()];
    let begun = Instant::now();
    for (i, (slot, c)) in slots.iter_mut().zip(checks).enumerate() {
        if let Step::Done(o) = slot.start(c, poll.registry(), Token(i), begun) {
            done[i] = Some(o);
        }
    }
    for _ in 0..100_000 {
        if done.iter().all(Option::is_some) {
            return done.into_iter().map(Option::unwrap).collect();
        }
        assert!(begun.elapsed() < RUN_BOUND, "probes ran past {RUN_BOUND:?}");
        let now = Instant::now();
        for (i, slot) in slots.iter_mut().enumerate() {
            if done[i].is_none() && slot.deadline().is_some_and(|d| d <= now) {
                if let Step::Done(o) = slot.on_deadline(poll.registry(), now) {
                    done[i] = Some(o);
                }
            }
        }
        let next = slots
            .iter()
            .enumerate()
            .filter(|(i, _)| done[*i].is_none())
            .filter_map(|(_, s)| s.deadline())
            .min();
        let Some(next) = next else { continue };
        poll.poll(
            &mut events,
            Some(next.saturating_duration_since(Instant::now())),
        )
        .unwrap();
        for ev in events.iter() {
            let i = ev.token().0;
            if done[i].is_some() {
                continue; // stale event for a finished slot
            }
            if let Step::Done(o) =
                slots[i].on_event(&checks[i], ev, poll.registry(), Instant::now())
            {
                done[i] = Some(o);
            }
        }
    }
    panic!("probe loop did not finish");
}
