//! UDP_CHECK: sends the configured payload on a connected datagram socket and judges the
//! reply against `require_reply`; without `require_reply`, keepalived counts an attempt
//! that drew no ICMP error within connect_timeout as a success (see `on_deadline`).

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
        self.open_dgram(sys::SockKind::Udp, check.target, bind_addr(check), registry)
            .map_err(|e| reason_of(&e))
    }

    pub(super) fn udp_read(&mut self, u: &UdpCheck) -> Result<Option<Up>, Reason> {
        self.dgram_read(|reply, _| match &u.require_reply {
            None => Some(Ok(())),
            // keepalived compares up to the shorter of the two.
            Some(want) => {
                let n = reply.len().min(want.len());
                Some(if reply[..n] == want[..n] {
                    Ok(())
                } else {
                    Err(Reason::BadReply("UDP reply differs from require_reply"))
                })
            }
        })
    }
}
