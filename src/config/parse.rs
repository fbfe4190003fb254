//! Grammar: statement tree -> raw (unresolved) config, keyword by keyword as keepalived
//! 2.x reads them (keepalived.conf(5); check_parser.c / check_api.c read for behaviour).
//! Values are checked here, with the position of the offending word; inheritance and
//! defaults are left to `resolve`.
//! One file (about 2 800 lines) on purpose: one function per keepalived block, all on
//! the one `Parser` state and its value helpers; the keyword list is in parse/kw.rs.

use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;
use std::time::Duration;

use crate::config::error::{fmt_pos, perr, PResult, Perr};
use crate::config::lex::Token;
use crate::config::tree::{Block, Stmt};
use crate::ipvs::rule::{svc_flags, Family, Forward, Protocol, SchedName, TunnelSpec, TunnelType};
use crate::model::config::{
    AnnounceRule, DnsCheck, FlushOnStop, HttpProtocol, IfName, LvsTimeouts, NotifyFifo, OnStop,
    Pos, Script, SmtpCheck, SockOpts, StatusCodes, SyncDaemon, UdpCheck, Url, UrlRegex,
    VipAnnounce, UDP_DEFAULT_MAX_REPLY,
};
use crate::model::limits::{MAX_CHECKS_PER_REAL, MAX_STATUS_RANGES, MAX_URLS};

mod kw;
use kw::Kw;

/// Settings a virtual server passes to its real servers and they to their checkers.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Timers {
    pub connect_timeout: Option<Duration>,
    pub retry: Option<u32>,
    pub delay_before_retry: Option<Duration>,
    /// lvsmon extension: consecutive successes a down checker needs to come back.
    pub rise: Option<u32>,
    pub warmup: Option<Duration>,
    pub delay_loop: Option<Duration>,
    pub alpha: Option<bool>,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FwdSpec {
    pub forward: Forward,
    pub tunnel: TunnelSpec,
}

#[derive(Clone, Debug, PartialEq)]
pub enum RawTarget {
    Addr(IpAddr, u16),
    Fwmark(u32),
    Group(String),
}

#[derive(Clone, Debug, PartialEq)]
pub struct RawSorry {
    pub pos: Pos,
    pub ip: IpAddr,
    pub port: u16,
}

