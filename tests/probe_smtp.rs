//! SMTP_CHECK against a loopback banner server.

mod support;

use std::time::Duration;

use lvsmon::model::config::{CheckKind, SmtpCheck};
use support::*;

fn smtp() -> CheckKind {
    CheckKind::Smtp(SmtpCheck {
        helo_name: "director.test".into(),
    })
}

#[test]
fn banner_helo_quit_is_up() {
    let srv = Server::start(Mode::Smtp);
    let o = run(&check(smtp(), srv.addr, 1000));
    assert_eq!(verdict(&o), "up");
    assert!(o.latency < Duration::from_millis(1000));
    std::thread::sleep(Duration::from_millis(100));
    let reqs = srv.requests.lock().unwrap().clone();
    assert_eq!(
        String::from_utf8_lossy(&reqs[0]),
        "HELO director.test\r\nQUIT\r\n"
    );
}

#[test]
fn banner_554_is_down() {
    let srv = Server::start(Mode::Smtp554);
    assert_eq!(verdict(&run(&check(smtp(), srv.addr, 1000))), "SMTP 554");
}

#[test]
fn http_server_is_not_smtp() {
    // The server waits for a request first: no banner arrives in time.
    let srv = Server::start(Mode::Good);
    assert_eq!(
        verdict(&run(&check(smtp(), srv.addr, 300))),
        "timeout after 300 ms"
    );
}

#[test]
fn garbage_banner() {
    let srv = Server::start(Mode::SmtpGarbage);
    assert_eq!(
        verdict(&run(&check(smtp(), srv.addr, 1000))),
        "bad reply: malformed SMTP reply"
    );
}

#[test]
fn stalled_and_refused() {
    let stall = Server::start(Mode::Stall);
    assert_eq!(
        verdict(&run(&check(smtp(), stall.addr, 300))),
        "timeout after 300 ms"
    );
    assert_eq!(
        verdict(&run(&check(smtp(), closed_port(), 1000))),
        "connection refused"
    );
}
