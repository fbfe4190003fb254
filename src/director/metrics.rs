//! The director's Prometheus families (`GET /metrics`): per real server health, weights,
//! check counts, transitions and check latency; per virtual service quorum and sorry
//! server. Written from the state the director keeps anyway (`stats`), so a scrape reads
//! and never changes it. Labels: `virtual_server` as `lvsmon status` names the service
//! (`TCP 192.0.2.10:80`, `FWM 7`), `real_server` as `ADDRESS:PORT`.
//!
//! Each real server's label pair is formatted once per scrape and copied into its ~30
//! sample lines (at 4096 real servers a scrape is 15 MB: formatting the labels for every
//! line tripled its cost).

use std::fmt::{Display, Write};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use super::stats::{LATENCY_BUCKETS_US, LATENCY_BUCKET_LE};
use super::{Director, ServiceName};
use crate::ipvsadm::rule::AddrPort;
use crate::prom::{self, Kind, LabelValue, Seconds};

/// `name{labels[,extra]} value\n`. The value is `&dyn Display` for code size: one copy
/// of this body, not one per value type.
fn line(out: &mut String, name: &str, labels: &str, extra: &str, value: &dyn Display) {
    out.push_str(name);
    out.push('{');
    out.push_str(labels);
    out.push_str(extra);
    out.push_str("} ");
    let _ = write!(out, "{}", value);
    out.push('\n');
}

/// The per real server gauges: name, help, value. A static for code size: built on the
/// stack at each scrape it was about 0.3 KB of stores on mipsel.
type Gauge = (&'static str, &'static str, fn(&Director, usize) -> i64);
static GAUGES: [Gauge; 4] = [
    (
        "lvsmon_real_server_up",
        "Whether the real server passes its checks (1) or not (0).",
        |d, ri| i64::from(d.reals[ri].up),
    ),
    (
        "lvsmon_real_server_weight",
        "The real server's weight in the IPVS table now (0 when not in the table).",
        |d, ri| i64::from(d.current_weight(&d.reals[ri]).1),
    ),
    (
        "lvsmon_real_server_configured_weight",
        "The real server's weight in the configuration.",
        |d, ri| i64::from(d.reals[ri].weight),
    ),
    (
        "lvsmon_real_server_in_table",
        "Whether the real server is in the IPVS table (1) or not (0).",
        |d, ri| i64::from(d.current_weight(&d.reals[ri]).0),
    ),
];

impl Director {
    /// Appends the director's families to `out`.
    pub fn write_metrics(&self, out: &mut String, now: Instant, wall_now: SystemTime) {
        // Every live real server's index and label pair, in status order. Allocated for
        // this scrape and freed after it.
        let mut reals: Vec<(usize, usize, usize)> = Vec::with_capacity(self.reals.len());
        let mut labels = String::with_capacity(self.reals.len() * 64);
        for s in self.svcs.iter().filter(|s| !s.retired) {
            for ri in s.reals.clone() {
                let start = labels.len();
                let _ = write!(
                    labels,
                    "virtual_server=\"{}\",real_server=\"{}\"",
                    LabelValue(ServiceName(&s.key)),
                    LabelValue(AddrPort(&self.reals[ri].addr))
                );
                reals.push((ri, start, labels.len()));
            }
        }
        let each = |f: &mut dyn FnMut(usize, &str)| {
            for &(ri, a, b) in &reals {
                f(ri, &labels[a..b]);
            }
        };
        for &(name, help, value) in &GAUGES {
            prom::family(out, name, Kind::Gauge, help);
            each(&mut |ri, l| line(out, name, l, "", &value(self, ri)));
        }
        let name = "lvsmon_real_server_last_change_timestamp_seconds";
        prom::family(
            out,
            name,
            Kind::Gauge,
            "Unix time of the real server's last health transition (absent before the first).",
        );
        each(&mut |ri, l| {
            if let Some(t) = self.reals[ri].last_change {
                let wall = super::status::Rfc3339::at(t, now, wall_now).0;
                let us = wall
                    .duration_since(UNIX_EPOCH)
                    .map(crate::model::duration::micros)
                    .unwrap_or(0);
                line(out, name, l, "", &Seconds(us));
            }
        });
        let name = "lvsmon_checks_total";
        prom::family(
            out,
            name,
            Kind::Counter,
            "Checks of the real server finished since lvsmon started, by result.",
        );
        each(&mut |ri, l| {
            let st = &self.stats[ri];
            line(out, name, l, ",result=\"ok\"", &st.ok);
            line(out, name, l, ",result=\"fail\"", &st.fail);
        });
        let name = "lvsmon_transitions_total";
        prom::family(
            out,
            name,
            Kind::Counter,
            "Health transitions (up to down or down to up) of the real server since lvsmon started.",
        );
        each(&mut |ri, l| line(out, name, l, "", &self.stats[ri].transitions));
        prom::family(
            out,
            "lvsmon_check_duration_seconds",
            Kind::Histogram,
            "How long the real server's checks took, from start to verdict.",
        );
        each(&mut |ri, l| {
            let st = &self.stats[ri];
            let mut cumulative = 0;
            for (i, le) in LATENCY_BUCKET_LE.iter().enumerate() {
                cumulative += st.buckets[i];
                out.push_str("lvsmon_check_duration_seconds_bucket{");
                out.push_str(l);
                out.push_str(",le=\"");
                out.push_str(le);
                let _ = writeln!(out, "\"}} {}", cumulative);
            }
            line(
                out,
                "lvsmon_check_duration_seconds_bucket",
                l,
                ",le=\"+Inf\"",
                &st.count(),
            );
            line(
                out,
                "lvsmon_check_duration_seconds_sum",
                l,
                "",
                &Seconds(st.latency_sum_us),
            );
            line(
                out,
                "lvsmon_check_duration_seconds_count",
                l,
                "",
                &st.count(),
            );
        });
        debug_assert_eq!(LATENCY_BUCKET_LE.len(), LATENCY_BUCKETS_US.len());
        for (name, help, sorry) in [
            (
                "lvsmon_virtual_server_quorum_up",
                "Whether the virtual service has quorum (1) or not (0).",
                false,
            ),
            (
                "lvsmon_virtual_server_sorry_server_active",
                "Whether the virtual service's sorry server is taking its traffic (1) or not (0).",
                true,
            ),
        ] {
            prom::family(out, name, Kind::Gauge, help);
            for s in self.svcs.iter().filter(|s| !s.retired) {
                let v = if sorry {
                    !s.quorum_up && s.sorry.is_some()
                } else {
                    s.quorum_up
                };
                prom::sample(
                    out,
                    name,
                    format_args!("virtual_server=\"{}\"", LabelValue(ServiceName(&s.key))),
                    u8::from(v),
                );
            }
        }
    }
}
