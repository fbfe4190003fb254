//! Whole generic-netlink messages: a request for each `Op`, the GET requests (dumps and
//! single replies), the controller's GETFAMILY, and the readers for the attribute
//! payloads of IPVS replies. Pure: bytes in, bytes out.

use super::config::ConfigAttrs;
use super::daemon::{DaemonAttrs, DaemonState};
use super::dest::{DestAttrs, DestId};
use super::endian::Endian;
use super::genl::GenlHeader;
use super::nla::{Attrs, NlaIter, NlaWriter};
use super::nlmsg::NlmsgHeader;
use super::service::{ServiceAttrs, ServiceId};
use super::uapi::*;
use super::WireError;
use crate::ipvs::rule::{Family, Op, ServiceKey, ServiceSpec};

/// Bytes before the attributes of every generic-netlink message.
pub const GENL_MSG_HDRLEN: usize = NLMSG_HDRLEN + GENL_HDRLEN;

/// The headers of one message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MsgHead {
    /// nlmsg_type: the generic-netlink family id.
    pub family: u16,
    pub flags: u16,
    pub seq: u32,
    pub cmd: u8,
    pub version: u8,
}

/// Writes one message: headers, then whatever `body` writes as attributes. Returns its
/// length, or BufferTooSmall with the length it needs.
pub fn emit_message<E: Endian>(
    buf: &mut [u8],
    head: &MsgHead,
    body: impl FnOnce(&mut NlaWriter<'_, E>),
) -> Result<usize, WireError> {
    let have = buf.len();
    if have < GENL_MSG_HDRLEN {
        return Err(WireError::BufferTooSmall {
            need: GENL_MSG_HDRLEN,
            have,
        });
    }
    let (hdr, rest) = buf.split_at_mut(GENL_MSG_HDRLEN);
    let mut w = NlaWriter::<E>::new(rest);
    body(&mut w);
    let attrs = w.finish().map_err(|e| match e {
        WireError::BufferTooSmall { need, .. } => WireError::BufferTooSmall {
            need: need + GENL_MSG_HDRLEN,
            have,
        },
        e => e,
    })?;
    let len = GENL_MSG_HDRLEN + attrs;
    NlmsgHeader {
        len: len as u32,
        kind: head.family,
        flags: head.flags,
        seq: head.seq,
        pid: 0,
    }
    .emit::<E>(hdr);
    GenlHeader {
        cmd: head.cmd,
        version: head.version,
    }
    .emit(&mut hdr[NLMSG_HDRLEN..]);
    Ok(len)
}

/// The IPVS command that carries `op`.
pub fn op_cmd(op: &Op) -> u8 {
    match op {
        Op::AddService(_) => IPVS_CMD_NEW_SERVICE,
        Op::EditService(_) => IPVS_CMD_SET_SERVICE,
        Op::DelService(_) => IPVS_CMD_DEL_SERVICE,
        Op::AddDest(..) => IPVS_CMD_NEW_DEST,
        Op::EditDest(..) => IPVS_CMD_SET_DEST,
        Op::DelDest(..) => IPVS_CMD_DEL_DEST,
        Op::Flush => IPVS_CMD_FLUSH,
        Op::Zero(_) => IPVS_CMD_ZERO,
        Op::SetTimeouts(_) => IPVS_CMD_SET_CONFIG,
        Op::StartDaemon(_) => IPVS_CMD_NEW_DAEMON,
        Op::StopDaemon(_) => IPVS_CMD_DEL_DAEMON,
    }
}

/// A service as NEW/SET_SERVICE send it. IP_VS_SVC_F_HASHED is the kernel's own
/// bookkeeping (reported in dumps): sent back on an add, the kernel believes the new
/// service already hashed and never hashes it (ip_vs_svc_hash), so it is never sent.
fn full_service(spec: &ServiceSpec) -> ServiceAttrs {
    let mut spec = spec.clone();
    spec.flags &= !IP_VS_SVC_F_HASHED;
    ServiceAttrs { spec, stats: None }
}

/// Writes the request for `op` with NLM_F_REQUEST | NLM_F_ACK, so the kernel answers
/// with an NLMSG_ERROR carrying 0 or -errno and this `seq`.
pub fn emit_op<E: Endian>(
    buf: &mut [u8],
    op: &Op,
    family: u16,
    seq: u32,
) -> Result<usize, WireError> {
    let head = MsgHead {
        family,
        flags: NLM_F_REQUEST | NLM_F_ACK,
        seq,
        cmd: op_cmd(op),
        version: IPVS_GENL_VERSION,
    };
    emit_message::<E>(buf, &head, |w| match op {
        Op::AddService(s) | Op::EditService(s) => full_service(s).write(w),
        Op::DelService(k) | Op::Zero(Some(k)) => ServiceId(k).write(w),
        Op::AddDest(k, d) | Op::EditDest(k, d) => {
            ServiceId(k).write(w);
            DestAttrs {
                spec: *d,
                counters: None,
            }
            .write(w);
        }
        Op::DelDest(k, a) => {
            ServiceId(k).write(w);
            DestId(a).write(w);
        }
        Op::Flush | Op::Zero(None) => {}
        Op::SetTimeouts(t) => ConfigAttrs(*t).write(w),
        Op::StartDaemon(d) => DaemonAttrs(d.clone()).write(w),
        Op::StopDaemon(s) => DaemonState(*s).write(w),
    })
}

/// Writes a GET request: `dump` adds NLM_F_DUMP (the kernel answers with NLM_F_MULTI
/// messages and NLMSG_DONE); otherwise NLM_F_ACK (one reply, then the ack). `service`
/// selects the service for GET_DEST.
pub fn emit_get<E: Endian>(
    buf: &mut [u8],
    family: u16,
    seq: u32,
    cmd: u8,
    service: Option<&ServiceKey>,
    dump: bool,
) -> Result<usize, WireError> {
    let head = MsgHead {
        family,
        flags: NLM_F_REQUEST | if dump { NLM_F_DUMP } else { NLM_F_ACK },
        seq,
        cmd,
        version: IPVS_GENL_VERSION,
    };
    emit_message::<E>(buf, &head, |w| {
        if let Some(k) = service {
            ServiceId(k).write(w);
        }
    })
}

/// Writes CTRL_CMD_GETFAMILY for `name` to the generic-netlink controller.
pub fn emit_get_family<E: Endian>(
    buf: &mut [u8],
    seq: u32,
    name: &str,
) -> Result<usize, WireError> {
    let head = MsgHead {
        family: GENL_ID_CTRL,
        flags: NLM_F_REQUEST | NLM_F_ACK,
        seq,
        cmd: CTRL_CMD_GETFAMILY,
        version: GENL_CTRL_VERSION,
    };
    emit_message::<E>(buf, &head, |w| w.put_str(CTRL_ATTR_FAMILY_NAME, name))
}

/// The payload of the first top-level attribute of type `kind`.
fn nest_of<'a, E: Endian>(
    attrs: &'a [u8],
    kind: u16,
    what: &'static str,
) -> Result<&'a [u8], WireError> {
    for nla in NlaIter::<E>::new(attrs) {
        let nla = nla?;
        if nla.kind == kind {
            return Ok(nla.payload);
        }
    }
    Err(WireError::Missing(what))
}

