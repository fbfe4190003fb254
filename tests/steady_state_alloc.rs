//! The steady state allocates nothing: the real reactor, director, probes and dry-run
//! backend run many check cycles against loopback servers (some up, one refusing, one
//! answering 503, an agent; with jittered start-to-start intervals and `rise`) under a counting
//! allocator; after warm-up the count must stay at zero. A slow-start ramp's steps are
//! counted the same way. The config has `vip_announce`: the VIP is announced during the
//! warm-up, and the drift check reads the announce interface in steady state (an interface
//! that carries what was announced); the kernel's interface read (rtnetlink, on `lo`) is
//! measured on its own.
//! Only allocations made on the reactor's thread are counted, so the test servers'
//! threads do not disturb the measure. The HTTP listener (`--http`) is open and nobody
//! scrapes during the measure; then scrapes come, and what they allocate must be given
//! back (the bytes live on the reactor's thread return to where they were, within a
//! bound).

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

struct Counting;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);
/// Bytes allocated minus bytes freed on the counting thread.
static LIVE: std::sync::atomic::AtomicIsize = std::sync::atomic::AtomicIsize::new(0);

thread_local! {
    static COUNTING: Cell<bool> = const { Cell::new(false) };
    /// Counting into HERE only: tests run in parallel and ALLOCATIONS is shared.
    static COUNTING_HERE: Cell<bool> = const { Cell::new(false) };
    static HERE: Cell<usize> = const { Cell::new(0) };
}

