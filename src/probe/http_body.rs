//! The body half of the HTTP engine, pure and allocation-free: the chunked
//! transfer-coding decoder (RFC 9112 7.1) that feeds the digest and the regex with the
//! body itself, and the regex scan over the body as it streams in.
//!
//! The regex scan keeps a window of the body in a buffer the caller owns (the slot's own
//! receive buffer, free once the head is parsed): new bytes are appended and searched;
//! when the window is full its older half is dropped, so a match up to half the window
//! long is found wherever it falls (keepalived keeps PCRE2's partial match instead). The
//! engine runs on text: bytes that are not UTF-8 are searched as `?`. A match counts
//! when it starts at a body offset within `regex_min_offset..=regex_max_offset`, as in
//! keepalived's check_regex.

use crate::model::config::UrlRegex;

/// Where the chunked decoder is.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum ChunkState {
    /// Reading the hex size; `digits` so far.
    #[default]
    Size,
    /// After the size: an extension, up to the line's end.
    Ext,
    /// Between the size line's CR and LF.
    SizeLf,
    /// In chunk data: `left` bytes to go.
    Data,
    /// After the data: its CRLF.
    DataCr,
    DataLf,
    /// After the last chunk: trailer lines up to an empty one.
    TrailerLineStart,
    TrailerLine,
    TrailerLf,
    Done,
}

/// The chunked decoder's state between reads.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Chunked {
    state: ChunkState,
    left: u64,
    digits: u8,
}

impl Chunked {
    /// Decodes `input`, handing each run of body bytes to `out`. Ok(true) once the last
    /// chunk and its trailer are in (bytes after it are ignored).
    pub fn feed(&mut self, input: &[u8], out: &mut dyn FnMut(&[u8])) -> Result<bool, &'static str> {
        let mut i = 0;
        // Each pass consumes at least one byte or returns.
        while i < input.len() {
            let b = input[i];
            match self.state {
                ChunkState::Size => match (b as char).to_digit(16) {
                    Some(d) => {
                        if self.digits >= 15 {
                            return Err("chunk size too large");
                        }
                        self.left = self.left * 16 + u64::from(d);
                        self.digits += 1;
                    }
                    None if self.digits == 0 => return Err("bad chunk size"),
                    None => {
                        self.state = match b {
                            b'\r' => ChunkState::SizeLf,
                            b'\n' => self.size_line_done(),
                            _ => ChunkState::Ext,
                        };
                    }
                },
                ChunkState::Ext => {
                    if b == b'\r' {
                        self.state = ChunkState::SizeLf;
                    } else if b == b'\n' {
                        self.state = self.size_line_done();
                    }
                }
                ChunkState::SizeLf => {
                    if b != b'\n' {
                        return Err("bad chunk size line");
                    }
                    self.state = self.size_line_done();
                }
                ChunkState::Data => {
                    let n = (input.len() - i).min(usize::try_from(self.left).unwrap_or(usize::MAX));
                    out(&input[i..i + n]);
                    self.left -= n as u64;
                    i += n;
                    if self.left == 0 {
                        self.state = ChunkState::DataCr;
                    }
                    continue;
                }
                ChunkState::DataCr => {
                    self.state = match b {
                        b'\r' => ChunkState::DataLf,
                        b'\n' => ChunkState::Size,
                        _ => return Err("chunk data longer than its size"),
                    };
                }
                ChunkState::DataLf => {
                    if b != b'\n' {
                        return Err("chunk data longer than its size");
                    }
                    self.state = ChunkState::Size;
                }
                ChunkState::TrailerLineStart => {
                    self.state = match b {
                        b'\r' => ChunkState::TrailerLf,
                        b'\n' => ChunkState::Done,
                        _ => ChunkState::TrailerLine,
                    };
                }
                ChunkState::TrailerLine => {
                    if b == b'\n' {
                        self.state = ChunkState::TrailerLineStart;
                    }
                }
                ChunkState::TrailerLf => {
                    if b != b'\n' {
                        return Err("bad chunked trailer");
                    }
                    self.state = ChunkState::Done;
                }
                ChunkState::Done => return Ok(true),
            }
            i += 1;
        }
        Ok(self.state == ChunkState::Done)
    }

    fn size_line_done(&mut self) -> ChunkState {
        self.digits = 0;
        if self.left == 0 {
            ChunkState::TrailerLineStart
        } else {
            ChunkState::Data
        }
    }
}

