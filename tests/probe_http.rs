//! HTTP_GET against the misbehaving loopback server: each mode gives the right verdict
//! and the exact reason text, within its timeout.

mod support;

use std::time::Duration;

use lvsmon::model::config::{CheckKind, StatusCodes};
use lvsmon::probe::ProbeSlot;
use support::*;

const T: u64 = 1000;

fn get(mode: Mode, path: &str, digest: Option<[u8; 16]>, timeout_ms: u64) -> (String, Duration) {
    let srv = Server::start(mode);
    let o = run(&check(http(vec![url(path, digest)]), srv.addr, timeout_ms));
    (verdict(&o), o.latency)
}

/// A verdict reached before the deadline (anything else would read "timeout").
fn quick(mode: Mode, path: &str, digest: Option<[u8; 16]>) -> String {
    let (v, latency) = get(mode, path, digest, T);
    assert!(latency < Duration::from_millis(T), "{mode:?}: {latency:?}");
    v
}

#[test]
fn good_200_is_up() {
    assert_eq!(quick(Mode::Good, "/", None), "up");
}

#[test]
fn digest_match_and_mismatch() {
    assert_eq!(quick(Mode::Good, "/", Some(good_digest())), "up");
    // Body delimited by the close rather than Content-Length.
    assert_eq!(quick(Mode::Good, "/nolen", Some(good_digest())), "up");
    let mut wrong = good_digest();
    wrong[0] ^= 1;
    assert_eq!(quick(Mode::Good, "/", Some(wrong)), "digest mismatch");
    assert_eq!(quick(Mode::Good, "/nolen", Some(wrong)), "digest mismatch");
}

#[test]
fn wrong_status() {
    assert_eq!(quick(Mode::Unavailable, "/", None), "HTTP 503");
    assert_eq!(quick(Mode::Good, "/missing", None), "HTTP 404");
    assert_eq!(quick(Mode::Good, "/redirect", None), "HTTP 302");
}

#[test]
fn configured_status_codes() {
    let srv = Server::start(Mode::Good);
    let mut u = url("/redirect", None);
    u.status = StatusCodes::from_slice(&[(200, 200), (301, 302)]).unwrap();
    assert_eq!(
        verdict(&run(&check(http(vec![u.clone()]), srv.addr, T))),
        "up"
    );
    u.path = "/missing".into();
    assert_eq!(
        verdict(&run(&check(http(vec![u]), srv.addr, T))),
        "HTTP 404"
    );
    let busy = Server::start(Mode::Unavailable);
    let mut u = url("/", None);
    u.status = StatusCodes::from_slice(&[(503, 503)]).unwrap();
    assert_eq!(verdict(&run(&check(http(vec![u]), busy.addr, T))), "up");
}

#[test]
fn every_url_in_order_must_pass() {
    let srv = Server::start(Mode::Good);
    let two = vec![url("/", Some(good_digest())), url("/nolen", None)];
    assert_eq!(verdict(&run(&check(http(two), srv.addr, T))), "up");
    let bad_last = vec![url("/", None), url("/nolen", None), url("/missing", None)];
    assert_eq!(
        verdict(&run(&check(http(bad_last), srv.addr, T))),
        "HTTP 404"
    );
    let bad_first = vec![url("/missing", None), url("/", None)];
    assert_eq!(
        verdict(&run(&check(http(bad_first), srv.addr, T))),
        "HTTP 404"
    );
    std::thread::sleep(Duration::from_millis(50));
    let paths: Vec<String> = srv
        .requests
        .lock()
        .unwrap()
        .iter()
        .map(|r| {
            String::from_utf8_lossy(r)
                .split(' ')
                .nth(1)
                .unwrap()
                .to_string()
        })
        .collect();
    // The failing url stops the attempt: "/" is not fetched after "/missing".
    assert_eq!(
        paths,
        ["/", "/nolen", "/", "/nolen", "/missing", "/missing"]
    );
}

