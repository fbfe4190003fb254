//! DNS_CHECK: a query on a connected UDP socket and the check of its answer. The wire
//! format (RFC 1035 4.1) is pure functions on byte slices: every read is bounds-checked,
//! compression pointers must point strictly backwards (so they cannot loop) and are
//! counted, names are limited to 255 bytes (RFC 1035 3.1).

use mio::Registry;

use crate::model::config::{Check, DnsCheck};
use crate::probe::outcome::{Reason, Up};
use crate::probe::{bind_addr, next_id, reason_of, sys, ProbeSlot};

const HEADER: usize = 12;
/// RFC 1035 2.3.4.
const MAX_NAME: usize = 255;
const MAX_LABEL: usize = 63;
/// Compression pointers followed in one name.
const MAX_POINTERS: usize = 64;
/// Header flag bits (RFC 1035 4.1.1).
const FLAG_QR: u16 = 0x8000;
const FLAG_RD: u16 = 0x0100;
const CLASS_IN: u16 = 1;

/// Why an answer is not acceptable.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Error {
    Truncated,
    IdMismatch,
    NotResponse,
    Rcode(u8),
    PointerLoop,
    BadLabel,
    NameTooLong,
    QuestionMismatch,
}

impl Error {
    /// The reason users read.
    pub fn reason(self) -> Reason {
        Reason::BadReply(match self {
            Error::Rcode(rc) => return Reason::DnsRcode(rc),
            Error::Truncated => "DNS reply truncated",
            Error::IdMismatch => "DNS id mismatch",
            Error::NotResponse => "DNS reply without QR bit",
            Error::PointerLoop => "DNS compression pointer loop",
            Error::BadLabel => "DNS bad label",
            Error::NameTooLong => "DNS name too long",
            Error::QuestionMismatch => "DNS question mismatch",
        })
    }
}

/// Writes a standard query (RD set, one question, class IN) for `name` and `qtype` into
/// `out`. `name` is dotted; "." or "" is the root. None if the name is invalid or `out`
/// is too small.
pub fn write_query(out: &mut [u8], id: u16, name: &str, qtype: u16) -> Option<usize> {
    let hdr = out.get_mut(..HEADER)?;
    hdr[0..2].copy_from_slice(&id.to_be_bytes());
    hdr[2..4].copy_from_slice(&FLAG_RD.to_be_bytes());
    hdr[4..6].copy_from_slice(&1u16.to_be_bytes());
    hdr[6..12].fill(0);
    let mut pos = HEADER;
    let trimmed = name.strip_suffix('.').unwrap_or(name);
    if !trimmed.is_empty() {
        for label in trimmed.split('.') {
            if label.is_empty() || label.len() > MAX_LABEL {
                return None;
            }
            *out.get_mut(pos)? = label.len() as u8;
            out.get_mut(pos + 1..pos + 1 + label.len())?
                .copy_from_slice(label.as_bytes());
            pos += 1 + label.len();
        }
    }
    *out.get_mut(pos)? = 0;
    pos += 1;
    if pos - HEADER > MAX_NAME {
        return None;
    }
    let tail = out.get_mut(pos..pos + 4)?;
    tail[..2].copy_from_slice(&qtype.to_be_bytes());
    tail[2..].copy_from_slice(&CLASS_IN.to_be_bytes());
    Some(pos + 4)
}

fn be16(msg: &[u8], at: usize) -> Result<u16, Error> {
    match msg.get(at..at + 2) {
        Some(b) => Ok(u16::from_be_bytes([b[0], b[1]])),
        None => Err(Error::Truncated),
    }
}

