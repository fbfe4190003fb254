//! One checker's health, keepalived 2.x semantics, pure: it is told each attempt's
//! outcome and the time, and answers whether the checker went up or down and when the
//! next attempt is due.
//!
//! Rules (keepalived.conf(5), and keepalived's check epilog):
//! - `retry N` is the number of *additional* attempts made after an attempt of an up
//!   checker fails ("Retry count to make additional checks if check of an alive server
//!   fails"). So an up checker is declared down after N + 1 consecutive failed attempts;
//!   the attempts after a failure are spaced by `delay_before_retry`. `retry 0` means the
//!   first failure takes it down.
//! - A down checker keeps being checked every `delay_loop`; one success brings it up.
//! - After every completed attempt that does not call for a retry, the next one is due
//!   `delay_loop` after the outcome arrived.
//! - `alpha`: the checker starts down (the real server is not used until its first
//!   success); otherwise it starts up (presumed healthy).
//! - `warmup W`: the first attempt is due within [0, W]. `warmup_delay` draws a random
//!   delay at build time (the random value is passed in, see `XorShift`); the reactor then
//!   replaces it with an even spread counted from the start of its loop
//!   (`Director::spread_first_checks`), because a slow start-up would otherwise leave every
//!   first check due at once.
//!
//! Timing model (also in the README): with connect timeout T, the worst case from a real
//! server dying to its removal is `delay_loop + (retry + 1) * T + retry *
//! delay_before_retry`; from its recovery to its return, `delay_loop + T`.

use std::time::{Duration, Instant};

use crate::model::config::Check;
use crate::probe::outcome::{Outcome, Reason, Up};

/// The timers and retry count a checker obeys (from its `Check`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timers {
    pub retry: u32,
    pub delay_before_retry: Duration,
    pub delay_loop: Duration,
}

impl Timers {
    pub fn of(check: &Check) -> Timers {
        Timers {
            retry: check.retry,
            delay_before_retry: check.delay_before_retry,
            delay_loop: check.delay_loop,
        }
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

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CheckerState {
    pub up: bool,
    /// Consecutive failed attempts since the last success.
    pub failures: u32,
    /// Weight chosen by the last successful attempt, if the check type chooses one.
    pub weight: Option<i32>,
    pub last_result: Option<Result<Up, Reason>>,
    pub last_latency: Option<Duration>,
    pub last_check: Option<Instant>,
    pub last_change: Option<Instant>,
}

impl CheckerState {
    pub fn new(alpha: bool) -> CheckerState {
        CheckerState {
            up: !alpha,
            failures: 0,
            weight: None,
            last_result: None,
            last_latency: None,
            last_check: None,
            last_change: None,
        }
    }

    /// Records a finished attempt; returns what changed and the delay until the next one.
    pub fn record(
        &mut self,
        timers: &Timers,
        outcome: &Outcome,
        now: Instant,
    ) -> (Transition, Duration) {
        self.last_result = Some(outcome.result);
        self.last_latency = Some(outcome.latency);
        self.last_check = Some(now);
        match outcome.result {
            Ok(up) => {
                self.failures = 0;
                let was_up = self.up;
                let old_weight = self.weight;
                self.up = true;
                self.weight = up.weight;
                let t = if !was_up {
                    self.last_change = Some(now);
                    Transition::WentUp
                } else if old_weight != up.weight {
                    Transition::WeightChanged
                } else {
                    Transition::None
                };
                (t, timers.delay_loop)
            }
            Err(_) => {
                self.failures = self.failures.saturating_add(1);
                if !self.up {
                    return (Transition::None, timers.delay_loop);
                }
                if self.failures > timers.retry {
                    self.up = false;
                    self.weight = None;
                    self.last_change = Some(now);
                    (Transition::WentDown, timers.delay_loop)
                } else {
                    (Transition::None, timers.delay_before_retry)
                }
            }
        }
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
    let max = warmup.as_millis().min(u128::from(u64::MAX - 1)) as u64;
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

    #[test]
    fn retry_three_means_down_on_the_fourth_consecutive_failure() {
        let now = Instant::now();
        let mut s = CheckerState::new(false);
        let secs = Duration::from_secs;
        assert_eq!(s.record(&T, &refused(), now), (Transition::None, secs(1)));
        assert_eq!(s.record(&T, &refused(), now), (Transition::None, secs(1)));
        assert_eq!(s.record(&T, &refused(), now), (Transition::None, secs(1)));
        assert!(s.up);
        assert_eq!(
            s.record(&T, &refused(), now),
            (Transition::WentDown, secs(6))
        );
        assert!(!s.up);
        assert_eq!(s.last_reason(), Some(Reason::ConnectionRefused));
        assert_eq!(s.record(&T, &refused(), now), (Transition::None, secs(6)));
        assert_eq!(s.record(&T, &ok(), now), (Transition::WentUp, secs(6)));
        assert_eq!(s.failures, 0);
    }

    #[test]
    fn a_success_between_failures_resets_the_count() {
        let now = Instant::now();
        let mut s = CheckerState::new(false);
        for _ in 0..3 {
            s.record(&T, &refused(), now);
        }
        s.record(&T, &ok(), now);
        for _ in 0..3 {
            assert_eq!(s.record(&T, &refused(), now).0, Transition::None);
        }
        assert!(s.up);
    }

    #[test]
    fn retry_zero_goes_down_at_once_and_alpha_starts_down() {
        let now = Instant::now();
        let t = Timers { retry: 0, ..T };
        let mut s = CheckerState::new(false);
        assert_eq!(s.record(&t, &refused(), now).0, Transition::WentDown);
        let mut a = CheckerState::new(true);
        assert!(!a.up);
        assert_eq!(a.record(&t, &refused(), now).0, Transition::None);
        assert_eq!(a.record(&t, &ok(), now).0, Transition::WentUp);
    }

    #[test]
    fn dynamic_weight_changes_are_reported() {
        let now = Instant::now();
        let mut s = CheckerState::new(false);
        let w = |n| Outcome {
            result: Ok(Up { weight: Some(n) }),
            latency: Duration::ZERO,
        };
        assert_eq!(s.record(&T, &w(5), now).0, Transition::WeightChanged);
        assert_eq!(s.record(&T, &w(5), now).0, Transition::None);
        assert_eq!(s.weight, Some(5));
        assert_eq!(s.record(&T, &w(7), now).0, Transition::WeightChanged);
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
