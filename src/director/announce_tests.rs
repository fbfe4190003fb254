//! vip_announce through the director on a fake clock: the order of one pass (withdraw,
//! table, announce) as the reactor runs it, start-up, adoption after kill -9, drain.

use std::cell::RefCell;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use super::*;
use crate::announce::VipOp;
use crate::ipvs::backend::Backend;
use crate::ipvs::dryrun::DryRun;
use crate::ipvs::rule::KernelTable;
use crate::ipvsadm::rule::RuleText;
use crate::probe::outcome::Up;

const CONF: &str = "vip_announce {
 interface vip0
 rule all
 on_stop withdraw
}
virtual_server 192.0.2.10 80 {
 protocol TCP
 lb_algo mh
 mh-port
 mh-fallback
 lb_kind DR
 delay_loop 1
 quorum 2
 real_server 198.51.100.3 80 {
  TCP_CHECK {
   retry 0
  }
 }
 real_server 198.51.100.2 80 {
  TCP_CHECK {
   retry 0
  }
 }
}
";

struct Rig {
    d: Director,
    t0: Instant,
    kernel: DryRun,
    ops: FixedTable<Op>,
    vip_ops: FixedTable<VipOp>,
    failed: Vec<(usize, IpvsError)>,
    due: FixedTable<CheckerId>,
    /// Every kernel and interface operation, in the order carried out.
    log: Vec<String>,
}

impl Rig {
    fn new(kernel: DryRun) -> Rig {
        let cfg = crate::config::parse_str("a.conf", CONF).unwrap();
        let t0 = Instant::now();
        Rig {
            d: Director::new(&cfg, t0, 1).unwrap(),
            t0,
            kernel,
            ops: FixedTable::new("ops", 64),
            vip_ops: FixedTable::new("vip ops", 16),
            failed: Vec::new(),
            due: FixedTable::new("due", 16),
            log: Vec::new(),
        }
    }

    fn pass(&mut self, now: Instant) {
        let log = RefCell::new(Vec::new());
        let kernel = &mut self.kernel;
        self.d.pass(
            now,
            &mut self.ops,
            &mut self.failed,
            &mut self.vip_ops,
            &mut |ops, failed| {
                for op in ops {
                    log.borrow_mut().push(RuleText(op).to_string());
                }
                kernel.apply_all(ops, &mut |i, e| failed.push((i, e)));
            },
            &mut |op| {
                log.borrow_mut().push(op.to_string());
                Ok(())
            },
        );
        self.log.extend(log.into_inner());
    }

    /// Runs the checks due until `ms`, `down` refusing, one pass after each batch.
    fn run(&mut self, ms: u64, down: &[&str]) {
        let end = self.t0 + Duration::from_millis(ms);
        while let Some(next) = self.d.next_due() {
            if next > end {
                break;
            }
            self.d.due(next, &mut self.due);
            for id in self.due.iter().copied() {
                let t = self.d.check(id).target;
                let result = if down.iter().any(|a| a.parse::<SocketAddr>().unwrap() == t) {
                    Err(Reason::ConnectionRefused)
                } else {
                    Ok(Up::default())
                };
                let o = Outcome {
                    result,
                    latency: Duration::from_millis(1),
                };
                self.d.on_outcome(id, &o, next);
            }
            self.pass(next);
        }
    }

    fn take(&mut self) -> Vec<String> {
        std::mem::take(&mut self.log)
    }
}

const RS2: &str = "198.51.100.2:80";

