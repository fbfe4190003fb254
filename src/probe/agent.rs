//! `agent_check` (lvsmon extension): HAProxy's agent protocol. lvsmon connects to the
//! agent, sends nothing, and reads one line (HAProxy's configuration manual,
//! "agent-check"): words separated by spaces, tabs or commas, in any order, ended by an
//! optional CR and/or LF (or by the agent closing the connection), each one of
//! - `N%`: a weight of N percent of the configured one (0 to 100 here; more is refused),
//! - `maxconn:N`: accepted and ignored (IPVS has no per-server connection cap to set;
//!   `uthreshold` is configuration, not the agent's),
//! - `ready`, `drain`, `maint`: the administrative state,
//! - `up`, `down`, `fail`, `failed`, `stopped`: the operational state; a down word may
//!   be followed by a description after `#`, which ends the line.
//!
//! Words are matched without regard to case. A line with any other word, a percentage
//! out of range, or longer than `MAX_LINE` bytes is refused whole (`Reason::BadReply`):
//! applying half of a reply that was not understood could leave a server in a state
//! its agent never asked for. The grammar is pure; the read runs on the slot's stream.

use crate::probe::outcome::{Admin, AgentReply, Reason, Up};
use crate::probe::{Io, ProbeSlot};

/// Longest reply line read: a real one is a few words. An agent that sends more
/// without a line end is refused, and nothing past this is read.
pub const MAX_LINE: usize = 512;

/// Parses one reply line (without its line end).
pub fn parse(line: &[u8]) -> Result<AgentReply, &'static str> {
    // A description after '#' ends the meaningful part (HAProxy: after a down word).
    let line = match line.iter().position(|&b| b == b'#') {
        Some(i) => &line[..i],
        None => line,
    };
    let mut reply = AgentReply::default();
    let mut words = 0;
    for word in line
        .split(|&b| matches!(b, b' ' | b'\t' | b','))
        .filter(|w| !w.is_empty())
    {
        words += 1;
        if let Some(digits) = word.strip_suffix(b"%") {
            reply.percent = Some(percent(digits)?);
            continue;
        }
        if word.len() > 8 && word[..8].eq_ignore_ascii_case(b"maxconn:") {
            if !word[8..].iter().all(u8::is_ascii_digit) {
                return Err("maxconn: needs a number");
            }
            continue;
        }
        let is = |w: &str| word.eq_ignore_ascii_case(w.as_bytes());
        if is("ready") {
            reply.admin = Some(Admin::Ready);
        } else if is("drain") {
            reply.admin = Some(Admin::Drain);
        } else if is("maint") {
            reply.admin = Some(Admin::Maint);
        } else if is("up") {
            reply.up = Some(true);
        } else if is("down") || is("fail") || is("failed") || is("stopped") {
            reply.up = Some(false);
        } else {
            return Err("unknown word");
        }
    }
    if words == 0 {
        return Err("empty reply");
    }
    Ok(reply)
}

fn percent(digits: &[u8]) -> Result<u8, &'static str> {
    if digits.is_empty() || digits.len() > 3 || !digits.iter().all(u8::is_ascii_digit) {
        return Err("a percentage needs a whole number");
    }
    let n = digits
        .iter()
        .fold(0u32, |n, d| n * 10 + u32::from(d - b'0'));
    if n > 100 {
        return Err("percentage over 100");
    }
    Ok(n as u8)
}

/// The first line of `buf` (without its CR/LF) if a line end is there.
fn first_line(buf: &[u8]) -> Option<&[u8]> {
    let nl = buf.iter().position(|&b| b == b'\n')?;
    let line = &buf[..nl];
    Some(line.strip_suffix(b"\r").unwrap_or(line))
}

