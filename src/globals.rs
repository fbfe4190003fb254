//! The kernel-wide settings lvsmon honours from `global_defs`: `lvs_sync_daemon` (the
//! kernel's connection-sync daemon, how LVS grows past one Director) and `lvs_timeouts`.
//! Pure: from the old and new config to the operations that move the kernel between them.

use crate::ipvs::rule::{Op, SyncDaemonSpec, SyncState, Timeouts};
use crate::model::config::{Config, FlushOnStop, LvsTimeouts, SyncDaemon};

/// What `global_defs` asks of the kernel.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Globals {
    pub daemons: Vec<SyncDaemonSpec>,
    pub timeouts: Option<Timeouts>,
    /// `lvs_flush`: empty the table before the first programming (start only).
    pub flush_at_start: bool,
    /// `lvs_flush_on_stop`: how the table is emptied at exit.
    pub flush_on_stop: FlushOnStop,
    /// `net_namespace_ipvs`: fixed when the daemon starts (keepalived: "cannot be changed
    /// on a configuration reload"); kept here so a reload can tell it changed.
    pub net_namespace_ipvs: Option<String>,
    /// `lvs_sync_daemon` names this VRRP instance: keepalived's VRRP half runs the
    /// daemon, `daemons` is empty (crate::syncd).
    pub sync_vrrp_instance: Option<String>,
}

fn daemon_specs(d: &SyncDaemon) -> Vec<SyncDaemonSpec> {
    let mut ifname = heapless::String::new();
    // The config resolver refuses interface names longer than IFNAMSIZ - 1; truncating
    // here only guards against a model built elsewhere.
    for c in d.interface.chars() {
        if ifname.push(c).is_err() {
            break;
        }
    }
    let spec = |state| SyncDaemonSpec {
        state,
        ifname: ifname.clone(),
        syncid: d.syncid,
        sync_maxlen: d.maxlen,
        mcast_group: d.mcast_group,
        mcast_port: d.port,
        mcast_ttl: d.ttl,
    };
    let mut out = Vec::new();
    if d.master {
        out.push(spec(SyncState::Master));
    }
    if d.backup {
        out.push(spec(SyncState::Backup));
    }
    out
}

fn timeouts(t: &LvsTimeouts) -> Timeouts {
    // 0 tells the kernel to leave that timeout unchanged (ipvsadm --set semantics).
    Timeouts {
        tcp: t.tcp.unwrap_or(0),
        tcpfin: t.tcpfin.unwrap_or(0),
        udp: t.udp.unwrap_or(0),
    }
}

impl Globals {
    pub fn from_config(cfg: &Config) -> Globals {
        Globals {
            daemons: cfg
                .sync_daemon
                .as_ref()
                .filter(|d| d.vrrp_instance.is_none())
                .map(daemon_specs)
                .unwrap_or_default(),
            sync_vrrp_instance: cfg
                .sync_daemon
                .as_ref()
                .and_then(|d| d.vrrp_instance.clone()),
            timeouts: cfg.lvs_timeouts.as_ref().map(timeouts),
            flush_at_start: cfg.lvs_flush,
            flush_on_stop: cfg.lvs_flush_on_stop,
            net_namespace_ipvs: cfg.net_namespace_ipvs.clone(),
        }
    }

    /// What start-up does before adopting the table: keepalived's `lvs_flush` removes
    /// every entry (check_daemon.c: at start, never on reload).
    pub fn start_ops(&self) -> Vec<Op> {
        if self.flush_at_start {
            vec![Op::Flush]
        } else {
            Vec::new()
        }
    }

    /// Operations that take the kernel from `old` (what lvsmon applied before, or nothing
    /// at start) to `self`. A changed daemon is stopped and started again, since the
    /// kernel cannot edit a running one.
    pub fn ops_from(&self, old: &Globals) -> Vec<Op> {
        let mut ops = Vec::new();
        for d in &old.daemons {
            if !self.daemons.contains(d) {
                ops.push(Op::StopDaemon(d.state));
            }
        }
        for d in &self.daemons {
            if !old.daemons.contains(d) {
                ops.push(Op::StartDaemon(d.clone()));
            }
        }
        if self.timeouts != old.timeouts {
            if let Some(t) = self.timeouts {
                ops.push(Op::SetTimeouts(t));
            }
        }
        ops
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ipvsadm::rule::RuleText;

    fn cfg(text: &str) -> Config {
        crate::config::parse_str("g.conf", text).unwrap()
    }

    fn rules(ops: &[Op]) -> Vec<String> {
        ops.iter().map(|o| RuleText(o).to_string()).collect()
    }

    const VS: &str =
        "virtual_server 192.0.2.10 80 {\n protocol TCP\n real_server 198.51.100.2 80 {\n }\n}\n";

    #[test]
    fn sync_daemon_and_timeouts_start_once_and_follow_reloads() {
        let a = Globals::from_config(&cfg(&format!(
            "global_defs {{\n lvs_sync_daemon eth0 id 7\n lvs_timeouts tcp 900 tcpfin 30 udp 60\n}}\n{VS}"
        )));
        let start = a.ops_from(&Globals::default());
        assert_eq!(start.len(), 3, "{:?}", rules(&start));
        assert!(
            matches!(&start[0], Op::StartDaemon(d) if d.state == SyncState::Master && d.syncid == 7 && d.ifname == "eth0")
        );
        assert!(matches!(&start[1], Op::StartDaemon(d) if d.state == SyncState::Backup));
        assert_eq!(
            start[2],
            Op::SetTimeouts(Timeouts {
                tcp: 900,
                tcpfin: 30,
                udp: 60
            })
        );
        // Unchanged: nothing.
        assert!(a.ops_from(&a).is_empty());
        // A new sync id: stop both, start both; timeouts unchanged.
        let b = Globals::from_config(&cfg(&format!(
            "global_defs {{\n lvs_sync_daemon eth0 id 8\n lvs_timeouts tcp 900 tcpfin 30 udp 60\n}}\n{VS}"
        )));
        let ops = b.ops_from(&a);
        assert_eq!(
            rules(&ops)[..2],
            ["--stop-daemon master", "--stop-daemon backup"]
        );
        assert_eq!(ops.len(), 4);
        // Which of them run, and which stops happen, is crate::syncd's decision.
    }

    #[test]
    fn lvs_flush_empties_the_table_at_start_only() {
        let g = Globals::from_config(&cfg(&format!(
            "global_defs {{\n lvs_flush\n lvs_flush_on_stop VS\n}}\n{VS}"
        )));
        assert_eq!(g.start_ops(), vec![Op::Flush]);
        assert_eq!(g.flush_on_stop, FlushOnStop::Vs);
        // A reload applies the difference only: no flush.
        assert!(g.ops_from(&g).is_empty());
        let full = Globals::from_config(&cfg(&format!(
            "global_defs {{\n lvs_flush_onstop\n}}\n{VS}"
        )));
        assert_eq!(full.flush_on_stop, FlushOnStop::Full);
        assert!(full.start_ops().is_empty());
    }

    #[test]
    fn no_global_defs_means_no_operation() {
        let g = Globals::from_config(&cfg(VS));
        assert_eq!(g, Globals::default());
        assert!(g.ops_from(&Globals::default()).is_empty());
    }
}
