//! Runs notify and quorum scripts without a shell and without blocking the checks: each
//! child is spawned with stdio on /dev/null, polled for exit from the event loop, sent
//! SIGTERM at its deadline and SIGKILL a grace period later. The table is bounded; a
//! script that cannot get a slot is logged and skipped rather than queued without limit.
//! The fork/exec itself is src/sys/spawn.rs (std's `Command` was ~15 KB more, issue 5).

use std::fmt;
use std::time::{Duration, Instant};

use crate::model::config::Script;
use crate::sys::spawn::{self, Exit};

/// How long a notify/quorum script may run (keepalived's script timeout default is 5 s
/// for notify scripts run by the checker).
pub const SCRIPT_TIMEOUT: Duration = Duration::from_secs(5);
/// Between SIGTERM and SIGKILL.
pub const KILL_GRACE: Duration = Duration::from_secs(1);
/// Scripts running at once.
pub const MAX_SCRIPTS: usize = 32;

struct Running {
    pid: u32,
    name: String,
    term_at: Instant,
    kill_at: Option<Instant>,
}

pub struct ScriptRunner {
    running: Vec<Running>,
}

impl Default for ScriptRunner {
    fn default() -> Self {
        Self::new()
    }
}

impl ScriptRunner {
    pub fn new() -> ScriptRunner {
        ScriptRunner {
            running: Vec::with_capacity(MAX_SCRIPTS),
        }
    }

    /// Starts `script`; `why` names it in the log ("notify_up for 198.51.100.2:80").
    pub fn spawn(&mut self, script: &Script, why: &str, now: Instant) {
        if self.running.len() >= MAX_SCRIPTS {
            warn!("{}: not run, {} scripts already running", why, MAX_SCRIPTS);
            return;
        }
        let Some((program, _)) = script.argv.split_first() else {
            return;
        };
        match spawn::spawn(&script.argv, ids(script)) {
            Ok(pid) => {
                debug!("{}: started {} (pid {})", why, program, pid);
                self.running.push(Running {
                    pid,
                    name: why.to_string(),
                    term_at: now + SCRIPT_TIMEOUT,
                    kill_at: None,
                });
            }
            Err(e) => warn!("{}: cannot run {}: {}", why, program, e),
        }
    }

    /// Reaps finished children and enforces deadlines. Call on every loop turn.
    pub fn poll(&mut self, now: Instant) {
        let mut i = 0;
        while i < self.running.len() {
            let r = &mut self.running[i];
            match spawn::try_wait(r.pid) {
                Ok(Some(status)) => {
                    if !status.success() {
                        warn!("{}: script exited with {}", r.name, ExitText(status));
                    }
                    self.running.swap_remove(i);
                    continue;
                }
                Ok(None) => {}
                Err(e) => {
                    warn!("{}: cannot wait for script: {}", r.name, e);
                    self.running.swap_remove(i);
                    continue;
                }
            }
            match r.kill_at {
                None if now >= r.term_at => {
                    warn!(
                        "{}: script still running after {} s, sending SIGTERM",
                        r.name,
                        SCRIPT_TIMEOUT.as_secs()
                    );
                    crate::sys::process::terminate(r.pid);
                    r.kill_at = Some(now + KILL_GRACE);
                }
                Some(kill_at) if now >= kill_at => {
                    spawn::kill(r.pid);
                }
                _ => {}
            }
            i += 1;
        }
    }

    /// The next instant `poll` has something to enforce (running children are also
    /// checked on every wake-up, at most `KILL_GRACE` apart).
    pub fn next_deadline(&self, now: Instant) -> Option<Instant> {
        if self.running.is_empty() {
            None
        } else {
            self.running
                .iter()
                .map(|r| Some(r.kill_at.unwrap_or(r.term_at)))
                .fold(
                    Some(now + Duration::from_millis(200)),
                    crate::sched::earliest,
                )
        }
    }

    pub fn running(&self) -> usize {
        self.running.len()
    }
}

/// The uid and gid to run `script` as (`script_user`/`script_group`), None to keep
/// lvsmon's.
fn ids(script: &Script) -> Option<(u32, u32)> {
    let user = script.user.as_ref()?;
    match crate::sys::process::lookup_user(user) {
        Some((uid, gid)) => {
            let gid = script
                .group
                .as_deref()
                .and_then(crate::sys::process::lookup_group)
                .unwrap_or(gid);
            Some((uid, gid))
        }
        None => {
            warn!("script user '{}' not found; running as lvsmon's user", user);
            None
        }
    }
}

/// An exit as std's `ExitStatus` displayed it ("exit status: 1", "signal: 9").
struct ExitText(Exit);

impl fmt::Display for ExitText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Exit::Code(c) => write!(f, "exit status: {}", c),
            Exit::Signal(s) => write!(f, "signal: {}", s),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn script(argv: &[&str]) -> Script {
        Script {
            argv: argv.iter().map(|s| s.to_string()).collect(),
            user: None,
            group: None,
        }
    }

    #[test]
    fn finished_scripts_are_reaped_and_hung_ones_killed() {
        let mut r = ScriptRunner::new();
        let t0 = Instant::now();
        r.spawn(&script(&["/bin/true"]), "quick", t0);
        r.spawn(&script(&["/bin/sleep", "30"]), "hung", t0);
        assert_eq!(r.running(), 2);
        // Bounded wait for /bin/true to exit.
        for _ in 0..200 {
            r.poll(t0);
            if r.running() == 1 {
                break;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        assert_eq!(r.running(), 1);
        // Past the timeout: SIGTERM ends sleep.
        let late = t0 + SCRIPT_TIMEOUT + Duration::from_millis(1);
        for _ in 0..200 {
            r.poll(late);
            if r.running() == 0 {
                break;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        assert_eq!(r.running(), 0);
    }

    #[test]
    fn a_missing_program_is_logged_not_fatal() {
        let mut r = ScriptRunner::new();
        r.spawn(
            &script(&["/nonexistent/lvsmon-test"]),
            "missing",
            Instant::now(),
        );
        assert_eq!(r.running(), 0);
    }

    #[test]
    fn exits_read_as_std_wrote_them() {
        assert_eq!(ExitText(Exit::Code(1)).to_string(), "exit status: 1");
        assert_eq!(ExitText(Exit::Signal(9)).to_string(), "signal: 9");
    }
}
