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

/// Runs `f` on a thread of its own in a fresh network namespace (lo up) with
/// `ping_group_range` set to `range` there and CAP_NET_RAW dropped from the thread, so
/// only an unprivileged ping socket can work. The host's settings are untouched:
/// namespaces and capabilities are per thread, the sysctl per namespace.
fn in_netns_without_raw<T: Send + 'static>(range: &'static str, f: fn() -> T) -> T {
    std::thread::spawn(move || {
        // SAFETY: unshare affects only this thread, which we own.
        assert_eq!(
            unsafe { libc::unshare(libc::CLONE_NEWNET) },
            0,
            "unshare(CLONE_NEWNET)"
        );
        // SAFETY: ifreq is plain old data; the ioctls get a valid socket and ifreq.
        unsafe {
            let fd = libc::socket(libc::AF_INET, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0);
            assert!(fd >= 0);
            let mut ifr: libc::ifreq = std::mem::zeroed();
            for (d, s) in ifr.ifr_name.iter_mut().zip(b"lo\0") {
                *d = *s as libc::c_char;
            }
            assert_eq!(libc::ioctl(fd, libc::SIOCGIFFLAGS as _, &mut ifr), 0);
            ifr.ifr_ifru.ifru_flags |= libc::IFF_UP as libc::c_short;
            assert_eq!(libc::ioctl(fd, libc::SIOCSIFFLAGS as _, &ifr), 0, "lo up");
            libc::close(fd);
        }
        std::fs::write("/proc/sys/net/ipv4/ping_group_range", range).unwrap();
        // capget/capset, _LINUX_CAPABILITY_VERSION_3 (linux/capability.h): two data words.
        #[repr(C)]
        struct Header {
            version: u32,
            pid: i32,
        }
        #[repr(C)]
        #[derive(Clone, Copy)]
        struct Data {
            effective: u32,
            permitted: u32,
            inheritable: u32,
        }
        const CAP_NET_RAW: u32 = 13;
        let mut hdr = Header {
            version: 0x2008_0522,
            pid: 0,
        };
        let mut data = [Data {
            effective: 0,
            permitted: 0,
            inheritable: 0,
        }; 2];
        // SAFETY: header and two data words as the v3 ABI requires; this thread only.
        unsafe {
            assert_eq!(
                libc::syscall(libc::SYS_capget, &mut hdr, data.as_mut_ptr()),
                0
            );
            data[0].effective &= !(1 << CAP_NET_RAW);
            assert_eq!(libc::syscall(libc::SYS_capset, &hdr, data.as_ptr()), 0);
        }
        // The raw fallback is really gone on this thread.
        // SAFETY: plain socket call.
        let raw = unsafe {
            libc::socket(
                libc::AF_INET,
                libc::SOCK_RAW | libc::SOCK_CLOEXEC,
                libc::IPPROTO_ICMP,
            )
        };
        assert_eq!(raw, -1, "raw socket still allowed");
        f()
    })
    .join()
    .unwrap()
}

#[test]
fn ping_socket_when_ping_group_range_allows_it() {
    let v = in_netns_without_raw("0 0", || {
        [
            verdict(&run(&check(
                CheckKind::Ping,
                "127.0.0.1:0".parse().unwrap(),
                1000,
            ))),
            // ICMPv6 ping sockets obey the same sysctl.
            verdict(&run(&check(
                CheckKind::Ping,
                "[::1]:0".parse().unwrap(),
                1000,
            ))),
        ]
    });
    assert_eq!(v, ["up", "up"]);
}

#[test]
fn no_ping_socket_and_no_raw_socket_is_a_local_error() {
    let v = in_netns_without_raw("1 0", || {
        verdict(&run(&check(
            CheckKind::Ping,
            "127.0.0.1:0".parse().unwrap(),
            1000,
        )))
    });
    assert_eq!(v, "local error: Operation not permitted (os error 1)");
}