/// A GET_SERVICE reply (IPVS_CMD_NEW_SERVICE) after its genl header.
pub fn parse_service_reply<E: Endian>(attrs: &[u8]) -> Result<ServiceAttrs, WireError> {
    ServiceAttrs::parse::<E>(nest_of::<E>(
        attrs,
        IPVS_CMD_ATTR_SERVICE,
        "IPVS_CMD_ATTR_SERVICE",
    )?)
}

/// A GET_DEST reply (IPVS_CMD_NEW_DEST) after its genl header.
pub fn parse_dest_reply<E: Endian>(
    attrs: &[u8],
    svc_family: Family,
) -> Result<DestAttrs, WireError> {
    DestAttrs::parse::<E>(
        nest_of::<E>(attrs, IPVS_CMD_ATTR_DEST, "IPVS_CMD_ATTR_DEST")?,
        svc_family,
    )
}

/// A GET_DAEMON reply (IPVS_CMD_NEW_DAEMON) after its genl header.
pub fn parse_daemon_reply<E: Endian>(attrs: &[u8]) -> Result<DaemonAttrs, WireError> {
    DaemonAttrs::parse::<E>(nest_of::<E>(
        attrs,
        IPVS_CMD_ATTR_DAEMON,
        "IPVS_CMD_ATTR_DAEMON",
    )?)
}

#[cfg(test)]
#[path = "request_tests.rs"]
mod tests;
