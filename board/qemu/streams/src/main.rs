//! `streams`: the traffic of the qemu board's several-Director scenarios (ha-vrrp, ha-ecmp,
//! demo-ha) and of bench/vm/ha.sh. Busybox has no server that keeps a connection busy and
//! no client that watches fifty of them, and a shell loop per connection costs too much
//! under TCG, so this small static tool does both.
//!
//! - `streams serve PORT NAME [INTERVAL_MS]`: every accepted connection gets `NAME\n`, then
//!   one byte every INTERVAL_MS (default 100) until it fails. A connection that moved to
//!   another real server is reset by that server's TCP, so the name read first tells, for
//!   the whole life of a connection, which real server it is on.
//! - `streams client ADDR PORT LONG STATUS [options]`: holds LONG connections and rewrites
//!   STATUS every 500 ms, one line per connection:
//!   `long I SPORT NAME STATE BYTES SILENT_MS MAXGAP_MS` (STATE open, reset, eof, error:KIND,
//!   connect:KIND; SILENT_MS since the last byte; MAXGAP_MS the longest silence so far).
//!   Options: `--sport N` binds connection I to source port N+I (fixed flows for ECMP);
//!   `--short FILE MS` starts a short connection every MS and appends `START END ok NAME`
//!   or `START END fail KIND` to FILE (epoch ms when it started and ended; lines in order of
//!   ending; a success's END is when service was certainly back); `--seconds S` ends it (default 600).
//! - `streams flows ADDR PORT SPORT COUNT`: one connection from each source port SPORT..,
//!   in order, prints `SPORT NAME` (or `SPORT fail:KIND`) per line and closes with a reset
//!   (SO_LINGER 0), so no TIME_WAIT keeps the same flow from being opened again.
//! - `streams now`: wall-clock milliseconds since the epoch (busybox date has no %N).
//!
//! Every loop ends: connections at their deadline, the tool at `--seconds`.

use std::fs;
use std::io::{ErrorKind, Read, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::os::fd::FromRawFd;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

fn epoch_ms() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or(0)
}

fn die(msg: &str) -> ! {
    eprintln!("streams: {}", msg);
    std::process::exit(2);
}

fn num<T: std::str::FromStr>(s: Option<&String>, what: &str) -> T {
    s.and_then(|v| v.parse().ok())
        .unwrap_or_else(|| die(&format!("{} missing or not a number", what)))
}

// ---- server -------------------------------------------------------------------------

fn serve(a: &[String]) {
    let port: u16 = num(a.first(), "PORT");
    let name = a.get(1).unwrap_or_else(|| die("NAME missing")).clone();
    let interval = Duration::from_millis(a.get(2).map_or(100, |_| num(a.get(2), "INTERVAL_MS")));
    let l = TcpListener::bind(("0.0.0.0", port))
        .unwrap_or_else(|e| die(&format!("bind port {}: {}", port, e)));
    let conns: Arc<Mutex<Vec<TcpStream>>> = Arc::new(Mutex::new(Vec::new()));
    let c2 = conns.clone();
    std::thread::spawn(move || {
        let hello = format!("{}\n", name);
        for s in l.incoming() {
            let Ok(mut s) = s else { continue };
            let _ = s.set_nodelay(true);
            if s.write_all(hello.as_bytes()).is_err() || s.set_nonblocking(true).is_err() {
                continue;
            }
            if let Ok(mut v) = c2.lock() {
                v.push(s);
            }
        }
    });
    println!("streams: serving port {} every {:?}", port, interval);
    loop {
        std::thread::sleep(interval);
        if let Ok(mut v) = conns.lock() {
            // A full send buffer (the peer's ACKs are lost during a failover) keeps the
            // connection; TCP retransmits on its own.
            v.retain_mut(|s| match s.write(b".") {
                Ok(_) => true,
                Err(e) => e.kind() == ErrorKind::WouldBlock,
            });
        }
    }
}

// ---- client side --------------------------------------------------------------------

/// A TCP connection to ADDR:PORT, from source port SPORT when given (SO_REUSEADDR, so a
/// port whose last connection was reset can be bound again), connect bounded by TIMEOUT.
fn connect(
    addr: Ipv4Addr,
    port: u16,
    sport: Option<u16>,
    timeout: Duration,
) -> std::io::Result<TcpStream> {
    // SAFETY: plain socket calls on a descriptor this function owns until it is wrapped.
    unsafe {
        let fd = libc::socket(libc::AF_INET, libc::SOCK_STREAM | libc::SOCK_CLOEXEC, 0);
        if fd < 0 {
            return Err(std::io::Error::last_os_error());
        }
        let stream = TcpStream::from_raw_fd(fd);
        let tv = libc::timeval {
            tv_sec: timeout.as_secs() as _,
            tv_usec: timeout.subsec_micros() as _,
        };
        // SO_SNDTIMEO bounds connect() too (Linux).
        libc::setsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_SNDTIMEO,
            &tv as *const _ as *const libc::c_void,
            std::mem::size_of::<libc::timeval>() as libc::socklen_t,
        );
        let mk = |p: u16, a: Ipv4Addr| libc::sockaddr_in {
            sin_family: libc::AF_INET as libc::sa_family_t,
            sin_port: p.to_be(),
            sin_addr: libc::in_addr {
                s_addr: u32::from(a).to_be(),
            },
            sin_zero: [0; 8],
        };
        let len = std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t;
        if let Some(sp) = sport {
            let one: libc::c_int = 1;
            libc::setsockopt(
                fd,
                libc::SOL_SOCKET,
                libc::SO_REUSEADDR,
                &one as *const _ as *const libc::c_void,
                std::mem::size_of::<libc::c_int>() as libc::socklen_t,
            );
            let local = mk(sp, Ipv4Addr::UNSPECIFIED);
            if libc::bind(fd, &local as *const _ as *const libc::sockaddr, len) != 0 {
                return Err(std::io::Error::last_os_error());
            }
        }
        let dst = mk(port, addr);
        if libc::connect(fd, &dst as *const _ as *const libc::sockaddr, len) != 0 {
            return Err(std::io::Error::last_os_error());
        }
        Ok(stream)
    }
}