#[derive(Clone, Debug, PartialEq)]
pub struct RawVs {
    pub pos: Pos,
    pub target: RawTarget,
    pub protocol: Option<Protocol>,
    pub sched: Option<SchedName>,
    pub flags: u32,
    pub ops: bool,
    pub fwd: Option<FwdSpec>,
    pub persistence_timeout: Option<u32>,
    pub granularity: Option<(String, Pos)>,
    pub pe: Option<String>,
    pub virtualhost: Option<String>,
    pub alpha: bool,
    pub omega: bool,
    pub inhibit: bool,
    pub quorum: u32,
    pub hysteresis: u32,
    pub quorum_up: Option<Script>,
    pub quorum_down: Option<Script>,
    pub ip_family: Option<Family>,
    /// Undocumented keepalived keyword: the default weight of the real servers.
    pub weight: i32,
    pub sorry: Option<RawSorry>,
    pub sorry_inhibit: bool,
    pub sorry_fwd: Option<FwdSpec>,
    pub timers: Timers,
    /// lvsmon extension: `delay_loop_jitter PERCENT` (0 = none).
    pub jitter_percent: u32,
    /// lvsmon extension: `slow_start SECONDS` and where it was written.
    pub slow_start: Option<(u32, Pos)>,
    pub reals: Vec<RawRs>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct RawRs {
    pub pos: Pos,
    pub ip: IpAddr,
    /// 0 = not given.
    pub port: u16,
    pub weight: Option<i32>,
    pub fwd: Option<FwdSpec>,
    pub inhibit: Option<bool>,
    pub uthreshold: u32,
    pub lthreshold: u32,
    pub notify_up: Option<Script>,
    pub notify_down: Option<Script>,
    pub virtualhost: Option<String>,
    pub timers: Timers,
    /// lvsmon extension: `slow_start SECONDS` and where it was written.
    pub slow_start: Option<(u32, Pos)>,
    /// lvsmon extension: `agent_check { ... }`.
    pub agent: Option<RawAgent>,
    pub checks: Vec<RawCheck>,
}

/// `agent_check { port N [address A] [interval T] [timeout T] }` (HAProxy's agent).
#[derive(Clone, Debug, PartialEq)]
pub struct RawAgent {
    pub pos: Pos,
    pub port: u16,
    /// Default: the real server's address.
    pub address: Option<IpAddr>,
    /// Default: the real server's delay_loop.
    pub interval: Option<Duration>,
    /// Default: the real server's connect_timeout.
    pub timeout: Option<Duration>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct RawCheck {
    pub pos: Pos,
    pub kind: RawKind,
    pub connect_ip: Option<IpAddr>,
    pub connect_port: Option<u16>,
    pub bindto: Option<IpAddr>,
    /// Where `bindto` was given: keepalived names that line for a family mismatch.
    pub bindto_pos: Option<Pos>,
    pub bind_port: Option<u16>,
    pub sock: SockOpts,
    pub timers: Timers,
}

#[derive(Clone, Debug, PartialEq)]
pub enum RawKind {
    Tcp,
    Http {
        /// SSL_GET's settings; None for HTTP_GET.
        tls: Option<RawTls>,
        urls: Vec<Url>,
        virtualhost: Option<String>,
        protocol: HttpProtocol,
        fast_recovery: bool,
    },
    Udp(UdpCheck),
    Dns(DnsCheck),
    Smtp(SmtpCheck),
    Misc {
        script: Script,
        timeout: Option<Duration>,
        dynamic: bool,
    },
    Ping,
    File {
        name: String,
        /// The `track_file` line (keepalived names it when the name is undefined).
        name_pos: Pos,
        weight: Option<(i32, bool)>,
    },
}

/// SSL_GET's own keywords, as given.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RawTls {
    pub enable_sni: bool,
    pub sni_name: Option<String>,
    pub compliant: bool,
    /// Bit i: url i has `tls_compliant`.
    pub compliant_urls: u8,
    /// `verify off` (an lvsmon keyword): keepalived's no-verification even with a `ca`.
    pub verify: bool,
}

/// The top-level `SSL` block: each file with the position of its keyword.
#[derive(Clone, Debug, PartialEq)]
pub struct RawSsl {
    pub pos: Pos,
    pub ca: Option<(PathBuf, Pos)>,
    pub certificate: Option<(PathBuf, Pos)>,
    pub key: Option<(PathBuf, Pos)>,
    pub password: Option<(String, Pos)>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct TrackFile {
    pub pos: Pos,
    pub path: PathBuf,
    pub weight: i32,
    pub reverse: bool,
    /// `init_file [VALUE] [overwrite]`.
    pub init: Option<(i32, bool)>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum VsgEntry {
    Range {
        pos: Pos,
        start: IpAddr,
        end: IpAddr,
        port: u16,
    },
    Fwmark {
        pos: Pos,
        mark: u32,
        family: Option<Family>,
    },
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct RawConfig {
    pub vss: Vec<RawVs>,
    pub groups: Named<(Pos, Vec<VsgEntry>)>,
    pub track_files: Named<TrackFile>,
    pub sync_daemon: Option<SyncDaemon>,
    pub lvs_timeouts: Option<LvsTimeouts>,
    pub vip_announce: Option<VipAnnounce>,
    /// The top-level `SSL` block (builds with the "tls" feature).
    pub ssl: Option<RawSsl>,
    pub lvs_flush: bool,
    pub lvs_flush_on_stop: FlushOnStop,
    pub net_namespace_ipvs: Option<String>,
    pub lvs_notify_fifo: Option<NotifyFifo>,
    /// `script_user USER [GROUP]` and `enable_script_security` (global_defs).
    pub script_user: Option<(String, Option<String>, Pos)>,
    pub script_security: bool,
    pub warnings: Vec<String>,
    /// What keepalived only logs (no complaint, `keepalived -t` exits 0): `lvsmon check`
    /// prints these as notes, and `--strict` does not count them.
    pub notes: Vec<String>,
}

/// Definitions by name (track_file, virtual_server_group), in file order. A list, for
/// code size: a hash map per value type cost ~2 KB on MIPS (insert, rehash, lookup), for
/// the few names a config defines, read once per load.
#[derive(Clone, Debug, PartialEq)]
pub struct Named<V>(Vec<(String, V)>);

impl<V> Default for Named<V> {
    fn default() -> Self {
        Named(Vec::new())
    }
}

impl<V> Named<V> {
    pub fn get(&self, name: &str) -> Option<&V> {
        self.0.iter().find(|(n, _)| n == name).map(|(_, v)| v)
    }

    pub fn values(&self) -> impl Iterator<Item = &V> {
        self.0.iter().map(|(_, v)| v)
    }

    /// Adds `name`, or replaces its value (as a map's insert).
    fn insert(&mut self, name: String, v: V) {
        match self.0.iter_mut().find(|(n, _)| *n == name) {
            Some(e) => e.1 = v,
            None => self.0.push((name, v)),
        }
    }
}

/// Schedulers keepalived accepts for `lvs_sched` / `lb_algo` (keepalived.conf(5)).
pub const SCHEDULERS: [&str; 14] = [
    "rr", "wrr", "lc", "wlc", "lblc", "sh", "mh", "dh", "fo", "ovf", "lblcr", "sed", "nq", "twos",
];

/// IPVS_WEIGHT_MAX-style bound keepalived applies to `weight` (0..=65535).
const MAX_WEIGHT: i32 = 65535;
/// Largest timer we accept, in seconds (keepalived's TIMER_MAXIMUM is about this size).
const MAX_TIMER_SECS: u64 = u32::MAX as u64;

struct Ignored {
    first: String,
    reason: &'static str,
    count: usize,
}

struct Parser<'a> {
    files: &'a [PathBuf],
    out: RawConfig,
    ignored: Vec<(&'static str, Ignored)>,
}

pub fn parse(files: &[PathBuf], stmts: Block) -> PResult<RawConfig> {
    let mut p = Parser {
        files,
        out: RawConfig::default(),
        ignored: Vec::new(),
    };
    stmts.each(&mut |s| p.top(s))?;
    for (kw, ig) in p.ignored.drain(..) {
        let times = if ig.count > 1 {
            format!(" ({} times)", ig.count)
        } else {
            String::new()
        };
        p.out.warnings.push(format!(
            "{}: '{}' ignored{}: {}",
            ig.first, kw, times, ig.reason
        ));
    }
    Ok(p.out)
}

// ---------- small value readers ----------

fn fmt_args(s: &Stmt) -> String {
    let mut out = s.kw.text.to_string();
    for a in s.args {
        out.push(' ');
        out.push_str(a.text);
    }
    out
}

fn no_block(s: &Stmt) -> PResult<()> {
    if s.block.is_some() {
        return perr(
            s.kw.pos,
            format!("'{}' does not take a {{ }} block", s.kw.text),
        );
    }
    Ok(())
}

fn need_block<'s>(s: &Stmt<'s>) -> PResult<Block<'s>> {
    match s.block {
        Some(b) => Ok(b),
        None => perr(s.kw.pos, format!("'{}' needs a {{ }} block", s.kw.text)),
    }
}

/// Checks the argument count; `usage` says what is expected.
fn nargs(s: &Stmt, min: usize, max: usize, usage: &str) -> PResult<()> {
    if s.args.len() < min {
        return perr(s.kw.pos, format!("'{}' needs {}", s.kw.text, usage));
    }
    if s.args.len() > max {
        let extra = &s.args[max];
        return perr(
            extra.pos,
            format!(
                "unexpected '{}' after '{}' (expected {})",
                extra.text, s.kw.text, usage
            ),
        );
    }
    Ok(())
}

/// A flag keyword with no value, inside a block.
fn flag(s: &Stmt) -> PResult<()> {
    no_block(s)?;
    nargs(s, 0, 0, "no value")
}

fn arg1<'s>(s: &'s Stmt<'s>, usage: &str) -> PResult<&'s Token<'s>> {
    no_block(s)?;
    nargs(s, 1, 1, usage)?;
    Ok(&s.args[0])
}

fn bad<T>(t: &Token, kw: &str, usage: &str) -> PResult<T> {
    Err(bad_value(t, kw, usage))
}

// The message built once, not in each of `bad`'s instances (one per result type).
#[inline(never)]
fn bad_value(t: &Token, kw: &str, usage: &str) -> Perr {
    Perr::new(t.pos, format!("'{}' needs {}, got '{}'", kw, usage, t.text))
}

/// "unknown keyword 'KW' in BLOCK" (or "at top level"), at the keyword: the message
/// built in one place, not at each block's call site (for code size).
#[inline(never)]
fn unknown(kw: &Token, place: &str) -> Perr {
    Perr::new(kw.pos, format!("unknown keyword '{}' {}", kw.text, place))
}

fn parse_u64(text: &str) -> Option<u64> {
    if text.is_empty() || text.len() > 20 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// The statement's one argument as a u32 of at least `min`; `usage` words the error.
fn u32_arg(s: &Stmt, kw: &str, usage: &str, min: u32) -> PResult<u32> {
    uint(arg1(s, usage)?, kw, usage, min, u32::MAX)
}

/// A number in `min..=max`. 32-bit bounds and result (as `int`'s), for code size: on
/// MIPS a 64-bit one takes stack slots to pass and memory to return, at each call.
fn uint(t: &Token, kw: &str, usage: &str, min: u32, max: u32) -> PResult<u32> {
    match parse_u64(t.text) {
        Some(v) if v >= u64::from(min) && v <= u64::from(max) => Ok(v as u32),
        _ => bad(t, kw, usage),
    }
}

fn int(t: &Token, kw: &str, usage: &str, min: i32, max: i32) -> PResult<i32> {
    let (neg, digits) = match t.text.strip_prefix('-') {
        Some(d) => (true, d),
        None => (false, t.text.strip_prefix('+').unwrap_or(t.text)),
    };
    let Some(v) = parse_u64(digits).and_then(|v| i64::try_from(v).ok()) else {
        return bad(t, kw, usage);
    };
    let v = if neg { -v } else { v };
    if v < i64::from(min) || v > i64::from(max) {
        return bad(t, kw, usage);
    }
    Ok(v as i32)
}

/// keepalived TIMER: seconds, fractional allowed, microsecond resolution.
pub fn parse_timer(text: &str) -> Option<Duration> {
    let (whole, frac) = match text.split_once('.') {
        Some((w, f)) => (w, f),
        None => (text, ""),
    };
    if whole.is_empty() && frac.is_empty() {
        return None;
    }
    let secs = if whole.is_empty() {
        0
    } else {
        parse_u64(whole)?
    };
    if secs > MAX_TIMER_SECS || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut micros: u32 = 0;
    for (i, b) in frac.bytes().enumerate() {
        if i >= 6 {
            break;
        }
        micros += u32::from(b - b'0') * 10u32.pow(5 - i as u32);
    }
    Some(Duration::new(secs, micros * 1000))
}

/// A timer keyword's one argument, stored into `out`: in one place rather than at each
/// keyword, for code size (a `Duration` result moved through each caller: ~600 bytes on
/// MIPS over the timer keywords).
#[inline(never)]
fn timer(s: &Stmt, kw: &str, allow_zero: bool, out: &mut Option<Duration>) -> PResult<()> {
    let t = arg1(s, "a number of seconds")?;
    match parse_timer(t.text) {
        Some(d) if allow_zero || !d.is_zero() => {
            *out = Some(d);
            Ok(())
        }
        _ => bad(
            t,
            kw,
            if allow_zero {
                "a number of seconds"
            } else {
                "a number of seconds greater than 0"
            },
        ),
    }
}

/// keepalived's check_true_false: no value is true; `on|true|yes` and `off|false|no`.
/// Any other value is an error to keepalived that it reports and then ignores the line
/// for; `Err(t)` hands that word back so the caller can do the same (warn, ignore).
fn boolean<'s>(s: &'s Stmt<'s>) -> PResult<Result<bool, &'s Token<'s>>> {
    no_block(s)?;
    nargs(s, 0, 1, "no value or one of on|off|true|false|yes|no")?;
    Ok(match s.args.first() {
        None => Ok(true),
        Some(t) => match Kw::of(t.text) {
            Kw::On | Kw::True | Kw::Yes => Ok(true),
            Kw::Off | Kw::False | Kw::No => Ok(false),
            _ => Err(t),
        },
    })
}

/// `boolean` where a bad value is an error (keywords keepalived does not have, and the
/// url block, which reports no warnings).
fn strict_bool(s: &Stmt) -> PResult<bool> {
    match boolean(s)? {
        Ok(v) => Ok(v),
        Err(t) => bad(t, s.kw.text, "one of on|off|true|false|yes|no"),
    }
}

fn ip(t: &Token, kw: &str) -> PResult<IpAddr> {
    let text = t
        .text
        .strip_prefix('[')
        .and_then(|x| x.strip_suffix(']'))
        .unwrap_or(t.text);
    match text.parse::<IpAddr>() {
        Ok(a) => Ok(a),
        Err(_) => perr(
            t.pos,
            format!("'{}' needs an IPv4 or IPv6 address, got '{}'", kw, t.text),
        ),
    }
}

/// `ip` stored straight into `out`, for code size: an `IpAddr` (17 bytes, byte-aligned)
/// is copied byte by byte on MIPS at each move, ~130 bytes per call site.
#[inline(never)]
fn set_ip(t: &Token, kw: &str, out: &mut Option<IpAddr>) -> PResult<()> {
    *out = Some(ip(t, kw)?);
    Ok(())
}

/// A port that may be `0`/absent (meaning "none").
fn opt_port(t: Option<&Token>, kw: &str) -> PResult<u16> {
    match t {
        None => Ok(0),
        Some(t) => Ok(uint(t, kw, "a port number (0-65535)", 0, 65535)? as u16),
    }
}

fn port1(t: &Token, kw: &str) -> PResult<u16> {
    Ok(uint(t, kw, "a port number (1-65535)", 1, 65535)? as u16)
}

/// `string1` stored into `out`, for code size: in one place rather than at each keyword
/// (the result moved and the old value dropped at each).
#[inline(never)]
fn set_string(s: &Stmt, usage: &str, out: &mut Option<String>) -> PResult<()> {
    *out = Some(string1(s, usage)?);
    Ok(())
}

fn string1(s: &Stmt, usage: &str) -> PResult<String> {
    Ok(arg1(s, usage)?.text.to_string())
}

/// Splits a string the way keepalived splits script command lines
/// (alloc_strvec_quoted_escaped): whitespace separates words; `"` and `'` quote, and
/// the quotes are removed; `\` escapes as in the shell, with \a \b \E \f \n \r \t \v,
/// \nnn (octal), \xXX (hex) and \cC (control).
pub fn split_quoted_escaped(src: &str) -> Result<Vec<String>, String> {
    let chars: Vec<char> = src.chars().collect();
    let mut words = Vec::new();
    let mut i = 0;
    let n = chars.len();
    while i < n {
        while i < n && chars[i].is_whitespace() {
            i += 1;
        }
        if i >= n {
            break;
        }
        let mut word = String::new();
        let mut quote: Option<char> = None;
        while i < n {
            let c = chars[i];
            if c == '\\' {
                i += 1;
                let Some(&e) = chars.get(i) else {
                    return Err(format!("'{}' ends with an escape character", src));
                };
                if e == 'x' && chars.get(i + 1).is_some_and(|c| c.is_ascii_hexdigit()) {
                    i += 1;
                    let mut v: u32 = 0;
                    while i < n && chars[i].is_ascii_hexdigit() {
                        v = ((v << 4) | chars[i].to_digit(16).unwrap_or(0)) & 0xff;
                        i += 1;
                    }
                    word.push(char::from(v as u8));
                } else if e == 'c' && i + 1 < n {
                    word.push(char::from((chars[i + 1] as u32 & 0x1f) as u8));
                    i += 2;
                } else if ('0'..='7').contains(&e) {
                    let mut v: u32 = 0;
                    let mut k = 0;
                    while k < 3 && i < n && ('0'..='7').contains(&chars[i]) {
                        v = v * 8 + chars[i].to_digit(8).unwrap_or(0);
                        i += 1;
                        k += 1;
                    }
                    word.push(char::from((v & 0xff) as u8));
                } else {
                    word.push(match e {
                        'a' => '\x07',
                        'b' => '\x08',
                        'E' => '\x1b',
                        'f' => '\x0c',
                        'n' => '\n',
                        'r' => '\r',
                        't' => '\t',
                        'v' => '\x0b',
                        other => other,
                    });
                    i += 1;
                }
                continue;
            }
            match quote {
                Some(q) if c == q => {
                    quote = None;
                    i += 1;
                }
                Some(_) => {
                    word.push(c);
                    i += 1;
                }
                None if c == '"' || c == '\'' => {
                    quote = Some(c);
                    i += 1;
                }
                None if c.is_whitespace() => break,
                None => {
                    word.push(c);
                    i += 1;
                }
            }
        }
        if let Some(q) = quote {
            return Err(format!("unterminated {} quote in '{}'", q, src));
        }
        words.push(word);
    }
    Ok(words)
}

fn raw_rest(s: &Stmt) -> String {
    let mut out = String::new();
    for (i, a) in s.args.iter().enumerate() {
        if i > 0 {
            out.push_str(if a.gap.is_empty() && a.line_start {
                " "
            } else {
                a.gap
            });
        }
        out.push_str(a.raw);
    }
    out
}

/// `split_quoted_escaped(src)` for a statement's arguments, an error reported at the
/// first one. Out of line, for code size (its error message is built in one place).
#[inline(never)]
fn split_args(s: &Stmt, src: &str) -> PResult<Vec<String>> {
    split_quoted_escaped(src)
        .map_err(|m| Perr::new(s.args[0].pos, format!("'{}': {}", s.kw.text, m)))
}

/// A script's argv: its command line (the first of `words`) split again, not empty.
fn command_argv(s: &Stmt, words: &[String], usage: &str) -> PResult<Vec<String>> {
    let argv = split_args(s, words.first().map(String::as_str).unwrap_or(""))?;
    if argv.is_empty() || argv[0].is_empty() {
        return perr(s.args[0].pos, format!("'{}' needs {}", s.kw.text, usage));
    }
    Ok(argv)
}

/// `script(s, true)` stored into `out` (for code size, as `set_string`).
#[inline(never)]
fn set_script(s: &Stmt, out: &mut Option<Script>) -> PResult<()> {
    *out = Some(script(s, true)?);
    Ok(())
}

/// `KEYWORD <STRING>|<QUOTED-STRING> [username [groupname]]` (notify/quorum scripts).
fn script(s: &Stmt, allow_user: bool) -> PResult<Script> {
    no_block(s)?;
    let usage = if allow_user {
        "a script path (quote it with its arguments) and optionally a user and group"
    } else {
        "a script path (quote it together with its arguments)"
    };
    if s.args.is_empty() {
        return perr(s.kw.pos, format!("'{}' needs {}", s.kw.text, usage));
    }
    let words = split_args(s, &raw_rest(s))?;
    let max = if allow_user { 3 } else { 1 };
    if words.len() > max {
        let at = s.args.get(max).map(|t| t.pos).unwrap_or(s.args[0].pos);
        return perr(
            at,
            format!(
                "unexpected '{}' after '{}' (expected {})",
                words[max], s.kw.text, usage
            ),
        );
    }
    let argv = command_argv(s, &words, usage)?;
    Ok(Script {
        argv,
        user: words.get(1).cloned(),
        group: words.get(2).cloned(),
    })
}

/// `lvs_method NAT|DR|TUN [type ipip|gue port N|gre] [nocsum|csum|remcsum]`.
fn lvs_method(s: &Stmt) -> PResult<FwdSpec> {
    no_block(s)?;
    let usage = "NAT, DR or TUN [type ipip|gue port NUM|gre] [nocsum|csum|remcsum]";
    nargs(s, 1, 6, usage)?;
    let m = &s.args[0];
    let forward = match Kw::of(m.text) {
        Kw::Nat => Forward::Masq,
        Kw::Dr => Forward::Route,
        Kw::Tun => Forward::Tunnel,
        _ => return bad(m, s.kw.text, "NAT, DR or TUN"),
    };
    let mut tunnel = TunnelSpec::default();
    if forward != Forward::Tunnel {
        nargs(s, 1, 1, usage)?;
        return Ok(FwdSpec { forward, tunnel });
    }
    let mut i = 1;
    let mut have_port = false;
    let mut csum: Option<&Token> = None;
    while i < s.args.len() {
        let t = &s.args[i];
        match Kw::of(t.text) {
            Kw::Type => {
                let Some(ty) = s.args.get(i + 1) else {
                    return perr(t.pos, "'type' needs ipip, gue or gre");
                };
                tunnel.kind = match Kw::of(ty.text) {
                    Kw::Ipip => TunnelType::Ipip,
                    Kw::Gue => TunnelType::Gue,
                    Kw::Gre => TunnelType::Gre,
                    _ => return bad(ty, "type", "ipip, gue or gre"),
                };
                i += 2;
            }
            Kw::Port => {
                let Some(p) = s.args.get(i + 1) else {
                    return perr(t.pos, "'port' needs a port number (1-65535)");
                };
                tunnel.port = port1(p, "port")?;
                have_port = true;
                i += 2;
            }
            // IP_VS_TUNNEL_ENCAP_FLAG_* (ip_vs.h)
            Kw::Nocsum => {
                tunnel.flags = 0;
                csum = Some(t);
                i += 1;
            }
            Kw::Csum => {
                tunnel.flags = 1;
                csum = Some(t);
                i += 1;
            }
            Kw::Remcsum => {
                tunnel.flags = 2;
                csum = Some(t);
                i += 1;
            }
            _ => {
                return perr(
                    t.pos,
                    format!(
                        "unexpected '{}' in '{}' (expected {})",
                        t.text, s.kw.text, usage
                    ),
                )
            }
        }
    }
    // keepalived: "gue tunnels require port, otherwise cannot have port";
    // "ipip tunnels do not support checksum option"; "gre ... no remote checksum".
    if (tunnel.kind == TunnelType::Gue) != have_port {
        return perr(
            s.kw.pos,
            "'lvs_method TUN': a gue tunnel needs 'port NUM', other tunnel types take no port",
        );
    }
    if let Some(c) = csum {
        if tunnel.kind == TunnelType::Ipip {
            return perr(c.pos, "ipip tunnels do not support a checksum option");
        }
        if tunnel.kind == TunnelType::Gre && c.text == "remcsum" {
            return perr(c.pos, "gre tunnels do not support remcsum");
        }
    }
    Ok(FwdSpec { forward, tunnel })
}

/// `<IPADDR> [<PORT>]` for real and sorry servers, stored into the server's fields (for
/// code size: an `IpAddr` moved by value is copied byte by byte on MIPS).
fn addr_port(s: &Stmt, ip_out: &mut IpAddr, port: &mut u16) -> PResult<()> {
    nargs(s, 1, 2, "an IP address and optionally a port")?;
    *ip_out = ip(&s.args[0], s.kw.text)?;
    *port = opt_port(s.args.get(1), s.kw.text)?;
    Ok(())
}

/// Decodes keepalived's free-format hex string (`Ab12f 3 456` = AB 12 0F 03 45 06:
/// digits pair up within a word, a lone last digit is a byte of its own). With `wild`,
/// an `X` or `x` digit is a wildcard nibble (keepalived's read_hex_str with a mask): the
/// second vector has its bits set, and is empty when there is no wildcard.
fn hex_string(args: &[Token], kw: &str, wild: bool) -> PResult<(Vec<u8>, Vec<u8>)> {
    let mut out = Vec::new();
    let mut mask = Vec::new();
    let mut any_wild = false;
    for t in args {
        let digits: Vec<char> = t.text.chars().collect();
        for pair in digits.chunks(2) {
            let mut v: u8 = 0;
            let mut m: u8 = 0;
            for c in pair {
                let (d, w) = match c.to_digit(16) {
                    Some(d) => (d as u8, 0),
                    None if wild && (*c == 'x' || *c == 'X') => (0, 0x0f),
                    None => {
                        let want = if wild {
                            "hex digits (X for any nibble)"
                        } else {
                            "hex digits"
                        };
                        return perr(t.pos, format!("'{}' needs {}, got '{}'", kw, want, t.text));
                    }
                };
                any_wild |= w != 0;
                v = (v << 4) | d;
                m = (m << 4) | w;
            }
            out.push(v);
            mask.push(m);
        }
    }
    if !any_wild {
        mask.clear();
    }
    Ok((out, mask))
}

fn dns_type(t: &Token) -> PResult<u16> {
    // RFC 1035 / 3596 / 4034 type codes of the names keepalived accepts.
    Ok(match Kw::of(&t.text.to_ascii_uppercase()) {
        Kw::DnsA => 1,
        Kw::DnsNs => 2,
        Kw::DnsCname => 5,
        Kw::DnsSoa => 6,
        Kw::DnsMx => 15,
        Kw::DnsTxt => 16,
        Kw::DnsAaaa => 28,
        Kw::DnsRrsig => 46,
        Kw::DnsDnskey => 48,
        _ => {
            return bad(
                t,
                "type",
                "one of A, NS, CNAME, SOA, MX, TXT, AAAA, RRSIG, DNSKEY",
            )
        }
    })
}

/// `slow_start SECONDS` (0 = off), with the keyword's position: the scheduler it is
/// refused with is only known once the virtual server is resolved.
fn slow_start(s: &Stmt) -> PResult<(u32, Pos)> {
    let usage = "a number of seconds (0-86400)";
    let secs = uint(arg1(s, usage)?, s.kw.text, usage, 0, 86_400)?;
    Ok((secs, s.kw.pos))
}

/// `agent_check { port N [address A] [interval T] [timeout T] }`.
fn agent_check(s: &Stmt) -> PResult<RawAgent> {
    nargs(s, 0, 0, "a { } block")?;
    let body = need_block(s)?;
    let mut a = RawAgent {
        pos: s.kw.pos,
        port: 0,
        address: None,
        interval: None,
        timeout: None,
    };
    body.each(&mut |st| {
        let kw = st.kw.text;
        match Kw::of(kw) {
            Kw::Port => a.port = port1(arg1(st, "a port number")?, kw)?,
            Kw::Address => set_ip(arg1(st, "an IP address")?, kw, &mut a.address)?,
            Kw::Interval => timer(st, kw, false, &mut a.interval)?,
            Kw::Timeout => timer(st, kw, false, &mut a.timeout)?,
            _ => return Err(unknown(st.kw, "in agent_check")),
        }
        Ok(())
    })?;
    if a.port == 0 {
        return perr(s.kw.pos, "'agent_check' needs a 'port'");
    }
    Ok(a)
}

fn check_timers_kw(s: &Stmt, k: Kw, timers: &mut Timers, connection: bool) -> PResult<bool> {
    let kw = s.kw.text;
    match k {
        Kw::ConnectTimeout if connection => timer(s, kw, false, &mut timers.connect_timeout)?,
        Kw::Retry => {
            let t = arg1(s, "a number")?;
            timers.retry = Some(uint(t, kw, "a number", 0, u32::MAX)?);
        }
        Kw::DelayBeforeRetry => timer(s, kw, true, &mut timers.delay_before_retry)?,
        Kw::Rise => {
            let t = arg1(s, "a number of successes (1 or more)")?;
            timers.rise = Some(uint(t, kw, "a number of successes (1 or more)", 1, 1000)?);
        }
        Kw::Warmup => timer(s, kw, true, &mut timers.warmup)?,
        Kw::DelayLoop => timer(s, kw, false, &mut timers.delay_loop)?,
        _ => return Ok(false),
    }
    Ok(true)
}

/// Longest interface name the kernel accepts (IFNAMSIZ - 1).
pub const MAX_IFNAME: usize = 15;

/// `vip_announce { interface NAME  rule all|any  on_stop withdraw|keep }` (lvsmon's own
/// block): `interface` is required, `rule` defaults to all, `on_stop` to withdraw. Each
/// keyword at most once.
fn vip_announce(s: &Stmt) -> PResult<VipAnnounce> {
    nargs(s, 0, 0, "no value (its settings go in the { } block)")?;
    let body = need_block(s)?;
    let mut interface: Option<(String, Pos)> = None;
    let mut rule: Option<AnnounceRule> = None;
    let mut on_stop: Option<OnStop> = None;
    let mut seen: Vec<Kw> = Vec::new();
    body.each(&mut |st| {
        let kw = st.kw.text;
        let k = Kw::of(kw);
        if matches!(k, Kw::Interface | Kw::Rule | Kw::OnStop) {
            if seen.contains(&k) {
                return perr(st.kw.pos, format!("'{}' given twice in vip_announce", kw));
            }
            seen.push(k);
        }
        match k {
            Kw::Interface => {
                let t = arg1(st, "an interface name of 1-15 bytes")?;
                let ok = !t.text.is_empty()
                    && t.text.len() <= MAX_IFNAME
                    && !t.text.contains(['/', ':'])
                    && !t.text.chars().any(|c| c.is_whitespace() || c.is_control())
                    && t.text != "."
                    && t.text != "..";
                if !ok {
                    return bad(
                        t,
                        "interface",
                        "an interface name of 1-15 bytes without '/', ':' or spaces",
                    );
                }
                interface = Some((t.text.to_string(), t.pos));
            }
            Kw::Rule => {
                let t = arg1(st, "'all' or 'any'")?;
                rule = Some(match Kw::of(t.text) {
                    Kw::All => AnnounceRule::All,
                    Kw::Any => AnnounceRule::Any,
                    _ => return bad(t, "rule", "'all' or 'any'"),
                });
            }
            Kw::OnStop => {
                let t = arg1(st, "'withdraw' or 'keep'")?;
                on_stop = Some(match Kw::of(t.text) {
                    Kw::Withdraw => OnStop::Withdraw,
                    Kw::Keep => OnStop::Keep,
                    _ => return bad(t, "on_stop", "'withdraw' or 'keep'"),
                });
            }
            _ => {
                return Err(unknown(
                    st.kw,
                    "in vip_announce (expected interface, rule or on_stop)",
                ))
            }
        }
        Ok(())
    })?;
    let Some((interface, interface_pos)) = interface else {
        return perr(
            s.kw.pos,
            "'vip_announce' needs 'interface NAME' in its block",
        );
    };
    Ok(VipAnnounce {
        pos: s.kw.pos,
        interface,
        interface_pos,
        rule: rule.unwrap_or(AnnounceRule::All),
        on_stop: on_stop.unwrap_or(OnStop::Withdraw),
    })
}

/// The checker a block is (`Parser::checker`).
#[derive(Clone, Copy, PartialEq)]
enum Ck {
    Tcp,
    Http,
    Ssl,
    Udp,
    Dns,
    Smtp,
    Misc,
    Ping,
    File,
}

impl Ck {
    /// The checker a real_server keyword opens, if it is one. Read once: `checker`'s
    /// arms then compare a number, not the name as a string (for code size).
    fn of(k: Kw) -> Option<Ck> {
        Some(match k {
            Kw::TcpCheck => Ck::Tcp,
            Kw::HttpGet => Ck::Http,
            Kw::SslGet => Ck::Ssl,
            Kw::UdpCheck => Ck::Udp,
            Kw::DnsCheck => Ck::Dns,
            Kw::SmtpCheck => Ck::Smtp,
            Kw::MiscCheck => Ck::Misc,
            Kw::PingCheck => Ck::Ping,
            Kw::FileCheck => Ck::File,
            _ => return None,
        })
    }
}

impl Parser<'_> {
    fn ignore(&mut self, t: &Token, kw: &'static str, reason: &'static str) {
        if let Some((_, ig)) = self.ignored.iter_mut().find(|(k, _)| *k == kw) {
            ig.count += 1;
            return;
        }
        self.ignored.push((
            kw,
            Ignored {
                first: fmt_pos(self.files, t.pos),
                reason,
                count: 1,
            },
        ));
    }

