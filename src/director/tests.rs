//! Scripted director scenarios on a fake clock (a base Instant plus offsets), with the
//! dry-run backend standing in for the kernel. Probes are instantaneous: a checker whose
//! target is in the "down" set fails with `connection refused`.

use std::net::SocketAddr;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use super::testlog;
use super::*;
use crate::ipvs::backend::Backend;
use crate::ipvs::dryrun::DryRun;
use crate::ipvs::rule::{KernelTable, Op};
use crate::ipvsadm::rule::RuleText;
use crate::model::config::{
    CheckKind, Config, HttpCheck, Pos, RealServer, SorryServer, StatusCodes, Url, VirtualServer,
    VsTarget,
};
use crate::probe::outcome::Up;

pub(super) fn sa(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

pub(super) fn http_check(target: &str) -> Check {
    Check {
        kind: CheckKind::Http(HttpCheck {
            tls: None,
            urls: vec![Url {
                path: "/".into(),
                digest: None,
                status: StatusCodes::new(),
                virtualhost: None,
                regex: None,
            }]
            .into(),
            virtualhost: None,
            protocol: Default::default(),
            fast_recovery: false,
        }),
        target: sa(target),
        bindto: None,
        bind_port: None,
        sock: Default::default(),
        connect_timeout: Duration::from_secs(1),
        retry: 3,
        delay_before_retry: Duration::from_secs(2),
        rise: 1,
        jitter_percent: 0,
        delay_loop: Duration::from_secs(1),
        warmup: Duration::ZERO,
    }
}

pub(super) fn real(addr: &str, weight: i32) -> RealServer {
    RealServer {
        pos: Pos::default(),
        addr: sa(addr),
        weight,
        forward: Forward::Route,
        tunnel: TunnelSpec::default(),
        inhibit_on_failure: false,
        uthreshold: 0,
        lthreshold: 0,
        notify_up: None,
        notify_down: None,
        alpha: false,
        slow_start: Duration::ZERO,
        checks: vec![http_check(addr)],
    }
}

pub(super) fn vs(addr: &str, reals: Vec<RealServer>) -> VirtualServer {
    VirtualServer {
        pos: Pos::default(),
        target: VsTarget::Addr(sa(addr)),
        group: None,
        protocol: Protocol::Tcp,
        sched: "wrr".try_into().unwrap(),
        svc_flags: 0,
        forward: Forward::Route,
        tunnel: TunnelSpec::default(),
        persistence_timeout: None,
        persistence_granularity: None,
        persistence_engine: None,
        virtualhost: None,
        alpha: false,
        omega: false,
        inhibit_on_failure: false,
        quorum: 1,
        hysteresis: 0,
        quorum_up: None,
        quorum_down: None,
        sorry_server: None,
        reals,
    }
}

fn sorry(addr: &str) -> Option<SorryServer> {
    Some(SorryServer {
        pos: Pos::default(),
        addr: sa(addr),
        forward: Forward::Route,
        tunnel: TunnelSpec::default(),
        inhibit: false,
    })
}

pub(super) fn cfg(services: Vec<VirtualServer>) -> Config {
    Config {
        services,
        ..Config::default()
    }
}

fn script(name: &str) -> Option<Script> {
    Some(Script {
        argv: vec![name.to_string()],
        user: None,
        group: None,
    })
}

pub(super) const R1: &str = "198.51.100.2:80";
pub(super) const R2: &str = "198.51.100.3:80";
const SORRY: &str = "198.51.100.9:80";
pub(super) const VIP: &str = "192.0.2.10:80";

/// The shell-loop scenario's service: weights 1 and 3, retry 3, delay_loop 1 s,
/// delay_before_retry 2 s, sorry server.
fn scenario(inhibit: bool) -> Config {
    let mut r1 = real(R1, 1);
    let mut r2 = real(R2, 3);
    r1.inhibit_on_failure = inhibit;
    r2.inhibit_on_failure = inhibit;
    let mut v = vs(VIP, vec![r1, r2]);
    v.sorry_server = sorry(SORRY);
    cfg(vec![v])
}

pub(super) struct Harness {
    pub(super) d: Director,
    pub(super) t0: Instant,
    pub(super) now: Instant,
    pub(super) kernel: DryRun,
    pub(super) ops: FixedTable<Op>,
    pub(super) due: FixedTable<CheckerId>,
    /// (ms since t0, rule) of every op applied.
    pub(super) applied: Vec<(u64, String)>,
}

impl Harness {
    pub(super) fn new(c: &Config) -> Harness {
        testlog::start();
        let t0 = Instant::now();
        let d = Director::new(c, t0, 1).unwrap();
        let mut h = Harness {
            d,
            t0,
            now: t0,
            kernel: DryRun::new(),
            ops: FixedTable::new("ops", 256),
            due: FixedTable::new("due", 64),
            applied: Vec::new(),
        };
        h.sync();
        h
    }

    pub(super) fn ms(&self) -> u64 {
        (self.now - self.t0).as_millis() as u64
    }

    /// reconcile → apply to the dry-run kernel → applied.
    pub(super) fn sync(&mut self) {
        self.d.reconcile(&mut self.ops);
        let mut failed = Vec::new();
        self.kernel
            .apply_all(&self.ops, &mut |i, e| failed.push((i, e)));
        self.d.applied(&self.ops, &failed);
        let at = self.ms();
        for op in self.ops.iter() {
            self.applied.push((at, RuleText(op).to_string()));
        }
    }

    /// Runs every check due up to `end_ms`; targets in `down` refuse.
    pub(super) fn run_until(&mut self, end_ms: u64, down: &[&str]) {
        let end = self.t0 + Duration::from_millis(end_ms);
        // Checks and slow-start steps, in time order.
        while let Some(next) = [self.d.next_due(), self.d.next_ramp_step()]
            .into_iter()
            .flatten()
            .min()
        {
            if next > end {
                break;
            }
            self.now = next;
            self.d.advance_ramps(next);
            self.d.due(next, &mut self.due);
            let ids: Vec<CheckerId> = self.due.to_vec();
            for id in ids {
                let target = self.d.check(id).target;
                let result = if down.iter().any(|a| sa(a) == target) {
                    Err(Reason::ConnectionRefused)
                } else {
                    Ok(Up::default())
                };
                let o = Outcome {
                    result,
                    latency: Duration::from_millis(3),
                };
                self.d.on_outcome(id, &o, next);
            }
            self.sync();
        }
        self.now = end;
    }

    pub(super) fn take_applied(&mut self) -> Vec<(u64, String)> {
        std::mem::take(&mut self.applied)
    }

    pub(super) fn dump(&mut self) -> KernelTable {
        let mut t = KernelTable::default();
        self.kernel.dump(&mut t).unwrap();
        t
    }
}

pub(super) fn ops_at(list: &[(u64, &str)]) -> Vec<(u64, String)> {
    list.iter().map(|(t, s)| (*t, s.to_string())).collect()
}

/// Log lines without the dry-run echo.
pub(super) fn director_lines() -> Vec<String> {
    testlog::take()
        .into_iter()
        .filter(|l| !l.starts_with("dry-run: "))
        .collect()
}

#[test]
fn shell_loop_scenario_remove_restore_sorry_in_and_out() {
    let mut h = Harness::new(&scenario(false));
    assert_eq!(
        h.take_applied(),
        ops_at(&[
            (0, "-A -t 192.0.2.10:80 -s wrr"),
            (0, "-a -t 192.0.2.10:80 -r 198.51.100.2:80 -g -w 1"),
            (0, "-a -t 192.0.2.10:80 -r 198.51.100.3:80 -g -w 3"),
        ])
    );
    // The dry-run log says the same, one line per op.
    assert_eq!(
        testlog::take(),
        [
            "dry-run: -A -t 192.0.2.10:80 -s wrr",
            "dry-run: -a -t 192.0.2.10:80 -r 198.51.100.2:80 -g -w 1",
            "dry-run: -a -t 192.0.2.10:80 -r 198.51.100.3:80 -g -w 3",
        ]
    );
    h.run_until(999, &[]);
    assert!(h.take_applied().is_empty());

    // Kill R2 (weight 3): attempts fail at 1 s, then 3, 5, 7 s (retry 3, spaced by
    // delay_before_retry 2 s): removed on the fourth failure.
    h.run_until(20_000, &[R2]);
    assert_eq!(
        h.take_applied(),
        ops_at(&[(7000, "-d -t 192.0.2.10:80 -r 198.51.100.3:80")])
    );
    assert_eq!(
        director_lines(),
        ["TCP 192.0.2.10:80 real server 198.51.100.3:80 is DOWN: connection refused"]
    );

    // Restore: the next check (every delay_loop while down) brings it back with weight 3.
    h.run_until(30_000, &[]);
    assert_eq!(
        h.take_applied(),
        ops_at(&[(21_000, "-a -t 192.0.2.10:80 -r 198.51.100.3:80 -g -w 3")])
    );
    assert_eq!(
        director_lines(),
        ["TCP 192.0.2.10:80 real server 198.51.100.3:80 is UP"]
    );

    // Kill both: the sorry server comes in, then the real servers go.
    h.run_until(40_000, &[R1, R2]);
    assert_eq!(
        h.take_applied(),
        ops_at(&[
            (37_000, "-a -t 192.0.2.10:80 -r 198.51.100.9:80 -g -w 1"),
            (37_000, "-d -t 192.0.2.10:80 -r 198.51.100.2:80"),
            (37_000, "-d -t 192.0.2.10:80 -r 198.51.100.3:80"),
        ])
    );
    assert_eq!(
        director_lines(),
        [
            "TCP 192.0.2.10:80 real server 198.51.100.2:80 is DOWN: connection refused",
            "TCP 192.0.2.10:80 real server 198.51.100.3:80 is DOWN: connection refused",
            "TCP 192.0.2.10:80 quorum lost (live weight 0, quorum 1, hysteresis 0): sorry server 198.51.100.9:80 in",
        ]
    );

    // Restore one: its AddDest comes before the sorry server's DelDest.
    h.run_until(50_000, &[R1]);
    assert_eq!(
        h.take_applied(),
        ops_at(&[
            (41_000, "-a -t 192.0.2.10:80 -r 198.51.100.3:80 -g -w 3"),
            (41_000, "-d -t 192.0.2.10:80 -r 198.51.100.9:80"),
        ])
    );
    assert_eq!(
        director_lines(),
        [
            "TCP 192.0.2.10:80 real server 198.51.100.3:80 is UP",
            "TCP 192.0.2.10:80 quorum regained (live weight 3, quorum 1, hysteresis 0): sorry server 198.51.100.9:80 out",
        ]
    );
    let t = h.dump();
    let dests: Vec<_> = t.services[0]
        .dests
        .iter()
        .map(|d| (d.spec.addr, d.spec.weight))
        .collect();
    assert_eq!(dests, [(sa(R2), 3)]);
}

#[test]
fn inhibit_on_failure_sets_weight_zero_instead_of_removing() {
    let mut h = Harness::new(&scenario(true));
    h.take_applied();
    h.run_until(20_000, &[R2]);
    assert_eq!(
        h.take_applied(),
        ops_at(&[(6000, "-e -t 192.0.2.10:80 -r 198.51.100.3:80 -g -w 0")])
    );
    h.run_until(30_000, &[]);
    assert_eq!(
        h.take_applied(),
        ops_at(&[(21_000, "-e -t 192.0.2.10:80 -r 198.51.100.3:80 -g -w 3")])
    );
    h.run_until(40_000, &[R1, R2]);
    assert_eq!(
        h.take_applied(),
        ops_at(&[
            (37_000, "-e -t 192.0.2.10:80 -r 198.51.100.2:80 -g -w 0"),
            (37_000, "-e -t 192.0.2.10:80 -r 198.51.100.3:80 -g -w 0"),
            (37_000, "-a -t 192.0.2.10:80 -r 198.51.100.9:80 -g -w 1"),
        ])
    );
    h.run_until(50_000, &[R1]);
    assert_eq!(
        h.take_applied(),
        ops_at(&[
            (41_000, "-e -t 192.0.2.10:80 -r 198.51.100.3:80 -g -w 3"),
            (41_000, "-d -t 192.0.2.10:80 -r 198.51.100.9:80"),
        ])
    );
}

#[test]
fn configured_weight_zero_stays_zero_and_counts_as_no_live_weight() {
    let mut v = vs(VIP, vec![real(R1, 0), real(R2, 1)]);
    v.sorry_server = sorry(SORRY);
    let mut h = Harness::new(&cfg(vec![v]));
    assert_eq!(
        h.take_applied()[1],
        (
            0,
            "-a -t 192.0.2.10:80 -r 198.51.100.2:80 -g -w 0".to_string()
        )
    );
    h.run_until(1000, &[]);
    // R1 fails and recovers: back with weight 0, never 1.
    h.run_until(20_000, &[R1]);
    h.run_until(30_000, &[]);
    assert_eq!(
        h.take_applied(),
        ops_at(&[
            (8000, "-d -t 192.0.2.10:80 -r 198.51.100.2:80"),
            (21_000, "-a -t 192.0.2.10:80 -r 198.51.100.2:80 -g -w 0"),
        ])
    );
    // R2 down: R1 is up but weighs 0, so the sorry server takes over.
    h.run_until(40_000, &[R2]);
    assert_eq!(
        h.take_applied(),
        ops_at(&[
            (37_000, "-a -t 192.0.2.10:80 -r 198.51.100.9:80 -g -w 1"),
            (37_000, "-d -t 192.0.2.10:80 -r 198.51.100.2:80"),
            (37_000, "-d -t 192.0.2.10:80 -r 198.51.100.3:80"),
        ])
    );
}

#[test]
fn sorry_server_with_a_real_servers_address_is_edited_not_duplicated() {
    let mut v = vs(VIP, vec![real(R1, 2), real(R2, 3)]);
    v.sorry_server = sorry(R1);
    let mut h = Harness::new(&cfg(vec![v]));
    h.take_applied();
    h.run_until(40_000, &[R1, R2]);
    // R1's destination becomes the sorry server (weight 1): one edit, no add, no delete.
    assert_eq!(
        h.take_applied(),
        ops_at(&[
            (6000, "-e -t 192.0.2.10:80 -r 198.51.100.2:80 -g -w 1"),
            (6000, "-d -t 192.0.2.10:80 -r 198.51.100.3:80"),
        ])
    );
    // R1 itself returns: the same destination goes back to its own weight.
    h.run_until(50_000, &[R2]);
    assert_eq!(
        h.take_applied(),
        ops_at(&[(41_000, "-e -t 192.0.2.10:80 -r 198.51.100.2:80 -g -w 2")])
    );
    // R2 returns while R1 fails again: R2 added, and the shared address removed only
    // because R1 is down, with no error from the kernel.
    h.run_until(80_000, &[R1]);
    let ops = h.take_applied();
    assert_eq!(
        ops,
        ops_at(&[
            (51_000, "-a -t 192.0.2.10:80 -r 198.51.100.3:80 -g -w 3"),
            (57_000, "-d -t 192.0.2.10:80 -r 198.51.100.2:80"),
        ])
    );
    assert!(!director_lines().iter().any(|l| l.contains("will retry")));
}

#[test]
fn identical_checks_are_probed_once_and_fan_out() {
    let a = vs(VIP, vec![real(R1, 1), real(R2, 1)]);
    let b = vs("192.0.2.11:80", vec![real(R1, 5)]);
    let mut h = Harness::new(&cfg(vec![a, b]));
    assert_eq!(h.d.checker_count(), 2);
    h.take_applied();
    h.run_until(999, &[]);
    // At t = 0 exactly two probes were due.
    h.run_until(20_000, &[R1]);
    assert_eq!(
        h.take_applied(),
        ops_at(&[
            (7000, "-d -t 192.0.2.10:80 -r 198.51.100.2:80"),
            (7000, "-d -t 192.0.2.11:80 -r 198.51.100.2:80"),
        ])
    );
    let lines = director_lines();
    assert_eq!(
        lines[..2],
        [
            "TCP 192.0.2.10:80 real server 198.51.100.2:80 is DOWN: connection refused",
            "TCP 192.0.2.11:80 real server 198.51.100.2:80 is DOWN: connection refused",
        ]
    );
}

#[test]
fn due_hands_out_each_checker_once_per_attempt() {
    let a = vs(VIP, vec![real(R1, 1), real(R2, 1)]);
    let b = vs("192.0.2.11:80", vec![real(R1, 5)]);
    let t0 = Instant::now();
    let mut d = Director::new(&cfg(vec![a, b]), t0, 7).unwrap();
    let mut due = FixedTable::new("due", 1);
    d.due(t0, &mut due);
    assert_eq!(due.len(), 1);
    let first = due[0];
    d.due(t0, &mut due);
    assert_eq!(due.len(), 1);
    assert_ne!(due[0], first);
    d.due(t0, &mut due);
    assert!(due.is_empty());
    assert_eq!(d.next_due(), None);
    // A deferred checker comes back after DEFER_DELAY without counting a failure.
    d.defer(first, t0);
    assert_eq!(d.next_due(), Some(t0 + DEFER_DELAY));
    // An outcome for a checker that is not running is ignored.
    let o = Outcome {
        result: Err(Reason::ConnectionRefused),
        latency: Duration::ZERO,
    };
    d.on_outcome(first, &o, t0);
    assert_eq!(d.checkers[first as usize].state.failures, 0);
}

#[test]
fn alpha_starts_down_and_warmup_spreads_first_checks() {
    let mut r = real(R1, 1);
    r.alpha = true;
    r.checks[0].warmup = Duration::from_secs(5);
    let mut v = vs(VIP, vec![r]);
    v.alpha = true;
    let t0 = Instant::now();
    let mut d = Director::new(&cfg(vec![v]), t0, 42).unwrap();
    let first = d.next_due().unwrap();
    assert!(first >= t0 && first <= t0 + Duration::from_secs(5));
    let mut ops = FixedTable::new("ops", 16);
    d.reconcile(&mut ops);
    assert_eq!(
        ops.len(),
        1,
        "service only, the alpha real server waits: {:?}",
        ops
    );
}

#[test]
fn adopting_a_matching_kernel_table_issues_no_operation() {
    let c = scenario(false);
    let mut h = Harness::new(&c);
    h.run_until(5000, &[]);
    let kernel = h.dump();
    // A restarted lvsmon sees the table its predecessor left.
    let t1 = Instant::now();
    let mut d = Director::new(&c, t1, 9).unwrap();
    d.adopt(&kernel);
    let mut ops = FixedTable::new("ops", 16);
    d.reconcile(&mut ops);
    assert!(ops.is_empty(), "{:?}", ops);
}

#[test]
fn teardown_and_adoption_leave_foreign_entries_alone() {
    let mut c = scenario(false);
    c.services.push(vs("192.0.2.20:80", vec![real(R1, 1)]));
    let mut h = Harness::new(&c);
    let k = ServiceKey::Inet {
        proto: Protocol::Tcp,
        addr: sa(VIP),
    };
    let foreign_dest = DestSpec {
        addr: sa("198.51.100.77:80"),
        forward: Forward::Masq,
        weight: 1,
        u_threshold: 0,
        l_threshold: 0,
        tunnel: TunnelSpec::default(),
    };
    let mut foreign_svc = build::service_spec(&vs("192.0.2.99:80", vec![]));
    foreign_svc.sched = "rr".try_into().unwrap();
    h.kernel.apply(&Op::AddDest(k, foreign_dest)).unwrap();
    h.kernel.apply(&Op::AddService(foreign_svc)).unwrap();
    let kernel = h.dump();
    let mut d = Director::new(&c, Instant::now(), 3).unwrap();
    d.adopt(&kernel);
    let mut ops = FixedTable::new("ops", 16);
    d.reconcile(&mut ops);
    assert!(ops.is_empty(), "{:?}", ops);
    d.teardown(&mut ops);
    let text: Vec<String> = ops.iter().map(|o| RuleText(o).to_string()).collect();
    assert_eq!(
        text,
        [
            "-d -t 192.0.2.10:80 -r 198.51.100.2:80",
            "-d -t 192.0.2.10:80 -r 198.51.100.3:80",
            "-D -t 192.0.2.20:80",
        ]
    );
    // lvs_flush_on_stop VS: each configured service goes in one operation, the one that
    // was there before lvsmon too (keepalived's clear_service_vs); the unconfigured
    // 192.0.2.99:80 stays.
    d.teardown_as(&mut ops, true);
    let text: Vec<String> = ops.iter().map(|o| RuleText(o).to_string()).collect();
    assert_eq!(text, ["-D -t 192.0.2.10:80", "-D -t 192.0.2.20:80"]);
}

#[test]
fn drift_is_logged_once_and_restored_by_one_operation() {
    let mut h = Harness::new(&scenario(false));
    h.run_until(3000, &[]);
    h.take_applied();
    testlog::take();
    let k = ServiceKey::Inet {
        proto: Protocol::Tcp,
        addr: sa(VIP),
    };
    // An administrator deletes R2 and changes R1's weight behind lvsmon's back.
    h.kernel.apply(&Op::DelDest(k, sa(R2))).unwrap();
    let mut r1 = h.dump().services[0].dests[0].spec;
    r1.weight = 7;
    h.kernel.apply(&Op::EditDest(k, r1)).unwrap();
    testlog::take();
    let kernel = h.dump();
    h.d.observe(&kernel);
    assert_eq!(
        testlog::take(),
        [
            "drift: TCP 192.0.2.10:80 real server 198.51.100.2:80 changed outside lvsmon (now -g -w 7); restoring",
            "drift: TCP 192.0.2.10:80 real server 198.51.100.3:80 was removed outside lvsmon; restoring",
        ]
    );
    h.sync();
    assert_eq!(
        h.take_applied(),
        ops_at(&[
            (3000, "-e -t 192.0.2.10:80 -r 198.51.100.2:80 -g -w 1"),
            (3000, "-a -t 192.0.2.10:80 -r 198.51.100.3:80 -g -w 3"),
        ])
    );
    // Observing the restored table finds nothing more.
    let kernel = h.dump();
    h.d.observe(&kernel);
    assert!(director_lines().is_empty());
    h.sync();
    assert!(h.take_applied().is_empty());
    // The whole service deleted: it comes back with its destinations.
    h.kernel.apply(&Op::DelService(k)).unwrap();
    let kernel = h.dump();
    h.d.observe(&kernel);
    assert_eq!(
        director_lines(),
        ["drift: TCP 192.0.2.10:80 was removed outside lvsmon; restoring"]
    );
    h.sync();
    assert_eq!(h.take_applied().len(), 3);
}

#[test]
fn failed_operations_are_logged_once_and_retried() {
    let mut v = vs(VIP, vec![real(R1, 1)]);
    v.sched = "nosuch".try_into().unwrap();
    let mut h = Harness::new(&cfg(vec![v]));
    let lines = director_lines();
    assert_eq!(
        lines,
        [
            "-A -t 192.0.2.10:80 -s nosuch: Scheduler or persistence engine not found; will retry",
            "-a -t 192.0.2.10:80 -r 198.51.100.2:80 -g -w 1: Service not defined; will retry",
        ]
    );
    h.sync();
    assert_eq!(h.take_applied().len(), 4, "retried at the next pass");
    assert!(director_lines().is_empty(), "but not logged again");
}

#[test]
fn quorum_with_hysteresis_runs_scripts_on_the_exact_transitions() {
    let mut reals = vec![real("198.51.100.1:80", 1), real(R1, 2), real(R2, 3)];
    for r in &mut reals {
        r.checks[0].retry = 0;
        r.notify_up = script(&format!("up-{}", r.addr));
        r.notify_down = script(&format!("down-{}", r.addr));
    }
    let mut v = vs(VIP, reals);
    v.quorum = 4;
    v.hysteresis = 1;
    v.quorum_up = script("qup");
    v.quorum_down = script("qdown");
    let mut h = Harness::new(&cfg(vec![v]));
    h.take_applied();
    let mut evs = FixedTable::new("events", 16);
    let mut take = |d: &mut Director| -> Vec<String> {
        d.take_events(&mut evs);
        evs.iter()
            .map(|e| format!("{:?} {}", e.kind, e.script.as_ref().unwrap().argv[0]))
            .collect()
    };
    h.run_until(500, &[]);
    assert!(take(&mut h.d).is_empty());
    // Live weight 6 -> 3: still >= quorum - hysteresis = 3.
    h.run_until(1500, &[R2]);
    assert_eq!(take(&mut h.d), ["NotifyDown down-198.51.100.3:80"]);
    // 3 -> 2: lost.
    h.run_until(2500, &[R2, "198.51.100.1:80"]);
    assert_eq!(
        take(&mut h.d),
        ["NotifyDown down-198.51.100.1:80", "QuorumDown qdown"]
    );
    // 2 -> 3: not yet regained (needs quorum + hysteresis = 5).
    h.run_until(3500, &[R2]);
    assert_eq!(take(&mut h.d), ["NotifyUp up-198.51.100.1:80"]);
    // 3 -> 6: regained.
    h.run_until(4500, &[]);
    assert_eq!(
        take(&mut h.d),
        ["NotifyUp up-198.51.100.3:80", "QuorumUp qup"]
    );
    // No sorry server: losing quorum removed nothing but the failed servers.
    assert!(h
        .take_applied()
        .iter()
        .all(|(_, op)| !op.contains("198.51.100.2:80")));
    // Omega is off: shutdown queues nothing.
    h.d.shutdown();
    assert!(take(&mut h.d).is_empty());
}

#[test]
fn omega_runs_down_scripts_for_what_is_up_at_shutdown() {
    let mut r1 = real(R1, 1);
    r1.notify_down = script("r1-down");
    let mut r2 = real(R2, 1);
    r2.notify_down = script("r2-down");
    r2.checks[0].retry = 0;
    let mut v = vs(VIP, vec![r1, r2]);
    v.omega = true;
    v.quorum_down = script("qdown");
    let mut h = Harness::new(&cfg(vec![v]));
    h.run_until(1500, &[R2]);
    let mut evs = FixedTable::new("events", 16);
    h.d.take_events(&mut evs);
    assert_eq!(evs.len(), 1);
    h.d.shutdown();
    h.d.take_events(&mut evs);
    let got: Vec<_> = evs
        .iter()
        .map(|e| (e.kind, e.script.as_ref().unwrap().argv[0].as_str(), e.real))
        .collect();
    assert_eq!(
        got,
        [
            (ScriptKind::QuorumDown, "qdown", None),
            (ScriptKind::NotifyDown, "r1-down", Some(sa(R1))),
        ]
    );
}

#[test]
fn misc_dynamic_weight_changes_the_current_weight() {
    let mut h = Harness::new(&cfg(vec![vs(VIP, vec![real(R1, 1)])]));
    h.take_applied();
    let t = h.t0 + Duration::from_millis(10);
    let mut due = FixedTable::new("due", 4);
    h.d.due(t, &mut due);
    let o = Outcome {
        result: Ok(Up {
            weight: Some(5),
            agent: None,
        }),
        latency: Duration::ZERO,
    };
    h.d.on_outcome(due[0], &o, t);
    h.sync();
    assert_eq!(
        h.take_applied(),
        ops_at(&[(0, "-e -t 192.0.2.10:80 -r 198.51.100.2:80 -g -w 5")])
    );
    assert_eq!(
        director_lines(),
        ["TCP 192.0.2.10:80 real server 198.51.100.2:80 weight is now 5"]
    );
}

#[test]
fn file_check_weight_is_added_to_the_configured_weight() {
    use crate::model::config::{CheckKind, FileCheck};
    let mut r = real(R1, 3);
    r.checks[0].kind = CheckKind::File(FileCheck {
        path: "/nonexistent".into(),
        weight: 2,
        reverse: false,
    });
    let mut h = Harness::new(&cfg(vec![vs(VIP, vec![r])]));
    h.take_applied();
    let t = h.t0 + Duration::from_millis(10);
    let mut due = FixedTable::new("due", 4);
    h.d.due(t, &mut due);
    // The tracked file says 2, weight 2: configured 3 + 4 = 7.
    let o = Outcome {
        result: Ok(Up {
            weight: Some(4),
            agent: None,
        }),
        latency: Duration::ZERO,
    };
    h.d.on_outcome(due[0], &o, t);
    h.sync();
    assert_eq!(
        h.take_applied(),
        ops_at(&[(0, "-e -t 192.0.2.10:80 -r 198.51.100.2:80 -g -w 7")])
    );
}

#[test]
fn reload_of_the_same_config_is_silent_and_keeps_health() {
    let c = scenario(false);
    let mut h = Harness::new(&c);
    h.run_until(20_000, &[R2]);
    h.take_applied();
    let before = h.d.next_due();
    h.d.reload(&c, h.now).unwrap();
    h.sync();
    assert!(h.take_applied().is_empty());
    assert_eq!(h.d.next_due(), before);
    // R2 is still down after the reload: no flap back in.
    h.run_until(25_000, &[R2]);
    assert!(h.take_applied().is_empty());
}

#[test]
fn reload_applies_only_the_difference() {
    let c = scenario(false);
    let mut h = Harness::new(&c);
    h.run_until(2000, &[]);
    h.take_applied();
    // One weight changed: exactly one edit.
    let mut c2 = c.clone();
    c2.services[0].reals[1].weight = 5;
    h.d.reload(&c2, h.now).unwrap();
    h.sync();
    assert_eq!(
        h.take_applied(),
        ops_at(&[(2000, "-e -t 192.0.2.10:80 -r 198.51.100.3:80 -g -w 5")])
    );
    // A real server removed, another service added, then the first service removed.
    let mut c3 = c2.clone();
    c3.services[0].reals.remove(0);
    c3.services.push(vs("192.0.2.11:80", vec![real(R1, 1)]));
    h.d.reload(&c3, h.now).unwrap();
    h.sync();
    assert_eq!(
        h.take_applied(),
        ops_at(&[
            (2000, "-A -t 192.0.2.11:80 -s wrr"),
            (2000, "-a -t 192.0.2.11:80 -r 198.51.100.2:80 -g -w 1"),
            (2000, "-d -t 192.0.2.10:80 -r 198.51.100.2:80"),
        ])
    );
    // The shared check stays one checker and keeps its schedule.
    assert_eq!(h.d.checkers.iter().filter(|c| c.live).count(), 2);
    let c4 = cfg(vec![c3.services[1].clone()]);
    h.d.reload(&c4, h.now).unwrap();
    h.sync();
    assert_eq!(h.take_applied(), ops_at(&[(2000, "-D -t 192.0.2.10:80")]));
    h.sync();
    assert!(h.take_applied().is_empty());
    let t = h.dump();
    assert_eq!(t.services.len(), 1);
}

#[test]
fn reload_keeps_overrides_and_in_flight_probes_are_safe() {
    let mut c = scenario(false);
    c.services[0].sorry_server = None;
    let mut h = Harness::new(&c);
    h.take_applied();
    let k = ServiceKey::Inet {
        proto: Protocol::Tcp,
        addr: sa(VIP),
    };
    h.d.set_override(&k, sa(R2), Some(Override::Drain)).unwrap();
    assert_eq!(
        h.d.set_override(&k, sa("198.51.100.99:80"), None),
        Err(OverrideError::NoRealServer)
    );
    assert_eq!(
        h.d.set_override(&k, sa(R2), Some(Override::Weight(-1))),
        Err(OverrideError::BadWeight)
    );
    h.sync();
    assert_eq!(
        h.take_applied(),
        ops_at(&[(0, "-e -t 192.0.2.10:80 -r 198.51.100.3:80 -g -w 0")])
    );
    // A probe is in flight for R1's checker while a reload drops R1.
    let mut due = FixedTable::new("due", 4);
    h.d.due(h.now, &mut due);
    let in_flight: Vec<CheckerId> = due.to_vec();
    let mut c2 = c.clone();
    c2.services[0].reals.remove(0);
    h.d.reload(&c2, h.now).unwrap();
    let ok = Outcome {
        result: Ok(Up::default()),
        latency: Duration::ZERO,
    };
    for id in in_flight {
        h.d.on_outcome(id, &ok, h.now);
    }
    h.sync();
    assert_eq!(
        h.take_applied(),
        ops_at(&[(0, "-d -t 192.0.2.10:80 -r 198.51.100.2:80")])
    );
    // The override survived the reload.
    let mut json = String::new();
    h.d.write_status_json(&mut json, h.now, UNIX_EPOCH);
    assert!(
        json.contains("\"override\":{\"kind\":\"drain\",\"weight\":0}"),
        "{}",
        json
    );
    h.d.set_override(&k, sa(R2), None).unwrap();
    h.sync();
    assert_eq!(
        h.take_applied(),
        ops_at(&[(0, "-e -t 192.0.2.10:80 -r 198.51.100.3:80 -g -w 3")])
    );
}

#[test]
fn status_json_is_the_documented_format() {
    let mut v = vs(VIP, vec![real(R1, 1), real(R2, 3)]);
    v.sorry_server = sorry(SORRY);
    let mut fw = vs(VIP, vec![]);
    fw.target = VsTarget::Fwmark {
        mark: 7,
        family: crate::ipvs::rule::Family::Inet,
    };
    let mut h = Harness::new(&cfg(vec![v, fw]));
    h.run_until(20_000, &[R2]);
    // 2026-11-21T17:00:00Z at t0 + 20 s (R2 went down at t0 + 6 s).
    let wall = UNIX_EPOCH + Duration::from_secs(1_795_280_400);
    let mut out = String::new();
    h.d.write_status_json(&mut out, h.now, wall);
    // The history: [Unix ms, latency in µs, result], oldest first. R1 was checked each
    // second from t0; R2 every 2 s until it failed at t0 + 6 s, then each second.
    let history = |secs: &mut dyn Iterator<Item = u64>, result: &str| -> String {
        secs.map(|s| format!("[{},3000,\"{}\"]", (1_795_280_380 + s) * 1000, result))
            .collect::<Vec<_>>()
            .join(",")
    };
    let h1 = history(&mut (0..=20), "ok");
    let h2 = history(
        &mut [0, 2, 4, 6].into_iter().chain(7..=20),
        "connection refused",
    );
    let want = [
        r#"{"services":[{"service":"TCP 192.0.2.10:80","protocol":"TCP","address":"192.0.2.10:80","fwmark":null,"#,
        r#""scheduler":"wrr","quorum_up":true,"sorry_server":{"address":"198.51.100.9:80","in_table":false},"reals":["#,
        r#"{"address":"198.51.100.2:80","health":"up","configured_weight":1,"current_weight":1,"in_table":true,"#,
        r#""rising":null,"late":0,"slow_start":null,"agent":null,"check":"HTTP_GET","last_result":"ok","last_latency_ms":3,"last_check":"2026-11-21T17:00:00Z","last_change":null,"override":null,"#,
        r#""checks_ok":21,"checks_failed":0,"transitions":0,"history":["#,
        &h1,
        r#"]},{"address":"198.51.100.3:80","health":"down","configured_weight":3,"current_weight":0,"in_table":false,"#,
        r#""rising":null,"late":0,"slow_start":null,"agent":null,"check":"HTTP_GET","last_result":"connection refused","last_latency_ms":3,"last_check":"2026-11-21T17:00:00Z","#,
        r#""last_change":"2026-11-21T16:59:46Z","override":null,"checks_ok":0,"checks_failed":18,"transitions":1,"history":["#,
        &h2,
        r#"]}]},"#,
        r#"{"service":"FWM 7","protocol":"FWM","address":null,"fwmark":7,"scheduler":"wrr","quorum_up":false,"sorry_server":null,"reals":[]}]}"#,
    ]
    .concat();
    assert_eq!(out, want);
    let mut text = String::new();
    h.d.write_status_text(&mut text, h.now, wall);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        "TCP 192.0.2.10:80  wrr  quorum up  sorry server 198.51.100.9:80 not in table"
    );
    assert!(
        lines[3].starts_with(
            "  198.51.100.3:80          DOWN             3      0 no    HTTP_GET   connection refused"
        ),
        "{}",
        lines[3]
    );
    assert_eq!(lines[4], "FWM 7  wrr  quorum DOWN");
}

