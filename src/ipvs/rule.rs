//! The IPVS table as values: services, destinations, operations on them, and a snapshot
//! of the kernel table. Shared by the director, every backend and the ipvsadm personality.
//! Field meanings follow /usr/include/linux/ip_vs.h.

use std::net::{IpAddr, SocketAddr};

/// Scheduler name, at most IP_VS_SCHEDNAME_MAXLEN - 1 bytes.
pub type SchedName = heapless::String<15>;
/// Persistence engine name, at most IP_VS_PENAME_MAXLEN - 1 bytes.
pub type PeName = heapless::String<15>;

/// IP_VS_SVC_F_* (ip_vs.h).
pub mod svc_flags {
    pub const PERSISTENT: u32 = 0x0001;
    pub const HASHED: u32 = 0x0002;
    pub const ONEPACKET: u32 = 0x0004;
    pub const SCHED1: u32 = 0x0008;
    pub const SCHED2: u32 = 0x0010;
    pub const SCHED3: u32 = 0x0020;
    pub const SCHED_SH_FALLBACK: u32 = SCHED1;
    pub const SCHED_SH_PORT: u32 = SCHED2;
    pub const SCHED_MH_FALLBACK: u32 = SCHED1;
    pub const SCHED_MH_PORT: u32 = SCHED2;
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Family {
    Inet,
    Inet6,
}

impl Family {
    pub fn of(addr: &IpAddr) -> Family {
        match addr {
            IpAddr::V4(_) => Family::Inet,
            IpAddr::V6(_) => Family::Inet6,
        }
    }

    pub fn af(self) -> u16 {
        match self {
            Family::Inet => libc::AF_INET as u16,
            Family::Inet6 => libc::AF_INET6 as u16,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Protocol {
    Tcp,
    Udp,
    Sctp,
}

impl Protocol {
    pub fn ipproto(self) -> u16 {
        match self {
            Protocol::Tcp => libc::IPPROTO_TCP as u16,
            Protocol::Udp => libc::IPPROTO_UDP as u16,
            Protocol::Sctp => libc::IPPROTO_SCTP as u16,
        }
    }

    pub fn from_ipproto(p: u16) -> Option<Protocol> {
        match p as i32 {
            libc::IPPROTO_TCP => Some(Protocol::Tcp),
            libc::IPPROTO_UDP => Some(Protocol::Udp),
            libc::IPPROTO_SCTP => Some(Protocol::Sctp),
            _ => None,
        }
    }
}

/// Identity of a virtual service in the kernel.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ServiceKey {
    Inet { proto: Protocol, addr: SocketAddr },
    Fwmark { family: Family, mark: u32 },
}

impl ServiceKey {
    pub fn family(&self) -> Family {
        match self {
            ServiceKey::Inet { addr, .. } => Family::of(&addr.ip()),
            ServiceKey::Fwmark { family, .. } => *family,
        }
    }
}

/// IP_VS_CONN_F_FWD_MASK values (ip_vs.h).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Forward {
    Masq,
    LocalNode,
    Tunnel,
    Route,
    Bypass,
}

impl Forward {
    pub fn conn_flags(self) -> u32 {
        match self {
            Forward::Masq => 0,
            Forward::LocalNode => 1,
            Forward::Tunnel => 2,
            Forward::Route => 3,
            Forward::Bypass => 4,
        }
    }

    pub fn from_conn_flags(flags: u32) -> Forward {
        match flags & 0x7 {
            1 => Forward::LocalNode,
            2 => Forward::Tunnel,
            3 => Forward::Route,
            4 => Forward::Bypass,
            _ => Forward::Masq,
        }
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TunnelType {
    #[default]
    Ipip,
    Gue,
    Gre,
}

/// Tunnel parameters of a TUN destination (IPVS_DEST_ATTR_TUN_*); ignored otherwise.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TunnelSpec {
    pub kind: TunnelType,
    pub port: u16,
    /// IP_VS_TUNNEL_ENCAP_FLAG_* bits.
    pub flags: u16,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ServiceSpec {
    pub key: ServiceKey,
    pub sched: SchedName,
    /// IP_VS_SVC_F_* bits, as the kernel reports them (HASHED included when read back).
    pub flags: u32,
    /// Persistence timeout, seconds (meaningful with PERSISTENT).
    pub timeout: u32,
    /// IPv4: netmask in host order (0xffff_ffff by default); IPv6: prefix length (128).
    pub netmask: u32,
    pub pe_name: Option<PeName>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct DestSpec {
    pub addr: SocketAddr,
    pub forward: Forward,
    pub weight: i32,
    pub u_threshold: u32,
    pub l_threshold: u32,
    pub tunnel: TunnelSpec,
}

/// One change to the kernel table.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Op {
    AddService(ServiceSpec),
    EditService(ServiceSpec),
    DelService(ServiceKey),
    AddDest(ServiceKey, DestSpec),
    EditDest(ServiceKey, DestSpec),
    DelDest(ServiceKey, SocketAddr),
    /// ipvsadm -C.
    Flush,
    /// ipvsadm -Z, for one service or all.
    Zero(Option<ServiceKey>),
    /// ipvsadm --set tcp tcpfin udp (seconds; 0 = unchanged).
    SetTimeouts(Timeouts),
    StartDaemon(SyncDaemonSpec),
    StopDaemon(SyncState),
}

/// IPVS counters (IPVS_STATS_ATTR_*; 64-bit where the kernel offers STATS64).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    pub conns: u64,
    pub inpkts: u64,
    pub outpkts: u64,
    pub inbytes: u64,
    pub outbytes: u64,
    pub cps: u64,
    pub inpps: u64,
    pub outpps: u64,
    pub inbps: u64,
    pub outbps: u64,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Timeouts {
    pub tcp: u32,
    pub tcpfin: u32,
    pub udp: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SyncState {
    Master,
    Backup,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SyncDaemonSpec {
    pub state: SyncState,
    pub ifname: heapless::String<15>,
    pub syncid: u8,
    pub sync_maxlen: Option<u16>,
    pub mcast_group: Option<IpAddr>,
    pub mcast_port: Option<u16>,
    pub mcast_ttl: Option<u8>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Info {
    /// IP_VS_VERSION_CODE-style: major << 16 | minor << 8 | patch.
    pub version: u32,
    pub conn_tab_size: u32,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KernelDest {
    pub spec: DestSpec,
    pub active_conns: u32,
    pub inact_conns: u32,
    pub persist_conns: u32,
    pub stats: Stats,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KernelService {
    pub spec: ServiceSpec,
    pub stats: Stats,
    pub dests: Vec<KernelDest>,
}

/// A snapshot of the kernel table, in the kernel's order. Dumping into an existing
/// snapshot reuses its allocations, so periodic drift checks allocate nothing once warm.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KernelTable {
    pub services: Vec<KernelService>,
}