/// Reads the (possibly compressed) name at `pos` into `out` in uncompressed wire form.
/// Returns the position after the name in the original sequence and the name's length.
pub fn read_name(
    msg: &[u8],
    pos: usize,
    out: &mut [u8; MAX_NAME],
) -> Result<(usize, usize), Error> {
    let mut at = pos;
    let mut len = 0;
    let mut after = None;
    let mut pointers = 0;
    // Each pass consumes one label or follows one pointer; labels advance `at` and the
    // name length (bounded by MAX_NAME), pointers go strictly backwards and are counted.
    loop {
        let b = *msg.get(at).ok_or(Error::Truncated)?;
        match b & 0xc0 {
            0x00 => {
                let l = usize::from(b);
                if len + 1 + l > MAX_NAME {
                    return Err(Error::NameTooLong);
                }
                out[len] = b;
                if l == 0 {
                    return Ok((after.unwrap_or(at + 1), len + 1));
                }
                let label = msg.get(at + 1..at + 1 + l).ok_or(Error::Truncated)?;
                out[len + 1..len + 1 + l].copy_from_slice(label);
                len += 1 + l;
                at += 1 + l;
            }
            0xc0 => {
                let target = usize::from(be16(msg, at)? & 0x3fff);
                pointers += 1;
                if target >= at || pointers > MAX_POINTERS {
                    return Err(Error::PointerLoop);
                }
                if after.is_none() {
                    after = Some(at + 2);
                }
                at = target;
            }
            // 0x40 and 0x80 are reserved label types (RFC 6891 retired 0x40).
            _ => return Err(Error::BadLabel),
        }
    }
}

/// Checks `msg` as the answer to `query` (as written by `write_query`): same id, QR set,
/// rcode NOERROR, the same single question, and every record well-formed.
pub fn check_reply(msg: &[u8], id: u16, query: &[u8]) -> Result<(), Error> {
    if msg.len() < HEADER {
        return Err(Error::Truncated);
    }
    if be16(msg, 0)? != id {
        return Err(Error::IdMismatch);
    }
    let flags = be16(msg, 2)?;
    if flags & FLAG_QR == 0 {
        return Err(Error::NotResponse);
    }
    let rcode = (flags & 0x000f) as u8;
    if rcode != 0 {
        return Err(Error::Rcode(rcode));
    }
    let qd = be16(msg, 4)?;
    let records = u32::from(be16(msg, 6)?) + u32::from(be16(msg, 8)?) + u32::from(be16(msg, 10)?);
    if qd != 1 {
        return Err(Error::QuestionMismatch);
    }
    let mut name = [0u8; MAX_NAME];
    let (mut pos, len) = read_name(msg, HEADER, &mut name)?;
    let qtype_class = msg.get(pos..pos + 4).ok_or(Error::Truncated)?;
    pos += 4;
    let mut ours = [0u8; MAX_NAME];
    let (qpos, qlen) = read_name(query, HEADER, &mut ours).map_err(|_| Error::QuestionMismatch)?;
    if !name[..len].eq_ignore_ascii_case(&ours[..qlen])
        || query.get(qpos..qpos + 4) != Some(qtype_class)
    {
        return Err(Error::QuestionMismatch);
    }
    // Every record is at least 11 bytes, so a count beyond what the message can hold is
    // caught as truncation within msg.len() / 11 passes.
    for _ in 0..records {
        let (next, _) = read_name(msg, pos, &mut name)?;
        let rdlen = usize::from(be16(msg, next + 8)?);
        pos = next + 10 + rdlen;
        if pos > msg.len() {
            return Err(Error::Truncated);
        }
    }
    Ok(())
}

impl ProbeSlot {
    pub(super) fn open_dns(
        &mut self,
        check: &Check,
        d: &DnsCheck,
        registry: &Registry,
    ) -> Result<(), Reason> {
        self.reset_buffers();
        self.id = next_id();
        self.req_len =
            write_query(self.req, self.id, &d.name, d.qtype).ok_or(Reason::Local(libc::EINVAL))?;
        self.open_dgram(
            sys::SockKind::Udp,
            check.target,
            bind_addr(check),
            &check.sock,
            registry,
        )
        .map_err(|e| reason_of(&e))
    }

