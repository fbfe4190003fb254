//! Whole-daemon runs in --dry-run: the shell-loop scenario from the seed document (two
//! real servers weighted 1 and 3, HTTP_GET, retry 3, connect_timeout 1, delay_loop 1, a
//! sorry server), driven by killing and restoring real servers on loopback and observed
//! through `status --json` and the dry-run operation log.

mod common;

use std::time::Duration;

use common::{free_port, scratch, Daemon, RealServer};

/// Down needs the first failure plus 3 retries 1 s apart, after up to one delay_loop:
/// about 5 s. The limit is generous because CI machines are noisy.
const LIMIT: Duration = Duration::from_secs(30);

fn config(port: u16, inhibit: bool) -> String {
    let real = |addr: &str, weight: u32| {
        format!(
            "    real_server {addr} {port} {{\n        weight {weight}\n        HTTP_GET {{\n            url {{\n                path /health\n                status_code 200\n            }}\n            connect_timeout 1\n            retry 3\n            delay_before_retry 1\n        }}\n    }}\n"
        )
    };
    format!(
        "virtual_server 192.0.2.10 80 {{\n    delay_loop 1\n    lb_algo wrr\n    lb_kind NAT\n    protocol TCP\n{}    sorry_server 127.0.0.1 80\n{}{}}}\n",
        if inhibit { "    inhibit_on_failure\n" } else { "" },
        real("127.0.0.2", 1),
        real("127.0.0.3", 3),
    )
}

fn in_table(d: &Daemon, addr: &str) -> bool {
    d.real(addr).get("in_table").as_bool() == Some(true)
}

fn weight(d: &Daemon, addr: &str) -> i64 {
    d.real(addr).get("current_weight").as_i64().unwrap_or(-1)
}

fn position(ops: &[String], needle: &str) -> usize {
    ops.iter()
        .position(|l| l == needle)
        .unwrap_or_else(|| panic!("no operation '{}' in {:#?}", needle, ops))
}

#[test]
fn shell_loop_scenario_removes_restores_and_falls_back_to_sorry_server() {
    let dir = scratch("shell-loop");
    let port = free_port();
    let a = format!("127.0.0.2:{}", port);
    let b = format!("127.0.0.3:{}", port);
    let mut ra = RealServer::start(a.parse().unwrap());
    let mut rb = RealServer::start(b.parse().unwrap());
    let d = Daemon::start(&dir, &config(port, false));

    d.wait_for("both real servers in the table", LIMIT, |d| {
        in_table(d, &a) && in_table(d, &b)
    });
    assert_eq!(weight(&d, &a), 1);
    assert_eq!(weight(&d, &b), 3);
    assert!(!d.sorry_in_table());
    let ops = d.ops();
    assert_eq!(ops[0], "-A -t 192.0.2.10:80 -s wrr");
    position(&ops, &format!("-a -t 192.0.2.10:80 -r {} -m -w 1", a));
    position(&ops, &format!("-a -t 192.0.2.10:80 -r {} -m -w 3", b));

    // Kill one: removed after its retries, with the reason in the log.
    ra.kill();
    d.wait_for("127.0.0.2 removed", LIMIT, |d| !in_table(d, &a));
    assert_eq!(d.real(&a).get("health").as_str(), Some("down"));
    assert!(in_table(&d, &b));
    position(&d.ops(), &format!("-d -t 192.0.2.10:80 -r {}", a));
    let log = d.log_text();
    assert!(
        log.contains(&format!("real server {} is DOWN: connection refused", a)),
        "{}",
        log
    );

    // Restore it: back with its weight.
    ra.restore();
    d.wait_for("127.0.0.2 back", LIMIT, |d| in_table(d, &a));
    assert_eq!(weight(&d, &a), 1);

    // Kill both: the sorry server takes over.
    ra.kill();
    rb.kill();
    d.wait_for("sorry server in", LIMIT, |d| d.sorry_in_table());
    assert!(!in_table(&d, &a) && !in_table(&d, &b));
    position(&d.ops(), "-a -t 192.0.2.10:80 -r 127.0.0.1:80 -m -w 1");

    // Restore one: it is added before the sorry server is removed.
    rb.restore();
    d.wait_for("sorry server out", LIMIT, |d| !d.sorry_in_table());
    assert!(in_table(&d, &b));
    let ops = d.ops();
    let sorry_in = position(&ops, "-a -t 192.0.2.10:80 -r 127.0.0.1:80 -m -w 1");
    let readd = ops[sorry_in..]
        .iter()
        .position(|l| *l == format!("-a -t 192.0.2.10:80 -r {} -m -w 3", b))
        .map(|i| i + sorry_in)
        .expect("127.0.0.3 re-added");
    let sorry_out = position(&ops, "-d -t 192.0.2.10:80 -r 127.0.0.1:80");
    assert!(
        readd < sorry_out,
        "real server added after sorry removal: {:#?}",
        ops
    );

    assert_eq!(d.stop(), 0);
}

