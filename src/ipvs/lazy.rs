//! A kernel backend that may not exist yet: when the kernel has no IPVS at start (module
//! not loaded), the daemon keeps checking and this wrapper opens the real backend on a
//! later `dump` (the reactor dumps once per drift interval), so the table is applied as
//! soon as IPVS appears. While closed, every operation fails with ENOPROTOOPT (what the
//! kernel answers an IPVS sockopt without the module, and what ipvsadm reports as
//! "Protocol not available"), so the director keeps them pending and retries.

use crate::ipvs::backend::{Backend, IpvsError};
use crate::ipvs::rule::{Info, KernelTable, Op, SyncDaemonSpec, Timeouts};
use crate::ipvs::Api;

/// Opens the real backend.
pub type Opener = Box<dyn FnMut() -> Result<Box<dyn Backend>, IpvsError>>;

/// Opens the kernel table through `api`: the first call is `ipvs::open` (which says once
/// when it falls back to setsockopt); later calls, the retries while IPVS is absent, do the
/// same fallback without logging it each drift interval.
pub fn kernel_opener(api: Api) -> Opener {
    let mut first = true;
    Box::new(move || crate::ipvs::open_as(api, std::mem::take(&mut first)))
}

/// `opener` with every open done inside the network namespace `ns` (keepalived's
/// `net_namespace_ipvs`): the sockets it makes stay there, so the table of that
/// namespace is the one programmed (the probes follow it through sys::netns).
pub fn in_namespace(ns: std::path::PathBuf, mut opener: Opener) -> Opener {
    Box::new(move || match crate::sys::netns::within(&ns, &mut opener) {
        Ok(r) => r,
        Err(e) => Err(IpvsError {
            op: None,
            errno: e.raw_os_error().unwrap_or(libc::EIO),
            context: "enter the net_namespace_ipvs namespace",
        }),
    })
}

/// Whether an open failure means "this kernel has no IPVS (yet)": the generic-netlink
/// controller has no IPVS family (ENOENT), or no IPVS sockopt range is registered
/// (ENOPROTOOPT, net/netfilter/nf_sockopt.c). Anything else (EPERM: not root) is fatal.
pub fn means_absent(e: &IpvsError) -> bool {
    matches!(e.errno, libc::ENOENT | libc::ENOPROTOOPT)
}

pub struct Lazy {
    open: Opener,
    inner: Option<Box<dyn Backend>>,
}

impl Lazy {
    /// Tries to open at once. An absent IPVS is logged once (error) and gives a closed
    /// wrapper; any other failure is returned.
    pub fn new(mut open: Opener) -> Result<Lazy, IpvsError> {
        match open() {
            Ok(b) => Ok(Lazy {
                open,
                inner: Some(b),
            }),
            Err(e) if means_absent(&e) => {
                error!(
                    "IPVS is not available in this kernel ({}); checking continues, the table will be applied when it appears",
                    e
                );
                Ok(Lazy { open, inner: None })
            }
            Err(e) => Err(e),
        }
    }

    pub fn is_open(&self) -> bool {
        self.inner.is_some()
    }

    /// One open attempt while closed; logs the moment IPVS appears.
    fn try_open(&mut self) {
        if self.inner.is_some() {
            return;
        }
        match (self.open)() {
            Ok(b) => {
                info!("IPVS is now available ({}); applying the table", b.name());
                self.inner = Some(b);
            }
            Err(e) if means_absent(&e) => {}
            // Logged each time: it is not the expected "still absent" answer.
            Err(e) => warn!("IPVS appeared but cannot be opened: {}", e),
        }
    }
}

fn closed(op: Option<&Op>, context: &'static str) -> IpvsError {
    IpvsError {
        op: op.cloned(),
        errno: libc::ENOPROTOOPT,
        context,
    }
}

