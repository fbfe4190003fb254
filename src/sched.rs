//! Deadline heap: at most one pending deadline per id (u16), the earliest first. Storage is
//! allocated once, in `Sched::new`; rescheduling or cancelling an id never searches the
//! heap (O(log n) push/pop): the old entry is invalidated by bumping the id's generation
//! and skipped when it surfaces. The heap never holds a stale entry at its top, so
//! `peek` is exact and can feed the poll timeout directly.

use std::time::Instant;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Entry {
    at: Instant,
    id: u16,
    gen: u32,
}

impl Entry {
    /// Heap order: earlier deadline first, then lower id (deterministic ties).
    fn before(&self, other: &Entry) -> bool {
        (self.at, self.id) < (other.at, other.id)
    }
}

#[derive(Clone, Debug)]
pub struct Sched {
    heap: Vec<Entry>,
    /// Room in `heap`: twice the ids, so a full heap always has at least half stale
    /// entries and a compaction makes room without growing.
    cap: usize,
    /// Generation of each id's live entry.
    gen: Vec<u32>,
    /// Deadline of each id's live entry (None = not scheduled).
    at: Vec<Option<Instant>>,
}

impl Sched {
    /// Room for ids `0..ids`.
    pub fn new(ids: usize) -> Sched {
        let cap = 2 * ids.max(1);
        Sched {
            heap: Vec::with_capacity(cap),
            cap,
            gen: vec![0; ids],
            at: vec![None; ids],
        }
    }

    /// Number of ids this schedule holds.
    pub fn ids(&self) -> usize {
        self.gen.len()
    }

    /// Sets (or moves) the deadline of `id`. Ids out of range are ignored.
    pub fn schedule(&mut self, id: u16, at: Instant) {
        let i = id as usize;
        if i >= self.gen.len() {
            debug_assert!(false, "sched id {} out of range", id);
            return;
        }
        self.gen[i] = self.gen[i].wrapping_add(1);
        self.at[i] = Some(at);
        if self.heap.len() >= self.cap {
            self.compact();
        }
        self.heap.push(Entry {
            at,
            id,
            gen: self.gen[i],
        });
        let last = self.heap.len() - 1;
        self.sift_up(last);
        self.trim();
    }

    /// Forgets the deadline of `id`, if any.
    pub fn cancel(&mut self, id: u16) {
        let i = id as usize;
        if i >= self.gen.len() {
            return;
        }
        if self.at[i].take().is_some() {
            self.gen[i] = self.gen[i].wrapping_add(1);
            self.trim();
        }
    }

    /// The pending deadline of `id`.
    pub fn deadline(&self, id: u16) -> Option<Instant> {
        self.at.get(id as usize).copied().flatten()
    }

    /// The earliest pending deadline.
    pub fn peek(&self) -> Option<Instant> {
        self.heap.first().map(|e| e.at)
    }

    /// Removes and returns the id with the earliest deadline if that deadline is at or
    /// before `now`.
    pub fn pop_due(&mut self, now: Instant) -> Option<u16> {
        let top = *self.heap.first()?;
        if top.at > now {
            return None;
        }
        self.pop_top();
        self.at[top.id as usize] = None;
        self.trim();
        Some(top.id)
    }

    /// Ids with a pending deadline.
    pub fn len(&self) -> usize {
        self.at.iter().filter(|a| a.is_some()).count()
    }

    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }

    fn live(&self, e: &Entry) -> bool {
        self.gen[e.id as usize] == e.gen && self.at[e.id as usize].is_some()
    }

    /// Drops stale entries from the top so that `peek` is exact.
    fn trim(&mut self) {
        while let Some(top) = self.heap.first() {
            if self.live(top) {
                break;
            }
            self.pop_top();
        }
    }

    fn pop_top(&mut self) {
        let last = self.heap.len() - 1;
        self.heap.swap(0, last);
        self.heap.pop();
        if !self.heap.is_empty() {
            self.sift_down(0);
        }
    }

    /// Removes every stale entry and restores the heap order, in place.
    fn compact(&mut self) {
        let (gen, at) = (&self.gen, &self.at);
        self.heap
            .retain(|e| gen[e.id as usize] == e.gen && at[e.id as usize].is_some());
        for i in (0..self.heap.len() / 2).rev() {
            self.sift_down(i);
        }
    }

    fn sift_up(&mut self, mut i: usize) {
        while i > 0 {
            let parent = (i - 1) / 2;
            if self.heap[i].before(&self.heap[parent]) {
                self.heap.swap(i, parent);
                i = parent;
            } else {
                break;
            }
        }
    }

    fn sift_down(&mut self, mut i: usize) {
        let n = self.heap.len();
        loop {
            let l = 2 * i + 1;
            let r = l + 1;
            let mut m = i;
            if l < n && self.heap[l].before(&self.heap[m]) {
                m = l;
            }
            if r < n && self.heap[r].before(&self.heap[m]) {
                m = r;
            }
            if m == i {
                break;
            }
            self.heap.swap(i, m);
            i = m;
        }
    }
}

