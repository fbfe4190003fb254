//! Network namespaces (owner: ipvs): runs a function with the calling thread inside
//! another network namespace, then puts the thread back, so the sockets it opens stay in
//! that namespace for their whole life (keepalived's `net_namespace_ipvs`, namespaces.c
//! set_netns_name / restore_net_namespace: only the IPVS sockets move, the checks stay).

use std::fs::File;
use std::io;
use std::os::fd::AsRawFd;
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

    #[test]
    fn sockets_opened_within_belong_to_that_namespace() {
        // A namespace of our own, held by a thread (unshare is per thread), named by its
        // /proc path: nothing on the host is created or changed.
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
        let ns = rx.recv().unwrap();
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
}