#[test]
fn request_bytes_and_host_header() {
    let srv = Server::start(Mode::Good);
    assert_eq!(
        verdict(&run(&check(http(vec![url("/", None)]), srv.addr, T))),
        "up"
    );
    let mut vhost = url("/", None);
    vhost.virtualhost = Some("www.example.test".into());
    assert_eq!(verdict(&run(&check(http(vec![vhost]), srv.addr, T))), "up");
    std::thread::sleep(Duration::from_millis(50));
    let reqs = srv.requests.lock().unwrap().clone();
    assert_eq!(
        String::from_utf8_lossy(&reqs[0]),
        format!(
            "GET / HTTP/1.0\r\nUser-Agent: lvsmon\r\nHost: 127.0.0.1:{}\r\n\r\n",
            srv.addr.port()
        )
    );
    assert_eq!(
        String::from_utf8_lossy(&reqs[1]),
        "GET / HTTP/1.0\r\nUser-Agent: lvsmon\r\nHost: www.example.test\r\n\r\n"
    );
}

#[test]
fn accept_and_stall_times_out() {
    let (v, latency) = get(Mode::Stall, "/", None, 300);
    assert_eq!(v, timeout_text(300));
    assert_eq!(v, "timeout after 300 ms");
    assert!(latency >= Duration::from_millis(300) && latency < Duration::from_secs(3));
}

#[test]
fn refused() {
    let o = run(&check(http(vec![url("/", None)]), closed_port(), T));
    assert_eq!(verdict(&o), "connection refused");
}

#[test]
fn reset_after_connect() {
    assert_eq!(quick(Mode::Reset, "/", None), "connection reset");
}

#[test]
fn close_after_partial_reply() {
    let early = "connection closed before a complete reply";
    assert_eq!(quick(Mode::PartialStatus, "/", None), early);
    assert_eq!(quick(Mode::PartialBody, "/", Some(good_digest())), early);
    // Without a digest the complete status line is the verdict.
    assert_eq!(quick(Mode::PartialBody, "/", None), "up");
}

#[test]
fn garbage_and_http09() {
    assert_eq!(
        quick(Mode::Garbage, "/", None),
        "bad reply: not an HTTP/1.x status line"
    );
    assert_eq!(
        quick(Mode::Http09, "/", None),
        "bad reply: not an HTTP/1.x status line"
    );
}

#[test]
fn ten_megabyte_body() {
    // Without a digest reading stops at the status line.
    assert_eq!(quick(Mode::Huge, "/", None), "up");
    // With one, the body bound (MAX_HTTP_REPLY_BYTES) ends the read.
    assert_eq!(
        quick(Mode::Huge, "/", Some(good_digest())),
        "reply too large"
    );
}

#[test]
fn slow_drip_times_out() {
    let (v, latency) = get(Mode::SlowDrip, "/", None, 500);
    assert_eq!(v, "timeout after 500 ms");
    assert!(latency >= Duration::from_millis(500) && latency < Duration::from_secs(3));
}

#[test]
fn long_header_line() {
    assert_eq!(quick(Mode::LongHeader, "/", None), "up");
    assert_eq!(
        quick(Mode::LongHeader, "/", Some(good_digest())),
        "reply too large"
    );
}

#[test]
fn one_slot_serves_attempt_after_attempt() {
    let good = Server::start(Mode::Good);
    let stall = Server::start(Mode::Stall);
    let mut slot = ProbeSlot::new();
    let ok = check(http(vec![url("/", Some(good_digest()))]), good.addr, T);
    let hang = check(http(vec![url("/", None)]), stall.addr, 300);
    for _ in 0..3 {
        assert_eq!(verdict(&run_on(&mut slot, &ok)), "up");
        assert_eq!(verdict(&run_on(&mut slot, &hang)), "timeout after 300 ms");
    }
}

#[test]
fn tcp_check_kind_on_http_server() {
    let srv = Server::start(Mode::Good);
    assert_eq!(verdict(&run(&check(CheckKind::Tcp, srv.addr, T))), "up");
}

