//! `responder load ADDR PORT RATE SECONDS`: a client for the wlc flood bench. Opens one
//! HTTP/1.0 connection after another to ADDR:PORT on a fixed schedule of RATE a second for
//! SECONDS (a connection still running when the next is due delays only that one), reads
//! each reply to its end and prints `LOAD <epoch seconds.micros> <last line of the body>`
//! per connection (`none` when it failed), the time being when it was opened. The real
//! servers (busybox httpd) answer their own name, so the lines say which one took it.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

const TIMEOUT: Duration = Duration::from_secs(2);

fn one(to: &SocketAddr) -> Option<String> {
    let mut s = TcpStream::connect_timeout(to, TIMEOUT).ok()?;
    s.set_read_timeout(Some(TIMEOUT)).ok()?;
    s.write_all(b"GET / HTTP/1.0\r\n\r\n").ok()?;
    let mut buf = Vec::with_capacity(512);
    // Bounded: at most 64 KiB of reply, each read under TIMEOUT.
    let mut chunk = [0u8; 4096];
    while buf.len() < 65536 {
        match s.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
            Err(_) => return None,
        }
    }
    let text = String::from_utf8_lossy(&buf);
    let body = text.split("\r\n\r\n").nth(1)?;
    body.lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .map(|l| l.trim().to_string())
}

pub fn run(a: &[String]) -> ! {
    let usage = || -> ! {
        eprintln!("usage: responder load ADDR PORT RATE SECONDS");
        std::process::exit(2)
    };
    if a.len() != 4 {
        usage();
    }
    let (Ok(ip), Ok(port), Ok(rate), Ok(secs)) = (
        a[0].parse::<std::net::IpAddr>(),
        a[1].parse::<u16>(),
        a[2].parse::<u32>(),
        a[3].parse::<u64>(),
    ) else {
        usage()
    };
    if rate == 0 {
        usage();
    }
    let to = SocketAddr::new(ip, port);
    let step = Duration::from_secs(1) / rate;
    let start = Instant::now();
    let end = start + Duration::from_secs(secs);
    let mut due = start;
    let out = std::io::stdout();
    let mut out = out.lock();
    while due < end {
        let now = Instant::now();
        if due > now {
            std::thread::sleep(due - now);
        }
        let t = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        let who = one(&to).unwrap_or_else(|| "none".to_string());
        let _ = writeln!(out, "LOAD {}.{:06} {}", t.as_secs(), t.subsec_micros(), who);
        due += step;
    }
    let _ = out.flush();
    std::process::exit(0)
}
