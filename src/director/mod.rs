//! The director: turns checker outcomes into real-server health, quorum and sorry-server
//! decisions, and the health into the desired IPVS table; keeps the table it believes the
//! kernel holds and hands the difference to the reactor as operations. Pure: it never
//! reads the clock, draws no randomness of its own, does no I/O and spawns nothing
//! (scripts to run come out as `ScriptEvent`s). Once built, the per-check paths
//! (`due`, `on_outcome`, `defer`, `reconcile`, `applied`) allocate nothing.
//!
//! Identical checks (equal `Check` values) are one checker, probed once; its outcome
//! fans out to every real server using it. A real server is up iff all its checkers are
//! up (no checks: always up, as in keepalived).
//!
//! Ownership of kernel entries: lvsmon manages the services and destinations its config
//! names (whether it added them or adopted them at start-up, so that a restarted lvsmon
//! still cleans up after itself); every other kernel entry is left alone, and a managed
//! service that also holds foreign destinations is never deleted whole.

mod agent;
mod announce;
#[cfg(test)]
mod announce_tests;
mod build;
mod kernel;
mod metrics;
mod ramp;
mod slot_index;
pub mod stats;

pub use build::{service_key, service_spec};
pub use status::Rfc3339;
mod status;
#[cfg(test)]
pub(crate) mod testlog;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_health;

use crate::model::fasthash::FastMap;
use slot_index::SlotIndex;
use std::fmt;
use std::net::SocketAddr;
use std::ops::Range;
use std::sync::Arc;
use std::time::{Duration, Instant};

use log::Level;

use crate::health::checker::{CheckerState, Timers, Transition, XorShift};
use crate::health::quorum;
use crate::health::slow_start::Ramp;
use crate::ipvs::backend::IpvsError;
use crate::ipvs::reconcile::{self, DestEntry, SvcEntry};
use crate::ipvs::rule::{DestSpec, Forward, Op, Protocol, SchedName, ServiceKey, TunnelSpec};
use crate::ipvsadm::rule::AddrPort;
use crate::model::config::{Check, CheckKind, Script};
use crate::model::limits::MAX_CHECKS_PER_REAL;
use crate::model::table::FixedTable;
use crate::probe::outcome::{Outcome, Reason};

pub type CheckerId = u16;

/// How long a checker waits when no probe slot was free (`defer`).
pub const DEFER_DELAY: Duration = Duration::from_millis(100);

/// Which configured script an event runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScriptKind {
    NotifyUp,
    NotifyDown,
    QuorumUp,
    QuorumDown,
}

impl ScriptKind {
    /// The variant's name as logs show it, spelled out because the router builds compile
    /// with `-Zfmt-debug=none` (derived `Debug` prints nothing there).
    pub fn name(self) -> &'static str {
        match self {
            ScriptKind::NotifyUp => "NotifyUp",
            ScriptKind::NotifyDown => "NotifyDown",
            ScriptKind::QuorumUp => "QuorumUp",
            ScriptKind::QuorumDown => "QuorumDown",
        }
    }
}

/// A transition the reactor should announce: the script to run, if one is configured,
/// and with `lvs_notify_fifo` a line on the FIFO. keepalived 2.x runs `notify_up`/
/// `notify_down` and `quorum_up`/`quorum_down` exactly as configured (the argv of
/// `script`), adding no arguments; `service` and `real` say what it is about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScriptEvent {
    pub kind: ScriptKind,
    pub script: Option<Arc<Script>>,
    pub service: ServiceKey,
    /// The real server, for notify_up/notify_down.
    pub real: Option<SocketAddr>,
}

/// An operator's runtime override of a real server's weight (`lvsmon drain/weight`);
/// it survives reloads until lifted (`lvsmon enable`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Override {
    /// Weight 0 while healthy: existing connections finish, no new ones.
    Drain,
    Weight(i32),
}

/// Why an override was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OverrideError {
    NoService,
    NoRealServer,
    /// Outside 0..=65535, the range ipvsadm accepts for `-w`.
    BadWeight,
}

