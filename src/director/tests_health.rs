//! The lvsmon health extensions on a fake clock, with the dry-run kernel: `rise`, the
//! start-to-start schedule and its late count, `slow_start` ramps (exact `-e`
//! sequences, overrides, reloads and failures mid-ramp) and agent replies (every
//! keyword's operation and log line; silence and refusals). Shares the harness of
//! `tests`.

use std::net::SocketAddr;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use super::tests::{cfg, ops_at, real, sa, vs, Harness, R1, R2, VIP};
use super::*;
use crate::model::config::{Config, RealServer};
use crate::probe::outcome::{Admin, AgentReply, Up};

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// A real server whose one check has retry 0 (down at the first failure), `rise` and
/// `slow_start` seconds.
fn rs(addr: &str, weight: i32, rise: u32, slow_start: u64) -> RealServer {
    let mut r = real(addr, weight);
    r.checks[0].retry = 0;
    r.checks[0].rise = rise;
    r.slow_start = Duration::from_secs(slow_start);
    r
}

fn two(r1: RealServer, r2: RealServer) -> Config {
    cfg(vec![vs(VIP, vec![r1, r2])])
}

fn status_text(h: &Harness) -> String {
    let mut out = String::new();
    h.d.write_status_text(
        &mut out,
        h.now,
        UNIX_EPOCH + Duration::from_secs(1_795_280_400),
    );
    out
}

fn status_json(h: &Harness) -> String {
    let mut out = String::new();
    h.d.write_status_json(&mut out, h.now, SystemTime::UNIX_EPOCH);
    out
}

/// The text status line of `addr`.
fn line_of(h: &Harness, addr: &str) -> String {
    status_text(h)
        .lines()
        .find(|l| l.trim_start().starts_with(addr))
        .unwrap_or_default()
        .to_string()
}

#[test]
fn rise_keeps_a_flapping_server_out_until_enough_successes_in_a_row() {
    let mut h = Harness::new(&two(rs(R1, 1, 3, 0), rs(R2, 1, 3, 0)));
    h.take_applied();
    h.run_until(500, &[]);
    // Down at the first failure (retry 0), at 1 s.
    h.run_until(1500, &[R1]);
    assert_eq!(
        h.take_applied(),
        ops_at(&[(1000, "-d -t 192.0.2.10:80 -r 198.51.100.2:80")])
    );
    // Flapping every second: success, failure, success... for 10 s: it stays out.
    for k in 0..10u64 {
        let end = 2500 + k * 1000;
        h.run_until(end, if k % 2 == 0 { &[] } else { &[R1] });
        let line = line_of(&h, R1);
        if k % 2 == 0 {
            assert!(line.contains("rising 1/3"), "{}", line);
        } else {
            assert!(line.contains(" DOWN "), "{}", line);
        }
    }
    assert!(h.take_applied().is_empty());
    // 11.5 s: the last check (at 11 s) failed. Three successes in a row: back at 14 s.
    h.run_until(13_500, &[]);
    assert!(line_of(&h, R1).contains("rising 2/3"));
    assert!(status_json(&h).contains(
        r#""health":"down","configured_weight":1,"current_weight":0,"in_table":false,"rising":{"successes":2,"rise":3}"#
    ));
    assert!(h.take_applied().is_empty());
    h.run_until(14_500, &[]);
    assert_eq!(
        h.take_applied(),
        ops_at(&[(14_000, "-a -t 192.0.2.10:80 -r 198.51.100.2:80 -g -w 1")])
    );
    assert!(line_of(&h, R1).contains(" up "));
    // R2 never moved.
    assert!(!h.applied.iter().any(|(_, op)| op.contains("198.51.100.3")));
}

