//! SMTP_CHECK: the dialogue (banner, HELO, QUIT; RFC 5321 4.3.2) over the slot's stream,
//! and the reply framing it reads with (RFC 5321 4.2): lines "DDD-text" continue a reply,
//! "DDD text" (or "DDD" alone) ends it; the framing is pure.

use std::fmt;

use crate::probe::outcome::Reason;
use crate::probe::{BoundedWriter, Io, ProbeSlot, BUF_BYTES};

/// SMTP dialogue stage: which reply is awaited.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Stage {
    Banner,
    Helo,
    Quit,
}

/// What one read pass of an SMTP dialogue concluded.
pub(super) enum ReadStep {
    Wait,
    Send,
    Up,
}

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

impl ProbeSlot {
    pub(super) fn smtp_read(&mut self, helo_name: &str) -> Result<ReadStep, Reason> {
        // Each read adds at least one byte to a buffer that is bounded.
        for _ in 0..(BUF_BYTES + 2) {
            let Io::Tcp(s) = &mut self.io else {
                return Err(Reason::Local(libc::EBADF));
            };
            if self.filled == self.buf.len() {
                return Err(Reason::BadReply("SMTP reply too long"));
            }
            let Some(n) = s.read(&mut self.buf[self.filled..], &mut self.socket_calls)? else {
                return Ok(ReadStep::Wait);
            };
            if n == 0 {
                // A server that hangs up after our QUIT has done all we asked.
                return if self.smtp == Stage::Quit {
                    Ok(ReadStep::Up)
                } else {
                    Err(Reason::ClosedEarly)
                };
            }
            self.filled += n;
            let Some((code, used)) = reply(&self.buf[..self.filled])? else {
                continue;
            };
            self.buf.copy_within(used..self.filled, 0);
            self.filled -= used;
            // RFC 5321 4.3.2: 220 greeting, 250 to HELO, 221 to QUIT.
            let (want, next) = match self.smtp {
                Stage::Banner => (220, Stage::Helo),
                Stage::Helo => (250, Stage::Quit),
                Stage::Quit => (221, Stage::Quit),
            };
            if code != want {
                return Err(Reason::SmtpCode(code));
            }
            if self.smtp == Stage::Quit {
                return Ok(ReadStep::Up);
            }
            let mut w = BoundedWriter::new(self.req);
            let res = if next == Stage::Helo {
                fmt::Write::write_fmt(&mut w, format_args!("HELO {}\r\n", helo_name))
            } else {
                fmt::Write::write_str(&mut w, "QUIT\r\n")
            };
            res.map_err(|_| Reason::Local(libc::ENAMETOOLONG))?;
            self.req_len = w.len();
            self.sent = 0;
            self.smtp = next;
            return Ok(ReadStep::Send);
        }
        Ok(ReadStep::Wait)
    }
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
