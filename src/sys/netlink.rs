//! Netlink and IPVS sockopt syscalls: a blocking generic-netlink socket that talks only
//! to the kernel (port id 0) with a receive timeout, and the raw IPv4 socket on which
//! ipvsadm's older interface runs setsockopt/getsockopt(IPPROTO_IP, IP_VS_SO_*).
//! Every `unsafe` call has its `// SAFETY:` reason; callers see safe functions.

use std::io;
use std::mem;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::time::Duration;

/// -1 from a libc call becomes the thread's errno as `io::Error` (mio's convention).
fn cvt<T: Default + PartialEq + Copy + From<i8>>(res: T) -> io::Result<T> {
    if res == T::from(-1) {
        Err(io::Error::last_os_error())
    } else {
        Ok(res)
    }
}

/// How many times a syscall interrupted by a signal is retried before giving up.
const EINTR_RETRIES: usize = 16;

/// Runs `f` (a syscall answering -1 and errno) again while it fails with EINTR. One
/// `dyn` copy for the four syscalls, for code size (-0.5 KB on mipsel); results are
/// widened to isize.
fn retry(f: &mut dyn FnMut() -> isize) -> io::Result<isize> {
    let mut last = None;
    for _ in 0..EINTR_RETRIES {
        match cvt(f()) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => last = Some(e),
            r => return r,
        }
    }
    Err(last.unwrap_or_else(|| io::Error::from_raw_os_error(libc::EINTR)))
}

fn set_opt<T>(fd: &OwnedFd, level: i32, name: i32, value: &T) -> io::Result<()> {
    // SAFETY: `value` points at a live T of exactly the length passed.
    cvt(unsafe {
        libc::setsockopt(
            fd.as_raw_fd(),
            level,
            name,
            (value as *const T).cast::<libc::c_void>(),
            mem::size_of::<T>() as libc::socklen_t,
        )
    })
    .map(drop)
}

/// The value for SO_RCVTIMEO/SO_SNDTIMEO. libc pairs its `SO_RCVTIMEO` with its own
/// `timeval`, by the size of its `time_t` (libc 0.2.191, src/new/linux_uapi/asm/socket.rs):
/// on the 32-bit musl targets libc still declares a 32-bit `time_t` (a deprecated alias,
/// "changed to 64-bit in musl 1.2.0"), and then `SO_RCVTIMEO` is the kernel's
/// SO_RCVTIMEO_OLD (20; 0x1006 on MIPS), which takes two `long`s; built with
/// `--cfg libc_unstable_musl_v1_2` it is SO_RCVTIMEO_NEW (66) with two 64-bit fields, as
/// musl 1.2's own headers use. musl 1.2.3's setsockopt passes either to the kernel as
/// is (src/network/setsockopt.c rewrites NEW to OLD only when a pre-5.1 kernel answers
/// ENOPROTOOPT), so the pair is right on every target as long as both halves come from
/// libc. The fields are filled by inference (`From<i32>` for 32- or 64-bit fields), not
/// through the deprecated `time_t`/`suseconds_t` names; seconds are clamped to what a
/// 32-bit field holds (68 years: "no timeout" for a netlink reply).
fn timeval(d: Duration) -> libc::timeval {
    let secs = i32::try_from(d.as_secs()).unwrap_or(i32::MAX);
    // subsec_micros() < 1_000_000: always fits.
    let micros = i32::try_from(d.subsec_micros()).unwrap_or(999_999);
    libc::timeval {
        tv_sec: secs.into(),
        tv_usec: micros.into(),
    }
}

/// What one `recv` returned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Received {
    pub len: usize,
    /// The datagram was larger than the buffer (MSG_TRUNC): its tail is lost.
    pub truncated: bool,
    /// Sender's port id: 0 for the kernel.
    pub from_pid: u32,
}

/// A NETLINK_GENERIC socket bound to a kernel-assigned port id.
#[derive(Debug)]
pub struct NetlinkSocket {
    fd: OwnedFd,
}

