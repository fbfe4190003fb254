//! The announce state machine on a fake clock: scripted service states in, exact
//! operations and states out.

use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use super::*;
use crate::ipvs::rule::{Family, Protocol};

fn key(addr: &str) -> ServiceKey {
    ServiceKey::Inet {
        proto: Protocol::Tcp,
        addr: addr.parse::<SocketAddr>().unwrap(),
    }
}

fn settings(rule: AnnounceRule, on_stop: OnStop) -> VipAnnounce {
    VipAnnounce {
        pos: Default::default(),
        interface: "vip0".into(),
        interface_pos: Default::default(),
        rule,
        on_stop,
    }
}

/// Services: 0 = 192.0.2.10:80, 1 = 192.0.2.10:443, 2 = 192.0.2.11:80, 3 = fwmark.
const SVCS: [&str; 3] = ["192.0.2.10:80", "192.0.2.10:443", "192.0.2.11:80"];

struct World {
    a: Announcer,
    views: Vec<SvcView>,
    t0: Instant,
    out: FixedTable<VipOp>,
    /// Every op carried out, as "ms op".
    log: Vec<String>,
}

impl World {
    fn new(rule: AnnounceRule, on_stop: OnStop) -> World {
        let mut views: Vec<SvcView> = SVCS
            .iter()
            .map(|s| SvcView {
                key: key(s),
                quorum: true,
                settled: false,
                in_table: true,
            })
            .collect();
        views.push(SvcView {
            key: ServiceKey::Fwmark {
                family: Family::Inet,
                mark: 7,
            },
            quorum: true,
            settled: true,
            in_table: true,
        });
        let services = (0..4u16).map(|i| {
            let a = SVCS
                .get(i as usize)
                .map(|s| s.parse::<SocketAddr>().unwrap().ip());
            (i, a)
        });
        World {
            a: Announcer::new(Some(&settings(rule, on_stop)), services),
            views,
            t0: Instant::now(),
            out: FixedTable::new("vip ops", 16),
            log: Vec::new(),
        }
    }

    /// One pass at `ms`: withdraw plan, then announce plan, every op succeeding.
    fn pass(&mut self, ms: u64) {
        let now = self.t0 + Duration::from_millis(ms);
        for phase in [Phase::Withdraw, Phase::Announce] {
            let views = self.views.clone();
            self.a
                .plan(phase, &|i| views[i as usize], now, &mut self.out);
            let ops: Vec<VipOp> = self.out.iter().cloned().collect();
            for op in ops {
                self.log.push(format!("{} {}", ms, op));
                self.a.applied(&op, Ok(()), now);
            }
        }
    }

    fn take(&mut self) -> Vec<String> {
        std::mem::take(&mut self.log)
    }

    fn state(&self, addr: &str) -> String {
        let a: IpAddr = addr.parse().unwrap();
        let v = self.a.vips().find(|v| v.addr == a).unwrap();
        StateText(v.state, v.why).to_string()
    }
}

#[test]
fn vips_group_services_by_address_and_skip_fwmarks() {
    let w = World::new(AnnounceRule::All, OnStop::Withdraw);
    let vips: Vec<(IpAddr, u16)> = w.a.vips().map(|v| (v.addr, v.services)).collect();
    assert_eq!(
        vips,
        [
            ("192.0.2.10".parse().unwrap(), 2),
            ("192.0.2.11".parse().unwrap(), 1)
        ]
    );
}

