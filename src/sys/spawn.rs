//! Starting a script without a shell and reaping it, for src/scripts.rs: fork, then in
//! the child stdio on /dev/null, optional group/user switch, SIGPIPE back to its default,
//! an empty signal mask and execvp; exec failures reach the parent through a
//! close-on-exec pipe, so `spawn` fails as `std::process::Command::spawn` does. It
//! replaces Command (its environment map, posix_spawn path and child plumbing cost ~15 KB
//! on mipsel, issue 5's size budget) with the subset lvsmon uses, in the order std's
//! `Command` applies it (library/std/src/sys/process/unix/unix.rs, `do_exec`).

use std::ffi::CString;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};

/// What a finished child's wait status says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// exit(code)
    Code(i32),
    /// killed by this signal
    Signal(i32),
}

impl Exit {
    pub fn success(self) -> bool {
        self == Exit::Code(0)
    }
}

/// `Code(1)`, `Signal(9)`: the text logs have always shown, written out because the
/// router builds compile with `-Zfmt-debug=none` (derived `Debug` prints nothing there).
impl std::fmt::Display for Exit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Exit::Code(c) => write!(f, "Code({c})"),
            Exit::Signal(s) => write!(f, "Signal({s})"),
        }
    }
}

/// Starts `argv[0]` with arguments `argv[1..]`, looked up in PATH when it has no '/'
/// (execvp), with stdin, stdout and stderr on /dev/null. With `ids` = (uid, gid) the
/// child first drops supplementary groups (when running as root), then sets the gid,
/// then the uid. Returns the child's pid once exec has succeeded.
pub fn spawn(argv: &[String], ids: Option<(u32, u32)>) -> io::Result<u32> {
    if argv.is_empty() {
        return Err(io::Error::from(io::ErrorKind::InvalidInput));
    }
    // Everything the child needs is prepared here: after fork it may only make
    // async-signal-safe calls (no allocation).
    let mut args = Vec::with_capacity(argv.len());
    let mut ptrs = Vec::with_capacity(argv.len() + 1);
    for a in argv {
        let c = CString::new(a.as_bytes()).map_err(|_| io::ErrorKind::InvalidInput)?;
        ptrs.push(c.as_ptr());
        // Moving the CString keeps its heap buffer, so the pointer stays valid.
        args.push(c);
    }
    ptrs.push(std::ptr::null());
    let null_fd = open_dev_null()?;
    let (err_read, err_write) = cloexec_pipe()?;
    // SAFETY: an all-zero sigset_t is valid storage for sigemptyset to fill in.
    let mut empty: libc::sigset_t = unsafe { std::mem::zeroed() };
    syscall!(sigemptyset(&mut empty))?;

    // SAFETY: the child branch below calls only async-signal-safe functions (dup2,
    // getuid, setgroups, setgid, setuid, signal, sigprocmask, prctl, execvp, write, _exit) on
    // data prepared before the fork, then execs or exits.
    let pid = syscall!(fork())?;
    if pid == 0 {
        let errno = child(&ptrs, null_fd.as_raw_fd(), ids, &empty);
        let bytes = errno.to_ne_bytes();
        // SAFETY: writing 4 bytes from a live array to our pipe, then leaving without
        // running any of the parent's atexit handlers or destructors.
        unsafe {
            libc::write(err_write.as_raw_fd(), bytes.as_ptr().cast(), bytes.len());
            libc::_exit(127)
        }
    }
    drop(err_write);
    drop(null_fd);
    let mut buf = [0u8; 4];
    let n = loop {
        // SAFETY: reading at most 4 bytes into a live 4-byte buffer.
        let r = unsafe { libc::read(err_read.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
        if r >= 0 {
            break r as usize;
        }
        let e = io::Error::last_os_error();
        if e.kind() != io::ErrorKind::Interrupted {
            break 0;
        }
    };
    if n == buf.len() {
        // exec failed: reap the child, which has exited with 127.
        let mut status = 0;
        let _ = loop_eintr(|| syscall!(waitpid(pid, &mut status, 0)));
        return Err(io::Error::from_raw_os_error(i32::from_ne_bytes(buf)));
    }
    Ok(pid as u32)
}

/// The child side of `spawn`: returns only on failure, with the errno to report.
fn child(
    argv: &[*const libc::c_char],
    null_fd: RawFd,
    ids: Option<(u32, u32)>,
    empty: &libc::sigset_t,
) -> i32 {
    let errno = || {
        io::Error::last_os_error()
            .raw_os_error()
            .unwrap_or(libc::EINVAL)
    };
    // SAFETY (all calls below): async-signal-safe libc calls on valid descriptors and on
    // pointers to data that outlives the call; argv is NULL-terminated.
    unsafe {
        for target in 0..=2 {
            if libc::dup2(null_fd, target) < 0 {
                return errno();
            }
        }
        if let Some((uid, gid)) = ids {
            // Without this a root parent's supplementary groups would follow the child
            // (std does the same when no groups are set).
            if libc::getuid() == 0 && libc::setgroups(0, std::ptr::null()) < 0 {
                return errno();
            }
            if libc::setgid(gid) < 0 || libc::setuid(uid) < 0 {
                return errno();
            }
        }
        // lvsmon ignores SIGPIPE (src/sys/process.rs); an ignored signal stays ignored
        // across exec, so scripts would inherit it.
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
        libc::sigprocmask(libc::SIG_SETMASK, empty, std::ptr::null_mut());
        crate::sys::process::allow_huge_pages();
        crate::sys::process::restore_nofile();
        libc::execvp(argv[0], argv.as_ptr());
    }
    errno()
}

fn open_dev_null() -> io::Result<OwnedFd> {
    let fd = syscall!(open(c"/dev/null".as_ptr(), libc::O_RDWR | libc::O_CLOEXEC))?;
    // SAFETY: open just returned this descriptor; nothing else owns it.
    let fd = unsafe { OwnedFd::from_raw_fd(fd) };
    if fd.as_raw_fd() > 2 {
        return Ok(fd);
    }
    // With a closed stdio slot open() returns 0..2, and dup2(fd, fd) in the child would
    // keep close-on-exec: move it above 2.
    let high = syscall!(fcntl(fd.as_raw_fd(), libc::F_DUPFD_CLOEXEC, 3))?;
    // SAFETY: fcntl just returned this new descriptor.
    Ok(unsafe { OwnedFd::from_raw_fd(high) })
}

fn cloexec_pipe() -> io::Result<(OwnedFd, OwnedFd)> {
    let mut fds = [0 as RawFd; 2];
    syscall!(pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC))?;
    // SAFETY: pipe2 just returned these two descriptors; we own them.
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}

/// How many times a call interrupted by a signal is retried.
const EINTR_RETRIES: usize = 16;

fn loop_eintr<T>(mut f: impl FnMut() -> io::Result<T>) -> io::Result<T> {
    let mut last = io::Error::from_raw_os_error(libc::EINTR);
    for _ in 0..EINTR_RETRIES {
        match f() {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => last = e,
            r => return r,
        }
    }
    Err(last)
}

/// The child's exit if it has ended (and reaps it), `None` while it runs.
pub fn try_wait(pid: u32) -> io::Result<Option<Exit>> {
    let pid = libc::pid_t::try_from(pid).map_err(|_| io::ErrorKind::InvalidInput)?;
    let mut status = 0;
    let r = loop_eintr(|| syscall!(waitpid(pid, &mut status, libc::WNOHANG)))?;
    if r == 0 {
        return Ok(None);
    }
    Ok(Some(if libc::WIFSIGNALED(status) {
        Exit::Signal(libc::WTERMSIG(status))
    } else {
        Exit::Code(libc::WEXITSTATUS(status))
    }))
}

/// Sends SIGKILL to a child we spawned and have not reaped yet.
pub fn kill(pid: u32) {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return;
    };
    if pid > 0 {
        // SAFETY: signals one process (our unreaped child); a failure (already exited)
        // is harmless.
        unsafe {
            libc::kill(pid, libc::SIGKILL);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn argv(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    /// Polls try_wait for at most 10 s.
    fn wait(pid: u32) -> Exit {
        for _ in 0..1000 {
            if let Some(e) = try_wait(pid).unwrap() {
                return e;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        panic!("child {} did not exit", pid);
    }

    fn scratch(name: &str) -> std::path::PathBuf {
        let dir =
            std::env::temp_dir().join(format!("lvsmon-spawn-{}-{}", name, std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn exit_codes_and_signals_are_reported() {
        assert_eq!(
            wait(spawn(&argv(&["/bin/true"]), None).unwrap()),
            Exit::Code(0)
        );
        let pid = spawn(&argv(&["/bin/sh", "-c", "exit 3"]), None).unwrap();
        assert_eq!(wait(pid), Exit::Code(3));
        assert!(!Exit::Code(3).success());
        let pid = spawn(&argv(&["/bin/sleep", "30"]), None).unwrap();
        assert_eq!(try_wait(pid).unwrap(), None);
        kill(pid);
        assert_eq!(wait(pid), Exit::Signal(libc::SIGKILL));
    }

    #[test]
    fn exec_failures_are_errors_of_spawn() {
        let e = spawn(&argv(&["/nonexistent/lvsmon-test"]), None).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::NotFound);
        // A directory: execvp says EACCES.
        let e = spawn(&argv(&["/"]), None).unwrap_err();
        assert_eq!(e.raw_os_error(), Some(libc::EACCES));
        let e = spawn(&argv(&["bad\0name"]), None).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::InvalidInput);
        assert_eq!(
            spawn(&[], None).unwrap_err().kind(),
            io::ErrorKind::InvalidInput
        );
    }

    #[test]
    fn programs_without_a_slash_are_found_in_path() {
        assert_eq!(wait(spawn(&argv(&["true"]), None).unwrap()), Exit::Code(0));
    }

    /// stdio is /dev/null, SIGPIPE is not ignored (the test harness ignores it, as
    /// lvsmon does), and the arguments arrive as given.
    #[test]
    fn the_child_gets_null_stdio_default_sigpipe_and_its_arguments() {
        let dir = scratch("env");
        let out = dir.join("out");
        let script = format!(
            "x=$(readlink /proc/$$/fd/0 /proc/$$/fd/1 /proc/$$/fd/2); echo \"$x\" > {o}; grep SigIgn /proc/$$/status >> {o}; echo \"$1|$2\" >> {o}",
            o = out.display()
        );
        let pid = spawn(&argv(&["/bin/sh", "-c", &script, "sh", "a b", "c"]), None).unwrap();
        assert_eq!(wait(pid), Exit::Code(0));
        let text = std::fs::read_to_string(&out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[..3],
            ["/dev/null", "/dev/null", "/dev/null"],
            "{}",
            text
        );
        let ign = u64::from_str_radix(lines[3].trim_start_matches("SigIgn:").trim(), 16).unwrap();
        assert_eq!(ign & (1 << (libc::SIGPIPE - 1)), 0, "{}", text);
        assert_eq!(lines[4], "a b|c");
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// As root (the test VM, this CI): the child runs with the asked uid and gid and no
    /// supplementary groups. Not root: setuid must fail, and that is spawn's error.
    #[test]
    fn the_child_switches_to_the_asked_user_and_group() {
        let dir = scratch("ids");
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777)).unwrap();
        let out = dir.join("ids");
        let script = format!("echo $(id -u) $(id -g) $(id -G) > {}", out.display());
        let r = spawn(&argv(&["/bin/sh", "-c", &script]), Some((65534, 65533)));
        // SAFETY: getuid cannot fail.
        if unsafe { libc::getuid() } == 0 {
            assert_eq!(wait(r.unwrap()), Exit::Code(0));
            let text = std::fs::read_to_string(&out).unwrap();
            assert_eq!(text.trim(), "65534 65533 65533");
        } else {
            assert_eq!(r.unwrap_err().raw_os_error(), Some(libc::EPERM));
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}
