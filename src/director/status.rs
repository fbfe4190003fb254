//! The director's state for people and programs: `lvsmon status --json` (a stable
//! format, written by hand), the text table of `lvsmon status`, and the SIGUSR1 dump
//! to the log. Times are RFC 3339 UTC, derived from the monotonic instants with the
//! wall clock the caller read at the same moment as `now`.

use std::fmt::{self, Write};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use super::{protocol_name, Director, Override, OverrideError, Real, ServiceName};
use crate::health::checker::{CheckerState, Timers};
use crate::ipvs::rule::ServiceKey;
use crate::ipvsadm::rule::AddrPort;
use crate::model::config::CheckKind;
use crate::model::duration::millis;
use crate::textbuf::TextBuf;

/// Appends to a String, escaping for the inside of a JSON string (RFC 8259 §7).
struct JsonEsc<'a>(&'a mut String);

impl fmt::Write for JsonEsc<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        for ch in s.chars() {
            match ch {
                '"' => self.0.push_str("\\\""),
                '\\' => self.0.push_str("\\\\"),
                '\n' => self.0.push_str("\\n"),
                '\r' => self.0.push_str("\\r"),
                '\t' => self.0.push_str("\\t"),
                c if (c as u32) < 0x20 => write!(self.0, "\\u{:04x}", c as u32)?,
                c => self.0.push(c),
            }
        }
        Ok(())
    }
}

/// `"text"` with `text` escaped.
pub(crate) fn json_str(out: &mut String, v: impl fmt::Display) {
    json_str_dyn(out, &v);
}

/// `json_str`'s body, for code size: one copy, not one per value type.
fn json_str_dyn(out: &mut String, v: &dyn fmt::Display) {
    out.push('"');
    let _ = write!(JsonEsc(out), "{}", v);
    out.push('"');
}

/// An instant as RFC 3339 UTC, second precision (`2026-11-21T17:03:09Z`).
pub struct Rfc3339(pub SystemTime);

impl Rfc3339 {
    pub fn at(t: Instant, now: Instant, wall_now: SystemTime) -> Rfc3339 {
        let wall = if t <= now {
            wall_now.checked_sub(now - t).unwrap_or(UNIX_EPOCH)
        } else {
            wall_now + (t - now)
        };
        Rfc3339(wall)
    }
}

impl fmt::Display for Rfc3339 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let secs = self
            .0
            .duration_since(UNIX_EPOCH)
            .unwrap_or(Duration::ZERO)
            .as_secs();
        // The log's clock text without a fraction: one copy of that code (the year is
        // at least 1970 here, so always four digits as `{:04}` wrote it).
        crate::logging::push_rfc3339(f, secs as i64, 0)
    }
}

/// An instant as Unix milliseconds.
fn unix_ms(t: Instant, now: Instant, wall_now: SystemTime) -> u64 {
    millis(
        Rfc3339::at(t, now, wall_now)
            .0
            .duration_since(UNIX_EPOCH)
            .unwrap_or(Duration::ZERO),
    )
}

/// The health checker whose attempt finished last, for a real server's "last" fields
/// (an agent's attempts are shown as what it said, not as a check result).
fn latest<'a>(d: &'a Director, r: &Real) -> Option<&'a CheckerState> {
    // The last of the latest, as `max_by_key` would pick.
    let mut best: Option<(&CheckerState, Instant)> = None;
    for &c in r.checkers.iter() {
        let c = &d.checkers[c as usize];
        match c.state.last_check {
            Some(t) if c.check.kind != CheckKind::Agent && best.map_or(true, |b| t >= b.1) => {
                best = Some((&c.state, t))
            }
            _ => {}
        }
    }
    best.map(|b| b.0)
}

/// `(successes, rise)` of a down real server on its way back: the down checker furthest
/// from coming up, if every down checker has started rising.
fn rising(d: &Director, r: &Real) -> Option<(u32, u32)> {
    if r.up {
        return None;
    }
    let mut worst: Option<(u32, u32)> = None;
    for &c in r.checkers.iter() {
        let c = &d.checkers[c as usize];
        if c.state.up {
            continue;
        }
        let (k, n) = c.state.rising(&Timers::of(&c.check))?;
        if worst.map_or(true, |(wk, wn)| n - k > wn - wk) {
            worst = Some((k, n));
        }
    }
    worst
}

