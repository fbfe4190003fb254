//! The generic-netlink IPVS backend: resolves the "IPVS" family through the controller,
//! sends every table change with NLM_F_ACK and checks each ack by sequence number
//! (`apply_all` puts up to MAX_BATCH messages in one sendmsg; the kernel runs them in
//! order and acks each), and reads the table with NLM_F_DUMP requests (NLM_F_MULTI
//! replies until NLMSG_DONE) into the caller's `KernelTable`, reusing its vectors.
//! Buffers are allocated once at open; a request allocates nothing.

pub mod capture;

use std::io;
use std::ops::ControlFlow;
use std::time::Duration;

use crate::ipvs::backend::{Backend, IpvsError};
use crate::ipvs::rule::{
    Family, Info, KernelDest, KernelService, KernelTable, Op, ServiceKey, ServiceSpec, Stats,
    SyncDaemonSpec, Timeouts,
};
use crate::ipvs::wire::config::ConfigAttrs;
use crate::ipvs::wire::endian::Native;
use crate::ipvs::wire::genl::{parse_family_id, GenlHeader};
use crate::ipvs::wire::info::InfoAttrs;
use crate::ipvs::wire::nlmsg::{NlmsgIter, Reply};
use crate::ipvs::wire::request::{
    emit_get, emit_get_family, emit_op, parse_daemon_reply, parse_dest_reply, parse_service_reply,
};
use crate::ipvs::wire::service::ServiceAttrs;
use crate::ipvs::wire::uapi::*;
use crate::ipvs::wire::WireError;
use crate::sys::netlink::{NetlinkSocket, Received};

/// Receive buffer: the kernel sizes dump datagrams to at most 32 KiB minus overhead
/// (af_netlink.c caps max_recvmsg_len there), so nothing it sends is truncated.
pub const RECV_BUF_LEN: usize = 32 * 1024;
/// Send buffer: MAX_BATCH of the largest request (a NEW_DEST with an IPv6 service is
/// under 200 bytes) fit with room to spare.
pub const SEND_BUF_LEN: usize = 16 * 1024;
/// Requests per sendmsg. Bounded so the acks (one skb each) cannot overrun the socket's
/// default receive queue before we read them.
pub const MAX_BATCH: usize = 64;
/// How long one recv waits for the kernel.
pub const REPLY_TIMEOUT: Duration = Duration::from_secs(5);
/// Datagrams read for one request at most (a dump of a huge table is far fewer).
const MAX_DATAGRAMS: usize = 1 << 20;

/// Where netlink datagrams go: the kernel socket, or a scripted kernel in tests.
pub trait Transport {
    fn send(&mut self, buf: &[u8]) -> io::Result<()>;
    fn recv(&mut self, buf: &mut [u8]) -> io::Result<Received>;
    /// Drops whatever is queued (after a timeout, overrun or garbled datagram) by
    /// starting over with a fresh socket.
    fn reset(&mut self) -> io::Result<()>;
}

/// The real NETLINK_GENERIC socket.
#[derive(Debug)]
pub struct KernelSocket(NetlinkSocket);

impl KernelSocket {
    pub fn open() -> io::Result<KernelSocket> {
        NetlinkSocket::open(NETLINK_GENERIC, REPLY_TIMEOUT).map(KernelSocket)
    }
}

impl Transport for KernelSocket {
    fn send(&mut self, buf: &[u8]) -> io::Result<()> {
        self.0.send(buf)
    }
    fn recv(&mut self, buf: &mut [u8]) -> io::Result<Received> {
        self.0.recv(buf)
    }
    fn reset(&mut self) -> io::Result<()> {
        self.0 = NetlinkSocket::open(NETLINK_GENERIC, REPLY_TIMEOUT)?;
        Ok(())
    }
}

fn io_errno(e: &io::Error) -> i32 {
    match e.raw_os_error() {
        // SO_RCVTIMEO expiry.
        Some(libc::EAGAIN) => libc::ETIMEDOUT,
        Some(n) => n,
        None => libc::EIO,
    }
}

fn wire_errno(e: WireError) -> i32 {
    warn!("netlink: malformed IPVS reply: {e}");
    libc::EBADMSG
}

fn query_error(errno: i32, context: &'static str) -> IpvsError {
    IpvsError {
        op: None,
        errno,
        context,
    }
}

