//! `lvsmon run --http` from the outside: a dry-run daemon on loopback, scraped with a
//! plain TCP client. /metrics passes Debian's `promtool check metrics` and its values
//! follow a real server that dies; /status.json is `status --json`; hostile clients
//! (idle connections, a slowloris, a 1 MB request line, garbage, pipelined requests) get
//! their error or are closed while the checks keep running and the daemon's memory and
//! descriptors stay flat.

mod common;

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{scratch, Daemon, Json, RealServer};

/// The address the daemon's log says it serves on.
fn http_addr(d: &Daemon) -> SocketAddr {
    let mut found = None;
    d.wait_for("the http listener", Duration::from_secs(10), |d| {
        found = d.log_text().lines().find_map(|l| {
            let rest = l.split_once("status page on http://")?.1;
            rest.trim_end_matches('/').parse().ok()
        });
        found.is_some()
    });
    found.unwrap()
}

/// Sends `request` as is and reads the whole reply (the server closes after one).
fn exchange(addr: SocketAddr, request: &[u8]) -> String {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(15))).unwrap();
    s.write_all(request).unwrap();
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    String::from_utf8_lossy(&out).into_owned()
}

fn get(addr: SocketAddr, path: &str) -> (u16, String) {
    let reply = exchange(
        addr,
        format!("GET {} HTTP/1.1\r\nHost: lvsmon\r\n\r\n", path).as_bytes(),
    );
    let code = reply
        .get(9..12)
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP reply: {:?}", reply));
    let body = reply
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (code, body)
}

/// Runs `promtool check metrics` on `text`; panics with its complaints.
fn promtool(text: &str) {
    let mut child = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("promtool is not installed: apt-get install prometheus (Debian)");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "promtool check metrics failed:\n{}{}\n--- exposition ---\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
        text
    );
}

/// Sample lines as `name{labels}` -> value.
fn samples(text: &str) -> BTreeMap<String, f64> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .filter_map(|l| {
            let (k, v) = l.rsplit_once(' ')?;
            Some((k.to_string(), v.parse().ok()?))
        })
        .collect()
}

fn value(m: &BTreeMap<String, f64>, key: &str) -> f64 {
    *m.get(key)
        .unwrap_or_else(|| panic!("no sample {} in {:#?}", key, m.keys()))
}

fn config(reals: &[&RealServer], delay: &str) -> String {
    let mut text = format!(
        "virtual_server 192.0.2.10 80 {{\n protocol TCP\n delay_loop {}\n lb_algo wrr\n lb_kind NAT\n sorry_server 192.0.2.99 80\n",
        delay
    );
    for r in reals {
        text.push_str(&format!(
            " real_server {} {} {{\n  weight 5\n  TCP_CHECK {{\n   connect_timeout 1\n   retry 0\n  }}\n }}\n",
            r.addr.ip(),
            r.addr.port()
        ));
    }
    text.push_str("}\n");
    text
}

fn real_key(family: &str, rs: &RealServer) -> String {
    format!(
        "{}{{virtual_server=\"TCP 192.0.2.10:80\",real_server=\"{}\"}}",
        family, rs.addr
    )
}

