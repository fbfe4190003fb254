//! The setsockopt/getsockopt structs of ip_vs.h (IP_VS_SO_SET_* / IP_VS_SO_GET_*),
//! written field by field: host-order fields with `E`, `__be16`/`__be32` fields in
//! network order, and the C padding made explicit. The only layout input is the
//! alignment of `__u64` in structs (8 on x86_64/ARM/MIPS, 4 on i386), which moves the
//! stats block; `Layout::NATIVE` uses this target's.

use std::net::{Ipv4Addr, SocketAddr};

use super::endian::{take, Endian};
use super::service::parse_name;
use super::uapi::{IP_VS_IFNAME_MAXLEN, IP_VS_SCHEDNAME_MAXLEN};
use super::WireError;
use crate::ipvs::rule::{
    DestSpec, Family, Forward, KernelDest, Protocol, SchedName, ServiceKey, ServiceSpec, Stats,
    SyncState, Timeouts, TunnelSpec,
};

const fn align_up(x: usize, a: usize) -> usize {
    x.div_ceil(a) * a
}

/// sizeof(struct ip_vs_service_user): u16 protocol, 2 pad, be32 addr, be16 port, 2 pad,
/// u32 fwmark, char sched_name[16], u32 flags, u32 timeout, be32 netmask.
pub const SERVICE_USER_LEN: usize = 44;
/// sizeof(struct ip_vs_dest_user): be32 addr, be16 port, 2 pad, conn_flags, weight,
/// u_threshold, l_threshold.
pub const DEST_USER_LEN: usize = 24;
/// sizeof(struct ip_vs_getinfo) and struct ip_vs_timeout_user: three ints.
pub const GETINFO_LEN: usize = 12;
pub const TIMEOUT_USER_LEN: usize = 12;
/// sizeof(struct ip_vs_daemon_user): int state, char mcast_ifn[16], int syncid.
pub const DAEMON_USER_LEN: usize = 24;

/// Offsets and sizes that depend on the alignment of `__u64`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Layout {
    /// Offset of inbytes in struct ip_vs_stats_user.
    pub stats_inbytes: usize,
    pub stats_len: usize,
    /// Offset of stats in struct ip_vs_service_entry, and its size.
    pub svc_entry_stats: usize,
    pub svc_entry_len: usize,
    /// Offset of stats in struct ip_vs_dest_entry, and its size.
    pub dest_entry_stats: usize,
    pub dest_entry_len: usize,
    /// Offset of entrytable in struct ip_vs_get_dests / ip_vs_get_services.
    pub get_dests_table: usize,
    pub get_services_table: usize,
}

impl Layout {
    pub const fn for_u64_align(a: usize) -> Layout {
        let stats_inbytes = align_up(12, a);
        let stats_len = align_up(stats_inbytes + 16 + 20, a);
        let svc_entry_stats = align_up(48, a);
        let dest_entry_stats = align_up(36, a);
        Layout {
            stats_inbytes,
            stats_len,
            svc_entry_stats,
            svc_entry_len: align_up(svc_entry_stats + stats_len, a),
            dest_entry_stats,
            dest_entry_len: align_up(dest_entry_stats + stats_len, a),
            get_dests_table: align_up(20, a),
            get_services_table: align_up(4, a),
        }
    }

    pub const NATIVE: Layout = Layout::for_u64_align(std::mem::align_of::<u64>());
}

fn put<const N: usize>(buf: &mut [u8], off: usize, b: [u8; N]) {
    buf[off..off + N].copy_from_slice(&b);
}

fn need(bytes: &[u8], n: usize, what: &'static str) -> Result<(), WireError> {
    if bytes.len() < n {
        Err(WireError::Truncated {
            what,
            need: n,
            have: bytes.len(),
        })
    } else {
        Ok(())
    }
}

fn u32_at<E: Endian>(b: &[u8], off: usize) -> u32 {
    take::<4>(b, off).map_or(0, E::get_u32)
}