    pub(super) fn dns_read(&mut self) -> Result<Option<Up>, Reason> {
        let id = self.id;
        self.dgram_read(|reply, query| Some(check_reply(reply, id, query).map_err(Error::reason)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(name: &str, qtype: u16) -> Vec<u8> {
        let mut b = [0u8; 512];
        let n = write_query(&mut b, 0x1234, name, qtype).unwrap();
        b[..n].to_vec()
    }

    /// An answer to `query(name, 1)`: header, the question, one A record whose owner is
    /// a pointer to the question name (offset 12).
    fn answer(q: &[u8], rcode: u8) -> Vec<u8> {
        let mut a = q.to_vec();
        a[2] = 0x81; // QR, RD
        a[3] = 0x80 | rcode; // RA, rcode
        a[7] = 1; // ANCOUNT
        a.extend_from_slice(&[0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 127, 0, 0, 1]);
        a
    }

    #[test]
    fn query_bytes() {
        assert_eq!(
            query("example.org", 6),
            [
                0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, // header
                7, b'e', b'x', b'a', b'm', b'p', b'l', b'e', 3, b'o', b'r', b'g', 0, // name
                0, 6, 0, 1 // SOA, IN
            ]
        );
        assert_eq!(
            query(".", 6),
            [0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 6, 0, 1]
        );
        let mut b = [0u8; 512];
        assert_eq!(write_query(&mut b, 1, "a..b", 1), None);
        assert_eq!(write_query(&mut b, 1, &"x".repeat(64), 1), None);
        assert_eq!(write_query(&mut [0u8; 20], 1, "example.org", 1), None);
    }

    #[test]
    fn good_answer() {
        let q = query("Example.org", 1);
        let mut a = answer(&q, 0);
        // Servers may change the case of the name (0x20 randomisation).
        a[13] = b'e';
        assert_eq!(check_reply(&a, 0x1234, &q), Ok(()));
    }

    #[test]
    fn bad_answers() {
        let q = query("example.org", 1);
        let a = answer(&q, 0);
        assert_eq!(check_reply(&a, 0x1235, &q), Err(Error::IdMismatch));
        assert_eq!(
            check_reply(&answer(&q, 3), 0x1234, &q),
            Err(Error::Rcode(3))
        );
        assert_eq!(Error::Rcode(3).reason().to_string(), "DNS rcode 3");
        let mut nq = a.clone();
        nq[2] = 0x01;
        assert_eq!(check_reply(&nq, 0x1234, &q), Err(Error::NotResponse));
        for cut in 0..a.len() {
            assert!(check_reply(&a[..cut], 0x1234, &q).is_err(), "cut at {cut}");
        }
        assert_eq!(
            check_reply(&a[..a.len() - 1], 0x1234, &q),
            Err(Error::Truncated)
        );
        let other = answer(&query("example.com", 1), 0);
        assert_eq!(
            check_reply(&other, 0x1234, &q),
            Err(Error::QuestionMismatch)
        );
    }

    #[test]
    fn looping_and_forward_pointers() {
        let q = query("example.org", 1);
        let mut a = answer(&q, 0);
        let rr = q.len();
        // Owner name points at itself.
        a[rr] = 0xc0;
        a[rr + 1] = rr as u8;
        assert_eq!(check_reply(&a, 0x1234, &q), Err(Error::PointerLoop));
        // Points forward (into its own rdata).
        a[rr + 1] = (rr + 12) as u8;
        assert_eq!(check_reply(&a, 0x1234, &q), Err(Error::PointerLoop));
        // Two names pointing at each other.
        let msg = [0u8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xc0, 14, 0xc0, 12];
        let mut out = [0u8; MAX_NAME];
        assert_eq!(read_name(&msg, 14, &mut out), Err(Error::PointerLoop));
        // Reserved label type.
        a[rr] = 0x40;
        assert_eq!(check_reply(&a, 0x1234, &q), Err(Error::BadLabel));
    }

    #[test]
    fn name_length_is_bounded() {
        // 5 labels of 63 bytes = 320 bytes > 255.
        let mut msg = vec![0u8; HEADER];
        for _ in 0..5 {
            msg.push(63);
            msg.extend_from_slice(&[b'a'; 63]);
        }
        msg.push(0);
        let mut out = [0u8; MAX_NAME];
        assert_eq!(read_name(&msg, HEADER, &mut out), Err(Error::NameTooLong));
    }
}
