//! The one event loop: a mio Poll over probe sockets, the control socket and the signal
//! pipe. It is the only place that reads the clock; everything it drives (director,
//! probes, control server) takes `now` as an argument. Idle means asleep in `poll` until
//! the earliest deadline: the next due check, a probe's deadline, a control client's
//! deadline, a script's deadline, the next step of a slow-start ramp, or the next drift
//! check.

use std::io::{self, Read};
use std::net::SocketAddr;
use std::os::fd::{AsRawFd, OwnedFd};
use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime};

use mio::unix::SourceFd;
use mio::{Events, Interest, Poll, Token};

use crate::announce::iface::VipIface;
use crate::announce::{VipOp, MAX_VIP_OPS};
use crate::control::protocol::{Request, ServiceRef, Target};
use crate::control::server::{ClientEvent, ControlServer};
use crate::director::{CheckerId, Director, Override, OverrideError, ScriptKind, ServiceName};
use crate::globals::Globals;
use crate::http::exposition::{self, Process};
use crate::http::server::{HttpEvent, HttpServer, Reply, Route};
use crate::ipvs::backend::{Backend, IpvsError};
use crate::ipvs::rule::{Family, KernelTable, Op, Protocol, ServiceKey};
use crate::ipvsadm::rule::{AddrPort, RuleText};
use crate::model::config::FlushOnStop;
use crate::model::limits::{
    FD_RESERVE, MAX_CONTROL_CLIENTS, MAX_HTTP_CLIENTS, MAX_IN_FLIGHT, MAX_OPS_PER_PASS,
};
use crate::model::table::FixedTable;
use crate::probe::{ProbeSlot, Step};
use crate::sched::earliest;
use crate::scripts::ScriptRunner;
use crate::sys::process::{take_pending_signals, SIG_HUP, SIG_INT, SIG_TERM, SIG_USR1};

const SIGNAL_TOKEN: Token = Token(0);
const CONTROL_TOKEN: Token = Token(1);
const HTTP_TOKEN: Token = Token(2);
const FIRST_CLIENT_TOKEN: usize = 3;
const FIRST_HTTP_CLIENT_TOKEN: usize = FIRST_CLIENT_TOKEN + MAX_CONTROL_CLIENTS;
const FIRST_PROBE_TOKEN: usize = FIRST_HTTP_CLIENT_TOKEN + MAX_HTTP_CLIENTS;
/// Probe tokens carry the slot in the low bits and a generation above them, so an event
/// queued for a probe that has since finished (and whose slot was reused) is recognised
/// as stale. 20 bits of generation keep tokens inside a 32-bit usize on router CPUs.
const SLOT_BITS: u32 = 10;
const GENERATION_MASK: u32 = (1 << 20) - 1;
const _: () = assert!(MAX_IN_FLIGHT <= 1 << SLOT_BITS);

/// Events handled per poll call.
const EVENTS_CAPACITY: usize = 256;
/// Checks started in one turn of the loop. Each connect runs a share of the kernel's TCP
/// work in our context; starting every due check before looking at the sockets again
/// would leave replies that arrive meanwhile unread, which delays their completion (with
/// keepalived's rule, delay_loop counted from a check's completion, those checks then
/// fell due together again: a bunch that grew; measured under emulation at 1000 real
/// servers: checks started 51 ms late at p50; start to start, a delayed completion no
/// longer moves the next start, but reading replies late still skews latencies).
/// Checks not started stay due and are taken on the next turn, after a poll that does
/// not sleep.
const START_BATCH: usize = 16;
/// The reply buffer's usual size; one grown past it by a large reply is given back after
/// an HTTP reply, so a scrape's memory is bounded and freed.
const STATUS_TEXT_BYTES: usize = 64 * 1024;
/// Shortest interval between kernel drift checks.
const MIN_DRIFT_INTERVAL: Duration = Duration::from_secs(1);
/// After a pass in which the kernel refused an operation, the next pass waits this long,
/// so a lasting refusal (a scheduler module that is missing: each try runs modprobe) is
/// retried once a second, not on every turn of the loop.
const RETRY_AFTER_FAILURE: Duration = Duration::from_secs(1);

struct Slot {
    probe: ProbeSlot,
    checker: Option<CheckerId>,
    generation: u32,
    /// Where this slot sits in `Reactor::busy` while its probe is in flight.
    busy_pos: u16,
}