/// The regex scan's state between reads.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RegexScan {
    /// Bytes of the window in use.
    len: usize,
    /// Body offset of the window's first byte.
    at: u64,
    /// A match starting within the offsets was found.
    pub matched: bool,
    /// Past `regex_max_offset` without a match: nothing later can count.
    over: bool,
}

impl RegexScan {
    /// Whether more body can change the outcome.
    pub fn settled(&self) -> bool {
        self.matched || self.over
    }

    /// Appends `data` (the next body bytes) to the window `win` and searches.
    pub fn feed(&mut self, r: &UrlRegex, win: &mut [u8], mut data: &[u8]) {
        let keep = win.len() / 2;
        // Each pass appends at least one byte (the window is emptied to `keep` first
        // when full) or returns.
        while !data.is_empty() && !self.settled() {
            if self.len == win.len() {
                let drop = self.len - keep;
                win.copy_within(drop..self.len, 0);
                self.len = keep;
                self.at += drop as u64;
            }
            let n = data.len().min(win.len() - self.len);
            win[self.len..self.len + n].copy_from_slice(&data[..n]);
            self.len += n;
            data = &data[n..];
            self.search(r, win);
        }
    }

    fn search(&mut self, r: &UrlRegex, win: &mut [u8]) {
        if let Some(max) = r.max_offset {
            if self.at > max {
                self.over = true;
                return;
            }
        }
        let text = text_prefix(&mut win[..self.len]);
        let mut start = usize::try_from(r.min_offset.saturating_sub(self.at)).unwrap_or(usize::MAX);
        if start > text.len() {
            return;
        }
        while !text.is_char_boundary(start) {
            start += 1;
        }
        if let Some(found) = find_at(r, text, start) {
            let off = self.at + found as u64;
            match r.max_offset {
                Some(max) if off > max => self.over = true,
                _ => self.matched = true,
            }
        }
    }
}

/// Where the first match at or after `start` begins.
#[cfg(feature = "regex")]
fn find_at(r: &UrlRegex, text: &str, start: usize) -> Option<usize> {
    r.re.find_at(text, start).map(|m| m.start())
}

/// Without the `regex` feature there is no UrlRegex to search with.
#[cfg(not(feature = "regex"))]
fn find_at(r: &UrlRegex, _: &str, _: usize) -> Option<usize> {
    match r.re {}
}

/// The longest prefix of `buf` that is text: invalid UTF-8 sequences are overwritten
/// with `?`, and an incomplete sequence at the end (its rest still to come) is left out.
fn text_prefix(buf: &mut [u8]) -> &str {
    let mut end = buf.len();
    // Each pass replaces at least one byte or ends.
    for _ in 0..=buf.len() {
        match std::str::from_utf8(&buf[..end]) {
            Ok(_) => break,
            Err(e) => match e.error_len() {
                Some(bad) => {
                    let from = e.valid_up_to();
                    for b in &mut buf[from..from + bad] {
                        *b = b'?';
                    }
                }
                None => end = e.valid_up_to(),
            },
        }
    }
    std::str::from_utf8(&buf[..end]).unwrap_or("")
}

// The regex tests need the engine; the default build (what `cargo test` runs) has it.
#[cfg(all(test, feature = "regex"))]
mod tests {
    use super::*;

