//! FILE_CHECK: the number in a tracked file, judged with keepalived's track_file rules
//! (keepalived.conf(5), "Track files"): with weight 0 a non-zero value is a failure and
//! zero is OK (`reverse` swaps them); otherwise the value times the weight (negated by
//! `reverse`) is the weight change for the real server, and a result at or below
//! -2147483648 is a failure. As keepalived does, a missing, empty or unparsable file
//! reads as 0 (its strtol with base 0: decimal, 0x hex, leading-0 octal).

use std::io::Read;

use crate::model::config::FileCheck;
use crate::probe::outcome::{Reason, Up};

/// Bytes of the file that are read (keepalived reads 127).
const FILE_READ_BYTES: usize = 127;

/// Reads `f.path` into `buf` (no allocation) and judges it. On success `Up::weight` is
/// `Some(delta)` to add to the configured weight, or None in weight-0 mode.
pub fn judge(f: &FileCheck, buf: &mut [u8]) -> Result<Up, Reason> {
    let value = read_value(f, buf);
    verdict(f, value)
}

fn read_value(f: &FileCheck, buf: &mut [u8]) -> i64 {
    let cap = FILE_READ_BYTES.min(buf.len());
    let Ok(mut file) = std::fs::File::open(&f.path) else {
        return 0;
    };
    let mut filled = 0;
    // Each read adds at least one byte or stops.
    while filled < cap {
        match file.read(&mut buf[filled..cap]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => return 0,
        }
    }
    strtol(&buf[..filled])
}

/// Applies the track_file rules to a value read from the file.
pub fn verdict(f: &FileCheck, value: i64) -> Result<Up, Reason> {
    if f.weight == 0 {
        let failed = (value != 0) != f.reverse;
        return if failed {
            Err(Reason::FileDown)
        } else {
            Ok(Up::default())
        };
    }
    let mut delta = value.saturating_mul(i64::from(f.weight));
    if f.reverse {
        delta = delta.saturating_neg();
    }
    if delta <= i64::from(i32::MIN) {
        return Err(Reason::FileDown);
    }
    Ok(Up {
        weight: Some(delta.min(i64::from(i32::MAX)) as i32),
        agent: None,
    })
}

/// C strtol(s, NULL, 0) restricted to what keepalived accepts (values outside i32 are
/// ignored there; here they read as 0).
fn strtol(s: &[u8]) -> i64 {
    let mut i = 0;
    while i < s.len() && s[i].is_ascii_whitespace() {
        i += 1;
    }
    let mut neg = false;
    if i < s.len() && (s[i] == b'+' || s[i] == b'-') {
        neg = s[i] == b'-';
        i += 1;
    }
    let mut radix = 10;
    if s.get(i) == Some(&b'0') {
        if matches!(s.get(i + 1), Some(b'x') | Some(b'X'))
            && s.get(i + 2).is_some_and(u8::is_ascii_hexdigit)
        {
            radix = 16;
            i += 2;
        } else {
            radix = 8;
        }
    }
    let mut n: i64 = 0;
    while let Some(d) = s.get(i).and_then(|&c| (c as char).to_digit(radix)) {
        n = n * i64::from(radix) + i64::from(d);
        if n > i64::from(i32::MAX) + 1 {
            return 0;
        }
        i += 1;
    }
    let n = if neg { -n } else { n };
    if n < i64::from(i32::MIN) || n > i64::from(i32::MAX) {
        0
    } else {
        n
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn fc(weight: i32, reverse: bool) -> FileCheck {
        FileCheck {
            path: PathBuf::from("/nonexistent"),
            weight,
            reverse,
        }
    }

    #[test]
    fn strtol_like_c() {
        assert_eq!(strtol(b"  42\n"), 42);
        assert_eq!(strtol(b"-7"), -7);
        assert_eq!(strtol(b"0x1f"), 31);
        assert_eq!(strtol(b"010"), 8);
        assert_eq!(strtol(b"abc"), 0);
        assert_eq!(strtol(b""), 0);
        assert_eq!(strtol(b"99999999999"), 0);
    }

    #[test]
    fn weight_zero_is_up_down() {
        assert_eq!(verdict(&fc(0, false), 0), Ok(Up::default()));
        assert_eq!(verdict(&fc(0, false), 3), Err(Reason::FileDown));
        assert_eq!(verdict(&fc(0, true), 0), Err(Reason::FileDown));
        assert_eq!(verdict(&fc(0, true), 1), Ok(Up::default()));
    }

    #[test]
    fn weight_multiplies() {
        assert_eq!(
            verdict(&fc(2, false), 5),
            Ok(Up {
                weight: Some(10),
                agent: None
            })
        );
        assert_eq!(
            verdict(&fc(2, true), 5),
            Ok(Up {
                weight: Some(-10),
                agent: None
            })
        );
        assert_eq!(
            verdict(&fc(-1, false), i64::from(i32::MIN)),
            Ok(Up {
                weight: Some(i32::MAX),
                agent: None,
            })
        );
        assert_eq!(
            verdict(&fc(1, false), i64::from(i32::MIN)),
            Err(Reason::FileDown)
        );
    }

    #[test]
    fn missing_file_reads_zero() {
        let mut buf = [0u8; 256];
        assert_eq!(judge(&fc(0, false), &mut buf), Ok(Up::default()));
    }
}
