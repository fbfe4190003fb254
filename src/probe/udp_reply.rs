//! UDP_CHECK's reply rule (keepalived check_udp.c, check_udp_reply): pure, no I/O.
//!
//! A reply is judged only when `require_reply` gave bytes. It must then be between
//! `min_reply_length` and `max_reply_length` bytes long (keepalived's defaults 0 and 255,
//! so a longer reply fails unless max_reply_length is raised), and match the pattern
//! over the shorter of the two, ignoring the nibbles written as X. A `require_reply`
//! without bytes asks only that some reply comes.

use crate::model::config::UdpCheck;
use crate::probe::outcome::Reason;

/// The verdict on one datagram received for `u`.
pub fn judge(u: &UdpCheck, reply: &[u8]) -> Result<(), Reason> {
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
