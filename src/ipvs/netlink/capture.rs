//! Capture and replay of a netlink conversation, for kernel test vectors: `Recorder`
//! wraps a transport and keeps every datagram; `to_text` / `from_text` store them as
//! hex lines ("> " sent, "< " received, "#" comments); `Replay` plays a stored
//! conversation back to a backend, checking that it sends the same bytes. The backend
//! numbers requests from 1 and asks in a fixed order, so a capture of
//! `capture_kernel_session` replays exactly.

use std::collections::VecDeque;
use std::fmt::Write as _;
use std::io;

use super::{KernelSocket, NetlinkBackend, Transport};
use crate::ipvs::backend::{Backend, IpvsError};
use crate::ipvs::rule::KernelTable;
use crate::sys::netlink::Received;

/// One datagram of a conversation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Datagram {
    /// True for what we sent, false for what the kernel answered.
    pub sent: bool,
    pub bytes: Vec<u8>,
}

/// A transport that records what passes through it.
pub struct Recorder<T: Transport> {
    pub inner: T,
    pub log: Vec<Datagram>,
}

impl<T: Transport> Recorder<T> {
    pub fn new(inner: T) -> Self {
        Recorder {
            inner,
            log: Vec::new(),
        }
    }
}

impl<T: Transport> Transport for Recorder<T> {
    fn send(&mut self, buf: &[u8]) -> io::Result<()> {
        self.log.push(Datagram {
            sent: true,
            bytes: buf.to_vec(),
        });
        self.inner.send(buf)
    }

    fn recv(&mut self, buf: &mut [u8]) -> io::Result<Received> {
        let r = self.inner.recv(buf)?;
        self.log.push(Datagram {
            sent: false,
            bytes: buf.get(..r.len).unwrap_or(&[]).to_vec(),
        });
        Ok(r)
    }

    fn reset(&mut self) -> io::Result<()> {
        self.inner.reset()
    }
}

/// Hex lines, 32 bytes per line; a datagram continues on lines starting with "  ".
pub fn to_text(log: &[Datagram]) -> String {
    let mut s = String::new();
    for d in log {
        for (i, chunk) in d.bytes.chunks(32).enumerate() {
            s.push_str(match (i, d.sent) {
                (0, true) => "> ",
                (0, false) => "< ",
                _ => "  ",
            });
            for b in chunk {
                let _ = write!(s, "{b:02x}");
            }
            s.push('\n');
        }
        if d.bytes.is_empty() {
            s.push_str(if d.sent { ">\n" } else { "<\n" });
        }
    }
    s
}

/// Parses `to_text` output (blank lines and "#" comments allowed); errors name the line.
pub fn from_text(text: &str) -> Result<Vec<Datagram>, String> {
    let mut out: Vec<Datagram> = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim_end();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (kind, hex) = line.split_at(1);
        let hex = hex.trim();
        let bytes = (0..hex.len() / 2)
            .map(|i| u8::from_str_radix(hex.get(2 * i..2 * i + 2).unwrap_or("zz"), 16))
            .collect::<Result<Vec<u8>, _>>()
            .ok()
            .filter(|_| hex.len() % 2 == 0)
            .ok_or_else(|| format!("line {}: bad hex", n + 1))?;
        match kind {
            ">" | "<" => out.push(Datagram {
                sent: kind == ">",
                bytes,
            }),
            " " => out
                .last_mut()
                .ok_or_else(|| format!("line {}: continuation without a datagram", n + 1))?
                .bytes
                .extend(bytes),
            _ => return Err(format!("line {}: expected '>', '<' or '  '", n + 1)),
        }
    }
    Ok(out)
}

/// Plays a recorded conversation back: each send must equal the next recorded send
/// (EPROTO otherwise); each recv returns the next recorded answer (EAGAIN, i.e. a
/// timeout, when none is left).
pub struct Replay {
    rest: VecDeque<Datagram>,
}

impl Replay {
    pub fn new(log: Vec<Datagram>) -> Replay {
        Replay { rest: log.into() }
    }

    /// Whether every recorded datagram was used.
    pub fn finished(&self) -> bool {
        self.rest.is_empty()
    }
}

impl Transport for Replay {
    fn send(&mut self, buf: &[u8]) -> io::Result<()> {
        match self.rest.pop_front() {
            Some(d) if d.sent && d.bytes == buf => Ok(()),
            _ => Err(io::Error::from_raw_os_error(libc::EPROTO)),
        }
    }

    fn recv(&mut self, buf: &mut [u8]) -> io::Result<Received> {
        match self.rest.front() {
            Some(d) if !d.sent => {
                let n = d.bytes.len().min(buf.len());
                buf[..n].copy_from_slice(&d.bytes[..n]);
                let truncated = d.bytes.len() > buf.len();
                self.rest.pop_front();
                Ok(Received {
                    len: n,
                    truncated,
                    from_pid: 0,
                })
            }
            _ => Err(io::Error::from_raw_os_error(libc::EAGAIN)),
        }
    }

    fn reset(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// The fixed conversation a capture holds: resolve the family, dump the table, read
/// info, timeouts and daemons. Returns the table read.
pub fn run_session<T: Transport>(b: &mut NetlinkBackend<T>) -> Result<KernelTable, IpvsError> {
    let mut t = KernelTable::default();
    b.dump(&mut t)?;
    b.info()?;
    b.timeouts()?;
    b.daemons()?;
    Ok(t)
}

/// Runs `run_session` against the kernel and returns the conversation as text (for a
/// hidden `lvsmon debug-netlink-capture`; the qemu board stores the output under
/// tests/data/netlink/).
pub fn capture_kernel_session() -> Result<String, IpvsError> {
    let io = KernelSocket::open().map_err(|e| IpvsError {
        op: None,
        errno: super::io_errno(&e),
        context: "open netlink socket",
    })?;
    let mut b = NetlinkBackend::with_transport(Recorder::new(io))?;
    run_session(&mut b)?;
    Ok(to_text(&b.io.log))
}
