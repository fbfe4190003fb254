//! The one interface between the director (and the ipvsadm personality) and whatever holds
//! the IPVS table: the kernel over generic netlink, the kernel over setsockopt, or the
//! in-memory dry-run table.

use std::fmt;

use crate::ipvs::rule::{Info, KernelTable, Op, SyncDaemonSpec, Timeouts};

/// A failed table operation: which operation, and the errno the kernel (or the dry-run
/// table, mimicking it) answered. `Display` gives the rule in ipvsadm syntax and the
/// text ipvsadm would print for that (operation, errno) pair.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IpvsError {
    /// The operation that failed; None for queries (dump, info, timeouts, daemons).
    pub op: Option<Op>,
    pub errno: i32,
    /// What was being done when `op` is None, e.g. "dump services".
    pub context: &'static str,
}

impl fmt::Display for IpvsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.op {
            Some(op) => write!(
                f,
                "{}: {}",
                crate::ipvsadm::rule::RuleText(op),
                crate::ipvsadm::errors::op_error_text(op, self.errno)
            ),
            None => write!(
                f,
                "{}: {}",
                self.context,
                crate::ipvsadm::errors::errno_text(self.errno)
            ),
        }
    }
}

impl std::error::Error for IpvsError {}

/// Holds an IPVS table and applies operations to it.
pub trait Backend {
    /// Short name for logs: "netlink", "sockopt", "dry-run".
    fn name(&self) -> &'static str;

    /// Applies one operation. EEXIST on an add and ENOENT on a delete are reported as
    /// errors here; the director decides whether they matter.
    fn apply(&mut self, op: &Op) -> Result<(), IpvsError>;

    /// Applies many operations in order, reporting each failure by index. Backends that
    /// can batch (netlink: several messages per sendmsg) override this.
    fn apply_all(&mut self, ops: &[Op], on_error: &mut dyn FnMut(usize, IpvsError)) {
        for (i, op) in ops.iter().enumerate() {
            if let Err(e) = self.apply(op) {
                on_error(i, e);
            }
        }
    }

    /// Replaces `out` with the current table (services and their destinations).
    fn dump(&mut self, out: &mut KernelTable) -> Result<(), IpvsError>;

    fn info(&mut self) -> Result<Info, IpvsError>;

    fn timeouts(&mut self) -> Result<Timeouts, IpvsError>;

    /// Running connection-sync daemons (at most master and backup).
    fn daemons(&mut self) -> Result<heapless::Vec<SyncDaemonSpec, 2>, IpvsError>;
}
