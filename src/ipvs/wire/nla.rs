//! Netlink attributes (struct nlattr, linux/netlink.h): the one place that writes NLA
//! headers, padding and the NLA_F_NESTED flag (`NlaWriter`), and the one iterator that
//! reads them (`NlaIter`), which stops at the first malformed attribute.

use std::marker::PhantomData;
use std::net::{Ipv4Addr, Ipv6Addr};

use super::endian::{take, Endian};
use super::uapi::{NLA_ALIGNTO, NLA_F_NESTED, NLA_TYPE_MASK};
use super::WireError;

/// struct nlattr { __u16 nla_len; __u16 nla_type; }
pub const NLA_HDRLEN: usize = 4;

/// NLA_ALIGN(len).
pub const fn nla_align(len: usize) -> usize {
    (len + NLA_ALIGNTO - 1) & !(NLA_ALIGNTO - 1)
}

/// Writes attributes into a byte buffer. Overflow is sticky: once a write does not fit,
/// nothing more is written and `finish` reports how many bytes were needed, so a writer
/// over an empty slice measures a message (`buffer_len`) with the same code that emits it.
pub struct NlaWriter<'a, E: Endian> {
    buf: &'a mut [u8],
    pos: usize,
    overflow: bool,
    _order: PhantomData<E>,
}

impl<'a, E: Endian> NlaWriter<'a, E> {
    pub fn new(buf: &'a mut [u8]) -> Self {
        NlaWriter {
            buf,
            pos: 0,
            overflow: false,
            _order: PhantomData,
        }
    }

    /// Bytes written (or, after an overflow, bytes that would have been written).
    pub fn len(&self) -> usize {
        self.pos
    }

    pub fn is_empty(&self) -> bool {
        self.pos == 0
    }

    /// The length written, or the space that would have been needed.
    pub fn finish(self) -> Result<usize, WireError> {
        if self.overflow {
            Err(WireError::BufferTooSmall {
                need: self.pos,
                have: self.buf.len(),
            })
        } else {
            Ok(self.pos)
        }
    }

    /// Appends raw bytes (headers written by the caller), padded to 4 bytes.
    pub fn raw(&mut self, bytes: &[u8]) {
        let padded = nla_align(bytes.len());
        let end = self.pos + padded;
        if !self.overflow && end <= self.buf.len() {
            self.buf[self.pos..self.pos + bytes.len()].copy_from_slice(bytes);
            self.buf[self.pos + bytes.len()..end].fill(0);
        } else {
            self.overflow = true;
        }
        self.pos = end;
    }

    fn header(&mut self, kind: u16, payload_len: usize) {
        // nla_len is 16 bits; every attribute we emit is far smaller, and a nested one
        // is bounded by the send buffer (see `end_nested`).
        let len = (NLA_HDRLEN + payload_len).min(u16::MAX as usize) as u16;
        let mut h = [0u8; NLA_HDRLEN];
        h[..2].copy_from_slice(&E::put_u16(len));
        h[2..].copy_from_slice(&E::put_u16(kind));
        self.raw(&h);
    }

    /// One attribute with `payload` (header, payload, zero padding).
    pub fn put(&mut self, kind: u16, payload: &[u8]) {
        self.header(kind, payload.len());
        self.raw(payload);
    }

    pub fn put_u8(&mut self, kind: u16, v: u8) {
        self.put(kind, &[v]);
    }
    pub fn put_u16(&mut self, kind: u16, v: u16) {
        self.put(kind, &E::put_u16(v));
    }
    pub fn put_u32(&mut self, kind: u16, v: u32) {
        self.put(kind, &E::put_u32(v));
    }
    pub fn put_u64(&mut self, kind: u16, v: u64) {
        self.put(kind, &E::put_u64(v));
    }
    /// A `__be16` attribute (ports).
    pub fn put_be16(&mut self, kind: u16, v: u16) {
        self.put(kind, &v.to_be_bytes());
    }
    /// A `__be32` attribute (IPv4 netmask, IPv4 multicast group).
    pub fn put_be32(&mut self, kind: u16, v: u32) {
        self.put(kind, &v.to_be_bytes());
    }
    /// A NUL-terminated string attribute (NLA_NUL_STRING / NLA_STRING in the kernel).
    pub fn put_str(&mut self, kind: u16, s: &str) {
        self.header(kind, s.len() + 1);
        let start = self.pos;
        let end = start + nla_align(s.len() + 1);
        if !self.overflow && end <= self.buf.len() {
            self.buf[start..start + s.len()].copy_from_slice(s.as_bytes());
            self.buf[start + s.len()..end].fill(0);
        } else {
            self.overflow = true;
        }
        self.pos = end;
    }