impl fmt::Display for OverrideError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            OverrideError::NoService => "no such virtual service",
            OverrideError::NoRealServer => "no such real server in that virtual service",
            OverrideError::BadWeight => "weight must be between 0 and 65535",
        })
    }
}

/// Logs `SERVICE real server ADDRESS <what>`, the shape of most real server lines. One
/// function for them all, for code size: each line built its service name and address
/// arguments itself (about 60 bytes a call on mipsel).
#[inline(never)]
fn log_real(level: Level, key: &ServiceKey, addr: &SocketAddr, what: fmt::Arguments<'_>) {
    crate::logging::emit(
        level,
        format_args!(
            "{} real server {} {}",
            ServiceName(key),
            AddrPort(addr),
            what
        ),
    );
}

/// `TCP 192.0.2.10:80`, `UDP [2001:db8::1]:53`, `FWM 7`: a service as logs name it.
pub struct ServiceName<'a>(pub &'a ServiceKey);

impl fmt::Display for ServiceName<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            ServiceKey::Inet { proto, addr } => {
                write!(f, "{} {}", protocol_name(*proto), AddrPort(addr))
            }
            ServiceKey::Fwmark { mark, .. } => write!(f, "FWM {}", mark),
        }
    }
}

pub fn protocol_name(p: Protocol) -> &'static str {
    match p {
        Protocol::Tcp => "TCP",
        Protocol::Udp => "UDP",
        Protocol::Sctp => "SCTP",
    }
}

#[derive(Clone, Debug)]
struct Checker {
    /// Its timers are read from here (`Timers::of`), not kept beside it: 40 bytes a
    /// checker.
    check: Check,
    state: CheckerState,
    /// Real servers using this checker: a range of `Director::fanout`.
    users: Range<usize>,
    /// Named by the current config. A checker dropped by a reload while its probe was in
    /// flight stays reserved (not live, running) until that probe reports.
    live: bool,
    running: bool,
}

#[derive(Clone, Debug)]
struct Sorry {
    slot: usize,
    spec: DestSpec,
    inhibit: bool,
}

#[derive(Clone, Debug)]
struct Svc {
    key: ServiceKey,
    /// No longer in the config; kept until its kernel entries are gone.
    retired: bool,
    protocol: Protocol,
    sched: SchedName,
    quorum: u32,
    hysteresis: u32,
    quorum_up_script: Option<Arc<Script>>,
    quorum_down_script: Option<Arc<Script>>,
    omega: bool,
    sorry: Option<Sorry>,
    reals: Range<usize>,
    /// Its destination slots, a range of `Director::dests`.
    dests: Range<usize>,
    quorum_up: bool,
    /// Found in the kernel at start-up (`adopt`): with quorum it counts as settled for
    /// `vip_announce` before its first checks complete.
    adopted: bool,
    failing: bool,
    seen: bool,
}

#[derive(Clone, Debug)]
struct Real {
    svc: u16,
    addr: SocketAddr,
    weight: i32,
    forward: Forward,
    tunnel: TunnelSpec,
    u_threshold: u32,
    l_threshold: u32,
    inhibit: bool,
    notify_up: Option<Arc<Script>>,
    notify_down: Option<Arc<Script>>,
    checkers: heapless::Vec<CheckerId, MAX_CHECKS_PER_REAL>,
    slot: usize,
    up: bool,
    last_change: Option<Instant>,
    ov: Option<Override>,
    /// `slow_start` in whole seconds (0 = none).
    slow_start: u32,
    /// The weight ramp after a return, while it lasts (see `ramp`).
    ramp: Option<Ramp>,
}

#[derive(Clone, Copy, Debug, Default)]
struct SlotMeta {
    /// Only a sorry server uses this address (for log wording).
    sorry_only: bool,
    failing: bool,
    seen: bool,
}

