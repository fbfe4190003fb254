//! Steady state allocates nothing: after a warm-up, probes of every kind run through a
//! reused ProbeSlot with zero heap allocations inside the slot's calls (counted on this
//! thread only; the test servers' threads allocate as they please).

mod support;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use lvsmon::model::config::{
    Check, CheckKind, DnsCheck, FileCheck, MiscCheck, Script, SmtpCheck, UdpCheck,
};
use lvsmon::probe::outcome::Outcome;
use lvsmon::probe::{ProbeSlot, Step};
use mio::{Events, Poll, Token};
use support::*;

struct Counting;

static ALLOCS: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    static COUNTING: Cell<bool> = const { Cell::new(false) };
}

fn note() {
    if COUNTING.try_with(Cell::get).unwrap_or(false) {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
    }
}

// SAFETY: forwards to the system allocator unchanged; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note();
        // SAFETY: same contract as ours.
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note();
        // SAFETY: same contract as ours.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note();
        // SAFETY: same contract as ours.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as ours.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn counted<T>(f: impl FnOnce() -> T) -> T {
    COUNTING.with(|c| c.set(true));
    let r = f();
    COUNTING.with(|c| c.set(false));
    r
}

/// The reactor's part, with only the slot's calls counted.
fn drive(slot: &mut ProbeSlot, poll: &mut Poll, events: &mut Events, check: &Check) -> Outcome {
    let token = Token(3);
    let begun = Instant::now();
    let mut step = counted(|| slot.start(check, poll.registry(), token, Instant::now()));
    loop {
        if let Step::Done(o) = step {
            return o;
        }
        assert!(begun.elapsed() < RUN_BOUND);
        let now = Instant::now();
        let deadline = slot.deadline().unwrap();
        if now >= deadline {
            step = counted(|| slot.on_deadline(poll.registry(), now));
            continue;
        }
        poll.poll(events, Some(deadline - now)).unwrap();
        step = Step::Pending;
        for ev in events.iter() {
            step = counted(|| slot.on_event(check, ev, poll.registry(), Instant::now()));
            if matches!(step, Step::Done(_)) {
                break;
            }
        }
    }
}

#[test]
fn probes_allocate_nothing_after_warm_up() {
    let web = Server::start(Mode::Good);
    let mail = Server::start(Mode::Smtp);
    let echo = UdpServer::start(udp_echo);
    let dns = UdpServer::start(dns_good);
    let tracked = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("alloc_track");
    std::fs::write(&tracked, "3\n").unwrap();
    let checks = vec![
        (check(CheckKind::Tcp, web.addr, 1000), "up"),
        (
            check(
                http(vec![url("/", Some(good_digest())), url("/nolen", None)]),
                web.addr,
                1000,
            ),
            "up",
        ),
        (
            check(http(vec![url("/missing", None)]), web.addr, 1000),
            "HTTP 404",
        ),
        (
            // HTTP/1.1, a chunked reply decoded into the digest and a regex scan.
            check(
                {
                    #[allow(unused_mut)] // without the regex feature nothing changes it
                    let mut u = url("/chunked", Some(good_digest()));
                    // The regex scan exists only in builds with the regex feature.
                    #[cfg(feature = "regex")]
                    {
                        u.regex = Some(lvsmon::model::config::UrlRegex {
                            source: "test server".into(),
                            re: regex_lite::Regex::new("lvsmon test server").unwrap(),
                            no_match: false,
                            min_offset: 0,
                            max_offset: None,
                        });
                    }
                    let CheckKind::Http(mut h) = http(vec![u]) else {
                        unreachable!()
                    };
                    h.protocol = lvsmon::model::config::HttpProtocol::Http11Close;
                    CheckKind::Http(h)
                },
                web.addr,
                1000,
            ),
            "up",
        ),
        (
            check(CheckKind::Tcp, closed_port(), 1000),
            "connection refused",
        ),
        (
            check(
                CheckKind::Smtp(SmtpCheck {
                    helo_name: "lvsmon".into(),
                }),
                mail.addr,
                1000,
            ),
            "up",
        ),
        (
            check(
                CheckKind::Udp(UdpCheck {
                    payload: b"abc".to_vec(),
                    // `require_reply 61 6X 63`: the X-digit path runs in steady state too.
                    require_reply: Some(b"a`c".to_vec()),
                    reply_mask: vec![0, 0x0f, 0],
                    min_reply_length: 3,
                    max_reply_length: 255,
                }),
                echo.addr,
                1000,
            ),
            "up",
        ),
        (
            check(
                CheckKind::Dns(DnsCheck {
                    qtype: 6,
                    name: "example.test".into(),
                }),
                dns.addr,
                1000,
            ),
            "up",
        ),
        (
            check(CheckKind::Ping, "127.0.0.1:0".parse().unwrap(), 1000),
            "up",
        ),
        (
            check(
                CheckKind::File(FileCheck {
                    path: tracked,
                    weight: 2,
                    reverse: false,
                }),
                "127.0.0.1:0".parse().unwrap(),
                1000,
            ),
            "up weight 6",
        ),
        (
            check(
                CheckKind::Misc(MiscCheck {
                    script: Script {
                        argv: vec!["/bin/sh".into(), "-c".into(), "exit 7".into()],
                        user: None,
                        group: None,
                    },
                    timeout: Some(Duration::from_secs(2)),
                    dynamic: true,
                }),
                "127.0.0.1:0".parse().unwrap(),
                1000,
            ),
            "up weight 5",
        ),
    ];
    // The counter itself works.
    let n = ALLOCS.load(Ordering::Relaxed);
    counted(|| drop(std::hint::black_box(Box::new(1u8))));
    assert_eq!(ALLOCS.load(Ordering::Relaxed), n + 1);
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(64);
    let mut slot = ProbeSlot::new();
    // Warm-up: lazily initialised statics (std's thread info, resolver caches) settle.
    for (c, want) in &checks {
        assert_eq!(verdict(&drive(&mut slot, &mut poll, &mut events, c)), *want);
    }
    let before = ALLOCS.load(Ordering::Relaxed);
    for _ in 0..10 {
        for (c, want) in &checks {
            let o = drive(&mut slot, &mut poll, &mut events, c);
            assert_eq!(verdict(&o), *want);
        }
    }
    assert_eq!(
        ALLOCS.load(Ordering::Relaxed) - before,
        0,
        "allocations in steady state"
    );
}
