//! What a finished probe reports: up, or down with the words users read in the log.

use std::fmt;
use std::time::Duration;

/// Why a probe judged its target down. `Display` is the log text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reason {
    ConnectionRefused,
    ConnectionReset,
    HostUnreachable,
    NetworkUnreachable,
    /// The deadline passed; milliseconds allowed.
    Timeout {
        ms: u64,
    },
    /// The peer closed before a complete reply.
    ClosedEarly,
    /// Status code outside the accepted set.
    HttpStatus(u16),
    /// A reply that is not valid for the protocol; the text says what was wrong.
    BadReply(&'static str),
    /// Body digest differs from `digest`.
    DigestMismatch,
    /// The reply exceeded its byte bound.
    ReplyTooLarge,
    /// UDP: ICMP port unreachable.
    PortUnreachable,
    /// DNS: answer with this rcode.
    DnsRcode(u8),
    /// SMTP: unexpected reply code.
    SmtpCode(u16),
    /// MISC_CHECK: exit status 1 (or other failing status).
    ScriptExit(i32),
    /// MISC_CHECK: killed by a signal (SIGKILL after its timeout too).
    ScriptSignal(i32),
    /// FILE_CHECK: the tracked file says down.
    FileDown,
    /// A local error before anything was sent (socket, bind, fork): errno.
    Local(i32),
    /// No probe slot was free; the check is counted as not run, not as failed.
    NoSlot,
    /// SSL_GET: the deadline passed with the TLS handshake unfinished.
    TlsTimeout {
        ms: u64,
    },
    /// SSL_GET: the server sent this alert (RFC 8446 6) during the handshake.
    TlsAlert(u8),
    /// SSL_GET: the handshake failed for the reason given.
    TlsHandshake(&'static str),
    /// SSL_GET: the server's certificate was refused (only with `SSL { ca }`).
    CertVerify(&'static str),
    /// SSL_GET: a TLS error after the handshake (a bad record, an alert).
    Tls(&'static str),
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let errno;
        let code = crate::director::stats::ReasonCode::of(&Err(*self)).code;
        let (mut pre, post) = WORDS[usize::from(code)];
        let value: &dyn fmt::Display = match self {
            Reason::Timeout { ms } | Reason::TlsTimeout { ms } => ms,
            Reason::HttpStatus(c) | Reason::SmtpCode(c) => c,
            Reason::DnsRcode(rc) => rc,
            Reason::ScriptExit(c) | Reason::ScriptSignal(c) => c,
            Reason::BadReply(what)
            | Reason::TlsHandshake(what)
            | Reason::CertVerify(what)
            | Reason::Tls(what) => &Colon(what),
            Reason::Local(e) => {
                errno = std::io::Error::from_raw_os_error(*e);
                pre = "local error: ";
                &errno
            }
            Reason::TlsAlert(a) => return alert_words(f, *a),
            _ => &"",
        };
        words(f, pre, value, post)
    }
}

/// `: text`, after the words of a reason that carries a text.
struct Colon<'a>(&'a str);

impl fmt::Display for Colon<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(": ")?;
        f.write_str(self.0)
    }
}

/// Each reason's words by its number (`ReasonCode`'s code), before and after its value,
/// shared by `Reason` and `ReasonCode`. A table, for code size: a match arm of three
/// words per reason cost about 0.5 KB on mipsel in each. The TLS alert (20) has its own
/// words (`alert_words`).
pub(crate) static WORDS: [(&str, &str); 24] = [
    ("ok", ""),
    ("connection refused", ""),
    ("connection reset", ""),
    ("host unreachable", ""),
    ("network unreachable", ""),
    ("timeout after ", " ms"),
    ("connection closed before a complete reply", ""),
    ("HTTP ", ""),
    ("bad reply", ""),
    ("digest mismatch", ""),
    ("reply too large", ""),
    ("port unreachable", ""),
    ("DNS rcode ", ""),
    ("SMTP ", ""),
    ("script exited with ", ""),
    ("script killed by signal ", ""),
    ("tracked file reports down", ""),
    ("local error: errno ", ""),
    ("no free probe slot", ""),
    ("timeout after ", " ms in TLS handshake"),
    ("", ""),
    ("TLS handshake failed", ""),
    ("certificate verify failed", ""),
    ("TLS error", ""),
];