impl NetlinkSocket {
    /// Opens and binds the socket; replies wait at most `timeout` per datagram.
    /// NETLINK_CAP_ACK (Linux 4.3+) makes error acks echo only the request header, which
    /// keeps a batch's acks small; where it is missing the full echo is tolerated.
    pub fn open(protocol: i32, timeout: Duration) -> io::Result<NetlinkSocket> {
        // SAFETY: plain socket(2) call with constant arguments.
        let raw = cvt(unsafe {
            libc::socket(
                libc::AF_NETLINK,
                libc::SOCK_RAW | libc::SOCK_CLOEXEC,
                protocol,
            )
        })?;
        // SAFETY: `raw` is a fresh descriptor that nothing else owns.
        let fd = unsafe { OwnedFd::from_raw_fd(raw) };
        // SAFETY: sockaddr_nl is plain data; all-zero is a valid value (pid 0 = kernel
        // assigns, no groups).
        let mut addr: libc::sockaddr_nl = unsafe { mem::zeroed() };
        addr.nl_family = libc::AF_NETLINK as libc::sa_family_t;
        // SAFETY: `addr` is a valid sockaddr_nl of the length passed.
        cvt(unsafe {
            libc::bind(
                fd.as_raw_fd(),
                (&addr as *const libc::sockaddr_nl).cast::<libc::sockaddr>(),
                mem::size_of::<libc::sockaddr_nl>() as libc::socklen_t,
            )
        })?;
        let one: libc::c_int = 1;
        let _ = set_opt(&fd, libc::SOL_NETLINK, libc::NETLINK_CAP_ACK, &one);
        set_opt(&fd, libc::SOL_SOCKET, libc::SO_RCVTIMEO, &timeval(timeout))?;
        set_opt(&fd, libc::SOL_SOCKET, libc::SO_SNDTIMEO, &timeval(timeout))?;
        Ok(NetlinkSocket { fd })
    }

    /// Sends one datagram (one or more netlink messages) to the kernel, whole or not at
    /// all.
    pub fn send(&self, buf: &[u8]) -> io::Result<()> {
        // SAFETY: as in `open`, an all-zero sockaddr_nl is valid; pid 0 = the kernel.
        let mut to: libc::sockaddr_nl = unsafe { mem::zeroed() };
        to.nl_family = libc::AF_NETLINK as libc::sa_family_t;
        let n = retry(&mut || {
            // SAFETY: `buf` and `to` are live for the call with the lengths passed.
            unsafe {
                libc::sendto(
                    self.fd.as_raw_fd(),
                    buf.as_ptr().cast::<libc::c_void>(),
                    buf.len(),
                    0,
                    (&to as *const libc::sockaddr_nl).cast::<libc::sockaddr>(),
                    mem::size_of::<libc::sockaddr_nl>() as libc::socklen_t,
                )
            }
        })?;
        if n as usize != buf.len() {
            return Err(io::Error::from_raw_os_error(libc::EMSGSIZE));
        }
        Ok(())
    }

    /// Receives one datagram into `buf`. A timeout is `ErrorKind::WouldBlock`/`TimedOut`
    /// (EAGAIN); a receive-queue overrun is ENOBUFS.
    pub fn recv(&self, buf: &mut [u8]) -> io::Result<Received> {
        // SAFETY: all-zero sockaddr_nl / msghdr are valid "empty" values; the pointers
        // below point at locals and `buf`, which outlive the call.
        let mut from: libc::sockaddr_nl = unsafe { mem::zeroed() };
        let mut iov = libc::iovec {
            iov_base: buf.as_mut_ptr().cast::<libc::c_void>(),
            iov_len: buf.len(),
        };
        // SAFETY: see above.
        let mut msg: libc::msghdr = unsafe { mem::zeroed() };
        msg.msg_name = (&mut from as *mut libc::sockaddr_nl).cast::<libc::c_void>();
        msg.msg_namelen = mem::size_of::<libc::sockaddr_nl>() as libc::socklen_t;
        msg.msg_iov = &mut iov;
        msg.msg_iovlen = 1;
        // SAFETY: `msg` points at `from`, `iov` and `buf`, all live and correctly sized.
        let n = retry(&mut || unsafe { libc::recvmsg(self.fd.as_raw_fd(), &mut msg, 0) })?;
        Ok(Received {
            len: (n as usize).min(buf.len()),
            truncated: msg.msg_flags & libc::MSG_TRUNC != 0,
            from_pid: from.nl_pid,
        })
    }
}

/// The raw IPv4 socket used for IP_VS_SO_* socket options (needs CAP_NET_RAW to open,
/// CAP_NET_ADMIN for the options).
#[derive(Debug)]
pub struct IpvsSockopt {
    fd: OwnedFd,
}

impl IpvsSockopt {
    pub fn open() -> io::Result<IpvsSockopt> {
        // SAFETY: plain socket(2) call with constant arguments.
        let raw = cvt(unsafe {
            libc::socket(
                libc::AF_INET,
                libc::SOCK_RAW | libc::SOCK_CLOEXEC,
                libc::IPPROTO_RAW,
            )
        })?;
        // SAFETY: `raw` is a fresh descriptor that nothing else owns.
        Ok(IpvsSockopt {
            fd: unsafe { OwnedFd::from_raw_fd(raw) },
        })
    }