    /// Opens a nested attribute; returns the token `end_nested` needs.
    pub fn begin_nested(&mut self, kind: u16) -> usize {
        let at = self.pos;
        self.header(kind | NLA_F_NESTED, 0);
        at
    }

    /// Closes the nested attribute opened at `at`, fixing its length.
    pub fn end_nested(&mut self, at: usize) {
        let len = (self.pos - at).min(u16::MAX as usize) as u16;
        if !self.overflow {
            self.buf[at..at + 2].copy_from_slice(&E::put_u16(len));
        }
    }
}

/// A set of attributes that knows how to write itself. `buffer_len` measures with the
/// same code that emits, so the two cannot disagree.
pub trait Attrs {
    fn write<E: Endian>(&self, w: &mut NlaWriter<'_, E>);

    fn buffer_len(&self) -> usize {
        let mut w = NlaWriter::<super::endian::Native>::new(&mut []);
        self.write(&mut w);
        w.len()
    }

    /// Writes the attributes into `buf` (which should hold `buffer_len()` bytes) and
    /// returns the length; an undersized buffer gets nothing past its end and the
    /// returned length exceeds `buf.len()`.
    fn emit<E: Endian>(&self, buf: &mut [u8]) -> usize {
        let mut w = NlaWriter::<E>::new(buf);
        self.write(&mut w);
        w.len()
    }
}

/// One attribute as read: its type (flags removed), whether NLA_F_NESTED was set, and
/// its payload (without padding). Accessors check sizes and never panic.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Nla<'a> {
    pub kind: u16,
    pub nested_flag: bool,
    pub payload: &'a [u8],
}

impl<'a> Nla<'a> {
    fn exact<const N: usize>(&self, what: &'static str) -> Result<[u8; N], WireError> {
        // The kernel pads u8/u16 attributes to 4 bytes but nla_len counts only the
        // value, so the payload must be exactly the value's size.
        if self.payload.len() != N {
            return Err(WireError::BadLength {
                what,
                len: self.payload.len(),
            });
        }
        take::<N>(self.payload, 0).ok_or(WireError::BadLength {
            what,
            len: self.payload.len(),
        })
    }

    pub fn u8(&self, what: &'static str) -> Result<u8, WireError> {
        Ok(self.exact::<1>(what)?[0])
    }
    pub fn u16<E: Endian>(&self, what: &'static str) -> Result<u16, WireError> {
        Ok(E::get_u16(self.exact::<2>(what)?))
    }
    pub fn u32<E: Endian>(&self, what: &'static str) -> Result<u32, WireError> {
        Ok(E::get_u32(self.exact::<4>(what)?))
    }
    pub fn u64<E: Endian>(&self, what: &'static str) -> Result<u64, WireError> {
        Ok(E::get_u64(self.exact::<8>(what)?))
    }
    pub fn be16(&self, what: &'static str) -> Result<u16, WireError> {
        Ok(u16::from_be_bytes(self.exact::<2>(what)?))
    }
    pub fn be32(&self, what: &'static str) -> Result<u32, WireError> {
        Ok(u32::from_be_bytes(self.exact::<4>(what)?))
    }

