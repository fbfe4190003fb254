//! A fast, non-keyed hasher for maps keyed by configuration data (checks, addresses),
//! and the small map built on it.
//!
//! std's default SipHash resists hash flooding by untrusted keys; lvsmon's keys come from
//! the administrator's own config file, and SipHash was most of the cost of diffing a
//! 4096-real-server config on reload. This is the multiply-rotate word hash used by
//! rustc (FxHash): a few instructions per word, no state but one u64.
//!
//! `FastMap` is not std's HashMap: std's (hashbrown) is generic through and through, and
//! its seven instantiations in lvsmon were 10 KB of code on MIPS. Here only hashing and
//! key comparison are generic; the table itself (`Table`) is one non-generic copy. The
//! maps are filled once per config load and only read in steady state, so there is no
//! `remove`, and iteration is in insertion order.

use std::borrow::Borrow;
use std::hash::{BuildHasher, BuildHasherDefault, Hash, Hasher};

/// A map whose keys are config-derived and so need no flooding resistance.
pub struct FastMap<K, V> {
    entries: Vec<(K, V)>,
    index: Table,
}

/// An empty `FastMap` with room for `n` entries.
pub fn fast_map<K, V>(n: usize) -> FastMap<K, V> {
    FastMap {
        entries: Vec::with_capacity(n),
        index: Table::with_capacity(n),
    }
}

fn hash_of<Q: Hash + ?Sized>(k: &Q) -> u64 {
    BuildHasherDefault::<FastHasher>::default().hash_one(k)
}

impl<K: Hash + Eq, V> FastMap<K, V> {
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn position<Q: Hash + Eq + ?Sized>(&self, k: &Q) -> Option<usize>
    where
        K: Borrow<Q>,
    {
        let entries = &self.entries;
        self.index
            .find(hash_of(k), &mut |i| entries[i].0.borrow() == k)
    }

    pub fn get<Q: Hash + Eq + ?Sized>(&self, k: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
    {
        self.position(k).map(|i| &self.entries[i].1)
    }

    pub fn contains_key<Q: Hash + Eq + ?Sized>(&self, k: &Q) -> bool
    where
        K: Borrow<Q>,
    {
        self.position(k).is_some()
    }

    /// Inserts or replaces; the old value comes back, as from std's HashMap (the key
    /// first inserted stays).
    pub fn insert(&mut self, k: K, v: V) -> Option<V> {
        let hash = hash_of(&k);
        let entries = &self.entries;
        match self.index.find(hash, &mut |i| entries[i].0 == k) {
            Some(i) => Some(std::mem::replace(&mut self.entries[i].1, v)),
            None => {
                self.index.push(hash);
                self.entries.push((k, v));
                None
            }
        }
    }

    /// The value of `k`, inserted from `f` first if there is none (std's
    /// `entry(k).or_insert_with(f)`).
    pub fn get_or_insert_with(&mut self, k: K, f: impl FnOnce() -> V) -> &mut V {
        let hash = hash_of(&k);
        let entries = &self.entries;
        let i = match self.index.find(hash, &mut |i| entries[i].0 == k) {
            Some(i) => i,
            None => {
                self.index.push(hash);
                self.entries.push((k, f()));
                self.entries.len() - 1
            }
        };
        &mut self.entries[i].1
    }

    /// The values, in insertion order.
    pub fn values(&self) -> impl Iterator<Item = &V> {
        self.entries.iter().map(|(_, v)| v)
    }

    /// The entries, in insertion order.
    pub fn iter(&self) -> impl Iterator<Item = (&K, &V)> {
        self.entries.iter().map(|(k, v)| (k, v))
    }
}

/// `map[key]` panics when the key is missing, as std's HashMap does.
impl<K: Hash + Eq + Borrow<Q>, Q: Hash + Eq + ?Sized, V> std::ops::Index<&Q> for FastMap<K, V> {
    type Output = V;