impl ProbeSlot {
    /// Reads the agent's line. Ok(None): more bytes to come.
    pub(super) fn agent_read(&mut self) -> Result<Option<Up>, Reason> {
        // Each read adds at least one byte to a buffer bounded by MAX_LINE + 1.
        for _ in 0..(MAX_LINE + 2) {
            let Io::Tcp(s) = &mut self.io else {
                return Err(Reason::Local(libc::EBADF));
            };
            let room = (MAX_LINE + 1).min(self.buf.len());
            if self.filled >= room {
                return Err(Reason::BadReply("agent reply longer than 512 bytes"));
            }
            let Some(n) = s.read(&mut self.buf[self.filled..room], &mut self.socket_calls)? else {
                return Ok(None);
            };
            if n == 0 {
                // Closed: what came is the reply (HAProxy reads up to the close too).
                if self.filled == 0 {
                    return Err(Reason::ClosedEarly);
                }
                let all = &self.buf[..self.filled];
                let line = all.strip_suffix(b"\r").unwrap_or(all);
                return reply_of(line);
            }
            let start = self.filled;
            self.filled += n;
            if self.buf[start..self.filled].contains(&b'\n') {
                let line = first_line(&self.buf[..self.filled]).unwrap_or_default();
                if line.len() > MAX_LINE {
                    return Err(Reason::BadReply("agent reply longer than 512 bytes"));
                }
                return reply_of(line);
            }
        }
        Ok(None)
    }
}

fn reply_of(line: &[u8]) -> Result<Option<Up>, Reason> {
    match parse(line) {
        Ok(r) => Ok(Some(Up {
            weight: None,
            agent: Some(r),
        })),
        Err(why) => Err(Reason::BadReply(why)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(s: &str) -> AgentReply {
        parse(s.as_bytes()).unwrap_or_else(|e| panic!("{:?}: {}", s, e))
    }

    #[test]
    fn every_keyword() {
        let r = |percent, admin, up| AgentReply { percent, admin, up };
        assert_eq!(ok("75%"), r(Some(75), None, None));
        assert_eq!(ok("0%"), r(Some(0), None, None));
        assert_eq!(ok("100%"), r(Some(100), None, None));
        assert_eq!(ok("ready"), r(None, Some(Admin::Ready), None));
        assert_eq!(ok("drain"), r(None, Some(Admin::Drain), None));
        assert_eq!(ok("maint"), r(None, Some(Admin::Maint), None));
        assert_eq!(ok("up"), r(None, None, Some(true)));
        for w in ["down", "fail", "failed", "stopped", "DOWN", "Stopped"] {
            assert_eq!(ok(w), r(None, None, Some(false)), "{}", w);
        }
        assert_eq!(ok("maxconn:30"), r(None, None, None));
        // Several words, any separators, any order; the last of a kind wins.
        assert_eq!(
            ok("up, 50%\tready"),
            r(Some(50), Some(Admin::Ready), Some(true))
        );
        assert_eq!(ok("drain 10% 20%"), r(Some(20), Some(Admin::Drain), None));
        assert_eq!(
            ok("stopped#for maintenance, back at 5"),
            r(None, None, Some(false))
        );
        assert_eq!(ok("  ,up,  "), r(None, None, Some(true)));
    }

    #[test]
    fn malformed_lines_are_refused_whole() {
        for (line, why) in [
            ("101%", "percentage over 100"),
            ("150% up", "percentage over 100"),
            ("%", "a percentage needs a whole number"),
            ("-5%", "a percentage needs a whole number"),
            ("5.5%", "a percentage needs a whole number"),
            ("1000%", "a percentage needs a whole number"),
            ("up sideways", "unknown word"),
            ("upp", "unknown word"),
            ("maxconn:x", "maxconn: needs a number"),
            ("", "empty reply"),
            (" , \t", "empty reply"),
            ("#only a comment", "empty reply"),
        ] {
            assert_eq!(parse(line.as_bytes()), Err(why), "{:?}", line);
        }
        assert_eq!(parse(&[0xff, b'u', b'p']), Err("unknown word"));
    }

    #[test]
    fn the_first_line_is_the_reply() {
        assert_eq!(first_line(b"up\r\n50%\n"), Some(&b"up"[..]));
        assert_eq!(first_line(b"up\n"), Some(&b"up"[..]));
        assert_eq!(first_line(b"up"), None);
    }
}