pub struct Director {
    /// `vip_announce`: which VIPs are on the announce interface (see crate::announce).
    announce: crate::announce::Announcer,
    svcs: Vec<Svc>,
    /// Parallel to `svcs`: desired/believed service specs for the reconciler.
    svc_entries: Vec<SvcEntry>,
    reals: Vec<Real>,
    /// One slot per (service, address): real servers and the sorry server sharing an
    /// address share the slot, so the diff never adds and deletes the same destination.
    dests: Vec<DestEntry>,
    slot_meta: Vec<SlotMeta>,
    checkers: Vec<Checker>,
    fanout: Vec<u32>,
    sched: crate::sched::Sched,
    svc_index: FastMap<ServiceKey, u16>,
    slot_index: SlotIndex,
    events: FixedTable<ScriptEvent>,
    rng: XorShift,
    /// Periodic check starts that came late (the attempt before was still in flight),
    /// since start; kept across reloads.
    late_starts: u64,
    /// The earliest next step of any weight ramp (see `ramp`).
    next_ramp_step: Option<Instant>,
    /// Something changed since `reconcile` last found nothing to do.
    dirty: bool,
    /// `lvs_notify_fifo` is set: every transition is an event, with or without a script.
    notify_all: bool,
    /// Parallel to `reals`: what their checks did (metrics, history).
    stats: Vec<stats::RealStats>,
    /// The instant history times count from (kept across reloads).
    epoch: Instant,
    /// `--log-checks`: log every failed check, not only transitions.
    log_checks: bool,
    check_log: CheckLogLimit,
}

/// `--log-checks` writes at most `CHECK_LOG_PER_SECOND` lines a second; the rest are
/// counted and the count is logged when the next line is allowed.
pub const CHECK_LOG_PER_SECOND: u32 = 20;

#[derive(Clone, Copy, Debug)]
struct CheckLogLimit {
    window: Instant,
    written: u32,
    suppressed: u64,
}

impl Director {
    /// The check a checker runs, for the probe. `id` comes from `due` (any id below
    /// `checker_count()` is valid).
    pub fn check(&self, id: CheckerId) -> &Check {
        &self.checkers[id as usize].check
    }

    /// Checker ids run from 0 to `checker_count() - 1` (some may be reserved after a
    /// reload; `due` never hands those out).
    pub fn checker_count(&self) -> usize {
        self.checkers.len()
    }

    /// Pops every checker whose next attempt is due at `now` into `out` (cleared first,
    /// filled at most to its capacity; the rest stay due) and marks it running.
    pub fn due(&mut self, now: Instant, out: &mut FixedTable<CheckerId>) {
        out.clear();
        while out.len() < out.capacity() {
            let Some(id) = self.sched.pop_due(now) else {
                break;
            };
            let c = &mut self.checkers[id as usize];
            if !c.live || c.running {
                continue;
            }
            c.running = true;
            c.state.start(now);
            // Cannot fail: capacity checked above.
            let _ = out.push(id);
        }
    }

    /// The destination slot of `addr` in service `si`.
    fn slot_of(&self, si: u16, addr: SocketAddr) -> Option<usize> {
        self.slot_index.get(&self.dests, si, addr)
    }

    /// Whether `reconcile` may have something to do (it returns at once otherwise).
    pub fn needs_reconcile(&self) -> bool {
        self.dirty
    }

    /// How often the reactor should compare the kernel table with the believed one
    /// (`observe`): the shortest `delay_loop` of any check, else keepalived's default
    /// delay_loop of 60 s. Drift is then noticed within one delay_loop.
    pub fn observe_interval(&self) -> Duration {
        self.checkers
            .iter()
            .filter(|c| c.live)
            .map(|c| c.check.delay_loop)
            .min()
            .unwrap_or(Duration::from_secs(60))
            .max(Duration::from_millis(100))
    }

