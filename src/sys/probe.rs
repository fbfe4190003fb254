//! Probe syscalls (owner: probe): non-blocking sockets with an optional source address,
//! ICMP echo sockets, and MISC_CHECK children (fork/exec without a shell, own process
//! group, pidfd, reaping). Every descriptor is created O_CLOEXEC so no child inherits it.

// The shared `syscall!` macro evaluates its arguments inside its unsafe block; every
// argument passed here is a plain value or a pointer to a live local.
#![allow(clippy::macro_metavars_in_unsafe)]

use std::ffi::CStr;
use std::io;
use std::mem;
use std::net::{IpAddr, SocketAddr};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};

use crate::model::config::SockOpts;

/// The socket flavours a probe opens.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SockKind {
    Tcp,
    Udp,
    /// Unprivileged ICMP echo socket (SOCK_DGRAM, IPPROTO_ICMP / IPPROTO_ICMPV6).
    PingDgram,
    /// Raw ICMP socket: the fallback when ping sockets are not allowed.
    PingRaw,
}

/// A `sockaddr_storage` filled from a `SocketAddr`, with its length.
fn sockaddr(addr: &SocketAddr) -> (libc::sockaddr_storage, libc::socklen_t) {
    // SAFETY: sockaddr_storage is plain old data; all-zero is a valid value.
    let mut ss: libc::sockaddr_storage = unsafe { mem::zeroed() };
    let len = match addr {
        SocketAddr::V4(a) => {
            let sin = libc::sockaddr_in {
                sin_family: libc::AF_INET as libc::sa_family_t,
                sin_port: a.port().to_be(),
                sin_addr: libc::in_addr {
                    s_addr: u32::from_ne_bytes(a.ip().octets()),
                },
                sin_zero: [0; 8],
            };
            // SAFETY: sockaddr_storage is larger than and suitably aligned for sockaddr_in.
            unsafe { std::ptr::write(&mut ss as *mut _ as *mut libc::sockaddr_in, sin) };
            mem::size_of::<libc::sockaddr_in>()
        }
        SocketAddr::V6(a) => {
            let sin6 = libc::sockaddr_in6 {
                sin6_family: libc::AF_INET6 as libc::sa_family_t,
                sin6_port: a.port().to_be(),
                sin6_flowinfo: a.flowinfo(),
                sin6_addr: libc::in6_addr {
                    s6_addr: a.ip().octets(),
                },
                sin6_scope_id: a.scope_id(),
            };
            // SAFETY: sockaddr_storage is larger than and suitably aligned for sockaddr_in6.
            unsafe { std::ptr::write(&mut ss as *mut _ as *mut libc::sockaddr_in6, sin6) };
            mem::size_of::<libc::sockaddr_in6>()
        }
    };
    (ss, len as libc::socklen_t)
}

