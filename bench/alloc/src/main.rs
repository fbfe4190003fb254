//! Steady-state heap allocations of the real reactor, director, HTTP probes and dry-run
//! backend at scale: N real servers on 127.0.0.0/8 (one in-process responder thread pool
//! on 0.0.0.0:PORT, whose allocations are not counted: only the reactor's thread is), HTTP_GET
//! every 1 s. After a warm-up the allocation count over the measured window is printed.
//! The same method as tests/steady_state_alloc.rs, with thousands of servers instead of ten.
//!
//! Usage: bench-alloc REALS PORT WARMUP_S WINDOW_S

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

struct Counting;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);
static BYTES: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    static COUNTING: Cell<bool> = const { Cell::new(false) };
}

// SAFETY: defers to the system allocator; only adds counters.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if COUNTING.with(|c| c.get()) {
            ALLOCATIONS.fetch_add(1, Ordering::SeqCst);
            BYTES.fetch_add(layout.size(), Ordering::SeqCst);
        }
        System.alloc(layout)
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout)
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new: usize) -> *mut u8 {
        if COUNTING.with(|c| c.get()) {
            ALLOCATIONS.fetch_add(1, Ordering::SeqCst);
            BYTES.fetch_add(new, Ordering::SeqCst);
        }
        System.realloc(ptr, layout, new)
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn main() {
    let a: Vec<String> = std::env::args().collect();
    if a.len() != 5 {
        eprintln!("usage: bench-alloc REALS PORT WARMUP_S WINDOW_S");
        std::process::exit(2);
    }
    let n: usize = a[1].parse().expect("REALS");
    let port: u16 = a[2].parse().expect("PORT");
    let warm: u64 = a[3].parse().expect("WARMUP_S");
    let win: u64 = a[4].parse().expect("WINDOW_S");
    let l = TcpListener::bind(("0.0.0.0", port)).expect("bind");
    for _ in 0..8 {
        let l = l.try_clone().expect("clone");
        std::thread::spawn(move || loop {
            if let Ok((mut s, _)) = l.accept() {
                let _ = s.set_read_timeout(Some(Duration::from_millis(300)));
                let mut buf = [0u8; 1024];
                let _ = s.read(&mut buf);
                let _ = s.write_all(b"HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\nok\n");
            }
        });
    }
    let mut text = String::from(
        "virtual_server 192.0.2.10 80 {\n delay_loop 1\n lb_algo rr\n lb_kind NAT\n protocol TCP\n",
    );
    for k in 0..n {
        // the same spread over 127/8 as bench/genconf.sh
        text.push_str(&format!(
            "real_server 127.{}.{}.{} {} {{\n HTTP_GET {{\n url {{\n path /\n status_code 200\n }}\n connect_timeout 1\n retry 1\n delay_before_retry 1\n }}\n}}\n",
            1 + k % 254,
            (k / 254) % 256,
            1 + (k / 65024) % 254,
            port
        ));
    }
    text.push_str("}\n");
    let cfg = lvsmon::config::parse_str("bench-alloc.conf", &text).expect("config parses");
    let director = lvsmon::director::Director::new(&cfg, Instant::now(), 1).expect("director");
    let backend = Box::new(lvsmon::ipvs::dryrun::DryRun::new());
    let pipe = lvsmon::sys::process::install_signal_pipe().expect("signal pipe");
    let mut reactor = lvsmon::reactor::Reactor::new(
        director,
        backend,
        None,
        pipe,
        Duration::from_millis(200),
        lvsmon::reactor::Settings {
            config_path: "bench-alloc.conf".into(),
            keep_on_exit: true,
            http: None,
            config_load: Default::default(),
        },
    )
    .expect("reactor");
    reactor.start();
    reactor
        .run_until(Instant::now() + Duration::from_secs(warm))
        .expect("warm-up");
    let before = reactor.checks_completed();
    COUNTING.with(|c| c.set(true));
    reactor
        .run_until(Instant::now() + Duration::from_secs(win))
        .expect("window");
    COUNTING.with(|c| c.set(false));
    let checks = reactor.checks_completed() - before;
    println!(
        "alloc reals={} window_s={} checks={} allocations={} bytes={}",
        n,
        win,
        checks,
        ALLOCATIONS.load(Ordering::SeqCst),
        BYTES.load(Ordering::SeqCst)
    );
    let _ = std::io::stdout().flush();
    std::process::exit(0);
}