    /// Spreads the first attempt of every checker that has not run yet evenly over its
    /// `warmup`, counted from `now`: the k-th of n such checkers (in config order) is due
    /// at `now + warmup * k / n`. The reactor calls this when its loop is about to start:
    /// the random warmup drawn when the director was built (keepalived's rule) is measured
    /// from config load, and loading a large config and programming its table can take
    /// longer than a whole warmup on a slow router, which would leave every first check
    /// due at the same instant, a thundering herd against the real servers. Evenly spaced
    /// first checks stay spread: each next attempt is due `delay_loop` after the start of
    /// its own previous one. A `warmup` of 0 keeps its meaning (first checks at once).
    pub fn spread_first_checks(&mut self, now: Instant) {
        let fresh = |c: &Checker| c.live && !c.running && c.state.last_check.is_none();
        let n = self.checkers.iter().filter(|c| fresh(c)).count() as u64;
        let mut k: u64 = 0;
        for id in 0..self.checkers.len() {
            let c = &self.checkers[id];
            if !fresh(c) {
                continue;
            }
            // warmup * k / n in u64, for code size (u128 division is a 2 KB library
            // routine on 32-bit targets): exact, as k < n and a timer is at most
            // u32::MAX seconds (config::parse), whose nanoseconds fit a u64.
            let w = u64::try_from(c.check.warmup.as_nanos()).unwrap_or(u64::MAX);
            let nanos = w / n * k + w % n * k / n;
            let offset = Duration::from_nanos(nanos);
            self.sched.schedule(id as CheckerId, now + offset);
            k += 1;
        }
    }

    /// Periodic check starts, over all checkers since start, that were due while the
    /// checker's previous attempt was still in flight (each started when that attempt
    /// completed). A counter: it only grows.
    pub fn late_starts(&self) -> u64 {
        self.late_starts
    }

    /// Earliest instant at which `due` will return something.
    pub fn next_due(&self) -> Option<Instant> {
        self.sched.peek()
    }

    /// A probe finished. Updates health, logs transitions, reschedules. An outcome for a
    /// checker that is not running (stale, or dropped by a reload) is ignored.
    pub fn on_outcome(&mut self, id: CheckerId, outcome: &Outcome, now: Instant) {
        let Some(c) = self.checkers.get_mut(id as usize) else {
            return;
        };
        if !c.running {
            return;
        }
        c.running = false;
        if !c.live {
            return;
        }
        if outcome.result == Err(Reason::NoSlot) {
            self.sched.schedule(id, now + DEFER_DELAY);
            return;
        }
        if c.state.last_check.is_none() {
            // A first check: a service may have settled (vip_announce).
            self.announce.mark_dirty();
        }
        if c.check.kind == CheckKind::Agent {
            self.on_agent_outcome(id, outcome, now);
            return;
        }
        // Health checks only: an agent's answers are not checks of the real server.
        self.note_check(id, outcome, now);
        let Some(c) = self.checkers.get_mut(id as usize) else {
            return;
        };
        let next = c
            .state
            .record(&Timers::of(&c.check), outcome, now, self.rng.next_u64());
        self.sched.schedule(id, next.at);
        self.late_starts += u64::from(next.late);
        let t = next.transition;
        if t == Transition::None {
            return;
        }
        let reason = outcome.result.err();
        let users = c.users.clone();
        for u in users {
            let r = self.fanout[u] as usize;
            self.update_real(r, now, reason, t == Transition::WeightChanged);
        }
    }

    /// Counts a finished check for every real server using the checker and, with
    /// `--log-checks`, logs a failure (rate-limited). Allocates nothing unless it logs.
    fn note_check(&mut self, id: CheckerId, outcome: &Outcome, now: Instant) {
        let users = self.checkers[id as usize].users.clone();
        for u in users.clone() {
            let r = self.fanout[u] as usize;
            self.stats[r].record(outcome, self.epoch, now);
        }
        let Err(reason) = outcome.result else {
            return;
        };
        if !self.log_checks {
            return;
        }
        for u in users {
            let r = &self.reals[self.fanout[u] as usize];
            let lim = &mut self.check_log;
            if now.saturating_duration_since(lim.window) >= Duration::from_secs(1) {
                if lim.suppressed > 0 {
                    info!(
                        "{} failed checks not logged in the last second (--log-checks writes at most {} a second)",
                        lim.suppressed,
                        CHECK_LOG_PER_SECOND
                    );
                }
                *lim = CheckLogLimit {
                    window: now,
                    written: 0,
                    suppressed: 0,
                };
            }
            if lim.written >= CHECK_LOG_PER_SECOND {
                lim.suppressed += 1;
                continue;
            }
            lim.written += 1;
            log_real(
                Level::Info,
                &self.svcs[r.svc as usize].key,
                &r.addr,
                format_args!(
                    "check failed: {} (after {} ms)",
                    reason,
                    crate::model::duration::millis(outcome.latency)
                ),
            );
        }
    }