pub struct Settings {
    pub config_path: PathBuf,
    /// How the config is read on a reload (the instance name of `run -i`).
    pub config_load: crate::config::LoadOptions,
    pub keep_on_exit: bool,
    /// `--http`: serve /metrics, /status.json and the status page here.
    pub http: Option<SocketAddr>,
}

pub struct Reactor {
    poll: Poll,
    events: Events,
    director: Director,
    backend: Box<dyn Backend>,
    slots: Vec<Slot>,
    free_slots: Vec<u16>,
    /// The slots with a probe in flight, in no order: the per-wake-up scans (next
    /// deadline, expiry) visit only these, not all MAX_IN_FLIGHT slots.
    busy: Vec<u16>,
    due: FixedTable<CheckerId>,
    ops: FixedTable<Op>,
    failed: Vec<(usize, IpvsError)>,
    kernel: KernelTable,
    control: Option<ControlServer>,
    http: Option<HttpServer>,
    /// For /metrics: when the loop was set up, and how the last config load went.
    process: Process,
    /// Read end of the signal self-pipe (non-blocking).
    signal_pipe: std::fs::File,
    scripts: ScriptRunner,
    script_events: FixedTable<crate::director::ScriptEvent>,
    /// `lvs_notify_fifo`, when configured and opened.
    fifo: Option<crate::notify_fifo::Fifo>,
    settings: Settings,
    drift_interval: Duration,
    next_drift_at: Instant,
    status_text: String,
    checks_completed: u64,
    /// Returns from `poll`: an idle loop adds about one per deadline, a busy one many.
    wakeups: u64,
    /// The kernel-wide settings from global_defs that lvsmon has applied.
    globals: Globals,
    wanted_globals: Globals,
    /// The sync daemons lvsmon started (only those are stopped).
    syncd: crate::syncd::SyncDaemons,
    /// Set after a pass with failures: no reconcile before this instant.
    reconcile_not_before: Option<Instant>,
    /// See `set_config_fingerprint`.
    config_fingerprint: Option<u64>,
    /// The announce interface (`vip_announce`), once one was prepared.
    vip: Option<Box<dyn VipIface>>,
    /// Builds `vip` when a reload turns announcing on (kernel or dry run).
    vip_opener: fn() -> Option<Box<dyn VipIface>>,
    vip_ops: FixedTable<VipOp>,
    /// The addresses the drift check found on the announce interface (reused).
    vip_present: Vec<std::net::IpAddr>,
    /// The drift check could not read the interface (logged once until it can).
    vip_read_failing: bool,
}

/// Why the loop ended.
#[derive(Debug, PartialEq, Eq)]
pub enum Exit {
    /// TERM or INT: the table was torn down (or kept with --keep-on-exit).
    Signal,
    /// `run_until`'s instant passed.
    Deadline,
}

fn probe_token(slot: usize, generation: u32) -> Token {
    Token(FIRST_PROBE_TOKEN + (((generation & GENERATION_MASK) as usize) << SLOT_BITS | slot))
}

fn token_slot(token: Token) -> Option<(usize, u32)> {
    let raw = token.0.checked_sub(FIRST_PROBE_TOKEN)?;
    Some((raw & ((1 << SLOT_BITS) - 1), (raw >> SLOT_BITS) as u32))
}

/// How many probes may be in flight: MAX_IN_FLIGHT, or fewer when the open-file limit
/// cannot be raised to hold them beside lvsmon's own descriptors (a probe that met EMFILE
/// would judge a healthy real server down; one that waits for a slot is only late).
fn probe_slots() -> usize {
    let limit = crate::sys::process::raise_nofile((MAX_IN_FLIGHT + FD_RESERVE) as u64);
    let n = usize::try_from(limit)
        .unwrap_or(usize::MAX)
        .saturating_sub(FD_RESERVE)
        .clamp(1, MAX_IN_FLIGHT);
    if n < MAX_IN_FLIGHT {
        warn!(
            "open-file limit {} (hard limit): at most {} probes in flight instead of {}",
            limit, n, MAX_IN_FLIGHT
        );
    }
    n
}

