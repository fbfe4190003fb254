//! (service, address) → destination slot: an open-addressing table of slot numbers whose
//! keys are read back from the slots themselves (`DestEntry::svc`, `addr`). 4 bytes a
//! bucket at a load of at most one half: 32 KiB at 4096 real servers, where a HashMap of
//! the keys (40 bytes each, every page of it resident) took 392 KiB.

use std::hash::{Hash, Hasher};
use std::net::SocketAddr;

use crate::ipvs::reconcile::DestEntry;
use crate::model::fasthash::FastHasher;

const EMPTY: u32 = u32::MAX;

#[derive(Clone, Debug, Default)]
pub(super) struct SlotIndex {
    /// A power of two long (or empty); EMPTY or a slot number.
    table: Vec<u32>,
    count: usize,
}

impl SlotIndex {
    /// Room for `n` slots before the table grows.
    pub(super) fn with_capacity(n: usize) -> SlotIndex {
        SlotIndex {
            table: vec![EMPTY; (2 * n.max(1)).next_power_of_two()],
            count: 0,
        }
    }

    fn home(&self, svc: u16, addr: &SocketAddr) -> usize {
        let mut h = FastHasher::default();
        svc.hash(&mut h);
        addr.hash(&mut h);
        (h.finish() as usize) & (self.table.len() - 1)
    }

    /// The slot of `addr` in service `svc`.
    pub(super) fn get(&self, dests: &[DestEntry], svc: u16, addr: SocketAddr) -> Option<usize> {
        if self.table.is_empty() {
            return None;
        }
        let mask = self.table.len() - 1;
        let mut i = self.home(svc, &addr);
        // The table always has empty buckets (load <= 1/2), so a miss ends at one.
        for _ in 0..self.table.len() {
            let s = self.table[i];
            let d = dests.get(s as usize)?;
            if d.svc == svc && d.addr == addr {
                return Some(s as usize);
            }
            i = (i + 1) & mask;
        }
        None
    }

    /// Records `dests[slot]` as the slot of its (service, address), which must not be
    /// in the index yet.
    pub(super) fn insert(&mut self, dests: &[DestEntry], slot: usize) {
        if 2 * (self.count + 1) > self.table.len() {
            self.grow(dests);
        }
        let d = &dests[slot];
        self.place(d.svc, &d.addr, slot as u32);
        self.count += 1;
    }

    fn place(&mut self, svc: u16, addr: &SocketAddr, slot: u32) {
        let mask = self.table.len() - 1;
        let mut i = self.home(svc, addr);
        while self.table[i] != EMPTY {
            i = (i + 1) & mask;
        }
        self.table[i] = slot;
    }

    fn grow(&mut self, dests: &[DestEntry]) {
        let len = (2 * self.table.len()).max(2);
        let old = std::mem::replace(&mut self.table, vec![EMPTY; len]);
        for s in old.into_iter().filter(|&s| s != EMPTY) {
            let d = &dests[s as usize];
            self.place(d.svc, &d.addr, s);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dest(svc: u16, addr: &str) -> DestEntry {
        DestEntry {
            svc,
            addr: addr.parse().unwrap(),
            desired: None,
            believed: None,
        }
    }

    #[test]
    fn finds_every_slot_and_nothing_else_while_growing() {
        let mut dests = Vec::new();
        let mut idx = SlotIndex::with_capacity(1);
        for i in 0..3000u32 {
            let svc = (i % 7) as u16;
            dests.push(dest(svc, &format!("10.{}.{}.1:80", i / 256, i % 256)));
            idx.insert(&dests, dests.len() - 1);
        }
        for (slot, d) in dests.iter().enumerate() {
            assert_eq!(idx.get(&dests, d.svc, d.addr), Some(slot));
            assert_eq!(idx.get(&dests, d.svc + 7, d.addr), None);
        }
        assert_eq!(
            idx.get(&dests, 0, "[2001:db8::1]:80".parse().unwrap()),
            None
        );
        assert_eq!(SlotIndex::default().get(&dests, 0, dests[0].addr), None);
    }
}
