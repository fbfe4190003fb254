//! One checker's health, keepalived 2.x semantics plus lvsmon's `rise`, pure: it is told
//! when each attempt starts and what it gave, and answers whether the checker went up or
//! down and when the next attempt is due.
//!
//! Rules (keepalived.conf(5), and keepalived's check epilog):
//! - `retry N` is the number of *additional* attempts made after an attempt of an up
//!   checker fails ("Retry count to make additional checks if check of an alive server
//!   fails"). So an up checker is declared down after N + 1 consecutive failed attempts;
//!   the attempts after a failure are spaced by `delay_before_retry`, counted from the
//!   failure. `retry 0` means the first failure takes it down.
//! - A down checker keeps being checked every `delay_loop`; `rise N` (lvsmon extension,
//!   HAProxy's word; default 1 = keepalived) consecutive successes bring it up, so a
//!   server that answers one check in two never returns. A failure resets the count.
//! - Periodic attempts are due `delay_loop` after the *start* of the previous one (lvsmon;
//!   keepalived counts from its completion), so slow checks do not stretch the interval.
//!   An attempt still in flight when its successor falls due is not doubled: the
//!   successor starts as soon as it completes, and that start is counted as late.
//! - `delay_loop_jitter P` (lvsmon extension): each periodic interval is drawn in
//!   delay_loop x [1 - P/100, 1 + P/100] (the random value is passed in), so two periodic
//!   starts of one checker are never closer than delay_loop x (1 - P/100).
//! - `alpha`: the checker starts down (the real server is not used until `rise`
//!   successes); otherwise it starts up (presumed healthy).
//! - `warmup W`: the first attempt is due within [0, W]. `warmup_delay` draws a random
//!   delay at build time (the random value is passed in, see `XorShift`); the reactor then
//!   replaces it with an even spread counted from the start of its loop
//!   (`Director::spread_first_checks`), because a slow start-up would otherwise leave every
//!   first check due at once.
//!
//! Timing model (also in the README): with connect timeout T <= delay_loop L, the worst
//! case from a real server dying to its removal is `L + (retry + 1) * T + retry *
//! delay_before_retry`; from its recovery to its return, `rise * L + T`.

use std::time::{Duration, Instant};

use crate::health::agent::AgentState;
use crate::model::config::Check;
use crate::probe::outcome::{Outcome, Reason, Up};

/// The timers and counts a checker obeys (from its `Check`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timers {
    pub retry: u32,
    pub delay_before_retry: Duration,
    pub delay_loop: Duration,
    pub rise: u32,
    pub jitter_percent: u32,
}

impl Timers {
    pub fn of(check: &Check) -> Timers {
        Timers {
            retry: check.retry,
            delay_before_retry: check.delay_before_retry,
            delay_loop: check.delay_loop,
            rise: check.rise,
            jitter_percent: check.jitter_percent,
        }
    }

    /// The interval between two periodic starts, drawn by `random` within
    /// delay_loop x [1 - jitter, 1 + jitter] (microsecond granularity).
    pub fn interval(&self, random: u64) -> Duration {
        if self.jitter_percent == 0 {
            return self.delay_loop;
        }
        let l = crate::model::duration::micros(self.delay_loop).min(u64::MAX / 200);
        let spread = l * u64::from(self.jitter_percent.min(100)) / 100;
        let low = l - spread;
        Duration::from_micros(low + random % (2 * spread + 1))
    }
}

/// What one attempt changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transition {
    None,
    WentUp,
    WentDown,
    /// Still up, but the weight it reports (MISC_CHECK dynamic, FILE_CHECK) changed.
    WeightChanged,
}

