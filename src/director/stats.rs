//! What each real server's checks did, kept for people and Prometheus: counts of ok and
//! failed checks, health transitions, a latency histogram with fixed buckets, and a
//! fixed-size ring of the most recent checks (time, result, latency, reason). Pure and
//! fixed-size: recording a check writes into arrays that exist since the real server was
//! configured, so it allocates nothing (tests/steady_state_alloc.rs).
//!
//! Cost per real server: about 900 bytes (the ring is `HISTORY_LEN` entries of 12 bytes),
//! 3.6 MiB at 4096 real servers.

use std::fmt;
use std::time::{Duration, Instant};

use crate::model::limits::HISTORY_LEN;
use crate::probe::outcome::{Outcome, Reason};

/// Upper bounds of the latency histogram's buckets, in microseconds (Prometheus's
/// default buckets from 1 ms to 10 s: a check is a network round trip or a script).
pub const LATENCY_BUCKETS_US: [u64; 13] = [
    1_000, 2_500, 5_000, 10_000, 25_000, 50_000, 100_000, 250_000, 500_000, 1_000_000, 2_500_000,
    5_000_000, 10_000_000,
];

/// The bucket bounds as the `le` label prints them (`prom::Seconds` of each bound; a
/// test checks they agree).
pub const LATENCY_BUCKET_LE: [&str; 13] = [
    "0.001", "0.0025", "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5",
    "10",
];

/// A check's reason in two small numbers: which kind (`code`, 0 = ok) and the number
/// the reason carries (HTTP status, timeout in ms, errno...; 0 when it carries none).
/// `BadReply`'s text is not kept: the ring says "bad reply" (and the TLS reasons' texts:
/// "TLS handshake failed", "certificate verify failed"; the log has the whole words).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReasonCode {
    pub code: u8,
    pub detail: u16,
}

impl ReasonCode {
    pub const OK: ReasonCode = ReasonCode { code: 0, detail: 0 };

    pub fn of(result: &Result<crate::probe::outcome::Up, Reason>) -> ReasonCode {
        let clamp = |v: i64| v.clamp(0, i64::from(u16::MAX)) as u16;
        let (code, detail) = match result {
            Ok(_) => (0, 0),
            Err(r) => match *r {
                Reason::ConnectionRefused => (1, 0),
                Reason::ConnectionReset => (2, 0),
                Reason::HostUnreachable => (3, 0),
                Reason::NetworkUnreachable => (4, 0),
                Reason::Timeout { ms } => (5, u16::try_from(ms).unwrap_or(u16::MAX)),
                Reason::ClosedEarly => (6, 0),
                Reason::HttpStatus(s) => (7, s),
                Reason::BadReply(_) => (8, 0),
                Reason::DigestMismatch => (9, 0),
                Reason::ReplyTooLarge => (10, 0),
                Reason::PortUnreachable => (11, 0),
                Reason::DnsRcode(rc) => (12, u16::from(rc)),
                Reason::SmtpCode(c) => (13, c),
                Reason::ScriptExit(c) => (14, clamp(i64::from(c))),
                Reason::ScriptSignal(s) => (15, clamp(i64::from(s))),
                Reason::FileDown => (16, 0),
                Reason::Local(e) => (17, clamp(i64::from(e))),
                Reason::NoSlot => (18, 0),
                Reason::TlsTimeout { ms } => (19, u16::try_from(ms).unwrap_or(u16::MAX)),
                Reason::TlsAlert(a) => (20, u16::from(a)),
                Reason::TlsHandshake(_) => (21, 0),
                Reason::CertVerify(_) => (22, 0),
                Reason::Tls(_) => (23, 0),
            },
        };
        ReasonCode { code, detail }
    }

    pub fn is_ok(self) -> bool {
        self.code == 0
    }
}

/// The words of the log (`connection refused`, `HTTP 503`, `timeout after 1000 ms`).
impl fmt::Display for ReasonCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use crate::probe::outcome::{alert_words, words, WORDS};
        let code = self.code;
        let Some(&(pre, post)) = WORDS.get(usize::from(code)) else {
            return f.write_str("unknown");
        };
        if code == 20 {
            return alert_words(f, self.detail as u8);
        }
        // The reasons that carry a number: timeouts, HTTP, DNS and SMTP codes, script
        // exits and signals, errno.
        let value: &dyn fmt::Display = if matches!(code, 5 | 7 | 12..=15 | 17 | 19) {
            &self.detail
        } else {
            &""
        };
        words(f, pre, value, post)
    }
}

/// One check in the ring.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Entry {
    /// Tenths of a second since the director's epoch (13 years before it wraps).
    pub at_ds: u32,
    /// Microseconds, saturating at about 71 minutes.
    pub latency_us: u32,
    pub reason: ReasonCode,
}

impl Entry {
    pub fn at(&self, epoch: Instant) -> Instant {
        epoch + Duration::from_millis(u64::from(self.at_ds) * 100)
    }
}

/// The last `HISTORY_LEN` checks, oldest overwritten first.
#[derive(Clone, Debug)]
pub struct History {
    entries: [Entry; HISTORY_LEN],
    /// Index of the next write.
    head: u16,
    len: u16,
}

impl Default for History {
    fn default() -> History {
        History {
            entries: [Entry::default(); HISTORY_LEN],
            head: 0,
            len: 0,
        }
    }
}

