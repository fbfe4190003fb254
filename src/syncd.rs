//! Who runs the kernel's connection-sync daemons (`lvs_sync_daemon`), decided the way
//! keepalived's own LVS half decides it (check_daemon.c, checker_ipvs_syncd_needed, read
//! for behaviour), so that `keepalived -P -f FILE` + `lvsmon run -f FILE` behaves as
//! keepalived alone:
//!
//! | `lvs_sync_daemon`            | lvsmon does                                          |
//! |------------------------------|------------------------------------------------------|
//! | absent                       | nothing                                              |
//! | names a VRRP instance        | nothing: keepalived's VRRP half (`keepalived -P`)    |
//! |                              | runs the daemon in the instance's role and switches  |
//! |                              | it at each transition; lvsmon logs what runs         |
//! | names no VRRP instance       | starts master and backup (each Director sends its    |
//! |                              | connections and receives the other's: both ways, as  |
//! |                              | an active/active ECMP pair needs)                    |
//!
//! A start that meets EEXIST finds a daemon lvsmon did not start (keepalived -P, an
//! administrator, an lvsmon killed with -9): it is adopted as it is, logged once, and
//! never stopped by lvsmon. Only daemons lvsmon started itself are stopped, on a reload
//! that changes or drops them and at exit. A reload that changes a daemon lvsmon did not
//! start leaves it running and says so.

use crate::globals::Globals;
use crate::ipvs::backend::Backend;
use crate::ipvs::rule::{Op, SyncDaemonSpec, SyncState};
use crate::ipvsadm::rule::RuleText;

fn state_name(s: SyncState) -> &'static str {
    match s {
        SyncState::Master => "master",
        SyncState::Backup => "backup",
    }
}

fn describe(d: &SyncDaemonSpec) -> String {
    format!(
        "{} on {} syncid {}",
        state_name(d.state),
        d.ifname,
        d.syncid
    )
}

/// The sync daemons lvsmon started (and so may stop).
#[derive(Debug, Default)]
pub struct SyncDaemons {
    owned: heapless::Vec<SyncState, 2>,
}

impl SyncDaemons {
    pub fn owns(&self, s: SyncState) -> bool {
        self.owned.contains(&s)
    }

    /// Carries out `ops` (from `Globals::ops_from`: daemons and timeouts) on `backend`:
    /// stops only owned daemons, records the ones it starts, adopts the ones that already
    /// run. `wanted` is the new global settings (for the VRRP notice).
    pub fn apply(&mut self, ops: &[Op], wanted: &Globals, backend: &mut dyn Backend) {
        if let Some(inst) = &wanted.sync_vrrp_instance {
            self.vrrp_notice(inst, backend);
        }
        for op in ops {
            if let Op::StopDaemon(s) = op {
                if !self.owns(*s) {
                    info!(
                        "sync daemon {}: not started by lvsmon, so left running as it is",
                        state_name(*s)
                    );
                    continue;
                }
            }
            // One apply and one pair of log lines for every kind of operation, for code
            // size.
            match backend.apply(op) {
                Ok(()) => {
                    info!("applied {}", RuleText(op));
                    match op {
                        Op::StopDaemon(s) => self.owned.retain(|x| x != s),
                        Op::StartDaemon(d) if !self.owns(d.state) => {
                            let _ = self.owned.push(d.state);
                        }
                        _ => {}
                    }
                }
                Err(e) => match op {
                    // Stopped behind lvsmon's back (keepalived -P switching roles).
                    Op::StopDaemon(s) if e.errno == libc::ESRCH => self.owned.retain(|x| x != s),
                    Op::StartDaemon(d) if e.errno == libc::EEXIST => self.adopted(d, backend),
                    _ => error!("{}", e),
                },
            }
        }
    }

    /// A start met EEXIST: say what runs instead, once.
    fn adopted(&mut self, wanted: &SyncDaemonSpec, backend: &mut dyn Backend) {
        let running = backend
            .daemons()
            .ok()
            .and_then(|ds| ds.iter().find(|d| d.state == wanted.state).cloned());
        match running {
            Some(r) if r.ifname == wanted.ifname && r.syncid == wanted.syncid => info!(
                "sync daemon {} already runs (started outside lvsmon: keepalived -P, ipvsadm, or an lvsmon that was killed): lvsmon uses it and will not stop it",
                describe(&r)
            ),
            Some(r) => warn!(
                "sync daemon {} already runs, not as configured ({}): started outside lvsmon, left as it is and never stopped by lvsmon; stop it for the configured one to start",
                describe(&r),
                describe(wanted)
            ),
            None => info!(
                "sync daemon {} already runs (started outside lvsmon): lvsmon will not stop it",
                state_name(wanted.state)
            ),
        }
    }

    fn vrrp_notice(&self, inst: &str, backend: &mut dyn Backend) {
        let running: Vec<String> = backend
            .daemons()
            .map(|ds| ds.iter().map(describe).collect())
            .unwrap_or_default();
        info!(
            "lvs_sync_daemon names VRRP instance {}: keepalived's VRRP half (keepalived -P) runs the sync daemon in that instance's role, so lvsmon starts and stops none ({})",
            inst,
            if running.is_empty() {
                "none runs now: is keepalived -P running?".to_string()
            } else {
                format!("running now: {}", running.join(", "))
            }
        );
    }