fn u64_at<E: Endian>(b: &[u8], off: usize) -> u64 {
    take::<8>(b, off).map_or(0, E::get_u64)
}

fn be16_at(b: &[u8], off: usize) -> u16 {
    take::<2>(b, off).map_or(0, u16::from_be_bytes)
}

fn ipv4_at(b: &[u8], off: usize) -> Ipv4Addr {
    take::<4>(b, off).map_or(Ipv4Addr::UNSPECIFIED, Ipv4Addr::from)
}

/// A NUL-padded char array of `len` bytes at `off`.
fn name_at(b: &[u8], off: usize, len: usize, what: &'static str) -> Result<SchedName, WireError> {
    let field = b.get(off..off + len).ok_or(WireError::Truncated {
        what,
        need: off + len,
        have: b.len(),
    })?;
    parse_name(
        &super::nla::Nla {
            kind: 0,
            nested_flag: false,
            payload: field,
        },
        what,
    )
}

/// The fields identifying a service in the sockopt structs (IPv4 only).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SvcIdent {
    pub protocol: u16,
    pub addr: Ipv4Addr,
    pub port: u16,
    pub fwmark: u32,
}

impl SvcIdent {
    /// None for IPv6 services: the sockopt interface has no place for them.
    pub fn from_key(key: &ServiceKey) -> Option<SvcIdent> {
        match key {
            ServiceKey::Inet {
                proto,
                addr: SocketAddr::V4(a),
            } => Some(SvcIdent {
                protocol: proto.ipproto(),
                addr: *a.ip(),
                port: a.port(),
                fwmark: 0,
            }),
            ServiceKey::Fwmark {
                family: Family::Inet,
                mark,
            } => Some(SvcIdent {
                // The kernel's netlink parser does the same for fwmark services.
                protocol: Protocol::Tcp.ipproto(),
                addr: Ipv4Addr::UNSPECIFIED,
                port: 0,
                fwmark: *mark,
            }),
            _ => None,
        }
    }

    /// All zero: IP_VS_SO_SET_ZERO with this zeroes every service.
    pub const ALL: SvcIdent = SvcIdent {
        protocol: 0,
        addr: Ipv4Addr::UNSPECIFIED,
        port: 0,
        fwmark: 0,
    };

    /// protocol @0, addr @4, port @8, fwmark @12 (the same in every struct that has them).
    fn emit<E: Endian>(&self, buf: &mut [u8]) {
        put(buf, 0, E::put_u16(self.protocol));
        put(buf, 2, [0, 0]);
        put(buf, 4, self.addr.octets());
        put(buf, 8, self.port.to_be_bytes());
        put(buf, 10, [0, 0]);
        put(buf, 12, E::put_u32(self.fwmark));
    }

    fn parse<E: Endian>(b: &[u8]) -> SvcIdent {
        SvcIdent {
            protocol: take::<2>(b, 0).map_or(0, E::get_u16),
            addr: ipv4_at(b, 4),
            port: be16_at(b, 8),
            fwmark: u32_at::<E>(b, 12),
        }
    }

    fn key(&self) -> Result<ServiceKey, WireError> {
        if self.fwmark != 0 {
            return Ok(ServiceKey::Fwmark {
                family: Family::Inet,
                mark: self.fwmark,
            });
        }
        let proto = Protocol::from_ipproto(self.protocol).ok_or(WireError::BadValue {
            what: "ip_vs_service_entry.protocol",
            value: self.protocol.into(),
        })?;
        Ok(ServiceKey::Inet {
            proto,
            addr: SocketAddr::new(self.addr.into(), self.port),
        })
    }
}

/// struct ip_vs_service_user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServiceUser {
    pub ident: SvcIdent,
    pub sched_name: SchedName,
    pub flags: u32,
    pub timeout: u32,
    /// Host-order value, sent as `__be32`.
    pub netmask: u32,
}

