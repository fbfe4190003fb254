//! The setsockopt IPVS backend (ipvsadm's older interface, IP_VS_SO_SET_* and
//! IP_VS_SO_GET_* on a raw IPv4 socket): IPv4 services and real servers only. What the
//! interface cannot express is handled as libipvs does: an IPv6 service or real server
//! is refused with EAFNOSUPPORT; a persistence-engine name, tunnel type/port/flags and
//! the sync daemon's multicast options have no field and are not sent. The kernel
//! answers a table read without counting it, so a dump first asks IP_VS_SO_GET_INFO for
//! the number of services and sizes the request exactly (it insists on that size).

use std::io;

use crate::ipvs::backend::{Backend, IpvsError};
use crate::ipvs::rule::{
    Info, KernelDest, KernelService, KernelTable, Op, ServiceKey, SyncDaemonSpec, SyncState,
    Timeouts,
};
use crate::ipvs::wire::daemon::state_code;
use crate::ipvs::wire::endian::{Endian, Native};
use crate::ipvs::wire::sockopt::*;
use crate::ipvs::wire::uapi::*;
use crate::sys::netlink::IpvsSockopt;

/// Length of the IP_VS_SO_GET_VERSION answer buffer (get_arglen in ip_vs_ctl.c).
const VERSION_LEN: usize = 64;
/// Upper bound on services or real servers read in one dump, so a corrupt count cannot
/// make us size a huge buffer (the kernel table itself has no limit, this is far above
/// any appliance's).
pub const MAX_ENTRIES: u32 = 1 << 16;

/// The socket-option calls, so tests can stand in for the kernel.
pub trait SockoptIo {
    fn set(&mut self, opt: i32, arg: &[u8]) -> io::Result<()>;
    fn get(&mut self, opt: i32, buf: &mut [u8]) -> io::Result<usize>;
}

impl SockoptIo for IpvsSockopt {
    fn set(&mut self, opt: i32, arg: &[u8]) -> io::Result<()> {
        IpvsSockopt::set(self, opt, arg)
    }
    fn get(&mut self, opt: i32, buf: &mut [u8]) -> io::Result<usize> {
        IpvsSockopt::get(self, opt, buf)
    }
}

fn errno(e: &io::Error) -> i32 {
    e.raw_os_error().unwrap_or(libc::EIO)
}

fn query_error(errno: i32, context: &'static str) -> IpvsError {
    IpvsError {
        op: None,
        errno,
        context,
    }
}

/// The IPVS table over setsockopt.
pub struct SockoptBackend<T: SockoptIo = IpvsSockopt> {
    io: T,
    /// Reused for every table read; grows with the table, never shrinks.
    buf: Vec<u8>,
    /// num_dests of each service of the current dump.
    counts: Vec<u32>,
    layout: Layout,
}

impl SockoptBackend<IpvsSockopt> {
    /// Opens the raw socket (CAP_NET_RAW) and checks that the kernel knows IPVS
    /// (IP_VS_SO_GET_VERSION; ENOPROTOOPT when the module is absent).
    pub fn open() -> Result<Self, IpvsError> {
        let io = IpvsSockopt::open().map_err(|e| query_error(errno(&e), "open raw socket"))?;
        SockoptBackend::with_io(io)
    }
}

impl<T: SockoptIo> SockoptBackend<T> {
    pub fn with_io(io: T) -> Result<Self, IpvsError> {
        let mut b = SockoptBackend {
            io,
            buf: Vec::with_capacity(4096),
            counts: Vec::new(),
            layout: Layout::NATIVE,
        };
        let mut v = [0u8; VERSION_LEN];
        b.io.get(IP_VS_SO_GET_VERSION, &mut v)
            .map_err(|e| query_error(errno(&e), "probe IPVS (sockopt)"))?;
        Ok(b)
    }

    fn getinfo(&mut self) -> Result<(u32, u32, u32), i32> {
        let mut b = [0u8; GETINFO_LEN];
        self.io
            .get(IP_VS_SO_GET_INFO, &mut b)
            .map_err(|e| errno(&e))?;
        parse_getinfo::<Native>(&b).map_err(|_| libc::EBADMSG)
    }