    /// At exit: stops the daemons lvsmon started, and only those.
    pub fn teardown(&mut self, backend: &mut dyn Backend) {
        for s in self.owned.clone() {
            let op = Op::StopDaemon(s);
            match backend.apply(&op) {
                Ok(()) => info!("applied {}", RuleText(&op)),
                Err(e) if e.errno == libc::ESRCH => {}
                Err(e) => warn!("{}", e),
            }
        }
        self.owned.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::director::testlog;
    use crate::ipvs::dryrun::DryRun;

    fn globals(global_defs: &str) -> Globals {
        let text = format!(
            "global_defs {{\n{}\n}}\nvirtual_server 192.0.2.10 80 {{\n protocol TCP\n real_server 198.51.100.2 80 {{\n }}\n}}\n",
            global_defs
        );
        Globals::from_config(&crate::config::parse_str("s.conf", &text).unwrap())
    }

    fn running(k: &mut DryRun) -> Vec<String> {
        k.daemons().unwrap().iter().map(describe).collect()
    }

    fn spec(state: SyncState, syncid: u8) -> SyncDaemonSpec {
        let mut ifname = heapless::String::new();
        let _ = ifname.push_str("eth0");
        SyncDaemonSpec {
            state,
            ifname,
            syncid,
            sync_maxlen: None,
            mcast_group: None,
            mcast_port: None,
            mcast_ttl: None,
        }
    }

    fn start(k: &mut DryRun, g: &Globals) -> SyncDaemons {
        let mut s = SyncDaemons::default();
        s.apply(&g.ops_from(&Globals::default()), g, k);
        s
    }

    #[test]
    fn without_a_vrrp_instance_lvsmon_runs_both_and_stops_both_at_exit() {
        testlog::start();
        let mut k = DryRun::new();
        let g = globals(" lvs_sync_daemon eth0 id 7");
        let mut s = start(&mut k, &g);
        assert_eq!(
            running(&mut k),
            ["master on eth0 syncid 7", "backup on eth0 syncid 7"]
        );
        s.teardown(&mut k);
        assert!(running(&mut k).is_empty());
    }

    #[test]
    fn a_daemon_keepalived_started_is_adopted_and_never_stopped() {
        testlog::start();
        let mut k = DryRun::new();
        // keepalived -P on a BACKUP node already runs the backup daemon.
        k.apply(&Op::StartDaemon(spec(SyncState::Backup, 7)))
            .unwrap();
        let g = globals(" lvs_sync_daemon eth0 id 7");
        let mut s = start(&mut k, &g);
        assert!(s.owns(SyncState::Master) && !s.owns(SyncState::Backup));
        assert!(testlog::take().iter().any(|l| l
            .contains("sync daemon backup on eth0 syncid 7 already runs (started outside lvsmon")));
        // A reload to another sync id: lvsmon's master is restarted; keepalived's
        // backup is left alone.
        let g2 = globals(" lvs_sync_daemon eth0 id 8");
        s.apply(&g2.ops_from(&g), &g2, &mut k);
        assert_eq!(
            running(&mut k),
            ["backup on eth0 syncid 7", "master on eth0 syncid 8"]
        );
        assert!(testlog::take()
            .iter()
            .any(|l| l.contains("already runs, not as configured (backup on eth0 syncid 8)")));
        // Exit: only lvsmon's own.
        s.teardown(&mut k);
        assert_eq!(running(&mut k), ["backup on eth0 syncid 7"]);
    }

    #[test]
    fn with_a_vrrp_instance_keepalived_owns_the_daemon() {
        testlog::start();
        let mut k = DryRun::new();
        k.apply(&Op::StartDaemon(spec(SyncState::Master, 51)))
            .unwrap();
        let g = globals(" lvs_sync_daemon eth0 VI_1");
        assert!(g.daemons.is_empty());
        let mut s = start(&mut k, &g);
        assert!(testlog::take().iter().any(|l| l.contains(
            "lvs_sync_daemon names VRRP instance VI_1: keepalived's VRRP half (keepalived -P) runs the sync daemon in that instance's role, so lvsmon starts and stops none (running now: master on eth0 syncid 51)"
        )));
        s.teardown(&mut k);
        assert_eq!(running(&mut k), ["master on eth0 syncid 51"]);
        // Nothing running yet: the notice says so.
        let mut empty = DryRun::new();
        start(&mut empty, &g);
        assert!(testlog::take()
            .iter()
            .any(|l| l.contains("none runs now: is keepalived -P running?")));
        assert!(running(&mut empty).is_empty());
    }

    #[test]
    fn a_reload_that_drops_the_daemon_stops_only_lvsmons() {
        testlog::start();
        let mut k = DryRun::new();
        k.apply(&Op::StartDaemon(spec(SyncState::Backup, 7)))
            .unwrap();
        let g = globals(" lvs_sync_daemon eth0 id 7");
        let mut s = start(&mut k, &g);
        let none = globals(" lvs_timeouts tcp 900");
        s.apply(&none.ops_from(&g), &none, &mut k);
        assert_eq!(running(&mut k), ["backup on eth0 syncid 7"]);
        s.teardown(&mut k);
        assert_eq!(running(&mut k), ["backup on eth0 syncid 7"]);
    }
}
