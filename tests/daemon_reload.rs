//! Reload (SIGHUP and `lvsmon reload`) and runtime overrides, whole daemon in --dry-run:
//! an unchanged config makes no operation and keeps health; one changed weight is one
//! operation; a broken config changes nothing and names its position; `drain`, `weight`
//! and `enable` show in status and survive reloads.

mod common;

use std::time::Duration;

use common::{free_port, scratch, Daemon, RealServer};

const LIMIT: Duration = Duration::from_secs(30);

fn config(port: u16, a: &str, b: &str, weight_b: u32) -> String {
    format!(
        "virtual_server 192.0.2.20 80 {{\n  delay_loop 1\n  lb_algo wrr\n  lb_kind NAT\n  protocol TCP\n  real_server {a} {port} {{\n    weight 1\n    TCP_CHECK {{\n      connect_timeout 3\n      retry 0\n    }}\n  }}\n  real_server {b} {port} {{\n    weight {weight_b}\n    TCP_CHECK {{\n      connect_timeout 3\n      retry 0\n    }}\n  }}\n}}\n"
    )
}

fn reloads(d: &Daemon) -> usize {
    d.log_text().matches("reloaded ").count()
}

#[test]
fn reload_applies_only_the_difference_and_keeps_health() {
    let dir = scratch("reload");
    let port = free_port();
    let (a, b) = ("127.0.2.1", "127.0.2.2");
    let (ra_addr, rb_addr) = (format!("{a}:{port}"), format!("{b}:{port}"));
    let mut ra = RealServer::start(ra_addr.parse().unwrap());
    let _rb = RealServer::start(rb_addr.parse().unwrap());
    let d = Daemon::start(&dir, &config(port, a, b, 3));
    d.wait_for("both in", LIMIT, |d| {
        d.real(&ra_addr).get("in_table").as_bool() == Some(true)
            && d.real(&rb_addr).get("in_table").as_bool() == Some(true)
    });

    // Take one down, so there is health state to keep.
    ra.kill();
    d.wait_for("a down", LIMIT, |d| {
        d.real(&ra_addr).get("health").as_str() == Some("down")
    });
    let ops_before = d.ops();
    let log_before = d.log_text();

    // 1. Unchanged config, by SIGHUP: zero operations, health kept.
    d.signal("HUP");
    d.wait_for("first reload", LIMIT, |d| reloads(d) == 1);
    // Operations would be applied on the loop pass after the "reloaded" line: give any a
    // moment to show up before asserting there are none.
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(d.ops(), ops_before, "an unchanged reload made operations");
    assert_eq!(d.real(&ra_addr).get("health").as_str(), Some("down"));
    let new_lines = &d.log_text()[log_before.len()..];
    assert!(
        !new_lines.contains("is UP"),
        "reload changed health:\n{}",
        new_lines
    );

    // 2. One weight changed, by `lvsmon reload`: exactly one operation.
    std::fs::write(&d.config, config(port, a, b, 5)).unwrap();
    let (code, _, err) = d.lvsmon(&["reload"]);
    assert_eq!(code, 0, "{}", err);
    d.wait_for("second reload", LIMIT, |d| reloads(d) == 2);
    // The operation is applied on the loop pass after the "reloaded" line.
    d.wait_for("the weight change", LIMIT, |d| {
        d.ops().len() > ops_before.len()
    });
    std::thread::sleep(Duration::from_millis(1500));
    let ops = d.ops();
    assert_eq!(
        &ops[ops_before.len()..],
        [format!("-e -t 192.0.2.20:80 -r {} -m -w 5", rb_addr)],
        "{:#?}",
        ops
    );
    assert_eq!(d.real(&rb_addr).get("configured_weight").as_i64(), Some(5));

    // 3. A broken config: nothing changes, the error names file:line:col.
    std::fs::write(
        &d.config,
        config(port, a, b, 5).replace("delay_loop 1", "delay_loop soon"),
    )
    .unwrap();
    d.signal("HUP");
    d.wait_for("reload refusal", LIMIT, |d| {
        d.log_text().contains("reload refused")
    });
    let log = d.log_text();
    assert!(log.contains("lvsmon.conf:2:"), "{}", log);
    assert_eq!(d.ops().len(), ops.len());
    assert_eq!(d.real(&rb_addr).get("current_weight").as_i64(), Some(5));
    // `lvsmon reload` says so too, with the position, and exits 1.
    let (code, _, err) = d.lvsmon(&["reload"]);
    assert_eq!(code, 1, "{}", err);
    assert!(
        err.contains("reload refused, the running config stays: ")
            && err.contains("lvsmon.conf:2:"),
        "{}",
        err
    );
    assert_eq!(d.stop(), 0);
}

#[test]
fn drain_weight_enable_show_in_status_and_survive_reload() {
    let dir = scratch("override");
    let port = free_port();
    let (a, b) = ("127.0.2.3", "127.0.2.4");
    let ra_addr = format!("{a}:{port}");
    let _ra = RealServer::start(ra_addr.parse().unwrap());
    let _rb = RealServer::start(format!("{b}:{port}").parse().unwrap());
    let d = Daemon::start(&dir, &config(port, a, b, 3));
    d.wait_for("a in", LIMIT, |d| {
        d.real(&ra_addr).get("in_table").as_bool() == Some(true)
    });

    let (code, _, err) = d.lvsmon(&["drain", "192.0.2.20:80", &ra_addr]);
    assert_eq!(code, 0, "{}", err);
    d.wait_for("a drained", LIMIT, |d| {
        d.real(&ra_addr).get("current_weight").as_i64() == Some(0)
    });
    assert_eq!(
        d.real(&ra_addr).get("override").get("kind").as_str(),
        Some("drain")
    );
    assert!(d
        .ops()
        .contains(&format!("-e -t 192.0.2.20:80 -r {} -m -w 0", ra_addr)));

    // The drain survives a reload.
    d.signal("HUP");
    d.wait_for("reload", LIMIT, |d| reloads(d) == 1);
    assert_eq!(d.real(&ra_addr).get("current_weight").as_i64(), Some(0));

    let (code, _, _) = d.lvsmon(&["weight", "192.0.2.20:80", &ra_addr, "7"]);
    assert_eq!(code, 0);
    d.wait_for("weight 7", LIMIT, |d| {
        d.real(&ra_addr).get("current_weight").as_i64() == Some(7)
    });

    let (code, _, _) = d.lvsmon(&["enable", "192.0.2.20:80", &ra_addr]);
    assert_eq!(code, 0);
    d.wait_for("weight back to 1", LIMIT, |d| {
        d.real(&ra_addr).get("current_weight").as_i64() == Some(1)
    });
    assert_eq!(d.real(&ra_addr).get("override"), &common::Json::Null);

    // Unknown targets are refused with exit 1 and a reason.
    let (code, _, err) = d.lvsmon(&["drain", "192.0.2.99:80", &ra_addr]);
    assert_eq!(code, 1);
    assert!(err.contains("no such virtual service"), "{}", err);
    let (code, _, err) = d.lvsmon(&["drain", "192.0.2.20:80", "127.0.9.9:1"]);
    assert_eq!(code, 1);
    assert!(err.contains("no such real server"), "{}", err);
    assert_eq!(d.stop(), 0);
}
