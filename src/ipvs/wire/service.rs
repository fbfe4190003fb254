//! Virtual-service attributes (IPVS_SVC_ATTR_*, nested in IPVS_CMD_ATTR_SERVICE).
//! Byte orders follow net/netfilter/ipvs/ip_vs_ctl.c: AF/PROTOCOL/FWMARK/FLAGS/TIMEOUT
//! host order; PORT `__be16`; ADDR raw address bytes; NETMASK `__be32` for IPv4 (an
//! address mask) but the plain host-order prefix length for IPv6; FLAGS is struct
//! ip_vs_flags { flags, mask } (we always send mask = ~0, as ipvsadm does).

use std::net::{IpAddr, SocketAddr};

use super::endian::Endian;
use super::nla::{Attrs, Nla, NlaIter, NlaWriter};
use super::uapi::*;
use super::{stats, WireError};
use crate::ipvs::rule::{Family, PeName, Protocol, SchedName, ServiceKey, ServiceSpec, Stats};

/// AF_INET / AF_INET6 number to Family.
pub fn family_from_af(af: u16) -> Result<Family, WireError> {
    match af as i32 {
        libc::AF_INET => Ok(Family::Inet),
        libc::AF_INET6 => Ok(Family::Inet6),
        _ => Err(WireError::BadValue {
            what: "address family",
            value: af.into(),
        }),
    }
}

/// The raw bytes of an address (4 for IPv4, 16 for IPv6), as ipvsadm sends them.
pub fn addr_bytes(ip: &IpAddr, out: &mut [u8; 16]) -> usize {
    match ip {
        IpAddr::V4(a) => {
            out[..4].copy_from_slice(&a.octets());
            4
        }
        IpAddr::V6(a) => {
            out.copy_from_slice(&a.octets());
            16
        }
    }
}

/// Reads an address attribute of `family`.
pub fn parse_addr(nla: &Nla<'_>, family: Family, what: &'static str) -> Result<IpAddr, WireError> {
    match family {
        Family::Inet => nla.ipv4(what).map(IpAddr::V4),
        Family::Inet6 => nla.ipv6(what).map(IpAddr::V6),
    }
}

/// Copies a string attribute into a fixed-capacity name (kernel limit 15 + NUL).
pub fn parse_name(nla: &Nla<'_>, what: &'static str) -> Result<heapless::String<15>, WireError> {
    let s = nla.str(what)?;
    let mut out = heapless::String::new();
    out.push_str(s).map_err(|_| WireError::BadValue {
        what,
        value: s.len() as u64,
    })?;
    Ok(out)
}

/// Writes the attributes that identify a service (what DEL_SERVICE, the dest commands,
/// ZERO and GET_DEST need), without the enclosing nest.
pub fn write_key<E: Endian>(w: &mut NlaWriter<'_, E>, key: &ServiceKey) {
    w.put_u16(IPVS_SVC_ATTR_AF, key.family().af());
    match key {
        ServiceKey::Fwmark { mark, .. } => w.put_u32(IPVS_SVC_ATTR_FWMARK, *mark),
        ServiceKey::Inet { proto, addr } => {
            w.put_u16(IPVS_SVC_ATTR_PROTOCOL, proto.ipproto());
            let mut b = [0u8; 16];
            let n = addr_bytes(&addr.ip(), &mut b);
            w.put(IPVS_SVC_ATTR_ADDR, &b[..n]);
            w.put_be16(IPVS_SVC_ATTR_PORT, addr.port());
        }
    }
}

/// IPVS_CMD_ATTR_SERVICE holding only the service's identity.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ServiceId<'a>(pub &'a ServiceKey);

impl Attrs for ServiceId<'_> {
    fn write<E: Endian>(&self, w: &mut NlaWriter<'_, E>) {
        let at = w.begin_nested(IPVS_CMD_ATTR_SERVICE);
        write_key(w, self.0);
        w.end_nested(at);
    }
}

/// IPVS_CMD_ATTR_SERVICE with every field: what NEW/SET_SERVICE send and what a
/// GET_SERVICE dump returns (with stats).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServiceAttrs {
    pub spec: ServiceSpec,
    /// Written as IPVS_SVC_ATTR_STATS64 when Some; parsed from STATS64, else STATS.
    pub stats: Option<Stats>,
}

impl Attrs for ServiceAttrs {
    fn write<E: Endian>(&self, w: &mut NlaWriter<'_, E>) {
        let s = &self.spec;
        let at = w.begin_nested(IPVS_CMD_ATTR_SERVICE);
        write_key(w, &s.key);
        w.put_str(IPVS_SVC_ATTR_SCHED_NAME, &s.sched);
        if let Some(pe) = &s.pe_name {
            w.put_str(IPVS_SVC_ATTR_PE_NAME, pe);
        }
        let mut flags = [0u8; 8];
        flags[..4].copy_from_slice(&E::put_u32(s.flags));
        flags[4..].copy_from_slice(&E::put_u32(!0));
        w.put(IPVS_SVC_ATTR_FLAGS, &flags);
        w.put_u32(IPVS_SVC_ATTR_TIMEOUT, s.timeout);
        match s.key.family() {
            Family::Inet => w.put_be32(IPVS_SVC_ATTR_NETMASK, s.netmask),
            Family::Inet6 => w.put_u32(IPVS_SVC_ATTR_NETMASK, s.netmask),
        }
        if let Some(st) = &self.stats {
            stats::emit(w, IPVS_SVC_ATTR_STATS64, st, true);
        }
        w.end_nested(at);
    }
}

