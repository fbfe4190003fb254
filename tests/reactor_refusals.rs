//! How the loop treats the kernel refusing an operation.
//! - A lasting refusal (a scheduler module that is missing: each try makes the kernel run
//!   modprobe) is tried again once a second, not on every turn of the loop, and the other
//!   services are still programmed.
//! - After a pass in which the kernel answered with a benign error (EEXIST on an add: the
//!   entry is there, so nothing is left to do), the loop goes back to sleep until its next
//!   deadline. The retry instant of that pass must not linger as a wake-up time in the
//!   past, which made every poll return at once (a busy loop: on a one-CPU board it
//!   starved the probes and the real servers of CPU).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use lvsmon::ipvs::backend::{Backend, IpvsError};
use lvsmon::ipvs::dryrun::DryRun;
use lvsmon::ipvs::rule::{Info, KernelTable, Op, SyncDaemonSpec, Timeouts};
use lvsmon::reactor::Reactor;

/// What the stand-in kernel does with an operation before (or instead of) the dry-run
/// table: `None` applies it, `Some(errno)` refuses it; `apply_first` applies it even when
/// refused (the entry is there, as after EEXIST).
struct Refusing {
    inner: DryRun,
    refuse: fn(&Op, usize) -> Option<i32>,
    apply_first: bool,
    refused: Arc<AtomicUsize>,
}

impl Backend for Refusing {
    fn name(&self) -> &'static str {
        "refusing"
    }
    fn apply(&mut self, op: &Op) -> Result<(), IpvsError> {
        if self.apply_first {
            self.inner.apply(op)?;
        }
        if let Some(errno) = (self.refuse)(op, self.refused.load(Ordering::SeqCst)) {
            self.refused.fetch_add(1, Ordering::SeqCst);
            return Err(IpvsError {
                op: Some(op.clone()),
                errno,
                context: "apply",
            });
        }
        if self.apply_first {
            Ok(())
        } else {
            self.inner.apply(op)
        }
    }
    fn dump(&mut self, out: &mut KernelTable) -> Result<(), IpvsError> {
        self.inner.dump(out)
    }
    fn info(&mut self) -> Result<Info, IpvsError> {
        self.inner.info()
    }
    fn timeouts(&mut self) -> Result<Timeouts, IpvsError> {
        self.inner.timeouts()
    }
    fn daemons(&mut self) -> Result<heapless::Vec<SyncDaemonSpec, 2>, IpvsError> {
        self.inner.daemons()
    }
}

/// A started reactor on `text` (drift check every 60 s) over `backend`.
fn reactor(name: &str, text: &str, backend: Refusing) -> Reactor {
    let cfg = lvsmon::config::parse_str(name, text).unwrap();
    let director = lvsmon::director::Director::new(&cfg, Instant::now(), 1).unwrap();
    let pipe = lvsmon::sys::process::install_signal_pipe().unwrap();
    let mut reactor = Reactor::new(
        director,
        Box::new(backend),
        None,
        pipe,
        Duration::from_secs(60),
        lvsmon::reactor::Settings {
            config_path: name.into(),
            config_load: Default::default(),
            keep_on_exit: true,
            http: None,
        },
    )
    .unwrap();
    reactor.start();
    reactor
}

#[test]
fn a_lasting_refusal_is_retried_once_a_second() {
    let text = "virtual_server 192.0.2.10 80 {\n protocol TCP\n lb_algo wrr\n real_server 198.51.100.2 80 {\n }\n}\n\
                virtual_server 192.0.2.11 80 {\n protocol TCP\n lb_algo mh\n real_server 198.51.100.3 80 {\n }\n}\n";
    let refused = Arc::new(AtomicUsize::new(0));
    // Services with scheduler "mh" are refused with ENOENT, as the kernel answers for a
    // missing scheduler module.
    let backend = Refusing {
        inner: DryRun::new(),
        refuse: |op, _| match op {
            Op::AddService(s) if s.sched.as_str() == "mh" => Some(libc::ENOENT),
            _ => None,
        },
        apply_first: false,
        refused: refused.clone(),
    };
    let mut reactor = reactor("backoff.conf", text, backend);
    reactor
        .run_until(Instant::now() + Duration::from_secs(3))
        .unwrap();
    let n = refused.load(Ordering::SeqCst);
    // About one try a second: 3 or 4 in 3 s. Without the backoff it is one per loop turn.
    assert!(
        (2..=6).contains(&n),
        "the refused AddService was tried {} times in 3 s",
        n
    );
}

#[test]
fn a_benign_refusal_leaves_the_loop_asleep() {
    // No checks (the real server is always up), drift check every 60 s: after start-up
    // the loop has nothing to wake for but the retry pass one second later.
    let text = "virtual_server 192.0.2.10 80 {\n protocol TCP\n lb_algo wrr\n real_server 198.51.100.2 80 {\n }\n}\n";
    let refused = Arc::new(AtomicUsize::new(0));
    // The first AddDest is applied and answered with EEXIST, as the kernel answers for a
    // destination something else added a moment before.
    let backend = Refusing {
        inner: DryRun::new(),
        refuse: |op, so_far| match op {
            Op::AddDest(..) if so_far == 0 => Some(libc::EEXIST),
            _ => None,
        },
        apply_first: true,
        refused: refused.clone(),
    };
    let mut reactor = reactor("idle.conf", text, backend);
    reactor
        .run_until(Instant::now() + Duration::from_secs(3))
        .unwrap();
    assert_eq!(refused.load(Ordering::SeqCst), 1, "one AddDest refused");
    // A few wake-ups (the retry pass, the run_until deadline); a busy loop makes millions.
    let w = reactor.wakeups();
    assert!(
        w < 50,
        "the loop woke {} times in 3 s with nothing to do",
        w
    );
}