impl ServiceUser {
    /// None for IPv6. The persistence engine has no sockopt field and is dropped, as
    /// libipvs does; IP_VS_SVC_F_HASHED is the kernel's and is never sent (see
    /// request::emit_op).
    pub fn from_spec(s: &ServiceSpec) -> Option<ServiceUser> {
        Some(ServiceUser {
            ident: SvcIdent::from_key(&s.key)?,
            sched_name: s.sched.clone(),
            flags: s.flags & !super::uapi::IP_VS_SVC_F_HASHED,
            timeout: s.timeout,
            netmask: s.netmask,
        })
    }

    /// Identity only (DEL, ZERO, the dest commands).
    pub fn ident_only(ident: SvcIdent) -> ServiceUser {
        ServiceUser {
            ident,
            sched_name: SchedName::new(),
            flags: 0,
            timeout: 0,
            netmask: 0,
        }
    }

    pub const fn buffer_len(&self) -> usize {
        SERVICE_USER_LEN
    }

    /// Writes SERVICE_USER_LEN bytes.
    pub fn emit<E: Endian>(&self, buf: &mut [u8]) -> usize {
        self.ident.emit::<E>(buf);
        let name = &mut buf[16..16 + IP_VS_SCHEDNAME_MAXLEN];
        name.fill(0);
        let n = self.sched_name.len().min(IP_VS_SCHEDNAME_MAXLEN - 1);
        name[..n].copy_from_slice(&self.sched_name.as_bytes()[..n]);
        put(buf, 32, E::put_u32(self.flags));
        put(buf, 36, E::put_u32(self.timeout));
        put(buf, 40, self.netmask.to_be_bytes());
        SERVICE_USER_LEN
    }
}

/// struct ip_vs_dest_user.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DestUser {
    pub addr: Ipv4Addr,
    pub port: u16,
    pub conn_flags: u32,
    pub weight: i32,
    pub u_threshold: u32,
    pub l_threshold: u32,
}

impl DestUser {
    /// None for an IPv6 real server. Tunnel type/port/flags have no sockopt field and
    /// are dropped (IPIP), as libipvs does.
    pub fn from_spec(d: &DestSpec) -> Option<DestUser> {
        let SocketAddr::V4(a) = d.addr else {
            return None;
        };
        Some(DestUser {
            addr: *a.ip(),
            port: a.port(),
            conn_flags: d.forward.conn_flags(),
            weight: d.weight,
            u_threshold: d.u_threshold,
            l_threshold: d.l_threshold,
        })
    }

    /// Identity only (DELDEST).
    pub fn ident(addr: &SocketAddr) -> Option<DestUser> {
        let SocketAddr::V4(a) = addr else {
            return None;
        };
        Some(DestUser {
            addr: *a.ip(),
            port: a.port(),
            conn_flags: 0,
            weight: 0,
            u_threshold: 0,
            l_threshold: 0,
        })
    }

    pub const fn buffer_len(&self) -> usize {
        DEST_USER_LEN
    }

    /// Writes DEST_USER_LEN bytes.
    pub fn emit<E: Endian>(&self, buf: &mut [u8]) -> usize {
        put(buf, 0, self.addr.octets());
        put(buf, 4, self.port.to_be_bytes());
        put(buf, 6, [0, 0]);
        put(buf, 8, E::put_u32(self.conn_flags));
        put(buf, 12, E::put_u32(self.weight as u32));
        put(buf, 16, E::put_u32(self.u_threshold));
        put(buf, 20, E::put_u32(self.l_threshold));
        DEST_USER_LEN
    }
}

/// struct ip_vs_stats_user at `off`.
fn parse_stats<E: Endian>(b: &[u8], off: usize, l: &Layout) -> Stats {
    let r = off + l.stats_inbytes + 16;
    Stats {
        conns: u32_at::<E>(b, off).into(),
        inpkts: u32_at::<E>(b, off + 4).into(),
        outpkts: u32_at::<E>(b, off + 8).into(),
        inbytes: u64_at::<E>(b, off + l.stats_inbytes),
        outbytes: u64_at::<E>(b, off + l.stats_inbytes + 8),
        cps: u32_at::<E>(b, r).into(),
        inpps: u32_at::<E>(b, r + 4).into(),
        outpps: u32_at::<E>(b, r + 8).into(),
        inbps: u32_at::<E>(b, r + 12).into(),
        outbps: u32_at::<E>(b, r + 16).into(),
    }
}