/// The words of TLS alert `code` from the server, by its name when it has one.
pub(crate) fn alert_words(f: &mut fmt::Formatter<'_>, code: u8) -> fmt::Result {
    match alert_name(code) {
        Some(name) => words(f, "TLS handshake failed: ", &name, " alert from the server"),
        None => words(f, "TLS handshake failed: alert ", &code, " from the server"),
    }
}

/// Every reason's words have one shape, text, value, text: one `write!` for all of
/// them, for code size (one per variant cost about 1 KB on mipsel, here and in
/// `ReasonCode`'s words).
pub(crate) fn words(
    f: &mut fmt::Formatter<'_>,
    pre: &str,
    value: &dyn fmt::Display,
    post: &str,
) -> fmt::Result {
    write!(f, "{}{}{}", pre, value, post)
}

/// The registry name of a TLS alert (RFC 8446 6, RFC 5246 7.2, RFC 6066), as OpenSSL and
/// server logs print it.
pub fn alert_name(code: u8) -> Option<&'static str> {
    ALERTS.iter().find(|a| a.0 == code).map(|a| a.1)
}

/// `alert_name`'s table: a search, for code size (a `match` was about 0.3 KB more on
/// mipsel).
static ALERTS: [(u8, &str); 28] = [
    (0, "close_notify"),
    (10, "unexpected_message"),
    (20, "bad_record_mac"),
    (22, "record_overflow"),
    (40, "handshake_failure"),
    (42, "bad_certificate"),
    (43, "unsupported_certificate"),
    (44, "certificate_revoked"),
    (45, "certificate_expired"),
    (46, "certificate_unknown"),
    (47, "illegal_parameter"),
    (48, "unknown_ca"),
    (49, "access_denied"),
    (50, "decode_error"),
    (51, "decrypt_error"),
    (70, "protocol_version"),
    (71, "insufficient_security"),
    (80, "internal_error"),
    (86, "inappropriate_fallback"),
    (90, "user_canceled"),
    (100, "no_renegotiation"),
    (109, "missing_extension"),
    (110, "unsupported_extension"),
    (112, "unrecognized_name"),
    (113, "bad_certificate_status_response"),
    (115, "unknown_psk_identity"),
    (116, "certificate_required"),
    (120, "no_application_protocol"),
];

/// The result of one probe attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Outcome {
    pub result: Result<Up, Reason>,
    /// From start to verdict.
    pub latency: Duration,
}

/// A successful probe; `weight` is set by checks that choose a weight
/// (MISC_CHECK with misc_dynamic, FILE_CHECK), `agent` by an agent_check.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Up {
    pub weight: Option<i32>,
    pub agent: Option<AgentReply>,
}

/// An agent's administrative word (HAProxy's agent protocol).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Admin {
    /// Lifts drain and maint.
    Ready,
    /// Weight 0: established connections go on, no new ones.
    Drain,
    /// Out of the table.
    Maint,
}

/// What one agent reply says; a part it does not mention is left as it was.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AgentReply {
    /// Percent of the configured weight, 0 to 100.
    pub percent: Option<u8>,
    pub admin: Option<Admin>,
    /// `up` (true) or `down`/`fail`/`stopped` (false).
    pub up: Option<bool>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_read_as_users_expect() {
        assert_eq!(Reason::ConnectionRefused.to_string(), "connection refused");
        assert_eq!(Reason::HttpStatus(503).to_string(), "HTTP 503");
        assert_eq!(
            Reason::Timeout { ms: 1000 }.to_string(),
            "timeout after 1000 ms"
        );
        assert_eq!(
            Reason::TlsTimeout { ms: 3000 }.to_string(),
            "timeout after 3000 ms in TLS handshake"
        );
        assert_eq!(
            Reason::TlsAlert(40).to_string(),
            "TLS handshake failed: handshake_failure alert from the server"
        );
        assert_eq!(
            Reason::TlsAlert(200).to_string(),
            "TLS handshake failed: alert 200 from the server"
        );
        assert_eq!(
            Reason::CertVerify("certificate expired").to_string(),
            "certificate verify failed: certificate expired"
        );
    }
}