    /// `--log-checks`: log every failed check attempt, not only transitions.
    pub fn set_log_checks(&mut self, on: bool) {
        self.log_checks = on;
    }

    /// No probe slot was free: retry this checker soon without counting a failure.
    pub fn defer(&mut self, id: CheckerId, now: Instant) {
        let Some(c) = self.checkers.get_mut(id as usize) else {
            return;
        };
        if !c.running {
            return;
        }
        c.running = false;
        if c.live {
            self.sched.schedule(id, now + DEFER_DELAY);
        }
    }

    /// Ops that bring the kernel to the desired table (cleared first), in a safe order
    /// (see `ipvs::reconcile`). If `ops` is too small the pass is cut short (a prefix of
    /// the safe order) and the rest follows at the next pass.
    ///
    /// Between changes (health, quorum, override, kernel results, drift, reload) this
    /// costs nothing: the table is only walked again after something changed.
    pub fn reconcile(&mut self, ops: &mut FixedTable<Op>) {
        ops.clear();
        if !self.dirty {
            return;
        }
        self.compute_desired();
        if let Err(e) = reconcile::diff(&self.svc_entries, &self.dests, ops) {
            warn!(
                "reconcile pass cut short: {}; the rest follows next pass",
                e
            );
        }
        if ops.is_empty() {
            self.dirty = false;
        }
    }

    /// Results of applying `ops` (as returned by `reconcile`; `failed` in ascending index
    /// order, as `Backend::apply_all` reports them). Successes update the believed table;
    /// a failure is logged once (until that entry succeeds again) and retried at the next
    /// reconcile. EEXIST on an add and ENOENT/ESRCH on a delete count as success.
    pub fn applied(&mut self, ops: &[Op], failed: &[(usize, IpvsError)]) {
        if !ops.is_empty() {
            // Confirm convergence (or retry failures) at the next pass.
            self.dirty = true;
        }
        let mut f = 0;
        for (i, op) in ops.iter().enumerate() {
            while f < failed.len() && failed[f].0 < i {
                f += 1;
            }
            let err = failed.get(f).filter(|(j, _)| *j == i).map(|(_, e)| e);
            self.applied_one(op, err);
        }
    }

    fn applied_one(&mut self, op: &Op, err: Option<&IpvsError>) {
        let errno = err.map(|e| e.errno);
        let benign = matches!(
            (op, errno),
            (_, None)
                | (Op::AddService(_) | Op::AddDest(..), Some(libc::EEXIST))
                | (Op::DelDest(..), Some(libc::ENOENT | libc::ESRCH))
                | (Op::DelService(_), Some(libc::ESRCH))
        );
        match op {
            Op::AddService(s) | Op::EditService(s) => {
                let Some(&si) = self.svc_index.get(&s.key) else {
                    return;
                };
                let si = si as usize;
                if benign {
                    self.svc_entries[si].believed = Some(s.clone());
                    self.svcs[si].failing = false;
                    return;
                }
                if matches!(op, Op::EditService(_)) && errno == Some(libc::ESRCH) {
                    self.forget_service(si);
                }
                if !self.svcs[si].failing {
                    self.svcs[si].failing = true;
                    if let Some(e) = err {
                        warn!("{}; will retry", e);
                    }
                }
            }
            Op::DelService(k) => {
                let Some(&si) = self.svc_index.get(k) else {
                    return;
                };
                let si = si as usize;
                if benign {
                    self.forget_service(si);
                    self.svcs[si].failing = false;
                } else if !self.svcs[si].failing {
                    self.svcs[si].failing = true;
                    if let Some(e) = err {
                        warn!("{}; will retry", e);
                    }
                }
            }
            Op::AddDest(k, d) | Op::EditDest(k, d) => {
                self.dest_result(k, d.addr, benign, err, Some(*d));
            }
            Op::DelDest(k, a) => self.dest_result(k, *a, benign, err, None),
            _ => {}
        }
    }