/// When the next attempt is due, as `record` decides it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Next {
    pub transition: Transition,
    pub at: Instant,
    /// The next periodic start was due before this attempt completed: it starts now.
    pub late: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CheckerState {
    pub up: bool,
    /// Consecutive failed attempts since the last success.
    pub failures: u32,
    /// Consecutive successful attempts of a down checker (toward `rise`).
    pub successes: u32,
    /// Weight chosen by the last successful attempt, if the check type chooses one.
    pub weight: Option<i32>,
    pub last_result: Option<Result<Up, Reason>>,
    pub last_latency: Option<Duration>,
    pub last_check: Option<Instant>,
    pub last_change: Option<Instant>,
    /// Start of the attempt in flight (or of the last one).
    pub started: Option<Instant>,
    /// Periodic starts that came late because the attempt before was still in flight.
    pub late: u64,
    /// An agent_check's standing orders (unused by the other kinds).
    pub agent: AgentState,
}

/// What an agent's attempt did besides scheduling (see `record_agent`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AgentNote {
    /// Unreachable, silent, or the same orders again: nothing to say.
    Quiet,
    /// The orders changed (log them).
    Changed,
    /// A reply that is not the protocol, the first of a run (log it).
    Refused(Reason),
}

impl CheckerState {
    pub fn new(alpha: bool) -> CheckerState {
        CheckerState {
            up: !alpha,
            failures: 0,
            successes: 0,
            weight: None,
            last_result: None,
            last_latency: None,
            last_check: None,
            last_change: None,
            started: None,
            late: 0,
            agent: AgentState::default(),
        }
    }

    /// An attempt starts at `now`.
    pub fn start(&mut self, now: Instant) {
        self.started = Some(now);
    }

    /// Records a finished attempt; returns what changed and when the next one is due.
    /// `random` draws the jitter of a periodic interval.
    pub fn record(
        &mut self,
        timers: &Timers,
        outcome: &Outcome,
        now: Instant,
        random: u64,
    ) -> Next {
        self.last_result = Some(outcome.result);
        self.last_latency = Some(outcome.latency);
        self.last_check = Some(now);
        let (transition, retry) = match outcome.result {
            Ok(up) => {
                self.failures = 0;
                let old_weight = self.weight;
                self.weight = up.weight;
                if !self.up {
                    self.successes = self.successes.saturating_add(1);
                    if self.successes >= timers.rise {
                        self.up = true;
                        self.successes = 0;
                        self.last_change = Some(now);
                        (Transition::WentUp, false)
                    } else {
                        (Transition::None, false)
                    }
                } else if old_weight != up.weight {
                    (Transition::WeightChanged, false)
                } else {
                    (Transition::None, false)
                }
            }
            Err(_) => {
                self.failures = self.failures.saturating_add(1);
                self.successes = 0;
                if !self.up {
                    (Transition::None, false)
                } else if self.failures > timers.retry {
                    self.up = false;
                    self.weight = None;
                    self.last_change = Some(now);
                    (Transition::WentDown, false)
                } else {
                    (Transition::None, true)
                }
            }
        };
        if retry {
            // keepalived: a retry follows the failure, delay_before_retry after it.
            return Next {
                transition,
                at: now + timers.delay_before_retry,
                late: false,
            };
        }
        self.periodic(transition, timers, now, random)
    }

    /// The next periodic start: `interval` after this attempt's start, or now (late).
    fn periodic(
        &mut self,
        transition: Transition,
        timers: &Timers,
        now: Instant,
        random: u64,
    ) -> Next {
        let due = self.started.unwrap_or(now) + timers.interval(random);
        let late = due < now;
        self.late += u64::from(late);
        Next {
            transition,
            at: due.max(now),
            late,
        }
    }