#[test]
fn nothing_is_announced_until_the_first_checks_settle() {
    let mut w = World::new(AnnounceRule::All, OnStop::Withdraw);
    w.pass(0);
    assert!(w.take().is_empty());
    assert_eq!(
        w.state("192.0.2.10"),
        "pending: waiting for the first checks of TCP 192.0.2.10:80"
    );
    // One of the two services on .10 settles: still waiting for the other.
    w.views[0].settled = true;
    w.pass(100);
    assert!(w.take().is_empty());
    assert_eq!(
        w.state("192.0.2.10"),
        "pending: waiting for the first checks of TCP 192.0.2.10:443"
    );
    w.views[1].settled = true;
    w.views[2].settled = true;
    w.pass(200);
    assert_eq!(
        w.take(),
        [
            "200 announce 192.0.2.10/32 on vip0",
            "200 announce 192.0.2.11/32 on vip0"
        ]
    );
    assert_eq!(
        w.state("192.0.2.10"),
        "announced (all 2 services have quorum)"
    );
    assert_eq!(
        w.state("192.0.2.11"),
        "announced (its 1 service has quorum)"
    );
    // Unchanged: nothing more.
    w.pass(300);
    assert!(w.take().is_empty());
}

#[test]
fn rule_all_withdraws_on_the_first_service_losing_quorum_and_announces_on_recovery() {
    let mut w = World::new(AnnounceRule::All, OnStop::Withdraw);
    for v in w.views.iter_mut() {
        v.settled = true;
    }
    w.pass(0);
    w.take();
    w.views[1].quorum = false;
    w.pass(1000);
    assert_eq!(w.take(), ["1000 withdraw 192.0.2.10/32 from vip0"]);
    assert_eq!(
        w.state("192.0.2.10"),
        "withdrawn: quorum lost on TCP 192.0.2.10:443"
    );
    assert_eq!(
        w.state("192.0.2.11"),
        "announced (its 1 service has quorum)"
    );
    w.pass(1100);
    assert!(w.take().is_empty());
    w.views[1].quorum = true;
    w.pass(2000);
    assert_eq!(w.take(), ["2000 announce 192.0.2.10/32 on vip0"]);
}

#[test]
fn rule_any_holds_while_one_service_has_quorum() {
    let mut w = World::new(AnnounceRule::Any, OnStop::Withdraw);
    // With rule any, one settled service with quorum is enough to announce.
    w.views[0].settled = true;
    w.pass(0);
    assert_eq!(w.take(), ["0 announce 192.0.2.10/32 on vip0"]);
    assert_eq!(
        w.state("192.0.2.10"),
        "announced (1 of 2 services have quorum)"
    );
    w.views[1].settled = true;
    w.views[1].quorum = false;
    w.pass(10);
    assert!(w.take().is_empty());
    w.views[0].quorum = false;
    w.pass(20);
    assert_eq!(w.take(), ["20 withdraw 192.0.2.10/32 from vip0"]);
    assert_eq!(
        w.state("192.0.2.10"),
        "withdrawn: none of its 2 services has quorum"
    );
    // A single-service VIP names its service.
    w.views[2].settled = true;
    w.views[2].quorum = false;
    w.pass(30);
    assert!(
        w.take().is_empty(),
        "pending -> withdrawn needs no operation"
    );
    assert_eq!(
        w.state("192.0.2.11"),
        "withdrawn: quorum lost on TCP 192.0.2.11:80"
    );
}

#[test]
fn a_service_missing_from_the_table_holds_back_an_announce_but_never_withdraws() {
    let mut w = World::new(AnnounceRule::All, OnStop::Withdraw);
    for v in w.views.iter_mut() {
        v.settled = true;
    }
    w.views[2].in_table = false;
    w.pass(0);
    assert_eq!(w.take(), ["0 announce 192.0.2.10/32 on vip0"]);
    assert_eq!(
        w.state("192.0.2.11"),
        "pending: TCP 192.0.2.11:80 is not in the IPVS table"
    );
    w.views[2].in_table = true;
    w.views[0].in_table = false; // drift: being restored
    w.pass(10);
    assert_eq!(w.take(), ["10 announce 192.0.2.11/32 on vip0"]);
    assert_eq!(
        w.state("192.0.2.10"),
        "announced (all 2 services have quorum)"
    );
}