    /// A keepalived true/false keyword (`boolean`): an invalid value is warned about and
    /// the line ignored (None), as keepalived reports it and carries on without it.
    fn kbool(&mut self, s: &Stmt) -> PResult<Option<bool>> {
        match boolean(s)? {
            Ok(v) => Ok(Some(v)),
            Err(t) => {
                self.warn(
                    t.pos,
                    format!(
                        "invalid {} value '{}' (on|off|true|false|yes|no) - line ignored, as keepalived does",
                        s.kw.text, t.text
                    ),
                );
                Ok(None)
            }
        }
    }

    /// `nb_get_retry` where keepalived 2.2.7 does not install it (only HTTP_GET and
    /// SSL_GET do): keepalived skips it as an unknown keyword, so the retry count it meant
    /// to set is not set. We do the same, and say so.
    fn nb_get_retry_unknown(&mut self, st: &Stmt, within: &str) {
        self.warn(
            st.kw.pos,
            format!(
                "'nb_get_retry' is not a {} keyword (keepalived knows it only in HTTP_GET and SSL_GET): line ignored, as keepalived does; use 'retry'",
                within
            ),
        );
    }

    /// hashed, sh-port, sh-fallback, mh-port, mh-fallback. keepalived 2.2.7 judges them
    /// against the scheduler set *when the line is read* (so before `lb_algo` they are
    /// refused): sh-* count only under sh, mh-* only under mh, `hashed` never sets a bit
    /// (the kernel marks every service hashed itself), and under any other scheduler each
    /// is ignored with a complaint. We do exactly that, with a warning where it complains.
    fn sched_flag(&mut self, st: &Stmt, k: Kw, vs: &mut RawVs) {
        let kw = st.kw.text;
        let sched = vs.sched.as_deref();
        let bit = match (sched, k) {
            (Some("sh"), Kw::ShPort) => svc_flags::SCHED_SH_PORT,
            (Some("sh"), Kw::ShFallback) => svc_flags::SCHED_SH_FALLBACK,
            (Some("mh"), Kw::MhPort) => svc_flags::SCHED_MH_PORT,
            (Some("mh"), Kw::MhFallback) => svc_flags::SCHED_MH_FALLBACK,
            (Some("sh" | "mh"), _) => 0,
            _ => {
                let now = match sched {
                    Some(s) => format!("the scheduler is {} here", s),
                    None => "no lb_algo is set before this line".to_string(),
                };
                self.warn(
                    st.kw.pos,
                    format!(
                        "'{}' only applies to the {} scheduler ({}): ignored, as keepalived does",
                        kw,
                        if kw.starts_with("mh") { "mh" } else { "sh" },
                        now
                    ),
                );
                0
            }
        };
        vs.flags |= bit;
    }

