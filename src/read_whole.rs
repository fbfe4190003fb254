//! Reading a whole file or stream, bounded: the config file, `-R` input, /etc/services,
//! /proc files, the control socket's reply.
//!
//! std's `read_to_end` is generic over the reader, and a reader used as `dyn Read`
//! brings every `Read` method of its type along in the vtable: File, &File, StdinLock,
//! UnixStream and their `Take`s were about 9 KB of MIPS code, all for the same loop.
//! Here the loop exists once and a reader is one `FnMut` that fills a buffer.

use std::io::{self, Read};
use std::path::Path;

/// One `read(2)`-like call: fills a prefix of the buffer, returns how much (0 at end).
pub type ReadFn<'a> = dyn FnMut(&mut [u8]) -> io::Result<usize> + 'a;

/// How much is read at a time (a stack buffer: growing `buf` and zeroing its spare
/// room on every read would cost more than the copy).
const CHUNK: usize = 8192;

/// Appends to `buf` what `read` yields until the end of the stream or until `limit`
/// bytes were appended, as std's `read.take(limit).read_to_end(buf)`: interrupted
/// reads are retried, the first other error ends it (what was read stays in `buf`).
pub fn append(read: &mut ReadFn, limit: u64, buf: &mut Vec<u8>) -> io::Result<usize> {
    let mut chunk = [0u8; CHUNK];
    let mut left = limit;
    let start = buf.len();
    // Each pass appends at least one byte, ends the loop, or retries an interrupted
    // read (as std does); at most `limit` bytes are appended.
    while left > 0 {
        let want = left.min(CHUNK as u64) as usize;
        match read(&mut chunk[..want]) {
            Ok(0) => break,
            Ok(n) => {
                let n = n.min(want);
                buf.extend_from_slice(&chunk[..n]);
                left -= n as u64;
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(buf.len() - start)
}

/// As std's `read.take(limit).read_to_string(s)`: on bytes that are not UTF-8 nothing
/// is appended and the error is std's; on a read error what was read is kept if it is
/// UTF-8.
pub fn append_string(read: &mut ReadFn, limit: u64, s: &mut String) -> io::Result<usize> {
    let mut bytes = std::mem::take(s).into_bytes();
    let start = bytes.len();
    let ret = append(read, limit, &mut bytes);
    if std::str::from_utf8(&bytes[start..]).is_err() {
        bytes.truncate(start);
        *s = String::from_utf8(bytes).unwrap_or_default();
        return ret.and(Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "stream did not contain valid UTF-8",
        )));
    }
    *s = String::from_utf8(bytes).unwrap_or_default();
    ret
}

/// The file at `path`, at most `limit` bytes of it, appended to `buf`.
pub fn file(path: &Path, limit: u64, buf: &mut Vec<u8>) -> io::Result<usize> {
    let mut f = std::fs::File::open(path)?;
    append(&mut |b| f.read(b), limit, buf)
}

/// The file at `path` as text (std's `fs::read_to_string`, bounded).
pub fn file_string(path: &Path, limit: u64) -> io::Result<String> {
    let mut f = std::fs::File::open(path)?;
    let mut s = String::new();
    append_string(&mut |b| f.read(b), limit, &mut s)?;
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reader handing out `data` in pieces of at most `piece` bytes, with an
    /// interruption before each piece and `fail` as the final result.
    fn pieces<'a>(
        data: &'a [u8],
        piece: usize,
        fail: Option<io::ErrorKind>,
    ) -> impl FnMut(&mut [u8]) -> io::Result<usize> + 'a {
        let mut at = 0;
        let mut interrupt = true;
        move |b: &mut [u8]| {
            if interrupt {
                interrupt = false;
                return Err(io::ErrorKind::Interrupted.into());
            }
            interrupt = true;
            if at == data.len() {
                return match fail {
                    Some(k) => Err(k.into()),
                    None => Ok(0),
                };
            }
            let n = piece.min(b.len()).min(data.len() - at);
            b[..n].copy_from_slice(&data[at..at + n]);
            at += n;
            Ok(n)
        }
    }

    #[test]
    fn reads_like_std_take_read_to_end() {
        let data: Vec<u8> = (0..40_000u32).map(|i| (i * 7) as u8).collect();
        for limit in [0u64, 1, 4095, 8192, 39_999, 40_000, 40_001, u64::MAX] {
            for piece in [1usize, 3000, 100_000] {
                let mut ours = b"head".to_vec();
                let n = append(&mut pieces(&data, piece, None), limit, &mut ours).unwrap();
                let mut std_buf = b"head".to_vec();
                let m = data
                    .as_slice()
                    .take(limit)
                    .read_to_end(&mut std_buf)
                    .unwrap();
                assert_eq!((n, &ours), (m, &std_buf), "limit {limit} piece {piece}");
            }
        }
    }

    #[test]
    fn an_error_ends_the_read_and_keeps_what_was_read() {
        let mut buf = Vec::new();
        let e = append(
            &mut pieces(b"abc", 2, Some(io::ErrorKind::BrokenPipe)),
            100,
            &mut buf,
        )
        .unwrap_err();
        assert_eq!(
            (e.kind(), buf.as_slice()),
            (io::ErrorKind::BrokenPipe, &b"abc"[..])
        );
    }

    #[test]
    fn text_that_is_not_utf8_is_refused_as_std_does() {
        let mut s = String::from("kept");
        let e = append_string(&mut pieces(b"ok\xff", 2, None), 100, &mut s).unwrap_err();
        let mut t = String::from("kept");
        let f = (&b"ok\xff"[..]).read_to_string(&mut t).unwrap_err();
        assert_eq!((e.kind(), e.to_string(), &s), (f.kind(), f.to_string(), &t));
        let mut s = String::new();
        let e = append_string(
            &mut pieces(b"partial", 3, Some(io::ErrorKind::TimedOut)),
            100,
            &mut s,
        )
        .unwrap_err();
        assert_eq!((e.kind(), s.as_str()), (io::ErrorKind::TimedOut, "partial"));
    }

    #[test]
    fn files_are_read_whole_or_bounded() {
        let dir = std::env::temp_dir().join(format!("lvsmon-read-whole-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("f");
        std::fs::write(&p, "line one\nline two\n").unwrap();
        assert_eq!(file_string(&p, 1 << 20).unwrap(), "line one\nline two\n");
        assert_eq!(file_string(&p, 4).unwrap(), "line");
        let mut buf = vec![b'>'];
        assert_eq!(file(&p, 1 << 20, &mut buf).unwrap(), 18);
        assert_eq!(&buf[..5], b">line");
        let missing = file_string(&dir.join("missing"), 10).unwrap_err();
        assert_eq!(missing.kind(), io::ErrorKind::NotFound);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
