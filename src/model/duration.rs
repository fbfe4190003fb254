//! Durations as whole milliseconds or microseconds in a u64. std's `as_millis` and
//! `as_micros` return u128, whose arithmetic (and formatting) is long on 32-bit routers:
//! these are out of line, for code size, and saturate where a u128 would not fit u64
//! (half a million years of microseconds, never reached by a real duration).

use std::time::Duration;

/// `d.as_millis()`, saturated to u64.
#[inline(never)]
pub fn millis(d: Duration) -> u64 {
    d.as_secs()
        .saturating_mul(1000)
        .saturating_add(u64::from(d.subsec_millis()))
}

/// `d.as_micros()`, saturated to u64.
#[inline(never)]
pub fn micros(d: Duration) -> u64 {
    d.as_secs()
        .saturating_mul(1_000_000)
        .saturating_add(u64::from(d.subsec_micros()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn match_std_and_saturate() {
        for d in [
            Duration::ZERO,
            Duration::from_nanos(999_999),
            Duration::from_millis(1234),
            Duration::new(86_400 * 365 * 100, 987_654_321),
        ] {
            assert_eq!(u128::from(millis(d)), d.as_millis());
            assert_eq!(u128::from(micros(d)), d.as_micros());
        }
        assert_eq!(millis(Duration::MAX), u64::MAX);
        assert_eq!(micros(Duration::MAX), u64::MAX);
    }
}
