//! A kernel that keeps refusing an operation (a scheduler module that is missing: each try
//! makes the kernel run modprobe) sees it again once a second, not on every turn of the
//! loop, and the other services are still programmed.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use lvsmon::ipvs::backend::{Backend, IpvsError};
use lvsmon::ipvs::dryrun::DryRun;
use lvsmon::ipvs::rule::{Info, KernelTable, Op, SyncDaemonSpec, Timeouts};

/// The dry-run table, except that services with scheduler "mh" are refused (ENOENT, as
/// the kernel answers for a missing scheduler module).
struct NoMh {
    inner: DryRun,
    refused: Arc<AtomicUsize>,
}

impl Backend for NoMh {
    fn name(&self) -> &'static str {
        "no-mh"
    }
    fn apply(&mut self, op: &Op) -> Result<(), IpvsError> {
        if let Op::AddService(s) = op {
            if s.sched.as_str() == "mh" {
                self.refused.fetch_add(1, Ordering::SeqCst);
                return Err(IpvsError {
                    op: Some(op.clone()),
                    errno: libc::ENOENT,
                    context: "apply",
                });
            }
        }
        self.inner.apply(op)
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
fn a_lasting_refusal_is_retried_once_a_second() {
    let text = "virtual_server 192.0.2.10 80 {\n protocol TCP\n lb_algo wrr\n real_server 198.51.100.2 80 {\n }\n}\n\
                virtual_server 192.0.2.11 80 {\n protocol TCP\n lb_algo mh\n real_server 198.51.100.3 80 {\n }\n}\n";
    let cfg = lvsmon::config::parse_str("backoff.conf", text).unwrap();
    let refused = Arc::new(AtomicUsize::new(0));
    let backend = Box::new(NoMh {
        inner: DryRun::new(),
        refused: refused.clone(),
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
            config_path: "backoff.conf".into(),
            keep_on_exit: true,
        },
    )
    .unwrap();
    reactor.start();
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