#[test]
fn metrics_pass_promtool_and_follow_a_killed_real_server() {
    let dir = scratch("http-metrics");
    let mut a = RealServer::start("127.0.3.1:0".parse().unwrap());
    let b = RealServer::start("127.0.3.2:0".parse().unwrap());
    let d = Daemon::start_with(&dir, &config(&[&a, &b], "0.2"), &["--http", "127.0.0.1:0"]);
    let addr = http_addr(&d);
    d.wait_for("both checked", Duration::from_secs(10), |d| {
        [a.addr, b.addr].iter().all(|x| {
            d.real(&x.to_string())
                .get("checks_ok")
                .as_i64()
                .unwrap_or(0)
                >= 1
        })
    });

    let (code, text) = get(addr, "/metrics");
    assert_eq!(code, 200);
    promtool(&text);
    let m = samples(&text);
    assert_eq!(value(&m, &real_key("lvsmon_real_server_up", &a)), 1.0);
    assert_eq!(value(&m, &real_key("lvsmon_real_server_in_table", &a)), 1.0);
    assert_eq!(value(&m, &real_key("lvsmon_real_server_weight", &a)), 5.0);
    assert_eq!(value(&m, &real_key("lvsmon_transitions_total", &a)), 0.0);
    assert_eq!(
        value(
            &m,
            "lvsmon_virtual_server_quorum_up{virtual_server=\"TCP 192.0.2.10:80\"}"
        ),
        1.0
    );
    // The dry-run table's counters: the backend is there, with nothing counted.
    let backend = format!(
        "{{local_address=\"192.0.2.10\",local_port=\"80\",remote_address=\"{}\",remote_port=\"{}\",proto=\"TCP\",local_mark=\"\"}}",
        a.addr.ip(),
        a.addr.port()
    );
    assert_eq!(
        value(&m, &format!("lvsmon_ipvs_connections_total{}", backend)),
        0.0
    );
    assert_eq!(
        value(&m, &format!("lvsmon_ipvs_backend_weight{}", backend)),
        5.0
    );
    assert_eq!(value(&m, "lvsmon_config_last_reload_successful"), 1.0);
    assert!(value(&m, "process_open_fds") > 3.0);
    assert!(value(&m, "process_resident_memory_bytes") > 0.0);
    for family in [
        "lvsmon_real_server_configured_weight",
        "lvsmon_checks_total",
        "lvsmon_check_duration_seconds",
        "lvsmon_virtual_server_sorry_server_active",
        "lvsmon_ipvs_backend_connections_active",
        "lvsmon_ipvs_backend_connections_inactive",
        "lvsmon_ipvs_incoming_packets_total",
        "lvsmon_ipvs_outgoing_packets_total",
        "lvsmon_ipvs_incoming_bytes_total",
        "lvsmon_ipvs_outgoing_bytes_total",
        "lvsmon_build_info",
        "lvsmon_start_time_seconds",
        "lvsmon_config_last_reload_success_timestamp_seconds",
        "lvsmon_real_server_last_change_timestamp_seconds",
    ] {
        assert!(
            text.contains(&format!("# HELP {} ", family))
                && text.contains(&format!("# TYPE {} ", family)),
            "{} has no HELP or TYPE",
            family
        );
    }
    let ok_before = value(
        &m,
        &format!(
            "lvsmon_checks_total{{virtual_server=\"TCP 192.0.2.10:80\",real_server=\"{}\",result=\"ok\"}}",
            a.addr
        ),
    );
    assert!(ok_before >= 1.0);

    a.kill();
    d.wait_for("a is down", Duration::from_secs(10), |d| {
        d.real(&a.addr.to_string()).get("health").as_str() == Some("down")
    });
    let (_, text) = get(addr, "/metrics");
    promtool(&text);
    let m = samples(&text);
    assert_eq!(value(&m, &real_key("lvsmon_real_server_up", &a)), 0.0);
    assert_eq!(value(&m, &real_key("lvsmon_real_server_in_table", &a)), 0.0);
    assert_eq!(value(&m, &real_key("lvsmon_real_server_weight", &a)), 0.0);
    assert_eq!(value(&m, &real_key("lvsmon_transitions_total", &a)), 1.0);
    assert_eq!(value(&m, &real_key("lvsmon_transitions_total", &b)), 0.0);
    assert_eq!(value(&m, &real_key("lvsmon_real_server_up", &b)), 1.0);
    assert!(
        value(
            &m,
            &format!(
                "lvsmon_checks_total{{virtual_server=\"TCP 192.0.2.10:80\",real_server=\"{}\",result=\"fail\"}}",
                a.addr
            )
        ) >= 1.0
    );
    assert!(m.contains_key(&real_key(
        "lvsmon_real_server_last_change_timestamp_seconds",
        &a
    )));
    // The histogram counts every check, ok or failed.
    let count = value(&m, &real_key("lvsmon_check_duration_seconds_count", &a));
    let inf = value(
        &m,
        &format!(
            "lvsmon_check_duration_seconds_bucket{{virtual_server=\"TCP 192.0.2.10:80\",real_server=\"{}\",le=\"+Inf\"}}",
            a.addr
        ),
    );
    assert_eq!(count, inf);
    assert!(count >= ok_before + 1.0);

    // /status.json is `status --json`: the same services, real servers and health.
    let (code, body) = get(addr, "/status.json");
    assert_eq!(code, 200);
    let web = Json::parse(&body).unwrap();
    let cli = d.status();
    let shape = |j: &Json| -> Vec<(String, String)> {
        j.get("services").as_array()[0]
            .get("reals")
            .as_array()
            .iter()
            .map(|r| {
                (
                    r.get("address").as_str().unwrap().to_string(),
                    r.get("health").as_str().unwrap().to_string(),
                )
            })
            .collect()
    };
    assert_eq!(shape(&web), shape(&cli));
    // The history shows the failures, newest last.
    let ra = d.real(&a.addr.to_string());
    let hist = ra.get("history").as_array();
    let last = hist.last().unwrap().as_array();
    assert_eq!(last[2].as_str(), Some("connection refused"));
    let (code, text, _) = d.lvsmon(&["status", "--history", "192.0.2.10:80", &a.addr.to_string()]);
    assert_eq!(code, 0);
    assert!(text.contains("DOWN now"), "{}", text);
    assert!(text.lines().last().unwrap().ends_with("connection refused"));

    // HEAD has the headers and no body.
    let head = exchange(addr, b"HEAD /metrics HTTP/1.1\r\n\r\n");
    assert!(head.starts_with("HTTP/1.1 200 OK\r\n"), "{}", head);
    assert!(head.contains("text/plain; version=0.0.4"));
    assert!(head.ends_with("\r\n\r\n"), "{:?}", head);
    assert_eq!(d.stop(), 0);
}