    /// A string attribute: bytes up to the first NUL (or the end), which must be UTF-8.
    pub fn str(&self, what: &'static str) -> Result<&'a str, WireError> {
        let end = self
            .payload
            .iter()
            .position(|&b| b == 0)
            .unwrap_or(self.payload.len());
        std::str::from_utf8(&self.payload[..end]).map_err(|_| WireError::BadValue {
            what,
            value: end as u64,
        })
    }

    /// An address of family `inet6` (false: IPv4). The kernel sends union nf_inet_addr
    /// (16 bytes) even for IPv4, whose address is the first 4 bytes; userspace sends 4.
    pub fn ipv4(&self, what: &'static str) -> Result<Ipv4Addr, WireError> {
        match self.payload.len() {
            4 | 16 => take::<4>(self.payload, 0)
                .map(Ipv4Addr::from)
                .ok_or(WireError::BadLength { what, len: 0 }),
            len => Err(WireError::BadLength { what, len }),
        }
    }

    pub fn ipv6(&self, what: &'static str) -> Result<Ipv6Addr, WireError> {
        Ok(Ipv6Addr::from(self.exact::<16>(what)?))
    }

    /// The attributes nested inside this one.
    pub fn nested<E: Endian>(&self) -> NlaIter<'a, E> {
        NlaIter::new(self.payload)
    }
}

/// Iterates the attributes in a byte slice. Yields `Err` once for the first malformed
/// attribute (length below the header or past the end) and then stops; the iteration
/// count is bounded by the slice length because every step consumes at least 4 bytes.
pub struct NlaIter<'a, E: Endian> {
    rest: &'a [u8],
    done: bool,
    _order: PhantomData<E>,
}

impl<'a, E: Endian> NlaIter<'a, E> {
    pub fn new(bytes: &'a [u8]) -> Self {
        NlaIter {
            rest: bytes,
            done: false,
            _order: PhantomData,
        }
    }
}

