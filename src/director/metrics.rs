//! The director's Prometheus families (`GET /metrics`): per real server health, weights,
//! check counts, transitions and check latency; per virtual service quorum and sorry
//! server. Written from the state the director keeps anyway (`stats`), so a scrape reads
//! and never changes it. Labels: `virtual_server` as `lvsmon status` names the service
//! (`TCP 192.0.2.10:80`, `FWM 7`), `real_server` as `ADDRESS:PORT`.

use std::fmt::Write;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use super::stats::LATENCY_BUCKETS_US;
use super::{Director, Real, ServiceName, Svc};
use crate::ipvsadm::rule::AddrPort;
use crate::prom::{self, Kind, LabelValue, Seconds};

impl Director {
    fn each_real(&self, mut f: impl FnMut(&Svc, usize, &Real)) {
        for s in self.svcs.iter().filter(|s| !s.retired) {
            for ri in s.reals.clone() {
                f(s, ri, &self.reals[ri]);
            }
        }
    }

    /// Appends the director's families to `out`.
    pub fn write_metrics(&self, out: &mut String, now: Instant, wall_now: SystemTime) {
        macro_rules! per_real {
            ($name:expr, $kind:expr, $help:expr, |$s:ident, $ri:ident, $r:ident| $value:expr) => {
                prom::family(out, $name, $kind, $help);
                self.each_real(|$s, $ri, $r| {
                    let _ = $ri;
                    if let Some(v) = $value {
                        prom::sample(
                            out,
                            $name,
                            format_args!(
                                "virtual_server=\"{}\",real_server=\"{}\"",
                                LabelValue(ServiceName(&$s.key)),
                                LabelValue(AddrPort(&$r.addr))
                            ),
                            v,
                        );
                    }
                });
            };
        }
        per_real!(
            "lvsmon_real_server_up",
            Kind::Gauge,
            "Whether the real server passes its checks (1) or not (0).",
            |_s, _ri, r| Some(u8::from(r.up))
        );
        per_real!(
            "lvsmon_real_server_weight",
            Kind::Gauge,
            "The real server's weight in the IPVS table now (0 when not in the table).",
            |_s, _ri, r| Some(self.current_weight(r).1)
        );
        per_real!(
            "lvsmon_real_server_configured_weight",
            Kind::Gauge,
            "The real server's weight in the configuration.",
            |_s, _ri, r| Some(r.weight)
        );
        per_real!(
            "lvsmon_real_server_in_table",
            Kind::Gauge,
            "Whether the real server is in the IPVS table (1) or not (0).",
            |_s, _ri, r| Some(u8::from(self.current_weight(r).0))
        );
        per_real!(
            "lvsmon_real_server_last_change_timestamp_seconds",
            Kind::Gauge,
            "Unix time of the real server's last health transition (absent before the first).",
            |_s, _ri, r| r.last_change.map(|t| {
                let wall = super::status::Rfc3339::at(t, now, wall_now).0;
                let us = wall
                    .duration_since(UNIX_EPOCH)
                    .map(|d| d.as_micros() as u64)
                    .unwrap_or(0);
                Seconds(us)
            })
        );
        prom::family(
            out,
            "lvsmon_checks_total",
            Kind::Counter,
            "Checks of the real server finished since lvsmon started, by result.",
        );
        self.each_real(|s, ri, r| {
            let st = &self.stats[ri];
            for (result, n) in [("ok", st.ok), ("fail", st.fail)] {
                prom::sample(
                    out,
                    "lvsmon_checks_total",
                    format_args!(
                        "virtual_server=\"{}\",real_server=\"{}\",result=\"{}\"",
                        LabelValue(ServiceName(&s.key)),
                        LabelValue(AddrPort(&r.addr)),
                        result
                    ),
                    n,
                );
            }
        });
        per_real!(
            "lvsmon_transitions_total",
            Kind::Counter,
            "Health transitions (up to down or down to up) of the real server since lvsmon started.",
            |_s, ri, _r| Some(self.stats[ri].transitions)
        );
        prom::family(
            out,
            "lvsmon_check_duration_seconds",
            Kind::Histogram,
            "How long the real server's checks took, from start to verdict.",
        );
        self.each_real(|s, ri, r| {
            let st = &self.stats[ri];
            let vs = LabelValue(ServiceName(&s.key));
            let rs = LabelValue(AddrPort(&r.addr));
            let mut cumulative = 0;
            for (i, bound) in LATENCY_BUCKETS_US.iter().enumerate() {
                cumulative += st.buckets[i];
                let _ = writeln!(
                    out,
                    "lvsmon_check_duration_seconds_bucket{{virtual_server=\"{}\",real_server=\"{}\",le=\"{}\"}} {}",
                    vs, rs, Seconds(*bound), cumulative
                );
            }
            let _ = writeln!(
                out,
                "lvsmon_check_duration_seconds_bucket{{virtual_server=\"{}\",real_server=\"{}\",le=\"+Inf\"}} {}\n\
                 lvsmon_check_duration_seconds_sum{{virtual_server=\"{}\",real_server=\"{}\"}} {}\n\
                 lvsmon_check_duration_seconds_count{{virtual_server=\"{}\",real_server=\"{}\"}} {}",
                vs, rs, st.count(), vs, rs, Seconds(st.latency_sum_us), vs, rs, st.count()
            );
        });
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