fn proc_fds(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{}/fd", pid))
        .unwrap()
        .count()
}

fn proc_rss_kb(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{}/status", pid))
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap()
}

fn checks_ok(d: &Daemon, rs: &RealServer) -> i64 {
    d.real(&rs.addr.to_string())
        .get("checks_ok")
        .as_i64()
        .unwrap()
}

#[test]
fn hostile_clients_get_their_error_and_checks_go_on() {
    let dir = scratch("http-hostile");
    let a = RealServer::start("127.0.3.11:0".parse().unwrap());
    let d = Daemon::start_with(&dir, &config(&[&a], "0.1"), &["--http", "127.0.0.1:0"]);
    let addr = http_addr(&d);
    let pid = d.child.id();
    d.wait_for("first checks", Duration::from_secs(10), |d| {
        checks_ok(d, &a) >= 3
    });
    // Warm: the buffers a scrape uses have their size.
    for _ in 0..3 {
        assert_eq!(get(addr, "/metrics").0, 200);
        assert_eq!(get(addr, "/status.json").0, 200);
    }
    let fds_before = proc_fds(pid);
    let rss_before = proc_rss_kb(pid);
    let checks_before = checks_ok(&d, &a);
    let started = Instant::now();

    // 1000 connections opened and left idle: 16 are held (until their deadline, then
    // 408), every other one is answered 503 at once.
    let mut idle = Vec::new();
    for _ in 0..1000 {
        idle.push(TcpStream::connect(addr).unwrap());
    }
    let mut busy = 0;
    let mut held = 0;
    for s in idle.iter_mut() {
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    }
    for s in idle.iter_mut() {
        let mut buf = [0u8; 256];
        match s.read(&mut buf) {
            Ok(n) if String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 503") => busy += 1,
            Ok(n) if String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 408") => held += 1,
            other => panic!("idle client got {:?}", other.map(|n| buf[..n].to_vec())),
        }
    }
    // Every client got an answer. The first 16 held a slot until their deadline
    // (408); on a loaded machine connecting 1000 clients can outlast that deadline, and
    // later ones then get the freed slots: still a bounded number.
    let during_flood = checks_ok(&d, &a) - checks_before;
    assert!(
        during_flood >= 5,
        "{} checks while 1000 clients were held",
        during_flood
    );
    assert_eq!(held + busy, 1000);
    assert!(held >= 16, "{} held, {} refused at once", held, busy);
    assert!(busy >= 900, "{} held, {} refused at once", held, busy);
    drop(idle);

    // Now the slots are free. A slowloris (a header a byte every 200 ms, never
    // finished) is cut at its deadline with 408.
    let mut slow = TcpStream::connect(addr).unwrap();
    slow.set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    slow.write_all(b"GET / HTTP/1.1\r\nX-Slow: ").unwrap();
    let mut reply = Vec::new();
    let until = Instant::now() + Duration::from_secs(15);
    while Instant::now() < until {
        if slow.write_all(b"a").is_err() {
            break;
        }
        let mut buf = [0u8; 256];
        match slow.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => reply.extend_from_slice(&buf[..n]),
            Err(_) => {}
        }
        if !reply.is_empty() {
            break;
        }
    }
    assert!(
        String::from_utf8_lossy(&reply).starts_with("HTTP/1.1 408"),
        "slowloris got {:?}",
        String::from_utf8_lossy(&reply)
    );

    // A 1 MB request line: 413 once the buffer is full (the rest is never read).
    let mut big = TcpStream::connect(addr).unwrap();
    big.set_write_timeout(Some(Duration::from_secs(5))).unwrap();
    big.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut line = b"GET /".to_vec();
    line.resize(1 << 20, b'a');
    let _ = big.write_all(&line); // may fail once the server has answered and closed
    let mut reply = Vec::new();
    let _ = big.read_to_end(&mut reply);
    assert!(
        String::from_utf8_lossy(&reply).starts_with("HTTP/1.1 413"),
        "1 MB request line got {:?}",
        String::from_utf8_lossy(&reply)
    );

    // Garbage: 400. Wrong method: 405. Unknown path: 404.
    assert!(exchange(
        addr,
        b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n"
    )
    .starts_with("HTTP/1.1 400"));
    assert!(exchange(
        addr,
        b"POST /metrics HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc"
    )
    .starts_with("HTTP/1.1 405"));
    assert_eq!(get(addr, "/admin").0, 404);

    // Pipelined requests: the first is answered, then the connection closes.
    let reply = exchange(
        addr,
        b"GET /status.json HTTP/1.1\r\n\r\nGET /metrics HTTP/1.1\r\n\r\nGET / HTTP/1.1\r\n\r\n",
    );
    assert!(reply.starts_with("HTTP/1.1 200 OK"), "{}", reply);
    assert_eq!(reply.matches("HTTP/1.1").count(), 1, "{}", reply);

    // Nothing received changed the state, and the checks went on: at delay_loop 0.1 s,
    // at least a tenth of the nominal count (a generous bound: the machine running the
    // tests may be busy; a loop held up by the clients would run none for seconds).
    let elapsed = started.elapsed();
    let done = checks_ok(&d, &a) - checks_before;
    let nominal = (elapsed.as_secs_f64() / 0.1) as i64;
    assert!(
        done >= nominal / 10,
        "{} checks in {:?} (nominal {})",
        done,
        elapsed,
        nominal
    );
    assert_eq!(
        d.real(&a.addr.to_string()).get("health").as_str(),
        Some("up")
    );
    // Descriptors back to where they were; memory flat (a generous 2 MiB).
    d.wait_for("connections closed", Duration::from_secs(10), |_| {
        proc_fds(pid) <= fds_before
    });
    let rss_after = proc_rss_kb(pid);
    assert!(
        rss_after <= rss_before + 2048,
        "RSS grew from {} kB to {} kB",
        rss_before,
        rss_after
    );
    // Refusals are logged at most once a second.
    let log = d.log_text();
    let lines = log.lines().filter(|l| l.contains("http: answered")).count();
    assert!(lines >= 1);
    assert!(
        lines as u64 <= started.elapsed().as_secs() + 2,
        "{} refusal lines in {:?}",
        lines,
        started.elapsed()
    );
    assert_eq!(d.stop(), 0);
}