/// The earlier of two optional instants (None: no deadline). Out of line for code size:
/// an `Instant` comparison is long on 32-bit targets, and the reactor's wake-up
/// computation inlined one per deadline.
#[inline(never)]
pub fn earliest(a: Option<Instant>, b: Option<Instant>) -> Option<Instant> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, None) => a,
        (None, b) => b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn ms(base: Instant, n: u64) -> Instant {
        base + Duration::from_millis(n)
    }

    #[test]
    fn pops_in_deadline_order_and_only_when_due() {
        let t0 = Instant::now();
        let mut s = Sched::new(4);
        s.schedule(2, ms(t0, 30));
        s.schedule(0, ms(t0, 10));
        s.schedule(3, ms(t0, 20));
        s.schedule(1, ms(t0, 10));
        assert_eq!(s.peek(), Some(ms(t0, 10)));
        assert_eq!(s.pop_due(ms(t0, 5)), None);
        assert_eq!(s.pop_due(ms(t0, 20)), Some(0));
        assert_eq!(s.pop_due(ms(t0, 20)), Some(1));
        assert_eq!(s.pop_due(ms(t0, 20)), Some(3));
        assert_eq!(s.pop_due(ms(t0, 20)), None);
        assert_eq!(s.peek(), Some(ms(t0, 30)));
        assert_eq!(s.pop_due(ms(t0, 30)), Some(2));
        assert_eq!(s.peek(), None);
    }

    #[test]
    fn reschedule_and_cancel_skip_stale_entries() {
        let t0 = Instant::now();
        let mut s = Sched::new(2);
        s.schedule(0, ms(t0, 10));
        s.schedule(1, ms(t0, 20));
        s.schedule(0, ms(t0, 30)); // moves 0 later: the 10 ms entry is stale
        assert_eq!(s.peek(), Some(ms(t0, 20)));
        assert_eq!(s.deadline(0), Some(ms(t0, 30)));
        s.cancel(1);
        assert_eq!(s.peek(), Some(ms(t0, 30)));
        assert_eq!(s.deadline(1), None);
        assert_eq!(s.pop_due(ms(t0, 100)), Some(0));
        assert_eq!(s.pop_due(ms(t0, 100)), None);
        assert!(s.is_empty());
    }

    #[test]
    fn many_reschedules_compact_instead_of_growing() {
        let t0 = Instant::now();
        let mut s = Sched::new(3);
        let cap = s.heap.capacity();
        for round in 0..1000u64 {
            for id in 0..3u16 {
                s.schedule(id, ms(t0, 1000 - round + id as u64));
            }
        }
        assert_eq!(s.heap.capacity(), cap);
        assert_eq!(s.len(), 3);
        assert_eq!(s.pop_due(ms(t0, 10_000)), Some(0));
        assert_eq!(s.pop_due(ms(t0, 10_000)), Some(1));
        assert_eq!(s.pop_due(ms(t0, 10_000)), Some(2));
        assert_eq!(s.pop_due(ms(t0, 10_000)), None);
    }

    #[test]
    fn matches_a_sorted_reference_under_a_scripted_mix() {
        // xorshift-driven mix of schedule/cancel/pop, compared against a plain array.
        let t0 = Instant::now();
        let mut s = Sched::new(16);
        let mut reference: [Option<u64>; 16] = [None; 16];
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut now = 0u64;
        for _ in 0..5000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let id = (x % 16) as u16;
            match (x >> 8) % 4 {
                0 | 1 => {
                    let at = now + (x >> 16) % 100;
                    s.schedule(id, ms(t0, at));
                    reference[id as usize] = Some(at);
                }
                2 => {
                    s.cancel(id);
                    reference[id as usize] = None;
                }
                _ => {
                    now += (x >> 20) % 20;
                    let want = reference
                        .iter()
                        .enumerate()
                        .filter_map(|(i, a)| a.map(|a| (a, i)))
                        .filter(|(a, _)| *a <= now)
                        .min();
                    let got = s.pop_due(ms(t0, now));
                    assert_eq!(got, want.map(|(_, i)| i as u16));
                    if let Some((_, i)) = want {
                        reference[i] = None;
                    }
                }
            }
            let earliest = reference.iter().filter_map(|a| *a).min();
            assert_eq!(s.peek(), earliest.map(|a| ms(t0, a)));
        }
    }
}