#[test]
fn a_restart_adopts_what_is_on_the_interface_without_a_withdraw() {
    let mut w = World::new(AnnounceRule::All, OnStop::Withdraw);
    let now = w.t0;
    // 192.0.2.10 is there from before kill -9; so is an address that is not a VIP.
    w.a.adopt(
        &[
            "192.0.2.10".parse().unwrap(),
            "203.0.113.1".parse().unwrap(),
        ],
        now,
    );
    assert_eq!(
        w.state("192.0.2.10"),
        "announced (already on the interface at start-up)"
    );
    // Unsettled: kept, no operation.
    w.pass(0);
    assert!(w.take().is_empty());
    for v in w.views.iter_mut() {
        v.settled = true;
    }
    w.pass(100);
    // Only the VIP that was not there is announced; nothing is withdrawn.
    assert_eq!(w.take(), ["100 announce 192.0.2.11/32 on vip0"]);
    assert_eq!(
        w.state("192.0.2.10"),
        "announced (all 2 services have quorum)"
    );
}

#[test]
fn on_stop_withdraw_and_keep() {
    for (on_stop, want) in [
        (OnStop::Withdraw, vec!["withdraw 192.0.2.10/32 from vip0"]),
        (OnStop::Keep, vec![]),
    ] {
        let mut w = World::new(AnnounceRule::All, on_stop);
        w.views[0].settled = true;
        w.views[1].settled = true;
        w.pass(0);
        assert_eq!(w.take(), ["0 announce 192.0.2.10/32 on vip0"]);
        w.a.stop(&mut w.out);
        let got: Vec<String> = w.out.iter().map(|o| o.to_string()).collect();
        assert_eq!(got, want);
        for op in w.out.iter().cloned().collect::<Vec<_>>() {
            w.a.applied(&op, Ok(()), w.t0);
        }
        if on_stop == OnStop::Withdraw {
            assert_eq!(
                w.state("192.0.2.10"),
                "withdrawn: lvsmon stopped (on_stop withdraw)"
            );
        }
    }
}

#[test]
fn a_failed_operation_is_retried_and_logged_once() {
    let mut w = World::new(AnnounceRule::All, OnStop::Withdraw);
    w.views[2].settled = true;
    let now = w.t0;
    for attempt in 0..3 {
        w.a.plan(Phase::Withdraw, &|i| w.views[i as usize], now, &mut w.out);
        assert!(w.out.is_empty());
        let views = w.views.clone();
        w.a.plan(Phase::Announce, &|i| views[i as usize], now, &mut w.out);
        assert_eq!(w.out.len(), 1, "attempt {}", attempt);
        let op = w.out[0].clone();
        w.a.applied(&op, Err("Operation not permitted"), now);
        assert!(w.a.is_dirty());
        assert_eq!(w.state("192.0.2.11"), "pending: its 1 service has quorum");
    }
}

#[test]
fn reload_keeps_state_and_withdraws_what_it_drops() {
    let mut w = World::new(AnnounceRule::All, OnStop::Withdraw);
    for v in w.views.iter_mut() {
        v.settled = true;
    }
    w.pass(0);
    w.take();
    // New config: only 192.0.2.10:80 (index 0), same interface.
    let cfg = settings(AnnounceRule::All, OnStop::Withdraw);
    let mut b = Announcer::new(
        Some(&cfg),
        [(0u16, Some("192.0.2.10".parse().unwrap()))].into_iter(),
    );
    b.carry(&w.a);
    w.a = b;
    w.views.truncate(1);
    w.pass(500);
    assert_eq!(w.take(), ["500 withdraw 192.0.2.11/32 from vip0"]);
    assert_eq!(
        w.state("192.0.2.10"),
        "announced (its 1 service has quorum)"
    );
    w.pass(600);
    assert!(w.take().is_empty());
    // The interface changes: withdrawn from vip0, announced on vip1.
    let mut cfg1 = settings(AnnounceRule::All, OnStop::Withdraw);
    cfg1.interface = "vip1".into();
    let mut c = Announcer::new(
        Some(&cfg1),
        [(0u16, Some("192.0.2.10".parse().unwrap()))].into_iter(),
    );
    c.carry(&w.a);
    w.a = c;
    w.pass(700);
    assert_eq!(
        w.take(),
        [
            "700 withdraw 192.0.2.10/32 from vip0",
            "700 announce 192.0.2.10/32 on vip1"
        ]
    );
    // The block goes: everything is withdrawn, then nothing more.
    let mut d = Announcer::new(None, std::iter::empty());
    d.carry(&w.a);
    w.a = d;
    w.pass(800);
    assert_eq!(w.take(), ["800 withdraw 192.0.2.10/32 from vip1"]);
    assert!(!w.a.is_dirty());
}