    fn note(&mut self, pos: Pos, msg: String) {
        let at = fmt_pos(self.files, pos);
        self.out.notes.push(format!("{}: {}", at, msg));
    }

    fn warn(&mut self, pos: Pos, msg: String) {
        let at = fmt_pos(self.files, pos);
        self.out.warnings.push(format!("{}: {}", at, msg));
    }

    fn top(&mut self, s: &Stmt) -> PResult<()> {
        let kw = s.kw.text;
        let k = Kw::of(kw);
        match k {
            Kw::GlobalDefs => self.global_defs(s),
            Kw::VirtualServerGroup => self.vsg(s),
            Kw::VirtualServer => {
                let vs = self.virtual_server(s)?;
                self.out.vss.push(vs);
                Ok(())
            }
            Kw::TrackFile | Kw::VrrpTrackFile => self.track_file(s),
            Kw::VipAnnounce => {
                if let Some(first) = &self.out.vip_announce {
                    return perr(
                        s.kw.pos,
                        format!(
                            "'vip_announce' given twice (first at {})",
                            fmt_pos(self.files, first.pos)
                        ),
                    );
                }
                self.out.vip_announce = Some(vip_announce(s)?);
                Ok(())
            }
            Kw::Ssl if cfg!(feature = "tls") => self.ssl(s),
            Kw::NetNamespaceIpvs => {
                no_block(s)?;
                nargs(
                    s,
                    0,
                    1,
                    "a network namespace name, or nothing for the default one",
                )?;
                if self.out.net_namespace_ipvs.is_some() {
                    return perr(s.kw.pos, "'net_namespace_ipvs' is given twice");
                }
                let name = s.args.first().map(|t| t.text).unwrap_or("");
                if name.contains('/') || name == "." || name == ".." {
                    return bad(&s.args[0], kw, "a network namespace name (no '/')");
                }
                self.out.net_namespace_ipvs = Some(name.to_string());
                Ok(())
            }
            _ if !s.kw.quoted
                && (kw.starts_with("vrrp_")
                    || kw.starts_with("static_")
                    || matches!(
                        k,
                        Kw::LinkbeatInterfaces
                            | Kw::TrackGroup
                            | Kw::GarpGroup
                            | Kw::BfdInstance
                            | Kw::TrackProcess
                    )
                    || (k == Kw::Ssl && !cfg!(feature = "tls"))) =>
            {
                let what = if k == Kw::Ssl {
                    "this lvsmon was built without the \"tls\" feature"
                } else {
                    "not part of keepalived's LVS configuration"
                };
                let name = s
                    .args
                    .first()
                    .map(|a| format!(" {}", a.text))
                    .unwrap_or_default();
                self.warn(s.kw.pos, format!("{}{} skipped ({})", kw, name, what));
                Ok(())
            }
            _ => Err(unknown(s.kw, "at top level")),
        }
    }

    /// keepalived's `SSL { password; ca; certificate; key }`. As keepalived, a second
    /// block replaces the first (with a warning).
    fn ssl(&mut self, s: &Stmt) -> PResult<()> {
        nargs(s, 0, 0, "a { } block")?;
        let body = need_block(s)?;
        if let Some(old) = &self.out.ssl {
            let at = fmt_pos(self.files, old.pos);
            self.warn(s.kw.pos, format!("SSL block replaces the one at {}", at));
        }
        let mut ssl = RawSsl {
            pos: s.kw.pos,
            ca: None,
            certificate: None,
            key: None,
            password: None,
        };
        body.each(&mut |st| {
            let kw = st.kw.text;
            match Kw::of(kw) {
                Kw::Ca => ssl.ca = Some((PathBuf::from(string1(st, "a PEM file")?), st.kw.pos)),
                Kw::Certificate => {
                    ssl.certificate = Some((PathBuf::from(string1(st, "a PEM file")?), st.kw.pos))
                }
                Kw::Key => ssl.key = Some((PathBuf::from(string1(st, "a PEM file")?), st.kw.pos)),
                Kw::Password => ssl.password = Some((string1(st, "a password")?, st.kw.pos)),
                _ => return Err(unknown(st.kw, "in SSL")),
            }
            Ok(())
        })?;
        self.out.ssl = Some(ssl);
        Ok(())
    }

    fn global_defs(&mut self, s: &Stmt) -> PResult<()> {
        nargs(s, 0, 0, "no value")?;
        let body = need_block(s)?;
        body.each(&mut |st| {
            let kw = st.kw.text;
            match Kw::of(kw) {
                Kw::LvsSyncDaemon => self.out.sync_daemon = Some(self.sync_daemon(st)?),
                Kw::LvsTimeouts => self.out.lvs_timeouts = Some(lvs_timeouts(st)?),
                k if super::globals::HONOURED.contains(&kw) => self.global_lvs_kw(st, k)?,
                _ => self.warn(st.kw.pos, super::globals::not_honoured(kw)),
            }
            Ok(())
        })?;
        Ok(())
    }

    /// The other global_defs keywords lvsmon honours (keepalived's global_parser.c).
    fn global_lvs_kw(&mut self, st: &Stmt, k: Kw) -> PResult<()> {
        match k {
            Kw::LvsFlush => {
                flag(st)?;
                self.out.lvs_flush = true;
            }
            // lvs_flush_onstop: keepalived's spelling before 2.1.5, still accepted.
            Kw::LvsFlushOnStop | Kw::LvsFlushOnstop => {
                no_block(st)?;
                nargs(st, 0, 1, "no value or VS")?;
                self.out.lvs_flush_on_stop = match st.args.first() {
                    None => FlushOnStop::Full,
                    Some(t) if t.text == "VS" => FlushOnStop::Vs,
                    Some(t) => return bad(t, st.kw.text, "no value or VS"),
                };
            }
            Kw::LvsNotifyFifo => {
                no_block(st)?;
                nargs(st, 1, 3, "a FIFO path and optionally a user and group")?;
                let fifo = self.out.lvs_notify_fifo.get_or_insert_with(|| NotifyFifo {
                    path: PathBuf::new(),
                    script: None,
                    user: None,
                    group: None,
                });
                if !fifo.path.as_os_str().is_empty() {
                    return perr(st.kw.pos, "'lvs_notify_fifo' is given twice");
                }
                fifo.path = PathBuf::from(st.args[0].text);
                fifo.user = st.args.get(1).map(|t| t.text.to_string());
                fifo.group = st.args.get(2).map(|t| t.text.to_string());
            }
            Kw::LvsNotifyFifoScript => {
                let sc = script(st, true)?;
                let fifo = self.out.lvs_notify_fifo.get_or_insert_with(|| NotifyFifo {
                    path: PathBuf::new(),
                    script: None,
                    user: None,
                    group: None,
                });
                if fifo.script.is_some() {
                    return perr(st.kw.pos, "'lvs_notify_fifo_script' is given twice");
                }
                fifo.script = Some(sc);
            }
            Kw::ScriptUser => {
                no_block(st)?;
                nargs(st, 1, 2, "a user name and optionally a group name")?;
                self.out.script_user = Some((
                    st.args[0].text.to_string(),
                    st.args.get(1).map(|t| t.text.to_string()),
                    st.kw.pos,
                ));
            }
            Kw::EnableScriptSecurity => {
                flag(st)?;
                self.out.script_security = true;
            }
            _ => {}
        }
        Ok(())
    }

    /// `lvs_sync_daemon IFACE [[inst] VRRP_INSTANCE] [id N] [maxlen N] [port N] [ttl N] [group ADDR]`
    fn sync_daemon(&mut self, s: &Stmt) -> PResult<SyncDaemon> {
        no_block(s)?;
        let usage = "an interface name, then [inst NAME] [id 0-255] [maxlen N] [port N] [ttl N] [group ADDR]";
        if s.args.is_empty() {
            return perr(s.kw.pos, format!("'lvs_sync_daemon' needs {}", usage));
        }
        let iface = &s.args[0];
        if iface.text.is_empty() || iface.text.len() > 15 {
            return bad(iface, "lvs_sync_daemon", "an interface name of 1-15 bytes");
        }
        let mut d = SyncDaemon {
            pos: s.kw.pos,
            interface: iface.text.to_string(),
            vrrp_instance: None,
            syncid: 0,
            master: true,
            backup: true,
            mcast_group: None,
            port: None,
            ttl: None,
            maxlen: None,
        };
        let mut i = 1;
        let mut inst: Option<&Token> = None;
        while i < s.args.len() {
            let t = &s.args[i];
            let k = Kw::of(t.text);
            // What the word needs after it (and, for the numbers, their bounds).
            let (what, min, max) = match k {
                Kw::Inst => ("a vrrp instance name", 0, 0),
                Kw::Id => ("a sync id (0-255)", 0, 255),
                Kw::Maxlen => ("a length (1-65507)", 1, 65507),
                Kw::Port => ("a port number (1-65535)", 1, 65535),
                Kw::Ttl => ("a TTL (1-255)", 1, 255),
                Kw::Group => ("a multicast address", 0, 0),
                _ if i == 1 => {
                    // Backward compatible form: the instance name without 'inst'.
                    inst = Some(t);
                    i += 1;
                    continue;
                }
                _ => {
                    return perr(
                        t.pos,
                        format!(
                            "unexpected '{}' in lvs_sync_daemon (expected {})",
                            t.text, usage
                        ),
                    )
                }
            };
            let Some(v) = s.args.get(i + 1) else {
                return perr(
                    t.pos,
                    format!("'{}' in lvs_sync_daemon needs {}", t.text, what),
                );
            };
            match k {
                Kw::Inst => inst = Some(v),
                Kw::Group => set_ip(v, "group", &mut d.mcast_group)?,
                _ => {
                    let n = uint(v, t.text, what, min, max)?;
                    match k {
                        Kw::Id => d.syncid = n as u8,
                        Kw::Maxlen => d.maxlen = Some(n as u16),
                        Kw::Port => d.port = Some(n as u16),
                        Kw::Ttl => d.ttl = Some(n as u8),
                        _ => {}
                    }
                }
            }
            i += 2;
        }
        if let Some(t) = inst {
            // keepalived's checker leaves such a daemon to its VRRP half
            // (checker_ipvs_syncd_needed); so does lvsmon, so that keepalived -P runs it
            // in the instance's role (crate::syncd).
            d.vrrp_instance = Some(t.text.to_string());
        }
        Ok(d)
    }

