//! A tiny non-forking HTTP responder for `make bench`: answers every connection on the
//! given ports with `HTTP/1.0 200 OK` and records when each real server (local address and
//! port of the accepted connection) was checked, so the spacing of one tool's checks can be
//! measured from outside the tool, the same way for lvsmon and keepalived.
//!
//! Usage: responder PORT_FIRST PORT_LAST THREADS_PER_PORT SECONDS INTERVAL_MS [WARMUP_S
//! [LINGER_S]]
//! Listens on 0.0.0.0 (every local address) for SECONDS, then prints one summary line:
//! `RESPONDER conns=N servers=S window_s=W rate=R/s gap_p50_ms gap_p99_ms gap_max_ms
//! late_p50_ms late_p99_ms` where gap is the time between two successive connections to
//! the same real server and late = gap - INTERVAL_MS (how far a check started after the
//! tool's interval; it includes the previous check's own duration, microseconds here).
//! `sched_p50_ms sched_p99_ms` measure the same against the keepalived timing model both
//! tools follow (the next check starts delay_loop after the previous one completes): the
//! time from the end of the responder's reply to a server until that server's next check
//! arrives, minus INTERVAL_MS, i.e. how late each tool started a check by its own rules.
//! Connections in the first WARMUP_S seconds only seed the per-server clocks. With
//! LINGER_S it keeps answering (uncounted) that many seconds after the summary, so a tool
//! still running while the scenario collects its numbers does not see every real server
//! refuse at once.
//!
//! `RESPONDER_TLS=1.2` or `1.3` in the environment makes every connection a TLS session of
//! that version (src/tls.rs), for the SSL_GET bench. `responder load ...` is the wlc flood
//! bench's client (src/load.rs).

mod floor;
mod load;
mod tls;

use std::collections::HashMap;
use std::io::Write;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const REPLY: &[u8] = b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 3\r\nConnection: close\r\n\r\nok\n";

struct Record {
    /// Per real server: when its last check arrived and when the reply to it was written.
    last: HashMap<SocketAddr, (Instant, Instant)>,
    gaps_us: Vec<u64>,
    sched_late_us: Vec<u64>,
    conns: u64,
}

fn handle(s: TcpStream, tls_cfg: &Option<Arc<rustls::ServerConfig>>) {
    let _ = s.set_read_timeout(Some(Duration::from_millis(500)));
    match tls_cfg {
        Some(cfg) => tls::serve(cfg, s, reply),
        None => reply(&mut { s }),
    }
}

/// Reads the request head and writes the fixed reply, over plain TCP or TLS.
fn reply(s: &mut dyn tls::RW) {
    let mut buf = [0u8; 2048];
    let mut n = 0;
    // Read until the end of the request head (bounded by the buffer and the timeout).
    while n < buf.len() {
        match s.read(&mut buf[n..]) {
            Ok(0) | Err(_) => break,
            Ok(k) => {
                n += k;
                if buf[..n].windows(4).any(|w| w == b"\r\n\r\n") {
                    break;
                }
            }
        }
    }
    let _ = s.write_all(REPLY);
}

fn pct(v: &[u64], p: f64) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    let i = ((v.len() as f64 - 1.0) * p).round() as usize;
    v[i] as f64 / 1000.0
}

/// `responder now`: wall-clock seconds with microseconds (busybox date has no %N).
/// `responder time CMD ARGS...`: runs CMD (stdin, stdout inherited), then prints
/// `elapsed_us=N rc=C` on stderr and exits with CMD's code.
/// `responder floor CONFIG SECONDS`: the bare checker of src/floor.rs.
fn helpers(a: &[String]) {
    match a.get(1).map(String::as_str) {
        Some("now") => {
            let t = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap_or_default();
            println!("{}.{:06}", t.as_secs(), t.subsec_micros());
            std::process::exit(0);
        }
        Some("floor") => floor::run(&a[2..]),
        Some("load") => load::run(&a[2..]),
        Some("time") if a.len() > 2 => {
            let t0 = Instant::now();
            let st = std::process::Command::new(&a[2]).args(&a[3..]).status();
            let us = t0.elapsed().as_micros();
            let rc = st.ok().and_then(|s| s.code()).unwrap_or(127);
            eprintln!("elapsed_us={} rc={}", us, rc);
            std::process::exit(rc);
        }
        _ => {}
    }
}

