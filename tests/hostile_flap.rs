//! A flapping real server against the whole daemon in --dry-run (loopback only): its port
//! opens and closes every 10–90 ms, faster than the 100 ms delay_loop, so consecutive
//! checks disagree often. Each state change must be logged exactly once, cause exactly one
//! dry-run operation (no operation storm), and when the flapping stops the table must
//! match the server's final health.

mod common;

use std::net::{SocketAddr, TcpListener};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{free_port, scratch, Daemon, RealServer};

/// Opens and closes `addr` at pseudo-random intervals of 10–90 ms until told to stop;
/// accepted connections are closed at once (TCP_CHECK only needs the handshake).
fn flap(addr: SocketAddr, stop: Arc<AtomicBool>) -> std::thread::JoinHandle<u32> {
    std::thread::spawn(move || {
        let mut seed: u32 = 0x2545_f491;
        let mut next = move || {
            // xorshift32: a fixed sequence, so a run is repeatable up to scheduling.
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            Duration::from_millis(10 + u64::from(seed % 81))
        };
        let mut openings = 0;
        // Bounded: at most 60 s of flapping.
        let until = Instant::now() + Duration::from_secs(60);
        while !stop.load(Ordering::SeqCst) && Instant::now() < until {
            if let Ok(l) = TcpListener::bind(addr) {
                openings += 1;
                l.set_nonblocking(true).unwrap();
                let open_until = Instant::now() + next();
                while Instant::now() < open_until {
                    while l.accept().is_ok() {}
                    std::thread::sleep(Duration::from_millis(1));
                }
                while l.accept().is_ok() {}
            }
            std::thread::sleep(next());
        }
        openings
    })
}

fn config(port: u16, flapper: &str, steady: &str) -> String {
    let real = |addr: &str| {
        format!(
            "    real_server {addr} {port} {{\n        weight 2\n        TCP_CHECK {{\n            connect_timeout 0.5\n            retry 0\n        }}\n    }}\n"
        )
    };
    format!(
        "virtual_server 192.0.2.20 80 {{\n    delay_loop 0.1\n    lb_algo wrr\n    lb_kind NAT\n    protocol TCP\n{}{}}}\n",
        real(flapper),
        real(steady)
    )
}

#[test]
fn flapping_server_logs_each_change_once_with_one_operation_each() {
    let dir = scratch("flap");
    let port = free_port();
    let flapper = format!("127.0.10.1:{port}");
    let steady = format!("127.0.10.2:{port}");
    let _steady_server = RealServer::start(steady.parse().unwrap());
    let stop = Arc::new(AtomicBool::new(false));
    let flapping = flap(flapper.parse().unwrap(), stop.clone());
    let d = Daemon::start(&dir, &config(port, "127.0.10.1", "127.0.10.2"));

    // Flap until at least 20 transitions were logged (bounded by the wait's limit).
    let down_line = format!("real server {flapper} is DOWN");
    let up_line = format!("real server {flapper} is UP");
    d.wait_for("20 transitions", Duration::from_secs(40), |d| {
        let log = d.log_text();
        log.matches(&down_line).count() + log.matches(&up_line).count() >= 20
    });
    stop.store(true, Ordering::SeqCst);
    let openings = flapping.join().unwrap();
    // Final health: up and serving for good.
    let _final_server = RealServer::start(flapper.parse().unwrap());
    d.wait_for(
        "flapper up and in the table",
        Duration::from_secs(20),
        |d| {
            let rs = d.real(&flapper);
            rs.get("health").as_str() == Some("up") && rs.get("in_table").as_bool() == Some(true)
        },
    );
    // Let a few more checks pass against the steady state: nothing more may happen.
    std::thread::sleep(Duration::from_millis(500));

    let log = d.log_text();
    let changes: Vec<&str> = log
        .lines()
        .filter(|l| l.contains(&down_line) || l.contains(&up_line))
        .collect();
    // Exactly once each: DOWN and UP strictly alternate, starting with DOWN (the server
    // starts up, keepalived's default) and ending with UP (its final health).
    for (i, l) in changes.iter().enumerate() {
        let want = if i % 2 == 0 { &down_line } else { &up_line };
        assert!(
            l.contains(want.as_str()),
            "change {i} is not '{want}': {changes:#?}"
        );
    }
    assert!(changes.last().unwrap().contains(&up_line), "{changes:#?}");

    // One operation per change, the same alternation, nothing else after the start-up.
    let ops = d.ops();
    let rs_ops: Vec<&String> = ops.iter().filter(|o| o.contains(&flapper)).collect();
    let add = format!("-a -t 192.0.2.20:80 -r {flapper} -m -w 2");
    let del = format!("-d -t 192.0.2.20:80 -r {flapper}");
    assert_eq!(rs_ops.len(), 1 + changes.len(), "{ops:#?}\n{changes:#?}");
    for (i, op) in rs_ops.iter().enumerate() {
        let want = if i % 2 == 0 { &add } else { &del };
        assert_eq!(*op, want, "operation {i}: {ops:#?}");
    }
    // The service and the steady server: added once, never touched again.
    assert_eq!(ops.len(), 2 + rs_ops.len(), "{ops:#?}");
    assert!(ops.contains(&format!("-a -t 192.0.2.20:80 -r {steady} -m -w 2")));
    assert_eq!(
        log.matches(&format!("real server {steady} is")).count(),
        0,
        "the steady server changed"
    );
    eprintln!(
        "flap: {} port openings, {} logged changes, {} operations",
        openings,
        changes.len(),
        ops.len()
    );

    // The final table holds both, with their weights.
    let status = d.status();
    let reals = status.get("services").as_array()[0].get("reals").as_array();
    for rs in reals {
        assert_eq!(rs.get("in_table").as_bool(), Some(true), "{rs:?}");
        assert_eq!(rs.get("current_weight").as_i64(), Some(2), "{rs:?}");
    }
    assert_eq!(d.stop(), 0);
}