    fn track_file(&mut self, s: &Stmt) -> PResult<()> {
        nargs(s, 1, 1, "a track file name")?;
        let name = s.args[0].text.to_string();
        let body = need_block(s)?;
        let mut path = None;
        let mut weight = 1i32;
        let mut reverse = false;
        let mut init = None;
        body.each(&mut |st| {
            match Kw::of(st.kw.text) {
                Kw::File => path = Some(PathBuf::from(string1(st, "a file path")?)),
                Kw::Weight => {
                    let (w, r) = file_weight(st)?;
                    weight = w;
                    reverse = r;
                }
                Kw::InitFile => {
                    // keepalived: [VALUE] [overwrite] in any order; VALUE defaults to 0.
                    no_block(st)?;
                    let mut value = 0i32;
                    let mut overwrite = false;
                    for t in st.args {
                        if t.text == "overwrite" {
                            overwrite = true;
                        } else {
                            value = int(
                                t,
                                "init_file",
                                "a value (-254..254) or 'overwrite'",
                                -254,
                                254,
                            )?;
                        }
                    }
                    init = Some((value, overwrite));
                }
                _ => return Err(unknown(st.kw, "in track_file")),
            }
            Ok(())
        })?;
        let Some(path) = path else {
            return perr(s.kw.pos, format!("track_file '{}' needs a 'file'", name));
        };
        self.out.track_files.insert(
            name,
            TrackFile {
                pos: s.kw.pos,
                path,
                weight,
                reverse,
                init,
            },
        );
        Ok(())
    }

    fn vsg(&mut self, s: &Stmt) -> PResult<()> {
        nargs(s, 1, 1, "a group name")?;
        let name = s.args[0].text.to_string();
        let body = need_block(s)?;
        let mut entries = Vec::new();
        body.each(&mut |st| {
            no_block(st)?;
            if st.kw.text == "fwmark" && !st.kw.quoted {
                nargs(st, 1, 2, "a mark number and optionally inet or inet6")?;
                let mark = uint(&st.args[0], "fwmark", "a mark number", 0, u32::MAX)?;
                let family = match st.args.get(1) {
                    None => None,
                    Some(t) => match Kw::of(t.text) {
                        Kw::Inet => Some(Family::Inet),
                        Kw::Inet6 => Some(Family::Inet6),
                        _ => return bad(t, "fwmark", "inet or inet6"),
                    },
                };
                entries.push(VsgEntry::Fwmark {
                    pos: st.kw.pos,
                    mark,
                    family,
                });
                return Ok(());
            }
            nargs(st, 0, 1, "an address or range and optionally a port")?;
            let (start, end) = addr_range(st.kw)?;
            let port = opt_port(st.args.first(), "virtual_server_group entry")?;
            entries.push(VsgEntry::Range {
                pos: st.kw.pos,
                start,
                end,
                port,
            });
            Ok(())
        })?;
        if entries.is_empty() {
            return perr(
                s.kw.pos,
                format!("virtual_server_group '{}' has no entries", name),
            );
        }
        if let Some((pos, _)) = self.out.groups.get(&name) {
            return perr(
                s.kw.pos,
                format!(
                    "virtual_server_group '{}' is already defined at {}",
                    name,
                    fmt_pos(self.files, *pos)
                ),
            );
        }
        self.out.groups.insert(name, (s.kw.pos, entries));
        Ok(())
    }

    fn virtual_server(&mut self, s: &Stmt) -> PResult<RawVs> {
        let usage = "an IP address and port, 'fwmark N' or 'group NAME'";
        if s.args.is_empty() {
            return perr(s.kw.pos, format!("'virtual_server' needs {}", usage));
        }
        let first = &s.args[0];
        // keepalived's vs_handler reads the first two words and ignores any more, without
        // a word (`virtual_server 192.0.2.1 80 tcp {`): so do we.
        let target = match Kw::of(first.text) {
            Kw::Fwmark if !first.quoted => {
                nargs(s, 2, usize::MAX, "'fwmark' and a mark number")?;
                RawTarget::Fwmark(uint(&s.args[1], "fwmark", "a mark number", 0, u32::MAX)?)
            }
            Kw::Group if !first.quoted => {
                nargs(s, 2, usize::MAX, "'group' and a group name")?;
                RawTarget::Group(s.args[1].text.to_string())
            }
            _ => {
                let addr = match first.text.parse::<IpAddr>() {
                    Ok(a) => a,
                    Err(_) => return bad(first, "virtual_server", usage),
                };
                RawTarget::Addr(addr, opt_port(s.args.get(1), "virtual_server")?)
            }
        };
        let body = need_block(s)?;
        let mut vs = RawVs {
            pos: s.kw.pos,
            target,
            protocol: None,
            sched: None,
            flags: 0,
            ops: false,
            fwd: None,
            persistence_timeout: None,
            granularity: None,
            pe: None,
            virtualhost: None,
            alpha: false,
            omega: false,
            inhibit: false,
            quorum: 1,
            hysteresis: 0,
            quorum_up: None,
            quorum_down: None,
            ip_family: None,
            weight: 1,
            sorry: None,
            sorry_inhibit: false,
            sorry_fwd: None,
            timers: Timers::default(),
            jitter_percent: 0,
            slow_start: None,
            reals: Vec::new(),
        };
        body.each(&mut |st| {
            let kw = st.kw.text;
            let k = Kw::of(kw);
            if check_timers_kw(st, k, &mut vs.timers, true)? {
                return Ok(());
            }
            match k {
                Kw::LbAlgo | Kw::LvsSched => {
                    let t = arg1(st, "a scheduler name")?;
                    if !SCHEDULERS.contains(&t.text) {
                        return bad(t, kw, &format!("a scheduler ({})", SCHEDULERS.join(" ")));
                    }
                    let mut name = SchedName::new();
                    let _ = name.push_str(t.text);
                    vs.sched = Some(name);
                }
                Kw::LbKind | Kw::LvsMethod => vs.fwd = Some(lvs_method(st)?),
                Kw::Flag1 => {
                    flag(st)?;
                    vs.flags |= svc_flags::SCHED1;
                }
                Kw::Flag2 => {
                    flag(st)?;
                    vs.flags |= svc_flags::SCHED2;
                }
                Kw::Flag3 => {
                    flag(st)?;
                    vs.flags |= svc_flags::SCHED3;
                }
                Kw::Hashed | Kw::ShPort | Kw::ShFallback | Kw::MhPort | Kw::MhFallback => {
                    flag(st)?;
                    self.sched_flag(st, k, &mut vs);
                }
                Kw::Ops => {
                    flag(st)?;
                    vs.ops = true;
                }
                Kw::PersistenceTimeout => {
                    no_block(st)?;
                    nargs(st, 0, 1, "no value or a number of seconds")?;
                    vs.persistence_timeout = Some(match st.args.first() {
                        None => 360,
                        Some(t) => uint(
                            t,
                            kw,
                            "a number of seconds (1 or more)",
                            1,
                            u32::MAX,
                        )?,
                    });
                }
                Kw::PersistenceGranularity => {
                    let t = arg1(st, "a netmask (IPv4) or prefix length (IPv6)")?;
                    vs.granularity = Some((t.text.to_string(), t.pos));
                }
                Kw::PersistenceEngine => {
                    let t = arg1(st, "a persistence engine name")?;
                    if t.text.is_empty() || t.text.len() > 15 {
                        return bad(t, kw, "a persistence engine name of 1-15 bytes");
                    }
                    vs.pe = Some(t.text.to_string());
                }
                Kw::Protocol => {
                    let t = arg1(st, "TCP, UDP or SCTP")?;
                    vs.protocol = Some(match Kw::of(&t.text.to_ascii_uppercase()) {
                        Kw::ProtoTcp => Protocol::Tcp,
                        Kw::ProtoUdp => Protocol::Udp,
                        Kw::ProtoSctp => Protocol::Sctp,
                        _ => return bad(t, kw, "TCP, UDP or SCTP"),
                    });
                }
                Kw::Virtualhost => set_string(st, "a host name", &mut vs.virtualhost)?,
                // keepalived's virtual_server alpha/omega handlers read no value: `alpha 1`
                // (and even `alpha 0`) set it, silently. So do we.
                Kw::Alpha => {
                    no_block(st)?;
                    vs.alpha = true;
                }
                Kw::Omega => {
                    no_block(st)?;
                    vs.omega = true;
                }
                Kw::InhibitOnFailure => {
                    flag(st)?;
                    vs.inhibit = true;
                }
                Kw::Quorum => vs.quorum = u32_arg(st, kw, "a weight sum (1 or more)", 1)?,
                Kw::Hysteresis => vs.hysteresis = u32_arg(st, kw, "a number", 0)?,
                Kw::QuorumUp => set_script(st, &mut vs.quorum_up)?,
                Kw::QuorumDown => set_script(st, &mut vs.quorum_down)?,
                Kw::IpFamily => {
                    let t = arg1(st, "inet or inet6")?;
                    vs.ip_family = Some(match Kw::of(t.text) {
                        Kw::Inet => Family::Inet,
                        Kw::Inet6 => Family::Inet6,
                        _ => return bad(t, kw, "inet or inet6"),
                    });
                }
                Kw::Weight => {
                    vs.weight = int(
                        arg1(st, "a weight")?,
                        kw,
                        "a weight (1-65535)",
                        1,
                        MAX_WEIGHT,
                    )?
                }
                Kw::SorryServer => {
                    no_block(st)?;
                    let sorry = vs.sorry.insert(RawSorry {
                        pos: st.kw.pos,
                        ip: IpAddr::V4(Ipv4Addr::UNSPECIFIED),
                        port: 0,
                    });
                    addr_port(st, &mut sorry.ip, &mut sorry.port)?;
                }
                // keepalived 2.2.7 applies both to the sorry server already read: before
                // (or without) `sorry_server` they are skipped with a complaint. Its
                // sorry_server_inhibit reads no value: any value turns inhibit on.
                Kw::SorryServerInhibit => {
                    no_block(st)?;
                    if vs.sorry.is_none() {
                        self.warn(
                            st.kw.pos,
                            "'sorry_server_inhibit' before (or without) 'sorry_server': ignored, as keepalived does".to_string(),
                        );
                    } else {
                        if let Some(t) = st.args.first() {
                            if matches!(t.text, "off" | "false" | "no" | "0") {
                                self.warn(
                                    t.pos,
                                    format!("sorry_server_inhibit reads no value: '{}' still turns it on, as in keepalived", t.text),
                                );
                            }
                        }
                        vs.sorry_inhibit = true;
                    }
                }
                Kw::SorryServerLvsMethod => {
                    let m = lvs_method(st)?;
                    if vs.sorry.is_none() {
                        self.warn(
                            st.kw.pos,
                            "'sorry_server_lvs_method' before (or without) 'sorry_server': ignored, as keepalived does".to_string(),
                        );
                    } else {
                        vs.sorry_fwd = Some(m);
                    }
                }
                Kw::RealServer => {
                    let rs = self.real_server(st)?;
                    vs.reals.push(rs);
                }
                Kw::SlowStart => vs.slow_start = Some(slow_start(st)?),
                Kw::DelayLoopJitter => {
                    let usage = "a percentage of delay_loop (0-50)";
                    vs.jitter_percent = uint(arg1(st, usage)?, kw, usage, 0, 50)?;
                }
                Kw::NbGetRetry => self.nb_get_retry_unknown(st, "virtual_server"),
                Kw::HaSuspend => {
                    flag(st)?;
                    self.ignore(
                        st.kw,
                        "ha_suspend",
                        "lvsmon does not watch for the virtual address",
                    );
                }
                Kw::SmtpAlert => {
                    self.kbool(st)?;
                    self.ignore(st.kw, "smtp_alert", "lvsmon sends no email");
                }
                Kw::SnmpName => {
                    arg1(st, "a name")?;
                    self.ignore(st.kw, "snmp_name", "lvsmon has no SNMP agent");
                }
                _ => {
                    return Err(unknown(st.kw, "in virtual_server"))
                }
            }
            Ok(())
        })?;
        Ok(vs)
    }

