//! Connection-sync daemon attributes (IPVS_DAEMON_ATTR_*, nested in
//! IPVS_CMD_ATTR_DAEMON). STATE/SYNC_ID u32, SYNC_MAXLEN u16, MCAST_PORT u16 and
//! MCAST_TTL u8, all host order (ip_vs_ctl.c reads and writes the port with
//! nla_get_u16/nla_put_u16 and converts it with htons only when it opens the socket);
//! MCAST_GROUP an in_addr, MCAST_GROUP6 an in6_addr.

use std::net::IpAddr;

use super::endian::Endian;
use super::nla::{Attrs, NlaIter, NlaWriter};
use super::service::parse_name;
use super::uapi::*;
use super::WireError;
use crate::ipvs::rule::{SyncDaemonSpec, SyncState};

pub fn state_code(s: SyncState) -> u32 {
    match s {
        SyncState::Master => IP_VS_STATE_MASTER,
        SyncState::Backup => IP_VS_STATE_BACKUP,
    }
}

pub fn state_from_code(v: u32) -> Result<SyncState, WireError> {
    match v {
        IP_VS_STATE_MASTER => Ok(SyncState::Master),
        IP_VS_STATE_BACKUP => Ok(SyncState::Backup),
        _ => Err(WireError::BadValue {
            what: "sync daemon state",
            value: v.into(),
        }),
    }
}

/// IPVS_CMD_ATTR_DAEMON with only the state (DEL_DAEMON).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DaemonState(pub SyncState);

impl Attrs for DaemonState {
    fn write<E: Endian>(&self, w: &mut NlaWriter<'_, E>) {
        let at = w.begin_nested(IPVS_CMD_ATTR_DAEMON);
        w.put_u32(IPVS_DAEMON_ATTR_STATE, state_code(self.0));
        w.end_nested(at);
    }
}

/// IPVS_CMD_ATTR_DAEMON with every field (NEW_DAEMON; GET_DAEMON replies).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DaemonAttrs(pub SyncDaemonSpec);

impl Attrs for DaemonAttrs {
    fn write<E: Endian>(&self, w: &mut NlaWriter<'_, E>) {
        let d = &self.0;
        let at = w.begin_nested(IPVS_CMD_ATTR_DAEMON);
        w.put_u32(IPVS_DAEMON_ATTR_STATE, state_code(d.state));
        w.put_str(IPVS_DAEMON_ATTR_MCAST_IFN, &d.ifname);
        w.put_u32(IPVS_DAEMON_ATTR_SYNC_ID, d.syncid.into());
        if let Some(m) = d.sync_maxlen {
            w.put_u16(IPVS_DAEMON_ATTR_SYNC_MAXLEN, m);
        }
        match d.mcast_group {
            Some(IpAddr::V4(a)) => w.put(IPVS_DAEMON_ATTR_MCAST_GROUP, &a.octets()),
            Some(IpAddr::V6(a)) => w.put(IPVS_DAEMON_ATTR_MCAST_GROUP6, &a.octets()),
            None => {}
        }
        if let Some(p) = d.mcast_port {
            w.put_u16(IPVS_DAEMON_ATTR_MCAST_PORT, p);
        }
        if let Some(t) = d.mcast_ttl {
            w.put_u8(IPVS_DAEMON_ATTR_MCAST_TTL, t);
        }
        w.end_nested(at);
    }
}

impl DaemonAttrs {
    /// Parses the payload of an IPVS_CMD_ATTR_DAEMON nest; STATE, MCAST_IFN and SYNC_ID
    /// are required, the rest optional (older kernels send only those three).
    pub fn parse<E: Endian>(nest: &[u8]) -> Result<DaemonAttrs, WireError> {
        let (mut state, mut ifname, mut syncid) = (None, None, None);
        let mut d = SyncDaemonSpec {
            state: SyncState::Master,
            ifname: heapless::String::new(),
            syncid: 0,
            sync_maxlen: None,
            mcast_group: None,
            mcast_port: None,
            mcast_ttl: None,
        };
        for nla in NlaIter::<E>::new(nest) {
            let nla = nla?;
            match nla.kind {
                IPVS_DAEMON_ATTR_STATE => {
                    state = Some(state_from_code(nla.u32::<E>("IPVS_DAEMON_ATTR_STATE")?)?)
                }
                IPVS_DAEMON_ATTR_MCAST_IFN => {
                    ifname = Some(parse_name(&nla, "IPVS_DAEMON_ATTR_MCAST_IFN")?)
                }
                IPVS_DAEMON_ATTR_SYNC_ID => {
                    let v = nla.u32::<E>("IPVS_DAEMON_ATTR_SYNC_ID")?;
                    syncid = Some(u8::try_from(v).map_err(|_| WireError::BadValue {
                        what: "IPVS_DAEMON_ATTR_SYNC_ID",
                        value: v.into(),
                    })?);
                }
                IPVS_DAEMON_ATTR_SYNC_MAXLEN => {
                    d.sync_maxlen = Some(nla.u16::<E>("IPVS_DAEMON_ATTR_SYNC_MAXLEN")?)
                }
                IPVS_DAEMON_ATTR_MCAST_GROUP => {
                    d.mcast_group = Some(IpAddr::V4(nla.ipv4("IPVS_DAEMON_ATTR_MCAST_GROUP")?))
                }
                IPVS_DAEMON_ATTR_MCAST_GROUP6 => {
                    d.mcast_group = Some(IpAddr::V6(nla.ipv6("IPVS_DAEMON_ATTR_MCAST_GROUP6")?))
                }
                IPVS_DAEMON_ATTR_MCAST_PORT => {
                    d.mcast_port = Some(nla.u16::<E>("IPVS_DAEMON_ATTR_MCAST_PORT")?)
                }
                IPVS_DAEMON_ATTR_MCAST_TTL => {
                    d.mcast_ttl = Some(nla.u8("IPVS_DAEMON_ATTR_MCAST_TTL")?)
                }
                _ => {}
            }
        }
        d.state = state.ok_or(WireError::Missing("IPVS_DAEMON_ATTR_STATE"))?;
        d.ifname = ifname.ok_or(WireError::Missing("IPVS_DAEMON_ATTR_MCAST_IFN"))?;
        d.syncid = syncid.ok_or(WireError::Missing("IPVS_DAEMON_ATTR_SYNC_ID"))?;
        Ok(DaemonAttrs(d))
    }
}