/// Late periodic starts of a real server's checkers (see `Director::late_starts`).
fn late(d: &Director, r: &Real) -> u64 {
    r.checkers
        .iter()
        .map(|&c| d.checkers[c as usize].state.late)
        .sum()
}

struct CheckNames<'a>(&'a Director, &'a Real);

impl fmt::Display for CheckNames<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, &c) in self.1.checkers.iter().enumerate() {
            if i > 0 {
                f.write_str("+")?;
            }
            f.write_str(self.0.checkers[c as usize].check.kind.name())?;
        }
        Ok(())
    }
}

struct LastResult<'a>(&'a CheckerState);

impl fmt::Display for LastResult<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.last_result {
            Some(Ok(_)) => f.write_str("ok"),
            Some(Err(r)) => write!(f, "{}", r),
            None => f.write_str("-"),
        }
    }
}

/// The header of the real server rows of `write_status_text`, in the columns of their
/// format ("  {:<24} {:<11} {:>6} {:>6} {:<5} {:<10} {:<28} {:>8} {:>6} {:<20} {:<20}
/// {:<10} NOTES"). A constant, for code size: formatted at each request, it was twelve
/// padded arguments.
const REAL_HEADER: &str = "  REAL SERVER              HEALTH      WEIGHT    CUR TABLE CHECK      LAST RESULT                   LATENCY   LATE LAST CHECK           LAST CHANGE          OVERRIDE   NOTES\n";

impl Director {
    /// The current weight of a real server: what the believed table gives its address,
    /// 0 when it is not in the table.
    pub(super) fn current_weight(&self, r: &Real) -> (bool, i32) {
        match &self.dests[r.slot].believed {
            Some(d) => (true, d.weight),
            None => (false, 0),
        }
    }

