//! A fast, non-keyed hasher for maps keyed by configuration data (checks, addresses),
//! and the small map that uses it.
//!
//! std's default SipHash resists hash flooding by untrusted keys; lvsmon's keys come from
//! the administrator's own config file, and SipHash was most of the cost of diffing a
//! 4096-real-server config on reload. This is the multiply-rotate word hash used by
//! rustc (FxHash): a few instructions per word, no state but one u64.
//!
//! `FastMap` is not std's HashMap (hashbrown) for code size: hashbrown inlines its
//! resize and probe code into every key type's copy (about 1.5 KB each on mipsel, seven
//! key types). Here the entries sit in a `Vec` in insertion order and an open-addressing
//! table of entry numbers, whose code is shared by every key type, finds them.

use std::borrow::Borrow;
use std::fmt;
use std::hash::{BuildHasher, BuildHasherDefault, Hash, Hasher};

/// A map whose keys are config-derived and so need no flooding resistance. It has the
/// part of HashMap's interface lvsmon uses; iteration is in insertion order.
pub struct FastMap<K, V> {
    entries: Vec<(K, V)>,
    index: Index,
}

/// An empty `FastMap` with room for `n` entries.
pub fn fast_map<K, V>(n: usize) -> FastMap<K, V> {
    FastMap {
        entries: Vec::with_capacity(n),
        index: Index::with_capacity(n),
    }
}

fn hash_of<Q: Hash + ?Sized>(k: &Q) -> usize {
    let h = BuildHasherDefault::<FastHasher>::default().hash_one(k);
    // The multiply carries every input bit into the high half only: fold it down.
    (h ^ (h >> 32)) as usize
}

/// Open addressing with linear probing: a power of two buckets (or none), at most half
/// of them used, each 0 (empty) or 1 + an entry's number.
#[derive(Clone, Default)]
struct Index {
    buckets: Vec<u32>,
}

impl Index {
    fn with_capacity(n: usize) -> Index {
        Index {
            buckets: if n == 0 {
                Vec::new()
            } else {
                vec![0; (2 * n).next_power_of_two()]
            },
        }
    }

    /// The entry with hash `hash` that `is` accepts.
    #[inline(never)]
    fn find(&self, hash: usize, is: &mut dyn FnMut(usize) -> bool) -> Option<usize> {
        let mask = self.buckets.len().checked_sub(1)?;
        let mut b = hash & mask;
        // At most half the buckets are used: the probe ends at an empty one.
        loop {
            let e = *self.buckets.get(b)? as usize;
            if e == 0 {
                return None;
            }
            if is(e - 1) {
                return Some(e - 1);
            }
            b = (b + 1) & mask;
        }
    }

    /// Records entry `n` (hash `hash`) of `n + 1`, growing first if the table would be
    /// more than half full; `hash_at` gives the hash of an earlier entry.
    #[inline(never)]
    fn add(&mut self, n: usize, hash: usize, hash_at: &dyn Fn(usize) -> usize) {
        if 2 * (n + 1) > self.buckets.len() {
            self.buckets = vec![0; (2 * (n + 1)).next_power_of_two().max(8)];
            for i in 0..n {
                self.place(i, hash_at(i));
            }
        }
        self.place(n, hash);
    }

    fn place(&mut self, n: usize, hash: usize) {
        let mask = self.buckets.len() - 1;
        let mut b = hash & mask;
        while self.buckets[b] != 0 {
            b = (b + 1) & mask;
        }
        self.buckets[b] = n as u32 + 1;
    }
}

impl<K: Hash + Eq, V> FastMap<K, V> {
    fn find<Q: Hash + Eq + ?Sized>(&self, k: &Q) -> Option<usize>
    where
        K: Borrow<Q>,
    {
        let entries = &self.entries;
        self.index
            .find(hash_of(k), &mut |i| entries[i].0.borrow() == k)
    }

    fn push(&mut self, k: K, v: V) -> usize {
        let n = self.entries.len();
        let entries = &self.entries;
        self.index.add(n, hash_of(&k), &|i| hash_of(&entries[i].0));
        self.entries.push((k, v));
        n
    }