/// Runs `d` from `t0` to `end_ms` with probes that succeed after `latency(target,
/// start_ms)` ms, completions before starts at the same instant; returns every start.
fn simulate(
    d: &mut Director,
    t0: Instant,
    end_ms: u64,
    latency: impl Fn(SocketAddr, u64) -> u64,
) -> Vec<(SocketAddr, u64)> {
    let mut due = FixedTable::new("due", 64);
    let mut flight: Vec<(u64, CheckerId)> = Vec::new();
    let mut starts = Vec::new();
    let ok = Outcome {
        result: Ok(Up::default()),
        latency: ms(1),
    };
    // Bounded: each turn starts or completes at least one probe.
    for _ in 0..100_000 {
        let next_due = d.next_due().map(|t| (t - t0).as_millis() as u64);
        let next_done = flight.iter().map(|f| f.0).min();
        let Some(now_ms) = [next_due, next_done].into_iter().flatten().min() else {
            break;
        };
        if now_ms > end_ms {
            break;
        }
        let now = t0 + ms(now_ms);
        while let Some(i) = flight.iter().position(|f| f.0 == now_ms) {
            let (_, id) = flight.swap_remove(i);
            d.on_outcome(id, &ok, now);
        }
        d.due(now, &mut due);
        for &id in due.iter() {
            let target = d.check(id).target;
            starts.push((target, now_ms));
            flight.push((now_ms + latency(target, now_ms), id));
        }
    }
    starts
}

fn starts_of(starts: &[(SocketAddr, u64)], addr: &str) -> Vec<u64> {
    starts
        .iter()
        .filter(|(a, _)| *a == sa(addr))
        .map(|(_, t)| *t)
        .collect()
}

