//! SMTP reply framing (RFC 5321 4.2): lines "DDD-text" continue a reply, "DDD text" (or
//! "DDD" alone) ends it. Pure; the dialogue itself is in `mod.rs`.

use crate::probe::outcome::Reason;

/// Finds the first complete reply in `buf`: its code (from the last line) and the bytes
/// it spans. Ok(None) when more bytes are needed.
pub fn reply(buf: &[u8]) -> Result<Option<(u16, usize)>, Reason> {
    let mut start = 0;
    // Each pass consumes one line (at least one byte).
    while start < buf.len() {
        let Some(nl) = buf[start..].iter().position(|&b| b == b'\n') else {
            return Ok(None);
        };
        let line = &buf[start..start + nl];
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        start += nl + 1;
        if line.len() < 3 || !line[..3].iter().all(u8::is_ascii_digit) {
            return Err(Reason::BadReply("malformed SMTP reply"));
        }
        let code = line[..3]
            .iter()
            .fold(0u16, |n, d| n * 10 + u16::from(d - b'0'));
        match line.get(3) {
            Some(b'-') => continue,
            None | Some(b' ') => return Ok(Some((code, start))),
            Some(_) => return Err(Reason::BadReply("malformed SMTP reply")),
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_and_multi_line_replies() {
        assert_eq!(reply(b"220 mx ESMTP\r\n"), Ok(Some((220, 14))));
        assert_eq!(reply(b"220 mx ESMTP"), Ok(None));
        assert_eq!(
            reply(b"250-mx\r\n250-SIZE 1000\r\n250 HELP\r\nextra"),
            Ok(Some((250, 33)))
        );
        assert_eq!(reply(b"250-mx\r\n250-SIZE"), Ok(None));
        assert_eq!(reply(b"221\r\n"), Ok(Some((221, 5))));
        assert_eq!(reply(b"554 no service\n"), Ok(Some((554, 15))));
    }

    #[test]
    fn garbage_is_refused() {
        let bad = Err(Reason::BadReply("malformed SMTP reply"));
        assert_eq!(reply(b"hello\r\n"), bad);
        assert_eq!(reply(b"22\r\n"), bad);
        assert_eq!(reply(b"220x\r\n"), bad);
    }
}
