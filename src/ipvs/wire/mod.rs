//! IPVS wire formats, pure (no I/O): netlink message and generic-netlink headers, the one
//! shared attribute (NLA) writer and iterator, the IPVS attribute sets (service, dest,
//! stats, info, config, daemon), whole request builders, and the setsockopt structs.
//! Layouts and numbers come from /usr/include/linux/ip_vs.h, linux/netlink.h and
//! linux/genetlink.h; `uapi` holds the constants under their uapi names.

pub mod config;
pub mod daemon;
pub mod dest;
pub mod endian;
pub mod genl;
pub mod info;
pub mod nla;
pub mod nlmsg;
pub mod request;
pub mod service;
pub mod sockopt;
pub mod stats;
pub mod uapi;

use std::fmt;

/// What is wrong with bytes we were asked to parse (or a buffer we were asked to fill).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WireError {
    /// Fewer bytes than the header or the length field promises.
    Truncated {
        what: &'static str,
        need: usize,
        have: usize,
    },
    /// A length field that is impossible (shorter than its own header, or the wrong size
    /// for a fixed-size attribute).
    BadLength { what: &'static str, len: usize },
    /// An attribute the kernel always sends (or the request needs) is absent.
    Missing(&'static str),
    /// A value outside what the field can mean.
    BadValue { what: &'static str, value: u64 },
    /// The output buffer cannot hold the message.
    BufferTooSmall { need: usize, have: usize },
}

impl fmt::Display for WireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WireError::Truncated { what, need, have } => {
                write!(f, "{what}: truncated ({have} of {need} bytes)")
            }
            WireError::BadLength { what, len } => write!(f, "{what}: bad length {len}"),
            WireError::Missing(what) => write!(f, "{what}: missing attribute"),
            WireError::BadValue { what, value } => write!(f, "{what}: bad value {value}"),
            WireError::BufferTooSmall { need, have } => {
                write!(f, "message needs {need} bytes, buffer has {have}")
            }
        }
    }
}

impl std::error::Error for WireError {}
