//! MISC_CHECK: runs the configured script as a child (its own process group, watched
//! through a pidfd) and judges its exit status as keepalived does (0 up, misc_dynamic's
//! 2-255 up with a weight); past its timeout it gets SIGTERM, then SIGKILL, each followed
//! by a grace period.

use std::os::fd::{AsRawFd, OwnedFd};
use std::time::{Duration, Instant};

use mio::unix::SourceFd;
use mio::{Interest, Registry};

use crate::model::config::{Check, MiscCheck};
use crate::probe::outcome::{Reason, Up};
use crate::probe::{ms, reason_of, sys, Io, Phase, ProbeSlot, Step};

/// Arguments of one MISC_CHECK command line.
const MAX_ARGV: usize = 64;
/// Time a script gets between SIGTERM and SIGKILL, and after SIGKILL to be reaped.
pub const SCRIPT_KILL_GRACE: Duration = Duration::from_millis(500);

impl ProbeSlot {
    pub(super) fn spawn_misc(
        &mut self,
        m: &MiscCheck,
        check: &Check,
        registry: &Registry,
        now: Instant,
    ) -> Result<(), Reason> {
        self.reset_buffers();
        // keepalived: misc_timeout, else the checker's delay_loop.
        self.timeout = m.timeout.unwrap_or(check.delay_loop);
        self.deadline = Some(now + self.timeout);
        let argv = &m.script.argv;
        if argv.is_empty() {
            return Err(Reason::Local(libc::ENOENT));
        }
        if argv.len() > MAX_ARGV {
            return Err(Reason::Local(libc::E2BIG));
        }
        // argv strings, NUL-terminated, in the request buffer; pointers on the stack.
        let mut offsets = [0usize; MAX_ARGV];
        let mut off = 0;
        for (i, a) in argv.iter().enumerate() {
            off = put_cstr(self.req, off, a.as_bytes())?;
            offsets[i] = off - a.len() - 1;
        }
        let ids = match &m.script.user {
            None => None,
            Some(user) => {
                let (names, scratch) = self.buf.split_at_mut(1024);
                let (unames, gnames) = names.split_at_mut(512);
                put_cstr(unames, 0, user.as_bytes())?;
                let u = std::ffi::CStr::from_bytes_until_nul(unames)
                    .map_err(|_| Reason::Local(libc::EINVAL))?;
                let g = match &m.script.group {
                    Some(g) => {
                        put_cstr(gnames, 0, g.as_bytes())?;
                        Some(
                            std::ffi::CStr::from_bytes_until_nul(gnames)
                                .map_err(|_| Reason::Local(libc::EINVAL))?,
                        )
                    }
                    None => None,
                };
                Some(sys::lookup_ids(u, g, scratch).map_err(|e| reason_of(&e))?)
            }
        };
        let mut ptrs = [std::ptr::null::<libc::c_char>(); MAX_ARGV + 1];
        for (i, &o) in offsets.iter().take(argv.len()).enumerate() {
            ptrs[i] = self.req[o..].as_ptr() as *const libc::c_char;
        }
        let pid = sys::spawn(&ptrs[..argv.len() + 1], ids).map_err(|e| reason_of(&e))?;
        let pidfd = match sys::pidfd_open(pid) {
            Ok(fd) => fd,
            Err(e) => {
                sys::kill_and_reap(pid);
                return Err(reason_of(&e));
            }
        };
        if let Err(e) = registry.register(
            &mut SourceFd(&pidfd.as_raw_fd()),
            self.token,
            Interest::READABLE,
        ) {
            sys::kill_and_reap(pid);
            return Err(reason_of(&e));
        }
        self.io = Io::Child { pid, pidfd };
        self.phase = Phase::Running;
        Ok(())
    }

    pub(super) fn misc_poll(
        &mut self,
        m: &MiscCheck,
        registry: &Registry,
    ) -> Result<Option<Up>, Reason> {
        let Io::Child { pid, .. } = self.io else {
            return Err(Reason::Local(libc::EBADF));
        };
        match sys::has_exited(pid) {
            Ok(false) => return Ok(None),
            Ok(true) => {}
            Err(e) => return Err(reason_of(&e)),
        }
        // The script is a zombie, so its pid (= its process group) cannot be reused yet:
        // kill what it left behind in its group, then reap it.
        sys::kill_group(pid, libc::SIGKILL);
        let exit = sys::try_reap(pid);
        if let Io::Child { pidfd, .. } = std::mem::replace(&mut self.io, Io::None) {
            let _ = registry.deregister(&mut SourceFd(&pidfd.as_raw_fd()));
        }
        if self.phase != Phase::Running {
            return Err(Reason::Timeout {
                ms: ms(self.timeout),
            });
        }
        match exit {
            Ok(Some(sys::Exit::Code(0))) => Ok(Some(Up::default())),
            // keepalived misc_dynamic: 2-255 is up with weight = status - 2.
            Ok(Some(sys::Exit::Code(c))) if m.dynamic && c >= 2 => Ok(Some(Up {
                weight: Some(c - 2),
                agent: None,
            })),
            Ok(Some(sys::Exit::Code(c))) => Err(Reason::ScriptExit(c)),
            Ok(Some(sys::Exit::Signal(s))) => Err(Reason::ScriptSignal(s)),
            Ok(None) => Err(Reason::Local(libc::ECHILD)),
            Err(e) => Err(reason_of(&e)),
        }
    }

    /// The script's deadline passed: SIGTERM, then SIGKILL, then the verdict.
    pub(super) fn script_deadline(&mut self, registry: &Registry, now: Instant) -> Step {
        let pid = match self.io {
            Io::Child { pid, .. } => pid,
            _ => 0,
        };
        match self.phase {
            Phase::Running => {
                sys::kill_group(pid, libc::SIGTERM);
                self.phase = Phase::Terminating;
                self.deadline = Some(now + SCRIPT_KILL_GRACE);
                Step::Pending
            }
            Phase::Terminating => {
                sys::kill_group(pid, libc::SIGKILL);
                self.phase = Phase::Killing;
                self.deadline = Some(now + SCRIPT_KILL_GRACE);
                Step::Pending
            }
            _ => {
                // Still not reaped after SIGKILL and a grace period: wait for it here
                // rather than leave a zombie.
                let r = Err(Reason::Timeout {
                    ms: ms(self.timeout),
                });
                self.finish(registry, now, r)
            }
        }
    }
}

/// Closes a child's watch and leaves no process behind.
pub(super) fn close_child(registry: &Registry, pid: libc::pid_t, pidfd: OwnedFd) {
    let _ = registry.deregister(&mut SourceFd(&pidfd.as_raw_fd()));
    sys::kill_and_reap(pid);
}

/// Copies `s` and a NUL into `buf` at `off`; returns the offset after the NUL.
fn put_cstr(buf: &mut [u8], off: usize, s: &[u8]) -> Result<usize, Reason> {
    if s.contains(&0) {
        return Err(Reason::Local(libc::EINVAL));
    }
    let end = off + s.len() + 1;
    let dst = buf.get_mut(off..end).ok_or(Reason::Local(libc::E2BIG))?;
    dst[..s.len()].copy_from_slice(s);
    dst[s.len()] = 0;
    Ok(end)
}
