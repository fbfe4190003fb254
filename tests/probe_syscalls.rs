//! The system calls one check costs, counted by the probe itself (`socket_calls`), not
//! traced or timed: an HTTP_GET on loopback is socket, connect, EPOLL_CTL_ADD, send,
//! recv, close (no SO_ERROR or getpeername round, no read before the reply can have
//! come, no EPOLL_CTL_DEL before close); a TCP_CHECK is socket, connect,
//! EPOLL_CTL_ADD, close. One call of slack each for a reply that arrives in two reads.

mod support;

use lvsmon::model::config::CheckKind;
use lvsmon::probe::ProbeSlot;
use support::*;

/// Runs `check` `n` times on one slot; every verdict must be `want`. Returns the most
/// socket calls any one attempt made.
fn worst_calls(check: &lvsmon::model::config::Check, n: usize, want: &str) -> u64 {
    let mut slot = ProbeSlot::new();
    let mut worst = 0;
    for _ in 0..n {
        let before = slot.socket_calls();
        let o = run_on(&mut slot, check);
        assert_eq!(verdict(&o), want);
        worst = worst.max(slot.socket_calls() - before);
    }
    worst
}

#[test]
fn http_get_costs_six_socket_calls() {
    let srv = Server::start(Mode::Good);
    let c = check(http(vec![url("/", Some(good_digest()))]), srv.addr, 2000);
    let worst = worst_calls(&c, 20, "up");
    assert!(worst <= 7, "an HTTP_GET made {worst} socket calls");
    assert!(worst >= 6, "counted {worst}: the counter misses calls");
}

#[test]
fn http_get_with_two_urls_costs_two_connections() {
    let srv = Server::start(Mode::Good);
    let c = check(
        http(vec![url("/", None), url("/", Some(good_digest()))]),
        srv.addr,
        2000,
    );
    let worst = worst_calls(&c, 10, "up");
    assert!(
        (12..=14).contains(&worst),
        "two urls made {worst} socket calls"
    );
    assert_eq!(srv.requests.lock().unwrap().len(), 20);
}

#[test]
fn tcp_check_costs_four_socket_calls() {
    let srv = Server::start(Mode::Stall);
    let worst = worst_calls(&check(CheckKind::Tcp, srv.addr, 2000), 20, "up");
    assert_eq!(worst, 4, "a TCP_CHECK made {worst} socket calls");
}

#[test]
fn refused_connect_is_still_judged_refused() {
    // The failed connect is now seen through the request's send (HTTP_GET) or the
    // error event (TCP_CHECK) instead of SO_ERROR first: same verdict either way.
    let c = check(http(vec![url("/", None)]), closed_port(), 2000);
    // socket, connect, EPOLL_CTL_ADD, the send that fails, close.
    let worst = worst_calls(&c, 3, "connection refused");
    assert!(worst <= 6, "a refused HTTP_GET made {worst} socket calls");
    let t = check(CheckKind::Tcp, closed_port(), 2000);
    let worst = worst_calls(&t, 3, "connection refused");
    assert!(worst <= 6, "a refused TCP_CHECK made {worst} socket calls");
}