#[test]
fn ipv6_vips_get_a_128_prefix() {
    let op = VipOp {
        kind: VipOpKind::Announce,
        addr: "2001:db8::10".parse().unwrap(),
        iface: ifname("vip0"),
    };
    assert_eq!(op.to_string(), "announce 2001:db8::10/128 on vip0");
}

#[test]
fn the_drift_check_puts_back_an_announced_vip_removed_behind_its_back_and_logs_once() {
    use crate::director::testlog;
    let mut w = World::new(AnnounceRule::All, OnStop::Withdraw);
    for v in w.views.iter_mut() {
        v.settled = true;
    }
    w.pass(0);
    assert_eq!(
        w.take(),
        [
            "0 announce 192.0.2.10/32 on vip0",
            "0 announce 192.0.2.11/32 on vip0"
        ]
    );
    let since = w.a.vips().next().unwrap().since;
    let ten: IpAddr = "192.0.2.10".parse().unwrap();
    let eleven: IpAddr = "192.0.2.11".parse().unwrap();
    let other: IpAddr = "203.0.113.1".parse().unwrap();
    // Both there (and an address that is no VIP): nothing to do.
    w.a.observe(&[other, eleven, ten]);
    w.pass(1000);
    assert!(w.take().is_empty());
    // Someone runs `ip addr del 192.0.2.10/32 dev vip0`; two checks see it before a pass.
    testlog::start();
    w.a.observe(&[eleven]);
    w.a.observe(&[eleven]);
    assert!(w.a.is_dirty());
    w.pass(2000);
    assert_eq!(w.take(), ["2000 announce 192.0.2.10/32 on vip0"]);
    assert_eq!(
        testlog::take(),
        ["vip_announce: 192.0.2.10/32 was removed from vip0 outside lvsmon while announced: put back (all 2 services have quorum)"]
    );
    // Still announced since the first time: the put-back is no transition.
    assert_eq!(w.a.vips().next().unwrap().since, since);
    assert_eq!(
        w.state("192.0.2.10"),
        "announced (all 2 services have quorum)"
    );
    w.a.observe(&[eleven, ten]);
    w.pass(3000);
    assert!(w.take().is_empty());
    // The whole interface gone while 192.0.2.11 also lost quorum: .10 is put back, .11 is
    // withdrawn (a withdraw of an absent address succeeds), not put back.
    w.a.observe(&[]);
    w.views[2].quorum = false;
    w.pass(4000);
    assert_eq!(
        w.take(),
        [
            "4000 withdraw 192.0.2.11/32 from vip0",
            "4000 announce 192.0.2.10/32 on vip0"
        ]
    );
    assert_eq!(
        w.state("192.0.2.11"),
        "withdrawn: quorum lost on TCP 192.0.2.11:80"
    );
    // A withdrawn VIP absent from the interface is as it should be.
    w.a.observe(&[ten]);
    w.pass(5000);
    assert!(w.take().is_empty());
    // A failed put-back is retried at the next pass.
    w.a.observe(&[]);
    let now = w.t0 + Duration::from_millis(6000);
    w.a.plan(Phase::Withdraw, &|i| w.views[i as usize], now, &mut w.out);
    assert!(w.out.is_empty());
    let views = w.views.clone();
    w.a.plan(Phase::Announce, &|i| views[i as usize], now, &mut w.out);
    let op = w.out[0].clone();
    w.a.applied(&op, Err("No such device"), now);
    assert!(w.a.is_dirty());
    w.pass(7000);
    assert_eq!(w.take(), ["7000 announce 192.0.2.10/32 on vip0"]);
}
