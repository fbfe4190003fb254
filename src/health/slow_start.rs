//! `slow_start SECONDS` (lvsmon extension, HAProxy's `slowstart`), pure: the weight of a
//! real server that has just returned ramps linearly from 1 to its full weight over
//! SECONDS, in whole-second steps.
//!
//! Why: with `lc`/`wlc` the kernel sends each new connection to the real server with the
//! fewest connections per unit of weight, and a server that returns with none takes
//! every new connection until it has caught up with the others: a flood exactly when it
//! is coldest. A smaller weight makes it catch up sooner (at weight 1 of 10 it matches
//! the others at a tenth of their connections).
//!
//! The step k (whole seconds since the return, 0 <= k < SECONDS) gives
//! `max(1, ceil(full * k / SECONDS))`; from k = SECONDS on the ramp is over and the full
//! weight applies. A full weight of 0 stays 0. The weight changes at most once a second,
//! so the kernel sees at most SECONDS edits per return.

use std::time::{Duration, Instant};

const STEP: Duration = Duration::from_secs(1);

/// A ramp in progress: when it began and the step last reached.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ramp {
    pub from: Instant,
    pub step: u32,
}

/// What `Ramp::advance` found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Advance {
    /// Still ramping; `changed` says whether the step moved; the next step is at `next`.
    Ramping { changed: bool, next: Instant },
    /// The ramp is over: the full weight applies.
    Done,
}

impl Ramp {
    pub fn start(now: Instant) -> Ramp {
        Ramp { from: now, step: 0 }
    }

    /// Moves the ramp to `now` for a ramp of `seconds`.
    pub fn advance(&mut self, seconds: u32, now: Instant) -> Advance {
        let k = now.saturating_duration_since(self.from).as_secs();
        if k >= u64::from(seconds) {
            return Advance::Done;
        }
        let k = k as u32;
        let changed = k != self.step;
        self.step = k;
        Advance::Ramping {
            changed,
            next: self.from + STEP * (k + 1),
        }
    }

    /// The weight at the current step, for a real server whose full weight is `full`.
    pub fn weight(&self, full: i32, seconds: u32) -> i32 {
        if full <= 0 || seconds == 0 || self.step >= seconds {
            return full.max(0);
        }
        let num = i64::from(full) * i64::from(self.step);
        let w = (num + i64::from(seconds) - 1) / i64::from(seconds);
        w.max(1) as i32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The weight at each whole second of a ramp, from its start until it is done.
    fn sequence(full: i32, seconds: u32) -> Vec<i32> {
        let t0 = Instant::now();
        let mut r = Ramp::start(t0);
        let mut out = Vec::new();
        for s in 0..=u64::from(seconds) + 1 {
            match r.advance(seconds, t0 + Duration::from_secs(s)) {
                Advance::Ramping { next, .. } => {
                    assert_eq!(next, t0 + Duration::from_secs(s + 1));
                    out.push(r.weight(full, seconds));
                }
                Advance::Done => {
                    out.push(full);
                    break;
                }
            }
        }
        out
    }

    #[test]
    fn the_weight_climbs_linearly_in_one_second_steps() {
        assert_eq!(sequence(10, 5), [1, 2, 4, 6, 8, 10]);
        assert_eq!(sequence(100, 4), [1, 25, 50, 75, 100]);
        assert_eq!(sequence(3, 10), [1, 1, 1, 1, 2, 2, 2, 3, 3, 3, 3]);
        assert_eq!(sequence(1, 5), [1, 1, 1, 1, 1, 1]);
        assert_eq!(sequence(0, 5), [0, 0, 0, 0, 0, 0]);
        assert_eq!(sequence(65535, 2), [1, 32768, 65535]);
    }

    #[test]
    fn advance_reports_a_change_only_when_the_step_moves() {
        let t0 = Instant::now();
        let ms = Duration::from_millis;
        let mut r = Ramp::start(t0);
        let next = t0 + ms(1000);
        assert_eq!(
            r.advance(3, t0 + ms(500)),
            Advance::Ramping {
                changed: false,
                next
            }
        );
        assert_eq!(
            r.advance(3, t0 + ms(1000)),
            Advance::Ramping {
                changed: true,
                next: t0 + ms(2000)
            }
        );
        // A late wake-up skips steps but lands on the right one.
        assert_eq!(
            r.advance(3, t0 + ms(2999)),
            Advance::Ramping {
                changed: true,
                next: t0 + ms(3000)
            }
        );
        assert_eq!(r.step, 2);
        assert_eq!(r.advance(3, t0 + ms(3000)), Advance::Done);
    }
}
