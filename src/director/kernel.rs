//! The director against the real kernel table: adoption at start-up (no flap on
//! restart), drift detection (an administrator changed a managed entry behind lvsmon's
//! back: believe the kernel, so the next reconcile restores what config and health say)
//! and teardown at exit (remove only what lvsmon manages).

use super::{Director, ServiceName};
use crate::ipvs::reconcile::{dest_differs, service_differs};
use crate::ipvs::rule::{KernelTable, Op};
use crate::ipvsadm::rule::{AddrPort, DestOpts, ServiceOpts};
use crate::model::table::FixedTable;

impl Director {
    /// Sets the believed table from the kernel's. Managed entries already there are
    /// believed present; a real server in the kernel that is not `alpha` is presumed up
    /// (its checkers start up), so the first reconcile issues no operation for it.
    /// Kernel entries the config does not name are never touched.
    pub fn adopt(&mut self, kernel: &KernelTable) {
        self.dirty = true;
        self.announce.mark_dirty();
        for si in 0..self.svcs.len() {
            self.forget_service(si);
        }
        let (mut services, mut dests) = (0usize, 0usize);
        for ks in &kernel.services {
            let Some(&si) = self.svc_index.get(&ks.spec.key) else {
                continue;
            };
            services += 1;
            let mut foreign = false;
            for kd in &ks.dests {
                match self.slot_of(si, kd.spec.addr) {
                    Some(slot) => {
                        self.dests[slot].believed = Some(kd.spec);
                        dests += 1;
                    }
                    None => foreign = true,
                }
            }
            let e = &mut self.svc_entries[si as usize];
            e.believed = Some(ks.spec.clone());
            e.foreign |= foreign;
            self.svcs[si as usize].adopted = true;
        }
        info!(
            "adopted from the kernel: {} managed services, {} managed destinations",
            services, dests
        );
    }

    /// Compares a fresh kernel dump with the believed table. Where a managed entry
    /// differs, the kernel's state becomes the believed one, so the next reconcile puts
    /// it back; each such difference that calls for an operation is logged once (warn).
    /// Call it with a dump taken after the last `applied`.
    pub fn observe(&mut self, kernel: &KernelTable) {
        self.dirty = true;
        self.compute_desired();
        for s in self.svcs.iter_mut() {
            s.seen = false;
        }
        for m in self.slot_meta.iter_mut() {
            m.seen = false;
        }
        for ks in &kernel.services {
            let Some(&si) = self.svc_index.get(&ks.spec.key) else {
                continue;
            };
            let si = si as usize;
            let e = &self.svc_entries[si];
            if e.desired.is_none() && e.believed.is_none() {
                // Retired and already gone: no longer lvsmon's.
                continue;
            }
            self.svcs[si].seen = true;
            let key = self.svcs[si].key;
            let changed = match &e.believed {
                None => true,
                Some(b) => service_differs(b, &ks.spec) || service_differs(&ks.spec, b),
            };
            if changed {
                let needs_op = match &e.desired {
                    None => true,
                    Some(want) => service_differs(want, &ks.spec),
                };
                if needs_op {
                    warn!(
                        "drift: {} changed outside lvsmon (now {}); restoring",
                        ServiceName(&key),
                        ServiceOpts(&ks.spec)
                    );
                }
            }
            self.svc_entries[si].believed = Some(ks.spec.clone());
            let mut foreign = false;
            for kd in &ks.dests {
                let Some(slot) = self.slot_of(si as u16, kd.spec.addr) else {
                    foreign = true;
                    continue;
                };
                self.slot_meta[slot].seen = true;
                let d = &self.dests[slot];
                let changed = match &d.believed {
                    None => true,
                    Some(b) => dest_differs(b, &kd.spec) || dest_differs(&kd.spec, b),
                };
                if changed {
                    let needs_op = match &d.desired {
                        None => true,
                        Some(want) => dest_differs(want, &kd.spec),
                    };
                    if needs_op {
                        let what = self.slot_role(slot);
                        if d.believed.is_none() {
                            warn!(
                                "drift: {} {} {} was added outside lvsmon; restoring",
                                ServiceName(&key),
                                what,
                                AddrPort(&kd.spec.addr)
                            );
                        } else {
                            warn!(
                                "drift: {} {} {} changed outside lvsmon (now {}); restoring",
                                ServiceName(&key),
                                what,
                                AddrPort(&kd.spec.addr),
                                DestOpts(&kd.spec)
                            );
                        }
                    }
                }
                self.dests[slot].believed = Some(kd.spec);
            }
            self.svc_entries[si].foreign = foreign;
        }
        for si in 0..self.svcs.len() {
            if self.svcs[si].seen || self.svc_entries[si].believed.is_none() {
                continue;
            }
            if self.svc_entries[si].desired.is_some() {
                warn!(
                    "drift: {} was removed outside lvsmon; restoring",
                    ServiceName(&self.svcs[si].key)
                );
            }
            self.forget_service(si);
        }
        for slot in 0..self.dests.len() {
            let d = &self.dests[slot];
            let si = d.svc as usize;
            if self.slot_meta[slot].seen || d.believed.is_none() || !self.svcs[si].seen {
                continue;
            }
            if d.desired.is_some() {
                warn!(
                    "drift: {} {} {} was removed outside lvsmon; restoring",
                    ServiceName(&self.svcs[si].key),
                    self.slot_role(slot),
                    AddrPort(&d.addr)
                );
            }
            self.dests[slot].believed = None;
        }
    }

    fn slot_role(&self, slot: usize) -> &'static str {
        if self.slot_meta[slot].sorry_only {
            "sorry server"
        } else {
            "real server"
        }
    }

    /// Ops removing what lvsmon manages (for exit without --keep-on-exit), cleared first:
    /// each managed service is deleted whole, unless it also holds destinations lvsmon
    /// does not manage, in which case only lvsmon's destinations are deleted.
    pub fn teardown(&self, ops: &mut FixedTable<Op>) {
        self.teardown_as(ops, false);
    }

    /// `teardown`, or with `whole_services` (keepalived's `lvs_flush_on_stop VS`) every
    /// configured service lvsmon programmed is deleted in one operation with all its real
    /// servers, even one that was in the table before lvsmon started.
    pub fn teardown_as(&self, ops: &mut FixedTable<Op>, whole_services: bool) {
        ops.clear();
        for (si, e) in self.svc_entries.iter().enumerate() {
            let Some(have) = &e.believed else {
                continue;
            };
            let pushed = if e.foreign && !whole_services {
                self.svcs[si].dests.clone().try_for_each(|slot| {
                    if self.dests[slot].believed.is_some() {
                        ops.push(Op::DelDest(have.key, self.dests[slot].addr))?;
                    }
                    Ok(())
                })
            } else {
                ops.push(Op::DelService(have.key)).map(|_| ())
            };
            if let Err(e) = pushed {
                warn!("teardown incomplete: {}", e);
                return;
            }
        }
    }
}
