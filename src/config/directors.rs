//! What a config needs to behave the same on several Directors (issue 15), applied after
//! resolution: the hashing schedulers' real servers in one order on every Director, weight
//! 0 instead of removal where the kernel can fall back, and warnings where a config that
//! looks meant for several Directors (a `vip_announce` block or `lvs_sync_daemon`) uses
//! settings that send one flow to different real servers depending on the Director.
//!
//! Why the order matters (read from the kernel's ip_vs_mh.c, ip_vs_sh.c, ip_vs_dh.c and
//! ip_vs_ctl.c): the three build their lookup table by walking the service's destination
//! list, which holds destinations in the order they were added; Maglev (`mh`) also uses
//! each destination's last non-zero weight, `sh` its current weight. The hash keys are
//! fixed constants, not per-host secrets. So two Directors whose lists hold the same
//! destinations in the same order with the same weights build the same table. Deleting a
//! failed real server and adding it back when it recovers puts it at the other end of
//! the list on that Director only: from then on the tables differ. Hence:
//! - the real servers of an `mh`, `sh` or `dh` service are sorted by address and port
//!   (whatever their order in the config), and lvsmon adds them in that order;
//! - with `mh-fallback` (`sh-fallback`) a failed real server keeps its place at weight 0
//!   (`inhibit_on_failure`): the kernel sends its flows to the fallback destination, the
//!   same one on every Director, and Maglev keeps the table itself unchanged. Without
//!   the fallback flag weight 0 would drop those flows, so removal stays (and a warning
//!   says what it costs when the config looks multi-Director). `dh` has no fallback.

use crate::ipvs::rule::svc_flags;
use crate::model::config::{Config, VirtualServer, VsTarget};

fn name(vs: &VirtualServer) -> String {
    match &vs.target {
        VsTarget::Addr(a) => format!(
            "{} {}",
            crate::director::protocol_name(vs.protocol),
            crate::ipvsadm::rule::AddrPort(a)
        ),
        VsTarget::Fwmark { mark, .. } => format!("FWM {}", mark),
    }
}

/// A real server's place in a hashing service: by address (IPv4 before IPv6), then port,
/// the order of `(IpAddr, u16)`. Bytes compared as one array, for code size: the sort's
/// comparison of the tuple inlined IpAddr's and cost 0.9 KB on mipsel.
#[inline(never)]
fn order_key(a: std::net::SocketAddr) -> [u8; 19] {
    let mut k = [0u8; 19];
    match a.ip() {
        std::net::IpAddr::V4(v4) => k[1..5].copy_from_slice(&v4.octets()),
        std::net::IpAddr::V6(v6) => {
            k[0] = 1;
            k[1..17].copy_from_slice(&v6.octets());
        }
    }
    k[17..].copy_from_slice(&a.port().to_be_bytes());
    k
}

/// The scheduler hashes into a table built from the destination list.
pub fn is_hashing(sched: &str) -> bool {
    matches!(sched, "mh" | "sh" | "dh")
}