// SAFETY: defers to the system allocator; only adds a counter.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if COUNTING_HERE.with(|c| c.get()) {
            HERE.with(|h| h.set(h.get() + 1));
        }
        if COUNTING.with(|c| c.get()) {
            ALLOCATIONS.fetch_add(1, Ordering::SeqCst);
            LIVE.fetch_add(layout.size() as isize, Ordering::SeqCst);
        }
        System.alloc(layout)
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if COUNTING.with(|c| c.get()) {
            LIVE.fetch_sub(layout.size() as isize, Ordering::SeqCst);
        }
        System.dealloc(ptr, layout)
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new: usize) -> *mut u8 {
        if COUNTING_HERE.with(|c| c.get()) {
            HERE.with(|h| h.set(h.get() + 1));
        }
        if COUNTING.with(|c| c.get()) {
            ALLOCATIONS.fetch_add(1, Ordering::SeqCst);
            LIVE.fetch_add(new as isize - layout.size() as isize, Ordering::SeqCst);
        }
        System.realloc(ptr, layout, new)
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Serves `reply` to every connection until `stop` (bounded to one minute).
fn serve(listener: TcpListener, reply: &'static [u8], stop: Arc<AtomicBool>) {
    listener.set_nonblocking(true).unwrap();
    std::thread::spawn(move || {
        let until = Instant::now() + Duration::from_secs(60);
        while !stop.load(Ordering::SeqCst) && Instant::now() < until {
            match listener.accept() {
                Ok((mut s, _)) => {
                    let _ = s.set_nonblocking(false);
                    let _ = s.set_read_timeout(Some(Duration::from_millis(200)));
                    let mut buf = [0u8; 512];
                    let _ = s.read(&mut buf);
                    let _ = s.write_all(reply);
                }
                Err(_) => std::thread::sleep(Duration::from_millis(1)),
            }
        }
    });
}

/// An announce interface that carries exactly what was announced on it, as the kernel's
/// dummy does; counts the drift check's reads.
struct Mirror {
    addrs: Vec<std::net::IpAddr>,
    reads: Arc<AtomicUsize>,
}

impl lvsmon::announce::iface::VipIface for Mirror {
    fn prepare(
        &mut self,
        _name: &str,
    ) -> Result<Vec<std::net::IpAddr>, lvsmon::announce::iface::IfaceError> {
        Ok(Vec::new())
    }
    fn apply(&mut self, op: &lvsmon::announce::VipOp) -> Result<(), String> {
        self.addrs.retain(|a| *a != op.addr);
        if op.kind == lvsmon::announce::VipOpKind::Announce {
            self.addrs.push(op.addr);
        }
        Ok(())
    }
    fn observe(&mut self, _name: &str, out: &mut Vec<std::net::IpAddr>) -> std::io::Result<bool> {
        out.clear();
        out.extend_from_slice(&self.addrs);
        self.reads.fetch_add(1, Ordering::SeqCst);
        Ok(true)
    }
}

#[test]
fn check_cycles_allocate_nothing_after_warm_up() {
    let stop = Arc::new(AtomicBool::new(false));
    let mut reals = String::new();
    for i in 0..8 {
        let l = TcpListener::bind(format!("127.0.1.{}:0", i + 1)).unwrap();
        let addr = l.local_addr().unwrap();
        serve(
            l,
            b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok",
            stop.clone(),
        );
        reals.push_str(&format!(
            "real_server {} {} {{\n HTTP_GET {{\n url {{\n path /\n digest 444bcb3a3fcf8389296c49467f27e1d6\n }}\n connect_timeout 0.5\n retry 1\n delay_before_retry 0.05\n }}\n}}\n",
            addr.ip(), addr.port()
        ));
    }
    let l = TcpListener::bind("127.0.1.20:0").unwrap();
    let bad = l.local_addr().unwrap();
    serve(l, b"HTTP/1.0 503 Busy\r\n\r\n", stop.clone());
    reals.push_str(&format!(
        "real_server {} {} {{\n HTTP_GET {{\n url {{\n path /\n }}\n connect_timeout 0.5\n retry 0\n }}\n}}\n",
        bad.ip(), bad.port()
    ));
    // An agent (agent_check) on the first real server, answering the same words each
    // time: its replies are read and applied with nothing allocated.
    let l = TcpListener::bind("127.0.1.1:0").unwrap();
    let agent_port = l.local_addr().unwrap().port();
    serve(l, b"up 50%\n", stop.clone());
    reals = reals.replacen(
        " HTTP_GET {",
        &format!(
            " agent_check {{\n port {agent_port}\n interval 0.05\n timeout 0.5\n }}\n HTTP_GET {{"
        ),
        1,
    );
    // A closed port: every probe is refused.
    let closed = TcpListener::bind("127.0.1.21:0")
        .unwrap()
        .local_addr()
        .unwrap();
    reals.push_str(&format!(
        "real_server {} {} {{\n TCP_CHECK {{\n connect_timeout 0.5\n retry 0\n }}\n}}\n",
        closed.ip(),
        closed.port()
    ));
    let text = format!(
        "vip_announce {{\n interface vip0\n rule all\n on_stop keep\n}}\nvirtual_server 192.0.2.10 80 {{\n delay_loop 0.05\n delay_loop_jitter 20\n rise 2\n lb_algo wrr\n lb_kind NAT\n sorry_server 192.0.2.99 80\n{}}}\n",
        reals
    );
    let cfg = lvsmon::config::parse_str("alloc.conf", &text).expect("config parses");
    let now = Instant::now();
    let director = lvsmon::director::Director::new(&cfg, now, 1).unwrap();
    let backend = Box::new(lvsmon::ipvs::dryrun::DryRun::new());
    let pipe = lvsmon::sys::process::install_signal_pipe().unwrap();
    let mut reactor = lvsmon::reactor::Reactor::new(
        director,
        backend,
        None,
        pipe,
        Duration::from_millis(200),
        lvsmon::reactor::Settings {
            config_path: "alloc.conf".into(),
            config_load: Default::default(),
            keep_on_exit: true,
            http: Some("127.0.0.1:0".parse().unwrap()),
        },
    )
    .unwrap();
    let reads = Arc::new(AtomicUsize::new(0));
    reactor.set_vip_iface(
        Some((
            Box::new(Mirror {
                addrs: Vec::with_capacity(4),
                reads: reads.clone(),
            }),
            Vec::new(),
        )),
        || None,
    );
    reactor.start();
    // Warm-up: every checker has run, transitions are logged, buffers have their size,
    // the VIP is announced.
    reactor
        .run_until(Instant::now() + Duration::from_millis(1500))
        .unwrap();
    let checks_before = reactor.checks_completed();
    let reads_before = reads.load(Ordering::SeqCst);

    COUNTING.with(|c| c.set(true));
    reactor
        .run_until(Instant::now() + Duration::from_secs(2))
        .unwrap();
    COUNTING.with(|c| c.set(false));
    let checks = reactor.checks_completed() - checks_before;
    let idle_allocations = ALLOCATIONS.load(Ordering::SeqCst);
    let drift_reads = reads.load(Ordering::SeqCst) - reads_before;
    let vips: Vec<String> = reactor
        .director()
        .vip_status()
        .map(|v| format!("{} {}", v.addr, v.state.name()))
        .collect();

    // Scrapes: each allocates (the exposition, the kernel dump, /proc reads) and must
    // give it back. The first ones size the reused buffers; the measure starts after.
    let http = reactor.http_addr().expect("--http is listening");
    let scraper = |n: usize| {
        std::thread::spawn(move || {
            let mut bodies = Vec::new();
            for _ in 0..n {
                let mut s = std::net::TcpStream::connect(http).unwrap();
                s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
                s.write_all(b"GET /metrics HTTP/1.1\r\n\r\n").unwrap();
                let mut body = String::new();
                let _ = s.read_to_string(&mut body);
                bodies.push(body);
                std::thread::sleep(Duration::from_millis(50));
            }
            bodies
        })
    };
    let warm = scraper(3);
    reactor
        .run_until(Instant::now() + Duration::from_millis(600))
        .unwrap();
    assert!(warm
        .join()
        .unwrap()
        .iter()
        .all(|b| b.starts_with("HTTP/1.1 200")));
    ALLOCATIONS.store(0, Ordering::SeqCst);
    LIVE.store(0, Ordering::SeqCst);
    let scrapes = scraper(10);
    COUNTING.with(|c| c.set(true));
    reactor
        .run_until(Instant::now() + Duration::from_millis(1500))
        .unwrap();
    COUNTING.with(|c| c.set(false));
    let bodies = scrapes.join().unwrap();
    stop.store(true, Ordering::SeqCst);
    assert_eq!(bodies.len(), 10);
    assert!(bodies
        .iter()
        .all(|b| b.starts_with("HTTP/1.1 200") && b.contains("lvsmon_real_server_up{")));
    let scrape_allocations = ALLOCATIONS.load(Ordering::SeqCst);
    let live = LIVE.load(Ordering::SeqCst);
    assert!(scrape_allocations > 0, "the scrapes were not measured");
    assert!(
        live <= 16 * 1024,
        "10 scrapes left {} bytes allocated ({} allocations)",
        live,
        scrape_allocations
    );

    assert!(
        checks >= 100,
        "only {} checks ran in the measured window",
        checks
    );
    assert_eq!(vips, ["192.0.2.10 announced"]);
    assert!(
        drift_reads >= 1,
        "the drift check did not read the announce interface in the measured window"
    );
    assert_eq!(
        idle_allocations, 0,
        "allocations during {} steady-state checks and {} announce drift checks",
        checks, drift_reads
    );
}

/// The kernel side of the announce drift check: reading an interface's addresses over
/// rtnetlink (here `lo`, readable unprivileged) allocates nothing once warm.
#[test]
fn the_announce_interface_read_allocates_nothing() {
    use lvsmon::announce::iface::{Kernel, VipIface};
    let mut k = Kernel::open().expect("rtnetlink socket");
    let mut out = Vec::with_capacity(8);
    assert!(k.observe("lo", &mut out).unwrap());
    assert!(out.contains(&"127.0.0.1".parse().unwrap()), "{:?}", out);
    HERE.with(|h| h.set(0));
    COUNTING_HERE.with(|c| c.set(true));
    for _ in 0..100 {
        k.observe("lo", &mut out).unwrap();
    }
    COUNTING_HERE.with(|c| c.set(false));
    assert!(out.contains(&"127.0.0.1".parse().unwrap()), "{:?}", out);
    assert_eq!(HERE.with(|h| h.get()), 0);
}

/// A slow-start ramp in progress is steady state too: each one-second step edits a
/// weight (`-e`) through the director's reconcile and the dry-run backend, and allocates
/// nothing.
#[test]
fn slow_start_ramp_steps_allocate_nothing() {
    use lvsmon::ipvs::backend::Backend;
    use lvsmon::model::table::FixedTable;
    use lvsmon::probe::outcome::{Outcome, Up};

    let text = "virtual_server 192.0.2.10 80 {\n protocol TCP\n lb_algo wlc\n slow_start 10\n \
                real_server 127.0.1.1 80 {\n weight 100\n alpha\n TCP_CHECK { }\n }\n \
                real_server 127.0.1.2 80 {\n weight 100\n TCP_CHECK { }\n }\n}\n";
    let cfg = lvsmon::config::parse_str("ramp.conf", text).expect("config parses");
    let t0 = Instant::now();
    let mut d = lvsmon::director::Director::new(&cfg, t0, 1).unwrap();
    let mut backend = lvsmon::ipvs::dryrun::DryRun::new();
    let mut ops = FixedTable::new("ops", 64);
    let mut due = FixedTable::new("due", 16);
    let mut failed = Vec::with_capacity(64);
    let mut sync = |d: &mut lvsmon::director::Director, edits: &mut usize| {
        d.reconcile(&mut ops);
        failed.clear();
        backend.apply_all(&ops, &mut |i, e| failed.push((i, e)));
        d.applied(&ops, &failed);
        *edits += ops
            .iter()
            .filter(|op| matches!(op, lvsmon::ipvs::rule::Op::EditDest(..)))
            .count();
    };
    let mut edits = 0;
    sync(&mut d, &mut edits);
    // Every checker's first attempt (spread over the warmup) succeeds: the alpha server
    // comes up and ramps.
    let ok = Outcome {
        result: Ok(Up::default()),
        latency: Duration::from_millis(1),
    };
    let mut start = t0;
    for _ in 0..2 {
        start = d.next_due().unwrap();
        d.due(start, &mut due);
        for &id in due.iter() {
            d.on_outcome(id, &ok, start);
        }
    }
    sync(&mut d, &mut edits);
    assert_eq!(edits, 0);
    assert!(d.next_ramp_step().is_some());

    COUNTING.with(|c| c.set(true));
    let mut steps = 0;
    // Bounded: the ramp lasts 10 s, one step a second.
    while let Some(at) = d.next_ramp_step() {
        assert!(at > start);
        d.advance_ramps(at);
        sync(&mut d, &mut edits);
        steps += 1;
        assert!(steps <= 11, "the ramp does not end");
    }
    COUNTING.with(|c| c.set(false));
    assert_eq!(steps, 10);
    // Weights 10, 20, ... 90, then 100: nine edits after the entry at weight 1, and 100.
    assert_eq!(edits, 10);
    assert_eq!(ALLOCATIONS.load(Ordering::SeqCst), 0);
}
