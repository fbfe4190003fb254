//! The health extensions against the whole daemon in --dry-run, on loopback: `rise 3`
//! keeps a real server that flaps every second out of the table, `slow_start 5` brings
//! a returning one back through the exact `-e` weight steps, and an agent answering
//! drain, then 50%, then up gives exactly the edits its words call for.

mod common;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{free_port, scratch, Daemon, RealServer};

/// Two real servers, `net`.1 and `net`.2, weight 10, TCP_CHECK with retry 0; `vs_extra`
/// goes into the service, `rs1_extra` into the first real server only. Each test has a
/// `net` of its own, so that ports picked by parallel tests cannot collide.
fn config(net: &str, port: u16, vs_extra: &str, rs1_extra: &str) -> String {
    let real = |addr: &str, extra: &str| {
        format!(
            "    real_server {addr} {port} {{\n        weight 10\n{extra}\n        TCP_CHECK {{\n            connect_timeout 0.5\n            retry 0\n        }}\n    }}\n"
        )
    };
    format!(
        "virtual_server 192.0.2.30 80 {{\n    lb_algo wlc\n    lb_kind NAT\n    protocol TCP\n{vs_extra}\n{}{}}}\n",
        real(&format!("{net}.1"), rs1_extra),
        real(&format!("{net}.2"), "")
    )
}

/// Listens on `addr` for one second (accepting and closing: TCP_CHECK needs only the
/// handshake), closes it for one second, and so on until told to stop (bounded: 60 s).
/// Returns how many up-seconds it had; a second in which the port could not be bound
/// (another process holding it for a moment) is skipped, not fatal.
fn flap_every_second(addr: SocketAddr, stop: Arc<AtomicBool>) -> std::thread::JoinHandle<u32> {
    std::thread::spawn(move || {
        let until = Instant::now() + Duration::from_secs(60);
        let mut ups = 0;
        while !stop.load(Ordering::SeqCst) && Instant::now() < until {
            if let Ok(l) = std::net::TcpListener::bind(addr) {
                ups += 1;
                l.set_nonblocking(true).unwrap();
                let open_until = Instant::now() + Duration::from_secs(1);
                while Instant::now() < open_until {
                    while l.accept().is_ok() {}
                    std::thread::sleep(Duration::from_millis(2));
                }
            }
            std::thread::sleep(Duration::from_secs(1));
        }
        ups
    })
}

#[test]
fn rise_three_keeps_a_server_flapping_every_second_out() {
    let dir = scratch("rise");
    let port = free_port();
    let flapper = format!("127.0.11.1:{port}");
    let steady = format!("127.0.11.2:{port}");
    let _steady = RealServer::start(steady.parse().unwrap());
    // delay_loop 0.8: an up second holds at most two checks, never the three rise wants
    // (even when a loaded machine stretches it by half a second).
    let d = Daemon::start(
        &dir,
        &config("127.0.11", port, "    delay_loop 0.8\n    rise 3", ""),
    );
    d.wait_for("flapper down", Duration::from_secs(10), |d| {
        d.real(&flapper).get("health").as_str() == Some("down")
    });
    let stop = Arc::new(AtomicBool::new(false));
    let flapping = flap_every_second(flapper.parse().unwrap(), stop.clone());
    // It does make progress (the checks see it up), but never enough.
    d.wait_for("a rising flapper", Duration::from_secs(10), |d| {
        d.real(&flapper).get("rising").get("rise").as_i64() == Some(3)
    });
    std::thread::sleep(Duration::from_secs(8));
    stop.store(true, Ordering::SeqCst);
    let ups = flapping.join().unwrap();
    assert!(ups >= 3, "the server came up only {ups} times");
    let del = format!("-d -t 192.0.2.30:80 -r {flapper}");
    let add = format!("-a -t 192.0.2.30:80 -r {flapper} -m -w 10");
    let mine = |d: &Daemon| -> Vec<String> {
        d.ops()
            .into_iter()
            .filter(|o| o.contains(&flapper))
            .collect()
    };
    assert_eq!(mine(&d), [add.clone(), del.clone()], "{}", d.log_text());
    assert!(!d
        .log_text()
        .contains(&format!("real server {flapper} is UP")));

    // Up for good: back after three successes in a row. (The flapper's last listener is
    // closed; a bind that meets the port held for a moment is tried again, bounded.)
    let _up = (0..50)
        .find_map(|_| {
            std::panic::catch_unwind(|| RealServer::start(flapper.parse().unwrap()))
                .ok()
                .or_else(|| {
                    std::thread::sleep(Duration::from_millis(100));
                    None
                })
        })
        .expect("the flapper's address could not be bound again");
    d.wait_for("flapper back", Duration::from_secs(10), |d| {
        d.real(&flapper).get("in_table").as_bool() == Some(true)
    });
    assert_eq!(mine(&d), [add.clone(), del, add]);
    assert_eq!(d.stop(), 0);
}