/// Orders hashing services' real servers, turns on weight 0 on failure where the kernel
/// falls back, and adds the notes and warnings described in the module comment.
pub fn apply(cfg: &mut Config, at: &dyn Fn(crate::model::config::Pos) -> String) {
    let announce = cfg.vip_announce.is_some();
    let multi = announce || cfg.sync_daemon.is_some();
    let mut notes = Vec::new();
    let mut warnings = Vec::new();
    for vs in cfg.services.iter_mut() {
        let sched = vs.sched.as_str();
        let svc = name(vs);
        if is_hashing(sched) {
            // Unstable, for code size: resolve refused real servers with one address twice.
            vs.reals.sort_unstable_by_key(|r| order_key(r.addr));
            let fallback = match sched {
                "mh" => vs.svc_flags & svc_flags::SCHED_MH_FALLBACK != 0,
                "sh" => vs.svc_flags & svc_flags::SCHED_SH_FALLBACK != 0,
                _ => false,
            };
            let forced = fallback && vs.reals.iter().any(|r| !r.inhibit_on_failure);
            if fallback {
                for r in vs.reals.iter_mut() {
                    r.inhibit_on_failure = true;
                }
            }
            notes.push(format!(
                "{}: {} ({}): real servers are added in address order{}, so every Director builds the same {} table",
                at(vs.pos),
                svc,
                sched,
                if forced {
                    " and a failed one is set to weight 0 (as inhibit_on_failure) instead of being removed"
                } else {
                    ""
                },
                sched
            ));
            if multi && !fallback && sched != "dh" {
                warnings.push(format!(
                    "{}: {} uses {} without {}-fallback: a failed real server has to be removed (at weight 0 its flows would be dropped), and when it comes back it is added at the end of this Director's list, so the Directors' tables differ until the service is recreated; add {}-fallback",
                    at(vs.pos), svc, sched, sched, sched
                ));
            }
            if announce && sched == "mh" && vs.svc_flags & svc_flags::SCHED_MH_PORT == 0 {
                warnings.push(format!(
                    "{}: {} uses mh without mh-port: the hash is the client address alone, so every connection of a client (or of a NAT in front of many) goes to one real server; add mh-port to spread them",
                    at(vs.pos), svc
                ));
            }
        } else if announce {
            warnings.push(format!(
                "{}: {} uses lb_algo {} with vip_announce: each Director schedules on its own, so a flow that reaches another Director (a router rehashing, a Director lost) lands on another real server; lb_algo mh with mh-port and mh-fallback sends it to the same one",
                at(vs.pos), svc, sched
            ));
        }
        if announce && matches!(vs.target, VsTarget::Fwmark { .. }) {
            warnings.push(format!(
                "{}: {} has no address: vip_announce skips it (announce its addresses yourself)",
                at(vs.pos),
                svc
            ));
        }
    }
    if let Some(inst) = cfg
        .sync_daemon
        .as_ref()
        .and_then(|d| d.vrrp_instance.as_ref())
    {
        notes.push(format!(
            "{}: lvs_sync_daemon names VRRP instance {}: keepalived's VRRP half (keepalived -P) runs the sync daemon in that instance's role; lvsmon starts and stops none",
            at(cfg.sync_daemon.as_ref().map(|d| d.pos).unwrap_or_default()),
            inst
        ));
    }
    cfg.notes.extend(notes);
    cfg.warnings.extend(warnings);
}

#[cfg(test)]
mod tests {
    use crate::config::parse_str;
    use std::net::SocketAddr;

    fn vs(sched: &str, flags: &str, reals: &[&str]) -> String {
        let mut s = format!(
            "virtual_server 192.0.2.10 80 {{\n protocol TCP\n lb_algo {}\n{}\n lb_kind DR\n",
            sched, flags
        );
        for r in reals {
            s.push_str(&format!(" real_server {} 80 {{\n }}\n", r));
        }
        s.push_str("}\n");
        s
    }

    #[test]
    fn order_key_orders_as_address_then_port() {
        let addrs: Vec<SocketAddr> = [
            "[2001:db8::1]:80",
            "198.51.100.20:80",
            "198.51.100.3:81",
            "[::ffff:1.2.3.4]:1",
            "198.51.100.3:80",
            "10.0.0.1:65535",
            "[2001:db8::1]:79",
            "[fe80::1]:0",
            "255.255.255.255:0",
        ]
        .iter()
        .map(|a| a.parse().unwrap())
        .collect();
        let mut by_key = addrs.clone();
        by_key.sort_by_key(|a| super::order_key(*a));
        let mut by_tuple = addrs;
        by_tuple.sort_by_key(|a| (a.ip(), a.port()));
        assert_eq!(by_key, by_tuple);
    }