    fn index(&self, k: &Q) -> &V {
        match self.get(k) {
            Some(v) => v,
            None => panic!("FastMap: no entry for the key"),
        }
    }
}

impl<K, V> Default for FastMap<K, V> {
    fn default() -> Self {
        fast_map(0)
    }
}

impl<K: Hash + Eq, V> FromIterator<(K, V)> for FastMap<K, V> {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        let iter = iter.into_iter();
        let mut m = fast_map(iter.size_hint().0);
        for (k, v) in iter {
            m.insert(k, v);
        }
        m
    }
}

impl<K: Clone, V: Clone> Clone for FastMap<K, V> {
    fn clone(&self) -> Self {
        FastMap {
            entries: self.entries.clone(),
            index: self.index.clone(),
        }
    }
}

/// Equal as maps: the same keys with equal values, in any order (as std's HashMap).
impl<K: Hash + Eq, V: PartialEq> PartialEq for FastMap<K, V> {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.entries.iter().all(|(k, v)| other.get(k) == Some(v))
    }
}

impl<K: std::fmt::Debug, V: std::fmt::Debug> std::fmt::Debug for FastMap<K, V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map()
            .entries(self.entries.iter().map(|(k, v)| (k, v)))
            .finish()
    }
}

/// The non-generic part: open addressing with linear probing over a power-of-two table
/// kept at most half full. A slot holds an entry's index + 1 (0: empty); `hashes` keeps
/// each entry's hash so growing never hashes a key again.
#[derive(Clone, Default)]
struct Table {
    slots: Vec<u32>,
    hashes: Vec<u64>,
}

impl Table {
    fn with_capacity(n: usize) -> Table {
        let mut ix = Table::default();
        if n > 0 {
            ix.hashes.reserve_exact(n);
            ix.rebuild(n);
        }
        ix
    }

    /// The first slot to probe for `hash`: the last multiply carries input bits upwards
    /// only, so the high half is folded into the low bits the mask keeps.
    fn home(&self, hash: u64) -> usize {
        (hash ^ (hash >> 32)) as usize & (self.slots.len() - 1)
    }

    /// The entry whose hash is `hash` and for which `eq` says yes.
    #[inline(never)]
    fn find(&self, hash: u64, eq: &mut dyn FnMut(usize) -> bool) -> Option<usize> {
        if self.slots.is_empty() {
            return None;
        }
        let mask = self.slots.len() - 1;
        let mut at = self.home(hash);
        // Bounded: the table is at most half full, so an empty slot ends every probe.
        loop {
            let e = self.slots[at] as usize;
            if e == 0 {
                return None;
            }
            if self.hashes[e - 1] == hash && eq(e - 1) {
                return Some(e - 1);
            }
            at = (at + 1) & mask;
        }
    }

    /// Adds the next entry (index `hashes.len()`), growing the table if needed.
    #[inline(never)]
    fn push(&mut self, hash: u64) {
        self.hashes.push(hash);
        if self.hashes.len() * 2 > self.slots.len() {
            self.rebuild(self.hashes.len());
        } else {
            self.place(self.hashes.len() - 1);
        }
    }

    /// A table for at least `n` entries, at most half full, with every entry placed.
    fn rebuild(&mut self, n: usize) {
        let size = (n * 2).next_power_of_two().max(8);
        self.slots.clear();
        self.slots.resize(size, 0);
        for e in 0..self.hashes.len() {
            self.place(e);
        }
    }

    fn place(&mut self, e: usize) {
        let mask = self.slots.len() - 1;
        let mut at = self.home(self.hashes[e]);
        while self.slots[at] != 0 {
            at = (at + 1) & mask;
        }
        self.slots[at] = e as u32 + 1;
    }
}

/// The multiplier of rustc's FxHasher (a 64-bit odd constant with well-mixed bits).
const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

#[derive(Default, Clone, Copy)]
pub struct FastHasher {
    hash: u64,
}

impl FastHasher {
    // Out of line for code size: the 64-bit multiply is long on 32-bit targets and
    // was inlined into every derived Hash impl (with `write`: 3.3 KB on mipsel).
    #[inline(never)]
    fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(SEED);
    }
}

