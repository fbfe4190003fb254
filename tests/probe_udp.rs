//! UDP_CHECK and DNS_CHECK against loopback UDP servers.

mod support;

use std::time::Duration;

use lvsmon::model::config::{CheckKind, DnsCheck, UdpCheck};
use support::*;

const T: u64 = 1000;

fn udp(payload: &[u8], require_reply: Option<&[u8]>) -> CheckKind {
    CheckKind::Udp(UdpCheck {
        payload: payload.to_vec(),
        require_reply: require_reply.map(<[u8]>::to_vec),
        reply_mask: Vec::new(),
        min_reply_length: 0,
        max_reply_length: 255,
    })
}

#[test]
fn udp_echo_with_require_reply() {
    let srv = UdpServer::start(udp_echo);
    let o = run(&check(udp(b"ping", Some(b"ping")), srv.addr, T));
    assert_eq!(verdict(&o), "up");
    assert!(o.latency < Duration::from_millis(T));
    // keepalived compares up to the shorter of reply and require_reply.
    assert_eq!(
        verdict(&run(&check(udp(b"ping", Some(b"pi")), srv.addr, T))),
        "up"
    );
    assert_eq!(
        verdict(&run(&check(udp(b"ping", Some(b"")), srv.addr, T))),
        "up"
    );
    assert_eq!(
        verdict(&run(&check(udp(b"ping", Some(b"pong")), srv.addr, T))),
        "bad reply: UDP reply differs from require_reply"
    );
}

#[test]
fn udp_reply_without_require_reply_is_up_at_once() {
    let srv = UdpServer::start(udp_echo);
    let o = run(&check(udp(b"hello", None), srv.addr, T));
    assert_eq!(verdict(&o), "up");
    assert!(o.latency < Duration::from_millis(T));
}

#[test]
fn silent_udp_port() {
    let srv = UdpServer::start(udp_silent);
    // A reply is required: silence is a timeout.
    let o = run(&check(udp(b"hello", Some(b"")), srv.addr, 300));
    assert_eq!(verdict(&o), "timeout after 300 ms");
    // No reply required: no ICMP error within the timeout is up (keepalived).
    let o = run(&check(udp(b"hello", None), srv.addr, 300));
    assert_eq!(verdict(&o), "up");
    assert!(o.latency >= Duration::from_millis(300));
}

#[test]
fn closed_udp_port_is_port_unreachable() {
    for require in [None, Some(&b"x"[..])] {
        let o = run(&check(udp(b"hello", require), closed_udp_port(), T));
        assert_eq!(verdict(&o), "port unreachable");
        assert!(o.latency < Duration::from_millis(T));
    }
}

fn dns(name: &str) -> CheckKind {
    CheckKind::Dns(DnsCheck {
        qtype: 1,
        name: name.into(),
    })
}

fn dns_verdict(reply: fn(&[u8]) -> Option<Vec<u8>>, name: &str) -> String {
    let srv = UdpServer::start(reply);
    let o = run(&check(dns(name), srv.addr, T));
    assert!(o.latency < Duration::from_millis(T));
    verdict(&o)
}

#[test]
fn dns_good_answer() {
    assert_eq!(dns_verdict(dns_good, "www.example.test"), "up");
    assert_eq!(dns_verdict(dns_good, "."), "up");
}

#[test]
fn dns_bad_answers() {
    assert_eq!(dns_verdict(dns_nxdomain, "www.example.test"), "DNS rcode 3");
    assert_eq!(
        dns_verdict(dns_wrong_id, "www.example.test"),
        "bad reply: DNS id mismatch"
    );
    assert_eq!(
        dns_verdict(dns_truncated, "www.example.test"),
        "bad reply: DNS reply truncated"
    );
    assert_eq!(
        dns_verdict(dns_looping_pointer, "www.example.test"),
        "bad reply: DNS compression pointer loop"
    );
}

#[test]
fn dns_silent_and_closed() {
    let srv = UdpServer::start(udp_silent);
    assert_eq!(
        verdict(&run(&check(dns("example.test"), srv.addr, 300))),
        "timeout after 300 ms"
    );
    assert_eq!(
        verdict(&run(&check(dns("example.test"), closed_udp_port(), T))),
        "port unreachable"
    );
}

#[test]
fn one_slot_serves_successive_queries() {
    let srv = UdpServer::start(dns_good);
    let mut slot = lvsmon::probe::ProbeSlot::new();
    for _ in 0..5 {
        assert_eq!(
            verdict(&run_on(&mut slot, &check(dns("a.test"), srv.addr, T))),
            "up"
        );
    }
}

#[test]
fn no_payload_sends_default_bytes() {
    // The echo returns what was sent: keepalived sends something (random) when no
    // payload is configured, lvsmon a fixed text.
    fn echo_nonempty(d: &[u8]) -> Option<Vec<u8>> {
        (!d.is_empty()).then(|| d.to_vec())
    }
    let srv = UdpServer::start(echo_nonempty);
    let o = run(&check(udp(b"", Some(b"lvsmon udp check")), srv.addr, T));
    assert_eq!(verdict(&o), "up");
}

/// keepalived's X digits and reply lengths against a real responder: `require_reply
/// 7X 6f` with min_reply_length 2 accepts "pong" and "po" but not "p", nor "Pong".
#[test]
fn udp_reply_pattern_with_x_digits_and_lengths() {
    fn pong(_: &[u8]) -> Option<Vec<u8>> {
        Some(b"pong".to_vec())
    }
    fn big_p(_: &[u8]) -> Option<Vec<u8>> {
        Some(b"Pong".to_vec())
    }
    fn p(_: &[u8]) -> Option<Vec<u8>> {
        Some(b"p".to_vec())
    }
    let kind = |min: u16, max: u16| {
        CheckKind::Udp(UdpCheck {
            payload: b"ping".to_vec(),
            require_reply: Some(vec![0x70, 0x6f]),
            reply_mask: vec![0x0f, 0x00],
            min_reply_length: min,
            max_reply_length: max,
        })
    };
    let up = UdpServer::start(pong);
    assert_eq!(verdict(&run(&check(kind(2, 255), up.addr, T))), "up");
    // Longer than max_reply_length.
    let v = verdict(&run(&check(kind(2, 3), up.addr, T)));
    assert!(v.contains("length"), "{}", v);
    let wrong = UdpServer::start(big_p);
    let v = verdict(&run(&check(kind(0, 255), wrong.addr, T)));
    assert!(v.contains("differs from require_reply"), "{}", v);
    let short = UdpServer::start(p);
    let v = verdict(&run(&check(kind(2, 255), short.addr, T)));
    assert!(v.contains("length"), "{}", v);
}
