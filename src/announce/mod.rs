//! Route health injection (`vip_announce`, issue 15): which service addresses (VIPs) sit
//! on the announce interface, for a routing daemon to announce (BIRD `protocol direct`,
//! FRR `redistribute connected`). Pure: it reads no clock (`now` is passed in), does no
//! I/O and never touches the VIP IPVS needs locally (that stays on `lo`, the user's job);
//! it turns the services' quorum into `VipOp`s, which the reactor carries out through a
//! `VipIface` (rtnetlink or dry run) and reports back with `applied`.
//!
//! One VIP per distinct service address: every address `virtual_server` (all ports and
//! protocols on it) counts towards it; fwmark services have no address and are skipped
//! (the config warns). A VIP is announced while its rule holds:
//! - `rule all`: every one of its services has quorum;
//! - `rule any`: at least one has.
//!
//! A service only counts once it has *settled*: each check of its real servers has
//! completed once (real servers without checks are settled from the start), or it was
//! adopted from the kernel at start-up with quorum (a restarted lvsmon: the kernel was
//! forwarding for it already). A service counts as holding only while it is in the
//! kernel table, so an announce never comes before the table it routes traffic to.
//!
//! Edges and their order (the reactor's pass, see `Director::reconcile_with_announce`):
//! withdrawals are planned and carried out first, then the IPVS table changes, then
//! announcements; so on quorum loss or drain the routers stop sending before the table
//! degrades, and on recovery the table is complete before traffic comes back.
//! At start-up VIPs are pending (nothing done) until their services settle; a VIP found
//! on the interface at start-up (`adopt`: lvsmon killed with -9 and restarted) is taken
//! as announced and left alone until its services settle, so a restart makes no
//! withdraw. A service missing from the kernel table (being re-added after drift) holds
//! back an announce but does not withdraw. On TERM, `on_stop withdraw` withdraws every
//! announced VIP (before the table is torn down), `on_stop keep` leaves them.
//! A reload diffs (`carry`): VIPs kept keep their state; VIPs dropped, and every VIP when
//! the interface changes or the block goes, are withdrawn from where they were.
//! The reactor's drift check reads the interface (`observe`): an announced VIP someone
//! removed is put back by the next pass, with one log line and no state change.

use std::fmt;
use std::net::IpAddr;
use std::ops::Range;
use std::time::Instant;

use crate::director::ServiceName;
use crate::ipvs::rule::ServiceKey;
use crate::model::config::{AnnounceRule, OnStop, VipAnnounce};
use crate::model::table::FixedTable;

pub mod iface;

/// An interface name (IFNAMSIZ - 1 bytes at most, checked by the config parser).
pub type IfName = heapless::String<15>;

/// Most VIP operations one plan emits (a VIP appears at most once per plan).
pub const MAX_VIP_OPS: usize = crate::model::limits::MAX_SERVICES;

/// Announce or withdraw.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VipOpKind {
    Announce,
    Withdraw,
}

/// One change to the announce interface: `addr/32` (`/128` for IPv6) added or removed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VipOp {
    pub kind: VipOpKind,
    pub addr: IpAddr,
    pub iface: IfName,
}

/// The host prefix of an address: 32 or 128.
pub fn host_prefix(addr: &IpAddr) -> u8 {
    if addr.is_ipv4() {
        32
    } else {
        128
    }
}

/// `announce 192.0.2.10/32 on vip0`, `withdraw 2001:db8::10/128 from vip0`.
impl fmt::Display for VipOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let p = host_prefix(&self.addr);
        match self.kind {
            VipOpKind::Announce => write!(f, "announce {}/{} on {}", self.addr, p, self.iface),
            VipOpKind::Withdraw => write!(f, "withdraw {}/{} from {}", self.addr, p, self.iface),
        }
    }
}

/// What the announcer needs to know of one virtual service.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SvcView {
    pub key: ServiceKey,
    pub quorum: bool,
    pub settled: bool,
    pub in_table: bool,
}

/// Where a VIP stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    /// Not decided yet: its services have not settled. Nothing on the interface.
    Pending,
    Announced,
    Withdrawn,
}

impl State {
    pub fn name(self) -> &'static str {
        match self {
            State::Pending => "pending",
            State::Announced => "announced",
            State::Withdrawn => "withdrawn",
        }
    }
}