/// Opens a non-blocking, close-on-exec socket of `kind` towards `target`, sets the
/// check's `opts` (SO_MARK for `fwmark`, SO_BINDTODEVICE for `bind_if`, in keepalived's
/// order, layer4.c), binds it to `bind` first when given (`bindto` / `bind_port`), and
/// starts connecting. For TCP the
/// connect is usually still in progress on return: wait for WRITABLE, then read SO_ERROR.
/// For datagram sockets connect only fixes the peer, so the kernel filters replies and
/// reports ICMP errors (port unreachable) on this socket.
pub fn open_connected(
    kind: SockKind,
    target: SocketAddr,
    bind: Option<SocketAddr>,
    opts: &SockOpts,
) -> io::Result<OwnedFd> {
    let family = match target {
        SocketAddr::V4(_) => libc::AF_INET,
        SocketAddr::V6(_) => libc::AF_INET6,
    };
    let icmp = if family == libc::AF_INET {
        libc::IPPROTO_ICMP
    } else {
        libc::IPPROTO_ICMPV6
    };
    let (ty, proto) = match kind {
        SockKind::Tcp => (libc::SOCK_STREAM, 0),
        SockKind::Udp => (libc::SOCK_DGRAM, 0),
        SockKind::PingDgram => (libc::SOCK_DGRAM, icmp),
        SockKind::PingRaw => (libc::SOCK_RAW, icmp),
    };
    // In the net_namespace_ipvs namespace when one is configured (sys::netns).
    let fd = crate::sys::netns::socket_for_probe(
        family,
        ty | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC,
        proto,
    )?;
    let raw = fd.as_raw_fd();
    if opts.fwmark != 0 {
        let mark: u32 = opts.fwmark;
        syscall!(setsockopt(
            raw,
            libc::SOL_SOCKET,
            libc::SO_MARK,
            &mark as *const _ as *const libc::c_void,
            mem::size_of::<u32>() as libc::socklen_t
        ))?;
    }
    if let Some(ifname) = &opts.bind_if {
        // The kernel copies at most IFNAMSIZ - 1 bytes and terminates them itself.
        syscall!(setsockopt(
            raw,
            libc::SOL_SOCKET,
            libc::SO_BINDTODEVICE,
            ifname.as_ptr() as *const libc::c_void,
            ifname.len() as libc::socklen_t
        ))?;
    }
    if let Some(local) = bind {
        if local.port() != 0 {
            // A fixed source port is reused by every attempt; without SO_REUSEADDR the
            // previous attempt's TIME_WAIT would make bind fail with EADDRINUSE.
            let one: libc::c_int = 1;
            syscall!(setsockopt(
                raw,
                libc::SOL_SOCKET,
                libc::SO_REUSEADDR,
                &one as *const _ as *const libc::c_void,
                mem::size_of::<libc::c_int>() as libc::socklen_t
            ))?;
            if kind == SockKind::Tcp {
                // The same source port towards the same target gives the same 4-tuple
                // every attempt; a normal close would leave it in TIME_WAIT for 60 s and
                // the next connect would fail with EADDRNOTAVAIL. Closing with a reset
                // (SO_LINGER 0) leaves no TIME_WAIT; the verdict is known by then.
                let linger = libc::linger {
                    l_onoff: 1,
                    l_linger: 0,
                };
                syscall!(setsockopt(
                    raw,
                    libc::SOL_SOCKET,
                    libc::SO_LINGER,
                    &linger as *const _ as *const libc::c_void,
                    mem::size_of::<libc::linger>() as libc::socklen_t
                ))?;
            }
        }
        let (ss, len) = sockaddr(&local);
        syscall!(bind(raw, &ss as *const _ as *const libc::sockaddr, len))?;
    }
    let (ss, len) = sockaddr(&target);
    match syscall!(connect(raw, &ss as *const _ as *const libc::sockaddr, len)) {
        Ok(_) => Ok(fd),
        Err(e) if e.raw_os_error() == Some(libc::EINPROGRESS) => Ok(fd),
        Err(e) => Err(e),
    }
}

/// Waits until `fd` is writable (a connect in progress has ended, well or not) or
/// `timeout_ms` has passed: Ok(false) on the timeout. For the blocking `genhash` CLI;
/// the daemon's probes wait in the reactor instead.
pub fn wait_writable(fd: &OwnedFd, timeout_ms: i32) -> io::Result<bool> {
    let mut pfd = libc::pollfd {
        fd: fd.as_raw_fd(),
        events: libc::POLLOUT,
        revents: 0,
    };
    // EINTR: a signal (the CLI sets no handler, so only a stop/continue) restarts the
    // wait; bounded so that a signal storm cannot spin here forever.
    for _ in 0..64 {
        match syscall!(poll(&mut pfd, 1, timeout_ms)) {
            Ok(n) => return Ok(n > 0),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Err(io::Error::from_raw_os_error(libc::EINTR))
}

/// The unspecified address of `target`'s family with `port`: the source for a
/// `bind_port` given without `bindto`.
pub fn any_addr(target: &SocketAddr, port: u16) -> SocketAddr {
    match target {
        SocketAddr::V4(_) => SocketAddr::new(IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED), port),
        SocketAddr::V6(_) => SocketAddr::new(IpAddr::V6(std::net::Ipv6Addr::UNSPECIFIED), port),
    }
}

/// A user (and group) to run a script as, resolved before the fork.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ids {
    pub uid: libc::uid_t,
    pub gid: libc::gid_t,
}

