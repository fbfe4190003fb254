//! A read-only map kept as one sorted vector, for indexes that are built once per config
//! and then only looked up. Against a hash map of the same entries it keeps no empty
//! buckets and no control bytes: the director's (service, address) → slot index at 4096
//! real servers is 160 KiB this way and 392 KiB as a HashMap sized for its capacity, all
//! of it resident since a hash spreads its entries over every page.

/// Keys in ascending order, each once, with their values.
#[derive(Clone, Debug)]
pub struct SortedIndex<K, V> {
    entries: Vec<(K, V)>,
}

impl<K: Ord, V> SortedIndex<K, V> {
    /// The index of `pairs`; for a key given twice the last value wins, as with
    /// repeated inserts into a map.
    pub fn from_pairs(pairs: impl IntoIterator<Item = (K, V)>) -> SortedIndex<K, V> {
        let mut entries: Vec<(K, V)> = pairs.into_iter().collect();
        // dedup_by keeps the first of equal neighbours and the sort is stable: reversed
        // first, the last pair given for a key is the one kept.
        entries.reverse();
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        entries.dedup_by(|later, earlier| later.0 == earlier.0);
        entries.shrink_to_fit();
        SortedIndex { entries }
    }

    pub fn get(&self, key: &K) -> Option<&V> {
        self.entries
            .binary_search_by(|(k, _)| k.cmp(key))
            .ok()
            .map(|i| &self.entries[i].1)
    }

    pub fn contains_key(&self, key: &K) -> bool {
        self.get(key).is_some()
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

impl<K, V> Default for SortedIndex<K, V> {
    fn default() -> Self {
        SortedIndex {
            entries: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn looks_up_every_key_and_only_those() {
        let idx = SortedIndex::from_pairs((0..1000u32).rev().map(|k| (k * 3, k)));
        assert_eq!(idx.len(), 1000);
        for k in 0..1000u32 {
            assert_eq!(idx.get(&(k * 3)), Some(&k));
            assert_eq!(idx.get(&(k * 3 + 1)), None);
        }
        assert!(!idx.contains_key(&3000));
        assert!(SortedIndex::<u32, u32>::default().is_empty());
    }

    #[test]
    fn a_repeated_key_keeps_the_last_value() {
        let idx = SortedIndex::from_pairs([(5, 'a'), (1, 'x'), (5, 'b'), (5, 'c')]);
        assert_eq!(idx.len(), 2);
        assert_eq!(idx.get(&5), Some(&'c'));
        assert_eq!(idx.get(&1), Some(&'x'));
    }
}
