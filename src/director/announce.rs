//! The director's side of `vip_announce` (crate::announce holds the state machine): the
//! view of a service the announce rule reads, and `pass`, the order of one reconcile
//! pass with route health injection: withdrawals, then the IPVS table, then
//! announcements.

use std::net::IpAddr;
use std::time::Instant;

use super::Director;
use crate::announce::{Phase, SvcView, VipOp, VipStatus};
use crate::ipvs::backend::IpvsError;
use crate::ipvs::rule::Op;
use crate::model::table::FixedTable;

/// The operations of a batch the kernel refused: (index in the batch, error).
pub type Failures = Vec<(usize, IpvsError)>;

impl Director {
    fn svc_view(&self, si: u16) -> SvcView {
        let s = &self.svcs[si as usize];
        let checked = s.reals.clone().all(|ri| {
            self.reals[ri]
                .checkers
                .iter()
                .all(|&c| self.checkers[c as usize].state.last_check.is_some())
        });
        SvcView {
            key: s.key,
            quorum: s.quorum_up && !s.retired,
            settled: checked || (s.adopted && s.quorum_up),
            in_table: self.svc_entries[si as usize].believed.is_some(),
        }
    }

    /// Whether a pass has announce work to do (`reconcile` may have none).
    pub fn vip_pending(&self) -> bool {
        self.announce.is_dirty() || (self.announce.enabled() && self.dirty)
    }

    /// The announce interface, with announcing on.
    pub fn announce_interface(&self) -> Option<&str> {
        self.announce.interface()
    }

    /// Addresses already on the announce interface at start-up or after it changed.
    pub fn vip_adopt(&mut self, present: &[IpAddr], now: Instant) {
        self.announce.adopt(present, now);
    }

    /// The drift check's reading of the announce interface (`Announcer::observe`).
    pub fn vip_observe(&mut self, present: &[IpAddr]) {
        self.announce.observe(present);
    }

    /// One half of the announce plan (see `crate::announce::Announcer::plan`).
    pub fn vip_plan(&mut self, phase: Phase, now: Instant, out: &mut FixedTable<VipOp>) {
        // The view borrows the director while the announcer inside it is planning:
        // take the announcer out for the call (a move of a few words, no allocation).
        let mut a = std::mem::take(&mut self.announce);
        a.plan(phase, &|si| self.svc_view(si), now, out);
        self.announce = a;
    }

    pub fn vip_applied(&mut self, op: &VipOp, result: Result<(), &str>, now: Instant) {
        self.announce.applied(op, result, now);
    }

    /// At TERM: the withdrawals `on_stop` asks for (none with `on_stop keep`).
    pub fn vip_stop(&mut self, out: &mut FixedTable<VipOp>) {
        self.announce.stop(out);
    }

    /// Every VIP for status.
    pub fn vip_status(&self) -> impl Iterator<Item = VipStatus> + '_ {
        self.announce.vips()
    }

    /// `rule` and `on_stop` as written, for status.
    pub fn announce_settings(&self) -> (&'static str, &'static str) {
        (self.announce.rule_name(), self.announce.on_stop_name())
    }

    /// One reconcile pass in the order route health injection needs: (1) withdraw the
    /// VIPs whose rule no longer holds, so the routers stop sending before the table
    /// changes; (2) reconcile the IPVS table (`ipvs` applies `ops` and pushes failures
    /// into `failed`, cleared first); (3) announce the VIPs whose rule holds now that the
    /// table is in place. `vip` carries out one VIP operation. Returns whether anything
    /// failed (the caller waits before the next pass).
    pub fn pass(
        &mut self,
        now: Instant,
        ops: &mut FixedTable<Op>,
        failed: &mut Failures,
        vip_ops: &mut FixedTable<VipOp>,
        ipvs: &mut dyn FnMut(&[Op], &mut Failures),
        vip: &mut dyn FnMut(&VipOp) -> Result<(), String>,
    ) -> bool {
        let mut any_failed = false;
        let announcing = self.vip_pending();
        if announcing {
            self.vip_plan(Phase::Withdraw, now, vip_ops);
            any_failed |= self.carry_out(vip_ops, vip, now);
        }
        failed.clear();
        if self.needs_reconcile() {
            self.reconcile(ops);
            if !ops.is_empty() {
                ipvs(ops, failed);
                self.applied(ops, failed);
                any_failed |= !failed.is_empty();
            }
        }
        if announcing || self.vip_pending() {
            self.vip_plan(Phase::Announce, now, vip_ops);
            any_failed |= self.carry_out(vip_ops, vip, now);
        }
        any_failed
    }

    fn carry_out(
        &mut self,
        vip_ops: &FixedTable<VipOp>,
        vip: &mut dyn FnMut(&VipOp) -> Result<(), String>,
        now: Instant,
    ) -> bool {
        let mut failed = false;
        for op in vip_ops.iter() {
            match vip(op) {
                Ok(()) => self.vip_applied(op, Ok(()), now),
                Err(e) => {
                    failed = true;
                    self.vip_applied(op, Err(&e), now);
                }
            }
        }
        failed
    }
}