    fn decode(pieces: &[&[u8]]) -> Result<(Vec<u8>, bool), &'static str> {
        let mut c = Chunked::default();
        let mut body = Vec::new();
        let mut done = false;
        for p in pieces {
            done = c.feed(p, &mut |b| body.extend_from_slice(b))?;
        }
        Ok((body, done))
    }

    #[test]
    fn chunked_bodies_decode_in_any_pieces() {
        let whole: &[u8] = b"5\r\nhello\r\n7;ext=1\r\n, world\r\n0\r\nX-Trailer: 1\r\n\r\n";
        assert_eq!(decode(&[whole]).unwrap(), (b"hello, world".to_vec(), true));
        // Byte by byte.
        let bytes: Vec<&[u8]> = whole.chunks(1).collect();
        assert_eq!(decode(&bytes).unwrap(), (b"hello, world".to_vec(), true));
        // Not finished yet.
        assert_eq!(decode(&[b"5\r\nhel"]).unwrap(), (b"hel".to_vec(), false));
        // Upper-case hex, bare LF line ends.
        assert_eq!(
            decode(&[b"A\nabcdefghij\n0\n\n"]).unwrap(),
            (b"abcdefghij".to_vec(), true)
        );
        assert_eq!(decode(&[b"zz\r\n"]), Err("bad chunk size"));
        assert_eq!(
            decode(&[b"2\r\nabc\r\n"]),
            Err("chunk data longer than its size")
        );
        assert_eq!(
            decode(&[b"ffffffffffffffffff\r\n"]),
            Err("chunk size too large")
        );
    }

    fn rx(pat: &str, min: u64, max: Option<u64>) -> UrlRegex {
        UrlRegex {
            source: pat.into(),
            re: regex_lite::Regex::new(pat).unwrap(),
            no_match: false,
            min_offset: min,
            max_offset: max,
        }
    }

    fn scan(r: &UrlRegex, win: usize, pieces: &[&[u8]]) -> bool {
        let mut w = vec![0u8; win];
        let mut s = RegexScan::default();
        for p in pieces {
            s.feed(r, &mut w, p);
        }
        s.matched
    }

    #[test]
    fn regex_finds_matches_across_reads_and_window_slides() {
        let r = rx("status: ok", 0, None);
        assert!(scan(&r, 64, &[b"xxxx status: ok yyy"]));
        assert!(scan(&r, 64, &[b"xxxx stat", b"us: ok"]));
        assert!(!scan(&r, 64, &[b"status: bad"]));
        // Far into a body many windows long.
        let mut body = vec![b'.'; 10_000];
        body.extend_from_slice(b"status: ok");
        assert!(scan(&r, 64, &[&body]));
        let pieces: Vec<&[u8]> = body.chunks(7).collect();
        assert!(scan(&r, 64, &pieces));
    }

    #[test]
    fn offsets_bound_where_a_match_may_start() {
        let body: &[u8] = b"0123456789OK3456789OK";
        // Matches start at 10 and 19.
        assert!(scan(&rx("OK", 0, None), 64, &[body]));
        assert!(
            scan(&rx("OK", 11, None), 64, &[body]),
            "the second one counts"
        );
        assert!(!scan(&rx("OK", 20, None), 64, &[body]));
        assert!(scan(&rx("OK", 0, Some(10)), 64, &[body]));
        assert!(!scan(&rx("OK", 0, Some(9)), 64, &[body]));
        assert!(!scan(&rx("OK", 11, Some(18)), 64, &[body]));
        // Far offsets through a sliding window.
        let mut long = vec![b'.'; 5000];
        long.extend_from_slice(b"OK");
        assert!(scan(&rx("OK", 4000, Some(5000)), 64, &[&long]));
        assert!(!scan(&rx("OK", 0, Some(4999)), 64, &[&long]));
    }

    #[test]
    fn bytes_that_are_not_text_read_as_question_marks() {
        assert!(scan(&rx("a\\?b", 0, None), 64, &[b"xx a\xffb"]));
        // A character split between two reads is whole when searched.
        assert!(scan(&rx("é", 0, None), 64, &[b"caf\xc3", b"\xa9"]));
    }
}