impl Reactor {
    /// Sets up the loop: adopts the kernel table (no flap on restart), binds the control
    /// socket (None = no control socket, for tests), installs the signal pipe.
    pub fn new(
        director: Director,
        backend: Box<dyn Backend>,
        control_path: Option<&std::path::Path>,
        signal_pipe: OwnedFd,
        drift_interval: Duration,
        settings: Settings,
    ) -> io::Result<Reactor> {
        let poll = Poll::new()?;
        poll.registry().register(
            &mut SourceFd(&signal_pipe.as_raw_fd()),
            SIGNAL_TOKEN,
            Interest::READABLE,
        )?;
        let control = match control_path {
            Some(path) => Some(
                ControlServer::bind(path, poll.registry(), CONTROL_TOKEN, FIRST_CLIENT_TOKEN)
                    .map_err(|e| {
                        io::Error::new(
                            e.kind(),
                            format!("control socket {}: {}", path.display(), e),
                        )
                    })?,
            ),
            None => None,
        };
        let http = match settings.http {
            Some(addr) => Some(
                HttpServer::bind(addr, poll.registry(), HTTP_TOKEN, FIRST_HTTP_CLIENT_TOKEN)
                    .map_err(|e| io::Error::new(e.kind(), format!("--http {}: {}", addr, e)))?,
            ),
            None => None,
        };
        let in_flight = probe_slots();
        let slots = ProbeSlot::pool(in_flight)
            .into_iter()
            .map(|probe| Slot {
                probe,
                checker: None,
                generation: 0,
                busy_pos: 0,
            })
            .collect();
        let free_slots = (0..in_flight as u16).rev().collect();
        let now = Instant::now();
        Ok(Reactor {
            poll,
            events: Events::with_capacity(EVENTS_CAPACITY),
            director,
            backend,
            slots,
            free_slots,
            busy: Vec::with_capacity(in_flight),
            due: FixedTable::new("due checks", START_BATCH),
            ops: FixedTable::new("kernel operations", MAX_OPS_PER_PASS),
            failed: Vec::with_capacity(MAX_OPS_PER_PASS),
            kernel: KernelTable::default(),
            control,
            http,
            process: Process {
                started: SystemTime::now(),
                last_reload_ok: true,
                last_reload_success: SystemTime::now(),
            },
            signal_pipe: std::fs::File::from(signal_pipe),
            scripts: ScriptRunner::new(),
            script_events: FixedTable::new("script events", 256),
            settings,
            drift_interval: drift_interval.max(MIN_DRIFT_INTERVAL),
            next_drift_at: now + drift_interval.max(MIN_DRIFT_INTERVAL),
            status_text: String::with_capacity(STATUS_TEXT_BYTES),
            checks_completed: 0,
            wakeups: 0,
            globals: Globals::default(),
            wanted_globals: Globals::default(),
            syncd: crate::syncd::SyncDaemons::default(),
            reconcile_not_before: None,
            config_fingerprint: None,
            vip: None,
            vip_opener: || None,
            vip_ops: FixedTable::new("VIP operations", MAX_VIP_OPS),
            vip_present: Vec::with_capacity(MAX_VIP_OPS),
            vip_read_failing: false,
            fifo: None,
        })
    }

    /// The fingerprint of the running config's files (`config::Source::fingerprint`): a
    /// reload finding the same one does nothing. Without it every reload is a full one.
    pub fn set_config_fingerprint(&mut self, fingerprint: u64) {
        self.config_fingerprint = Some(fingerprint);
    }

    /// The announce interface, already prepared (`VipIface::prepare`) with the
    /// addresses found on it, and how to open another one if a reload turns
    /// announcing on. The VIPs found are adopted (`Director::vip_adopt`).
    pub fn set_vip_iface(
        &mut self,
        iface: Option<(Box<dyn VipIface>, Vec<std::net::IpAddr>)>,
        opener: fn() -> Option<Box<dyn VipIface>>,
    ) {
        self.vip_opener = opener;
        if let Some((iface, present)) = iface {
            self.director.vip_adopt(&present, Instant::now());
            self.vip = Some(iface);
        }
    }

    /// After a reload: if the announce interface changed (or announcing was turned on),
    /// prepare the new one and adopt what it carries. Withdrawals from the old one are
    /// planned by the director.
    fn prepare_vip_iface(&mut self, before: Option<String>, now: Instant) {
        let Some(name) = self.director.announce_interface().map(str::to_string) else {
            return;
        };
        if before.as_deref() == Some(name.as_str()) {
            return;
        }
        if self.vip.is_none() {
            self.vip = (self.vip_opener)();
        }
        let Some(iface) = self.vip.as_mut() else {
            error!("vip_announce: cannot open the interface layer for {}", name);
            return;
        };
        match iface.prepare(&name) {
            Ok(present) => self.director.vip_adopt(&present, now),
            Err(e) => error!("vip_announce: interface {} {}", name, e),
        }
    }