    fn real_server(&mut self, s: &Stmt) -> PResult<RawRs> {
        let mut rs = RawRs {
            pos: s.kw.pos,
            ip: IpAddr::V4(Ipv4Addr::UNSPECIFIED),
            port: 0,
            weight: None,
            fwd: None,
            inhibit: None,
            uthreshold: 0,
            lthreshold: 0,
            notify_up: None,
            notify_down: None,
            virtualhost: None,
            timers: Timers::default(),
            slow_start: None,
            agent: None,
            checks: Vec::new(),
        };
        addr_port(s, &mut rs.ip, &mut rs.port)?;
        let body = need_block(s)?;
        body.each(&mut |st| {
            let kw = st.kw.text;
            let k = Kw::of(kw);
            if check_timers_kw(st, k, &mut rs.timers, true)? {
                return Ok(());
            }
            if let Some(ck) = Ck::of(k) {
                let checks = self.checker(st, ck)?;
                for c in checks {
                    if rs.checks.len() >= MAX_CHECKS_PER_REAL {
                        return perr(
                            c.pos,
                            format!(
                                "more than MAX_CHECKS_PER_REAL ({}) checks on real_server {}",
                                MAX_CHECKS_PER_REAL,
                                fmt_args(s).trim_start_matches("real_server ")
                            ),
                        );
                    }
                    rs.checks.push(c);
                }
                return Ok(());
            }
            match k {
                Kw::Weight => {
                    rs.weight = Some(int(
                        arg1(st, "a weight")?,
                        kw,
                        "a weight (0-65535)",
                        0,
                        MAX_WEIGHT,
                    )?)
                }
                Kw::LvsMethod => rs.fwd = Some(lvs_method(st)?),
                // keepalived 2.2.7 knows only lvs_method in a real_server: lb_kind there is
                // an unknown keyword it skips (the virtual_server's method applies).
                Kw::LbKind => self.warn(
                    st.kw.pos,
                    "'lb_kind' is not a real_server keyword (only 'lvs_method' is): line ignored, as keepalived does".to_string(),
                ),
                Kw::NbGetRetry => self.nb_get_retry_unknown(st, "real_server"),
                Kw::InhibitOnFailure => {
                    if let Some(v) = self.kbool(st)? {
                        rs.inhibit = Some(v);
                    }
                }
                Kw::Alpha => {
                    if let Some(v) = self.kbool(st)? {
                        rs.timers.alpha = Some(v);
                    }
                }
                Kw::Uthreshold => rs.uthreshold = u32_arg(st, kw, "a connection count", 0)?,
                Kw::Lthreshold => rs.lthreshold = u32_arg(st, kw, "a connection count", 0)?,
                Kw::NotifyUp => set_script(st, &mut rs.notify_up)?,
                Kw::NotifyDown => set_script(st, &mut rs.notify_down)?,
                Kw::Virtualhost => set_string(st, "a host name", &mut rs.virtualhost)?,
                Kw::SlowStart => rs.slow_start = Some(slow_start(st)?),
                Kw::AgentCheck => {
                    if rs.agent.is_some() {
                        return perr(st.kw.pos, "a second 'agent_check' in one real_server");
                    }
                    rs.agent = Some(agent_check(st)?);
                }
                Kw::SmtpAlert => {
                    self.kbool(st)?;
                    self.ignore(st.kw, "smtp_alert", "lvsmon sends no email");
                }
                Kw::SnmpName => {
                    arg1(st, "a name")?;
                    self.ignore(st.kw, "snmp_name", "lvsmon has no SNMP agent");
                }
                Kw::BfdCheck => {
                    return perr(st.kw.pos, "'BFD_CHECK' is not supported by lvsmon (no BFD)")
                }
                _ => {
                    return Err(unknown(st.kw, "in real_server"))
                }
            }
            Ok(())
        })?;
        Ok(rs)
    }

    /// One checker block; SMTP_CHECK `host { }` blocks each become a check of their own.
    fn checker(&mut self, s: &Stmt, ck: Ck) -> PResult<Vec<RawCheck>> {
        nargs(s, 0, 0, "a { } block")?;
        let body = need_block(s)?;
        let name = s.kw.text;
        let connection = !matches!(ck, Ck::Misc | Ck::File);
        let mut c = RawCheck {
            pos: s.kw.pos,
            kind: RawKind::Tcp,
            connect_ip: None,
            connect_port: None,
            bindto: None,
            bindto_pos: None,
            bind_port: None,
            sock: SockOpts::default(),
            timers: Timers::default(),
        };
        let mut urls: Vec<Url> = Vec::new();
        let mut http_protocol = HttpProtocol::default();
        let mut fast_recovery = false;
        let mut virtualhost = None;
        let mut payload = Vec::new();
        let mut require_reply = None;
        let mut reply_mask = Vec::new();
        let mut min_reply = 0u32;
        let mut max_reply = u32::from(UDP_DEFAULT_MAX_REPLY);
        let mut qtype = 6u16; // SOA, keepalived's DNS_CHECK default
                              // Defaults filled in only for the checkers that use them (no allocation per check).
        let mut dname: Option<String> = None;
        let mut helo: Option<String> = None;
        let mut hosts: Vec<RawCheck> = Vec::new();
        let mut misc_script: Option<Script> = None;
        let mut misc_timeout = None;
        let mut misc_dynamic = false;
        let mut misc_user: Option<(String, Option<String>)> = None;
        let mut track: Option<(String, Pos)> = None;
        let mut file_weight_v = None;
        let mut host_conn_set = false;
        let mut tls = RawTls {
            verify: true,
            ..RawTls::default()
        };
        if ck == Ck::Ssl && !cfg!(feature = "tls") {
            return perr(
                s.kw.pos,
                "SSL_GET needs a build with the \"tls\" feature (this lvsmon was built \
                 without it); use HTTP_GET or TCP_CHECK",
            );
        }
        body.each(&mut |st| {
            let kw = st.kw.text;
            let k = Kw::of(kw);
            if ck != Ck::File {
                if connection && self.conn_kw(st, k, &mut c)? {
                    host_conn_set = host_conn_set || k != Kw::ConnectTimeout;
                    return Ok(());
                }
                if check_timers_kw(st, k, &mut c.timers, connection)? {
                    return Ok(());
                }
                if k == Kw::Alpha {
                    if let Some(v) = self.kbool(st)? {
                        c.timers.alpha = Some(v);
                    }
                    return Ok(());
                }
                if k == Kw::LogAllFailures {
                    self.kbool(st)?;
                    self.ignore(
                        st.kw,
                        "log_all_failures",
                        "lvsmon logs each change of state; `lvsmon run --log-checks` logs every failed check",
                    );
                    return Ok(());
                }
            }
            match (ck, k) {
                (Ck::Http | Ck::Ssl, Kw::Url) => {
                    if urls.len() >= MAX_URLS {
                        return perr(
                            st.kw.pos,
                            format!("more than MAX_URLS ({}) url blocks in {}", MAX_URLS, name),
                        );
                    }
                    let mut warn = Vec::new();
                    let (u, compliant) = url(st, ck == Ck::Ssl, &mut warn)?;
                    for (pos, msg) in warn {
                        self.warn(pos, msg);
                    }
                    if compliant {
                        tls.compliant_urls |= 1 << urls.len();
                    }
                    urls.push(u);
                }
                (Ck::Http | Ck::Ssl, Kw::NbGetRetry) => {
                    let t = arg1(st, "a number")?;
                    c.timers.retry = Some(uint(t, kw, "a number", 0, u32::MAX)?);
                    self.warn(
                        st.kw.pos,
                        "'nb_get_retry' is deprecated: use 'retry' (same meaning; keepalived warns too)"
                            .to_string(),
                    );
                }
                (_, Kw::NbGetRetry) => self.nb_get_retry_unknown(st, name),
                (Ck::Http | Ck::Ssl, Kw::Virtualhost) => {
                    set_string(st, "a host name", &mut virtualhost)?
                }
                (Ck::Http | Ck::Ssl, Kw::HttpProtocol) => {
                    let t = arg1(st, "1.0, 1.0C or 1.1")?;
                    http_protocol = match t.text {
                        "1.0" => HttpProtocol::Http10,
                        "1.0C" | "1.0c" => HttpProtocol::Http10Close,
                        "1.1" => HttpProtocol::Http11Close,
                        _ => return bad(t, kw, "1.0, 1.0C or 1.1"),
                    };
                }
                (Ck::Http | Ck::Ssl, Kw::FastRecovery) => {
                    if let Some(v) = self.kbool(st)? {
                        fast_recovery = v;
                    }
                }
                (Ck::Ssl, Kw::EnableSni) => {
                    if let Some(v) = self.kbool(st)? {
                        tls.enable_sni = v;
                    }
                }
                (Ck::Ssl, Kw::SniName) => {
                    // keepalived: `sni_name` alone turns SNI on with the default name.
                    no_block(st)?;
                    nargs(st, 0, 1, "a DNS host name")?;
                    if let Some(t) = st.args.first() {
                        #[cfg(feature = "tls")]
                        if !crate::tls::is_dns_name(t.text) {
                            return bad(
                                t,
                                kw,
                                "a DNS host name (TLS sends no IP address as SNI, RFC 6066 3)",
                            );
                        }
                        tls.sni_name = Some(t.text.to_string());
                    }
                    tls.enable_sni = true;
                }
                (Ck::Ssl, Kw::TlsCompliant) => {
                    if let Some(v) = self.kbool(st)? {
                        tls.compliant = v;
                    }
                }
                // lvsmon's own keyword, and a security setting: a bad value is an error.
                (Ck::Ssl, Kw::Verify) => tls.verify = strict_bool(st)?,
                (Ck::Udp, Kw::Payload) => {
                    no_block(st)?;
                    if st.args.is_empty() {
                        return perr(st.kw.pos, "'payload' needs a hex string");
                    }
                    payload = hex_string(st.args, kw, false)?.0;
                }
                (Ck::Udp, Kw::RequireReply) => {
                    no_block(st)?;
                    let (data, mask) = hex_string(st.args, kw, true)?;
                    require_reply = Some(data);
                    reply_mask = mask;
                }
                (Ck::Udp, Kw::MinReplyLength) => {
                    min_reply = u32_arg(st, kw, "a length (0-65535)", 0)?;
                    if min_reply > 65535 {
                        return bad(&st.args[0], kw, "a length (0-65535)");
                    }
                }
                (Ck::Udp, Kw::MaxReplyLength) => {
                    max_reply = u32_arg(st, kw, "a length (0-65535)", 0)?;
                    if max_reply > 65535 {
                        return bad(&st.args[0], kw, "a length (0-65535)");
                    }
                }
                (Ck::File, Kw::Dynamic) => {
                    return perr(st.kw.pos, format!("'{}' is not supported by lvsmon", kw))
                }
                (Ck::Dns, Kw::Type) => qtype = dns_type(arg1(st, "a DNS query type")?)?,
                (Ck::Dns, Kw::Name) => {
                    let t = arg1(st, "a domain name")?;
                    if t.text != "." && t.text.trim_end_matches('.').split('.').any(str::is_empty) {
                        return bad(t, kw, "a domain name without empty labels");
                    }
                    dname = Some(t.text.to_string());
                }
                (Ck::Smtp, Kw::HeloName) => set_string(st, "a host name", &mut helo)?,
                (Ck::Smtp, Kw::Host) => {
                    nargs(st, 0, 0, "a { } block")?;
                    let hbody = need_block(st)?;
                    // The SMTP_CHECK's connection settings so far (its kind is set after
                    // the block); built field by field, as RawCheck's Clone costs ~1 KB.
                    let mut h = RawCheck {
                        pos: st.kw.pos,
                        kind: RawKind::Tcp,
                        connect_ip: c.connect_ip,
                        connect_port: c.connect_port,
                        bindto: c.bindto,
                        bindto_pos: c.bindto_pos,
                        bind_port: c.bind_port,
                        sock: c.sock.clone(),
                        timers: c.timers,
                    };
                    for hs in hbody {
                        let hs = &hs;
                        // Connection options belong to the host; the other common
                        // keywords set the SMTP_CHECK itself (check_smtp.c: the handlers
                        // act on the current checker), shared by every host.
                        let hk = Kw::of(hs.kw.text);
                        if self.conn_kw(hs, hk, &mut h)?
                            || check_timers_kw(hs, hk, &mut c.timers, false)?
                        {
                            continue;
                        }
                        if hk == Kw::Alpha {
                            if let Some(v) = self.kbool(hs)? {
                                c.timers.alpha = Some(v);
                            }
                            continue;
                        }
                        return Err(unknown(hs.kw, "in SMTP_CHECK host"));
                    }
                    hosts.push(h);
                }
                (Ck::Misc, Kw::MiscPath) => misc_script = Some(self.misc_path(st)?),
                (Ck::Misc, Kw::MiscTimeout) => {
                    let t = arg1(st, "a number of seconds")?;
                    let v = uint(t, kw, "a number of seconds", 0, u32::MAX)?;
                    misc_timeout = if v == 0 {
                        None
                    } else {
                        Some(Duration::from_secs(u64::from(v)))
                    };
                }
                (Ck::Misc, Kw::MiscDynamic) => {
                    flag(st)?;
                    misc_dynamic = true;
                }
                (Ck::Misc, Kw::User) => {
                    no_block(st)?;
                    nargs(st, 1, 2, "a user name and optionally a group name")?;
                    misc_user = Some((
                        st.args[0].text.to_string(),
                        st.args.get(1).map(|t| t.text.to_string()),
                    ));
                }
                (Ck::File, Kw::TrackFile) => {
                    track = Some((string1(st, "a track_file name")?, st.kw.pos))
                }
                (Ck::File, Kw::Weight) => file_weight_v = Some(file_weight(st)?),
                (
                    _,
                    Kw::Regex
                    | Kw::RegexNoMatch
                    | Kw::RegexOptions
                    | Kw::RegexStack
                    | Kw::RegexMinOffset
                    | Kw::RegexMaxOffset,
                ) => return perr(st.kw.pos, format!("'{}' is not supported by lvsmon", kw)),
                _ => {
                    return perr(st.kw.pos, format!("unknown keyword '{}' in {}", kw, name));
                }
            }
            Ok(())
        })?;
        // keepalived reports a checker's missing url / misc_path / track_file at its `}`.
        let end = body.close_pos().unwrap_or(s.kw.pos);
        c.kind = match ck {
            Ck::Tcp => RawKind::Tcp,
            Ck::Http | Ck::Ssl => {
                if urls.is_empty() {
                    return perr(end, format!("{} needs at least one url {{ }} block", name));
                }
                RawKind::Http {
                    tls: (ck == Ck::Ssl).then_some(tls),
                    urls,
                    virtualhost,
                    protocol: http_protocol,
                    fast_recovery,
                }
            }
            Ck::Udp => {
                if min_reply > max_reply {
                    // keepalived: "min_reply length > max_reply_length - will always fail".
                    self.warn(
                        s.kw.pos,
                        format!(
                            "UDP_CHECK min_reply_length {} > max_reply_length {}: a reply never matches",
                            min_reply, max_reply
                        ),
                    );
                }
                RawKind::Udp(UdpCheck {
                    payload,
                    require_reply,
                    reply_mask,
                    min_reply_length: min_reply as u16,
                    max_reply_length: max_reply as u16,
                })
            }
            Ck::Dns => RawKind::Dns(DnsCheck {
                qtype,
                name: dname.unwrap_or_else(|| ".".to_string()),
            }),
            Ck::Smtp => RawKind::Smtp(SmtpCheck {
                helo_name: helo.unwrap_or_else(|| "smtpchecker.keepalived.org".to_string()),
            }),
            Ck::Misc => {
                let Some(mut script) = misc_script else {
                    return perr(end, "MISC_CHECK needs a 'misc_path'");
                };
                if let Some((u, g)) = misc_user {
                    script.user = Some(u);
                    script.group = g;
                }
                RawKind::Misc {
                    script,
                    timeout: misc_timeout,
                    dynamic: misc_dynamic,
                }
            }
            Ck::Ping => RawKind::Ping,
            Ck::File => {
                let Some((name, name_pos)) = track else {
                    return perr(end, "FILE_CHECK needs a 'track_file'");
                };
                RawKind::File {
                    name,
                    name_pos,
                    weight: file_weight_v,
                }
            }
        };
        if hosts.is_empty() {
            return Ok(vec![c]);
        }
        // Deprecated SMTP_CHECK host{} blocks (check_smtp.c): each host is a checker with
        // the SMTP_CHECK's settings; the SMTP_CHECK itself is a checker only when it sets
        // its own connect_ip/connect_port/bindto/bind_port.
        // keepalived logs this at info level, no config complaint: a note, not a warning.
        self.note(
            s.kw.pos,
            "SMTP_CHECK host blocks are deprecated; each host is checked as its own SMTP_CHECK"
                .to_string(),
        );
        // Only an SMTP_CHECK has hosts.
        let RawKind::Smtp(smtp) = &c.kind else {
            return Ok(vec![c]);
        };
        let smtp = smtp.clone();
        let timers = c.timers;
        let mut out = Vec::new();
        if host_conn_set {
            out.push(c);
        }
        for mut h in hosts {
            h.kind = RawKind::Smtp(smtp.clone());
            h.timers = Timers {
                connect_timeout: h.timers.connect_timeout,
                ..timers
            };
            out.push(h);
        }
        Ok(out)
    }

