//! A short text built on the stack (a table cell, a number's digits), never allocated.

use std::fmt;

const ROOM: usize = 64;

/// At most `cap` bytes (`cap` <= 64) of text. A write that does not fit is refused whole
/// and fails, as heapless::String's does, so a formatted value stops at the last piece
/// that fitted. One type for every capacity, for code size: heapless::String<N> had its
/// code once per N (0.7 KB for the five N it replaced, on mipsel).
pub struct TextBuf {
    buf: [u8; ROOM],
    len: usize,
    cap: usize,
}

impl TextBuf {
    pub fn new(cap: usize) -> TextBuf {
        TextBuf {
            buf: [0; ROOM],
            len: 0,
            cap: cap.min(ROOM),
        }
    }

    pub fn as_str(&self) -> &str {
        // Only whole `str`s are ever appended.
        std::str::from_utf8(&self.buf[..self.len]).unwrap_or("")
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn push_str(&mut self, s: &str) -> fmt::Result {
        fmt::Write::write_str(self, s)
    }
}

impl fmt::Write for TextBuf {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let end = self.len + s.len();
        if end > self.cap {
            return Err(fmt::Error);
        }
        self.buf[self.len..end].copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fmt::Write;

    #[test]
    fn a_piece_that_does_not_fit_is_refused_whole() {
        let mut t = TextBuf::new(8);
        let (a, b) = (1234, 5678);
        assert!(write!(t, "{}-{}", a, b).is_err());
        assert_eq!(t.as_str(), "1234-");
        assert!(t.push_str("xyz").is_ok());
        assert_eq!(t.as_str(), "1234-xyz");
        assert!(t.push_str("!").is_err());
        assert_eq!(t.len(), 8);
    }
}
