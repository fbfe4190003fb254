//! TCP_CHECK against loopback servers: the verdict and the reason users read.

mod support;

use std::net::{SocketAddr, TcpListener};
use std::os::fd::{FromRawFd, OwnedFd};
use std::time::Duration;

use lvsmon::model::config::CheckKind;
use lvsmon::probe::outcome::Reason;
use support::*;

#[test]
fn connect_is_up() {
    let srv = Server::start(Mode::Stall);
    let o = run(&check(CheckKind::Tcp, srv.addr, 1000));
    assert_eq!(verdict(&o), "up");
    assert!(o.latency < Duration::from_millis(1000));
}

#[test]
fn closed_port_is_refused() {
    let o = run(&check(CheckKind::Tcp, closed_port(), 1000));
    assert_eq!(verdict(&o), "connection refused");
}

#[test]
fn reset_after_connect_still_connected() {
    // keepalived's TCP_CHECK only asks for the connect.
    let srv = Server::start(Mode::Reset);
    assert_eq!(verdict(&run(&check(CheckKind::Tcp, srv.addr, 1000))), "up");
}

/// A listener whose accept queue is full: further SYNs are dropped, so a connect never
/// completes (the "accept-and-stall" of the connect phase).
fn full_backlog() -> (OwnedFd, Vec<mio::net::TcpStream>, SocketAddr) {
    // SAFETY: plain socket calls on a fresh descriptor owned by the returned OwnedFd.
    let fd = unsafe {
        let fd = libc::socket(libc::AF_INET, libc::SOCK_STREAM | libc::SOCK_CLOEXEC, 0);
        assert!(fd >= 0);
        let sin = libc::sockaddr_in {
            sin_family: libc::AF_INET as libc::sa_family_t,
            sin_port: 0,
            sin_addr: libc::in_addr {
                s_addr: u32::from_ne_bytes([127, 0, 0, 1]),
            },
            sin_zero: [0; 8],
        };
        assert_eq!(
            libc::bind(
                fd,
                &sin as *const _ as *const libc::sockaddr,
                std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t
            ),
            0
        );
        assert_eq!(libc::listen(fd, 0), 0);
        OwnedFd::from_raw_fd(fd)
    };
    let listener = TcpListener::from(fd.try_clone().unwrap());
    let addr = listener.local_addr().unwrap();
    std::mem::forget(listener);
    let mut fillers = Vec::new();
    for _ in 0..4 {
        fillers.push(mio::net::TcpStream::connect(addr).unwrap());
    }
    std::thread::sleep(Duration::from_millis(50));
    (fd, fillers, addr)
}

#[test]
fn connect_that_never_completes_times_out() {
    let (_fd, _fillers, addr) = full_backlog();
    let o = run(&check(CheckKind::Tcp, addr, 300));
    assert_eq!(verdict(&o), "timeout after 300 ms");
    assert!(o.latency >= Duration::from_millis(300));
    assert!(o.latency < Duration::from_millis(3000));
}

#[test]
fn bindto_and_bind_port_set_the_source() {
    let srv = Server::start(Mode::Stall);
    let mut c = check(CheckKind::Tcp, srv.addr, 1000);
    c.bindto = Some("127.0.0.2".parse().unwrap());
    assert_eq!(verdict(&run(&c)), "up");
    let port = TcpListener::bind("127.0.0.3:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    c.bindto = Some("127.0.0.3".parse().unwrap());
    c.bind_port = Some(port);
    assert_eq!(verdict(&run(&c)), "up");
    // A fixed source port is reused by the next attempt (SO_REUSEADDR).
    assert_eq!(verdict(&run(&c)), "up");
    std::thread::sleep(Duration::from_millis(50));
    let peers = srv.peers.lock().unwrap().clone();
    assert_eq!(peers[0].ip().to_string(), "127.0.0.2");
    assert_eq!(peers[1], format!("127.0.0.3:{port}").parse().unwrap());
    assert_eq!(peers[2], peers[1]);
}

#[test]
fn unusable_bind_address_is_a_local_error() {
    let mut c = check(CheckKind::Tcp, closed_port(), 1000);
    // 192.0.2.1 (TEST-NET-1) is not an address of this host: bind fails, nothing is sent.
    c.bindto = Some("192.0.2.1".parse().unwrap());
    let o = run(&c);
    assert_eq!(o.result, Err(Reason::Local(libc::EADDRNOTAVAIL)));
    // The errno text is the C library's (glibc and musl word it differently).
    assert_eq!(
        verdict(&o),
        format!(
            "local error: {}",
            std::io::Error::from_raw_os_error(libc::EADDRNOTAVAIL)
        )
    );
}