    /// Records an agent_check attempt (see `health::agent`): a reply applies its orders
    /// (the checker is up while the agent allows it, its weight changes with them); an
    /// agent that cannot be reached or is silent changes nothing and is no failure; a
    /// reply that is not the protocol changes nothing either. Always periodic: no retry,
    /// no rise.
    pub fn record_agent(
        &mut self,
        timers: &Timers,
        outcome: &Outcome,
        now: Instant,
        random: u64,
    ) -> (Next, AgentNote) {
        self.last_result = Some(outcome.result);
        self.last_latency = Some(outcome.latency);
        self.last_check = Some(now);
        let (transition, note) = match outcome.result {
            Ok(Up {
                agent: Some(reply), ..
            }) => {
                if self.agent.apply(&reply) {
                    let up = self.agent.allows_up();
                    let t = if up == self.up {
                        Transition::WeightChanged
                    } else {
                        self.up = up;
                        self.last_change = Some(now);
                        if up {
                            Transition::WentUp
                        } else {
                            Transition::WentDown
                        }
                    };
                    (t, AgentNote::Changed)
                } else {
                    (Transition::None, AgentNote::Quiet)
                }
            }
            Err(r @ (Reason::BadReply(_) | Reason::ReplyTooLarge)) if !self.agent.complained => {
                self.agent.complained = true;
                (Transition::None, AgentNote::Refused(r))
            }
            _ => (Transition::None, AgentNote::Quiet),
        };
        (self.periodic(transition, timers, now, random), note)
    }

    /// `(successes, rise)` while a down checker is on its way back (at least one success).
    pub fn rising(&self, timers: &Timers) -> Option<(u32, u32)> {
        (!self.up && self.successes > 0).then_some((self.successes, timers.rise))
    }

    /// The reason of the last attempt, if it failed.
    pub fn last_reason(&self) -> Option<Reason> {
        match self.last_result {
            Some(Err(r)) => Some(r),
            _ => None,
        }
    }
}

/// xorshift64*: a small deterministic generator for warmup delays, seeded by the caller.
#[derive(Clone, Copy, Debug)]
pub struct XorShift(u64);

impl XorShift {
    pub fn new(seed: u64) -> XorShift {
        // A zero state would stay zero forever.
        XorShift(if seed == 0 {
            0x9e37_79b9_7f4a_7c15
        } else {
            seed
        })
    }

    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}