    /// `lvsmon status --json`: one object, `{"services":[...]}`, see the README.
    pub fn write_status_json(&self, out: &mut String, now: Instant, wall_now: SystemTime) {
        out.push_str("{\"services\":[");
        let mut first = true;
        for s in self.svcs.iter().filter(|s| !s.retired) {
            if !first {
                out.push(',');
            }
            first = false;
            out.push_str("{\"service\":");
            json_str(out, ServiceName(&s.key));
            out.push_str(",\"protocol\":");
            match s.key {
                ServiceKey::Inet { addr, .. } => {
                    json_str(out, protocol_name(s.protocol));
                    out.push_str(",\"address\":");
                    json_str(out, AddrPort(&addr));
                    out.push_str(",\"fwmark\":null");
                }
                ServiceKey::Fwmark { mark, .. } => {
                    json_str(out, "FWM");
                    let _ = write!(out, ",\"address\":null,\"fwmark\":{}", mark);
                }
            }
            out.push_str(",\"scheduler\":");
            json_str(out, &s.sched);
            let _ = write!(out, ",\"quorum_up\":{}", s.quorum_up);
            out.push_str(",\"sorry_server\":");
            match &s.sorry {
                Some(sorry) => {
                    out.push_str("{\"address\":");
                    json_str(out, AddrPort(&sorry.spec.addr));
                    let in_table = self.dests[sorry.slot].believed.is_some();
                    let _ = write!(out, ",\"in_table\":{}}}", in_table);
                }
                None => out.push_str("null"),
            }
            out.push_str(",\"reals\":[");
            for (i, ri) in s.reals.clone().enumerate() {
                let ri: usize = ri;
                if i > 0 {
                    out.push(',');
                }
                let r = &self.reals[ri];
                out.push_str("{\"address\":");
                json_str(out, AddrPort(&r.addr));
                let (in_table, cur) = self.current_weight(r);
                let _ = write!(
                    out,
                    ",\"health\":\"{}\",\"configured_weight\":{},\"current_weight\":{},\"in_table\":{},\"rising\":",
                    if r.up { "up" } else { "down" },
                    r.weight,
                    cur,
                    in_table
                );
                match rising(self, r) {
                    Some((k, n)) => {
                        let _ = write!(out, "{{\"successes\":{},\"rise\":{}}}", k, n);
                    }
                    None => out.push_str("null"),
                }
                let _ = write!(out, ",\"late\":{},\"slow_start\":", late(self, r));
                match self.ramp_progress(ri) {
                    Some((k, n, w)) => {
                        let _ = write!(
                            out,
                            "{{\"elapsed\":{},\"seconds\":{},\"weight\":{}}}",
                            k, n, w
                        );
                    }
                    None => out.push_str("null"),
                }
                out.push_str(",\"agent\":");
                match self.agent_of(r) {
                    Some(a) => {
                        out.push_str("{\"percent\":");
                        match a.percent {
                            Some(p) => {
                                let _ = write!(out, "{}", p);
                            }
                            None => out.push_str("null"),
                        }
                        let _ = write!(
                            out,
                            ",\"drain\":{},\"maint\":{},\"down\":{}}}",
                            a.drain, a.maint, a.down
                        );
                    }
                    None => out.push_str("null"),
                }
                out.push_str(",\"check\":");
                if r.checkers.is_empty() {
                    out.push_str("null");
                } else {
                    json_str(out, CheckNames(self, r));
                }
                out.push_str(",\"last_result\":");
                match latest(self, r) {
                    Some(st) => {
                        json_str(out, LastResult(st));
                        let _ = write!(
                            out,
                            ",\"last_latency_ms\":{}",
                            millis(st.last_latency.unwrap_or_default())
                        );
                        out.push_str(",\"last_check\":");
                        match st.last_check {
                            Some(t) => json_str(out, Rfc3339::at(t, now, wall_now)),
                            None => out.push_str("null"),
                        }
                    }
                    None => out.push_str("null,\"last_latency_ms\":null,\"last_check\":null"),
                }
                out.push_str(",\"last_change\":");
                match r.last_change {
                    Some(t) => json_str(out, Rfc3339::at(t, now, wall_now)),
                    None => out.push_str("null"),
                }
                out.push_str(",\"override\":");
                match r.ov {
                    None => out.push_str("null"),
                    Some(Override::Drain) => out.push_str("{\"kind\":\"drain\",\"weight\":0}"),
                    Some(Override::Weight(w)) => {
                        let _ = write!(out, "{{\"kind\":\"weight\",\"weight\":{}}}", w);
                    }
                }
                let st = &self.stats[ri];
                let _ = write!(
                    out,
                    ",\"checks_ok\":{},\"checks_failed\":{},\"transitions\":{},\"history\":[",
                    st.ok, st.fail, st.transitions
                );
                for (i, e) in st.history.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    let _ = write!(
                        out,
                        "[{},{},",
                        unix_ms(e.at(self.epoch), now, wall_now),
                        e.latency_us
                    );
                    json_str(out, e.reason);
                    out.push(']');
                }
                out.push_str("]}");
            }
            out.push_str("]}");
        }
        out.push(']');
        self.write_announce_json(out, now, wall_now);
        out.push('}');
    }

    /// `,"vip_announce":{...}` when announcing is on (nothing otherwise).
    fn write_announce_json(&self, out: &mut String, now: Instant, wall_now: SystemTime) {
        let Some(iface) = self.announce_interface() else {
            return;
        };
        let (rule, on_stop) = self.announce_settings();
        out.push_str(",\"vip_announce\":{\"interface\":");
        json_str(out, iface);
        let _ = write!(
            out,
            ",\"rule\":\"{}\",\"on_stop\":\"{}\",\"vips\":[",
            rule, on_stop
        );
        for (i, v) in self.vip_status().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str("{\"address\":");
            json_str(out, v.addr);
            let _ = write!(
                out,
                ",\"prefix\":{},\"services\":{},\"state\":\"{}\",\"reason\":",
                crate::announce::host_prefix(&v.addr),
                v.services,
                v.state.name()
            );
            json_str(out, v.why);
            out.push_str(",\"since\":");
            match v.since {
                Some(t) => json_str(out, Rfc3339::at(t, now, wall_now)),
                None => out.push_str("null"),
            }
            out.push('}');
        }
        out.push_str("]}");
    }

    /// The text status's announce block: a header line, then one line per VIP:
    /// `  192.0.2.10/32  announced (all 2 services have quorum)  since 2026-...Z`.
    fn write_announce_text(&self, out: &mut String, now: Instant, wall_now: SystemTime) {
        let Some(iface) = self.announce_interface() else {
            return;
        };
        let (rule, on_stop) = self.announce_settings();
        let _ = writeln!(
            out,
            "vip_announce on {}  rule {}  on_stop {}",
            iface, rule, on_stop
        );
        for v in self.vip_status() {
            let mut addr = TextBuf::new(48);
            let _ = write!(addr, "{}/{}", v.addr, crate::announce::host_prefix(&v.addr));
            let _ = write!(
                out,
                "  {:<24} {}",
                addr.as_str(),
                crate::announce::StateText(v.state, v.why)
            );
            if let Some(t) = v.since {
                let _ = write!(out, "  since {}", Rfc3339::at(t, now, wall_now));
            }
            out.push('\n');
        }
    }

    /// `lvsmon status`: a readable table, one block per service.
    pub fn write_status_text(&self, out: &mut String, now: Instant, wall_now: SystemTime) {
        for s in self.svcs.iter().filter(|s| !s.retired) {
            let _ = write!(
                out,
                "{}  {}  quorum {}",
                ServiceName(&s.key),
                s.sched,
                if s.quorum_up { "up" } else { "DOWN" }
            );
            if let Some(sorry) = &s.sorry {
                let _ = write!(
                    out,
                    "  sorry server {} {}",
                    AddrPort(&sorry.spec.addr),
                    if self.dests[sorry.slot].believed.is_some() {
                        "in table"
                    } else {
                        "not in table"
                    }
                );
            }
            out.push('\n');
            out.push_str(REAL_HEADER);
            for ri in s.reals.clone() {
                let r = &self.reals[ri];
                let (in_table, cur) = self.current_weight(r);
                let st = latest(self, r);
                let mut check = TextBuf::new(64);
                if r.checkers.is_empty() {
                    let _ = check.push_str("-");
                } else {
                    let _ = write!(check, "{}", CheckNames(self, r));
                }
                let mut result = TextBuf::new(64);
                let mut latency = TextBuf::new(16);
                let mut checked = TextBuf::new(24);
                match st {
                    Some(st) => {
                        let _ = write!(result, "{}", LastResult(st));
                        let _ = write!(
                            latency,
                            "{} ms",
                            millis(st.last_latency.unwrap_or_default())
                        );
                        if let Some(t) = st.last_check {
                            let _ = write!(checked, "{}", Rfc3339::at(t, now, wall_now));
                        }
                    }
                    None => {
                        let _ = result.push_str("-");
                        let _ = latency.push_str("-");
                    }
                }
                if checked.is_empty() {
                    let _ = checked.push_str("-");
                }
                let mut changed = TextBuf::new(24);
                match r.last_change {
                    Some(t) => {
                        let _ = write!(changed, "{}", Rfc3339::at(t, now, wall_now));
                    }
                    None => {
                        let _ = changed.push_str("-");
                    }
                }
                let mut addr = TextBuf::new(48);
                let _ = write!(addr, "{}", AddrPort(&r.addr));
                let mut health = TextBuf::new(24);
                match (r.up, rising(self, r)) {
                    (true, _) => {
                        let _ = health.push_str("up");
                    }
                    (false, Some((k, n))) => {
                        let _ = write!(health, "rising {}/{}", k, n);
                    }
                    (false, None) => {
                        let _ = health.push_str("DOWN");
                    }
                }
                let _ = write!(
                    out,
                    "  {:<24} {:<11} {:>6} {:>6} {:<5} {:<10} {:<28} {:>8} {:>6} {:<20} {:<20} ",
                    addr.as_str(),
                    health.as_str(),
                    r.weight,
                    cur,
                    if in_table { "yes" } else { "no" },
                    check.as_str(),
                    result.as_str(),
                    latency.as_str(),
                    late(self, r),
                    checked.as_str(),
                    changed.as_str()
                );
                let mut ov = TextBuf::new(16);
                let _ = match r.ov {
                    None => ov.push_str("-"),
                    Some(Override::Drain) => ov.push_str("drain"),
                    Some(Override::Weight(w)) => write!(ov, "weight {}", w),
                };
                let _ = write!(out, "{:<10} ", ov.as_str());
                let mut notes = 0;
                if let Some((k, n, w)) = self.ramp_progress(ri) {
                    let _ = write!(out, "slow start {}/{} s (weight {})", k, n, w);
                    notes += 1;
                }
                if let Some(a) = self.agent_of(r).filter(|a| a.is_set()) {
                    if notes > 0 {
                        out.push_str(", ");
                    }
                    let _ = write!(out, "agent: {}", a);
                    notes += 1;
                }
                if notes == 0 {
                    out.push('-');
                }
                out.push('\n');
            }
        }
        self.write_announce_text(out, now, wall_now);
    }

    /// `lvsmon status --history VS RS`: the recent checks of one real server, oldest
    /// first. `NoService` when `key` is not configured (the caller tries the next
    /// protocol), `NoRealServer` when the service has no such real server.
    pub fn write_history_text(
        &self,
        key: &ServiceKey,
        addr: std::net::SocketAddr,
        out: &mut String,
        now: Instant,
        wall_now: SystemTime,
    ) -> Result<(), OverrideError> {
        let si = *self.svc_index.get(key).ok_or(OverrideError::NoService)? as usize;
        let s = &self.svcs[si];
        if s.retired {
            return Err(OverrideError::NoService);
        }
        let ri = s
            .reals
            .clone()
            .find(|&ri| self.reals[ri].addr == addr)
            .ok_or(OverrideError::NoRealServer)?;
        let r = &self.reals[ri];
        let st = &self.stats[ri];
        let _ = writeln!(
            out,
            "{} real server {}: {} now; {} checks ok, {} failed, {} transitions; the last {} checks, oldest first",
            ServiceName(&s.key),
            AddrPort(&r.addr),
            if r.up { "up" } else { "DOWN" },
            st.ok,
            st.fail,
            st.transitions,
            st.history.len()
        );
        // "  {:<20} {:>12}  RESULT" of "TIME" and "LATENCY", written out.
        out.push_str("  TIME                      LATENCY  RESULT\n");
        for e in st.history.iter() {
            let mut latency = TextBuf::new(24);
            let _ = write!(
                latency,
                "{}.{} ms",
                e.latency_us / 1000,
                e.latency_us % 1000 / 100
            );
            let mut at = TextBuf::new(24);
            let _ = write!(at, "{}", Rfc3339::at(e.at(self.epoch), now, wall_now));
            let _ = writeln!(
                out,
                "  {:<20} {:>12}  {}",
                at.as_str(),
                latency.as_str(),
                e.reason
            );
        }
        Ok(())
    }

    /// SIGUSR1: the text status, one log line per line.
    pub fn log_state_table(&self, now: Instant, wall_now: SystemTime) {
        let mut text = String::new();
        self.write_status_text(&mut text, now, wall_now);
        info!(
            "state table ({} services):",
            self.svcs.iter().filter(|s| !s.retired).count()
        );
        for line in text.lines() {
            info!("{}", line);
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_row_header_constant_is_the_formatted_header() {
        let formatted = format!(
            "  {:<24} {:<11} {:>6} {:>6} {:<5} {:<10} {:<28} {:>8} {:>6} {:<20} {:<20} {:<10} NOTES\n",
            "REAL SERVER",
            "HEALTH",
            "WEIGHT",
            "CUR",
            "TABLE",
            "CHECK",
            "LAST RESULT",
            "LATENCY",
            "LATE",
            "LAST CHECK",
            "LAST CHANGE",
            "OVERRIDE",
        );
        assert_eq!(super::REAL_HEADER, formatted);
        assert_eq!(
            format!("  {:<20} {:>12}  RESULT\n", "TIME", "LATENCY"),
            "  TIME                      LATENCY  RESULT\n"
        );
    }
}