/// Resolves `user` (and `group`, else the user's primary group) with the reentrant
/// lookups, using `scratch` as their string buffer so nothing is allocated.
pub fn lookup_ids(user: &CStr, group: Option<&CStr>, scratch: &mut [u8]) -> io::Result<Ids> {
    // SAFETY: passwd is plain old data; getpwnam_r fills it.
    let mut pw: libc::passwd = unsafe { mem::zeroed() };
    let mut res: *mut libc::passwd = std::ptr::null_mut();
    // SAFETY: every pointer is valid for the duration of the call; `scratch` is writable
    // for its whole length.
    let rc = unsafe {
        libc::getpwnam_r(
            user.as_ptr(),
            &mut pw,
            scratch.as_mut_ptr() as *mut libc::c_char,
            scratch.len(),
            &mut res,
        )
    };
    if rc != 0 {
        return Err(io::Error::from_raw_os_error(rc));
    }
    if res.is_null() {
        return Err(io::Error::from_raw_os_error(libc::ENOENT));
    }
    let mut ids = Ids {
        uid: pw.pw_uid,
        gid: pw.pw_gid,
    };
    if let Some(group) = group {
        // SAFETY: as above, for group.
        let mut gr: libc::group = unsafe { mem::zeroed() };
        let mut gres: *mut libc::group = std::ptr::null_mut();
        // SAFETY: every pointer is valid for the call; `scratch` is writable.
        let rc = unsafe {
            libc::getgrnam_r(
                group.as_ptr(),
                &mut gr,
                scratch.as_mut_ptr() as *mut libc::c_char,
                scratch.len(),
                &mut gres,
            )
        };
        if rc != 0 {
            return Err(io::Error::from_raw_os_error(rc));
        }
        if gres.is_null() {
            return Err(io::Error::from_raw_os_error(libc::ENOENT));
        }
        ids.gid = gr.gr_gid;
    }
    Ok(ids)
}

/// Runs `argv` (NUL-terminated pointer array into caller-owned NUL-terminated strings)
/// without a shell: fork, then in the child: its own process group (so a timeout kills
/// grandchildren too), stdin/stdout/stderr on /dev/null, optional uid/gid, execvp.
/// The child only makes async-signal-safe calls. Exec failure exits 127, as a shell does.
pub fn spawn(argv: &[*const libc::c_char], ids: Option<Ids>) -> io::Result<libc::pid_t> {
    if argv.is_empty() || argv[0].is_null() || !argv[argv.len() - 1].is_null() {
        return Err(io::Error::from_raw_os_error(libc::EINVAL));
    }
    let devnull = c"/dev/null";
    let pid = syscall!(fork())?;
    if pid != 0 {
        // Parent. Also set the group from this side: whichever of parent and child
        // runs first, the group exists before anyone signals it.
        let _ = syscall!(setpgid(pid, pid));
        return Ok(pid);
    }
    // Child: from here only async-signal-safe calls, then exec or _exit.
    // SAFETY: all calls below are async-signal-safe and take valid pointers; the child
    // never returns into Rust code.
    unsafe {
        libc::setpgid(0, 0);
        let null = libc::open(devnull.as_ptr(), libc::O_RDWR);
        if null < 0 {
            libc::_exit(127);
        }
        for target in 0..3 {
            if libc::dup2(null, target) < 0 {
                libc::_exit(127);
            }
        }
        // Our own descriptors are all close-on-exec, but a daemon can inherit open ones
        // from whoever started it (a jobserver pipe, a shell's fds): close everything
        // above stderr. close_range(2) is Linux 5.9+; older kernels get a bounded loop.
        if libc::syscall(libc::SYS_close_range, 3u32, u32::MAX, 0u32) != 0 {
            for fd in 3..MAX_FD_TO_CLOSE {
                libc::close(fd);
            }
        }
        // Signals ignored or blocked by the daemon must not leak into the script.
        let mut set: libc::sigset_t = mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigprocmask(libc::SIG_SETMASK, &set, std::ptr::null_mut());
        for sig in [libc::SIGPIPE, libc::SIGTERM, libc::SIGINT, libc::SIGHUP] {
            libc::signal(sig, libc::SIG_DFL);
        }
        if let Some(ids) = ids {
            if libc::setgroups(1, &ids.gid) != 0
                || libc::setgid(ids.gid) != 0
                || libc::setuid(ids.uid) != 0
            {
                libc::_exit(127);
            }
        }
        crate::sys::process::allow_huge_pages();
        crate::sys::process::restore_nofile();
        libc::execvp(argv[0], argv.as_ptr());
        libc::_exit(127)
    }
}

/// Descriptors closed one by one in a child when close_range(2) is missing.
const MAX_FD_TO_CLOSE: libc::c_int = 4096;

/// A pidfd for `pid` (close-on-exec by definition): readable once the process exits,
/// so the event loop learns of the exit without SIGCHLD.
pub fn pidfd_open(pid: libc::pid_t) -> io::Result<OwnedFd> {
    // SAFETY: pidfd_open takes a pid and flags; no pointers.
    let rc = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
    if rc < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: the kernel returned a new descriptor that nobody else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(rc as RawFd) })
}