/// Reads the server's `NAME\n` (bounded by the stream's read timeout and 64 bytes).
fn read_name(s: &mut TcpStream) -> Result<String, String> {
    let mut name = Vec::new();
    let mut b = [0u8; 1];
    while name.len() < 64 {
        match s.read(&mut b) {
            Ok(0) => return Err("eof".into()),
            Ok(_) if b[0] == b'\n' => return Ok(String::from_utf8_lossy(&name).into_owned()),
            Ok(_) => name.push(b[0]),
            Err(e) => return Err(kind(&e)),
        }
    }
    Err("long-name".into())
}

fn kind(e: &std::io::Error) -> String {
    match e.kind() {
        ErrorKind::ConnectionReset => "reset".into(),
        ErrorKind::ConnectionRefused => "refused".into(),
        ErrorKind::WouldBlock | ErrorKind::TimedOut => "timeout".into(),
        _ => format!("os{}", e.raw_os_error().unwrap_or(0)),
    }
}

/// Closes with a reset instead of a FIN, so the client keeps no TIME_WAIT for the flow.
fn close_reset(s: TcpStream) {
    use std::os::fd::AsRawFd;
    let lg = libc::linger {
        l_onoff: 1,
        l_linger: 0,
    };
    // SAFETY: setsockopt on a descriptor owned by `s`, which is dropped right after.
    unsafe {
        libc::setsockopt(
            s.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_LINGER,
            &lg as *const _ as *const libc::c_void,
            std::mem::size_of::<libc::linger>() as libc::socklen_t,
        );
    }
    drop(s);
}

#[derive(Clone)]
struct Long {
    sport: u16,
    name: String,
    state: String,
    bytes: u64,
    last: Instant,
    max_gap: Duration,
}

fn hold(addr: Ipv4Addr, port: u16, sport: Option<u16>, me: Arc<Mutex<Long>>, deadline: Instant) {
    let set = |f: &dyn Fn(&mut Long)| {
        if let Ok(mut l) = me.lock() {
            f(&mut l)
        }
    };
    let mut s = match connect(addr, port, sport, Duration::from_secs(3)) {
        Ok(s) => s,
        Err(e) => return set(&|l| l.state = format!("connect:{}", kind(&e))),
    };
    if let Ok(a) = s.local_addr() {
        set(&|l| l.sport = a.port());
    }
    let _ = s.set_read_timeout(Some(Duration::from_secs(3)));
    match read_name(&mut s) {
        Ok(n) => set(&|l| {
            l.name = n.clone();
            l.state = "open".into();
            l.last = Instant::now();
        }),
        Err(k) => return set(&|l| l.state = format!("connect:{}", k)),
    }
    let _ = s.set_read_timeout(Some(Duration::from_millis(500)));
    let mut buf = [0u8; 256];
    while Instant::now() < deadline {
        let r = s.read(&mut buf);
        let now = Instant::now();
        match r {
            Ok(0) => return set(&|l| l.state = "eof".into()),
            Ok(n) => set(&|l| {
                l.bytes += n as u64;
                l.max_gap = l.max_gap.max(now - l.last);
                l.last = now;
            }),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(e) => {
                let k = kind(&e);
                return set(&|l| {
                    l.state = if k == "reset" {
                        k.clone()
                    } else {
                        format!("error:{}", k)
                    }
                });
            }
        }
    }
}