/// Writes struct ip_vs_stats_user at `off` (for tests that build kernel answers).
pub fn emit_stats<E: Endian>(buf: &mut [u8], off: usize, s: &Stats, l: &Layout) {
    buf[off..off + l.stats_len].fill(0);
    put(buf, off, E::put_u32(s.conns as u32));
    put(buf, off + 4, E::put_u32(s.inpkts as u32));
    put(buf, off + 8, E::put_u32(s.outpkts as u32));
    put(buf, off + l.stats_inbytes, E::put_u64(s.inbytes));
    put(buf, off + l.stats_inbytes + 8, E::put_u64(s.outbytes));
    let r = off + l.stats_inbytes + 16;
    for (i, v) in [s.cps, s.inpps, s.outpps, s.inbps, s.outbps]
        .iter()
        .enumerate()
    {
        put(buf, r + 4 * i, E::put_u32(*v as u32));
    }
}

/// struct ip_vs_service_entry as read from IP_VS_SO_GET_SERVICES.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServiceEntry {
    pub spec: ServiceSpec,
    pub num_dests: u32,
    pub stats: Stats,
}

impl ServiceEntry {
    pub fn parse<E: Endian>(b: &[u8], l: &Layout) -> Result<ServiceEntry, WireError> {
        need(b, l.svc_entry_len, "ip_vs_service_entry")?;
        let ident = SvcIdent::parse::<E>(b);
        Ok(ServiceEntry {
            spec: ServiceSpec {
                key: ident.key()?,
                sched: name_at(b, 16, IP_VS_SCHEDNAME_MAXLEN, "sched_name")?,
                flags: u32_at::<E>(b, 32),
                timeout: u32_at::<E>(b, 36),
                netmask: take::<4>(b, 40).map_or(0, u32::from_be_bytes),
                pe_name: None,
            },
            num_dests: u32_at::<E>(b, 44),
            stats: parse_stats::<E>(b, l.svc_entry_stats, l),
        })
    }

    /// Writes the entry (for tests that build kernel answers).
    pub fn emit<E: Endian>(&self, buf: &mut [u8], l: &Layout) -> usize {
        buf[..l.svc_entry_len].fill(0);
        let user = ServiceUser::from_spec(&self.spec).unwrap_or_else(|| {
            ServiceUser::ident_only(SvcIdent::ALL) // IPv6 never appears in this table
        });
        user.emit::<E>(buf);
        put(buf, 44, E::put_u32(self.num_dests));
        emit_stats::<E>(buf, l.svc_entry_stats, &self.stats, l);
        l.svc_entry_len
    }
}

/// struct ip_vs_dest_entry as read from IP_VS_SO_GET_DESTS.
pub fn parse_dest_entry<E: Endian>(b: &[u8], l: &Layout) -> Result<KernelDest, WireError> {
    need(b, l.dest_entry_len, "ip_vs_dest_entry")?;
    Ok(KernelDest {
        spec: DestSpec {
            addr: SocketAddr::new(ipv4_at(b, 0).into(), be16_at(b, 4)),
            forward: Forward::from_conn_flags(u32_at::<E>(b, 8)),
            weight: u32_at::<E>(b, 12) as i32,
            u_threshold: u32_at::<E>(b, 16),
            l_threshold: u32_at::<E>(b, 20),
            tunnel: TunnelSpec::default(),
        },
        active_conns: u32_at::<E>(b, 24),
        inact_conns: u32_at::<E>(b, 28),
        persist_conns: u32_at::<E>(b, 32),
        stats: parse_stats::<E>(b, l.dest_entry_stats, l),
    })
}

