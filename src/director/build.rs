//! Building the director from a resolved config, fresh (`new`) or from a running one
//! (`reload`): the new config is diffed against the old by key in linear time (hash maps
//! keyed by `Check`, service key and service+address). Kept checkers keep their id, state
//! and schedule; kept real servers keep their health, last change and override; the
//! believed kernel table carries over, so an unchanged config yields no operation.
//! Entries the new config drops stay as "retired" entries until the reconciler has
//! removed them from the kernel.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use super::slot_index::SlotIndex;
use super::stats::RealStats;
use super::{CheckLogLimit, Checker, CheckerId, Director, Real, ServiceName, SlotMeta, Sorry, Svc};
use crate::announce::Announcer;
use crate::health::checker::{warmup_delay, CheckerState, XorShift};
use crate::ipvs::reconcile::{DestEntry, SvcEntry};
use crate::ipvs::rule::{svc_flags, DestSpec, Family, PeName, ServiceKey, ServiceSpec};
use crate::model::config::{Check, CheckKind, Config, Script, VirtualServer, VsTarget};
use crate::model::fasthash::{fast_map, FastMap};
use crate::model::limits::{MAX_CHECKERS, MAX_CHECKS_PER_REAL, MAX_REALS, MAX_SERVICES};
use crate::model::table::{FixedTable, Full};
use crate::sched::Sched;

/// The kernel service a `virtual_server` block asks for.
pub fn service_spec(vs: &VirtualServer) -> ServiceSpec {
    let key = service_key(vs);
    let mut flags = vs.svc_flags;
    if vs.persistence_timeout.is_some() {
        flags |= svc_flags::PERSISTENT;
    }
    let default_mask = match key.family() {
        Family::Inet => 0xffff_ffff,
        Family::Inet6 => 128,
    };
    ServiceSpec {
        key,
        sched: vs.sched.clone(),
        flags,
        timeout: vs.persistence_timeout.unwrap_or(0),
        netmask: vs.persistence_granularity.unwrap_or(default_mask),
        pe_name: vs
            .persistence_engine
            .as_deref()
            .and_then(|p| PeName::try_from(p).ok()),
    }
}

pub fn service_key(vs: &VirtualServer) -> ServiceKey {
    match vs.target {
        VsTarget::Addr(addr) => ServiceKey::Inet {
            proto: vs.protocol,
            addr,
        },
        VsTarget::Fwmark { mark, family } => ServiceKey::Fwmark { family, mark },
    }
}

fn share<'a>(
    map: &mut FastMap<&'a Script, Arc<Script>>,
    s: &'a Option<Script>,
) -> Option<Arc<Script>> {
    let s = s.as_ref()?;
    Some(map.get_or_insert_with(s, || Arc::new(s.clone())).clone())
}

fn full(what: &'static str, capacity: usize) -> Full {
    Full { what, capacity }
}

impl Director {
    /// Builds the director for `cfg`. Real servers start up (or down with `alpha`); each
    /// checker's first attempt is at `now` plus a random warmup delay drawn from `seed`.
    /// Services whose initial health gives no quorum log it and queue quorum_down.
    pub fn new(cfg: &Config, now: Instant, seed: u64) -> Result<Director, Full> {
        assemble(None, cfg, now, XorShift::new(seed))
    }

    /// Applies a new config keeping the health of unchanged real servers (see the module
    /// comment). On error (a capacity exceeded) nothing changes.
    pub fn reload(&mut self, cfg: &Config, now: Instant) -> Result<(), Full> {
        let rng = self.rng;
        let next = assemble(Some(self), cfg, now, rng)?;
        *self = next;
        Ok(())
    }
}