/// A delay in [0, warmup] chosen by `random`, at millisecond granularity.
pub fn warmup_delay(warmup: Duration, random: u64) -> Duration {
    let max = crate::model::duration::millis(warmup).min(u64::MAX - 1);
    if max == 0 {
        return Duration::ZERO;
    }
    Duration::from_millis(random % (max + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: Timers = Timers {
        retry: 3,
        delay_before_retry: Duration::from_secs(1),
        delay_loop: Duration::from_secs(6),
        rise: 1,
        jitter_percent: 0,
    };

    fn ok() -> Outcome {
        Outcome {
            result: Ok(Up::default()),
            latency: Duration::from_millis(2),
        }
    }

    fn refused() -> Outcome {
        Outcome {
            result: Err(Reason::ConnectionRefused),
            latency: Duration::from_millis(1),
        }
    }

    /// Starts an attempt at `now` and records its outcome at the same instant: returns
    /// the transition and the delay until the next attempt.
    fn at_once(
        s: &mut CheckerState,
        t: &Timers,
        o: &Outcome,
        now: Instant,
    ) -> (Transition, Duration) {
        s.start(now);
        let n = s.record(t, o, now, 0);
        (n.transition, n.at - now)
    }

    #[test]
    fn retry_three_means_down_on_the_fourth_consecutive_failure() {
        let now = Instant::now();
        let mut s = CheckerState::new(false);
        let secs = Duration::from_secs;
        assert_eq!(
            at_once(&mut s, &T, &refused(), now),
            (Transition::None, secs(1))
        );
        assert_eq!(
            at_once(&mut s, &T, &refused(), now),
            (Transition::None, secs(1))
        );
        assert_eq!(
            at_once(&mut s, &T, &refused(), now),
            (Transition::None, secs(1))
        );
        assert!(s.up);
        assert_eq!(
            at_once(&mut s, &T, &refused(), now),
            (Transition::WentDown, secs(6))
        );
        assert!(!s.up);
        assert_eq!(s.last_reason(), Some(Reason::ConnectionRefused));
        assert_eq!(
            at_once(&mut s, &T, &refused(), now),
            (Transition::None, secs(6))
        );
        assert_eq!(
            at_once(&mut s, &T, &ok(), now),
            (Transition::WentUp, secs(6))
        );
        assert_eq!(s.failures, 0);
    }

    #[test]
    fn a_success_between_failures_resets_the_count() {
        let now = Instant::now();
        let mut s = CheckerState::new(false);
        for _ in 0..3 {
            at_once(&mut s, &T, &refused(), now);
        }
        at_once(&mut s, &T, &ok(), now);
        for _ in 0..3 {
            assert_eq!(at_once(&mut s, &T, &refused(), now).0, Transition::None);
        }
        assert!(s.up);
    }

    #[test]
    fn retry_zero_goes_down_at_once_and_alpha_starts_down() {
        let now = Instant::now();
        let t = Timers { retry: 0, ..T };
        let mut s = CheckerState::new(false);
        assert_eq!(at_once(&mut s, &t, &refused(), now).0, Transition::WentDown);
        let mut a = CheckerState::new(true);
        assert!(!a.up);
        assert_eq!(at_once(&mut a, &t, &refused(), now).0, Transition::None);
        assert_eq!(at_once(&mut a, &t, &ok(), now).0, Transition::WentUp);
    }

    #[test]
    fn rise_counts_consecutive_successes_and_a_failure_resets_it() {
        let t0 = Instant::now();
        let t = Timers {
            retry: 0,
            rise: 3,
            ..T
        };
        let mut s = CheckerState::new(false);
        assert_eq!(at_once(&mut s, &t, &refused(), t0).0, Transition::WentDown);
        assert_eq!(s.rising(&t), None);
        // ok, ok, fail: back to zero.
        assert_eq!(at_once(&mut s, &t, &ok(), t0).0, Transition::None);
        assert_eq!(s.rising(&t), Some((1, 3)));
        assert_eq!(at_once(&mut s, &t, &ok(), t0).0, Transition::None);
        assert_eq!(s.rising(&t), Some((2, 3)));
        assert_eq!(at_once(&mut s, &t, &refused(), t0).0, Transition::None);
        assert_eq!(s.rising(&t), None);
        assert!(!s.up);
        // Three in a row, each delay_loop after the previous start: up on the third.
        let l = t.delay_loop;
        assert_eq!(at_once(&mut s, &t, &ok(), t0), (Transition::None, l));
        assert_eq!(at_once(&mut s, &t, &ok(), t0 + l), (Transition::None, l));
        assert_eq!(
            at_once(&mut s, &t, &ok(), t0 + 2 * l),
            (Transition::WentUp, l)
        );
        assert!(s.up);
        assert_eq!(s.rising(&t), None);
        assert_eq!(s.last_change, Some(t0 + 2 * l));
        // rise does not touch the way down: retry 0, one failure.
        assert_eq!(at_once(&mut s, &t, &refused(), t0).0, Transition::WentDown);
    }

    #[test]
    fn rise_applies_to_an_alpha_checker_too() {
        let t0 = Instant::now();
        let t = Timers { rise: 2, ..T };
        let mut s = CheckerState::new(true);
        assert_eq!(at_once(&mut s, &t, &ok(), t0).0, Transition::None);
        assert_eq!(at_once(&mut s, &t, &ok(), t0).0, Transition::WentUp);
    }

    #[test]
    fn the_next_start_counts_from_this_start_and_a_late_one_starts_at_completion() {
        let t0 = Instant::now();
        let ms = Duration::from_millis;
        let t = Timers {
            delay_loop: ms(1000),
            ..T
        };
        let mut s = CheckerState::new(false);
        // A slow attempt (900 ms) does not push the next start.
        s.start(t0);
        let n = s.record(&t, &ok(), t0 + ms(900), 0);
        assert_eq!((n.at, n.late), (t0 + ms(1000), false));
        // An overrunning one (1500 ms): the next starts at its completion, late.
        s.start(t0 + ms(1000));
        let n = s.record(&t, &ok(), t0 + ms(2500), 0);
        assert_eq!((n.at, n.late), (t0 + ms(2500), true));
        assert_eq!(s.late, 1);
        // Completing exactly when the next is due is not late.
        s.start(t0 + ms(2500));
        let n = s.record(&t, &ok(), t0 + ms(3500), 0);
        assert_eq!((n.at, n.late), (t0 + ms(3500), false));
        assert_eq!(s.late, 1);
        // A retry after a failure counts from the failure (keepalived).
        s.start(t0 + ms(3500));
        let n = s.record(&t, &refused(), t0 + ms(3700), 0);
        assert_eq!((n.at, n.late), (t0 + ms(4700), false));
    }

    #[test]
    fn jitter_stays_within_its_bounds() {
        let t = Timers {
            delay_loop: Duration::from_secs(2),
            jitter_percent: 10,
            ..T
        };
        let mut r = XorShift::new(7);
        let (mut lo, mut hi) = (Duration::MAX, Duration::ZERO);
        for _ in 0..10_000 {
            let d = t.interval(r.next_u64());
            lo = lo.min(d);
            hi = hi.max(d);
        }
        assert!(lo >= Duration::from_millis(1800), "{:?}", lo);
        assert!(hi <= Duration::from_millis(2200), "{:?}", hi);
        // The draws cover the range, not a corner of it.
        assert!(lo < Duration::from_millis(1820), "{:?}", lo);
        assert!(hi > Duration::from_millis(2180), "{:?}", hi);
        assert_eq!(t.interval(0), Duration::from_millis(1800));
        assert_eq!(t.interval(400_000), Duration::from_millis(2200));
        // No jitter: exactly delay_loop whatever the draw.
        let flat = Timers {
            jitter_percent: 0,
            ..t
        };
        assert_eq!(flat.interval(12345), Duration::from_secs(2));
    }

    #[test]
    fn with_jitter_two_periodic_starts_are_never_closer_than_the_lower_bound() {
        let t0 = Instant::now();
        let t = Timers {
            delay_loop: Duration::from_secs(1),
            jitter_percent: 30,
            ..T
        };
        let floor = Duration::from_millis(700);
        let mut r = XorShift::new(99);
        let mut s = CheckerState::new(false);
        let mut start = t0;
        for i in 0..5000u64 {
            s.start(start);
            // Latencies from 0 to 1.2 s: some attempts overrun their interval.
            let done = start + Duration::from_micros(r.next_u64() % 1_200_000);
            let o = if i % 7 == 0 { refused() } else { ok() };
            let n = s.record(&t, &o, done, r.next_u64());
            if s.failures > 0 && s.up {
                // A retry: delay_before_retry after the failure, not bound by the rule.
                start = n.at;
                continue;
            }
            assert!(
                n.at - start >= floor,
                "{:?} after the previous start",
                n.at - start
            );
            assert!(n.at >= done);
            start = n.at;
        }
    }

    #[test]
    fn dynamic_weight_changes_are_reported() {
        let now = Instant::now();
        let mut s = CheckerState::new(false);
        let w = |n| Outcome {
            result: Ok(Up {
                weight: Some(n),
                agent: None,
            }),
            latency: Duration::ZERO,
        };
        assert_eq!(at_once(&mut s, &T, &w(5), now).0, Transition::WeightChanged);
        assert_eq!(at_once(&mut s, &T, &w(5), now).0, Transition::None);
        assert_eq!(s.weight, Some(5));
        assert_eq!(at_once(&mut s, &T, &w(7), now).0, Transition::WeightChanged);
    }

    #[test]
    fn warmup_stays_within_its_bound() {
        let mut r = XorShift::new(0);
        let w = Duration::from_millis(500);
        let mut seen_nonzero = false;
        for _ in 0..1000 {
            let d = warmup_delay(w, r.next_u64());
            assert!(d <= w);
            seen_nonzero |= d > Duration::ZERO;
        }
        assert!(seen_nonzero);
        assert_eq!(warmup_delay(Duration::ZERO, 12345), Duration::ZERO);
    }
}
