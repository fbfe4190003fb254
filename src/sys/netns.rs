//! Network namespaces (owner: ipvs and probe): runs a function with the calling thread
//! inside another network namespace, then puts the thread back, so the sockets it opens
//! stay in that namespace for their whole life. `net_namespace_ipvs` uses it twice: for
//! the IPVS sockets (as keepalived, namespaces.c set_netns_name / restore_net_namespace)
//! and, unlike keepalived, for every probe socket too ([`ProbeNamespace`]): IPVS forwards
//! from that namespace, so that is where a real server must be reachable, and where a
//! check proves it.

// The shared `syscall!` macro evaluates its arguments inside its unsafe block; every
// argument passed here is a plain value.
#![allow(clippy::macro_metavars_in_unsafe)]

use std::cell::Cell;
use std::fs::File;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::path::{Path, PathBuf};

/// Where a namespace named by `net_namespace_ipvs` lives: `/var/run/netns/NAME` (what
/// `ip netns add` creates), or for an empty name the init process's namespace.
pub fn path_of(name: &str) -> PathBuf {
    if name.is_empty() {
        PathBuf::from("/proc/1/ns/net")
    } else {
        Path::new("/var/run/netns").join(name)
    }
}

/// Calls `f` with this thread in the network namespace at `ns`, then returns the thread
/// to the namespace it was in. An error entering the namespace means `f` did not run; an
/// error coming back is returned too (the thread would be stranded: the caller must not
/// go on as if nothing happened).
pub fn within<T>(ns: &Path, f: impl FnOnce() -> T) -> io::Result<T> {
    let home = File::open("/proc/thread-self/ns/net")?;
    let target = File::open(ns)?;
    syscall!(setns(target.as_raw_fd(), libc::CLONE_NEWNET))?;
    let out = f();
    syscall!(setns(home.as_raw_fd(), libc::CLONE_NEWNET))?;
    Ok(out)
}

thread_local! {
    /// (namespace to open probe sockets in, namespace to return to) while a
    /// [`ProbeNamespace`] lives on this thread; -1 otherwise. Plain fds in a `Cell`: no
    /// destructor to register, so the first probe of a run allocates nothing.
    static PROBE_NS: Cell<(RawFd, RawFd)> = const { Cell::new((-1, -1)) };
}

/// While alive, every probe socket this thread opens ([`socket_for_probe`]) is opened in
/// the namespace given to [`ProbeNamespace::enter`]. The reactor's thread holds one for
/// the daemon's life when `net_namespace_ipvs` is configured.
pub struct ProbeNamespace {
    // Held open for the fds in PROBE_NS; closed when the guard goes.
    _target: File,
    _home: File,
}

impl ProbeNamespace {
    /// Opens the namespace at `ns` (and this thread's own, to come back to) and makes it
    /// the one probe sockets of this thread are opened in.
    pub fn enter(ns: &Path) -> io::Result<ProbeNamespace> {
        let target = File::open(ns)?;
        let home = File::open("/proc/thread-self/ns/net")?;
        PROBE_NS.with(|c| c.set((target.as_raw_fd(), home.as_raw_fd())));
        Ok(ProbeNamespace {
            _target: target,
            _home: home,
        })
    }
}

impl Drop for ProbeNamespace {
    fn drop(&mut self) {
        PROBE_NS.with(|c| c.set((-1, -1)));
    }
}

/// socket(2) for a probe: in the [`ProbeNamespace`] of this thread if one is set (two
/// setns calls around it), else here. Failing to come back is an error, and the socket
/// made is closed: the thread would otherwise go on in the wrong namespace.
pub fn socket_for_probe(
    domain: libc::c_int,
    ty: libc::c_int,
    proto: libc::c_int,
) -> io::Result<OwnedFd> {
    let (target, home) = PROBE_NS.with(|c| c.get());
    if target < 0 {
        let raw = syscall!(socket(domain, ty, proto))?;
        // SAFETY: `raw` was just returned by socket(2) and is owned by nobody else.
        return Ok(unsafe { OwnedFd::from_raw_fd(raw) });
    }
    syscall!(setns(target, libc::CLONE_NEWNET))?;
    let made = syscall!(socket(domain, ty, proto));
    let back = syscall!(setns(home, libc::CLONE_NEWNET));
    // SAFETY: a descriptor just returned by socket(2), owned by nobody else.
    let fd = made.map(|raw| unsafe { OwnedFd::from_raw_fd(raw) });
    // Not back home: the socket (if any) is dropped, i.e. closed, with the error.
    back?;
    fd
}