    /// The `lvs_notify_fifo` every transition is written to, open for the daemon's life.
    pub fn set_notify_fifo(&mut self, fifo: Option<crate::notify_fifo::Fifo>) {
        self.fifo = fifo;
    }

    /// The sync daemons and timeouts `global_defs` asks for; applied by `start`.
    pub fn set_globals(&mut self, globals: Globals) {
        self.wanted_globals = globals;
    }

    /// Applies the difference between the global settings applied and those wanted. A
    /// sync daemon already running (lvsmon restarted) is not an error.
    fn apply_globals(&mut self) {
        let ops = self.wanted_globals.ops_from(&self.globals);
        // Which sync daemons lvsmon runs, adopts or leaves to keepalived: crate::syncd.
        self.syncd
            .apply(&ops, &self.wanted_globals, self.backend.as_mut());
        self.globals = self.wanted_globals.clone();
    }

    /// Reads the kernel table and adopts it, then applies the first difference.
    pub fn start(&mut self) {
        for op in self.wanted_globals.start_ops() {
            match self.backend.apply(&op) {
                Ok(()) => info!("lvs_flush: emptied the IPVS table ({})", RuleText(&op)),
                Err(e) => error!("lvs_flush: {}", e),
            }
        }
        self.apply_globals();
        match self.backend.dump(&mut self.kernel) {
            Ok(()) => self.director.adopt(&self.kernel),
            Err(e) => warn!("cannot read the IPVS table at start-up: {}", e),
        }
        self.reconcile(Instant::now());
        // The first pass usually programs the whole table (one operation per real server
        // on a fresh start: about 450 KiB of written, hence resident, pages at 4096 real
        // servers) and later passes carry only changes. A fresh table of the same
        // capacity is not resident until written, and the old one goes back to the
        // system (an allocation this large is its own mapping).
        self.ops = FixedTable::new("kernel operations", MAX_OPS_PER_PASS);
        // Measured from now, not from config load: see Director::spread_first_checks.
        self.director.spread_first_checks(Instant::now());
    }

    /// Runs until TERM or INT. On the way out, removes what lvsmon added unless told to
    /// keep it.
    pub fn run(&mut self) -> io::Result<Exit> {
        self.run_inner(None)
    }

    /// Runs until `until` (or a signal): for tests and benchmarks.
    pub fn run_until(&mut self, until: Instant) -> io::Result<Exit> {
        self.run_inner(Some(until))
    }

    /// Probes that have delivered an outcome since start.
    /// The director, read-only (tests, status).
    pub fn director(&self) -> &Director {
        &self.director
    }

    pub fn checks_completed(&self) -> u64 {
        self.checks_completed
    }

    /// Where `--http` listens (the port chosen when 0 was asked for).
    pub fn http_addr(&self) -> Option<SocketAddr> {
        self.http.as_ref().map(HttpServer::local_addr)
    }

    /// Open HTTP connections (for tests).
    pub fn http_connections(&self) -> usize {
        self.http.as_ref().map_or(0, HttpServer::open)
    }

    /// Times the loop woke from `poll` since start (for tests: an idle daemon sleeps).
    pub fn wakeups(&self) -> u64 {
        self.wakeups
    }

    fn run_inner(&mut self, until: Option<Instant>) -> io::Result<Exit> {
        loop {
            let now = Instant::now();
            if until.is_some_and(|u| now >= u) {
                return Ok(Exit::Deadline);
            }
            self.start_due_probes(now);
            self.director.advance_ramps(now);
            self.reconcile(now);
            self.run_scripts(now);

            let wake = earliest(self.next_wake(now), until);
            let timeout = wake.map(|t| t.saturating_duration_since(now));
            match self.poll.poll(&mut self.events, timeout) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
            self.wakeups += 1;
            let now = Instant::now();
            let mut signalled = false;
            // Borrow the events out so handlers can use &mut self.
            let events = std::mem::replace(&mut self.events, Events::with_capacity(0));
            for event in events.iter() {
                match event.token() {
                    SIGNAL_TOKEN => signalled = true,
                    t if self.control.as_ref().is_some_and(|c| c.owns(t)) => {
                        self.on_control(t, now)
                    }
                    t if self.http.as_ref().is_some_and(|h| h.owns(t)) => self.on_http(t, now),
                    t => self.on_probe_event(t, event, now),
                }
            }
            self.events = events;
            self.expire_probes(now);
            if let Some(control) = self.control.as_mut() {
                control.expire(self.poll.registry(), now);
            }
            if let Some(http) = self.http.as_mut() {
                http.expire(self.poll.registry(), now);
            }
            self.scripts.poll(now);
            if now >= self.next_drift_at {
                self.check_drift();
                self.check_vip_drift();
                self.next_drift_at = now + self.drift_interval;
            }
            if signalled {
                self.drain_signal_pipe();
                let pending = take_pending_signals();
                if pending & SIG_USR1 != 0 {
                    self.director.log_state_table(now, SystemTime::now());
                }
                if pending & SIG_HUP != 0 {
                    // A refusal is logged by reload itself.
                    let _ = self.reload(now);
                }
                if pending & (SIG_TERM | SIG_INT) != 0 {
                    self.shutdown(now);
                    return Ok(Exit::Signal);
                }
            }
        }
    }

