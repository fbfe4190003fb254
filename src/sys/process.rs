//! Process-level syscalls for the daemon: umask, the signal self-pipe, daemonising,
//! and liveness of a pid.

use std::io;
use std::os::fd::{FromRawFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicI32, AtomicU32, Ordering};

pub fn set_umask(mask: u32) -> u32 {
    // SAFETY: umask has no failure mode and touches only this process's mask.
    unsafe { libc::umask(mask as libc::mode_t) as u32 }
}

pub fn getpid() -> u32 {
    // SAFETY: getpid cannot fail.
    unsafe { libc::getpid() as u32 }
}

/// Keeps the kernel from backing this process's memory with transparent huge pages.
/// lvsmon's tables and probe buffers are reserved at their full capacity and touched
/// sparsely; with THP "always" (Debian's default) khugepaged fills any 2 MiB range that
/// has one page in use with a whole huge page, which in the test VM added megabytes of
/// RSS that no code ever touched. Inherited across fork and exec: script children undo
/// it (`allow_huge_pages`). A kernel without THP rejects the call, which changes nothing.
pub fn forbid_huge_pages() {
    // SAFETY: PR_SET_THP_DISABLE takes integer arguments and only sets a process flag.
    unsafe { libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0) };
}

/// Undoes `forbid_huge_pages` in a child before exec (async-signal-safe: one syscall).
pub fn allow_huge_pages() {
    // SAFETY: as above; clearing the flag restores the system-wide policy.
    unsafe { libc::prctl(libc::PR_SET_THP_DISABLE, 0, 0, 0, 0) };
}

/// Raises this process's soft limit on open files towards `want` (never above the hard
/// limit, never lowering it) and returns the soft limit in force afterwards. Distributions
/// start daemons with a soft limit of 1024 and a far higher hard one; lvsmon's probes in
/// flight need one descriptor each beside its own.
pub fn raise_nofile(want: u64) -> u64 {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes only the struct passed, which lives on this stack.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) } != 0 {
        return want; // cannot fail for RLIMIT_NOFILE; if it did, nothing is known
    }
    let cur: u64 = lim.rlim_cur;
    let target = want.min(lim.rlim_max);
    if target > cur {
        let raised = libc::rlimit {
            rlim_cur: target as libc::rlim_t,
            rlim_max: lim.rlim_max,
        };
        // SAFETY: setrlimit reads only the struct passed; raising the soft limit up to the
        // hard one needs no privilege.
        if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &raised) } == 0 {
            // cur < target <= want: a small number (no AtomicU64 on 32-bit MIPS).
            let cur = u32::try_from(cur).unwrap_or(u32::MAX);
            let _ =
                NOFILE_BEFORE.compare_exchange(u32::MAX, cur, Ordering::Relaxed, Ordering::Relaxed);
            return target;
        }
    }
    cur
}

/// The soft open-file limit before `raise_nofile` raised it (u32::MAX: not raised).
static NOFILE_BEFORE: AtomicU32 = AtomicU32::new(u32::MAX);

/// In a child before exec (async-signal-safe: getrlimit and setrlimit): puts back the soft
/// open-file limit lvsmon was started with, so scripts see what they would without it
/// (programs using select(2) rely on descriptors below 1024).
pub fn restore_nofile() {
    let before = NOFILE_BEFORE.load(Ordering::Relaxed);
    if before == u32::MAX {
        return;
    }
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: both calls touch only the struct on this stack; lowering a soft limit needs
    // no privilege.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) == 0 {
            lim.rlim_cur = libc::rlim_t::from(before);
            libc::setrlimit(libc::RLIMIT_NOFILE, &lim);
        }
    }
}

