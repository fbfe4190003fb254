//! Real-server attributes (IPVS_DEST_ATTR_*, nested in IPVS_CMD_ATTR_DEST). PORT and
//! TUN_PORT are `__be16`; everything else host order. The kernel reports ADDR as a
//! 16-byte union nf_inet_addr and the address family in ADDR_FAMILY (kernels before
//! 4.x omit it: the service's family applies).

use std::net::SocketAddr;

use super::endian::Endian;
use super::nla::{Attrs, Nla, NlaIter, NlaWriter};
use super::service::{addr_bytes, family_from_af, parse_addr};
use super::uapi::*;
use super::{stats, WireError};
use crate::ipvs::rule::{DestSpec, Family, Forward, KernelDest, Stats, TunnelSpec, TunnelType};

/// IP_VS_CONN_F_TUNNEL_TYPE_* for a tunnel type.
pub fn tun_type_code(t: TunnelType) -> u8 {
    match t {
        TunnelType::Ipip => IP_VS_CONN_F_TUNNEL_TYPE_IPIP,
        TunnelType::Gue => IP_VS_CONN_F_TUNNEL_TYPE_GUE,
        TunnelType::Gre => IP_VS_CONN_F_TUNNEL_TYPE_GRE,
    }
}

fn write_addr<E: Endian>(w: &mut NlaWriter<'_, E>, addr: &SocketAddr) {
    let mut b = [0u8; 16];
    let n = addr_bytes(&addr.ip(), &mut b);
    w.put(IPVS_DEST_ATTR_ADDR, &b[..n]);
    w.put_be16(IPVS_DEST_ATTR_PORT, addr.port());
}

/// IPVS_CMD_ATTR_DEST holding only the real server's identity (DEL_DEST).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DestId<'a>(pub &'a SocketAddr);

impl Attrs for DestId<'_> {
    fn write<E: Endian>(&self, w: &mut NlaWriter<'_, E>) {
        let at = w.begin_nested(IPVS_CMD_ATTR_DEST);
        write_addr(w, self.0);
        w.put_u16(IPVS_DEST_ATTR_ADDR_FAMILY, Family::of(&self.0.ip()).af());
        w.end_nested(at);
    }
}

/// Counters the kernel reports for a real server.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DestCounters {
    pub active_conns: u32,
    pub inact_conns: u32,
    pub persist_conns: u32,
    pub stats: Stats,
}

/// IPVS_CMD_ATTR_DEST with every field (NEW/SET_DEST; GET_DEST replies with counters).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DestAttrs {
    pub spec: DestSpec,
    pub counters: Option<DestCounters>,
}

impl Attrs for DestAttrs {
    fn write<E: Endian>(&self, w: &mut NlaWriter<'_, E>) {
        let d = &self.spec;
        let at = w.begin_nested(IPVS_CMD_ATTR_DEST);
        write_addr(w, &d.addr);
        w.put_u32(IPVS_DEST_ATTR_FWD_METHOD, d.forward.conn_flags());
        w.put_u32(IPVS_DEST_ATTR_WEIGHT, d.weight as u32);
        w.put_u8(IPVS_DEST_ATTR_TUN_TYPE, tun_type_code(d.tunnel.kind));
        w.put_be16(IPVS_DEST_ATTR_TUN_PORT, d.tunnel.port);
        w.put_u16(IPVS_DEST_ATTR_TUN_FLAGS, d.tunnel.flags);
        w.put_u32(IPVS_DEST_ATTR_U_THRESH, d.u_threshold);
        w.put_u32(IPVS_DEST_ATTR_L_THRESH, d.l_threshold);
        w.put_u16(IPVS_DEST_ATTR_ADDR_FAMILY, Family::of(&d.addr.ip()).af());
        if let Some(c) = &self.counters {
            w.put_u32(IPVS_DEST_ATTR_ACTIVE_CONNS, c.active_conns);
            w.put_u32(IPVS_DEST_ATTR_INACT_CONNS, c.inact_conns);
            w.put_u32(IPVS_DEST_ATTR_PERSIST_CONNS, c.persist_conns);
            stats::emit(w, IPVS_DEST_ATTR_STATS64, &c.stats, true);
        }
        w.end_nested(at);
    }
}