fn assemble(
    old: Option<&Director>,
    cfg: &Config,
    now: Instant,
    mut rng: XorShift,
) -> Result<Director, Full> {
    if cfg.services.len() > MAX_SERVICES {
        return Err(full("virtual services", MAX_SERVICES));
    }
    let real_count: usize = cfg.services.iter().map(|v| v.reals.len()).sum();
    if real_count > MAX_REALS {
        return Err(full("real servers", MAX_REALS));
    }
    for vs in &cfg.services {
        for r in &vs.reals {
            if r.checks.len() > MAX_CHECKS_PER_REAL {
                return Err(full("checks per real server", MAX_CHECKS_PER_REAL));
            }
        }
    }

    // Scripts are shared (Arc) so that events carry them without allocating.
    let mut scripts: FastMap<&Script, Arc<Script>> = fast_map(0);

    // 1. Checkers: one per distinct Check. Kept ones keep their id.
    let old_ids: FastMap<&Check, CheckerId> = old
        .map(|o| {
            o.checkers
                .iter()
                .enumerate()
                .filter(|(_, c)| c.live)
                .map(|(i, c)| (&c.check, i as CheckerId))
                .collect()
        })
        .unwrap_or_default();
    let mut checkers: Vec<Checker> = old
        .map(|o| {
            o.checkers
                .iter()
                .map(|c| Checker {
                    live: false,
                    users: 0..0,
                    ..c.clone()
                })
                .collect()
        })
        .unwrap_or_default();
    let mut ids: FastMap<&Check, CheckerId> = fast_map(real_count);
    let mut fresh: Vec<&Check> = Vec::new();
    for vs in &cfg.services {
        for r in &vs.reals {
            for c in &r.checks {
                if ids.contains_key(c) {
                    continue;
                }
                match old_ids.get(c) {
                    Some(&id) => {
                        checkers[id as usize].live = true;
                        ids.insert(c, id);
                    }
                    None => {
                        ids.insert(c, CheckerId::MAX);
                        fresh.push(c);
                    }
                }
            }
        }
    }
    let free_ids: Vec<usize> = (0..checkers.len())
        .filter(|&i| !checkers[i].live && !checkers[i].running)
        .collect();
    let mut free = free_ids.into_iter();
    let mut fresh_ids: Vec<CheckerId> = Vec::with_capacity(fresh.len());
    for c in &fresh {
        let checker = Checker {
            check: (*c).clone(),
            state: CheckerState::new(false),
            users: 0..0,
            live: true,
            running: false,
        };
        let id = match free.next() {
            Some(i) => i,
            None => checkers.len(),
        };
        if id >= MAX_CHECKERS {
            return Err(full("checkers", MAX_CHECKERS));
        }
        if id == checkers.len() {
            checkers.push(checker);
        } else {
            checkers[id] = checker;
        }
        ids.insert(c, id as CheckerId);
        fresh_ids.push(id as CheckerId);
    }

    // 2. Services, real servers and destination slots.
    let old_reals: FastMap<(ServiceKey, SocketAddr), usize> = old
        .map(|o| {
            o.reals
                .iter()
                .enumerate()
                .map(|(i, r)| ((o.svcs[r.svc as usize].key, r.addr), i))
                .collect()
        })
        .unwrap_or_default();
    let old_svc = |key: &ServiceKey| -> Option<usize> {
        let o = old?;
        o.svc_index.get(key).map(|&i| i as usize)
    };
    let mut svcs: Vec<Svc> = Vec::with_capacity(cfg.services.len());
    let mut svc_entries: Vec<SvcEntry> = Vec::with_capacity(cfg.services.len());
    let mut reals: Vec<Real> = Vec::with_capacity(real_count);
    let mut stats: Vec<RealStats> = Vec::with_capacity(real_count);
    let mut dests: Vec<DestEntry> = Vec::with_capacity(real_count + cfg.services.len());
    let mut slot_meta: Vec<SlotMeta> = Vec::with_capacity(dests.capacity());
    let mut svc_index: FastMap<ServiceKey, u16> = fast_map(cfg.services.len());
    let mut slot_index = SlotIndex::with_capacity(dests.capacity());
    let mut users: Vec<Vec<u32>> = vec![Vec::new(); checkers.len()];
    // Checkers whose users include an alpha real server start down.
    let mut alpha: Vec<bool> = vec![false; checkers.len()];

    for vs in &cfg.services {
        let spec = service_spec(vs);
        let key = spec.key;
        if svc_index.contains_key(&key) {
            // The config helper rejects duplicates; keep the first if one slips through.
            warn!("{} is configured twice; using the first", ServiceName(&key));
            continue;
        }
        let si = svcs.len();
        svc_index.insert(key, si as u16);
        let prev = old_svc(&key);
        let slot_start = dests.len();
        let real_start = reals.len();
        let mut slot_of = |addr: SocketAddr,
                           dests: &mut Vec<DestEntry>,
                           slot_meta: &mut Vec<SlotMeta>,
                           sorry: bool|
         -> usize {
            if let Some(s) = slot_index.get(dests, si as u16, addr) {
                if !sorry {
                    slot_meta[s].sorry_only = false;
                }
                return s;
            }
            let believed = old.and_then(|o| {
                let p = prev?;
                let s = o.slot_of(p as u16, addr)?;
                o.dests[s].believed
            });
            dests.push(DestEntry {
                svc: si as u16,
                addr,
                desired: None,
                believed,
            });
            slot_meta.push(SlotMeta {
                sorry_only: sorry,
                ..SlotMeta::default()
            });
            slot_index.insert(dests, dests.len() - 1);
            dests.len() - 1
        };
        for r in &vs.reals {
            let slot = slot_of(r.addr, &mut dests, &mut slot_meta, false);
            let mut cks = heapless::Vec::new();
            for c in &r.checks {
                let id = ids[c];
                if cks.contains(&id) {
                    continue;
                }
                // Bounded by MAX_CHECKS_PER_REAL, checked above.
                let _ = cks.push(id);
                users[id as usize].push(reals.len() as u32);
            }
            let prev_real = old.and_then(|o| old_reals.get(&(key, r.addr)).map(|&ri| &o.reals[ri]));
            // A fresh checker starts down for an alpha real server, and for one that was
            // down before the reload (a changed check must not re-add it untested).
            let start_down = r.alpha || prev_real.is_some_and(|x| !x.up);
            for &id in &cks {
                alpha[id as usize] |= start_down;
            }
            // A kept real server keeps its counters and history.
            stats.push(
                old.and_then(|o| old_reals.get(&(key, r.addr)).map(|&ri| o.stats[ri].clone()))
                    .unwrap_or_default(),
            );
            reals.push(Real {
                svc: si as u16,
                addr: r.addr,
                weight: r.weight,
                forward: r.forward,
                tunnel: r.tunnel,
                u_threshold: r.uthreshold,
                l_threshold: r.lthreshold,
                inhibit: r.inhibit_on_failure,
                notify_up: share(&mut scripts, &r.notify_up),
                notify_down: share(&mut scripts, &r.notify_down),
                checkers: cks,
                slot,
                // Set from the checkers below.
                up: prev_real.map(|x| x.up).unwrap_or(true),
                last_change: prev_real.and_then(|x| x.last_change),
                ov: prev_real.and_then(|x| x.ov),
                slow_start: u32::try_from(r.slow_start.as_secs()).unwrap_or(u32::MAX),
                // A ramp in progress goes on across a reload (see step 5).
                ramp: prev_real.and_then(|x| x.ramp),
            });
        }
        let sorry = vs.sorry_server.as_ref().map(|s| {
            let slot = slot_of(s.addr, &mut dests, &mut slot_meta, true);
            Sorry {
                slot,
                // keepalived gives the sorry server weight 1.
                spec: DestSpec {
                    addr: s.addr,
                    forward: s.forward,
                    weight: 1,
                    u_threshold: 0,
                    l_threshold: 0,
                    tunnel: s.tunnel,
                },
                inhibit: s.inhibit,
            }
        });
        // Slots the old config had for this service and the new one does not.
        if let (Some(o), Some(p)) = (old, prev) {
            for s in o.svcs[p].dests.clone() {
                let d = &o.dests[s];
                if d.believed.is_some() && slot_index.get(&dests, si as u16, d.addr).is_none() {
                    dests.push(DestEntry {
                        svc: si as u16,
                        addr: d.addr,
                        desired: None,
                        believed: d.believed,
                    });
                    slot_meta.push(o.slot_meta[s]);
                    slot_index.insert(&dests, dests.len() - 1);
                }
            }
        }
        let (believed, foreign, quorum_up, adopted) = match (old, prev) {
            (Some(o), Some(p)) => (
                o.svc_entries[p].believed.clone(),
                o.svc_entries[p].foreign,
                o.svcs[p].quorum_up,
                o.svcs[p].adopted,
            ),
            _ => (None, false, true, false),
        };
        svc_entries.push(SvcEntry {
            desired: Some(spec),
            believed,
            foreign,
        });
        svcs.push(Svc {
            key,
            retired: false,
            protocol: vs.protocol,
            sched: vs.sched.clone(),
            quorum: vs.quorum,
            hysteresis: vs.hysteresis,
            quorum_up_script: share(&mut scripts, &vs.quorum_up),
            quorum_down_script: share(&mut scripts, &vs.quorum_down),
            omega: vs.omega,
            sorry,
            reals: real_start..reals.len(),
            dests: slot_start..dests.len(),
            quorum_up,
            adopted,
            failing: false,
            seen: false,
        });
    }

    // 3. Services the new config drops, while the kernel may still hold them.
    if let Some(o) = old {
        for (p, s) in o.svcs.iter().enumerate() {
            if svc_index.contains_key(&s.key) || o.svc_entries[p].believed.is_none() {
                continue;
            }
            let si = svcs.len();
            svc_index.insert(s.key, si as u16);
            let slot_start = dests.len();
            for sl in s.dests.clone() {
                let d = &o.dests[sl];
                if d.believed.is_some() {
                    dests.push(DestEntry {
                        svc: si as u16,
                        ..d.clone()
                    });
                    slot_meta.push(o.slot_meta[sl]);
                    slot_index.insert(&dests, dests.len() - 1);
                }
            }
            svc_entries.push(SvcEntry {
                desired: None,
                ..o.svc_entries[p].clone()
            });
            svcs.push(Svc {
                retired: true,
                sorry: None,
                reals: 0..0,
                dests: slot_start..dests.len(),
                quorum_up_script: None,
                quorum_down_script: None,
                ..s.clone()
            });
        }
    }

    // 4. Fan-out table and the fresh checkers' initial state and first attempt.
    let mut fanout: Vec<u32> = Vec::with_capacity(reals.len());
    for (id, u) in users.iter().enumerate() {
        let start = fanout.len();
        fanout.extend_from_slice(u);
        checkers[id].users = start..fanout.len();
    }
    let mut sched = Sched::new(checkers.len());
    for &id in &fresh_ids {
        let c = &mut checkers[id as usize];
        // An agent has not spoken yet: it holds nothing against the server.
        c.state = CheckerState::new(alpha[id as usize] && c.check.kind != CheckKind::Agent);
        let delay = warmup_delay(c.check.warmup, rng.next_u64());
        sched.schedule(id, now + delay);
    }
    let mut is_fresh = vec![false; checkers.len()];
    for &id in &fresh_ids {
        is_fresh[id as usize] = true;
    }
    if let Some(o) = old {
        for (id, c) in checkers.iter().enumerate() {
            if c.live && !c.running && !is_fresh[id] {
                let at = o.sched.deadline(id as CheckerId).unwrap_or(now);
                sched.schedule(id as CheckerId, at);
            }
        }
    }

    let event_cap = 2 * (reals.len() + svcs.len()) + 16;
    let mut events = FixedTable::new("pending scripts", event_cap);
    if let Some(o) = old {
        for ev in o.events.iter() {
            if events.push(ev.clone()).is_err() {
                warn!("pending notification dropped at reload: {}", ev.kind.name());
            }
        }
    }

    // Route health injection: one VIP per service address (see crate::announce); a
    // reload carries the VIPs' state over and withdraws what it drops.
    let mut announce = Announcer::new(
        cfg.vip_announce.as_ref(),
        svcs.iter()
            .enumerate()
            .filter(|(_, s)| !s.retired)
            .map(|(i, s)| {
                let addr = match s.key {
                    ServiceKey::Inet { addr, .. } => Some(addr.ip()),
                    ServiceKey::Fwmark { .. } => None,
                };
                (i as u16, addr)
            }),
    );
    if let Some(o) = old {
        announce.carry(&o.announce);
    }

    let mut d = Director {
        announce,
        svcs,
        svc_entries,
        reals,
        dests,
        slot_meta,
        checkers,
        fanout,
        sched,
        svc_index,
        slot_index,
        events,
        rng,
        late_starts: old.map_or(0, |o| o.late_starts),
        next_ramp_step: None,
        dirty: true,
        notify_all: cfg.lvs_notify_fifo.is_some(),
        stats,
        epoch: old.map(|o| o.epoch).unwrap_or(now),
        log_checks: old.is_some_and(|o| o.log_checks),
        check_log: old.map(|o| o.check_log).unwrap_or(CheckLogLimit {
            window: now,
            written: 0,
            suppressed: 0,
        }),
    };

    // 5. Health of each real server from its checkers. A kept real server whose health
    // changes because its checks changed logs the transition; new ones start silently.
    // Slow start: a ramp carried over goes on while its server stays up (with the new
    // slow_start, if that changed); a server that comes up here, or that a reload adds
    // up, starts one. A fresh start ramps nothing: the servers were not away.
    for ri in 0..d.reals.len() {
        let up = d.real_is_up(&d.reals[ri]);
        let r = &d.reals[ri];
        let known = old_reals.contains_key(&(d.svcs[r.svc as usize].key, r.addr));
        let returns = up && ((known && !r.up) || (!known && old.is_some()));
        if returns {
            d.start_ramp(ri, now);
        } else if !up || d.reals[ri].slow_start == 0 {
            d.reals[ri].ramp = None;
        }
        let r = &d.reals[ri];
        if known && up != r.up {
            let key = d.svcs[r.svc as usize].key;
            super::log_real(
                log::Level::Info,
                &key,
                &r.addr,
                format_args!(
                    "is {} (its checks changed at reload)",
                    if up { "UP" } else { "DOWN" }
                ),
            );
            d.reals[ri].last_change = Some(now);
        }
        d.reals[ri].up = up;
    }
    d.reschedule_ramps(now);
    for si in 0..d.svcs.len() {
        let new = !old.is_some_and(|o| o.svc_index.contains_key(&d.svcs[si].key));
        d.update_quorum(si, new);
    }
    Ok(d)
}