impl Hasher for FastHasher {
    // Out of line for code size: it was inlined into every derived Hash impl.
    #[inline(never)]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.add(u64::from_le_bytes(w));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut w = [0u8; 8];
            w[..rest.len()].copy_from_slice(rest);
            // The length keeps "ab" + "" and "a" + "b" style splits from colliding.
            self.add(u64::from_le_bytes(w) ^ ((rest.len() as u64) << 56));
        }
    }

    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }

    #[inline]
    fn write_u16(&mut self, i: u16) {
        self.add(u64::from(i));
    }

    #[inline]
    fn write_u32(&mut self, i: u32) {
        self.add(u64::from(i));
    }

    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }

    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }

    #[inline]
    fn finish(&self) -> u64 {
        self.hash
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::SocketAddr;

    #[test]
    fn equal_keys_hash_equal_and_near_keys_differ() {
        let a: SocketAddr = "192.0.2.1:80".parse().unwrap();
        let b: SocketAddr = "192.0.2.1:81".parse().unwrap();
        let c: SocketAddr = "192.0.2.2:80".parse().unwrap();
        assert_eq!(
            hash_of(&a),
            hash_of(&"192.0.2.1:80".parse::<SocketAddr>().unwrap())
        );
        assert_ne!(hash_of(&a), hash_of(&b));
        assert_ne!(hash_of(&a), hash_of(&c));
        assert_ne!(hash_of(&"ab"), hash_of(&"a"));
        assert_ne!(hash_of(&("a", "b")), hash_of(&("ab", "")));
    }

    #[test]
    fn a_map_of_many_addresses_finds_each() {
        let mut m: FastMap<SocketAddr, usize> = fast_map(4096);
        for i in 0..4096usize {
            let addr = SocketAddr::from(([10, 0, (i / 256) as u8, (i % 256) as u8], 80));
            m.insert(addr, i);
        }
        assert_eq!(m.len(), 4096);
        for i in 0..4096usize {
            let addr = SocketAddr::from(([10, 0, (i / 256) as u8, (i % 256) as u8], 80));
            assert_eq!(m.get(&addr), Some(&i));
        }
    }

    #[test]
    fn a_map_grown_from_empty_finds_each_and_misses_the_rest() {
        let mut m: FastMap<String, usize> = FastMap::default();
        assert!(m.is_empty() && m.get("x").is_none());
        for i in 0..1000usize {
            assert_eq!(m.insert(format!("k{i}"), i), None);
        }
        assert_eq!(m.len(), 1000);
        for i in 0..1000usize {
            assert_eq!(m.get(format!("k{i}").as_str()), Some(&i));
            assert!(m.contains_key(format!("k{i}").as_str()));
            assert!(!m.contains_key(format!("x{i}").as_str()));
        }
        assert!(m.values().copied().eq(0..1000), "insertion order");
    }

    #[test]
    fn insert_replaces_the_value_and_returns_the_old_one() {
        let mut m: FastMap<&str, u8> = [("a", 1), ("b", 2), ("a", 3)].into_iter().collect();
        assert_eq!(m.len(), 2);
        assert_eq!(m.get("a"), Some(&3), "collect keeps the last, as HashMap");
        assert_eq!(m.insert("b", 4), Some(2));
        assert_eq!(m.iter().collect::<Vec<_>>(), [(&"a", &3), (&"b", &4)]);
    }

    #[test]
    fn maps_compare_as_sets_of_entries() {
        let a: FastMap<u32, u32> = [(1, 10), (2, 20)].into_iter().collect();
        let b: FastMap<u32, u32> = [(2, 20), (1, 10)].into_iter().collect();
        let c: FastMap<u32, u32> = [(1, 10), (2, 21)].into_iter().collect();
        let d: FastMap<u32, u32> = [(1, 10)].into_iter().collect();
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_ne!(a, d);
        assert_ne!(d, a);
        assert_eq!(a.clone(), a);
    }
}