    fn dest_result(
        &mut self,
        key: &ServiceKey,
        addr: SocketAddr,
        benign: bool,
        err: Option<&IpvsError>,
        now_there: Option<DestSpec>,
    ) {
        let Some(&si) = self.svc_index.get(key) else {
            return;
        };
        let Some(slot) = self.slot_of(si, addr) else {
            return;
        };
        if benign {
            self.dests[slot].believed = now_there;
            self.slot_meta[slot].failing = false;
            return;
        }
        match err.map(|e| e.errno) {
            // The service is gone: add it back first.
            Some(libc::ESRCH) => self.forget_service(si as usize),
            // Edit of a destination that is gone: add it back.
            Some(libc::ENOENT) => self.dests[slot].believed = None,
            _ => {}
        }
        if !self.slot_meta[slot].failing {
            self.slot_meta[slot].failing = true;
            if let Some(e) = err {
                warn!("{}; will retry", e);
            }
        }
    }

    /// The service is not in the kernel: neither are its destinations.
    fn forget_service(&mut self, si: usize) {
        self.svc_entries[si].believed = None;
        self.svc_entries[si].foreign = false;
        for slot in self.svcs[si].dests.clone() {
            self.dests[slot].believed = None;
        }
    }

    /// Scripts to run, oldest first, drained into `out` (cleared first; what does not fit
    /// stays queued).
    pub fn take_events(&mut self, out: &mut FixedTable<ScriptEvent>) {
        out.clear();
        let n = self.events.len().min(out.capacity());
        for ev in self.events.iter().take(n) {
            // Cloning an event clones an Arc: no allocation.
            let _ = out.push(ev.clone());
        }
        if n == self.events.len() {
            self.events.clear();
        } else {
            // Rare (out smaller than the backlog): shift the rest to the front.
            self.events.rotate_left(n);
            let keep = self.events.len() - n;
            self.events.truncate(keep);
        }
    }

    /// `omega`: at shutdown, queue quorum_down for each omega service that has quorum and
    /// notify_down for each of its real servers that is up (keepalived.conf(5): "On daemon
    /// shutdown consider quorum and RS down notifiers for execution").
    pub fn shutdown(&mut self) {
        for si in 0..self.svcs.len() {
            let s = &self.svcs[si];
            if s.retired || !s.omega {
                continue;
            }
            let key = s.key;
            let reals = s.reals.clone();
            if s.quorum_up {
                let sc = s.quorum_down_script.clone();
                self.push_event(ScriptKind::QuorumDown, sc, key, None);
            }
            for ri in reals {
                let r = &self.reals[ri];
                if r.up {
                    let (sc, addr) = (r.notify_down.clone(), r.addr);
                    self.push_event(ScriptKind::NotifyDown, sc, key, Some(addr));
                }
            }
        }
    }

    /// Sets or lifts (`None`) an operator override on a real server, logs it and
    /// re-evaluates the service's quorum. Kept across reloads while the real server stays.
    pub fn set_override(
        &mut self,
        key: &ServiceKey,
        addr: SocketAddr,
        ov: Option<Override>,
    ) -> Result<(), OverrideError> {
        if let Some(Override::Weight(w)) = ov {
            if !(0..=65535).contains(&w) {
                return Err(OverrideError::BadWeight);
            }
        }
        let si = *self.svc_index.get(key).ok_or(OverrideError::NoService)? as usize;
        if self.svcs[si].retired {
            return Err(OverrideError::NoService);
        }
        let ri = self.svcs[si]
            .reals
            .clone()
            .find(|&ri| self.reals[ri].addr == addr)
            .ok_or(OverrideError::NoRealServer)?;
        self.reals[ri].ov = ov;
        self.dirty = true;
        match ov {
            Some(Override::Drain) => log_real(
                Level::Info,
                key,
                &addr,
                format_args!("drained by the operator (weight 0)"),
            ),
            Some(Override::Weight(w)) => log_real(
                Level::Info,
                key,
                &addr,
                format_args!("weight set to {} by the operator", w),
            ),
            None => log_real(
                Level::Info,
                key,
                &addr,
                format_args!("enabled by the operator (override lifted)"),
            ),
        }
        self.update_quorum(si, false);
        Ok(())
    }