#[test]
fn inhibit_on_failure_sets_weight_zero_instead_of_removing() {
    let dir = scratch("inhibit");
    let port = free_port();
    let a = format!("127.0.0.4:{}", port);
    let b = format!("127.0.0.5:{}", port);
    let mut ra = RealServer::start(a.parse().unwrap());
    let _rb = RealServer::start(b.parse().unwrap());
    let d = Daemon::start(
        &dir,
        &config(port, true)
            .replace("127.0.0.2", "127.0.0.4")
            .replace("127.0.0.3", "127.0.0.5"),
    );

    d.wait_for("both in the table", LIMIT, |d| {
        in_table(d, &a) && in_table(d, &b)
    });
    ra.kill();
    d.wait_for("127.0.0.4 at weight 0", LIMIT, |d| weight(d, &a) == 0);
    assert!(in_table(&d, &a), "inhibited server must stay in the table");
    let ops = d.ops();
    position(&ops, &format!("-e -t 192.0.2.10:80 -r {} -m -w 0", a));
    assert!(
        !ops.iter()
            .any(|l| l.starts_with(&format!("-d -t 192.0.2.10:80 -r {}", a))),
        "{:#?}",
        ops
    );
    ra.restore();
    d.wait_for("127.0.0.4 back at weight 1", LIMIT, |d| weight(d, &a) == 1);
    position(&d.ops(), &format!("-e -t 192.0.2.10:80 -r {} -m -w 1", a));
    assert_eq!(d.stop(), 0);
}

#[test]
fn garbage_on_the_control_socket_gets_an_error_and_the_daemon_keeps_running() {
    use std::io::{Read, Write};
    let dir = scratch("garbage");
    let port = free_port();
    let _ra = RealServer::start(format!("127.0.0.6:{}", port).parse().unwrap());
    let d = Daemon::start(
        &dir,
        &config(port, false)
            .replace("127.0.0.2", "127.0.0.6")
            .replace("127.0.0.3", "127.0.0.6"),
    );
    let cases: [(&[u8], &str); 3] = [
        (
            b"\xff\xfe\x00garbage\n",
            "error: request is not UTF-8 text\n",
        ),
        (b"launch missiles\n", "error: unknown request 'launch'"),
        (&[b'x'; 5000], "error: request longer than 1024 bytes\n"),
    ];
    for (bytes, want) in cases {
        let mut s = std::os::unix::net::UnixStream::connect(&d.control).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let _ = s.write_all(bytes);
        let mut reply = String::new();
        let _ = s.read_to_string(&mut reply);
        assert!(reply.starts_with(want), "{:?} -> {:?}", want, reply);
    }
    // A client that connects and says nothing does not stall the daemon.
    let _silent = std::os::unix::net::UnixStream::connect(&d.control).unwrap();
    let (code, out, _) = d.lvsmon(&["status"]);
    assert_eq!(code, 0);
    assert!(out.contains("192.0.2.10:80"), "{}", out);
    assert_eq!(d.stop(), 0);
}

#[test]
fn a_broken_config_exits_1_with_its_position() {
    let dir = scratch("broken");
    let cfg = dir.join("bad.conf");
    std::fs::write(
        &cfg,
        "virtual_server 192.0.2.10 80 {\n    delay_loop abc\n}\n",
    )
    .unwrap();
    let out = std::process::Command::new(common::LVSMON)
        .args(["run", "--dry-run", "-f"])
        .arg(&cfg)
        .arg("--control")
        .arg(dir.join("sock"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bad.conf:2:"), "{}", err);
    let out = std::process::Command::new(common::LVSMON)
        .args(["check", "-f"])
        .arg(&cfg)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("bad.conf:2:"));
}

/// `vip_announce` on an interface that exists and is not a dummy (`lo`, which every host
/// has and which an unprivileged rtnetlink read can see) is refused before anything
/// changes, exit 1, at the interface name's position.
#[test]
fn an_announce_interface_that_is_not_a_dummy_exits_1_with_its_position() {
    let dir = scratch("notdummy");
    let cfg = dir.join("ecmp.conf");
    std::fs::write(
        &cfg,
        "vip_announce {\n    rule all\n    interface lo\n}\nvirtual_server 192.0.2.10 80 {\n    lb_algo mh\n    real_server 127.0.0.1 80 {\n        TCP_CHECK {\n        }\n    }\n}\n",
    )
    .unwrap();
    let out = std::process::Command::new(common::LVSMON)
        .args(["run", "--dry-run", "-f"])
        .arg(&cfg)
        .arg("--control")
        .arg(dir.join("sock"))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{}", err);
    assert!(
        err.contains(
            "ecmp.conf:3:15: vip_announce interface 'lo' exists and is not a dummy interface"
        ),
        "{}",
        err
    );
}