/// Sends `sig` to the whole process group led by `pgid`. ESRCH (already gone) is fine.
pub fn kill_group(pgid: libc::pid_t, sig: libc::c_int) {
    if pgid > 1 {
        let _ = syscall!(kill(-pgid, sig));
    }
}

/// How a child ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    Code(i32),
    Signal(i32),
}

fn decode(status: libc::c_int) -> Exit {
    if libc::WIFEXITED(status) {
        Exit::Code(libc::WEXITSTATUS(status))
    } else {
        Exit::Signal(libc::WTERMSIG(status))
    }
}

/// Reaps `pid` if it has exited; `Ok(None)` while it still runs.
pub fn try_reap(pid: libc::pid_t) -> io::Result<Option<Exit>> {
    let mut status: libc::c_int = 0;
    let rc = syscall!(waitpid(pid, &mut status, libc::WNOHANG))?;
    if rc == 0 {
        Ok(None)
    } else {
        Ok(Some(decode(status)))
    }
}

/// Kills the group with SIGKILL and reaps `pid`, waiting for it: used only on cancel,
/// when a SIGKILLed child is gone within microseconds, so no zombie is left behind.
pub fn kill_and_reap(pid: libc::pid_t) {
    kill_group(pid, libc::SIGKILL);
    let mut status: libc::c_int = 0;
    loop {
        match syscall!(waitpid(pid, &mut status, 0)) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            _ => break,
        }
    }
}

/// True once `pid` has exited (it stays a zombie: not reaped), so its process group can
/// still be signalled without any risk of the number having been reused.
pub fn has_exited(pid: libc::pid_t) -> io::Result<bool> {
    // SAFETY: siginfo_t is plain old data; waitid fills it.
    let mut info: libc::siginfo_t = unsafe { mem::zeroed() };
    syscall!(waitid(
        libc::P_PID,
        pid as libc::id_t,
        &mut info,
        libc::WEXITED | libc::WNOHANG | libc::WNOWAIT
    ))?;
    // SAFETY: waitid succeeded, so si_pid is initialised (0 when nothing has exited).
    Ok(unsafe { info.si_pid() } != 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn getsockopt_bytes(fd: RawFd, opt: libc::c_int, out: &mut [u8]) -> usize {
        let mut len = out.len() as libc::socklen_t;
        // SAFETY: `out` is writable for `len` bytes; `len` is a live local.
        let rc = unsafe {
            libc::getsockopt(
                fd,
                libc::SOL_SOCKET,
                opt,
                out.as_mut_ptr() as *mut libc::c_void,
                &mut len,
            )
        };
        assert_eq!(rc, 0, "{}", io::Error::last_os_error());
        len as usize
    }

    #[test]
    fn check_socket_options_reach_the_socket() {
        use std::os::fd::AsRawFd;
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let target = l.local_addr().unwrap();
        let mut opts = SockOpts {
            fwmark: 0x5a,
            bind_if: None,
        };
        let _ = opts.bind_if.insert(heapless::String::new()).push_str("lo");
        for kind in [SockKind::Tcp, SockKind::Udp] {
            let fd = open_connected(kind, target, None, &opts).unwrap();
            let mut b = [0u8; 16];
            assert_eq!(getsockopt_bytes(fd.as_raw_fd(), libc::SO_MARK, &mut b), 4);
            assert_eq!(u32::from_ne_bytes([b[0], b[1], b[2], b[3]]), 0x5a);
            let n = getsockopt_bytes(fd.as_raw_fd(), libc::SO_BINDTODEVICE, &mut b);
            assert_eq!(&b[..n].split(|&c| c == 0).next().unwrap(), b"lo");
        }
        // No options: no mark, no device.
        let fd = open_connected(SockKind::Tcp, target, None, &SockOpts::default()).unwrap();
        let mut b = [0u8; 16];
        getsockopt_bytes(fd.as_raw_fd(), libc::SO_MARK, &mut b);
        assert_eq!(&b[..4], &[0, 0, 0, 0]);
        // An interface that does not exist fails the attempt (keepalived: connect_error).
        let mut gone = SockOpts::default();
        let _ = gone
            .bind_if
            .insert(heapless::String::new())
            .push_str("lvsmon-none0");
        let e = open_connected(SockKind::Tcp, target, None, &gone).unwrap_err();
        assert_eq!(e.raw_os_error(), Some(libc::ENODEV));
    }
}