    fn next_wake(&self, now: Instant) -> Option<Instant> {
        let mut wake = self
            .busy
            .iter()
            .map(|&i| self.slots[i as usize].probe.deadline())
            .fold(Some(self.next_drift_at), earliest);
        for t in [
            self.director.next_due(),
            self.director.next_ramp_step(),
            self.control.as_ref().and_then(|c| c.next_deadline()),
            self.http.as_ref().and_then(|h| h.next_deadline()),
            self.scripts.next_deadline(now),
            self.reconcile_not_before
                .filter(|_| self.director.needs_reconcile() || self.director.vip_pending()),
        ] {
            wake = earliest(wake, t);
        }
        wake
    }

    // Out of line for code size: run_inner with this and on_http inlined was about
    // 0.5 KB larger on mipsel.
    #[inline(never)]
    fn start_due_probes(&mut self, now: Instant) {
        self.director.due(now, &mut self.due);
        for i in 0..self.due.len() {
            let id = self.due[i];
            let Some(slot_index) = self.free_slots.pop() else {
                self.director.defer(id, now);
                continue;
            };
            let slot_index = slot_index as usize;
            let slot = &mut self.slots[slot_index];
            slot.generation = slot.generation.wrapping_add(1);
            let token = probe_token(slot_index, slot.generation);
            let check = self.director.check(id);
            match slot.probe.start(check, self.poll.registry(), token, now) {
                Step::Pending => {
                    slot.checker = Some(id);
                    slot.busy_pos = self.busy.len() as u16;
                    self.busy.push(slot_index as u16);
                }
                Step::Done(outcome) => {
                    self.free_slots.push(slot_index as u16);
                    self.checks_completed += 1;
                    self.director.on_outcome(id, &outcome, now);
                }
            }
        }
    }

    fn on_probe_event(&mut self, token: Token, event: &mio::event::Event, now: Instant) {
        let Some((slot_index, generation)) = token_slot(token) else {
            return;
        };
        let Some(slot) = self.slots.get_mut(slot_index) else {
            return;
        };
        let Some(id) = slot.checker else {
            return; // the probe already finished: a stale event
        };
        if slot.generation & GENERATION_MASK != generation {
            return;
        }
        let check = self.director.check(id);
        if let Step::Done(outcome) = slot.probe.on_event(check, event, self.poll.registry(), now) {
            self.release(slot_index);
            self.checks_completed += 1;
            self.director.on_outcome(id, &outcome, now);
        }
    }

    /// Takes a finished slot out of `busy` (the last busy slot moves into its place)
    /// and makes it free.
    fn release(&mut self, slot_index: usize) {
        let pos = self.slots[slot_index].busy_pos as usize;
        debug_assert_eq!(self.busy.get(pos), Some(&(slot_index as u16)));
        self.busy.swap_remove(pos);
        if let Some(&moved) = self.busy.get(pos) {
            self.slots[moved as usize].busy_pos = pos as u16;
        }
        self.slots[slot_index].checker = None;
        self.free_slots.push(slot_index as u16);
    }

    fn expire_probes(&mut self, now: Instant) {
        // Bounded: each turn either moves `pos` on or removes one busy slot.
        let mut pos = 0;
        while pos < self.busy.len() {
            let slot_index = self.busy[pos] as usize;
            let slot = &mut self.slots[slot_index];
            let (Some(id), true) = (
                slot.checker,
                slot.probe.deadline().is_some_and(|d| d <= now),
            ) else {
                pos += 1;
                continue;
            };
            match slot.probe.on_deadline(self.poll.registry(), now) {
                Step::Done(outcome) => {
                    // `release` moves another busy slot into `pos`: look at it next.
                    self.release(slot_index);
                    self.checks_completed += 1;
                    self.director.on_outcome(id, &outcome, now);
                }
                Step::Pending => pos += 1,
            }
        }
    }