/// Why a VIP is in its state; printed by status and the log.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Why {
    /// A service's first checks have not all completed.
    Waiting(ServiceKey),
    /// A service is not in the kernel table (yet).
    NotInTable(ServiceKey),
    /// Every one of its `n` services has quorum.
    AllQuorum(u16),
    /// `k` of its `n` services have quorum (rule any).
    SomeQuorum(u16, u16),
    /// This service has no quorum (rule all, or the only one with rule any).
    QuorumLost(ServiceKey),
    /// None of its `n` services has quorum (rule any).
    NoQuorum(u16),
    /// Found on the interface at start-up; kept until its services settle.
    Adopted,
    /// lvsmon stopped (on_stop withdraw).
    Stopped,
}

impl fmt::Display for Why {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Why::Waiting(k) => write!(f, "waiting for the first checks of {}", ServiceName(&k)),
            Why::NotInTable(k) => write!(f, "{} is not in the IPVS table", ServiceName(&k)),
            Why::AllQuorum(1) => f.write_str("its 1 service has quorum"),
            Why::AllQuorum(n) => write!(f, "all {} services have quorum", n),
            Why::SomeQuorum(k, n) => write!(f, "{} of {} services have quorum", k, n),
            Why::QuorumLost(k) => write!(f, "quorum lost on {}", ServiceName(&k)),
            Why::NoQuorum(n) => write!(f, "none of its {} services has quorum", n),
            Why::Adopted => f.write_str("already on the interface at start-up"),
            Why::Stopped => f.write_str("lvsmon stopped (on_stop withdraw)"),
        }
    }
}

/// `announced (all 2 services have quorum)`, `withdrawn: quorum lost on TCP
/// 192.0.2.10:80`, `pending: waiting for the first checks of TCP 192.0.2.10:80`.
pub struct StateText(pub State, pub Why);

impl fmt::Display for StateText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            State::Announced => write!(f, "announced ({})", self.1),
            s => write!(f, "{}: {}", s.name(), self.1),
        }
    }
}

/// Which half of a pass a plan is for (see the module comment).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    Withdraw,
    Announce,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Decision {
    Hold(Why),
    Fail(Why),
    Wait(Why),
}

/// One VIP as status shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VipStatus {
    pub addr: IpAddr,
    pub state: State,
    pub why: Why,
    /// When it last changed state (None: not since start-up).
    pub since: Option<Instant>,
    /// How many virtual services count towards it.
    pub services: u16,
}

#[derive(Clone, Debug)]
struct Vip {
    addr: IpAddr,
    members: Range<usize>,
    state: State,
    why: Why,
    since: Option<Instant>,
    /// The last operation on it failed (logged once until it succeeds).
    failing: bool,
    /// Announced, but the drift check found it gone from the interface (removed outside
    /// lvsmon): the next pass puts it back.
    missing: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Settings {
    iface: IfName,
    rule: AnnounceRule,
    on_stop: OnStop,
}

/// The announce state of every VIP; empty (does nothing) without a `vip_announce` block.
#[derive(Clone, Debug, Default)]
pub struct Announcer {
    settings: Option<Settings>,
    vips: Vec<Vip>,
    /// The services (caller's indices) of each VIP: `Vip::members` ranges over this.
    members: Vec<u16>,
    /// Addresses to withdraw that no longer belong to a VIP here (dropped by a reload, or
    /// on the previous interface), with their interface.
    retired: Vec<(IpAddr, IfName)>,
    /// Something may have changed since the last plan found nothing to do.
    dirty: bool,
}

fn ifname(s: &str) -> IfName {
    let mut n = IfName::new();
    for c in s.chars() {
        if n.push(c).is_err() {
            break;
        }
    }
    n
}

impl Announcer {
    /// Groups `services` (caller's index, address; None for a fwmark service) by address
    /// in first-seen order. `cfg` None: announcing is off.
    pub fn new(
        cfg: Option<&VipAnnounce>,
        services: impl Iterator<Item = (u16, Option<IpAddr>)>,
    ) -> Announcer {
        let Some(cfg) = cfg else {
            return Announcer::default();
        };
        let mut pairs: Vec<(IpAddr, u16)> =
            services.filter_map(|(i, a)| a.map(|a| (a, i))).collect();
        // Stable: first-seen order of addresses, then of services, is kept below.
        let mut order: Vec<IpAddr> = Vec::new();
        for (a, _) in &pairs {
            if !order.contains(a) {
                order.push(*a);
            }
        }
        pairs.sort_by_key(|(a, _)| order.iter().position(|o| o == a));
        let mut vips = Vec::with_capacity(order.len());
        let mut members = Vec::with_capacity(pairs.len());
        let mut i = 0;
        while i < pairs.len() {
            let addr = pairs[i].0;
            let start = members.len();
            while i < pairs.len() && pairs[i].0 == addr {
                members.push(pairs[i].1);
                i += 1;
            }
            vips.push(Vip {
                addr,
                members: start..members.len(),
                state: State::Pending,
                why: Why::Waiting(ServiceKey::Fwmark {
                    family: crate::ipvs::rule::Family::Inet,
                    mark: 0,
                }),
                since: None,
                failing: false,
                missing: false,
            });
        }
        Announcer {
            settings: Some(Settings {
                iface: ifname(&cfg.interface),
                rule: cfg.rule,
                on_stop: cfg.on_stop,
            }),
            vips,
            members,
            retired: Vec::new(),
            dirty: true,
        }
    }