/// Reads datagrams from the kernel and hands every message whose sequence number lies in
/// `first .. first + count` to `handle` until it breaks. Messages from other senders or
/// with other sequence numbers (late answers to an abandoned request) are skipped.
/// Transport problems are errors: timeout (ETIMEDOUT), queue overrun (ENOBUFS), a
/// truncated datagram (EMSGSIZE), broken framing (EBADMSG). `handle` (like `get`'s
/// `on_data`) is `dyn`, for code size: one copy of the read loop instead of one per
/// caller (-4.5 KB on mipsel).
fn receive<T: Transport>(
    io: &mut T,
    buf: &mut [u8],
    first: u32,
    count: u32,
    handle: &mut dyn FnMut(u32, Reply<'_>) -> ControlFlow<()>,
) -> Result<(), i32> {
    for _ in 0..MAX_DATAGRAMS {
        let r = io.recv(buf).map_err(|e| io_errno(&e))?;
        if r.truncated {
            return Err(libc::EMSGSIZE);
        }
        if r.from_pid != 0 {
            continue;
        }
        let datagram = buf.get(..r.len).unwrap_or(&[]);
        for msg in NlmsgIter::<Native>::new(datagram) {
            let msg = msg.map_err(wire_errno)?;
            let seq = msg.header.seq;
            if seq.wrapping_sub(first) >= count {
                continue;
            }
            let reply = msg.reply::<Native>().map_err(wire_errno)?;
            if handle(seq, reply).is_break() {
                return Ok(());
            }
        }
    }
    Err(libc::ETIMEDOUT)
}

/// What `NetlinkBackend::get` feeds each data message to: its command and attributes.
type OnData<'a> = dyn FnMut(u8, &[u8]) -> Result<(), WireError> + 'a;

/// The IPVS table over generic netlink.
pub struct NetlinkBackend<T: Transport = KernelSocket> {
    io: T,
    family: u16,
    seq: u32,
    tx: Box<[u8]>,
    rx: Box<[u8]>,
}

impl NetlinkBackend<KernelSocket> {
    /// Opens the socket and resolves the IPVS family. ENOENT means the kernel has no
    /// IPVS generic-netlink family (module absent or too old): `ipvs::open` then falls
    /// back to setsockopt.
    pub fn open() -> Result<Self, IpvsError> {
        let io =
            KernelSocket::open().map_err(|e| query_error(io_errno(&e), "open netlink socket"))?;
        NetlinkBackend::with_transport(io)
    }
}

impl<T: Transport> NetlinkBackend<T> {
    pub fn with_transport(io: T) -> Result<Self, IpvsError> {
        let mut b = NetlinkBackend {
            io,
            family: 0,
            seq: 1,
            tx: vec![0u8; SEND_BUF_LEN].into_boxed_slice(),
            rx: vec![0u8; RECV_BUF_LEN].into_boxed_slice(),
        };
        b.family = b
            .resolve_family()
            .map_err(|e| query_error(e, "resolve IPVS netlink family"))?;
        Ok(b)
    }

    /// The family id the kernel gave IPVS.
    pub fn family_id(&self) -> u16 {
        self.family
    }

    fn take_seq(&mut self, n: u32) -> u32 {
        let s = self.seq;
        self.seq = self.seq.wrapping_add(n);
        s
    }

    /// After a transport failure, whatever is still queued is unreliable.
    fn recover(&mut self) {
        if let Err(e) = self.io.reset() {
            warn!("netlink: cannot reopen socket: {e}");
        }
    }

    fn send(&mut self, len: usize) -> Result<(), i32> {
        let r = self.io.send(self.tx.get(..len).unwrap_or(&[]));
        r.map_err(|e| io_errno(&e))
    }

    fn resolve_family(&mut self) -> Result<u16, i32> {
        let seq = self.take_seq(1);
        let len =
            emit_get_family::<Native>(&mut self.tx, seq, IPVS_GENL_NAME).map_err(wire_errno)?;
        self.send(len)?;
        let mut result = Err(libc::EBADMSG);
        let r = receive(
            &mut self.io,
            &mut self.rx,
            seq,
            1,
            &mut |_, reply| match reply {
                Reply::Data(p) => {
                    result = GenlHeader::parse(p)
                        .and_then(|(_, attrs)| parse_family_id::<Native>(attrs))
                        .map_err(wire_errno);
                    ControlFlow::Continue(())
                }
                Reply::Ack | Reply::Done(_) => ControlFlow::Break(()),
                Reply::Error(e) => {
                    result = Err(e);
                    ControlFlow::Break(())
                }
                Reply::Other(_) => ControlFlow::Continue(()),
            },
        );
        if let Err(e) = r {
            self.recover();
            return Err(e);
        }
        result
    }

    /// Sends a GET and feeds each data message's (cmd, attributes) to `on_data`. A dump
    /// ends at NLMSG_DONE, a single GET at its ack. Errors from `on_data` are remembered
    /// but the reply is still read to its end, so the socket stays in step.
    fn get(
        &mut self,
        cmd: u8,
        service: Option<&ServiceKey>,
        dump: bool,
        on_data: &mut OnData<'_>,
    ) -> Result<(), i32> {
        let seq = self.take_seq(1);
        let len = emit_get::<Native>(&mut self.tx, self.family, seq, cmd, service, dump)
            .map_err(wire_errno)?;
        self.send(len)?;
        let mut err = None;
        let r = receive(
            &mut self.io,
            &mut self.rx,
            seq,
            1,
            &mut |_, reply| match reply {
                Reply::Data(p) => {
                    if let Err(e) =
                        GenlHeader::parse(p).and_then(|(g, attrs)| on_data(g.cmd, attrs))
                    {
                        err.get_or_insert(wire_errno(e));
                    }
                    ControlFlow::Continue(())
                }
                Reply::Done(0) | Reply::Ack => ControlFlow::Break(()),
                Reply::Done(e) | Reply::Error(e) => {
                    err.get_or_insert(e);
                    ControlFlow::Break(())
                }
                Reply::Other(_) => ControlFlow::Continue(()),
            },
        );
        if let Err(e) = r {
            self.recover();
            return Err(e);
        }
        err.map_or(Ok(()), Err)
    }

    /// Sends ops[..] in batches; reports each failure with its index.
    fn run_ops(&mut self, ops: &[Op], on_error: &mut dyn FnMut(usize, IpvsError)) {
        let fail = |i: usize, errno: i32, on_error: &mut dyn FnMut(usize, IpvsError)| {
            on_error(
                i,
                IpvsError {
                    op: Some(ops[i].clone()),
                    errno,
                    context: "apply",
                },
            )
        };
        let mut next = 0;
        // Each pass consumes at least one op, so ops.len() passes at most.
        while next < ops.len() {
            let base = self.seq;
            let mut idx = [0usize; MAX_BATCH];
            let mut result: [Option<i32>; MAX_BATCH] = [None; MAX_BATCH];
            let mut n = 0usize;
            let mut len = 0usize;
            while next < ops.len() && n < MAX_BATCH {
                let seq = base.wrapping_add(n as u32);
                let room = self.tx.get_mut(len..).unwrap_or(&mut []);
                match emit_op::<Native>(room, &ops[next], self.family, seq) {
                    Ok(l) => {
                        len += l;
                        idx[n] = next;
                        n += 1;
                        next += 1;
                    }
                    Err(_) if n > 0 => break,
                    Err(e) => {
                        // Cannot happen with SEND_BUF_LEN, but never loop on it.
                        warn!(
                            "netlink: cannot encode {}: {e}",
                            crate::ipvsadm::rule::RuleText(&ops[next])
                        );
                        fail(next, libc::EMSGSIZE, on_error);
                        next += 1;
                    }
                }
            }
            if n == 0 {
                continue;
            }
            self.seq = base.wrapping_add(n as u32);
            let outcome = self.send(len).and_then(|()| {
                let mut left = n;
                receive(
                    &mut self.io,
                    &mut self.rx,
                    base,
                    n as u32,
                    &mut |seq, reply| {
                        let k = seq.wrapping_sub(base) as usize;
                        let r = match reply {
                            Reply::Ack => 0,
                            Reply::Error(e) => e,
                            _ => return ControlFlow::Continue(()),
                        };
                        if let Some(slot @ None) = result.get_mut(k) {
                            *slot = Some(r);
                            left -= 1;
                        }
                        if left == 0 {
                            ControlFlow::Break(())
                        } else {
                            ControlFlow::Continue(())
                        }
                    },
                )
            });
            if outcome.is_err() {
                self.recover();
            }
            for k in 0..n {
                match (result[k], outcome) {
                    (Some(0), _) => {}
                    (Some(e), _) | (None, Err(e)) => fail(idx[k], e, on_error),
                    (None, Ok(())) => fail(idx[k], libc::EPROTO, on_error),
                }
            }
        }
    }

    /// One service by key (IPVS_CMD_GET_SERVICE without NLM_F_DUMP); None when the
    /// kernel answers ESRCH. Cheaper than a dump when only one service matters.
    pub fn service(&mut self, key: &ServiceKey) -> Result<Option<(ServiceSpec, Stats)>, IpvsError> {
        let mut found = None;
        let r = self.get(IPVS_CMD_GET_SERVICE, Some(key), false, &mut |cmd, attrs| {
            if cmd == IPVS_CMD_NEW_SERVICE {
                let a = parse_service_reply::<Native>(attrs)?;
                found = Some((a.spec, a.stats.unwrap_or_default()));
            }
            Ok(())
        });
        match r {
            Ok(()) => Ok(found),
            Err(libc::ESRCH) => Ok(None),
            Err(e) => Err(query_error(e, "get service")),
        }
    }

    fn dump_services(&mut self, out: &mut Vec<KernelService>) -> Result<(), i32> {
        let mut count = 0usize;
        let r = self.get(IPVS_CMD_GET_SERVICE, None, true, &mut |cmd, attrs| {
            if cmd != IPVS_CMD_NEW_SERVICE {
                return Ok(());
            }
            let ServiceAttrs { spec, stats } = parse_service_reply::<Native>(attrs)?;
            let stats = stats.unwrap_or_default();
            match out.get_mut(count) {
                Some(slot) => {
                    slot.spec = spec;
                    slot.stats = stats;
                }
                None => out.push(KernelService {
                    spec,
                    stats,
                    dests: Vec::new(),
                }),
            }
            count += 1;
            Ok(())
        });
        out.truncate(count);
        r
    }

    fn dump_dests(&mut self, key: &ServiceKey, out: &mut Vec<KernelDest>) -> Result<(), i32> {
        let family: Family = key.family();
        let mut count = 0usize;
        let r = self.get(IPVS_CMD_GET_DEST, Some(key), true, &mut |cmd, attrs| {
            if cmd != IPVS_CMD_NEW_DEST {
                return Ok(());
            }
            let d = parse_dest_reply::<Native>(attrs, family)?.into_kernel();
            match out.get_mut(count) {
                Some(slot) => *slot = d,
                None => out.push(d),
            }
            count += 1;
            Ok(())
        });
        out.truncate(count);
        r
    }
}

impl<T: Transport> Backend for NetlinkBackend<T> {
    fn name(&self) -> &'static str {
        "netlink"
    }

    fn apply(&mut self, op: &Op) -> Result<(), IpvsError> {
        let mut err = None;
        self.run_ops(std::slice::from_ref(op), &mut |_, e| err = Some(e));
        err.map_or(Ok(()), Err)
    }

    fn apply_all(&mut self, ops: &[Op], on_error: &mut dyn FnMut(usize, IpvsError)) {
        self.run_ops(ops, on_error)
    }

    fn dump(&mut self, out: &mut KernelTable) -> Result<(), IpvsError> {
        self.dump_services(&mut out.services)
            .map_err(|e| query_error(e, "dump services"))?;
        for i in 0..out.services.len() {
            let key = out.services[i].spec.key;
            let mut dests = std::mem::take(&mut out.services[i].dests);
            let r = self.dump_dests(&key, &mut dests);
            out.services[i].dests = dests;
            r.map_err(|e| query_error(e, "dump destinations"))?;
        }
        Ok(())
    }

    fn info(&mut self) -> Result<Info, IpvsError> {
        let mut info = None;
        self.get(IPVS_CMD_GET_INFO, None, false, &mut |cmd, attrs| {
            if cmd == IPVS_CMD_SET_INFO {
                info = Some(InfoAttrs::parse::<Native>(attrs)?.0);
            }
            Ok(())
        })
        .and_then(|()| info.ok_or(libc::EBADMSG))
        .map_err(|e| query_error(e, "get IPVS info"))
    }

    fn timeouts(&mut self) -> Result<Timeouts, IpvsError> {
        let mut t = None;
        self.get(IPVS_CMD_GET_CONFIG, None, false, &mut |cmd, attrs| {
            if cmd == IPVS_CMD_SET_CONFIG {
                t = Some(ConfigAttrs::parse::<Native>(attrs)?.0);
            }
            Ok(())
        })
        .and_then(|()| t.ok_or(libc::EBADMSG))
        .map_err(|e| query_error(e, "get timeouts"))
    }

    fn daemons(&mut self) -> Result<heapless::Vec<SyncDaemonSpec, 2>, IpvsError> {
        let mut out = heapless::Vec::new();
        self.get(IPVS_CMD_GET_DAEMON, None, true, &mut |cmd, attrs| {
            if cmd == IPVS_CMD_NEW_DAEMON {
                // The kernel runs at most one master and one backup.
                let _ = out.push(parse_daemon_reply::<Native>(attrs)?.0);
            }
            Ok(())
        })
        .map_err(|e| query_error(e, "get daemons"))?;
        Ok(out)
    }
}

#[cfg(test)]
#[path = "netlink_tests.rs"]
mod tests;