    /// setsockopt(IPPROTO_IP, `opt`, `arg`); `arg` may be empty (IP_VS_SO_SET_FLUSH).
    pub fn set(&self, opt: i32, arg: &[u8]) -> io::Result<()> {
        retry(&mut || {
            // SAFETY: `arg` is live for the call and its length is passed.
            unsafe {
                libc::setsockopt(
                    self.fd.as_raw_fd(),
                    libc::IPPROTO_IP,
                    opt,
                    arg.as_ptr().cast::<libc::c_void>(),
                    arg.len() as libc::socklen_t,
                ) as isize
            }
        })
        .map(drop)
    }

    /// getsockopt(IPPROTO_IP, `opt`): the kernel reads its input from `buf` (for
    /// example num_services) and writes the answer over it. Returns the length it set.
    pub fn get(&self, opt: i32, buf: &mut [u8]) -> io::Result<usize> {
        let mut len = buf.len() as libc::socklen_t;
        retry(&mut || {
            // SAFETY: `buf` is writable for `len` bytes; `len` is a live socklen_t.
            unsafe {
                libc::getsockopt(
                    self.fd.as_raw_fd(),
                    libc::IPPROTO_IP,
                    opt,
                    buf.as_mut_ptr().cast::<libc::c_void>(),
                    &mut len,
                ) as isize
            }
        })?;
        Ok(len as usize)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The host kernel talks generic netlink even without IPVS: asking the controller
    /// for a family that does not exist (name within GENL_NAMSIZ) must come back as an NLMSG_ERROR (ENOENT).
    #[test]
    fn generic_netlink_round_trip_with_the_controller() {
        use crate::ipvs::wire::endian::Native;
        use crate::ipvs::wire::nlmsg::{NlmsgIter, Reply};
        use crate::ipvs::wire::request::emit_get_family;
        let s = NetlinkSocket::open(libc::NETLINK_GENERIC, Duration::from_secs(5)).unwrap();
        let mut buf = [0u8; 64];
        let n = emit_get_family::<Native>(&mut buf, 77, "lvsmonnone").unwrap();
        s.send(&buf[..n]).unwrap();
        let mut rx = vec![0u8; 32 * 1024];
        let r = s.recv(&mut rx).unwrap();
        assert!(!r.truncated);
        assert_eq!(r.from_pid, 0);
        let m = NlmsgIter::<Native>::new(&rx[..r.len])
            .next()
            .unwrap()
            .unwrap();
        assert_eq!(m.header.seq, 77);
        assert_eq!(m.reply::<Native>(), Ok(Reply::Error(libc::ENOENT)));
    }

    #[test]
    fn truncation_is_reported() {
        use crate::ipvs::wire::endian::Native;
        use crate::ipvs::wire::request::emit_get_family;
        let s = NetlinkSocket::open(libc::NETLINK_GENERIC, Duration::from_secs(5)).unwrap();
        let mut buf = [0u8; 64];
        // "nlctrl" exists everywhere; its reply is far longer than 16 bytes.
        let n = emit_get_family::<Native>(&mut buf, 1, "nlctrl").unwrap();
        s.send(&buf[..n]).unwrap();
        let mut rx = [0u8; 16];
        let r = s.recv(&mut rx).unwrap();
        assert!(r.truncated);
        assert_eq!(r.len, 16);
    }

    #[test]
    // The fields are i64 here and i32 on the 32-bit musl targets: widen for either.
    #[allow(clippy::useless_conversion)]
    fn timeouts_are_split_into_seconds_and_microseconds_and_clamped() {
        let tv = timeval(Duration::from_millis(2_500));
        assert_eq!((i64::from(tv.tv_sec), i64::from(tv.tv_usec)), (2, 500_000));
        let tv = timeval(Duration::from_secs(u64::MAX));
        assert_eq!(i64::from(tv.tv_sec), i64::from(i32::MAX));
    }

    /// The receive timeout reaches the kernel: a recv with nothing to read ends with
    /// EAGAIN instead of blocking.
    #[test]
    fn recv_without_a_reply_times_out() {
        let s = NetlinkSocket::open(libc::NETLINK_GENERIC, Duration::from_millis(200)).unwrap();
        let mut rx = [0u8; 64];
        let started = std::time::Instant::now();
        let err = s.recv(&mut rx).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::WouldBlock, "{}", err);
        assert!(started.elapsed() < Duration::from_secs(30));
    }
}
