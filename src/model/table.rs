//! `FixedTable<T>`: a table whose storage is allocated once, when it is built, and never
//! grows. Pushing past capacity is an error value, not a reallocation, so the steady state
//! allocates nothing however large the capacity is (heapless::Vec would put 4096-entry
//! tables on the stack while they are built).

use std::fmt;

/// A push found the table full.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Full {
    pub what: &'static str,
    pub capacity: usize,
}

impl fmt::Display for Full {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "too many {} (this build holds {}; see src/model/limits.rs)",
            self.what, self.capacity
        )
    }
}

impl std::error::Error for Full {}

#[derive(Clone, Debug)]
pub struct FixedTable<T> {
    items: Vec<T>,
    capacity: usize,
    what: &'static str,
}

impl<T> FixedTable<T> {
    /// Allocates room for `capacity` entries now; `what` names them in the `Full` error.
    pub fn new(what: &'static str, capacity: usize) -> Self {
        FixedTable {
            items: Vec::with_capacity(capacity),
            capacity,
            what,
        }
    }

    pub fn push(&mut self, item: T) -> Result<usize, Full> {
        if self.items.len() >= self.capacity {
            return Err(Full {
                what: self.what,
                capacity: self.capacity,
            });
        }
        self.items.push(item);
        Ok(self.items.len() - 1)
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }

    pub fn clear(&mut self) {
        self.items.clear();
    }

    pub fn truncate(&mut self, len: usize) {
        self.items.truncate(len);
    }

    pub fn swap_remove(&mut self, index: usize) -> T {
        self.items.swap_remove(index)
    }

    pub fn retain(&mut self, keep: impl FnMut(&T) -> bool) {
        self.items.retain(keep);
    }
}

impl<T> std::ops::Deref for FixedTable<T> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        &self.items
    }
}

impl<T> std::ops::DerefMut for FixedTable<T> {
    fn deref_mut(&mut self) -> &mut [T] {
        &mut self.items
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn push_past_capacity_is_an_error_not_a_growth() {
        let mut t = FixedTable::new("real servers", 2);
        assert_eq!(t.push(1), Ok(0));
        assert_eq!(t.push(2), Ok(1));
        let err = t.push(3).unwrap_err();
        assert_eq!(err.capacity, 2);
        assert_eq!(
            err.to_string(),
            "too many real servers (this build holds 2; see src/model/limits.rs)"
        );
        assert_eq!(&t[..], &[1, 2]);
    }
}