/// Events for the slot's token that do not come from its socket (as after a slot is
/// reused, or a stale event in the same poll batch) change nothing.
#[test]
fn spurious_events_are_harmless() {
    use lvsmon::probe::Step;
    use mio::{Events, Interest, Poll, Token};
    use std::time::Instant;

    let slow = Server::start(Mode::SlowDrip);
    let c = check(http(vec![url("/", None)]), slow.addr, 5000);
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(16);
    let token = Token(9);
    // A decoy under the same token, made readable again and again.
    let mut decoy = mio::net::UdpSocket::bind("127.0.0.1:0".parse().unwrap()).unwrap();
    poll.registry()
        .register(&mut decoy, token, Interest::READABLE)
        .unwrap();
    let poker = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let mut slot = ProbeSlot::new();
    let mut step = slot.start(&c, poll.registry(), token, Instant::now());
    let mut spurious = 0;
    let begun = Instant::now();
    while step == Step::Pending {
        assert!(begun.elapsed() < RUN_BOUND);
        poker.send_to(b"x", decoy.local_addr().unwrap()).unwrap();
        let now = Instant::now();
        let deadline = slot.deadline().unwrap();
        if now >= deadline {
            step = slot.on_deadline(poll.registry(), now);
            continue;
        }
        poll.poll(&mut events, Some(deadline - now)).unwrap();
        let mut buf = [0u8; 8];
        while decoy.recv(&mut buf).is_ok() {
            spurious += 1;
        }
        for ev in events.iter() {
            step = slot.on_event(&c, ev, poll.registry(), Instant::now());
            if step != Step::Pending {
                break;
            }
        }
    }
    let Step::Done(o) = step else { unreachable!() };
    // The drip sends "HTTP/1.0 200 OK\r\n" in 1.7 s: up, despite the decoy's events.
    assert_eq!(verdict(&o), "up");
    assert!(spurious > 5, "decoy produced {spurious} events");
}

/// Cancel closes the socket: the server sees the connection end, the slot is idle.
#[test]
fn cancel_closes_and_idles() {
    use lvsmon::probe::Step;
    use mio::{Poll, Token};
    use std::time::Instant;

    let stall = Server::start(Mode::Stall);
    let poll = Poll::new().unwrap();
    let mut slot = ProbeSlot::new();
    let c = check(http(vec![url("/", None)]), stall.addr, 1000);
    let step = slot.start(&c, poll.registry(), Token(1), Instant::now());
    assert_eq!(step, Step::Pending);
    assert!(!slot.is_idle());
    assert!(slot.deadline().is_some());
    slot.cancel(poll.registry());
    assert!(slot.is_idle());
    assert_eq!(slot.deadline(), None);
    // A cancelled slot starts again cleanly.
    let good = Server::start(Mode::Good);
    assert_eq!(
        verdict(&run_on(
            &mut slot,
            &check(http(vec![url("/", None)]), good.addr, 1000)
        )),
        "up"
    );
}

#[test]
fn many_probes_in_one_loop() {
    let good = Server::start(Mode::Good);
    let stall = Server::start(Mode::Stall);
    let busy = Server::start(Mode::Unavailable);
    let mut checks = Vec::new();
    let mut want = Vec::new();
    for i in 0..8 {
        checks.push(check(
            http(vec![url("/", Some(good_digest()))]),
            good.addr,
            1000,
        ));
        want.push("up".to_string());
        checks.push(check(http(vec![url("/", None)]), stall.addr, 300 + i * 10));
        want.push(format!("timeout after {} ms", 300 + i * 10));
        checks.push(check(http(vec![url("/", None)]), busy.addr, 1000));
        want.push("HTTP 503".to_string());
        checks.push(check(CheckKind::Tcp, closed_port(), 1000));
        want.push("connection refused".to_string());
    }
    let got: Vec<String> = run_many(&checks).iter().map(verdict).collect();
    assert_eq!(got, want);
}

#[test]
fn ipv6_loopback_host_header() {
    if std::net::TcpListener::bind("[::1]:0").is_err() {
        panic!("IPv6 loopback (::1) is required by this test");
    }
    let srv = Server::start_on("[::1]:0", Mode::Good);
    let o = run(&check(
        http(vec![url("/", Some(good_digest()))]),
        srv.addr,
        T,
    ));
    assert_eq!(verdict(&o), "up");
    std::thread::sleep(Duration::from_millis(50));
    let req = String::from_utf8_lossy(&srv.requests.lock().unwrap()[0]).into_owned();
    assert!(
        req.contains(&format!("\r\nHost: [::1]:{}\r\n", srv.addr.port())),
        "{req}"
    );
}
