//! Netlink message framing (struct nlmsghdr and struct nlmsgerr, linux/netlink.h): the
//! header value, an iterator over the messages of one received datagram that checks
//! every nlmsg_len against the bytes actually there, and the classification of a
//! message as data, ack, error or end of dump.

use std::marker::PhantomData;

use super::endian::{take, Endian};
use super::uapi::{NLMSG_ALIGNTO, NLMSG_DONE, NLMSG_ERROR, NLMSG_HDRLEN, NLMSG_NOOP};
use super::WireError;

/// NLMSG_ALIGN(len).
pub const fn nlmsg_align(len: usize) -> usize {
    (len + NLMSG_ALIGNTO - 1) & !(NLMSG_ALIGNTO - 1)
}

/// struct nlmsghdr: all fields host order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NlmsgHeader {
    pub len: u32,
    pub kind: u16,
    pub flags: u16,
    pub seq: u32,
    pub pid: u32,
}

impl NlmsgHeader {
    pub const fn buffer_len(&self) -> usize {
        NLMSG_HDRLEN
    }

    /// Writes the 16 header bytes. `buf` must hold NLMSG_HDRLEN bytes.
    pub fn emit<E: Endian>(&self, buf: &mut [u8]) -> usize {
        buf[0..4].copy_from_slice(&E::put_u32(self.len));
        buf[4..6].copy_from_slice(&E::put_u16(self.kind));
        buf[6..8].copy_from_slice(&E::put_u16(self.flags));
        buf[8..12].copy_from_slice(&E::put_u32(self.seq));
        buf[12..16].copy_from_slice(&E::put_u32(self.pid));
        NLMSG_HDRLEN
    }

    pub fn parse<E: Endian>(bytes: &[u8]) -> Result<NlmsgHeader, WireError> {
        let h = take::<NLMSG_HDRLEN>(bytes, 0).ok_or(WireError::Truncated {
            what: "nlmsghdr",
            need: NLMSG_HDRLEN,
            have: bytes.len(),
        })?;
        Ok(NlmsgHeader {
            len: E::get_u32([h[0], h[1], h[2], h[3]]),
            kind: E::get_u16([h[4], h[5]]),
            flags: E::get_u16([h[6], h[7]]),
            seq: E::get_u32([h[8], h[9], h[10], h[11]]),
            pid: E::get_u32([h[12], h[13], h[14], h[15]]),
        })
    }
}

/// One message: its header and the payload nlmsg_len covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Nlmsg<'a> {
    pub header: NlmsgHeader,
    pub payload: &'a [u8],
}

/// What a received message means to a requester.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reply<'a> {
    /// A data message (a generic-netlink header and attributes follow).
    Data(&'a [u8]),
    /// NLMSG_ERROR with error 0: the request with this header's seq succeeded.
    Ack,
    /// NLMSG_ERROR with a negative errno: the request failed with errno (positive).
    Error(i32),
    /// NLMSG_DONE: end of a dump; the kernel may put a negative errno in its payload.
    Done(i32),
    /// NLMSG_NOOP or a control type we do not use.
    Other(u16),
}

impl<'a> Nlmsg<'a> {
    /// Interprets the message (struct nlmsgerr { int error; struct nlmsghdr msg; }).
    pub fn reply<E: Endian>(&self) -> Result<Reply<'a>, WireError> {
        match self.header.kind {
            NLMSG_ERROR => {
                let e = take::<4>(self.payload, 0).ok_or(WireError::Truncated {
                    what: "nlmsgerr",
                    need: 4,
                    have: self.payload.len(),
                })?;
                let err = E::get_u32(e) as i32;
                if err == 0 {
                    Ok(Reply::Ack)
                } else if err < 0 {
                    Ok(Reply::Error(err.saturating_neg()))
                } else {
                    Err(WireError::BadValue {
                        what: "nlmsgerr.error",
                        value: err as u64,
                    })
                }
            }
            NLMSG_DONE => {
                // Older kernels send an empty DONE; newer ones an int (0 or -errno).
                let err = take::<4>(self.payload, 0).map_or(0, |e| E::get_u32(e) as i32);
                Ok(Reply::Done(if err < 0 { err.saturating_neg() } else { 0 }))
            }
            NLMSG_NOOP => Ok(Reply::Other(NLMSG_NOOP)),
            k if k < super::uapi::GENL_ID_CTRL => Ok(Reply::Other(k)),
            _ => Ok(Reply::Data(self.payload)),
        }
    }
}

/// The messages in one datagram. Yields `Err` for the first message whose nlmsg_len is
/// below the header size or past the datagram's end, then stops.
pub struct NlmsgIter<'a, E: Endian> {
    rest: &'a [u8],
    done: bool,
    _order: PhantomData<E>,
}

impl<'a, E: Endian> NlmsgIter<'a, E> {
    pub fn new(datagram: &'a [u8]) -> Self {
        NlmsgIter {
            rest: datagram,
            done: false,
            _order: PhantomData,
        }
    }
}