    /// The announce interface, if announcing is on.
    pub fn interface(&self) -> Option<&str> {
        self.settings.as_ref().map(|s| s.iface.as_str())
    }

    pub fn enabled(&self) -> bool {
        self.settings.is_some()
    }

    /// `rule` and `on_stop` as written (for status).
    pub fn rule_name(&self) -> &'static str {
        match self.settings.as_ref().map(|s| s.rule) {
            Some(AnnounceRule::Any) => "any",
            _ => "all",
        }
    }

    pub fn on_stop_name(&self) -> &'static str {
        match self.settings.as_ref().map(|s| s.on_stop) {
            Some(OnStop::Keep) => "keep",
            _ => "withdraw",
        }
    }

    /// Whether a plan may have something to do.
    pub fn is_dirty(&self) -> bool {
        self.settings.is_some() && self.dirty || !self.retired.is_empty()
    }

    /// Something the rule reads changed (quorum, a first check, the kernel table).
    pub fn mark_dirty(&mut self) {
        self.dirty = true;
    }

    /// Every VIP, in first-seen order.
    pub fn vips(&self) -> impl Iterator<Item = VipStatus> + '_ {
        self.vips.iter().map(|v| VipStatus {
            addr: v.addr,
            state: v.state,
            why: v.why,
            since: v.since,
            services: v.members.len() as u16,
        })
    }

    /// A reload: VIPs on the same interface keep their state; the rest of `old`'s
    /// announced addresses (dropped VIPs, or all of them when the interface changed or
    /// announcing was turned off) are withdrawn from where they are.
    pub fn carry(&mut self, old: &Announcer) {
        let same_iface = match (&self.settings, &old.settings) {
            (Some(a), Some(b)) => a.iface == b.iface,
            _ => false,
        };
        self.retired = old.retired.clone();
        let old_iface = old.settings.as_ref().map(|s| s.iface.clone());
        for o in &old.vips {
            let kept = if same_iface {
                self.vips.iter_mut().find(|v| v.addr == o.addr)
            } else {
                None
            };
            match kept {
                Some(v) => {
                    v.state = o.state;
                    v.why = o.why;
                    v.since = o.since;
                    v.failing = o.failing;
                    v.missing = o.missing;
                }
                None if o.state == State::Announced => {
                    if let Some(i) = &old_iface {
                        if !self.retired.iter().any(|(a, n)| *a == o.addr && n == i) {
                            self.retired.push((o.addr, i.clone()));
                        }
                    }
                }
                None => {}
            }
        }
        // An address retired earlier that is a VIP here again, on the same interface, is
        // not withdrawn: it is already where it should be, or will be once announced.
        if let Some(s) = &self.settings {
            let vips = &self.vips;
            self.retired
                .retain(|(a, n)| !(n == &s.iface && vips.iter().any(|v| v.addr == *a)));
        }
        self.dirty = true;
    }

    /// At start-up (or after the interface changed): `present` are the addresses already
    /// on the interface. A pending VIP among them is taken as announced (no operation).
    /// Addresses that are not VIPs are never touched.
    pub fn adopt(&mut self, present: &[IpAddr], now: Instant) {
        let Some(s) = &self.settings else {
            return;
        };
        for v in self.vips.iter_mut() {
            if v.state == State::Pending && present.contains(&v.addr) {
                v.state = State::Announced;
                v.why = Why::Adopted;
                v.since = Some(now);
                info!(
                    "vip_announce: {}/{} is already on {}: adopted, kept until its services settle",
                    v.addr,
                    host_prefix(&v.addr),
                    s.iface
                );
            }
        }
        self.dirty = true;
    }

    /// The periodic drift check: `present` are the addresses on the announce interface
    /// now (none if it is gone). An announced VIP missing from it was removed outside
    /// lvsmon; the next pass puts it back (logged once, by `applied`). Addresses that
    /// are not announced VIPs are left alone. Allocates nothing.
    pub fn observe(&mut self, present: &[IpAddr]) {
        if self.settings.is_none() {
            return;
        }
        for v in self.vips.iter_mut() {
            if v.state == State::Announced && !v.missing && !present.contains(&v.addr) {
                v.missing = true;
                self.dirty = true;
            }
        }
    }

    fn decide(&self, v: &Vip, view: &dyn Fn(u16) -> SvcView) -> Decision {
        let rule = self.settings.as_ref().map_or(AnnounceRule::All, |s| s.rule);
        let n = v.members.len() as u16;
        let (mut holding, mut lost, mut unsettled, mut missing) = (0u16, None, None, None);
        for &m in &self.members[v.members.clone()] {
            let s = view(m);
            if !s.settled {
                unsettled.get_or_insert(s.key);
            } else if !s.quorum {
                lost.get_or_insert(s.key);
            } else if !s.in_table {
                missing.get_or_insert(s.key);
            } else {
                holding += 1;
            }
        }
        match rule {
            AnnounceRule::All => {
                if let Some(k) = lost {
                    Decision::Fail(Why::QuorumLost(k))
                } else if let Some(k) = unsettled {
                    Decision::Wait(Why::Waiting(k))
                } else if let Some(k) = missing {
                    Decision::Wait(Why::NotInTable(k))
                } else {
                    Decision::Hold(Why::AllQuorum(n))
                }
            }
            AnnounceRule::Any => {
                if holding == n {
                    Decision::Hold(Why::AllQuorum(n))
                } else if holding > 0 {
                    Decision::Hold(Why::SomeQuorum(holding, n))
                } else if let Some(k) = unsettled {
                    Decision::Wait(Why::Waiting(k))
                } else if let Some(k) = missing {
                    Decision::Wait(Why::NotInTable(k))
                } else if let (1, Some(k)) = (n, lost) {
                    Decision::Fail(Why::QuorumLost(k))
                } else {
                    Decision::Fail(Why::NoQuorum(n))
                }
            }
        }
    }

    /// The operations of one half of a pass, into `out` (cleared first). `view` gives
    /// the current state of a service by the caller's index. Withdraw: retired addresses
    /// and announced VIPs whose rule no longer holds. Announce: VIPs whose rule holds
    /// and that are not announced. A pending VIP whose rule fails becomes withdrawn
    /// without an operation (nothing is on the interface). The state changes when the
    /// operation is reported `applied`.
    pub fn plan(
        &mut self,
        phase: Phase,
        view: &dyn Fn(u16) -> SvcView,
        now: Instant,
        out: &mut FixedTable<VipOp>,
    ) {
        out.clear();
        let Some(iface) = self.settings.as_ref().map(|s| s.iface.clone()) else {
            if phase == Phase::Withdraw {
                self.push_retired(out);
            }
            return;
        };
        if phase == Phase::Withdraw {
            self.push_retired(out);
        }
        for i in 0..self.vips.len() {
            let d = self.decide(&self.vips[i], view);
            let v = &mut self.vips[i];
            let op = |kind| VipOp {
                kind,
                addr: v.addr,
                iface: iface.clone(),
            };
            match (phase, d, v.state) {
                (Phase::Withdraw, Decision::Fail(why), State::Announced) => {
                    v.why = why;
                    let _ = out.push(op(VipOpKind::Withdraw));
                }
                (Phase::Withdraw, Decision::Fail(why), State::Pending) => {
                    v.state = State::Withdrawn;
                    v.why = why;
                    v.since = Some(now);
                    info!(
                        "vip_announce: {}/{} not announced on {}: {}",
                        v.addr,
                        host_prefix(&v.addr),
                        iface,
                        why
                    );
                }
                (_, Decision::Fail(why), State::Withdrawn) => v.why = why,
                (Phase::Announce, Decision::Hold(why), State::Pending | State::Withdrawn) => {
                    v.why = why;
                    let _ = out.push(op(VipOpKind::Announce));
                }
                (Phase::Announce, Decision::Hold(why), State::Announced) if v.missing => {
                    v.why = why;
                    let _ = out.push(op(VipOpKind::Announce));
                }
                (_, Decision::Hold(why), State::Announced) => v.why = why,
                (_, Decision::Wait(why), State::Pending) => v.why = why,
                _ => {}
            }
        }
        if phase == Phase::Announce && out.is_empty() && self.retired.is_empty() {
            self.dirty = self.vips.iter().any(|v| v.failing);
        }
    }

    fn push_retired(&self, out: &mut FixedTable<VipOp>) {
        for (addr, iface) in &self.retired {
            let _ = out.push(VipOp {
                kind: VipOpKind::Withdraw,
                addr: *addr,
                iface: iface.clone(),
            });
        }
    }

    /// The outcome of one operation from `plan` or `stop`: `Err(text)` is what the
    /// interface layer reported (already judged not benign). Logs the transition, or the
    /// first failure (a failed operation is planned again at the next pass).
    pub fn applied(&mut self, op: &VipOp, result: Result<(), &str>, now: Instant) {
        self.dirty = true;
        let current = self.settings.as_ref().is_some_and(|s| s.iface == op.iface);
        let vi = if current {
            self.vips.iter().position(|v| v.addr == op.addr)
        } else {
            None
        };
        let Some(vi) = vi else {
            // A retired address.
            match result {
                Ok(()) => {
                    self.retired
                        .retain(|(a, n)| !(*a == op.addr && *n == op.iface));
                    info!("vip_announce: {} (no longer a VIP here)", op);
                }
                Err(e) => warn!("vip_announce: cannot {}: {}; will retry", op, e),
            }
            return;
        };
        let v = &mut self.vips[vi];
        match result {
            Ok(()) => {
                v.failing = false;
                let put_back = v.missing && v.state == State::Announced;
                v.missing = false;
                if put_back {
                    // Still announced: `since` stays, the one log line says what happened.
                    if op.kind == VipOpKind::Announce {
                        warn!(
                            "vip_announce: {}/{} was removed from {} outside lvsmon while announced: put back ({})",
                            op.addr,
                            host_prefix(&op.addr),
                            op.iface,
                            v.why
                        );
                        return;
                    }
                }
                v.since = Some(now);
                v.state = match op.kind {
                    VipOpKind::Announce => State::Announced,
                    VipOpKind::Withdraw => State::Withdrawn,
                };
                match op.kind {
                    VipOpKind::Announce => info!("vip_announce: {} ({})", op, v.why),
                    VipOpKind::Withdraw => info!("vip_announce: {}: {}", op, v.why),
                }
            }
            Err(e) => {
                if !v.failing {
                    v.failing = true;
                    warn!("vip_announce: cannot {}: {}; will retry", op, e);
                }
            }
        }
    }

    /// At TERM: with `on_stop withdraw`, the withdrawals of every announced VIP (and of
    /// retired addresses) into `out` (cleared first), their reason set to `Stopped`;
    /// with `on_stop keep`, nothing (logged).
    pub fn stop(&mut self, out: &mut FixedTable<VipOp>) {
        out.clear();
        self.push_retired(out);
        let Some(s) = self.settings.clone() else {
            return;
        };
        let announced = self
            .vips
            .iter()
            .filter(|v| v.state == State::Announced)
            .count();
        if s.on_stop == OnStop::Keep {
            if announced > 0 {
                info!(
                    "vip_announce: leaving {} announced VIP{} on {} (on_stop keep)",
                    announced,
                    if announced == 1 { "" } else { "s" },
                    s.iface
                );
            }
            return;
        }
        for v in self.vips.iter_mut() {
            if v.state == State::Announced {
                v.why = Why::Stopped;
                let _ = out.push(VipOp {
                    kind: VipOpKind::Withdraw,
                    addr: v.addr,
                    iface: s.iface.clone(),
                });
            }
        }
    }
}

#[cfg(test)]
mod tests;