#[test]
fn start_up_programs_the_table_in_address_order_then_announces_after_the_first_checks() {
    let mut r = Rig::new(DryRun::new());
    r.pass(r.t0);
    // The table at once (real servers sorted by address, whatever the config order);
    // the VIP only once the checks have settled.
    assert_eq!(
        r.take(),
        [
            "-A -t 192.0.2.10:80 -s mh -b mh-fallback,mh-port",
            "-a -t 192.0.2.10:80 -r 198.51.100.2:80 -g -w 1",
            "-a -t 192.0.2.10:80 -r 198.51.100.3:80 -g -w 1",
        ]
    );
    r.run(2_000, &[]);
    assert_eq!(r.take(), ["announce 192.0.2.10/32 on vip0"]);
    let mut text = String::new();
    r.d.write_status_text(&mut text, r.t0, std::time::SystemTime::now());
    assert!(
        text.contains("vip_announce on vip0  rule all  on_stop withdraw\n  192.0.2.10/32            announced (its 1 service has quorum)  since "),
        "{}",
        text
    );
    let mut json = String::new();
    r.d.write_status_json(&mut json, r.t0, std::time::SystemTime::now());
    assert!(
        json.contains(",\"vip_announce\":{\"interface\":\"vip0\",\"rule\":\"all\",\"on_stop\":\"withdraw\",\"vips\":[{\"address\":\"192.0.2.10\",\"prefix\":32,\"services\":1,\"state\":\"announced\",\"reason\":\"its 1 service has quorum\",\"since\":\""),
        "{}",
        json
    );
}

#[test]
fn quorum_loss_withdraws_first_then_changes_the_table_and_recovery_is_the_reverse() {
    let mut r = Rig::new(DryRun::new());
    r.pass(r.t0);
    r.run(2_000, &[]);
    r.take();
    // One of two real servers fails: quorum 2 is lost. The VIP goes first; the failed
    // real server keeps its place at weight 0 (mh-fallback), it is not deleted.
    r.run(4_000, &[RS2]);
    assert_eq!(
        r.take(),
        [
            "withdraw 192.0.2.10/32 from vip0",
            "-e -t 192.0.2.10:80 -r 198.51.100.2:80 -g -w 0",
        ]
    );
    let mut text = String::new();
    r.d.write_status_text(&mut text, r.t0, std::time::SystemTime::now());
    assert!(
        text.contains("withdrawn: quorum lost on TCP 192.0.2.10:80"),
        "{}",
        text
    );
    // Recovery: the table first, then the announce.
    r.run(6_000, &[]);
    assert_eq!(
        r.take(),
        [
            "-e -t 192.0.2.10:80 -r 198.51.100.2:80 -g -w 1",
            "announce 192.0.2.10/32 on vip0",
        ]
    );
}

#[test]
fn an_operator_drain_that_breaks_quorum_also_withdraws_first() {
    let mut r = Rig::new(DryRun::new());
    r.pass(r.t0);
    r.run(2_000, &[]);
    r.take();
    let key = ServiceKey::Inet {
        proto: Protocol::Tcp,
        addr: "192.0.2.10:80".parse().unwrap(),
    };
    r.d.set_override(&key, RS2.parse().unwrap(), Some(Override::Drain))
        .unwrap();
    r.pass(r.t0 + Duration::from_millis(2_100));
    assert_eq!(
        r.take(),
        [
            "withdraw 192.0.2.10/32 from vip0",
            "-e -t 192.0.2.10:80 -r 198.51.100.2:80 -g -w 0",
        ]
    );
}

#[test]
fn after_kill_9_a_restart_adopts_table_and_address_with_no_operation() {
    let mut first = Rig::new(DryRun::new());
    first.pass(first.t0);
    first.run(2_000, &[]);
    // kill -9: nothing is torn down. The kernel keeps the table, vip0 the address.
    let mut table = KernelTable::default();
    first.kernel.dump(&mut table).unwrap();
    let kernel = std::mem::take(&mut first.kernel);
    let mut r = Rig::new(kernel);
    r.d.adopt(&table);
    r.d.vip_adopt(&["192.0.2.10".parse().unwrap()], r.t0);
    r.pass(r.t0);
    r.run(3_000, &[]);
    assert!(
        r.take().is_empty(),
        "a restart makes no withdraw and no table op"
    );
}

#[test]
fn on_stop_withdraw_comes_before_the_teardown() {
    let mut r = Rig::new(DryRun::new());
    r.pass(r.t0);
    r.run(2_000, &[]);
    r.take();
    r.d.vip_stop(&mut r.vip_ops);
    let stop: Vec<String> = r.vip_ops.iter().map(|o| o.to_string()).collect();
    assert_eq!(stop, ["withdraw 192.0.2.10/32 from vip0"]);
}