    /// Computes the difference between desired and believed tables and applies it.
    fn reconcile(&mut self, now: Instant) {
        if let Some(t) = self.reconcile_not_before {
            if now < t {
                return;
            }
            // Passed: it must not stay behind as a wake-up instant in the past (that
            // would make every poll return at once: a busy loop).
            self.reconcile_not_before = None;
        }
        if !self.director.needs_reconcile() && !self.director.vip_pending() {
            return;
        }
        // Withdrawals, then the table, then announcements (Director::pass).
        let backend = &mut self.backend;
        let vip = &mut self.vip;
        let any_failed = self.director.pass(
            now,
            &mut self.ops,
            &mut self.failed,
            &mut self.vip_ops,
            &mut |ops, failed| backend.apply_all(ops, &mut |i, e| failed.push((i, e))),
            &mut |op| match vip.as_mut() {
                Some(v) => v.apply(op),
                None => Err("no announce interface".to_string()),
            },
        );
        self.reconcile_not_before = if any_failed {
            Some(now + RETRY_AFTER_FAILURE)
        } else {
            None
        };
    }

    fn run_scripts(&mut self, now: Instant) {
        self.director.take_events(&mut self.script_events);
        for i in 0..self.script_events.len() {
            let ev = &self.script_events[i];
            if ev.script.is_none() && self.fifo.is_none() {
                continue;
            }
            // Formatting allocates, but scripts run only on transitions, never per check.
            let why = match ev.real {
                Some(real) => format!(
                    "{} for {} real server {}",
                    script_kind_name(ev.kind),
                    ServiceName(&ev.service),
                    AddrPort(&real)
                ),
                None => format!(
                    "{} for {}",
                    script_kind_name(ev.kind),
                    ServiceName(&ev.service)
                ),
            };
            if let Some(fifo) = self.fifo.as_mut() {
                fifo.announce(ev);
            }
            if let Some(script) = &ev.script {
                self.scripts.spawn(script, &why, now);
            }
        }
        self.script_events.clear();
    }

    fn check_drift(&mut self) {
        if let Some(fifo) = self.fifo.as_mut() {
            fifo.reap();
        }
        match self.backend.dump(&mut self.kernel) {
            Ok(()) => self.director.observe(&self.kernel),
            Err(e) => warn!("cannot read the IPVS table: {}", e),
        }
    }

    /// The announce interface's drift check: an announced VIP someone removed from it
    /// is put back by the next pass (`Announcer::observe`).
    fn check_vip_drift(&mut self) {
        let (Some(name), Some(iface)) = (self.director.announce_interface(), self.vip.as_mut())
        else {
            return;
        };
        match iface.observe(name, &mut self.vip_present) {
            Ok(seen) => {
                self.vip_read_failing = false;
                if seen {
                    self.director.vip_observe(&self.vip_present);
                }
            }
            Err(e) if !self.vip_read_failing => {
                self.vip_read_failing = true;
                warn!("vip_announce: cannot read the addresses of {}: {}", name, e);
            }
            Err(_) => {}
        }
    }

    fn drain_signal_pipe(&mut self) {
        let mut buf = [0u8; 64];
        // Bounded: the pipe holds at most a few bytes per signal burst.
        for _ in 0..64 {
            match (&self.signal_pipe).read(&mut buf) {
                Ok(n) if n > 0 => continue,
                _ => break,
            }
        }
    }

    /// Re-reads the config; a bad one is logged and the running one stays. The error is
    /// also returned, so `lvsmon reload` can say it was refused. Files byte-identical to
    /// the running config's end it early (see `reload::reload_config`).
    fn reload(&mut self, now: Instant) -> Result<(), String> {
        let result = self.reload_inner(now);
        self.process.last_reload_ok = result.is_ok();
        if result.is_ok() {
            self.process.last_reload_success = SystemTime::now();
        }
        result
    }