impl<'a, E: Endian> Iterator for NlmsgIter<'a, E> {
    type Item = Result<Nlmsg<'a>, WireError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done || self.rest.is_empty() {
            return None;
        }
        let header = match NlmsgHeader::parse::<E>(self.rest) {
            Ok(h) => h,
            Err(e) => {
                self.done = true;
                return Some(Err(e));
            }
        };
        let len = header.len as usize;
        if len < NLMSG_HDRLEN {
            self.done = true;
            return Some(Err(WireError::BadLength {
                what: "nlmsg_len",
                len,
            }));
        }
        if len > self.rest.len() {
            self.done = true;
            return Some(Err(WireError::Truncated {
                what: "netlink message",
                need: len,
                have: self.rest.len(),
            }));
        }
        let payload = &self.rest[NLMSG_HDRLEN..len];
        let advance = nlmsg_align(len).min(self.rest.len());
        self.rest = &self.rest[advance..];
        Some(Ok(Nlmsg { header, payload }))
    }
}

#[cfg(test)]
mod tests {
    use super::super::endian::{Big, Little};
    use super::super::uapi::*;
    use super::*;

    #[test]
    fn header_emit_parse_both_orders() {
        let h = NlmsgHeader {
            len: 0x24,
            kind: 0x1a,
            flags: NLM_F_REQUEST | NLM_F_ACK,
            seq: 0x0102_0304,
            pid: 0,
        };
        let mut le = [0u8; 16];
        h.emit::<Little>(&mut le);
        assert_eq!(
            le,
            [0x24, 0, 0, 0, 0x1a, 0, 0x05, 0, 4, 3, 2, 1, 0, 0, 0, 0]
        );
        let mut be = [0u8; 16];
        h.emit::<Big>(&mut be);
        assert_eq!(
            be,
            [0, 0, 0, 0x24, 0, 0x1a, 0, 0x05, 1, 2, 3, 4, 0, 0, 0, 0]
        );
        assert_eq!(NlmsgHeader::parse::<Little>(&le), Ok(h));
        assert_eq!(NlmsgHeader::parse::<Big>(&be), Ok(h));
        assert!(NlmsgHeader::parse::<Little>(&le[..15]).is_err());
    }

    #[test]
    fn error_and_ack_and_done() {
        #[rustfmt::skip]
        let datagram = [
            // NLMSG_ERROR, error -17 (EEXIST), echoed header (NETLINK_CAP_ACK: no payload)
            36, 0, 0, 0,  2, 0,  0, 1,  7, 0, 0, 0,  0x39, 0x30, 0, 0,
            0xef, 0xff, 0xff, 0xff,
            52, 0, 0, 0,  0x1a, 0,  5, 0,  7, 0, 0, 0,  0, 0, 0, 0,
            // NLMSG_ERROR, error 0: ack for seq 8
            36, 0, 0, 0,  2, 0,  0, 1,  8, 0, 0, 0,  0x39, 0x30, 0, 0,
            0, 0, 0, 0,
            36, 0, 0, 0,  0x1a, 0,  5, 0,  8, 0, 0, 0,  0, 0, 0, 0,
            // NLMSG_DONE with int 0
            20, 0, 0, 0,  3, 0,  2, 0,  9, 0, 0, 0,  0x39, 0x30, 0, 0,
            0, 0, 0, 0,
        ];
        let msgs: Vec<_> = NlmsgIter::<Little>::new(&datagram)
            .map(|m| m.unwrap())
            .collect();
        assert_eq!(msgs.len(), 3);
        assert_eq!(msgs[0].header.seq, 7);
        assert_eq!(msgs[0].reply::<Little>(), Ok(Reply::Error(17)));
        assert_eq!(msgs[1].reply::<Little>(), Ok(Reply::Ack));
        assert_eq!(msgs[1].header.seq, 8);
        assert_eq!(msgs[2].reply::<Little>(), Ok(Reply::Done(0)));
    }

    #[test]
    fn done_carries_dump_error() {
        let d = [
            20, 0, 0, 0, 3, 0, 2, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0xf9, 0xff, 0xff, 0xff,
        ];
        let m = NlmsgIter::<Little>::new(&d).next().unwrap().unwrap();
        assert_eq!(m.reply::<Little>(), Ok(Reply::Done(7)));
    }

    #[test]
    fn bad_lengths_stop_iteration() {
        // nlmsg_len 8 < header size.
        let d = [8, 0, 0, 0, 3, 0, 2, 0, 1, 0, 0, 0, 0, 0, 0, 0];
        let got: Vec<_> = NlmsgIter::<Little>::new(&d).collect();
        assert_eq!(
            got,
            vec![Err(WireError::BadLength {
                what: "nlmsg_len",
                len: 8
            })]
        );
        // nlmsg_len 64 > 20 bytes received (a truncated datagram).
        let d = [
            64, 0, 0, 0, 0x1a, 0, 2, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4,
        ];
        let got: Vec<_> = NlmsgIter::<Little>::new(&d).collect();
        assert_eq!(got.len(), 1);
        assert!(matches!(got[0], Err(WireError::Truncated { need: 64, .. })));
        // 10 stray bytes.
        let got: Vec<_> = NlmsgIter::<Little>::new(&[0u8; 10]).collect();
        assert_eq!(got.len(), 1);
        assert!(got[0].is_err());
        // Short nlmsgerr.
        let d = [18, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        let m = NlmsgIter::<Little>::new(&d).next().unwrap().unwrap();
        assert!(m.reply::<Little>().is_err());
    }
}