    pub fn get<Q: Hash + Eq + ?Sized>(&self, k: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
    {
        self.find(k).map(|i| &self.entries[i].1)
    }

    pub fn contains_key<Q: Hash + Eq + ?Sized>(&self, k: &Q) -> bool
    where
        K: Borrow<Q>,
    {
        self.find(k).is_some()
    }

    /// Sets the value of `k`; returns the one it replaces (the key stays the first one).
    pub fn insert(&mut self, k: K, v: V) -> Option<V> {
        match self.find(&k) {
            Some(i) => Some(std::mem::replace(&mut self.entries[i].1, v)),
            None => {
                self.push(k, v);
                None
            }
        }
    }

    pub fn entry(&mut self, k: K) -> Entry<'_, K, V> {
        Entry { map: self, key: k }
    }
}

impl<K, V> FastMap<K, V> {
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The entries in insertion order.
    pub fn iter(&self) -> impl Iterator<Item = (&K, &V)> {
        self.entries.iter().map(|(k, v)| (k, v))
    }

    pub fn values(&self) -> impl Iterator<Item = &V> {
        self.entries.iter().map(|(_, v)| v)
    }
}

/// A key's place in a map, for `or_insert_with`.
pub struct Entry<'a, K, V> {
    map: &'a mut FastMap<K, V>,
    key: K,
}

impl<'a, K: Hash + Eq, V> Entry<'a, K, V> {
    pub fn or_insert_with(self, f: impl FnOnce() -> V) -> &'a mut V {
        let i = match self.map.find(&self.key) {
            Some(i) => i,
            None => self.map.push(self.key, f()),
        };
        &mut self.map.entries[i].1
    }
}

impl<K: Hash + Eq + Borrow<Q>, Q: Hash + Eq + ?Sized, V> std::ops::Index<&Q> for FastMap<K, V> {
    type Output = V;

    /// The value of a key that must be there (a panic otherwise, as HashMap's).
    fn index(&self, k: &Q) -> &V {
        self.get(k).expect("key not found")
    }
}

impl<K, V> Default for FastMap<K, V> {
    fn default() -> Self {
        FastMap {
            entries: Vec::new(),
            index: Index::default(),
        }
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

impl<K: fmt::Debug, V: fmt::Debug> fmt::Debug for FastMap<K, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

/// Equal as maps: the same keys with equal values, whatever the order.
impl<K: Hash + Eq, V: PartialEq> PartialEq for FastMap<K, V> {
    fn eq(&self, o: &Self) -> bool {
        self.len() == o.len() && self.iter().all(|(k, v)| o.get(k) == Some(v))
    }
}

impl<K: Hash + Eq, V> FromIterator<(K, V)> for FastMap<K, V> {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(it: I) -> Self {
        let mut m = FastMap::default();
        for (k, v) in it {
            m.insert(k, v);
        }
        m
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
    use std::hash::{BuildHasher, Hash};
    use std::net::SocketAddr;

    fn hash_of<T: Hash>(t: &T) -> u64 {
        BuildHasherDefault::<FastHasher>::default().hash_one(t)
    }

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
    fn map_insert_replaces_and_keeps_the_first_key() {
        let mut m: FastMap<String, u32> = FastMap::default();
        assert!(m.is_empty());
        assert_eq!(m.get("a"), None);
        assert_eq!(m.insert("a".to_string(), 1), None);
        assert_eq!(m.insert("b".to_string(), 2), None);
        assert_eq!(m.insert("a".to_string(), 3), Some(1));
        assert_eq!(m.len(), 2);
        assert_eq!(m["a"], 3);
        assert!(m.contains_key("b"));
        assert!(!m.contains_key("c"));
        assert_eq!(m.values().copied().collect::<Vec<_>>(), vec![3, 2]);
        *m.entry("b".to_string()).or_insert_with(|| 9) += 10;
        assert_eq!(*m.entry("c".to_string()).or_insert_with(|| 9), 9);
        assert_eq!(m.get("b"), Some(&12));
        assert_eq!(m.len(), 3);
    }

    #[test]
    fn maps_are_equal_whatever_the_order() {
        let a: FastMap<u32, u32> = (0..100).map(|i| (i, i * 2)).collect();
        let b: FastMap<u32, u32> = (0..100).rev().map(|i| (i, i * 2)).collect();
        assert_eq!(a, b);
        let c: FastMap<u32, u32> = (0..100).map(|i| (i, i)).collect();
        assert_ne!(a, c);
        let d: FastMap<u32, u32> = (0..99).map(|i| (i, i * 2)).collect();
        assert_ne!(a, d);
        assert_eq!(a.clone(), a);
        // Collecting keeps the last value of a key, as HashMap's does.
        let e: FastMap<u32, u32> = [(1, 1), (1, 2)].into_iter().collect();
        assert_eq!(e.get(&1), Some(&2));
    }
}
