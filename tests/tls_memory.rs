//! SSL_GET's memory: rustls's state is allocated when a check connects and freed when it
//! closes, so the heap returns to the same number of live bytes after every check, and
//! the resident set stays flat over many checks. The peak a check adds is the TLS memory
//! of one check in flight (README "Memory").
//!
//! Counted on this thread only (the probe's); the TLS server is `openssl s_server`, another
//! process. LVSMON_TLS_CHECKS sets the number of checks per TLS version (default 1500;
//! the README's figure was measured with 100000).
#![cfg(feature = "tls")]

mod support;
#[path = "support/tls.rs"]
mod tls_support;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicIsize, AtomicUsize, Ordering};
use std::time::Duration;

use lvsmon::probe::ProbeSlot;
use support::{run_on, verdict};
use tls_support::*;

struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);
static PEAK: AtomicIsize = AtomicIsize::new(0);
static ALLOCS: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    static COUNTING: Cell<bool> = const { Cell::new(false) };
}

fn counting() -> bool {
    COUNTING.try_with(Cell::get).unwrap_or(false)
}

fn grow(n: usize) {
    if counting() {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        let now = LIVE.fetch_add(n as isize, Ordering::Relaxed) + n as isize;
        PEAK.fetch_max(now, Ordering::Relaxed);
    }
}

fn shrink(n: usize) {
    if counting() {
        LIVE.fetch_sub(n as isize, Ordering::Relaxed);
    }
}

// SAFETY: forwards to the system allocator unchanged; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        grow(layout.size());
        // SAFETY: same contract as ours.
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        grow(layout.size());
        // SAFETY: same contract as ours.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        shrink(layout.size());
        grow(new_size);
        // SAFETY: same contract as ours.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        shrink(layout.size());
        // SAFETY: same contract as ours.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn rss_kib() -> u64 {
    let s = std::fs::read_to_string("/proc/self/status").unwrap();
    s.lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap()
}

#[test]
fn tls_state_is_freed_at_close_and_memory_stays_flat() {
    let n: usize = std::env::var("LVSMON_TLS_CHECKS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1500);
    let files = Files::new("memory");
    let ca = Ca::new("memory CA");
    let ca_path = files.dir.write("ca.crt", ca.pem().as_bytes());
    let (cert, key) = files.pair("server", &ca.issue(&["www.example.test"], false, false));
    files.dir.write("index.html", b"hello\n");
    let ssl = format!("SSL {{\n  ca {}\n}}", ca_path.display());
    for version in ["-tls1_3", "-tls1_2"] {
        let srv = SServer::start(&files.dir.0, &cert, &key, &[version]);
        // With verification and SNI: the most a check does.
        let check = ssl_get(
            srv.addr,
            &ssl,
            "path /index.html",
            "sni_name www.example.test",
            Duration::from_secs(5),
        );
        let mut slot = ProbeSlot::new();
        let one = |slot: &mut ProbeSlot| {
            COUNTING.with(|c| c.set(true));
            let o = run_on(slot, &check);
            COUNTING.with(|c| c.set(false));
            assert_eq!(verdict(&o), "up", "{version}");
        };
        // Warm-up: whatever is made once (rustls's and ring's lazy statics, the poll).
        for _ in 0..20 {
            one(&mut slot);
        }
        let base = LIVE.load(Ordering::Relaxed);
        PEAK.store(base, Ordering::Relaxed);
        let rss_before = rss_kib();
        let allocs_before = ALLOCS.load(Ordering::Relaxed);
        for i in 0..n {
            one(&mut slot);
            assert_eq!(
                LIVE.load(Ordering::Relaxed),
                base,
                "{version}: live heap after check {i} differs from before"
            );
        }
        let rss_after = rss_kib();
        let per_check = PEAK.load(Ordering::Relaxed) - base;
        let allocs = (ALLOCS.load(Ordering::Relaxed) - allocs_before) / n;
        println!(
            "{version}: {n} checks, peak TLS heap per check {per_check} bytes, \
             {allocs} allocations per check, RSS {rss_before} -> {rss_after} KiB"
        );
        // One check's TLS state is tens of KiB (rustls's buffers and handshake state);
        // the bound only catches a leak or an unbounded buffer.
        assert!(
            per_check < 256 * 1024,
            "{version}: {per_check} bytes per check"
        );
        assert!(
            rss_after <= rss_before + 2048,
            "{version}: RSS grew from {rss_before} to {rss_after} KiB over {n} checks"
        );
    }
}