impl Backend for Lazy {
    fn name(&self) -> &'static str {
        self.inner.as_ref().map_or("unavailable", |b| b.name())
    }

    fn apply(&mut self, op: &Op) -> Result<(), IpvsError> {
        match self.inner.as_mut() {
            Some(b) => b.apply(op),
            None => Err(closed(Some(op), "apply")),
        }
    }

    fn apply_all(&mut self, ops: &[Op], on_error: &mut dyn FnMut(usize, IpvsError)) {
        match self.inner.as_mut() {
            Some(b) => b.apply_all(ops, on_error),
            None => {
                for (i, op) in ops.iter().enumerate() {
                    on_error(i, closed(Some(op), "apply"));
                }
            }
        }
    }

    /// While closed, first tries to open. A kernel without IPVS holds no IPVS entries, so
    /// a still-closed wrapper answers an empty table rather than an error: the absence was
    /// logged once at start, and the reactor would log a dump error at every drift check.
    fn dump(&mut self, out: &mut KernelTable) -> Result<(), IpvsError> {
        self.try_open();
        match self.inner.as_mut() {
            Some(b) => b.dump(out),
            None => {
                out.services.clear();
                Ok(())
            }
        }
    }

    fn info(&mut self) -> Result<Info, IpvsError> {
        match self.inner.as_mut() {
            Some(b) => b.info(),
            None => Err(closed(None, "get IPVS info")),
        }
    }

    fn timeouts(&mut self) -> Result<Timeouts, IpvsError> {
        match self.inner.as_mut() {
            Some(b) => b.timeouts(),
            None => Err(closed(None, "get timeouts")),
        }
    }

    fn daemons(&mut self) -> Result<heapless::Vec<SyncDaemonSpec, 2>, IpvsError> {
        match self.inner.as_mut() {
            Some(b) => b.daemons(),
            None => Err(closed(None, "get daemons")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ipvs::dryrun::DryRun;
    use crate::ipvs::rule::ServiceKey;
    use std::cell::Cell;
    use std::rc::Rc;

    fn absent(errno: i32) -> IpvsError {
        IpvsError {
            op: None,
            errno,
            context: "probe IPVS (sockopt)",
        }
    }

    /// An opener that fails with `errno` for the first `fails` calls, then opens a dry-run
    /// table; `calls` counts attempts.
    fn opener(fails: u32, errno: i32, calls: Rc<Cell<u32>>) -> Opener {
        Box::new(move || {
            calls.set(calls.get() + 1);
            if calls.get() <= fails {
                Err(absent(errno))
            } else {
                Ok(Box::new(DryRun::new()) as Box<dyn Backend>)
            }
        })
    }

    fn some_service() -> Op {
        use crate::ipvs::rule::{Protocol, ServiceSpec};
        let mut sched = crate::ipvs::rule::SchedName::new();
        sched.push_str("wlc").unwrap();
        Op::AddService(ServiceSpec {
            key: ServiceKey::Inet {
                proto: Protocol::Tcp,
                addr: "192.0.2.10:80".parse().unwrap(),
            },
            sched,
            flags: 0,
            timeout: 0,
            netmask: 0xffff_ffff,
            pe_name: None,
        })
    }

    #[test]
    fn open_at_start_is_transparent() {
        let calls = Rc::new(Cell::new(0));
        let mut b = Lazy::new(opener(0, libc::ENOPROTOOPT, calls.clone())).unwrap();
        assert!(b.is_open());
        assert_eq!(b.name(), "dry-run");
        b.apply(&some_service()).unwrap();
        let mut t = KernelTable::default();
        b.dump(&mut t).unwrap();
        assert_eq!(t.services.len(), 1);
        assert_eq!(calls.get(), 1);
    }

    #[test]
    fn absent_ipvs_fails_ops_then_opens_on_a_later_dump() {
        let calls = Rc::new(Cell::new(0));
        let mut b = Lazy::new(opener(2, libc::ENOPROTOOPT, calls.clone())).unwrap();
        assert!(!b.is_open());
        assert_eq!(b.name(), "unavailable");
        let op = some_service();
        let e = b.apply(&op).unwrap_err();
        assert_eq!(e.errno, libc::ENOPROTOOPT);
        assert_eq!(
            e.to_string(),
            "-A -t 192.0.2.10:80 -s wlc: Protocol not available"
        );
        let mut errors = Vec::new();
        b.apply_all(std::slice::from_ref(&op), &mut |i, e| {
            errors.push((i, e.errno))
        });
        assert_eq!(errors, vec![(0, libc::ENOPROTOOPT)]);
        // Applying never retries the open; only a dump does.
        assert_eq!(calls.get(), 1);
        let mut t = KernelTable::default();
        b.dump(&mut t).unwrap(); // second attempt: still absent, empty table
        assert!(t.services.is_empty());
        assert!(!b.is_open());
        assert_eq!(calls.get(), 2);
        b.dump(&mut t).unwrap(); // third attempt opens
        assert!(b.is_open());
        assert_eq!(calls.get(), 3);
        b.apply(&op).unwrap();
        b.dump(&mut t).unwrap();
        assert_eq!(t.services.len(), 1);
        assert_eq!(calls.get(), 3);
    }

    #[test]
    fn netlink_family_missing_also_counts_as_absent() {
        let calls = Rc::new(Cell::new(0));
        let b = Lazy::new(opener(1, libc::ENOENT, calls)).unwrap();
        assert!(!b.is_open());
    }

    #[test]
    fn other_open_failures_are_fatal() {
        let calls = Rc::new(Cell::new(0));
        let e = Lazy::new(opener(1, libc::EPERM, calls))
            .err()
            .expect("EPERM is not 'absent'");
        assert_eq!(e.errno, libc::EPERM);
    }

    #[test]
    fn queries_while_closed_name_the_missing_protocol() {
        let calls = Rc::new(Cell::new(0));
        let mut b = Lazy::new(opener(9, libc::ENOPROTOOPT, calls)).unwrap();
        assert_eq!(
            b.info().unwrap_err().to_string(),
            "get IPVS info: Protocol not available"
        );
        assert!(b.timeouts().is_err());
        assert!(b.daemons().is_err());
    }
}