    /// Encodes `op` into `arg`; returns (option, length) or the errno for what the
    /// interface cannot carry.
    fn encode(
        op: &Op,
        arg: &mut [u8; SERVICE_USER_LEN + DEST_USER_LEN],
    ) -> Result<(i32, usize), i32> {
        const NOAF: i32 = libc::EAFNOSUPPORT;
        let ident = |k: &ServiceKey| SvcIdent::from_key(k).ok_or(NOAF);
        let svc = |k: &ServiceKey, arg: &mut [u8]| -> Result<usize, i32> {
            Ok(ServiceUser::ident_only(ident(k)?).emit::<Native>(arg))
        };
        Ok(match op {
            Op::AddService(s) | Op::EditService(s) => {
                let u = ServiceUser::from_spec(s).ok_or(NOAF)?;
                let opt = if matches!(op, Op::AddService(_)) {
                    IP_VS_SO_SET_ADD
                } else {
                    IP_VS_SO_SET_EDIT
                };
                (opt, u.emit::<Native>(arg))
            }
            Op::DelService(k) => (IP_VS_SO_SET_DEL, svc(k, arg)?),
            Op::AddDest(k, d) | Op::EditDest(k, d) => {
                let n = svc(k, arg)?;
                let du = DestUser::from_spec(d).ok_or(NOAF)?;
                let opt = if matches!(op, Op::AddDest(..)) {
                    IP_VS_SO_SET_ADDDEST
                } else {
                    IP_VS_SO_SET_EDITDEST
                };
                (opt, n + du.emit::<Native>(&mut arg[n..]))
            }
            Op::DelDest(k, a) => {
                let n = svc(k, arg)?;
                let du = DestUser::ident(a).ok_or(NOAF)?;
                (IP_VS_SO_SET_DELDEST, n + du.emit::<Native>(&mut arg[n..]))
            }
            Op::Flush => (IP_VS_SO_SET_FLUSH, 0),
            Op::Zero(None) => (
                IP_VS_SO_SET_ZERO,
                ServiceUser::ident_only(SvcIdent::ALL).emit::<Native>(arg),
            ),
            Op::Zero(Some(k)) => (IP_VS_SO_SET_ZERO, svc(k, arg)?),
            Op::SetTimeouts(t) => (IP_VS_SO_SET_TIMEOUT, emit_timeouts::<Native>(arg, t)),
            Op::StartDaemon(d) => {
                let u = DaemonUser {
                    state: state_code(d.state),
                    ifname: d.ifname.clone(),
                    syncid: d.syncid.into(),
                };
                (IP_VS_SO_SET_STARTDAEMON, u.emit::<Native>(arg))
            }
            Op::StopDaemon(s) => {
                let u = DaemonUser {
                    state: state_code(*s),
                    ifname: heapless::String::new(),
                    syncid: 0,
                };
                (IP_VS_SO_SET_STOPDAEMON, u.emit::<Native>(arg))
            }
        })
    }

    fn read_services(&mut self, out: &mut Vec<KernelService>) -> Result<(), i32> {
        let (_, _, num) = self.getinfo()?;
        let num = num.min(MAX_ENTRIES);
        let l = self.layout;
        let len = l.get_services_table + num as usize * l.svc_entry_len;
        self.buf.clear();
        self.buf.resize(len, 0);
        self.buf[..4].copy_from_slice(&Native::put_u32(num));
        self.io
            .get(IP_VS_SO_GET_SERVICES, &mut self.buf)
            .map_err(|e| errno(&e))?;
        self.counts.clear();
        let mut count = 0;
        for i in 0..num as usize {
            let at = l.get_services_table + i * l.svc_entry_len;
            let bytes = self.buf.get(at..at + l.svc_entry_len).unwrap_or(&[]);
            // The table shrank since GET_INFO: the rest of the buffer stayed zero, and
            // no real service has protocol 0 and fwmark 0.
            if bytes.len() >= 16 && bytes[..2] == [0, 0] && bytes[12..16] == [0; 4] {
                break;
            }
            let e = ServiceEntry::parse::<Native>(bytes, &l).map_err(|e| {
                warn!("sockopt: malformed service entry: {e}");
                libc::EBADMSG
            })?;
            match out.get_mut(count) {
                Some(slot) => {
                    slot.spec = e.spec;
                    slot.stats = e.stats;
                }
                None => out.push(KernelService {
                    spec: e.spec,
                    stats: e.stats,
                    dests: Vec::new(),
                }),
            }
            self.counts.push(e.num_dests.min(MAX_ENTRIES));
            count += 1;
        }
        out.truncate(count);
        Ok(())
    }