    fn reload_inner(&mut self, now: Instant) -> Result<(), String> {
        let path = self.settings.config_path.clone();
        let vip_before = self.director.announce_interface().map(str::to_string);
        let cfg = match crate::reload::reload_config(
            &path,
            &self.settings.config_load,
            &mut self.config_fingerprint,
            &mut self.director,
            now,
            false,
        )? {
            crate::reload::Reloaded::Unchanged => return Ok(()),
            crate::reload::Reloaded::Applied(cfg) => cfg,
        };
        self.prepare_vip_iface(vip_before, now);
        crate::track_files::initialise(&cfg.track_file_inits, false);
        self.wanted_globals = Globals::from_config(&cfg);
        if self.wanted_globals.net_namespace_ipvs != self.globals.net_namespace_ipvs {
            warn!(
                "net_namespace_ipvs changed: it takes effect when lvsmon restarts (as in keepalived); the running table stays where it is"
            );
            self.wanted_globals.net_namespace_ipvs = self.globals.net_namespace_ipvs.clone();
        }
        self.apply_globals();
        // Checker ids survive a reload; probes in flight are restarted so none reports
        // against a spec that has changed.
        self.cancel_probes();
        // New checkers' warmup counts from now, not from before the (possibly long) load.
        self.director.spread_first_checks(Instant::now());
        self.drift_interval = crate::reload::drift_interval(&cfg);
        info!("reloaded {}", path.display());
        Ok(())
    }

    fn cancel_probes(&mut self) {
        // Bounded: each turn removes one busy slot.
        while let Some(&slot_index) = self.busy.last() {
            let slot_index = slot_index as usize;
            let slot = &mut self.slots[slot_index];
            slot.probe.cancel(self.poll.registry());
            let id = slot.checker;
            self.release(slot_index);
            if let Some(id) = id {
                self.director.defer(id, Instant::now());
            }
        }
    }

    fn shutdown(&mut self, now: Instant) {
        self.cancel_probes();
        self.director.shutdown();
        // VIPs first (on_stop withdraw), so the routers move traffic away before the
        // table goes.
        self.director.vip_stop(&mut self.vip_ops);
        for i in 0..self.vip_ops.len() {
            let op = self.vip_ops[i].clone();
            let result = match self.vip.as_mut() {
                Some(v) => v.apply(&op),
                None => Err("no announce interface".to_string()),
            };
            self.director.vip_applied(
                &op,
                result.as_ref().map(|_| ()).map_err(String::as_str),
                now,
            );
        }
        if self.settings.keep_on_exit {
            info!("stopping; leaving the IPVS table as it is (--keep-on-exit)");
        } else {
            self.ops.clear();
            match self.globals.flush_on_stop {
                FlushOnStop::Full => {
                    let _ = self.ops.push(Op::Flush);
                    info!("stopping; lvs_flush_on_stop: flushing the whole IPVS table");
                }
                FlushOnStop::Vs => {
                    self.director.teardown_as(&mut self.ops, true);
                    info!(
                        "stopping; lvs_flush_on_stop VS: deleting the {} services lvsmon programmed",
                        self.ops.len()
                    );
                }
                FlushOnStop::No => {
                    self.director.teardown(&mut self.ops);
                    info!(
                        "stopping; removing the {} IPVS entries lvsmon added",
                        self.ops.len()
                    );
                }
            }
            self.backend
                .apply_all(&self.ops, &mut |_, e| warn!("{}", e));
            self.syncd.teardown(self.backend.as_mut());
        }
        self.run_scripts(now);
        // Removes the FIFO (if lvsmon made it) and stops its reader.
        self.fifo = None;
    }

    /// Applies an operator override to the service the request names. A request names a
    /// service by address (any protocol) or fwmark (any family): the first configured
    /// match is used.
    fn set_override(&mut self, target: &Target, ov: Option<Override>) -> Result<(), String> {
        let mut last = OverrideError::NoService;
        for key in &candidates(target) {
            match self.director.set_override(key, target.real, ov) {
                Ok(()) => return Ok(()),
                Err(OverrideError::NoService) => continue,
                Err(e) => last = e,
            }
        }
        Err(last.to_string())
    }