/// One short connection every EVERY, each in a thread of its own so that an attempt stuck
/// on a lost SYN (the second SYN leaves 1 s after the first) does not delay the next one:
/// the log then shows when new connections came back to within EVERY. Lines are appended
/// as attempts end, so they are not in start order.
fn short_loop(addr: Ipv4Addr, port: u16, log: String, every: Duration, deadline: Instant) {
    let f = fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&log)
        .unwrap_or_else(|e| die(&format!("{}: {}", log, e)));
    let f = Arc::new(Mutex::new(f));
    let mut next = Instant::now();
    while next < deadline {
        let f = f.clone();
        let at = epoch_ms();
        let spawned = std::thread::Builder::new()
            .stack_size(64 * 1024)
            .spawn(move || {
                let res = connect(addr, port, None, Duration::from_secs(1)).and_then(|mut s| {
                    s.set_read_timeout(Some(Duration::from_secs(1)))?;
                    read_name(&mut s).map_err(std::io::Error::other)
                });
                let end = epoch_ms();
                let line = match res {
                    Ok(n) => format!("{} {} ok {}\n", at, end, n),
                    Err(e) if e.kind() == ErrorKind::Other => {
                        format!("{} {} fail {}\n", at, end, e)
                    }
                    Err(e) => format!("{} {} fail {}\n", at, end, kind(&e)),
                };
                if let Ok(mut f) = f.lock() {
                    let _ = f.write_all(line.as_bytes());
                }
            });
        if let Err(e) = spawned {
            die(&format!("thread: {}", e));
        }
        next += every;
        if let Some(rest) = next.checked_duration_since(Instant::now()) {
            std::thread::sleep(rest);
        }
    }
}

fn client(a: &[String]) {
    let addr: Ipv4Addr = num(a.first(), "ADDR");
    let port: u16 = num(a.get(1), "PORT");
    let n: usize = num(a.get(2), "LONG");
    let status = a.get(3).unwrap_or_else(|| die("STATUS missing")).clone();
    let (mut sport, mut short, mut secs) = (None, None, 600u64);
    let mut i = 4;
    while i < a.len() {
        match a[i].as_str() {
            "--sport" => {
                sport = Some(num::<u16>(a.get(i + 1), "--sport"));
                i += 2;
            }
            "--short" => {
                let f = a
                    .get(i + 1)
                    .unwrap_or_else(|| die("--short FILE MS"))
                    .clone();
                short = Some((f, Duration::from_millis(num(a.get(i + 2), "--short MS"))));
                i += 3;
            }
            "--seconds" => {
                secs = num(a.get(i + 1), "--seconds");
                i += 2;
            }
            o => die(&format!("unknown option {}", o)),
        }
    }
    let deadline = Instant::now() + Duration::from_secs(secs);
    if let Some((log, every)) = short {
        std::thread::spawn(move || short_loop(addr, port, log, every, deadline));
    }
    let mut all = Vec::new();
    for k in 0..n {
        let me = Arc::new(Mutex::new(Long {
            sport: 0,
            name: "-".into(),
            state: "connecting".into(),
            bytes: 0,
            last: Instant::now(),
            max_gap: Duration::ZERO,
        }));
        all.push(me.clone());
        let sp = sport.map(|b: u16| b + k as u16);
        std::thread::Builder::new()
            .stack_size(64 * 1024)
            .spawn(move || hold(addr, port, sp, me, deadline))
            .unwrap_or_else(|e| die(&format!("thread: {}", e)));
        // Spread the SYNs: fifty at once would all race the first ARP resolution.
        std::thread::sleep(Duration::from_millis(20));
    }
    let tmp = format!("{}.tmp", status);
    while Instant::now() < deadline {
        let mut out = String::new();
        let now = Instant::now();
        for (k, l) in all.iter().enumerate() {
            let Ok(l) = l.lock().map(|l| l.clone()) else {
                continue;
            };
            out.push_str(&format!(
                "long {} {} {} {} {} {} {}\n",
                k,
                l.sport,
                l.name,
                l.state,
                l.bytes,
                (now - l.last).as_millis(),
                l.max_gap.as_millis()
            ));
        }
        if fs::write(&tmp, out).is_ok() {
            let _ = fs::rename(&tmp, &status);
        }
        std::thread::sleep(Duration::from_millis(500));
    }
}

fn flows(a: &[String]) {
    let addr: Ipv4Addr = num(a.first(), "ADDR");
    let port: u16 = num(a.get(1), "PORT");
    let first: u16 = num(a.get(2), "SPORT");
    let count: u16 = num(a.get(3), "COUNT");
    let mut out = String::new();
    for sp in first..first.saturating_add(count) {
        let r = connect(addr, port, Some(sp), Duration::from_secs(2)).and_then(|mut s| {
            s.set_read_timeout(Some(Duration::from_secs(2)))?;
            let n = read_name(&mut s);
            close_reset(s);
            n.map_err(std::io::Error::other)
        });
        match r {
            Ok(n) => out.push_str(&format!("{} {}\n", sp, n)),
            Err(e) if e.kind() == ErrorKind::Other => out.push_str(&format!("{} fail:{}\n", sp, e)),
            Err(e) => out.push_str(&format!("{} fail:{}\n", sp, kind(&e))),
        }
    }
    print!("{}", out);
}

fn main() {
    let a: Vec<String> = std::env::args().collect();
    match a.get(1).map(String::as_str) {
        Some("serve") => serve(&a[2..]),
        Some("client") => client(&a[2..]),
        Some("flows") => flows(&a[2..]),
        Some("now") => println!("{}", epoch_ms()),
        _ => die("usage: streams serve PORT NAME [MS] | client ADDR PORT LONG STATUS [--sport N] [--short FILE MS] [--seconds S] | flows ADDR PORT SPORT COUNT | now"),
    }
}
