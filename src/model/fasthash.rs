//! A fast, non-keyed hasher for maps keyed by configuration data (checks, addresses).
//!
//! std's default SipHash resists hash flooding by untrusted keys; lvsmon's keys come from
//! the administrator's own config file, and SipHash was most of the cost of diffing a
//! 4096-real-server config on reload. This is the multiply-rotate word hash used by
//! rustc (FxHash): a few instructions per word, no state but one u64.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// A HashMap whose keys are config-derived and so need no flooding resistance.
pub type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<FastHasher>>;

/// An empty `FastMap` with room for `n` entries.
pub fn fast_map<K, V>(n: usize) -> FastMap<K, V> {
    FastMap::with_capacity_and_hasher(n, BuildHasherDefault::default())
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
}