impl ServiceAttrs {
    /// Parses the payload of an IPVS_CMD_ATTR_SERVICE nest. Unknown attributes are
    /// skipped; AF and the identity are required.
    pub fn parse<E: Endian>(nest: &[u8]) -> Result<ServiceAttrs, WireError> {
        let mut af = None;
        let mut proto = None;
        let mut addr: Option<Nla<'_>> = None;
        let mut port = None;
        let mut fwmark = 0u32;
        let mut sched = SchedName::new();
        let mut pe_name: Option<PeName> = None;
        let mut flags = 0u32;
        let mut timeout = 0u32;
        let mut netmask: Option<Nla<'_>> = None;
        let mut stats32 = None;
        let mut stats64 = None;
        for nla in NlaIter::<E>::new(nest) {
            let nla = nla?;
            match nla.kind {
                IPVS_SVC_ATTR_AF => af = Some(family_from_af(nla.u16::<E>("IPVS_SVC_ATTR_AF")?)?),
                IPVS_SVC_ATTR_PROTOCOL => {
                    let p = nla.u16::<E>("IPVS_SVC_ATTR_PROTOCOL")?;
                    proto = Some(Protocol::from_ipproto(p).ok_or(WireError::BadValue {
                        what: "IPVS_SVC_ATTR_PROTOCOL",
                        value: p.into(),
                    })?);
                }
                IPVS_SVC_ATTR_ADDR => addr = Some(nla),
                IPVS_SVC_ATTR_PORT => port = Some(nla.be16("IPVS_SVC_ATTR_PORT")?),
                IPVS_SVC_ATTR_FWMARK => fwmark = nla.u32::<E>("IPVS_SVC_ATTR_FWMARK")?,
                IPVS_SVC_ATTR_SCHED_NAME => sched = parse_name(&nla, "IPVS_SVC_ATTR_SCHED_NAME")?,
                IPVS_SVC_ATTR_PE_NAME => {
                    let pe = parse_name(&nla, "IPVS_SVC_ATTR_PE_NAME")?;
                    pe_name = (!pe.is_empty()).then_some(pe);
                }
                IPVS_SVC_ATTR_FLAGS => {
                    let b = nla.payload;
                    if b.len() != 8 {
                        return Err(WireError::BadLength {
                            what: "IPVS_SVC_ATTR_FLAGS",
                            len: b.len(),
                        });
                    }
                    flags = E::get_u32([b[0], b[1], b[2], b[3]]);
                }
                IPVS_SVC_ATTR_TIMEOUT => timeout = nla.u32::<E>("IPVS_SVC_ATTR_TIMEOUT")?,
                IPVS_SVC_ATTR_NETMASK => netmask = Some(nla),
                IPVS_SVC_ATTR_STATS => stats::parse_into::<E>(nla.payload, &mut stats32)?,
                IPVS_SVC_ATTR_STATS64 => stats::parse_into::<E>(nla.payload, &mut stats64)?,
                _ => {}
            }
        }
        let family = af.ok_or(WireError::Missing("IPVS_SVC_ATTR_AF"))?;
        let key = if fwmark != 0 {
            ServiceKey::Fwmark {
                family,
                mark: fwmark,
            }
        } else {
            let proto = proto.ok_or(WireError::Missing("IPVS_SVC_ATTR_PROTOCOL"))?;
            let addr = addr.ok_or(WireError::Missing("IPVS_SVC_ATTR_ADDR"))?;
            let port = port.ok_or(WireError::Missing("IPVS_SVC_ATTR_PORT"))?;
            let ip = parse_addr(&addr, family, "IPVS_SVC_ATTR_ADDR")?;
            ServiceKey::Inet {
                proto,
                addr: SocketAddr::new(ip, port),
            }
        };
        let netmask = match (netmask, family) {
            (Some(n), Family::Inet) => n.be32("IPVS_SVC_ATTR_NETMASK")?,
            (Some(n), Family::Inet6) => n.u32::<E>("IPVS_SVC_ATTR_NETMASK")?,
            (None, Family::Inet) => 0xffff_ffff,
            (None, Family::Inet6) => 128,
        };
        Ok(ServiceAttrs {
            spec: ServiceSpec {
                key,
                sched,
                flags,
                timeout,
                netmask,
                pe_name,
            },
            stats: stats64.or(stats32),
        })
    }
}
