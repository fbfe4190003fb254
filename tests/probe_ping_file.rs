//! PING_CHECK on loopback and FILE_CHECK on files in the target dir.

mod support;

use std::path::{Path, PathBuf};
use std::time::Duration;

use lvsmon::model::config::{CheckKind, FileCheck};
use support::*;

#[test]
fn ping_loopback_v4_and_v6() {
    // Root: a ping socket when net.ipv4.ping_group_range admits gid 0, else the raw
    // socket fallback (CAP_NET_RAW). Either way 127.0.0.1 answers.
    let o = run(&check(
        CheckKind::Ping,
        "127.0.0.1:0".parse().unwrap(),
        1000,
    ));
    assert_eq!(verdict(&o), "up");
    assert!(o.latency < Duration::from_millis(1000));
    let o = run(&check(
        CheckKind::Ping,
        "127.0.0.2:80".parse().unwrap(),
        1000,
    ));
    assert_eq!(verdict(&o), "up");
    if std::net::UdpSocket::bind("[::1]:0").is_ok() {
        let o = run(&check(CheckKind::Ping, "[::1]:0".parse().unwrap(), 1000));
        assert_eq!(verdict(&o), "up");
    }
}

#[test]
fn ping_one_slot_many_times() {
    let mut slot = lvsmon::probe::ProbeSlot::new();
    for _ in 0..5 {
        let c = check(CheckKind::Ping, "127.0.0.1:0".parse().unwrap(), 1000);
        assert_eq!(verdict(&run_on(&mut slot, &c)), "up");
    }
}

fn file(name: &str, content: Option<&str>) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("file_check");
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    let _ = std::fs::remove_file(&p);
    if let Some(c) = content {
        std::fs::write(&p, c).unwrap();
    }
    p
}

fn file_verdict(path: PathBuf, weight: i32, reverse: bool) -> String {
    let kind = CheckKind::File(FileCheck {
        path,
        weight,
        reverse,
    });
    let o = run(&check(kind, "127.0.0.1:0".parse().unwrap(), 1000));
    verdict(&o)
}

#[test]
fn file_check_weight_zero() {
    assert_eq!(file_verdict(file("zero", Some("0\n")), 0, false), "up");
    assert_eq!(
        file_verdict(file("five", Some("5\n")), 0, false),
        "tracked file reports down"
    );
    assert_eq!(file_verdict(file("five_r", Some("5\n")), 0, true), "up");
    // keepalived reads a missing file as 0.
    assert_eq!(file_verdict(file("missing", None), 0, false), "up");
}

#[test]
fn file_check_weight_multiplies() {
    assert_eq!(
        file_verdict(file("w5", Some("5")), 2, false),
        "up weight 10"
    );
    assert_eq!(
        file_verdict(file("w5r", Some("5")), 2, true),
        "up weight -10"
    );
    assert_eq!(
        file_verdict(file("hex", Some(" 0x10 ")), 1, false),
        "up weight 16"
    );
    assert_eq!(
        file_verdict(file("min", Some("-2147483648")), 1, false),
        "tracked file reports down"
    );
}
