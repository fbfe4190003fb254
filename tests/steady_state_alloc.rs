//! The steady state allocates nothing: the real reactor, director, probes and dry-run
//! backend run many check cycles against loopback servers (some up, one refusing, one
//! answering 503, an agent; with jittered start-to-start intervals and `rise`) under a counting
//! allocator; after warm-up the count must stay at zero. A slow-start ramp's steps are
//! counted the same way.
//! Only allocations made on the reactor's thread are counted, so the test servers'
//! threads do not disturb the measure.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

struct Counting;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    static COUNTING: Cell<bool> = const { Cell::new(false) };
}

// SAFETY: defers to the system allocator; only adds a counter.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if COUNTING.with(|c| c.get()) {
            ALLOCATIONS.fetch_add(1, Ordering::SeqCst);
        }
        System.alloc(layout)
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout)
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new: usize) -> *mut u8 {
        if COUNTING.with(|c| c.get()) {
            ALLOCATIONS.fetch_add(1, Ordering::SeqCst);
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
        "virtual_server 192.0.2.10 80 {{\n delay_loop 0.05\n delay_loop_jitter 20\n rise 2\n lb_algo wrr\n lb_kind NAT\n sorry_server 192.0.2.99 80\n{}}}\n",
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
        },
    )
    .unwrap();
    reactor.start();
    // Warm-up: every checker has run, transitions are logged, buffers have their size.
    reactor
        .run_until(Instant::now() + Duration::from_millis(1500))
        .unwrap();
    let checks_before = reactor.checks_completed();

    COUNTING.with(|c| c.set(true));
    reactor
        .run_until(Instant::now() + Duration::from_secs(2))
        .unwrap();
    COUNTING.with(|c| c.set(false));
    let checks = reactor.checks_completed() - checks_before;
    stop.store(true, Ordering::SeqCst);

    assert!(
        checks >= 100,
        "only {} checks ran in the measured window",
        checks
    );
    assert_eq!(
        ALLOCATIONS.load(Ordering::SeqCst),
        0,
        "allocations during {} steady-state checks",
        checks
    );
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