impl DestAttrs {
    /// Parses the payload of an IPVS_CMD_ATTR_DEST nest; `svc_family` applies when the
    /// kernel does not send ADDR_FAMILY. Unknown attributes are skipped.
    pub fn parse<E: Endian>(nest: &[u8], svc_family: Family) -> Result<DestAttrs, WireError> {
        let mut addr: Option<Nla<'_>> = None;
        let mut port = None;
        let mut family = svc_family;
        let mut forward = Forward::Masq;
        let mut weight = 0u32;
        let mut u_threshold = 0;
        let mut l_threshold = 0;
        let mut tunnel = TunnelSpec::default();
        let mut c = DestCounters::default();
        let mut any_counter = false;
        let mut stats32 = None;
        let mut stats64 = None;
        for nla in NlaIter::<E>::new(nest) {
            let nla = nla?;
            match nla.kind {
                IPVS_DEST_ATTR_ADDR => addr = Some(nla),
                IPVS_DEST_ATTR_PORT => port = Some(nla.be16("IPVS_DEST_ATTR_PORT")?),
                IPVS_DEST_ATTR_ADDR_FAMILY => {
                    family = family_from_af(nla.u16::<E>("IPVS_DEST_ATTR_ADDR_FAMILY")?)?
                }
                IPVS_DEST_ATTR_FWD_METHOD => {
                    forward = Forward::from_conn_flags(nla.u32::<E>("IPVS_DEST_ATTR_FWD_METHOD")?)
                }
                IPVS_DEST_ATTR_TUN_TYPE => {
                    tunnel.kind = match nla.u8("IPVS_DEST_ATTR_TUN_TYPE")? {
                        IP_VS_CONN_F_TUNNEL_TYPE_IPIP => TunnelType::Ipip,
                        IP_VS_CONN_F_TUNNEL_TYPE_GUE => TunnelType::Gue,
                        IP_VS_CONN_F_TUNNEL_TYPE_GRE => TunnelType::Gre,
                        v => {
                            return Err(WireError::BadValue {
                                what: "IPVS_DEST_ATTR_TUN_TYPE",
                                value: v.into(),
                            })
                        }
                    }
                }
                IPVS_DEST_ATTR_TUN_PORT => tunnel.port = nla.be16("IPVS_DEST_ATTR_TUN_PORT")?,
                IPVS_DEST_ATTR_TUN_FLAGS => {
                    tunnel.flags = nla.u16::<E>("IPVS_DEST_ATTR_TUN_FLAGS")?
                }
                IPVS_DEST_ATTR_STATS => stats::parse_into::<E>(nla.payload, &mut stats32)?,
                IPVS_DEST_ATTR_STATS64 => stats::parse_into::<E>(nla.payload, &mut stats64)?,
                _ => {
                    // The u32 attributes: one read for all of them, for code size.
                    let (slot, what) = match nla.kind {
                        IPVS_DEST_ATTR_WEIGHT => (&mut weight, "IPVS_DEST_ATTR_WEIGHT"),
                        IPVS_DEST_ATTR_U_THRESH => (&mut u_threshold, "IPVS_DEST_ATTR_U_THRESH"),
                        IPVS_DEST_ATTR_L_THRESH => (&mut l_threshold, "IPVS_DEST_ATTR_L_THRESH"),
                        IPVS_DEST_ATTR_ACTIVE_CONNS => {
                            (&mut c.active_conns, "IPVS_DEST_ATTR_ACTIVE_CONNS")
                        }
                        IPVS_DEST_ATTR_INACT_CONNS => {
                            (&mut c.inact_conns, "IPVS_DEST_ATTR_INACT_CONNS")
                        }
                        IPVS_DEST_ATTR_PERSIST_CONNS => {
                            (&mut c.persist_conns, "IPVS_DEST_ATTR_PERSIST_CONNS")
                        }
                        _ => continue,
                    };
                    *slot = nla.u32::<E>(what)?;
                }
            }
            any_counter |= matches!(
                nla.kind,
                IPVS_DEST_ATTR_ACTIVE_CONNS
                    | IPVS_DEST_ATTR_INACT_CONNS
                    | IPVS_DEST_ATTR_PERSIST_CONNS
            );
        }
        let addr = addr.ok_or(WireError::Missing("IPVS_DEST_ATTR_ADDR"))?;
        let port = port.ok_or(WireError::Missing("IPVS_DEST_ATTR_PORT"))?;
        let ip = parse_addr(&addr, family, "IPVS_DEST_ATTR_ADDR")?;
        let stats = stats64.or(stats32);
        if let Some(s) = stats {
            c.stats = s;
        }
        Ok(DestAttrs {
            spec: DestSpec {
                addr: SocketAddr::new(ip, port),
                forward,
                weight: weight as i32,
                u_threshold,
                l_threshold,
                tunnel,
            },
            counters: (any_counter || stats.is_some()).then_some(c),
        })
    }

    /// The kernel-table entry (counters zero when the kernel sent none).
    pub fn into_kernel(self) -> KernelDest {
        let c = self.counters.unwrap_or_default();
        KernelDest {
            spec: self.spec,
            active_conns: c.active_conns,
            inact_conns: c.inact_conns,
            persist_conns: c.persist_conns,
            stats: c.stats,
        }
    }
}