    /// Serves one HTTP request. Building a reply allocates (the body grows the reused
    /// buffer, /metrics dumps the kernel table, reads /proc); the reply is handed to the
    /// connection, which frees a large one when it closes, so what a scrape takes is
    /// bounded (one reply) and freed. Nothing here changes the director's state.
    // Out of line for code size (see start_due_probes).
    #[inline(never)]
    fn on_http(&mut self, token: Token, now: Instant) {
        let Some(http) = self.http.as_mut() else {
            return;
        };
        let HttpEvent::Get { slot, route, head } = http.on_ready(token, self.poll.registry(), now)
        else {
            return;
        };
        let wall = SystemTime::now();
        let mut out = std::mem::take(&mut self.status_text);
        out.clear();
        let content_type = match route {
            Route::Page => "text/html; charset=utf-8",
            Route::StatusJson => "application/json",
            Route::Metrics => crate::prom::CONTENT_TYPE,
        };
        let reply = Reply::start(&mut out, content_type);
        match route {
            Route::Page => out.push_str(crate::http::PAGE),
            Route::StatusJson => self.director.write_status_json(&mut out, now, wall),
            Route::Metrics => {
                self.director.write_metrics(&mut out, now, wall);
                // Read at scrape time, not per check. The drift check's table is reused:
                // it is always dumped afresh before it is read.
                match self.backend.dump(&mut self.kernel) {
                    Ok(()) => exposition::write_ipvs(&mut out, &self.kernel),
                    Err(e) => warn!("/metrics: cannot read the IPVS table: {}", e),
                }
                exposition::write_process(&mut out, &self.process);
                if let Some(http) = self.http.as_ref() {
                    http.write_metrics(&mut out);
                }
            }
        }
        reply.finish(&mut out, head);
        let http = self.http.as_mut().expect("checked above");
        // The reply is handed to the connection, not copied; its old buffer (cleared,
        // hence valid UTF-8) comes back to build the next one in. The connection gives a
        // large buffer back to the system when it closes (clients.rs).
        let back = http.respond(slot, self.poll.registry(), out.into_bytes());
        self.status_text = String::from_utf8(back).unwrap_or_default();
        if self.status_text.capacity() > STATUS_TEXT_BYTES {
            self.status_text = String::with_capacity(STATUS_TEXT_BYTES);
        } else {
            self.status_text.reserve(STATUS_TEXT_BYTES);
        }
    }

    fn on_control(&mut self, token: Token, now: Instant) {
        let Some(control) = self.control.as_mut() else {
            return;
        };
        let ClientEvent::Request(client, request) =
            control.on_ready(token, self.poll.registry(), now)
        else {
            return;
        };
        let wall = SystemTime::now();
        self.status_text.clear();
        let reply: Result<(), String> = match request {
            Request::Ping => Ok(()),
            Request::Status => {
                self.director
                    .write_status_text(&mut self.status_text, now, wall);
                Ok(())
            }
            Request::StatusJson => {
                self.director
                    .write_status_json(&mut self.status_text, now, wall);
                Ok(())
            }
            Request::Reload => self.reload(now),
            Request::Drain(t) => self.set_override(&t, Some(Override::Drain)),
            Request::Enable(t) => self.set_override(&t, None),
            Request::Weight(t, w) => self.set_override(&t, Some(Override::Weight(w))),
            Request::History(t) => {
                let mut last = OverrideError::NoService;
                let mut found = false;
                for key in &candidates(&t) {
                    match self.director.write_history_text(
                        key,
                        t.real,
                        &mut self.status_text,
                        now,
                        wall,
                    ) {
                        Ok(()) => {
                            found = true;
                            break;
                        }
                        Err(OverrideError::NoService) => continue,
                        Err(e) => last = e,
                    }
                }
                if found {
                    Ok(())
                } else {
                    Err(last.to_string())
                }
            }
        };
        let text = &self.status_text;
        let control = self.control.as_mut().expect("checked above");
        control.respond(client, self.poll.registry(), |out| match &reply {
            Ok(()) => {
                out.extend_from_slice(b"ok\n");
                out.extend_from_slice(text.as_bytes());
            }
            Err(why) => {
                out.extend_from_slice(b"error: ");
                out.extend_from_slice(why.as_bytes());
                out.push(b'\n');
            }
        });
    }
}

/// The services a request may mean: it names a service by address (any protocol) or
/// fwmark (any family); the first configured match is used.
fn candidates(target: &Target) -> [ServiceKey; 3] {
    match target.service {
        ServiceRef::Addr(addr) => [Protocol::Tcp, Protocol::Udp, Protocol::Sctp]
            .map(|proto| ServiceKey::Inet { proto, addr }),
        ServiceRef::Fwmark(mark) => [Family::Inet, Family::Inet6, Family::Inet]
            .map(|family| ServiceKey::Fwmark { family, mark }),
    }
}

fn script_kind_name(kind: ScriptKind) -> &'static str {
    match kind {
        ScriptKind::NotifyUp => "notify_up",
        ScriptKind::NotifyDown => "notify_down",
        ScriptKind::QuorumUp => "quorum_up",
        ScriptKind::QuorumDown => "quorum_down",
    }
}
