//! keepalived's `lvs_notify_fifo` / `lvs_notify_fifo_script` (global_defs): a FIFO the
//! checker writes one line to per state change, and a script started with the FIFO's
//! path as its last argument to read them (lib/notify.c fifo_open, check/ipwrapper.c
//! notify_fifo_vs / notify_fifo_rs). The lines are keepalived's:
//!
//! ```text
//! VS [192.0.2.10]:tcp:80 UP
//! RS [198.51.100.2]:tcp:80 [192.0.2.10]:tcp:80 DOWN
//! VS FWM 7 DOWN
//! RS [198.51.100.3]:none:0 FWM 7 UP
//! ```
//!
//! A fwmark service has no protocol to keepalived ("none"). One difference: keepalived
//! names a `virtual_server group G` service `[G]:0`; lvsmon runs one service per group
//! member and names the member. The FIFO is created (mode 0644, owned by the user given
//! after its path) unless something is already there, opened read-write and
//! non-blocking (a full FIFO drops the line, as keepalived's write does), and removed at
//! exit if lvsmon created it. The script runs for the daemon's life and is stopped at
//! exit; it is not subject to the notify-script timeout.

use std::fmt::Write as _;
use std::fs::File;
use std::io::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;

use crate::director::{ScriptEvent, ScriptKind};
use crate::ipvs::rule::{Protocol, ServiceKey};
use crate::model::config::NotifyFifo;

/// The open FIFO and its reader script.
pub struct Fifo {
    file: File,
    path: PathBuf,
    created: bool,
    script_pid: Option<u32>,
    line: String,
}

fn proto_name(p: Protocol) -> &'static str {
    match p {
        Protocol::Tcp => "tcp",
        Protocol::Udp => "udp",
        Protocol::Sctp => "sctp",
    }
}

/// keepalived's inet_sockaddrtotrio: `[ADDR]:proto:PORT`.
fn trio(out: &mut String, addr: &SocketAddr, proto: &str) {
    let _ = write!(out, "[{}]:{}:{}", addr.ip(), proto, addr.port());
}

/// The line keepalived writes for `ev` (with its newline).
pub fn line(out: &mut String, ev: &ScriptEvent) {
    out.clear();
    let up = matches!(ev.kind, ScriptKind::NotifyUp | ScriptKind::QuorumUp);
    let proto = match ev.service {
        ServiceKey::Inet { proto, .. } => proto_name(proto),
        ServiceKey::Fwmark { .. } => "none",
    };
    match ev.real {
        Some(rs) => {
            out.push_str("RS ");
            trio(out, &rs, proto);
            out.push(' ');
        }
        None => out.push_str("VS "),
    }
    match ev.service {
        ServiceKey::Inet { addr, .. } => trio(out, &addr, proto),
        ServiceKey::Fwmark { mark, .. } => {
            let _ = write!(out, "FWM {}", mark);
        }
    }
    out.push_str(if up { " UP\n" } else { " DOWN\n" });
}

impl Fifo {
    /// Creates (if needed) and opens the FIFO, then starts its script. Failures are
    /// logged and leave no FIFO, as keepalived carries on without one.
    pub fn open(cfg: &NotifyFifo) -> Option<Fifo> {
        let created = match crate::sys::fifo::mkfifo(&cfg.path, 0o644) {
            Ok(()) => true,
            Err(e) if e.raw_os_error() == Some(libc::EEXIST) => false,
            Err(e) => {
                error!(
                    "cannot create lvs_notify_fifo {}: {}",
                    cfg.path.display(),
                    e
                );
                return None;
            }
        };
        if created {
            if let Some(user) = &cfg.user {
                let ids = crate::sys::process::lookup_user(user).map(|(u, g)| {
                    let g = cfg
                        .group
                        .as_deref()
                        .and_then(crate::sys::process::lookup_group)
                        .unwrap_or(g);
                    (u, g)
                });
                match ids {
                    Some((u, g)) => {
                        if let Err(e) = std::os::unix::fs::chown(&cfg.path, Some(u), Some(g)) {
                            warn!(
                                "cannot give lvs_notify_fifo {} to {}: {}",
                                cfg.path.display(),
                                user,
                                e
                            );
                        }
                    }
                    None => warn!("lvs_notify_fifo user '{}' not found", user),
                }
            }
        }
        let script_pid = cfg.script.as_ref().and_then(|s| {
            let mut argv = s.argv.clone();
            argv.push(cfg.path.display().to_string());
            let ids = s
                .user
                .as_deref()
                .and_then(crate::sys::process::lookup_user)
                .map(|(u, g)| {
                    (
                        u,
                        s.group
                            .as_deref()
                            .and_then(crate::sys::process::lookup_group)
                            .unwrap_or(g),
                    )
                });
            match crate::sys::spawn::spawn(&argv, ids) {
                Ok(pid) => {
                    info!("lvs_notify_fifo_script {} started (pid {})", argv[0], pid);
                    Some(pid)
                }
                Err(e) => {
                    error!("cannot run lvs_notify_fifo_script {}: {}", argv[0], e);
                    None
                }
            }
        });
        use std::os::unix::fs::OpenOptionsExt;
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .custom_flags(libc::O_NONBLOCK | libc::O_NOFOLLOW)
            .open(&cfg.path);
        match file {
            Ok(file) => Some(Fifo {
                file,
                path: cfg.path.clone(),
                created,
                script_pid,
                line: String::with_capacity(128),
            }),
            Err(e) => {
                error!("cannot open lvs_notify_fifo {}: {}", cfg.path.display(), e);
                if created {
                    let _ = std::fs::remove_file(&cfg.path);
                }
                if let Some(pid) = script_pid {
                    crate::sys::process::terminate(pid);
                }
                None
            }
        }
    }

