//! Slow-start ramps of returning real servers (`health::slow_start` holds the rule): the
//! director starts one when a real server with `slow_start` comes up (or is added by a
//! reload), and the reactor calls `advance_ramps` when `next_ramp_step` is reached; each
//! step that changes a weight marks the table for a reconcile, which edits that weight
//! (`-e`). Nothing here allocates: a step walks the real servers in place.

use std::time::Instant;

use super::Director;
use crate::health::slow_start::{Advance, Ramp};

impl Director {
    /// Starts the ramp of real server `ri` (it has just come up), if it has a slow start.
    pub(super) fn start_ramp(&mut self, ri: usize, now: Instant) {
        let r = &mut self.reals[ri];
        if r.slow_start == 0 {
            r.ramp = None;
            return;
        }
        r.ramp = Some(Ramp::start(now));
        let next = now + std::time::Duration::from_secs(1);
        self.next_ramp_step = crate::sched::earliest(self.next_ramp_step, Some(next));
    }

    /// When the next ramp step is due (None: no ramp in progress).
    pub fn next_ramp_step(&self) -> Option<Instant> {
        self.next_ramp_step
    }

    /// Moves every ramp in progress to `now` (a no-op before `next_ramp_step`). A ramp
    /// goes on while an override holds the weight (the override wins; lifting it finds
    /// the ramp where time has brought it) and ends when its server goes down.
    pub fn advance_ramps(&mut self, now: Instant) {
        if self.next_ramp_step.map_or(true, |t| t > now) {
            return;
        }
        let mut next: Option<Instant> = None;
        for r in self.reals.iter_mut() {
            let Some(ramp) = r.ramp.as_mut() else {
                continue;
            };
            match ramp.advance(r.slow_start, now) {
                Advance::Ramping { changed, next: at } => {
                    self.dirty |= changed;
                    next = crate::sched::earliest(next, Some(at));
                }
                Advance::Done => {
                    r.ramp = None;
                    self.dirty = true;
                }
            }
        }
        self.next_ramp_step = next;
    }

    /// Recomputes `next_ramp_step` after a rebuild (reload): ramps carried over keep
    /// their start.
    pub(super) fn reschedule_ramps(&mut self, now: Instant) {
        self.next_ramp_step = Some(now);
        self.advance_ramps(now);
    }

    /// `(elapsed whole seconds, slow_start seconds, current ramp weight)` of real server
    /// `ri` while it ramps, for status.
    pub(super) fn ramp_progress(&self, ri: usize) -> Option<(u32, u32, i32)> {
        let r = &self.reals[ri];
        let ramp = r.ramp?;
        Some((
            ramp.step,
            r.slow_start,
            ramp.weight(self.full_weight(r), r.slow_start),
        ))
    }
}