    /// `misc_path`: keepalived 2.2.7 splits the line into quoted/escaped words and takes
    /// the first one as the whole command line (set_script_params_array on word 1), so
    /// `misc_path /bin/check arg` runs `/bin/check` alone: we do the same, and warn, since
    /// the arguments were surely meant (quote the command line to pass them).
    fn misc_path(&mut self, s: &Stmt) -> PResult<Script> {
        no_block(s)?;
        let usage = "a script path (quote it together with its arguments)";
        if s.args.is_empty() {
            return perr(s.kw.pos, format!("'misc_path' needs {}", usage));
        }
        let words = split_args(s, &raw_rest(s))?;
        if words.len() > 1 {
            let at = s.args.get(1).map(|t| t.pos).unwrap_or(s.args[0].pos);
            self.warn(
                at,
                format!(
                    "misc_path: '{}' ignored, as keepalived 2.2.7 does: only the first word is the command line (quote the whole command to pass arguments)",
                    words[1..].join(" ")
                ),
            );
        }
        let argv = command_argv(s, &words, usage)?;
        Ok(Script {
            argv,
            user: None,
            group: None,
        })
    }

    fn conn_kw(&mut self, s: &Stmt, k: Kw, c: &mut RawCheck) -> PResult<bool> {
        let kw = s.kw.text;
        match k {
            Kw::ConnectIp => set_ip(arg1(s, "an IP address")?, kw, &mut c.connect_ip)?,
            Kw::ConnectPort => c.connect_port = Some(port1(arg1(s, "a port number")?, kw)?),
            Kw::Bindto => {
                set_ip(arg1(s, "an IP address")?, kw, &mut c.bindto)?;
                c.bindto_pos = Some(s.kw.pos);
            }
            Kw::BindPort => c.bind_port = Some(port1(arg1(s, "a port number")?, kw)?),
            Kw::BindIf => {
                let t = arg1(s, "an interface name")?;
                let mut name = IfName::new();
                if t.text.is_empty() || name.push_str(t.text).is_err() {
                    return bad(t, kw, "an interface name of 1-15 bytes");
                }
                c.sock.bind_if = Some(name);
            }
            Kw::Fwmark => {
                let t = arg1(s, "a mark number")?;
                c.sock.fwmark = uint(t, kw, "a mark number (0-4294967295)", 0, u32::MAX)?;
            }
            Kw::ConnectTimeout => timer(s, kw, false, &mut c.timers.connect_timeout)?,
            _ => return Ok(false),
        }
        Ok(true)
    }
}

/// `weight <-2147483647..2147483647> [reverse|noreverse]` of track_file / FILE_CHECK.
fn file_weight(s: &Stmt) -> PResult<(i32, bool)> {
    no_block(s)?;
    nargs(s, 1, 2, "a weight and optionally 'reverse'")?;
    let w = int(
        &s.args[0],
        "weight",
        "a weight (-2147483647..2147483647)",
        -2_147_483_647,
        2_147_483_647,
    )?;
    let reverse = match s.args.get(1) {
        None => false,
        Some(t) => match Kw::of(t.text) {
            Kw::Reverse => true,
            Kw::Noreverse => false,
            _ => return bad(t, "weight", "'reverse' or 'noreverse' after the weight"),
        },
    };
    Ok((w, reverse))
}

/// PCRE2 options keepalived accepts in `regex_options` that have a counterpart in
/// lvsmon's regex engine, as the inline flag that sets it.
const REGEX_FLAGS: [(&str, char); 5] = [
    ("caseless", 'i'),
    ("multiline", 'm'),
    ("dotall", 's'),
    ("extended", 'x'),
    ("ungreedy", 'U'),
];
/// The other names keepalived's regex_options knows (check_http.c regex_options[]).
const REGEX_OTHER_OPTIONS: [&str; 19] = [
    "allow_empty_class",
    "alt_bsux",
    "auto_callout",
    "dollar_endonly",
    "dupnames",
    "firstline",
    "match_unset_backref",
    "never_ucp",
    "never_utf",
    "no_auto_capture",
    "no_auto_possess",
    "no_dotstar_anchor",
    "no_start_optimize",
    "ucp",
    "utf",
    "never_backslash_c",
    "alt_circumflex",
    "alt_verbnames",
    "use_offset_limit",
];

/// The url's regex settings as read, compiled at the end of the block.
#[derive(Default)]
struct RegexSpec<'t> {
    pattern: Option<(String, Pos)>,
    flags: String,
    no_match: bool,
    min_offset: Option<(u64, Pos)>,
    max_offset: Option<(u64, Pos)>,
    any_setting: Option<Pos>,
    _t: std::marker::PhantomData<&'t ()>,
}

fn regex_offset(st: &Stmt, kw: &str) -> PResult<(u64, Pos)> {
    let t = arg1(st, "a byte offset")?;
    Ok((
        u64::from(uint(t, kw, "a byte offset", 0, u32::MAX)?),
        st.kw.pos,
    ))
}

/// keepalived's url_check for the regex: settings without a `regex` are dropped with a
/// warning, a min offset above the max drops both, and the pattern is compiled (once,
/// here: a bad one is an error at its position).
fn finish_regex(spec: RegexSpec, warn: &mut Vec<(Pos, String)>) -> PResult<Option<UrlRegex>> {
    let Some((pattern, pos)) = spec.pattern else {
        if let Some(p) = spec.any_setting {
            warn.push((
                p,
                "regex settings without a 'regex' - ignored, as keepalived does".to_string(),
            ));
        }
        return Ok(None);
    };
    let (mut min, mut max) = (spec.min_offset, spec.max_offset);
    if let (Some((lo, p)), Some((hi, _))) = (min, max) {
        if lo > hi {
            warn.push((
                p,
                format!(
                    "regex_min_offset {} > regex_max_offset {} - both ignored, as keepalived does",
                    lo, hi
                ),
            ));
            min = None;
            max = None;
        }
    }
    let source = if spec.flags.is_empty() {
        pattern
    } else {
        format!("(?{}){}", spec.flags, pattern)
    };
    let re = compile_regex(&source, pos)?;
    Ok(Some(UrlRegex {
        source,
        re,
        no_match: spec.no_match,
        min_offset: min.map_or(0, |m| m.0),
        max_offset: max.map(|m| m.0),
    }))
}

/// Compiles a url's regex, once, when the config is read.
#[cfg(feature = "regex")]
fn compile_regex(source: &str, pos: Pos) -> PResult<crate::model::config::Regex> {
    regex_lite::Regex::new(source).or_else(|e| {
        let text = e.to_string();
        let last = text.lines().last().unwrap_or("").trim().to_string();
        perr(
            pos,
            format!(
                "'regex' does not compile: {} (lvsmon's regex has no look-around or back-references)",
                last
            ),
        )
    })
}

/// The size-tuned builds have no regex engine: `regex` is refused by name.
#[cfg(not(feature = "regex"))]
fn compile_regex(_: &str, pos: Pos) -> PResult<crate::model::config::Regex> {
    perr(
        pos,
        "'regex' needs lvsmon built with the regex feature (this size-tuned build has none)",
    )
}