fn main() {
    let a: Vec<String> = std::env::args().collect();
    helpers(&a);
    if a.len() < 6 {
        eprintln!(
            "usage: responder PORT_FIRST PORT_LAST THREADS_PER_PORT SECONDS INTERVAL_MS [WARMUP_S [LINGER_S]]"
        );
        std::process::exit(2);
    }
    let p0: u16 = a[1].parse().expect("PORT_FIRST");
    let p1: u16 = a[2].parse().expect("PORT_LAST");
    let threads: usize = a[3].parse().expect("THREADS_PER_PORT");
    let secs: u64 = a[4].parse().expect("SECONDS");
    let interval_us: u64 = a[5].parse::<u64>().expect("INTERVAL_MS") * 1000;
    let warmup = Duration::from_secs(a.get(6).map(|s| s.parse().expect("WARMUP_S")).unwrap_or(0));
    let linger = Duration::from_secs(a.get(7).map(|s| s.parse().expect("LINGER_S")).unwrap_or(0));
    // RESPONDER_TLS=1.2|1.3: every connection is a TLS session of that version (tls.rs).
    let tls_cfg = match std::env::var("RESPONDER_TLS") {
        Ok(v) => match tls::config(&v) {
            Ok(c) => Some(c),
            Err(e) => {
                eprintln!("responder: {e}");
                std::process::exit(2);
            }
        },
        Err(_) => None,
    };
    let start = Instant::now();
    let stop = Arc::new(AtomicBool::new(false));
    let rec = Arc::new(Mutex::new(Record {
        last: HashMap::new(),
        gaps_us: Vec::with_capacity(1 << 20),
        sched_late_us: Vec::with_capacity(1 << 20),
        conns: 0,
    }));
    let mut joins = Vec::new();
    for port in p0..=p1 {
        let l = TcpListener::bind(("0.0.0.0", port)).expect("bind");
        for _ in 0..threads {
            let l = l.try_clone().expect("clone listener");
            let stop = stop.clone();
            let rec = rec.clone();
            let tls_cfg = tls_cfg.clone();
            joins.push(std::thread::spawn(move || loop {
                let (s, _) = match l.accept() {
                    Ok(x) => x,
                    Err(_) => continue,
                };
                if stop.load(Ordering::SeqCst) {
                    // Past the window: answer, count nothing (LINGER_S).
                    handle(s, &tls_cfg);
                    continue;
                }
                let now = Instant::now();
                let local = s.local_addr().ok();
                if let Some(local) = local {
                    let mut r = rec.lock().unwrap();
                    let prev = r.last.insert(local, (now, now));
                    if now.duration_since(start) >= warmup {
                        r.conns += 1;
                        if let Some((arrived, replied)) = prev {
                            let g = now.duration_since(arrived).as_micros() as u64;
                            r.gaps_us.push(g);
                            let since_reply = now.duration_since(replied).as_micros() as u64;
                            r.sched_late_us
                                .push(since_reply.saturating_sub(interval_us));
                        }
                    }
                }
                handle(s, &tls_cfg);
                if let Some(local) = local {
                    let done = Instant::now();
                    if let Some(e) = rec.lock().unwrap().last.get_mut(&local) {
                        e.1 = done;
                    }
                }
            }));
        }
    }
    println!(
        "RESPONDER ready ports {}-{} threads {}",
        p0,
        p1,
        joins.len()
    );
    std::thread::sleep(Duration::from_secs(secs));
    stop.store(true, Ordering::SeqCst);
    let r = rec.lock().unwrap();
    let mut gaps = r.gaps_us.clone();
    let mut sched = r.sched_late_us.clone();
    let conns = r.conns;
    let servers = r.last.len();
    drop(r);
    gaps.sort_unstable();
    sched.sort_unstable();
    let late: Vec<u64> = gaps.iter().map(|g| g.saturating_sub(interval_us)).collect();
    let window = secs.saturating_sub(warmup.as_secs()).max(1) as f64;
    println!(
        "RESPONDER conns={} servers={} window_s={} rate={:.1}/s gap_p50_ms={:.1} gap_p99_ms={:.1} gap_max_ms={:.1} late_p50_ms={:.1} late_p99_ms={:.1} sched_p50_ms={:.1} sched_p99_ms={:.1}",
        conns,
        servers,
        window,
        conns as f64 / window,
        pct(&gaps, 0.5),
        pct(&gaps, 0.99),
        pct(&gaps, 1.0),
        pct(&late, 0.5),
        pct(&late, 0.99),
        pct(&sched, 0.5),
        pct(&sched, 0.99)
    );
    let _ = std::io::stdout().flush();
    std::thread::sleep(linger);
    // Acceptor threads stay blocked in accept(); exiting the process ends them.
    std::process::exit(0);
}
