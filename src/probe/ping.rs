//! PING_CHECK: one ICMP echo (RFC 792 / RFC 4443) on a ping socket, or on a raw socket
//! where ping sockets are not allowed, and the matching of its reply.

use mio::Registry;

use crate::model::config::Check;
use crate::probe::outcome::{Reason, Up};
use crate::probe::{next_id, reason_of, sys, ProbeSlot};
use std::net::SocketAddr;

const ECHO_PAYLOAD: &[u8; 16] = b"lvsmon echo ping";
const ECHO_LEN: usize = 8 + ECHO_PAYLOAD.len();

/// RFC 1071 Internet checksum.
fn checksum(data: &[u8]) -> u16 {
    let mut sum: u32 = 0;
    for pair in data.chunks(2) {
        let word = if pair.len() == 2 {
            u16::from_be_bytes([pair[0], pair[1]])
        } else {
            u16::from_be_bytes([pair[0], 0])
        };
        sum += u32::from(word);
    }
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// Whether a datagram from the ICMP socket is the reply to our echo. A raw IPv4 socket
/// delivers the IP header too (raw(7)); ping sockets and raw IPv6 deliver ICMP only.
/// Ping sockets rewrite the identifier, so only raw sockets check it.
fn echo_reply_matches(pkt: &[u8], raw: bool, v6: bool, id: u16, seq: u16) -> bool {
    let icmp = if raw && !v6 {
        let Some(&vihl) = pkt.first() else {
            return false;
        };
        match pkt.get(usize::from(vihl & 0x0f) * 4..) {
            Some(rest) => rest,
            None => return false,
        }
    } else {
        pkt
    };
    if icmp.len() < 8 {
        return false;
    }
    let want_type = if v6 { 129 } else { 0 };
    icmp[0] == want_type
        && icmp[1] == 0
        && u16::from_be_bytes([icmp[6], icmp[7]]) == seq
        && (!raw || u16::from_be_bytes([icmp[4], icmp[5]]) == id)
}

impl ProbeSlot {
    pub(super) fn open_ping(&mut self, check: &Check, registry: &Registry) -> Result<(), Reason> {
        self.reset_buffers();
        let target = SocketAddr::new(check.target.ip(), 0);
        let bind = check.bindto.map(|ip| SocketAddr::new(ip, 0));
        self.raw_ping = false;
        if let Err(e) = self.open_dgram(
            sys::SockKind::PingDgram,
            target,
            bind,
            &check.sock,
            registry,
        ) {
            match e.raw_os_error() {
                // Ping sockets need net.ipv4.ping_group_range to include our group; a
                // raw socket (CAP_NET_RAW) is the fallback, as in iputils ping.
                Some(libc::EACCES)
                | Some(libc::EPERM)
                | Some(libc::EPROTONOSUPPORT)
                | Some(libc::ESOCKTNOSUPPORT) => {
                    self.open_dgram(sys::SockKind::PingRaw, target, bind, &check.sock, registry)
                        .map_err(|e| reason_of(&e))?;
                    self.raw_ping = true;
                }
                _ => return Err(reason_of(&e)),
            }
        }
        self.seq = next_id();
        self.id = (std::process::id() as u16) ^ 0x5a5a;
        let v6 = check.target.is_ipv6();
        // RFC 792 / RFC 4443 echo request: type, code, checksum, identifier, sequence.
        let req = &mut self.req[..ECHO_LEN];
        req[0] = if v6 { 128 } else { 8 };
        req[1] = 0;
        req[2..4].copy_from_slice(&[0, 0]);
        req[4..6].copy_from_slice(&self.id.to_be_bytes());
        req[6..8].copy_from_slice(&self.seq.to_be_bytes());
        req[8..].copy_from_slice(ECHO_PAYLOAD);
        if !v6 {
            // The kernel fills the ICMPv6 checksum itself (RFC 3542 3.1) and rewrites
            // the identifier and checksum of ping sockets; raw ICMPv4 needs ours.
            let sum = checksum(req);
            req[2..4].copy_from_slice(&sum.to_be_bytes());
        }
        self.req_len = ECHO_LEN;
        Ok(())
    }

    pub(super) fn ping_read(&mut self, check: &Check) -> Result<Option<Up>, Reason> {
        let (raw, v6, id, seq) = (self.raw_ping, check.target.is_ipv6(), self.id, self.seq);
        self.dgram_read(|reply, _| {
            if echo_reply_matches(reply, raw, v6, id, seq) {
                Some(Ok(()))
            } else {
                None
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksum_of_rfc1071_example() {
        // RFC 1071 section 3: 00 01 f2 03 f4 f5 f6 f7 sums to ddf2, checksum 220d.
        assert_eq!(
            checksum(&[0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7]),
            0x220d
        );
    }

    #[test]
    fn echo_reply_matching() {
        let mut reply = [0u8; 24];
        reply[6..8].copy_from_slice(&7u16.to_be_bytes());
        assert!(echo_reply_matches(&reply, false, false, 1, 7));
        assert!(!echo_reply_matches(&reply, false, false, 1, 8));
        assert!(!echo_reply_matches(&reply, false, true, 1, 7));
        reply[0] = 8; // our own request, seen by a raw socket on loopback
        assert!(!echo_reply_matches(&reply, false, false, 1, 7));
        let mut ip = [0u8; 20 + 24];
        ip[0] = 0x45;
        ip[20 + 4..20 + 6].copy_from_slice(&9u16.to_be_bytes());
        ip[20 + 6..20 + 8].copy_from_slice(&7u16.to_be_bytes());
        assert!(echo_reply_matches(&ip, true, false, 9, 7));
        assert!(!echo_reply_matches(&ip, true, false, 10, 7));
        assert!(!echo_reply_matches(&[0x4f], true, false, 9, 7));
    }
}