/// True when a process with this pid exists (kill(pid, 0) says yes or EPERM).
pub fn pid_alive(pid: u32) -> bool {
    if pid == 0 || pid > i32::MAX as u32 {
        return false;
    }
    // SAFETY: signal 0 only checks for existence; nothing is delivered.
    let r = unsafe { libc::kill(pid as libc::pid_t, 0) };
    r == 0 || io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

/// The signals lvsmon acts on, as bits in the pending mask.
pub const SIG_HUP: u32 = 1;
pub const SIG_TERM: u32 = 2;
pub const SIG_INT: u32 = 4;
pub const SIG_USR1: u32 = 8;

static PIPE_WRITE_FD: AtomicI32 = AtomicI32::new(-1);
static PENDING: AtomicU32 = AtomicU32::new(0);

extern "C" fn on_signal(sig: libc::c_int) {
    let bit = match sig {
        libc::SIGHUP => SIG_HUP,
        libc::SIGTERM => SIG_TERM,
        libc::SIGINT => SIG_INT,
        libc::SIGUSR1 => SIG_USR1,
        _ => 0,
    };
    PENDING.fetch_or(bit, Ordering::SeqCst);
    let fd = PIPE_WRITE_FD.load(Ordering::SeqCst);
    if fd >= 0 {
        let byte = 1u8;
        // SAFETY: write(2) is async-signal-safe; the pipe is non-blocking, so a full pipe
        // drops the byte (the pending bit is already set, which is what matters).
        unsafe {
            libc::write(fd, &byte as *const u8 as *const libc::c_void, 1);
        }
    }
}

/// Installs handlers for HUP, TERM, INT and USR1 that wake the event loop through a
/// self-pipe (so children keep a default signal mask), and ignores SIGPIPE so a vanished
/// control client is an error value, not a death. Returns the read end to register.
pub fn install_signal_pipe() -> io::Result<OwnedFd> {
    let mut fds = [0 as RawFd; 2];
    syscall!(pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC | libc::O_NONBLOCK))?;
    // SAFETY: pipe2 just returned these two fresh descriptors; we own them.
    let (read_end, write_end) = unsafe { (OwnedFd::from_raw_fd(fds[0]), fds[1]) };
    let old = PIPE_WRITE_FD.swap(write_end, Ordering::SeqCst);
    if old >= 0 {
        // SAFETY: the previous write end was ours and no handler uses it any more.
        unsafe { libc::close(old) };
    }
    for sig in [libc::SIGHUP, libc::SIGTERM, libc::SIGINT, libc::SIGUSR1] {
        // SAFETY: a zeroed sigaction is a valid value to fill in.
        let mut sa: libc::sigaction = unsafe { std::mem::zeroed() };
        sa.sa_sigaction = on_signal as *const () as usize;
        sa.sa_flags = libc::SA_RESTART;
        // SAFETY: sa is fully initialised and on_signal is async-signal-safe.
        syscall!(sigemptyset(&mut sa.sa_mask))?;
        syscall!(sigaction(sig, &sa, std::ptr::null_mut()))?;
    }
    // SAFETY: setting SIGPIPE to SIG_IGN is always valid.
    unsafe { libc::signal(libc::SIGPIPE, libc::SIG_IGN) };
    Ok(read_end)
}

/// Returns and clears the signals received since the last call.
pub fn take_pending_signals() -> u32 {
    PENDING.swap(0, Ordering::SeqCst)
}

/// Double fork, setsid, chdir /, stdio to /dev/null: the classic sysvinit daemon.
/// Returns in the grandchild only; the original process exits 0 once the child has forked.
pub fn daemonize() -> io::Result<()> {
    // SAFETY: we are single-threaded at this point (called before the loop starts).
    match syscall!(fork())? {
        0 => {}
        _ => {
            // SAFETY: _exit skips atexit handlers and stdio flushing of the parent copy.
            unsafe { libc::_exit(0) }
        }
    }
    syscall!(setsid())?;
    match syscall!(fork())? {
        0 => {}
        // SAFETY: as above.
        _ => unsafe { libc::_exit(0) },
    }
    std::env::set_current_dir("/")?;
    let devnull = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/null")?;
    use std::os::fd::AsRawFd;
    for target in 0..=2 {
        syscall!(dup2(devnull.as_raw_fd(), target))?;
    }
    Ok(())
}

/// Sends SIGTERM to `pid` (a child we spawned).
pub fn terminate(pid: u32) {
    if pid == 0 || pid > i32::MAX as u32 {
        return;
    }
    // SAFETY: kill with a positive pid signals that one process; errors (already gone)
    // are harmless here.
    unsafe {
        libc::kill(pid as libc::pid_t, libc::SIGTERM);
    }
}

/// uid and primary gid of a user name, from the passwd database.
pub fn lookup_user(name: &str) -> Option<(u32, u32)> {
    let cname = std::ffi::CString::new(name).ok()?;
    // SAFETY: getpwnam returns a pointer into static storage or null; we copy the two
    // fields out before any other passwd call (single-threaded).
    unsafe {
        let pw = libc::getpwnam(cname.as_ptr());
        if pw.is_null() {
            None
        } else {
            Some(((*pw).pw_uid, (*pw).pw_gid))
        }
    }
}

/// gid of a group name, from the group database.
pub fn lookup_group(name: &str) -> Option<u32> {
    let cname = std::ffi::CString::new(name).ok()?;
    // SAFETY: as for getpwnam: static storage or null, one field copied out at once.
    unsafe {
        let gr = libc::getgrnam(cname.as_ptr());
        if gr.is_null() {
            None
        } else {
            Some((*gr).gr_gid)
        }
    }
}