/// One `url { }` block, and whether it says `tls_compliant` (SSL_GET only, as in
/// keepalived). Warnings (regex settings keepalived only logs about) go to `warn`.
fn url(s: &Stmt, ssl: bool, warn: &mut Vec<(Pos, String)>) -> PResult<(Url, bool)> {
    nargs(s, 0, 0, "a { } block")?;
    let body = need_block(s)?;
    let mut path = None;
    let mut digest = None;
    let mut status = StatusCodes::new();
    let mut virtualhost = None;
    let mut rx = RegexSpec::default();
    let mut compliant = false;
    body.each(&mut |st| {
        let kw = st.kw.text;
        match Kw::of(kw) {
            Kw::TlsCompliant if ssl => compliant = strict_bool(st)?,
            Kw::Path => set_string(st, "a URL path", &mut path)?,
            Kw::Digest => {
                let t = arg1(st, "32 hex digits (an MD5 digest)")?;
                let b = t.text.as_bytes();
                if b.len() != 32 || !b.iter().all(u8::is_ascii_hexdigit) {
                    return bad(t, kw, "32 hex digits (an MD5 digest)");
                }
                let mut d = [0u8; 16];
                for (i, pair) in b.chunks(2).enumerate() {
                    let hi = (pair[0] as char).to_digit(16).unwrap_or(0);
                    let lo = (pair[1] as char).to_digit(16).unwrap_or(0);
                    d[i] = (hi * 16 + lo) as u8;
                }
                digest = Some(d);
            }
            Kw::StatusCode => {
                no_block(st)?;
                if st.args.is_empty() {
                    return perr(
                        st.kw.pos,
                        "'status_code' needs codes or ranges like 200 or 200-299",
                    );
                }
                for t in st.args {
                    let usage = "an HTTP status code (100-599) or a range like 200-299";
                    let (lo, hi) = match t.text.split_once('-') {
                        Some((a, b)) => (parse_u64(a), parse_u64(b)),
                        None => (parse_u64(t.text), parse_u64(t.text)),
                    };
                    let (Some(lo), Some(hi)) = (lo, hi) else {
                        return bad(t, kw, usage);
                    };
                    if !(100..=599).contains(&lo) || !(100..=599).contains(&hi) || lo > hi {
                        return bad(t, kw, usage);
                    }
                    if status.push((lo as u16, hi as u16)).is_err() {
                        return perr(
                            t.pos,
                            format!(
                                "more than MAX_STATUS_RANGES ({}) status codes/ranges in one url",
                                MAX_STATUS_RANGES
                            ),
                        );
                    }
                }
            }
            Kw::Virtualhost => set_string(st, "a host name", &mut virtualhost)?,
            // keepalived reads the pattern as a quoted, escaped string (one word).
            Kw::Regex => {
                no_block(st)?;
                let usage = "one pattern (quote it)";
                if st.args.is_empty() {
                    return perr(st.kw.pos, format!("'regex' needs {}", usage));
                }
                let words = split_args(st, &raw_rest(st))?;
                if words.len() != 1 {
                    let at = st.args.get(1).unwrap_or(&st.args[0]);
                    return perr(at.pos, format!("'regex' needs {}", usage));
                }
                rx.pattern = words.into_iter().next().map(|w| (w, st.args[0].pos));
            }
            Kw::RegexNoMatch => {
                flag(st)?;
                rx.no_match = true;
                rx.any_setting.get_or_insert(st.kw.pos);
            }
            Kw::RegexOptions => {
                no_block(st)?;
                for t in st.args {
                    if let Some((_, f)) = REGEX_FLAGS.iter().find(|(n, _)| *n == t.text) {
                        if !rx.flags.contains(*f) {
                            rx.flags.push(*f);
                        }
                    } else if REGEX_OTHER_OPTIONS.contains(&t.text) {
                        warn.push((
                            t.pos,
                            format!(
                                "regex option '{}' has no effect in lvsmon's regex engine",
                                t.text
                            ),
                        ));
                    } else {
                        warn.push((
                            t.pos,
                            format!(
                                "unknown regex option '{}' ignored, as keepalived ignores it",
                                t.text
                            ),
                        ));
                    }
                }
                rx.any_setting.get_or_insert(st.kw.pos);
            }
            Kw::RegexMinOffset => {
                rx.min_offset = Some(regex_offset(st, kw)?);
                rx.any_setting.get_or_insert(st.kw.pos);
            }
            Kw::RegexMaxOffset => {
                rx.max_offset = Some(regex_offset(st, kw)?);
                rx.any_setting.get_or_insert(st.kw.pos);
            }
            Kw::RegexStack => {
                no_block(st)?;
                nargs(st, 2, 2, "a start and a maximum size")?;
                // Any 64-bit number.
                for t in st.args {
                    if parse_u64(t.text).is_none() {
                        return bad(t, kw, "a size");
                    }
                }
                warn.push((
                    st.kw.pos,
                    "regex_stack ignored: it sizes PCRE2's JIT stack, which lvsmon's regex engine does not have".to_string(),
                ));
            }
            _ => return Err(unknown(st.kw, "in url")),
        }
        Ok(())
    })?;
    let Some(path) = path else {
        return perr(s.kw.pos, "url block needs a 'path'");
    };
    let regex = finish_regex(rx, warn)?;
    Ok((
        Url {
            path,
            digest,
            status,
            virtualhost,
            regex,
        },
        compliant,
    ))
}

fn lvs_timeouts(s: &Stmt) -> PResult<LvsTimeouts> {
    no_block(s)?;
    let usage = "[tcp SECS] [tcpfin SECS] [udp SECS]";
    if s.args.is_empty() {
        return perr(
            s.kw.pos,
            format!("'lvs_timeouts' needs at least one of {}", usage),
        );
    }
    let mut t = LvsTimeouts {
        tcp: None,
        tcpfin: None,
        udp: None,
    };
    let mut i = 0;
    while i < s.args.len() {
        let k = &s.args[i];
        let Some(v) = s.args.get(i + 1) else {
            return perr(
                k.pos,
                format!("'{}' in lvs_timeouts needs a number of seconds", k.text),
            );
        };
        let secs = uint(v, k.text, "a number of seconds", 0, u32::MAX)?;
        match Kw::of(k.text) {
            Kw::Tcp => t.tcp = Some(secs),
            Kw::Tcpfin => t.tcpfin = Some(secs),
            Kw::Udp => t.udp = Some(secs),
            _ => {
                return perr(
                    k.pos,
                    format!(
                        "unexpected '{}' in lvs_timeouts (expected {})",
                        k.text, usage
                    ),
                )
            }
        }
        i += 2;
    }
    Ok(t)
}

/// A virtual_server_group address entry: `A`, `A-N` (last octet / last IPv6 group, hex),
/// `A-B` (full end address) or `A/len` (the whole prefix; host bits must be zero).
/// Worked on octets, for code size: u128 shifts and masks are long on 32-bit targets.
fn addr_range(t: &Token) -> PResult<(IpAddr, IpAddr)> {
    let text = t.text;
    let usage = "an address, a range (a.b.c.d-e, a.b.c.d-e.f.g.h) or a prefix (a.b.c.d/nn)";
    let badr = || bad::<(IpAddr, IpAddr)>(t, "virtual_server_group", usage);
    if let Some((a, len)) = text.split_once('/') {
        let Ok(addr) = a.parse::<IpAddr>() else {
            return badr();
        };
        let (mut o, n) = octets(addr);
        let Some(len) = parse_u64(len).filter(|l| (1..=n as u64 * 8).contains(l)) else {
            return badr();
        };
        // Each octet's host bits (those past the prefix) must be zero; the end sets them.
        let mut host_set = false;
        for (i, b) in o.iter_mut().take(n).enumerate() {
            let host = (0xff_u16 >> (len as usize).saturating_sub(i * 8).min(8)) as u8;
            host_set |= *b & host != 0;
            *b |= host;
        }
        if host_set {
            return perr(
                t.pos,
                format!("'{}': address has host bits set for /{}", text, len),
            );
        }
        return Ok((addr, ip_of(o, n)));
    }
    if let Some((a, b)) = text.split_once('-') {
        let Ok(start) = a.parse::<IpAddr>() else {
            return badr();
        };
        let (mut o, n) = octets(start);
        let end = if b.contains(if n == 4 { '.' } else { ':' }) {
            match b.parse::<IpAddr>() {
                Ok(e) if e.is_ipv4() == (n == 4) => e,
                _ => return badr(),
            }
        } else {
            if n == 4 {
                let Some(last) = parse_u64(b).filter(|v| *v <= 255) else {
                    return badr();
                };
                o[3] = last as u8;
            } else {
                let Ok(last) = u16::from_str_radix(b, 16) else {
                    return badr();
                };
                o[14..].copy_from_slice(&last.to_be_bytes());
            }
            ip_of(o, n)
        };
        // Within one family, `IpAddr`'s order is the numeric one.
        if start >= end {
            return perr(
                t.pos,
                format!("'{}': the range end is not greater than its start", text),
            );
        }
        return Ok((start, end));
    }
    match text.parse::<IpAddr>() {
        Ok(a) => Ok((a, a)),
        Err(_) => badr(),
    }
}

/// An address's octets (an IPv4 one in the first 4) and how many there are.
fn octets(a: IpAddr) -> ([u8; 16], usize) {
    match a {
        IpAddr::V4(v4) => {
            let mut o = [0; 16];
            o[..4].copy_from_slice(&v4.octets());
            (o, 4)
        }
        IpAddr::V6(v6) => (v6.octets(), 16),
    }
}

/// `octets`' inverse.
fn ip_of(o: [u8; 16], n: usize) -> IpAddr {
    if n == 4 {
        IpAddr::V4(Ipv4Addr::new(o[0], o[1], o[2], o[3]))
    } else {
        IpAddr::V6(o.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vsg_address_ranges() {
        use crate::config::lex::TokKind;
        let r = |text: &str| {
            let t = Token {
                kind: TokKind::Word,
                text,
                raw: text,
                quoted: false,
                gap: "",
                pos: Pos::default(),
                line_start: true,
            };
            addr_range(&t)
                .map(|(a, b)| format!("{} {}", a, b))
                .map_err(|e| e.msg.clone())
        };
        for (text, want) in [
            ("192.0.2.0/24", "192.0.2.0 192.0.2.255"),
            ("192.0.2.7/32", "192.0.2.7 192.0.2.7"),
            ("128.0.0.0/1", "128.0.0.0 255.255.255.255"),
            ("192.0.2.8/29", "192.0.2.8 192.0.2.15"),
            ("2001:db8::/64", "2001:db8:: 2001:db8::ffff:ffff:ffff:ffff"),
            ("2001:db8::/127", "2001:db8:: 2001:db8::1"),
            ("2001:db8::1/128", "2001:db8::1 2001:db8::1"),
            ("::/1", ":: 7fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"),
            ("192.0.2.1-10", "192.0.2.1 192.0.2.10"),
            ("192.0.2.1-192.0.3.1", "192.0.2.1 192.0.3.1"),
            ("2001:db8::1-ff", "2001:db8::1 2001:db8::ff"),
            ("2001:db8::1:1-2", "2001:db8::1:1 2001:db8::1:2"),
            ("2001:db8::1-2001:db8::1:0", "2001:db8::1 2001:db8::1:0"),
            ("192.0.2.1", "192.0.2.1 192.0.2.1"),
        ] {
            assert_eq!(r(text), Ok(want.to_string()), "{}", text);
        }
        for text in [
            "0.0.0.0/0",
            "192.0.2.0/33",
            "2001:db8::/129",
            "2001:db8::/x",
            "192.0.2.1-256",
            "192.0.2.1-2001:db8::2",
            "2001:db8::1-1.2.3.4",
            "2001:db8::1-10000",
            "x-1",
            "x",
        ] {
            let e = r(text).unwrap_err();
            assert!(
                e.starts_with("'virtual_server_group' needs"),
                "{}: {}",
                text,
                e
            );
        }
        assert_eq!(
            r("2001:db8::1/64").unwrap_err(),
            "'2001:db8::1/64': address has host bits set for /64"
        );
        assert_eq!(
            r("192.0.2.1/31").unwrap_err(),
            "'192.0.2.1/31': address has host bits set for /31"
        );
        for text in ["2001:db8::5-4", "192.0.2.1-192.0.2.1", "192.0.2.9-1"] {
            assert_eq!(
                r(text).unwrap_err(),
                format!("'{}': the range end is not greater than its start", text)
            );
        }
    }

    #[test]
    fn timers() {
        let t = |s: &str| parse_timer(s).map(|d| d.as_micros());
        assert_eq!(t("3"), Some(3_000_000));
        assert_eq!(t("2.71828"), Some(2_718_280));
        assert_eq!(t("0.000001"), Some(1));
        assert_eq!(t("1.0000019"), Some(1_000_001));
        assert_eq!(t(".5"), Some(500_000));
        assert_eq!(t("5."), Some(5_000_000));
        assert_eq!(t("0"), Some(0));
        for bad in [
            "",
            ".",
            "-1",
            "1e3",
            "1.2.3",
            "abc",
            "4294967296",
            "1,5",
            " 1",
        ] {
            assert_eq!(t(bad), None, "{:?}", bad);
        }
    }
}