    fn push_event(
        &mut self,
        kind: ScriptKind,
        script: Option<Arc<Script>>,
        service: ServiceKey,
        real: Option<SocketAddr>,
    ) {
        if script.is_none() && !self.notify_all {
            return;
        }
        let ev = ScriptEvent {
            kind,
            script,
            service,
            real,
        };
        if let Err(e) = self.events.push(ev) {
            warn!("script not run: {}", e);
        }
    }

    /// The weight a live real server should carry now: operator override, else its full
    /// weight scaled down by a slow-start ramp in progress.
    fn effective_weight(&self, r: &Real) -> i32 {
        match (r.ov, r.ramp) {
            (Some(_), _) | (None, None) => self.full_weight(r),
            (None, Some(ramp)) => ramp.weight(self.full_weight(r), r.slow_start),
        }
    }

    /// The weight a live real server carries once any ramp is over: operator override,
    /// else the weight its checks chose (MISC_CHECK misc_dynamic, FILE_CHECK), else the
    /// configured one. A configured 0 stays 0. Quorum counts this weight: a returning
    /// server is healthy, its ramp only spares it the flood.
    fn full_weight(&self, r: &Real) -> i32 {
        match r.ov {
            Some(Override::Drain) => 0,
            Some(Override::Weight(w)) => w,
            None => {
                // MISC_CHECK misc_dynamic reports an absolute weight (exit code - 2);
                // FILE_CHECK reports a change to the configured weight
                // (keepalived.conf(5), "Track files"). Kernel weights are 0..=65535.
                let mut weight = r.weight;
                for &c in r.checkers.iter() {
                    let checker = &self.checkers[c as usize];
                    match (&checker.check.kind, checker.state.weight) {
                        (CheckKind::File(_), Some(delta)) => weight = weight.saturating_add(delta),
                        (_, Some(absolute)) => weight = absolute,
                        (_, None) => {}
                    }
                }
                let weight = weight.clamp(0, 65535);
                // An agent's percentage scales the weight the checks chose.
                self.agent_weight(r, weight)
            }
        }
    }

    fn real_is_up(&self, r: &Real) -> bool {
        r.checkers
            .iter()
            .all(|&c| self.checkers[c as usize].state.up)
    }

    fn update_real(&mut self, ri: usize, now: Instant, reason: Option<Reason>, reweigh: bool) {
        let up = self.real_is_up(&self.reals[ri]);
        let r = &self.reals[ri];
        let si = r.svc as usize;
        let key = self.svcs[si].key;
        if up == r.up {
            if reweigh && up {
                self.dirty = true;
                let w = self.full_weight(r);
                log_real(
                    Level::Info,
                    &key,
                    &r.addr,
                    format_args!("weight is now {}", w),
                );
                self.update_quorum(si, false);
            }
            return;
        }
        self.dirty = true;
        self.stats[ri].transitions += 1;
        let r = &mut self.reals[ri];
        r.up = up;
        r.last_change = Some(now);
        let addr = r.addr;
        let script = if up {
            if r.slow_start > 0 {
                log_real(
                    Level::Info,
                    &key,
                    &addr,
                    format_args!("is UP (slow start: full weight in {} s)", r.slow_start),
                );
            } else {
                log_real(Level::Info, &key, &addr, format_args!("is UP"));
            }
            self.start_ramp(ri, now);
            (ScriptKind::NotifyUp, self.reals[ri].notify_up.clone())
        } else {
            r.ramp = None;
            match reason {
                Some(why) => log_real(Level::Info, &key, &addr, format_args!("is DOWN: {}", why)),
                None => log_real(Level::Info, &key, &addr, format_args!("is DOWN")),
            }
            (ScriptKind::NotifyDown, r.notify_down.clone())
        };
        self.push_event(script.0, script.1, key, Some(addr));
        self.update_quorum(si, false);
    }