    /// Writes the line for `ev`. A full FIFO (no reader keeping up) drops it.
    pub fn announce(&mut self, ev: &ScriptEvent) {
        line(&mut self.line, ev);
        let _ = self.file.write(self.line.as_bytes());
    }

    /// Reaps the script if it has ended (called now and then by the event loop).
    pub fn reap(&mut self) {
        if let Some(pid) = self.script_pid {
            if let Ok(Some(exit)) = crate::sys::spawn::try_wait(pid) {
                warn!("lvs_notify_fifo_script (pid {}) ended: {}", pid, exit);
                self.script_pid = None;
            }
        }
    }
}

impl Drop for Fifo {
    /// Removes a FIFO lvsmon created before closing it (so a reader that reopens it in a
    /// loop cannot), then stops the script: SIGTERM, and SIGKILL if it is still there
    /// after a bounded wait.
    fn drop(&mut self) {
        if self.created {
            let _ = std::fs::remove_file(&self.path);
        }
        if let Some(pid) = self.script_pid.take() {
            crate::sys::process::terminate(pid);
            for _ in 0..50 {
                if !matches!(crate::sys::spawn::try_wait(pid), Ok(None)) {
                    return;
                }
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
            crate::sys::spawn::kill(pid);
            let _ = crate::sys::spawn::try_wait(pid);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(kind: ScriptKind, service: ServiceKey, real: Option<&str>) -> ScriptEvent {
        ScriptEvent {
            kind,
            script: None,
            service,
            real: real.map(|r| r.parse().unwrap()),
        }
    }

    #[test]
    fn lines_are_keepalived_s() {
        let tcp = ServiceKey::Inet {
            proto: Protocol::Tcp,
            addr: "192.0.2.10:80".parse().unwrap(),
        };
        let v6 = ServiceKey::Inet {
            proto: Protocol::Udp,
            addr: "[2001:db8::1]:53".parse().unwrap(),
        };
        let fwm = ServiceKey::Fwmark {
            family: crate::ipvs::rule::Family::Inet,
            mark: 7,
        };
        let mut out = String::new();
        let mut got = Vec::new();
        for e in [
            ev(ScriptKind::QuorumUp, tcp, None),
            ev(ScriptKind::NotifyDown, tcp, Some("198.51.100.2:80")),
            ev(ScriptKind::NotifyUp, v6, Some("[2001:db8::5]:53")),
            ev(ScriptKind::QuorumDown, fwm, None),
            ev(ScriptKind::NotifyUp, fwm, Some("198.51.100.3:0")),
        ] {
            line(&mut out, &e);
            got.push(out.clone());
        }
        assert_eq!(
            got,
            [
                "VS [192.0.2.10]:tcp:80 UP\n",
                "RS [198.51.100.2]:tcp:80 [192.0.2.10]:tcp:80 DOWN\n",
                "RS [2001:db8::5]:udp:53 [2001:db8::1]:udp:53 UP\n",
                "VS FWM 7 DOWN\n",
                "RS [198.51.100.3]:none:0 FWM 7 UP\n",
            ]
        );
    }
}
