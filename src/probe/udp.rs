//! UDP_CHECK: sends the configured payload on a connected datagram socket and judges the
//! reply against `require_reply`; without `require_reply`, keepalived counts an attempt
//! that drew no ICMP error within connect_timeout as a success (see `on_deadline`).
//!
//! The reply rule is keepalived's (check_udp.c, check_udp_reply): a reply is judged only
//! when `require_reply` gave bytes. It must then be between `min_reply_length` and
//! `max_reply_length` bytes long (keepalived's defaults 0 and 255, so a longer reply
//! fails unless max_reply_length is raised), and match the pattern over the shorter of
//! the two, ignoring the nibbles written as X. A `require_reply` without bytes asks only
//! that some reply comes.

use mio::Registry;

use crate::model::config::{Check, UdpCheck};
use crate::probe::outcome::{Reason, Up};
use crate::probe::{bind_addr, reason_of, sys, ProbeSlot};

/// Sent when no payload is configured. keepalived sends random bytes; any bytes will do,
/// so a fixed recognisable text is sent instead.
const UDP_DEFAULT_PAYLOAD: &[u8] = b"lvsmon udp check";

impl ProbeSlot {
    pub(super) fn open_udp(
        &mut self,
        check: &Check,
        u: &UdpCheck,
        registry: &Registry,
    ) -> Result<(), Reason> {
        self.reset_buffers();
        let payload: &[u8] = if u.payload.is_empty() {
            UDP_DEFAULT_PAYLOAD
        } else {
            &u.payload
        };
        let n = payload.len();
        let dst = self.req.get_mut(..n).ok_or(Reason::Local(libc::EMSGSIZE))?;
        dst.copy_from_slice(payload);
        self.req_len = n;
        self.silence_is_up = u.require_reply.is_none();
        self.open_dgram(
            sys::SockKind::Udp,
            check.target,
            bind_addr(check),
            &check.sock,
            registry,
        )
        .map_err(|e| reason_of(&e))
    }

    pub(super) fn udp_read(&mut self, u: &UdpCheck) -> Result<Option<Up>, Reason> {
        self.dgram_read(|reply, _| Some(judge(u, reply)))
    }
}

/// The verdict on one datagram received for `u`.
pub(super) fn judge(u: &UdpCheck, reply: &[u8]) -> Result<(), Reason> {
    let want = match &u.require_reply {
        Some(w) if !w.is_empty() => w,
        _ => return Ok(()),
    };
    let len = reply.len();
    if len < usize::from(u.min_reply_length) || len > usize::from(u.max_reply_length) {
        return Err(Reason::BadReply(
            "UDP reply length outside min_reply_length..max_reply_length",
        ));
    }
    let n = len.min(want.len());
    for i in 0..n {
        let care = !u.reply_mask.get(i).copied().unwrap_or(0);
        if (reply[i] ^ want[i]) & care != 0 {
            return Err(Reason::BadReply("UDP reply differs from require_reply"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(want: Option<&[u8]>, mask: &[u8], min: u16, max: u16) -> UdpCheck {
        UdpCheck {
            payload: Vec::new(),
            require_reply: want.map(<[u8]>::to_vec),
            reply_mask: mask.to_vec(),
            min_reply_length: min,
            max_reply_length: max,
        }
    }

    #[test]
    fn exact_bytes_compare_over_the_shorter() {
        let u = check(Some(&[0xab, 0x12, 0x0f]), &[], 0, 255);
        assert_eq!(judge(&u, &[0xab, 0x12, 0x0f, 0x99]), Ok(()));
        assert_eq!(judge(&u, &[0xab]), Ok(()));
        assert!(judge(&u, &[0xab, 0x13]).is_err());
    }

    #[test]
    fn x_nibbles_match_anything() {
        // `require_reply aX X2`: A0 with its low nibble free, 02 with its high one free.
        let u = check(Some(&[0xa0, 0x02]), &[0x0f, 0xf0], 0, 255);
        assert_eq!(judge(&u, &[0xa7, 0x52]), Ok(()));
        assert_eq!(judge(&u, &[0xaf, 0x02]), Ok(()));
        assert!(judge(&u, &[0xb7, 0x52]).is_err());
        assert!(judge(&u, &[0xa7, 0x53]).is_err());
    }

    #[test]
    fn lengths_apply_only_with_reply_bytes() {
        let u = check(Some(&[1]), &[], 2, 4);
        assert!(judge(&u, &[1]).is_err());
        assert_eq!(judge(&u, &[1, 0]), Ok(()));
        assert_eq!(judge(&u, &[1, 0, 0, 0]), Ok(()));
        assert!(judge(&u, &[1, 0, 0, 0, 0]).is_err());
        // keepalived's default max 255: a 256-byte reply fails.
        let d = check(Some(&[1]), &[], 0, 255);
        assert_eq!(judge(&d, &[1; 255]), Ok(()));
        assert!(judge(&d, &[1; 256]).is_err());
        // require_reply without bytes (or none at all): any reply, any length.
        assert_eq!(judge(&check(Some(&[]), &[], 2, 4), &[9; 300]), Ok(()));
        assert_eq!(judge(&check(None, &[], 2, 4), &[]), Ok(()));
    }
}