    fn read_dests(
        &mut self,
        key: &ServiceKey,
        num: u32,
        out: &mut Vec<KernelDest>,
    ) -> Result<(), i32> {
        let l = self.layout;
        let ident = SvcIdent::from_key(key).ok_or(libc::EAFNOSUPPORT)?;
        let len = l.get_dests_table + num as usize * l.dest_entry_len;
        self.buf.clear();
        self.buf.resize(len, 0);
        emit_get_dests_head::<Native>(&mut self.buf, &ident, num, &l);
        self.io
            .get(IP_VS_SO_GET_DESTS, &mut self.buf)
            .map_err(|e| errno(&e))?;
        let mut count = 0;
        for i in 0..num as usize {
            let at = l.get_dests_table + i * l.dest_entry_len;
            let bytes = self.buf.get(at..at + l.dest_entry_len).unwrap_or(&[]);
            // Unused slots stay zero; 0.0.0.0:0 is never a real server.
            if bytes.len() >= 6 && bytes[..6] == [0; 6] {
                break;
            }
            let d = parse_dest_entry::<Native>(bytes, &l).map_err(|e| {
                warn!("sockopt: malformed dest entry: {e}");
                libc::EBADMSG
            })?;
            match out.get_mut(count) {
                Some(slot) => *slot = d,
                None => out.push(d),
            }
            count += 1;
        }
        out.truncate(count);
        Ok(())
    }
}

impl<T: SockoptIo> Backend for SockoptBackend<T> {
    fn name(&self) -> &'static str {
        "sockopt"
    }

    fn apply(&mut self, op: &Op) -> Result<(), IpvsError> {
        let fail = |errno| IpvsError {
            op: Some(op.clone()),
            errno,
            context: "apply",
        };
        let mut arg = [0u8; SERVICE_USER_LEN + DEST_USER_LEN];
        let (opt, len) = Self::encode(op, &mut arg).map_err(fail)?;
        self.io.set(opt, &arg[..len]).map_err(|e| fail(errno(&e)))
    }

    fn dump(&mut self, out: &mut KernelTable) -> Result<(), IpvsError> {
        self.read_services(&mut out.services)
            .map_err(|e| query_error(e, "dump services"))?;
        for i in 0..out.services.len() {
            let key = out.services[i].spec.key;
            let num = self.counts.get(i).copied().unwrap_or(0);
            let mut dests = std::mem::take(&mut out.services[i].dests);
            let r = self.read_dests(&key, num, &mut dests);
            out.services[i].dests = dests;
            r.map_err(|e| query_error(e, "dump destinations"))?;
        }
        Ok(())
    }

    fn info(&mut self) -> Result<Info, IpvsError> {
        let (version, conn_tab_size, _) = self
            .getinfo()
            .map_err(|e| query_error(e, "get IPVS info"))?;
        Ok(Info {
            version,
            conn_tab_size,
        })
    }

    fn timeouts(&mut self) -> Result<Timeouts, IpvsError> {
        let mut b = [0u8; TIMEOUT_USER_LEN];
        self.io
            .get(IP_VS_SO_GET_TIMEOUT, &mut b)
            .map_err(|e| query_error(errno(&e), "get timeouts"))?;
        parse_timeouts::<Native>(&b).map_err(|_| query_error(libc::EBADMSG, "get timeouts"))
    }

    fn daemons(&mut self) -> Result<heapless::Vec<SyncDaemonSpec, 2>, IpvsError> {
        let mut b = [0u8; 2 * DAEMON_USER_LEN];
        self.io
            .get(IP_VS_SO_GET_DAEMON, &mut b)
            .map_err(|e| query_error(errno(&e), "get daemons"))?;
        let mut out = heapless::Vec::new();
        for slot in b.chunks_exact(DAEMON_USER_LEN) {
            let d = DaemonUser::parse::<Native>(slot)
                .map_err(|_| query_error(libc::EBADMSG, "get daemons"))?;
            let state = match d.state {
                IP_VS_STATE_MASTER => SyncState::Master,
                IP_VS_STATE_BACKUP => SyncState::Backup,
                _ => continue,
            };
            let _ = out.push(SyncDaemonSpec {
                state,
                ifname: d.ifname,
                syncid: d.syncid as u8,
                sync_maxlen: None,
                mcast_group: None,
                mcast_port: None,
                mcast_ttl: None,
            });
        }
        Ok(out)
    }
}

#[cfg(test)]
#[path = "sockopt_tests.rs"]
mod tests;