    fn live_weight(&self, si: usize) -> i64 {
        self.svcs[si]
            .reals
            .clone()
            .map(|ri| &self.reals[ri])
            .filter(|r| r.up)
            .map(|r| i64::from(self.full_weight(r).max(0)))
            .sum()
    }

    /// Re-evaluates quorum (keepalived: on every real-server change); logs and queues the
    /// scripts of a transition. `init`: the service is new, so it starts with quorum only
    /// if the live weight reaches `quorum + hysteresis` (keepalived's start-up rule), and
    /// starting without quorum is logged and runs quorum_down.
    fn update_quorum(&mut self, si: usize, init: bool) {
        if self.svcs[si].retired {
            return;
        }
        let live = self.live_weight(si);
        let s = &self.svcs[si];
        let up = quorum::next_state(s.quorum_up && !init, live, s.quorum, s.hysteresis);
        if up == s.quorum_up && !init {
            return;
        }
        if init && up {
            self.svcs[si].quorum_up = true;
            return;
        }
        let key = s.key;
        let (q, h) = (s.quorum, s.hysteresis);
        let sorry = s.sorry.as_ref().map(|x| x.spec.addr);
        let script = if up {
            s.quorum_up_script.clone()
        } else {
            s.quorum_down_script.clone()
        };
        self.svcs[si].quorum_up = up;
        self.dirty = true;
        let what = match (init, up) {
            (true, _) => "starting with quorum down",
            (false, true) => "quorum regained",
            (false, false) => "quorum lost",
        };
        match sorry {
            Some(a) => info!(
                "{} {} (live weight {}, quorum {}, hysteresis {}): sorry server {} {}",
                ServiceName(&key),
                what,
                live,
                q,
                h,
                AddrPort(&a),
                if up { "out" } else { "in" }
            ),
            None => info!(
                "{} {} (live weight {}, quorum {}, hysteresis {})",
                ServiceName(&key),
                what,
                live,
                q,
                h
            ),
        }
        let kind = if up {
            ScriptKind::QuorumUp
        } else {
            ScriptKind::QuorumDown
        };
        self.push_event(kind, script, key, None);
    }

    fn real_dest(&self, r: &Real, weight: i32) -> DestSpec {
        DestSpec {
            addr: r.addr,
            forward: r.forward,
            weight,
            u_threshold: r.u_threshold,
            l_threshold: r.l_threshold,
            tunnel: r.tunnel,
        }
    }

    /// What each slot should hold now. keepalived: without quorum and with a sorry server,
    /// the sorry server is in and every real server is out (weight 0 if inhibited); with
    /// quorum, live real servers are in with their weight, failed ones out (or weight 0
    /// with inhibit_on_failure) and the sorry server out (weight 0 with
    /// sorry_server_inhibit). Where a real and the sorry server share an address, the one
    /// in force owns the slot.
    fn compute_desired(&mut self) {
        for d in self.dests.iter_mut() {
            d.desired = None;
        }
        for si in 0..self.svcs.len() {
            let s = &self.svcs[si];
            if s.retired {
                continue;
            }
            let sorry_active = !s.quorum_up && s.sorry.is_some();
            let sorry_want = s.sorry.as_ref().and_then(|x| {
                if sorry_active {
                    Some((x.slot, x.spec))
                } else if x.inhibit {
                    Some((
                        x.slot,
                        DestSpec {
                            weight: 0,
                            ..x.spec
                        },
                    ))
                } else {
                    None
                }
            });
            if sorry_active {
                if let Some((slot, spec)) = sorry_want {
                    self.dests[slot].desired = Some(spec);
                }
            }
            for ri in s.reals.clone() {
                let r = &self.reals[ri];
                let want = if r.up && !sorry_active {
                    Some(self.real_dest(r, self.effective_weight(r)))
                } else if r.inhibit {
                    Some(self.real_dest(r, 0))
                } else {
                    None
                };
                let slot = r.slot;
                if self.dests[slot].desired.is_none() {
                    self.dests[slot].desired = want;
                }
            }
            if !sorry_active {
                if let Some((slot, spec)) = sorry_want {
                    if self.dests[slot].desired.is_none() {
                        self.dests[slot].desired = Some(spec);
                    }
                }
            }
        }
    }
}