    const ANNOUNCE: &str = "vip_announce {\n interface vip0\n}\n";

    fn order(text: &str) -> Vec<SocketAddr> {
        let cfg = parse_str("d.conf", text).unwrap();
        cfg.services[0].reals.iter().map(|r| r.addr).collect()
    }

    #[test]
    fn hashing_services_add_real_servers_in_address_order_whatever_the_config_order() {
        let a = order(&vs(
            "mh",
            " mh-port\n mh-fallback",
            &[
                "198.51.100.3",
                "198.51.100.1",
                "198.51.100.20",
                "198.51.100.2",
            ],
        ));
        let b = order(&vs(
            "mh",
            " mh-port\n mh-fallback",
            &[
                "198.51.100.2",
                "198.51.100.20",
                "198.51.100.1",
                "198.51.100.3",
            ],
        ));
        assert_eq!(a, b);
        let want: Vec<SocketAddr> = ["1", "2", "3", "20"]
            .iter()
            .map(|h| format!("198.51.100.{}:80", h).parse().unwrap())
            .collect();
        assert_eq!(a, want);
        // Other schedulers keep the config order.
        let c = order(&vs("wrr", "", &["198.51.100.3", "198.51.100.1"]));
        assert_eq!(c[0], "198.51.100.3:80".parse::<SocketAddr>().unwrap());
    }

    #[test]
    fn mh_fallback_turns_failure_into_weight_zero_with_one_note() {
        let cfg = parse_str(
            "d.conf",
            &vs(
                "mh",
                " mh-port\n mh-fallback",
                &["198.51.100.2", "198.51.100.1"],
            ),
        )
        .unwrap();
        assert!(cfg.services[0].reals.iter().all(|r| r.inhibit_on_failure));
        assert_eq!(cfg.notes.len(), 1, "{:?}", cfg.notes);
        assert!(cfg.notes[0].starts_with("d.conf:1:1: TCP 192.0.2.10:80 (mh): real servers are added in address order and a failed one is set to weight 0"), "{}", cfg.notes[0]);
        // Without the fallback flag removal stays (weight 0 would drop the flows).
        let cfg = parse_str("d.conf", &vs("mh", " mh-port", &["198.51.100.2"])).unwrap();
        assert!(!cfg.services[0].reals[0].inhibit_on_failure);
    }

    #[test]
    fn multi_director_configs_warn_about_inconsistent_schedulers() {
        let warns = |text: String| parse_str("d.conf", &text).unwrap().warnings;
        // One Director: no warning for wrr, nor for mh without flags.
        assert!(warns(vs("wrr", "", &["198.51.100.2"])).is_empty());
        assert!(warns(vs("mh", "", &["198.51.100.2"])).is_empty());
        let w = warns(format!("{}{}", ANNOUNCE, vs("wrr", "", &["198.51.100.2"])));
        assert_eq!(w.len(), 1, "{:?}", w);
        assert!(
            w[0].contains("TCP 192.0.2.10:80 uses lb_algo wrr with vip_announce"),
            "{}",
            w[0]
        );
        let w = warns(format!("{}{}", ANNOUNCE, vs("mh", "", &["198.51.100.2"])));
        assert_eq!(w.len(), 2, "{:?}", w);
        assert!(w[0].contains("without mh-fallback"));
        assert!(w[1].contains("without mh-port"));
        assert!(warns(format!(
            "{}{}",
            ANNOUNCE,
            vs("mh", " mh-port\n mh-fallback", &["198.51.100.2"])
        ))
        .is_empty());
        // A VRRP pair's sync daemon makes it multi-Director too.
        let w = warns(format!(
            "global_defs {{\n lvs_sync_daemon eth0 id 1\n}}\n{}",
            vs("sh", "", &["198.51.100.2"])
        ));
        assert!(
            w.iter().any(|l| l.contains("uses sh without sh-fallback")),
            "{:?}",
            w
        );
    }
}