impl<'a, E: Endian> Iterator for NlaIter<'a, E> {
    type Item = Result<Nla<'a>, WireError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done || self.rest.is_empty() {
            return None;
        }
        let Some(hdr) = take::<NLA_HDRLEN>(self.rest, 0) else {
            self.done = true;
            return Some(Err(WireError::Truncated {
                what: "attribute header",
                need: NLA_HDRLEN,
                have: self.rest.len(),
            }));
        };
        let len = E::get_u16([hdr[0], hdr[1]]) as usize;
        let kind = E::get_u16([hdr[2], hdr[3]]);
        if len < NLA_HDRLEN || len > self.rest.len() {
            self.done = true;
            return Some(Err(if len < NLA_HDRLEN {
                WireError::BadLength {
                    what: "attribute",
                    len,
                }
            } else {
                WireError::Truncated {
                    what: "attribute",
                    need: len,
                    have: self.rest.len(),
                }
            }));
        }
        let payload = &self.rest[NLA_HDRLEN..len];
        // The last attribute may omit its trailing padding.
        let advance = nla_align(len).min(self.rest.len());
        self.rest = &self.rest[advance..];
        Some(Ok(Nla {
            kind: kind & NLA_TYPE_MASK,
            nested_flag: kind & NLA_F_NESTED != 0,
            payload,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::super::endian::{Big, Little};
    use super::*;

    #[test]
    fn writer_pads_and_nests() {
        let mut buf = [0xaau8; 32];
        let mut w = NlaWriter::<Little>::new(&mut buf);
        let at = w.begin_nested(1);
        w.put_u8(2, 0x11);
        w.put_str(3, "rr");
        w.end_nested(at);
        assert_eq!(w.finish(), Ok(20));
        #[rustfmt::skip]
        let want = [
            20, 0, 0x01, 0x80,         // nla_len 20, type 1 | NLA_F_NESTED
            5, 0, 2, 0, 0x11, 0, 0, 0, // u8 attr: len 5 (no padding counted), 3 pad bytes
            7, 0, 3, 0, b'r', b'r', 0, 0, // "rr\0": len 7, 1 pad byte
        ];
        assert_eq!(&buf[..20], &want);
        assert_eq!(buf[20], 0xaa, "nothing written past the end");
    }

    #[test]
    fn writer_big_endian_headers() {
        let mut buf = [0u8; 8];
        let mut w = NlaWriter::<Big>::new(&mut buf);
        w.put_u32(0x0102, 0x0a0b0c0d);
        assert_eq!(w.finish(), Ok(8));
        assert_eq!(buf, [0, 8, 1, 2, 0x0a, 0x0b, 0x0c, 0x0d]);
    }

    #[test]
    fn writer_overflow_is_sticky_and_measures() {
        let mut buf = [0u8; 6];
        let mut w = NlaWriter::<Little>::new(&mut buf);
        w.put_u32(1, 1);
        w.put_u16(2, 2);
        assert_eq!(
            w.finish(),
            Err(WireError::BufferTooSmall { need: 16, have: 6 })
        );
        let mut w = NlaWriter::<Little>::new(&mut []);
        w.put_str(1, "abcd");
        assert_eq!(w.len(), 12);
    }

    #[test]
    fn iterator_reads_values_and_flags() {
        #[rustfmt::skip]
        let bytes = [
            6, 0, 4, 0, 0x1f, 0x90, 0, 0,     // type 4, be16 8080
            12, 0, 1, 0x80,                   // nested type 1
                8, 0, 2, 0, 7, 0, 0, 0,       //   u32 7
        ];
        let mut it = NlaIter::<Little>::new(&bytes);
        let a = it.next().unwrap().unwrap();
        assert_eq!((a.kind, a.nested_flag), (4, false));
        assert_eq!(a.be16("port"), Ok(8080));
        let n = it.next().unwrap().unwrap();
        assert_eq!((n.kind, n.nested_flag), (1, true));
        let inner: Vec<_> = n.nested::<Little>().collect();
        assert_eq!(inner.len(), 1);
        assert_eq!(inner[0].unwrap().u32::<Little>("x"), Ok(7));
        assert!(it.next().is_none());
    }

    #[test]
    fn iterator_stops_at_first_malformed() {
        // Second attribute claims 40 bytes; the third is never reached.
        let bytes = [
            8, 0, 1, 0, 1, 0, 0, 0, 40, 0, 2, 0, 0, 0, 0, 0, 8, 0, 3, 0, 0, 0, 0, 0,
        ];
        let got: Vec<_> = NlaIter::<Little>::new(&bytes).collect();
        assert_eq!(got.len(), 2);
        assert!(got[0].is_ok());
        assert_eq!(
            got[1],
            Err(WireError::Truncated {
                what: "attribute",
                need: 40,
                have: 16
            })
        );
        // Length below the header size.
        let got: Vec<_> = NlaIter::<Little>::new(&[2, 0, 1, 0]).collect();
        assert_eq!(
            got,
            vec![Err(WireError::BadLength {
                what: "attribute",
                len: 2
            })]
        );
        // A 3-byte tail.
        let got: Vec<_> = NlaIter::<Little>::new(&[8, 0, 1, 0, 0, 0, 0, 0, 1, 2, 3]).collect();
        assert!(got[0].is_ok());
        assert!(matches!(got[1], Err(WireError::Truncated { .. })));
        assert_eq!(got.len(), 2);
    }

    #[test]
    fn accessors_check_sizes() {
        let a = Nla {
            kind: 1,
            nested_flag: false,
            payload: &[1, 2, 3],
        };
        assert_eq!(
            a.u32::<Little>("weight"),
            Err(WireError::BadLength {
                what: "weight",
                len: 3
            })
        );
        assert!(a.ipv4("addr").is_err());
        assert!(a.ipv6("addr").is_err());
        let s = Nla {
            kind: 1,
            nested_flag: false,
            payload: b"wlc\0\0",
        };
        assert_eq!(s.str("sched"), Ok("wlc"));
        let bad = Nla {
            kind: 1,
            nested_flag: false,
            payload: &[0xff, 0xfe, 0],
        };
        assert!(bad.str("sched").is_err());
        let v4in16 = Nla {
            kind: 1,
            nested_flag: false,
            payload: &[192, 0, 2, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
        };
        assert_eq!(v4in16.ipv4("addr"), Ok(Ipv4Addr::new(192, 0, 2, 1)));
    }
}