/// Writes struct ip_vs_dest_entry (for tests that build kernel answers).
pub fn emit_dest_entry<E: Endian>(buf: &mut [u8], d: &KernelDest, l: &Layout) -> usize {
    buf[..l.dest_entry_len].fill(0);
    if let Some(u) = DestUser::from_spec(&d.spec) {
        u.emit::<E>(buf);
    }
    put(buf, 24, E::put_u32(d.active_conns));
    put(buf, 28, E::put_u32(d.inact_conns));
    put(buf, 32, E::put_u32(d.persist_conns));
    emit_stats::<E>(buf, l.dest_entry_stats, &d.stats, l);
    l.dest_entry_len
}

/// The head of struct ip_vs_get_dests: which service, and how many entries fit.
pub fn emit_get_dests_head<E: Endian>(
    buf: &mut [u8],
    ident: &SvcIdent,
    num_dests: u32,
    l: &Layout,
) -> usize {
    buf[..l.get_dests_table].fill(0);
    ident.emit::<E>(buf);
    put(buf, 16, E::put_u32(num_dests));
    l.get_dests_table
}

/// num_dests of a struct ip_vs_get_dests answer.
pub fn get_dests_count<E: Endian>(b: &[u8]) -> Result<u32, WireError> {
    need(b, 20, "ip_vs_get_dests")?;
    Ok(u32_at::<E>(b, 16))
}

/// struct ip_vs_getinfo: (version, conn_tab_size, num_services).
pub fn parse_getinfo<E: Endian>(b: &[u8]) -> Result<(u32, u32, u32), WireError> {
    need(b, GETINFO_LEN, "ip_vs_getinfo")?;
    Ok((u32_at::<E>(b, 0), u32_at::<E>(b, 4), u32_at::<E>(b, 8)))
}

/// struct ip_vs_timeout_user.
pub fn emit_timeouts<E: Endian>(buf: &mut [u8], t: &Timeouts) -> usize {
    put(buf, 0, E::put_u32(t.tcp));
    put(buf, 4, E::put_u32(t.tcpfin));
    put(buf, 8, E::put_u32(t.udp));
    TIMEOUT_USER_LEN
}

pub fn parse_timeouts<E: Endian>(b: &[u8]) -> Result<Timeouts, WireError> {
    need(b, TIMEOUT_USER_LEN, "ip_vs_timeout_user")?;
    Ok(Timeouts {
        tcp: u32_at::<E>(b, 0),
        tcpfin: u32_at::<E>(b, 4),
        udp: u32_at::<E>(b, 8),
    })
}

/// struct ip_vs_daemon_user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DaemonUser {
    /// IP_VS_STATE_*: 0 in an unused GET_DAEMON slot.
    pub state: u32,
    pub ifname: heapless::String<15>,
    pub syncid: u32,
}

impl DaemonUser {
    pub fn emit<E: Endian>(&self, buf: &mut [u8]) -> usize {
        buf[..DAEMON_USER_LEN].fill(0);
        put(buf, 0, E::put_u32(self.state));
        let n = self.ifname.len().min(IP_VS_IFNAME_MAXLEN - 1);
        buf[4..4 + n].copy_from_slice(&self.ifname.as_bytes()[..n]);
        put(buf, 20, E::put_u32(self.syncid));
        DAEMON_USER_LEN
    }

    pub fn parse<E: Endian>(b: &[u8]) -> Result<DaemonUser, WireError> {
        need(b, DAEMON_USER_LEN, "ip_vs_daemon_user")?;
        Ok(DaemonUser {
            state: u32_at::<E>(b, 0),
            ifname: name_at(b, 4, IP_VS_IFNAME_MAXLEN, "mcast_ifn")?,
            syncid: u32_at::<E>(b, 20),
        })
    }

    pub fn sync_state(&self) -> Option<SyncState> {
        super::daemon::state_from_code(self.state).ok()
    }
}

#[cfg(test)]
#[path = "sockopt_tests.rs"]
mod tests;