#[test]
fn slow_start_five_logs_the_exact_weight_steps() {
    let dir = scratch("slowstart");
    let port = free_port();
    let a = format!("127.0.12.1:{port}");
    let b = format!("127.0.12.2:{port}");
    let mut server_a = RealServer::start(a.parse().unwrap());
    let _server_b = RealServer::start(b.parse().unwrap());
    let d = Daemon::start(
        &dir,
        &config("127.0.12", port, "    delay_loop 0.3\n    slow_start 5", ""),
    );
    d.wait_for("both checked", Duration::from_secs(10), |d| {
        d.real(&a).get("last_result").as_str() == Some("ok")
    });
    server_a.kill();
    d.wait_for("a down", Duration::from_secs(10), |d| {
        d.real(&a).get("health").as_str() == Some("down")
    });
    server_a.restore();
    d.wait_for("a ramping", Duration::from_secs(10), |d| {
        d.real(&a).get("slow_start").get("seconds").as_i64() == Some(5)
    });
    d.wait_for("a at full weight", Duration::from_secs(15), |d| {
        d.real(&a).get("current_weight").as_i64() == Some(10)
            && d.real(&a)
                .get("slow_start")
                .get("seconds")
                .as_i64()
                .is_none()
    });
    let mine: Vec<String> = d.ops().into_iter().filter(|o| o.contains(&a)).collect();
    let rule = |op: &str, w: u32| format!("{op} -t 192.0.2.30:80 -r {a} -m -w {w}");
    assert_eq!(
        mine,
        [
            rule("-a", 10),
            format!("-d -t 192.0.2.30:80 -r {a}"),
            rule("-a", 1),
            rule("-e", 2),
            rule("-e", 4),
            rule("-e", 6),
            rule("-e", 8),
            rule("-e", 10),
        ],
        "{}",
        d.log_text()
    );
    assert!(d.log_text().contains(&format!(
        "real server {a} is UP (slow start: full weight in 5 s)"
    )));
    // The steady server was never touched after the start.
    let other: Vec<String> = d.ops().into_iter().filter(|o| o.contains(&b)).collect();
    assert_eq!(other, [format!("-a -t 192.0.2.30:80 -r {b} -m -w 10")]);
    assert_eq!(d.stop(), 0);
}

/// An agent on `addr` that answers every connection with the current `reply` and closes
/// (bounded: 60 s).
fn agent(
    addr: SocketAddr,
    reply: Arc<std::sync::Mutex<&'static str>>,
    stop: Arc<AtomicBool>,
) -> std::thread::JoinHandle<()> {
    use std::io::Write;
    let l = std::net::TcpListener::bind(addr).unwrap();
    l.set_nonblocking(true).unwrap();
    std::thread::spawn(move || {
        let until = Instant::now() + Duration::from_secs(60);
        while !stop.load(Ordering::SeqCst) && Instant::now() < until {
            match l.accept() {
                Ok((mut c, _)) => {
                    let text = *reply.lock().unwrap();
                    let _ = c.write_all(text.as_bytes());
                }
                Err(_) => std::thread::sleep(Duration::from_millis(5)),
            }
        }
    })
}

#[test]
fn an_agent_answering_drain_then_half_then_up_gives_the_expected_edits() {
    let dir = scratch("agent");
    let port = free_port();
    // Bounded: two draws in a row are almost never equal.
    let agent_port = (0..100).map(|_| free_port()).find(|&p| p != port).unwrap();
    let a = format!("127.0.13.1:{port}");
    let b = format!("127.0.13.2:{port}");
    let _sa = RealServer::start(a.parse().unwrap());
    let _sb = RealServer::start(b.parse().unwrap());
    let reply = Arc::new(std::sync::Mutex::new("ready\n"));
    let stop = Arc::new(AtomicBool::new(false));
    let agent_addr: SocketAddr = format!("127.0.13.1:{agent_port}").parse().unwrap();
    let server = agent(agent_addr, reply.clone(), stop.clone());
    let rs_extra = format!(
        "        agent_check {{\n            port {agent_port}\n            interval 0.2\n            timeout 0.5\n        }}"
    );
    let d = Daemon::start(
        &dir,
        &config("127.0.13", port, "    delay_loop 0.3", &rs_extra),
    );
    let weight = |d: &Daemon| d.real(&a).get("current_weight").as_i64();
    d.wait_for("a in the table", Duration::from_secs(10), |d| {
        weight(d) == Some(10)
    });

    *reply.lock().unwrap() = "drain\n";
    d.wait_for("a drained", Duration::from_secs(10), |d| {
        weight(d) == Some(0)
    });
    assert_eq!(d.real(&a).get("in_table").as_bool(), Some(true));
    *reply.lock().unwrap() = "50%\n";
    d.wait_for("the agent's 50 %", Duration::from_secs(10), |d| {
        d.real(&a).get("agent").get("percent").as_i64() == Some(50)
    });
    assert_eq!(weight(&d), Some(0), "a percentage does not lift a drain");
    *reply.lock().unwrap() = "up\n";
    d.wait_for("a at half weight", Duration::from_secs(10), |d| {
        weight(d) == Some(5)
    });
    stop.store(true, Ordering::SeqCst);
    server.join().unwrap();

    let mine: Vec<String> = d.ops().into_iter().filter(|o| o.contains(&a)).collect();
    let rule = |op: &str, w: u32| format!("{op} -t 192.0.2.30:80 -r {a} -m -w {w}");
    assert_eq!(
        mine,
        [rule("-a", 10), rule("-e", 0), rule("-e", 5)],
        "{}",
        d.log_text()
    );
    let log = d.log_text();
    for said in ["agent: drain", "agent: drain, 50%", "agent: 50%"] {
        let line = format!("real server {a} {said}\n");
        assert_eq!(log.matches(&line).count(), 1, "{line:?} in\n{log}");
    }
    let other: Vec<String> = d.ops().into_iter().filter(|o| o.contains(&b)).collect();
    assert_eq!(other, [format!("-a -t 192.0.2.30:80 -r {b} -m -w 10")]);
    assert_eq!(d.stop(), 0);
}