#[test]
fn the_next_check_starts_delay_loop_after_the_last_start_and_late_ones_are_counted() {
    let mut h = Harness::new(&two(rs(R1, 1, 1, 0), rs(R2, 1, 1, 0)));
    let t0 = h.t0;
    // R1 always takes 300 ms (slow, within delay_loop); R2 takes 10 ms except the check
    // started at 2 s, which overruns to 1.5 s, and the one at 6.5 s, 2.2 s.
    let starts = simulate(&mut h.d, t0, 10_000, |target, at| {
        if target == sa(R1) {
            300
        } else {
            match at {
                2000 => 1500,
                6500 => 2200,
                _ => 10,
            }
        }
    });
    // A slow check does not push the next start.
    assert_eq!(
        starts_of(&starts, R1),
        [0, 1000, 2000, 3000, 4000, 5000, 6000, 7000, 8000, 9000, 10_000]
    );
    // An overrunning check delays only its own server's next check, which starts when
    // it ends; the rhythm then goes on from there.
    assert_eq!(
        starts_of(&starts, R2),
        [0, 1000, 2000, 3500, 4500, 5500, 6500, 8700, 9700]
    );
    assert_eq!(h.d.late_starts(), 2);
    h.now = t0 + ms(10_000);
    let json = status_json(&h);
    assert!(json.contains(r#""address":"198.51.100.2:80","health":"up","configured_weight":1,"current_weight":1,"in_table":true,"rising":null,"late":0,"#), "{}", json);
    assert!(json.contains(r#""address":"198.51.100.3:80","health":"up","configured_weight":1,"current_weight":1,"in_table":true,"rising":null,"late":2,"#), "{}", json);
    let line = line_of(&h, R2);
    assert!(line.contains(" 2 "), "{}", line);
}

/// R1 with slow_start 5, weight 10, down at 1 s and back at 3 s; R2 steady.
fn ramp_harness() -> Harness {
    let mut h = Harness::new(&two(rs(R1, 10, 1, 5), rs(R2, 10, 1, 5)));
    // A fresh start ramps nothing: the servers were not away.
    assert_eq!(
        h.take_applied(),
        ops_at(&[
            (0, "-A -t 192.0.2.10:80 -s wrr"),
            (0, "-a -t 192.0.2.10:80 -r 198.51.100.2:80 -g -w 10"),
            (0, "-a -t 192.0.2.10:80 -r 198.51.100.3:80 -g -w 10"),
        ])
    );
    h.run_until(500, &[]);
    h.run_until(2500, &[R1]);
    assert_eq!(
        h.take_applied(),
        ops_at(&[(1000, "-d -t 192.0.2.10:80 -r 198.51.100.2:80")])
    );
    h
}

fn edit(at: u64, w: u32) -> (u64, String) {
    (
        at,
        format!("-e -t 192.0.2.10:80 -r 198.51.100.2:80 -g -w {}", w),
    )
}

#[test]
fn slow_start_ramps_the_returning_weight_in_one_second_steps() {
    let mut h = ramp_harness();
    h.run_until(3500, &[]);
    assert!(line_of(&h, R1).contains("slow start 0/5 s (weight 1)"));
    assert!(status_json(&h).contains(r#""slow_start":{"elapsed":0,"seconds":5,"weight":1}"#));
    h.run_until(20_000, &[]);
    let mut want = ops_at(&[(3000, "-a -t 192.0.2.10:80 -r 198.51.100.2:80 -g -w 1")]);
    want.extend([
        edit(4000, 2),
        edit(5000, 4),
        edit(6000, 6),
        edit(7000, 8),
        edit(8000, 10),
    ]);
    assert_eq!(h.take_applied(), want);
    assert!(status_json(&h).contains(r#""slow_start":null"#));
    assert!(!status_json(&h).contains(r#""slow_start":{"#));
    assert_eq!(h.d.next_ramp_step(), None);
}

#[test]
fn an_override_wins_over_the_ramp_which_goes_on_beneath_it() {
    let mut h = ramp_harness();
    h.run_until(4500, &[]);
    h.take_applied();
    let key = service_key_of(&h);
    h.d.set_override(&key, sa(R1), Some(Override::Weight(7)))
        .unwrap();
    h.sync();
    h.run_until(6500, &[]);
    h.d.set_override(&key, sa(R1), None).unwrap();
    h.sync();
    h.run_until(20_000, &[]);
    // 7 while it holds; lifted at 6.5 s the ramp is at its step 3 (weight 6).
    assert_eq!(
        h.take_applied(),
        [edit(4500, 7), edit(6500, 6), edit(7000, 8), edit(8000, 10)]
    );
    // drain during a ramp: 0 until lifted, however the ramp moves.
    let mut h = ramp_harness();
    h.run_until(3500, &[]);
    h.take_applied();
    h.d.set_override(&key, sa(R1), Some(Override::Drain))
        .unwrap();
    h.sync();
    h.run_until(9000, &[]);
    assert_eq!(h.take_applied(), [edit(3500, 0)]);
}

fn service_key_of(h: &Harness) -> ServiceKey {
    h.d.svcs[0].key
}

#[test]
fn a_reload_mid_ramp_continues_it_and_a_failure_ends_it() {
    let mut h = ramp_harness();
    h.run_until(4500, &[]);
    // Reload the same config (and one that adds R3) mid-ramp: the ramp goes on.
    let r3 = "198.51.100.4:80";
    let mut c = two(rs(R1, 10, 1, 5), rs(R2, 10, 1, 5));
    c.services[0].reals.push(rs(r3, 10, 1, 5));
    h.d.reload(&c, h.now).unwrap();
    h.sync();
    h.run_until(5500, &[]);
    // Fails at 6 s: out, and the ramp is over; back at 8 s, a fresh ramp from 1.
    h.run_until(6500, &[R1]);
    h.run_until(7500, &[R1]);
    h.run_until(10_500, &[]);
    let r3_edit = |at: u64, w: u32| (at, format!("-e -t 192.0.2.10:80 -r {} -g -w {}", r3, w));
    assert_eq!(
        h.take_applied(),
        [
            (
                3000,
                "-a -t 192.0.2.10:80 -r 198.51.100.2:80 -g -w 1".to_string()
            ),
            edit(4000, 2),
            // R3, added by the reload, ramps from the reload.
            (4500, format!("-a -t 192.0.2.10:80 -r {} -g -w 1", r3)),
            edit(5000, 4),
            r3_edit(5500, 2),
            (6000, "-d -t 192.0.2.10:80 -r 198.51.100.2:80".to_string()),
            r3_edit(6500, 4),
            r3_edit(7500, 6),
            (
                8000,
                "-a -t 192.0.2.10:80 -r 198.51.100.2:80 -g -w 1".to_string()
            ),
            r3_edit(8500, 8),
            edit(9000, 2),
            r3_edit(9500, 10),
            edit(10_000, 4),
        ]
    );
}

/// R1 (weight 10) with an agent at `198.51.100.2:9777` and no health check; R2 steady.
fn agent_harness(sched: &str) -> (Harness, CheckerId) {
    let mut r1 = rs(R1, 10, 1, 0);
    r1.checks.clear();
    r1.checks.push(Check {
        kind: CheckKind::Agent,
        target: sa("198.51.100.2:9777"),
        bindto: None,
        bind_port: None,
        sock: Default::default(),
        connect_timeout: ms(500),
        retry: 0,
        delay_before_retry: ms(1000),
        rise: 1,
        jitter_percent: 0,
        delay_loop: ms(1000),
        warmup: Duration::ZERO,
    });
    let mut c = two(r1, rs(R2, 10, 1, 0));
    c.services[0].sched = sched.try_into().unwrap();
    let mut h = Harness::new(&c);
    h.take_applied();
    let id = (0..h.d.checker_count() as CheckerId)
        .find(|&i| h.d.check(i).kind == CheckKind::Agent)
        .unwrap();
    super::testlog::take();
    (h, id)
}

/// Runs one agent attempt at `at_ms` with `result`; returns the ops and log lines.
fn agent_says(
    h: &mut Harness,
    id: CheckerId,
    at_ms: u64,
    result: Result<Up, Reason>,
) -> (Vec<String>, Vec<String>) {
    h.now = h.t0 + ms(at_ms);
    let now = h.now;
    // The agent's next attempt is due by then (one a second from t0).
    h.d.sched.schedule(id, now);
    h.d.due(now, &mut h.due);
    assert!(h.due.contains(&id));
    for i in 0..h.due.len() {
        let c = h.due[i];
        let o = Outcome {
            result: if c == id { result } else { Ok(Up::default()) },
            latency: ms(1),
        };
        h.d.on_outcome(c, &o, now);
    }
    h.sync();
    let ops = h.take_applied().into_iter().map(|(_, op)| op).collect();
    let log = super::testlog::take()
        .into_iter()
        .filter(|l| !l.starts_with("dry-run: "))
        .collect();
    (ops, log)
}

fn says(percent: Option<u8>, admin: Option<Admin>, up: Option<bool>) -> Result<Up, Reason> {
    Ok(Up {
        weight: None,
        agent: Some(AgentReply { percent, admin, up }),
    })
}

const AGENT_R1: &str = "TCP 192.0.2.10:80 real server 198.51.100.2:80";

#[test]
fn agent_replies_drive_the_weight_and_the_table() {
    let (mut h, id) = agent_harness("wlc");
    let e = |w: u32| {
        vec![format!(
            "-e -t 192.0.2.10:80 -r 198.51.100.2:80 -g -w {}",
            w
        )]
    };
    let log = |s: &str| format!("{} agent: {}", AGENT_R1, s);
    let weight = |w: u32| format!("{} weight is now {}", AGENT_R1, w);
    let (ops, lines) = agent_says(&mut h, id, 1000, says(None, Some(Admin::Drain), None));
    assert_eq!((ops, lines), (e(0), vec![log("drain"), weight(0)]));
    assert!(
        line_of(&h, R1).contains("agent: drain"),
        "{}",
        line_of(&h, R1)
    );
    assert!(status_json(&h)
        .contains(r#""agent":{"percent":null,"drain":true,"maint":false,"down":false}"#));
    // A percentage while drained changes the standing orders but not the weight.
    let (ops, lines) = agent_says(&mut h, id, 2000, says(Some(50), None, None));
    assert_eq!((ops, lines), (vec![], vec![log("drain, 50%"), weight(0)]));
    // up lifts the drain: half the weight.
    let (ops, lines) = agent_says(&mut h, id, 3000, says(None, None, Some(true)));
    assert_eq!((ops, lines), (e(5), vec![log("50%"), weight(5)]));
    assert!(line_of(&h, R1).contains("agent: 50%"));
    // The same reply again: nothing at all.
    assert_eq!(
        agent_says(&mut h, id, 4000, says(Some(50), None, Some(true))),
        (vec![], vec![])
    );
    // down / stopped: out of the table, logged as a transition.
    let (ops, lines) = agent_says(&mut h, id, 5000, says(None, None, Some(false)));
    assert_eq!(ops, ["-d -t 192.0.2.10:80 -r 198.51.100.2:80"]);
    assert_eq!(lines, [log("down, 50%"), format!("{} is DOWN", AGENT_R1)]);
    // maint keeps it out after up... ready brings it back at 50 %.
    let (ops, _) = agent_says(&mut h, id, 6000, says(None, Some(Admin::Maint), Some(true)));
    assert!(ops.is_empty());
    let (ops, lines) = agent_says(&mut h, id, 7000, says(Some(100), Some(Admin::Ready), None));
    assert_eq!(ops, ["-a -t 192.0.2.10:80 -r 198.51.100.2:80 -g -w 10"]);
    assert_eq!(lines, [log("100%"), format!("{} is UP", AGENT_R1)]);
}

#[test]
fn an_agent_that_cannot_be_heard_changes_nothing_and_bad_replies_are_logged_once() {
    let (mut h, id) = agent_harness("wlc");
    let (ops, _) = agent_says(&mut h, id, 1000, says(Some(30), None, None));
    assert_eq!(ops, ["-e -t 192.0.2.10:80 -r 198.51.100.2:80 -g -w 3"]);
    for (t, r) in [
        (2000, Reason::ConnectionRefused),
        (3000, Reason::Timeout { ms: 500 }),
        (4000, Reason::ClosedEarly),
    ] {
        assert_eq!(agent_says(&mut h, id, t, Err(r)), (vec![], vec![]));
    }
    let bad = Err(Reason::BadReply("percentage over 100"));
    let (ops, lines) = agent_says(&mut h, id, 5000, bad);
    assert!(ops.is_empty());
    assert_eq!(
        lines,
        [format!(
            "{} agent 198.51.100.2:9777 reply ignored: bad reply: percentage over 100",
            AGENT_R1
        )]
    );
    // The same refusal again is not logged again; a good reply re-arms the complaint.
    assert_eq!(agent_says(&mut h, id, 6000, bad), (vec![], vec![]));
    assert_eq!(
        agent_says(&mut h, id, 7000, says(Some(30), None, None)),
        (vec![], vec![])
    );
    assert_eq!(agent_says(&mut h, id, 8000, bad).1.len(), 1);
    // Still 3 (30 % of 10) in the table: nothing the agent did not say changed.
    assert!(status_json(&h).contains(r#""current_weight":3"#));
}

#[test]
fn with_a_hashing_scheduler_an_agent_sets_only_zero_or_the_full_weight() {
    let (mut h, id) = agent_harness("sh");
    assert!(agent_says(&mut h, id, 1000, says(Some(50), None, None))
        .0
        .is_empty());
    let (ops, _) = agent_says(&mut h, id, 2000, says(Some(0), None, None));
    assert_eq!(ops, ["-e -t 192.0.2.10:80 -r 198.51.100.2:80 -g -w 0"]);
    let (ops, _) = agent_says(&mut h, id, 3000, says(Some(1), None, None));
    assert_eq!(ops, ["-e -t 192.0.2.10:80 -r 198.51.100.2:80 -g -w 10"]);
}
