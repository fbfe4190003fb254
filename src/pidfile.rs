//! The pid file of `lvsmon run --pid-file`: refuse to start beside a live lvsmon, take over
//! a stale file, remove it on exit.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

use crate::sys::process::{getpid, pid_alive};

#[derive(Debug)]
pub enum PidFileError {
    /// A live lvsmon holds the file.
    Running(u32, PathBuf),
    Io(PathBuf, io::Error),
}

impl fmt::Display for PidFileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PidFileError::Running(pid, p) => write!(
                f,
                "lvsmon is already running with pid {} (pid file {})",
                pid,
                p.display()
            ),
            PidFileError::Io(p, e) => write!(f, "pid file {}: {}", p.display(), e),
        }
    }
}

impl std::error::Error for PidFileError {}

/// Removes the pid file when dropped (only if it still names this process).
pub struct PidFile {
    path: PathBuf,
    pid: u32,
}

/// The pid written in `path`, if the file holds one.
fn read_pid(path: &Path) -> Option<u32> {
    let text = std::fs::read_to_string(path).ok()?;
    text.trim().parse().ok()
}

/// True when `pid` is a running lvsmon (its /proc comm or cmdline names lvsmon).
fn is_lvsmon(pid: u32) -> bool {
    if !pid_alive(pid) {
        return false;
    }
    let comm = std::fs::read_to_string(format!("/proc/{}/comm", pid)).unwrap_or_default();
    // Read by ipvsadm's read_limited, for code size: std::fs::read inlined here was
    // about 0.5 KB on mipsel. Unreadable or cut short, it names no lvsmon.
    let mut cmdline = Vec::new();
    if let Ok(mut f) = std::fs::File::open(format!("/proc/{}/cmdline", pid)) {
        if crate::ipvsadm::read_limited(&mut f, u64::MAX, &mut cmdline).is_err() {
            cmdline.clear();
        }
    }
    comm.trim() == "lvsmon"
        || cmdline
            .split(|&b| b == 0)
            .next()
            .is_some_and(|argv0| argv0.ends_with(b"lvsmon"))
}

impl PidFile {
    /// Checks for a live holder, then writes this process's pid.
    pub fn acquire(path: &Path) -> Result<PidFile, PidFileError> {
        let me = getpid();
        if let Some(pid) = read_pid(path) {
            if pid != me && is_lvsmon(pid) {
                return Err(PidFileError::Running(pid, path.to_path_buf()));
            }
            if pid != me {
                info!(
                    "taking over stale pid file {} (pid {} is gone)",
                    path.display(),
                    pid
                );
            }
        }
        std::fs::write(path, format!("{}\n", me))
            .map_err(|e| PidFileError::Io(path.to_path_buf(), e))?;
        Ok(PidFile {
            path: path.to_path_buf(),
            pid: me,
        })
    }
}

impl Drop for PidFile {
    fn drop(&mut self) {
        if read_pid(&self.path) == Some(self.pid) {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stale_file_is_taken_over_and_removed_on_drop() {
        let dir = std::env::temp_dir().join(format!("lvsmon-pid-{}", getpid()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("stale.pid");
        // A pid far above pid_max cannot be alive.
        std::fs::write(&path, "99999999\n").unwrap();
        {
            let _held = PidFile::acquire(&path).unwrap();
            assert_eq!(read_pid(&path), Some(getpid()));
        }
        assert!(!path.exists());
    }

    #[test]
    fn a_live_non_lvsmon_pid_is_stale_too() {
        let dir = std::env::temp_dir().join(format!("lvsmon-pid2-{}", getpid()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("init.pid");
        // pid 1 is alive but is not lvsmon: the file is stale.
        std::fs::write(&path, "1\n").unwrap();
        let held = PidFile::acquire(&path).unwrap();
        drop(held);
        assert!(!path.exists());
    }
}