impl History {
    pub fn push(&mut self, e: Entry) {
        self.entries[self.head as usize] = e;
        self.head = ((self.head as usize + 1) % HISTORY_LEN) as u16;
        self.len = (self.len + 1).min(HISTORY_LEN as u16);
    }

    pub fn len(&self) -> usize {
        self.len as usize
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Oldest first.
    pub fn iter(&self) -> impl Iterator<Item = &Entry> {
        let start = (self.head as usize + HISTORY_LEN - self.len as usize) % HISTORY_LEN;
        (0..self.len as usize).map(move |i| &self.entries[(start + i) % HISTORY_LEN])
    }
}

/// Counters and the ring of one real server.
#[derive(Clone, Debug, Default)]
pub struct RealStats {
    pub ok: u64,
    pub fail: u64,
    pub transitions: u64,
    /// Non-cumulative: `buckets[i]` counts latencies in (bound[i-1], bound[i]]; what is
    /// above the last bound is `ok + fail - sum(buckets)`.
    pub buckets: [u64; LATENCY_BUCKETS_US.len()],
    pub latency_sum_us: u64,
    pub history: History,
}

impl RealStats {
    /// Counts one finished check.
    pub fn record(&mut self, outcome: &Outcome, epoch: Instant, now: Instant) {
        let reason = ReasonCode::of(&outcome.result);
        if reason.is_ok() {
            self.ok += 1;
        } else {
            self.fail += 1;
        }
        let us = crate::model::duration::micros(outcome.latency);
        if let Some(i) = LATENCY_BUCKETS_US.iter().position(|&b| us <= b) {
            self.buckets[i] += 1;
        }
        self.latency_sum_us = self.latency_sum_us.saturating_add(us);
        let ds = crate::model::duration::millis(now.saturating_duration_since(epoch)) / 100;
        self.history.push(Entry {
            at_ds: u32::try_from(ds).unwrap_or(u32::MAX),
            latency_us: u32::try_from(us).unwrap_or(u32::MAX),
            reason,
        });
    }

    pub fn count(&self) -> u64 {
        self.ok + self.fail
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probe::outcome::Up;

    fn outcome(ok: bool, ms: u64) -> Outcome {
        Outcome {
            result: if ok {
                Ok(Up::default())
            } else {
                Err(Reason::HttpStatus(503))
            },
            latency: Duration::from_millis(ms),
        }
    }

    #[test]
    fn the_ring_keeps_the_last_checks_oldest_first() {
        let epoch = Instant::now();
        let mut s = RealStats::default();
        for i in 0..(HISTORY_LEN as u64 + 5) {
            s.record(
                &outcome(i % 2 == 0, i),
                epoch,
                epoch + Duration::from_secs(i),
            );
        }
        assert_eq!(s.history.len(), HISTORY_LEN);
        let first = s.history.iter().next().unwrap();
        assert_eq!(first.at_ds, 50);
        assert_eq!(first.latency_us, 5_000);
        assert_eq!(first.reason.to_string(), "HTTP 503");
        let last = s.history.iter().last().unwrap();
        assert_eq!(last.at_ds as usize, (HISTORY_LEN + 4) * 10);
        assert!(last.reason.is_ok());
        assert_eq!(s.count(), HISTORY_LEN as u64 + 5);
        assert_eq!(s.ok, 35);
    }

    #[test]
    fn latencies_land_in_their_bucket() {
        let epoch = Instant::now();
        let mut s = RealStats::default();
        s.record(&outcome(true, 1), epoch, epoch); // exactly 1 ms: first bucket
        s.record(&outcome(true, 3), epoch, epoch); // (2.5, 5] ms
        s.record(&outcome(false, 20_000), epoch, epoch); // above 10 s: no bucket
        assert_eq!(s.buckets[0], 1);
        assert_eq!(s.buckets[2], 1);
        assert_eq!(s.buckets.iter().sum::<u64>(), 2);
        assert_eq!(s.latency_sum_us, 20_004_000);
    }

    #[test]
    fn bucket_labels_are_the_bounds() {
        for (us, le) in LATENCY_BUCKETS_US.iter().zip(LATENCY_BUCKET_LE) {
            assert_eq!(crate::prom::Seconds(*us).to_string(), le);
        }
    }

    #[test]
    fn reason_codes_print_the_log_words() {
        for (r, text) in [
            (Reason::ConnectionRefused, "connection refused"),
            (Reason::Timeout { ms: 1000 }, "timeout after 1000 ms"),
            (Reason::HttpStatus(503), "HTTP 503"),
            (Reason::DnsRcode(3), "DNS rcode 3"),
            (Reason::ScriptExit(1), "script exited with 1"),
            (
                Reason::TlsTimeout { ms: 3000 },
                "timeout after 3000 ms in TLS handshake",
            ),
            (
                Reason::TlsAlert(40),
                "TLS handshake failed: handshake_failure alert from the server",
            ),
        ] {
            assert_eq!(ReasonCode::of(&Err(r)).to_string(), text);
            assert_eq!(r.to_string(), text);
        }
        // The ring keeps the kind of a TLS failure, the log its words.
        let r = Reason::CertVerify("certificate expired");
        assert_eq!(
            ReasonCode::of(&Err(r)).to_string(),
            "certificate verify failed"
        );
    }
}
