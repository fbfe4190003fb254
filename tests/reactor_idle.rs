//! After a pass in which the kernel answered an operation with a benign error (EEXIST on
//! an add: the entry is there, so nothing is left to do), the loop goes back to sleep
//! until its next deadline. The retry instant of that pass must not linger as a wake-up
//! time in the past, which made every poll return at once (a busy loop: on a one-CPU
//! board it starved the probes and the real servers of CPU).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use lvsmon::ipvs::backend::{Backend, IpvsError};
use lvsmon::ipvs::dryrun::DryRun;
use lvsmon::ipvs::rule::{Info, KernelTable, Op, SyncDaemonSpec, Timeouts};

/// The dry-run table, but the first AddDest is applied and answered with EEXIST, as the
/// kernel answers for a destination something else added a moment before.
struct FirstAddExists {
    inner: DryRun,
    answered: Arc<AtomicUsize>,
}

impl Backend for FirstAddExists {
    fn name(&self) -> &'static str {
        "first-add-exists"
    }
    fn apply(&mut self, op: &Op) -> Result<(), IpvsError> {
        self.inner.apply(op)?;
        if matches!(op, Op::AddDest(..)) && self.answered.fetch_add(1, Ordering::SeqCst) == 0 {
            return Err(IpvsError {
                op: Some(op.clone()),
                errno: libc::EEXIST,
                context: "apply",
            });
        }
        Ok(())
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

#[test]
fn a_benign_refusal_leaves_the_loop_asleep() {
    // No checks (the real server is always up), drift check every 60 s: after start-up
    // the loop has nothing to wake for but the retry pass one second later.
    let text = "virtual_server 192.0.2.10 80 {\n protocol TCP\n lb_algo wrr\n real_server 198.51.100.2 80 {\n }\n}\n";
    let cfg = lvsmon::config::parse_str("idle.conf", text).unwrap();
    let answered = Arc::new(AtomicUsize::new(0));
    let backend = Box::new(FirstAddExists {
        inner: DryRun::new(),
        answered: answered.clone(),
    });
    let director = lvsmon::director::Director::new(&cfg, Instant::now(), 1).unwrap();
    let pipe = lvsmon::sys::process::install_signal_pipe().unwrap();
    let mut reactor = lvsmon::reactor::Reactor::new(
        director,
        backend,
        None,
        pipe,
        Duration::from_secs(60),
        lvsmon::reactor::Settings {
            config_path: "idle.conf".into(),
            keep_on_exit: true,
        },
    )
    .unwrap();
    reactor.start();
    reactor
        .run_until(Instant::now() + Duration::from_secs(3))
        .unwrap();
    assert_eq!(answered.load(Ordering::SeqCst), 1, "one AddDest");
    // A few wake-ups (the retry pass, the run_until deadline); a busy loop makes millions.
    let w = reactor.wakeups();
    assert!(
        w < 50,
        "the loop woke {} times in 3 s with nothing to do",
        w
    );
}