/// The inode of the network namespace a socket belongs to (SIOCGSKNS), to tell where a
/// socket was opened.
pub fn socket_netns_inode(fd: &impl AsRawFd) -> io::Result<u64> {
    use std::os::fd::FromRawFd;
    use std::os::unix::fs::MetadataExt;
    // linux/sockios.h: SIOCGSKNS = 0x894C, returns a new fd of the socket's namespace.
    const SIOCGSKNS: libc::c_ulong = 0x894C;
    let nsfd = syscall!(ioctl(fd.as_raw_fd(), SIOCGSKNS as _))?;
    // SAFETY: the kernel just returned a new descriptor that nobody else owns.
    let f = unsafe { File::from_raw_fd(nsfd) };
    Ok(f.metadata()?.ino())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::MetadataExt;

    /// A namespace of our own, held by a thread (unshare is per thread) until the sender
    /// is used or dropped, named by its /proc path: nothing on the host is created or
    /// changed.
    fn fresh_namespace() -> (
        PathBuf,
        std::sync::mpsc::Sender<()>,
        std::thread::JoinHandle<()>,
    ) {
        let (tx, rx) = std::sync::mpsc::channel();
        let (done_tx, done_rx) = std::sync::mpsc::channel::<()>();
        let holder = std::thread::spawn(move || {
            // SAFETY: unshare with a constant flag; affects this thread only.
            let rc = unsafe { libc::unshare(libc::CLONE_NEWNET) };
            assert_eq!(rc, 0, "unshare: {}", io::Error::last_os_error());
            // SAFETY: gettid has no arguments.
            let tid = unsafe { libc::syscall(libc::SYS_gettid) };
            tx.send(PathBuf::from(format!("/proc/self/task/{}/ns/net", tid)))
                .unwrap();
            let _ = done_rx.recv();
        });
        (rx.recv().unwrap(), done_tx, holder)
    }

    #[test]
    fn sockets_opened_within_belong_to_that_namespace() {
        let (ns, done_tx, holder) = fresh_namespace();
        let ns_ino = std::fs::metadata(&ns).unwrap().ino();
        let home_ino = std::fs::metadata("/proc/thread-self/ns/net").unwrap().ino();
        assert_ne!(ns_ino, home_ino);
        // A socket made within belongs to that namespace.
        let s = within(&ns, || {
            std::net::UdpSocket::bind("0.0.0.0:0").map(|s| socket_netns_inode(&s))
        })
        .unwrap()
        .unwrap()
        .unwrap();
        assert_eq!(s, ns_ino);
        // Back home afterwards.
        let after = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        assert_eq!(socket_netns_inode(&after).unwrap(), home_ino);
        // A namespace that does not exist: f does not run.
        let mut ran = false;
        assert!(within(Path::new("/var/run/netns/lvsmon-no-such-ns"), || ran = true).is_err());
        assert!(!ran);
        assert_eq!(path_of(""), PathBuf::from("/proc/1/ns/net"));
        assert_eq!(path_of("blue"), PathBuf::from("/var/run/netns/blue"));
        let _ = done_tx.send(());
        holder.join().unwrap();
    }

    #[test]
    fn probe_sockets_open_in_the_probe_namespace_while_it_is_held() {
        // A fresh namespace: its loopback is down, so a probe opened there cannot reach a
        // listener on the host's 127.0.0.1.
        let (ns, done_tx, holder) = fresh_namespace();
        let ns_ino = std::fs::metadata(&ns).unwrap().ino();
        let home_ino = std::fs::metadata("/proc/thread-self/ns/net").unwrap().ino();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let target = listener.local_addr().unwrap();
        let opts = crate::model::config::SockOpts::default();
        let probe = || {
            crate::sys::probe::open_connected(crate::sys::probe::SockKind::Tcp, target, None, &opts)
        };
        let udp = || socket_for_probe(libc::AF_INET, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0);

        let guard = ProbeNamespace::enter(&ns).unwrap();
        assert_eq!(socket_netns_inode(&udp().unwrap()).unwrap(), ns_ino);
        let err = probe().expect_err("lo is down in the probe namespace");
        assert_eq!(err.raw_os_error(), Some(libc::ENETUNREACH), "{}", err);
        // The thread itself stayed home: its own sockets are made here.
        let here = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        assert_eq!(socket_netns_inode(&here).unwrap(), home_ino);
        drop(guard);

        // Without the guard, probes are made at home and reach the listener.
        assert_eq!(socket_netns_inode(&udp().unwrap()).unwrap(), home_ino);
        let fd = probe().unwrap();
        assert!(crate::sys::probe::wait_writable(&fd, 2000).unwrap());
        // A namespace that does not exist is an error, and sets nothing.
        assert!(ProbeNamespace::enter(Path::new("/var/run/netns/lvsmon-no-such-ns")).is_err());
        assert_eq!(socket_netns_inode(&udp().unwrap()).unwrap(), home_ino);
        let _ = done_tx.send(());
        holder.join().unwrap();
    }
}