#[cfg(test)]
mod tests {
    use super::super::endian::{Big, Little};
    use super::*;
    use std::net::Ipv4Addr;

    fn spec() -> SyncDaemonSpec {
        SyncDaemonSpec {
            state: SyncState::Backup,
            ifname: heapless::String::try_from("eth0").unwrap(),
            syncid: 7,
            sync_maxlen: Some(1472),
            mcast_group: Some(IpAddr::V4(Ipv4Addr::new(224, 0, 0, 81))),
            mcast_port: Some(8848),
            mcast_ttl: Some(1),
        }
    }

    #[test]
    fn emit_layout_and_round_trip() {
        let a = DaemonAttrs(spec());
        let mut buf = [0u8; 128];
        let n = a.emit::<Little>(&mut buf);
        assert_eq!(n, a.buffer_len());
        #[rustfmt::skip]
        let want = [
            64, 0, 3, 0x80,                         // IPVS_CMD_ATTR_DAEMON | NLA_F_NESTED
            8, 0, 1, 0, 2, 0, 0, 0,                 // STATE backup
            9, 0, 2, 0, b'e', b't', b'h', b'0', 0, 0, 0, 0, // MCAST_IFN "eth0\0"
            8, 0, 3, 0, 7, 0, 0, 0,                 // SYNC_ID 7
            6, 0, 4, 0, 0xc0, 0x05, 0, 0,           // SYNC_MAXLEN 1472
            8, 0, 5, 0, 224, 0, 0, 81,              // MCAST_GROUP 224.0.0.81
            6, 0, 7, 0, 0x90, 0x22, 0, 0,           // MCAST_PORT 8848 (host order)
            5, 0, 8, 0, 1, 0, 0, 0,                 // MCAST_TTL 1
        ];
        assert_eq!(&buf[..n], &want);
        assert_eq!(DaemonAttrs::parse::<Little>(&buf[4..n]), Ok(a.clone()));
        let n = a.emit::<Big>(&mut buf);
        assert_eq!(&buf[4..12], &[0, 8, 0, 1, 0, 0, 0, 2]);
        assert_eq!(
            &buf[48..56],
            &[0, 6, 0, 7, 0x22, 0x90, 0, 0],
            "port, big-endian host"
        );
        assert_eq!(DaemonAttrs::parse::<Big>(&buf[4..n]), Ok(a));
    }

    #[test]
    fn required_fields() {
        let n = [8, 0, 1, 0, 1, 0, 0, 0];
        assert_eq!(
            DaemonAttrs::parse::<Little>(&n),
            Err(WireError::Missing("IPVS_DAEMON_ATTR_MCAST_IFN"))
        );
        let bad_state = [8, 0, 1, 0, 3, 0, 0, 0];
        assert!(DaemonAttrs::parse::<Little>(&bad_state).is_err());
    }
}

#[cfg(test)]
mod captured {
    use super::super::endian::Little;
    use super::super::request::parse_daemon_reply;
    use super::*;
    use std::net::Ipv4Addr;

    /// GET_DAEMON answer from Debian's 6.1 kernel (tests/data/netlink/debian-6.1-session.txt,
    /// after `ipvsadm --start-daemon master --mcast-interface lo --syncid 3`), attributes
    /// after the genl header. MCAST_PORT arrives in host order.
    #[test]
    fn kernel_daemon_reply() {
        #[rustfmt::skip]
        let attrs = [
            0x3c, 0, 3, 0,              // IPVS_CMD_ATTR_DAEMON, len 60, no NLA_F_NESTED
            8, 0, 1, 0, 1, 0, 0, 0,     // STATE master
            7, 0, 2, 0, b'l', b'o', 0, 0, // MCAST_IFN "lo\0"
            8, 0, 3, 0, 3, 0, 0, 0,     // SYNC_ID 3
            6, 0, 4, 0, 0xc0, 5, 0, 0,  // SYNC_MAXLEN 1472
            6, 0, 7, 0, 0x90, 0x22, 0, 0, // MCAST_PORT 8848, host order
            5, 0, 8, 0, 1, 0, 0, 0,     // MCAST_TTL 1
            8, 0, 5, 0, 224, 0, 0, 81,  // MCAST_GROUP 224.0.0.81
        ];
        let d = parse_daemon_reply::<Little>(&attrs).unwrap().0;
        assert_eq!(
            d,
            SyncDaemonSpec {
                state: SyncState::Master,
                ifname: heapless::String::try_from("lo").unwrap(),
                syncid: 3,
                sync_maxlen: Some(1472),
                mcast_group: Some(IpAddr::V4(Ipv4Addr::new(224, 0, 0, 81))),
                mcast_port: Some(8848),
                mcast_ttl: Some(1),
            }
        );
    }
}