#[test]
fn json_strings_are_escaped_and_dates_are_civil() {
    let mut s = String::new();
    super::status::json_str(&mut s, "a\"b\\c\n\u{1}");
    assert_eq!(s, r#""a\"b\\c\n\u0001""#);
    let d = |secs| super::status::Rfc3339(UNIX_EPOCH + Duration::from_secs(secs)).to_string();
    assert_eq!(d(0), "1970-01-01T00:00:00Z");
    assert_eq!(d(951_782_400), "2000-02-29T00:00:00Z");
    assert_eq!(d(1_795_280_400), "2026-11-21T17:00:00Z");
    let _ = SystemTime::now();
}

#[test]
fn a_real_server_without_checks_is_always_up() {
    let mut r = real(R1, 2);
    r.checks.clear();
    let mut h = Harness::new(&cfg(vec![vs(VIP, vec![r])]));
    assert_eq!(h.d.checker_count(), 0);
    assert_eq!(h.d.next_due(), None);
    assert_eq!(h.d.observe_interval(), Duration::from_secs(60));
    assert_eq!(
        h.take_applied(),
        ops_at(&[
            (0, "-A -t 192.0.2.10:80 -s wrr"),
            (0, "-a -t 192.0.2.10:80 -r 198.51.100.2:80 -g -w 2"),
        ])
    );
    // One more pass confirms convergence; then reconcile has nothing to walk.
    assert!(h.d.needs_reconcile());
    h.sync();
    assert!(h.take_applied().is_empty());
    assert!(!h.d.needs_reconcile());
}

#[test]
fn a_changed_check_does_not_readd_a_down_real_server_untested() {
    let c = scenario(false);
    let mut h = Harness::new(&c);
    h.run_until(20_000, &[R2]);
    h.take_applied();
    let mut c2 = c.clone();
    c2.services[0].reals[1].checks[0].connect_timeout = Duration::from_secs(2);
    h.d.reload(&c2, h.now).unwrap();
    h.sync();
    assert!(h.take_applied().is_empty());
    // The new checker runs at once (warmup 0) and its first success brings R2 back.
    h.run_until(20_000, &[]);
    assert_eq!(
        h.take_applied(),
        ops_at(&[(20_000, "-a -t 192.0.2.10:80 -r 198.51.100.3:80 -g -w 3")])
    );
}

#[test]
fn state_table_goes_to_the_log_line_by_line() {
    let h = Harness::new(&scenario(false));
    testlog::take();
    h.d.log_state_table(h.now, UNIX_EPOCH);
    let lines = testlog::take();
    assert_eq!(lines[0], "state table (1 services):");
    assert_eq!(
        lines[1],
        "TCP 192.0.2.10:80  wrr  quorum up  sorry server 198.51.100.9:80 not in table"
    );
    assert_eq!(lines.len(), 5);
}

#[test]
fn starting_without_quorum_brings_the_sorry_server_in_at_once() {
    let mut r = real(R1, 1);
    r.alpha = true;
    let mut v = vs(VIP, vec![r]);
    v.sorry_server = sorry(SORRY);
    v.quorum_down = script("qdown");
    let mut h = Harness::new(&cfg(vec![v]));
    assert_eq!(
        h.take_applied(),
        ops_at(&[
            (0, "-A -t 192.0.2.10:80 -s wrr"),
            (0, "-a -t 192.0.2.10:80 -r 198.51.100.9:80 -g -w 1"),
        ])
    );
    assert_eq!(
        director_lines(),
        ["TCP 192.0.2.10:80 starting with quorum down (live weight 0, quorum 1, hysteresis 0): sorry server 198.51.100.9:80 in"]
    );
    let mut evs = FixedTable::new("events", 4);
    h.d.take_events(&mut evs);
    assert_eq!(evs.len(), 1);
    assert_eq!(evs[0].kind, ScriptKind::QuorumDown);
    // The first success: the real server in, then the sorry server out.
    h.run_until(0, &[]);
    assert_eq!(
        h.take_applied(),
        ops_at(&[
            (0, "-a -t 192.0.2.10:80 -r 198.51.100.2:80 -g -w 1"),
            (0, "-d -t 192.0.2.10:80 -r 198.51.100.9:80"),
        ])
    );
}

#[test]
fn a_new_service_needs_quorum_plus_hysteresis_to_start_up() {
    let mut v = vs(VIP, vec![real(R1, 3)]);
    v.quorum = 2;
    v.hysteresis = 1;
    let h = Harness::new(&cfg(vec![v.clone()]));
    assert!(h.d.svcs[0].quorum_up, "3 >= 2 + 1");
    v.reals[0].weight = 2;
    let h = Harness::new(&cfg(vec![v]));
    assert!(!h.d.svcs[0].quorum_up, "2 < 2 + 1");
}

#[test]
fn service_fields_come_from_the_virtual_server() {
    let mut v = vs(VIP, vec![]);
    v.persistence_timeout = Some(300);
    v.persistence_granularity = Some(0xffff_ff00);
    v.svc_flags = crate::ipvs::rule::svc_flags::ONEPACKET;
    v.protocol = Protocol::Udp;
    let spec = build::service_spec(&v);
    assert_eq!(
        RuleText(&Op::AddService(spec)).to_string(),
        "-A -u 192.0.2.10:80 -s wrr -p 300 -M 255.255.255.0 -o"
    );
    let mut v6 = vs("[2001:db8::10]:443", vec![]);
    v6.persistence_timeout = Some(60);
    v6.persistence_engine = Some("sip".into());
    let spec = build::service_spec(&v6);
    assert_eq!(spec.netmask, 128);
    assert_eq!(
        RuleText(&Op::AddService(spec.clone())).to_string(),
        "-A -t [2001:db8::10]:443 -s wrr -p 60 --pe sip"
    );
    assert_eq!(ServiceName(&spec.key).to_string(), "TCP [2001:db8::10]:443");
    let fw = ServiceKey::Fwmark {
        family: crate::ipvs::rule::Family::Inet6,
        mark: 7,
    };
    assert_eq!(ServiceName(&fw).to_string(), "FWM 7");
    // Real servers keep their own forwarding method and thresholds.
    let mut r = real("[2001:db8::2]:443", 4);
    r.forward = Forward::Masq;
    r.uthreshold = 100;
    r.lthreshold = 10;
    r.checks.clear();
    let mut v6 = vs("[2001:db8::10]:443", vec![r]);
    v6.forward = Forward::Route;
    let h = Harness::new(&cfg(vec![v6]));
    assert_eq!(
        h.applied[1].1,
        "-a -t [2001:db8::10]:443 -r [2001:db8::2]:443 -m -w 4 -x 100 -y 10"
    );
}

#[test]
fn first_checks_are_spread_evenly_over_warmup_from_loop_start() {
    // Ten real servers, warmup 1 s: whatever the random warmup at build time, the first
    // attempts are re-spread from the instant the loop starts, 100 ms apart in config
    // order, even when building took longer than the warmup.
    let reals: Vec<RealServer> = (0..10)
        .map(|i| {
            let mut r = real(&format!("198.51.100.{}:80", 10 + i), 1);
            r.checks[0].warmup = Duration::from_secs(1);
            r
        })
        .collect();
    let t0 = Instant::now();
    let mut d = Director::new(&cfg(vec![vs(VIP, reals)]), t0, 7).unwrap();
    let start = t0 + Duration::from_secs(3);
    d.spread_first_checks(start);
    let mut due = FixedTable::new("due", 16);
    let mut seen = Vec::new();
    for step in 0..10u64 {
        d.due(start + Duration::from_millis(100 * step), &mut due);
        assert_eq!(due.len(), 1, "one first check per 100 ms (step {})", step);
        seen.push(due[0]);
    }
    assert_eq!(seen, (0..10).collect::<Vec<CheckerId>>());
    d.due(start + Duration::from_secs(5), &mut due);
    assert!(due.is_empty(), "each first check once");
    // A checker that has run is left alone; a warmup of 0 means all at once.
    let with_warmup = |addr: &str, ms: u64| {
        let mut r = real(addr, 1);
        r.checks[0].warmup = Duration::from_millis(ms);
        r
    };
    let reals = vec![
        with_warmup(R1, 900),
        with_warmup(R2, 0),
        with_warmup(SORRY, 900),
    ];
    let mut d = Director::new(&cfg(vec![vs(VIP, reals)]), t0, 7).unwrap();
    d.spread_first_checks(start);
    d.due(start, &mut due);
    assert_eq!(
        &due[..],
        &[0, 1],
        "the first (offset 0) and the warmup-0 checker"
    );
    d.on_outcome(
        0,
        &Outcome {
            result: Ok(Up::default()),
            latency: Duration::ZERO,
        },
        start,
    );
    // Spread again (as after a reload): checker 0 has run and keeps its next attempt,
    // delay_loop after its outcome; checker 1 is running; only checker 2 is moved.
    d.spread_first_checks(start + Duration::from_millis(10));
    d.due(start + Duration::from_millis(20), &mut due);
    assert_eq!(&due[..], &[2]);
    d.due(start + Duration::from_millis(1000), &mut due);
    assert_eq!(&due[..], &[0]);
}

#[test]
fn log_checks_logs_each_failure_at_most_twenty_a_second() {
    let mut h = Harness::new(&cfg(vec![vs(VIP, vec![real(R1, 1)])]));
    director_lines();
    let fail = Outcome {
        result: Err(Reason::HttpStatus(503)),
        latency: Duration::from_millis(4),
    };
    let ok = Outcome {
        result: Ok(Up::default()),
        latency: Duration::from_millis(4),
    };
    // Off by default: counted, not logged.
    h.d.note_check(0, &fail, h.now);
    assert!(director_lines().is_empty());
    h.d.set_log_checks(true);
    let t = h.now + Duration::from_secs(2);
    for _ in 0..25 {
        h.d.note_check(0, &fail, t);
        h.d.note_check(0, &ok, t);
    }
    let lines = director_lines();
    assert_eq!(lines.len(), 20, "{:?}", lines);
    assert_eq!(
        lines[0],
        "TCP 192.0.2.10:80 real server 198.51.100.2:80 check failed: HTTP 503 (after 4 ms)"
    );
    h.d.note_check(0, &fail, t + Duration::from_secs(1));
    assert_eq!(
        director_lines(),
        [
            "5 failed checks not logged in the last second (--log-checks writes at most 20 a second)",
            "TCP 192.0.2.10:80 real server 198.51.100.2:80 check failed: HTTP 503 (after 4 ms)",
        ]
    );
    assert_eq!(h.d.stats[0].fail, 27);
    assert_eq!(h.d.stats[0].ok, 25);
    assert_eq!(h.d.stats[0].history.len(), 52);
}
