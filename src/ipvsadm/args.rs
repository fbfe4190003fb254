//! ipvsadm 1.31's command line, parsed the way its popt-based `parse_options` and
//! `process_options` do: popt's option syntax (short clusters, `-t=x`, `--long=x`, no
//! abbreviations, `--` ends options, stray words are leftovers), the option-by-option
//! state changes in command-line order, the command/option matrix (read from the Debian
//! 1.31 binary's `commands_v_options` table), and every message and exit code it prints
//! before talking to the kernel. The result is a validated `IpvsadmCommand` or an `Early`
//! exit carrying ipvsadm's exact text. Recorded behaviour of the real binary lives in
//! tests/data/ipvsadm/fixtures.txt.
//! One file (about 1 500 lines) on purpose: popt's option walk and ipvsadm's per-option
//! state changes share one state, and the matrix check reads what both left.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use crate::ipvs::rule::{
    svc_flags, DestSpec, Family, Forward, Op, PeName, Protocol, SchedName, ServiceKey, ServiceSpec,
    SyncDaemonSpec, SyncState, Timeouts, TunnelSpec, TunnelType,
};
use crate::ipvsadm::names::{atoi, inet_aton, proto_word, string_to_number, strtol_whole, Names};

/// `--persistent` without a value: libipvs's IPVS_SVC_PERSISTENT_TIMEOUT, 6 * 60 s (Debian
/// ipvsadm 1.31 on a real kernel writes `-p 360`).
pub const DEFAULT_PERSISTENT_TIMEOUT: u32 = 360;
/// MAX_TIMEOUT in ipvsadm.c: 31 days.
pub const MAX_TIMEOUT: i64 = 86400 * 31;
const DEF_SCHED: &str = "wlc";
const DEF_MCAST_IFN: &str = "eth0";

/// ipvsadm's commands, in its CMD_* order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cmd {
    Add,
    Edit,
    Del,
    Flush,
    List,
    AddDest,
    DelDest,
    EditDest,
    Timeout,
    StartDaemon,
    StopDaemon,
    Restore,
    Save,
    Zero,
}

const CMD_NAMES: [&str; 14] = [
    "add-service",
    "edit-service",
    "delete-service",
    "flush",
    "list",
    "add-server",
    "delete-server",
    "edit-server",
    "set",
    "start-daemon",
    "stop-daemon",
    "restore",
    "save",
    "zero",
];

/// OPTC_* indices of ipvsadm.c; `1 << index` is the option bit.
pub mod optc {
    pub const NUMERIC: u32 = 0;
    pub const CONNECTION: u32 = 1;
    pub const SERVICE: u32 = 2;
    pub const SCHEDULER: u32 = 3;
    pub const PERSISTENT: u32 = 4;
    pub const NETMASK: u32 = 5;
    pub const SERVER: u32 = 6;
    pub const FORWARD: u32 = 7;
    pub const WEIGHT: u32 = 8;
    pub const UTHRESHOLD: u32 = 9;
    pub const LTHRESHOLD: u32 = 10;
    pub const MCAST: u32 = 11;
    pub const TIMEOUT: u32 = 12;
    pub const DAEMON: u32 = 13;
    pub const STATS: u32 = 14;
    pub const RATE: u32 = 15;
    pub const THRESHOLDS: u32 = 16;
    pub const PERSISTENTCONN: u32 = 17;
    pub const NOSORT: u32 = 18;
    pub const SYNCID: u32 = 19;
    pub const EXACT: u32 = 20;
    pub const ONEPACKET: u32 = 21;
    pub const PERSISTENCE_ENGINE: u32 = 22;
    pub const SCHED_FLAGS: u32 = 23;
    pub const MCAST_GROUP: u32 = 24;
    pub const MCAST_PORT: u32 = 25;
    pub const MCAST_TTL: u32 = 26;
    pub const SYNC_MAXLEN: u32 = 27;
    pub const TUN_INFO: u32 = 28;
    pub const TUN_TYPE: u32 = 29;
    pub const TUN_PORT: u32 = 30;
    pub const TUN_NOCSUM: u32 = 31;
    pub const TUN_CSUM: u32 = 32;
    pub const TUN_REMCSUM: u32 = 33;
}

const OPT_NAMES: [&str; 34] = [
    "numeric",
    "connection",
    "service-address",
    "scheduler",
    "persistent",
    "netmask",
    "real-server",
    "forwarding-method",
    "weight",
    "u-threshold",
    "l-threshold",
    "mcast-interface",
    "timeout",
    "daemon",
    "stats",
    "rate",
    "thresholds",
    "persistent-conn",
    "nosort",
    "syncid",
    "exact",
    "ops",
    "pe",
    "sched-flags",
    "mcast-group",
    "mcast-port",
    "mcast-ttl",
    "sync-maxlen",
    "tun-info",
    "tun-type",
    "tun-port",
    "tun-nocsum",
    "tun-csum",
    "tun-remcsum",
];

/// commands_v_options of the Debian 1.31 binary ('+' compulsory, 'x' illegal, '1' at most
/// one of the '1's, ' ' optional), one row per Cmd, one column per OPTC_*.
const MATRIX: [&[u8; 34]; 14] = [
    b"xx+   xxxxxxxxxxxxxxx   xxxxxxxxxx",
    b"xx+   xxxxxxxxxxxxxxx   xxxxxxxxxx",
    b"xx+xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
    b"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
    b" 11xxxxxxxxx11       xxxxxxx xxxxx",
    b"xx+xxx+    xxxxxxxxxxxxxxxxxx     ",
    b"xx+xxx+xxxxxxxxxxxxxxxxxxxxxxxxxxx",
    b"xx+xxx+    xxxxxxxxxxxxxxxxxx     ",
    b"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
    b"xxxxxxxxxxx xxxxxxx xxxx    xxxxxx",
    b"xxxxxxxxxxxxxxxxxxx xxxxxxxxxxxxxx",
    b"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
    b" xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
    b"xx xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
];

const TUN_NAMES: [&str; 3] = ["ipip", "gue", "gre"];
/// tunnel_types_v_options: columns tun-port, tun-nocsum, tun-csum, tun-remcsum.
const TUN_MATRIX: [&[u8; 4]; 3] = [b"xxxx", b"+111", b"x11x"];
const TUN_OPTS: [u32; 4] = [
    optc::TUN_PORT,
    optc::TUN_NOCSUM,
    optc::TUN_CSUM,
    optc::TUN_REMCSUM,
];

/// IP_VS_TUNNEL_ENCAP_FLAG_* (ip_vs.h).
pub mod tun_flags {
    pub const NOCSUM: u16 = 0;
    pub const CSUM: u16 = 1 << 0;
    pub const REMCSUM: u16 = 1 << 1;
}

/// FMT_* bits of ipvsadm.c: how a listing is printed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Format {
    pub numeric: bool,
    pub rule: bool,
    pub stats: bool,
    pub rate: bool,
    pub thresholds: bool,
    pub persistent_conn: bool,
    pub nosort: bool,
    pub exact: bool,
    pub tun_info: bool,
}

/// What `-L` shows, after ipvsadm's precedence (-c, then a service, then --timeout,
/// then --daemon, else the whole table).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ListWhat {
    Connections,
    Service(ServiceKey),
    Timeouts,
    Daemons,
    All,
}

/// A validated command line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IpvsadmCommand {
    /// A change to the table (every command but -L, -S, -R).
    Apply(Op),
    List(ListWhat, Format),
    Save(Format),
    Restore,
}

/// How ipvsadm ends before (or instead of) touching the kernel. Boxed, for code size:
/// every `?` in the parser moved the eight-word `Exit` through its Result (-2.1 KB on
/// mipsel); the box is made only when a command line is refused (or is -h / -v).
pub type Early = Box<Exit>;

/// Text for stdout and stderr and the exit code. `fatal` is false only for popt errors
/// after the command option, which make `parse_options` return -1 instead of exiting
/// (so `-R` goes on with the next line).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Exit {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    pub fatal: bool,
}

impl Exit {
    /// ipvsadm's `fail(2, ...)`: the message and a newline on stderr, exit code 2. One
    /// out-of-line function taking `format_args!`, for code size (each site built and
    /// concatenated its own String: -0.5 KB on mipsel).
    #[inline(never)]
    fn fail(msg: fmt::Arguments<'_>) -> Early {
        Box::new(Exit {
            code: 2,
            stdout: String::new(),
            stderr: format!("{msg}\n"),
            fatal: true,
        })
    }

    fn tryhelp(program: &str) -> Early {
        Box::new(Exit {
            code: 255,
            stdout: String::new(),
            stderr: format!("Try `{program} -h' or '{program} --help' for more information.\n"),
            fatal: true,
        })
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ArgKind {
    None,
    Required,
    Optional,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Tag {
    Short(u8),
    Set,
    StartDaemon,
    StopDaemon,
    McastInterface,
    Timeout,
    Daemon,
    Stats,
    Rate,
    Thresholds,
    PersistentConn,
    Sort,
    NoSort,
    Pe,
    Sctp,
    McastGroup,
    McastPort,
    McastTtl,
    SyncMaxlen,
    TunInfo,
    TunType,
    TunPort,
    TunNocsum,
    TunCsum,
    TunRemcsum,
}

struct OptDef {
    long: &'static str,
    short: u8,
    kind: ArgKind,
    tag: Tag,
    /// The OPTC_* bit the option sets (set_option), or NO_OPTC.
    optc: u8,
}

const NO_OPTC: u32 = u8::MAX as u32;

const fn o(long: &'static str, short: u8, kind: ArgKind, tag: Tag, optc: u32) -> OptDef {
    OptDef {
        long,
        short,
        kind,
        tag,
        optc: optc as u8,
    }
}

use ArgKind::{None as N, Optional as Opt, Required as Req};
use Tag::Short as S;

/// ipvsadm's popt option table, in its order (order matters: the first match wins).
const TABLE: &[OptDef] = &[
    o("add-service", b'A', N, S(b'A'), NO_OPTC),
    o("edit-service", b'E', N, S(b'E'), NO_OPTC),
    o("delete-service", b'D', N, S(b'D'), NO_OPTC),
    o("clear", b'C', N, S(b'C'), NO_OPTC),
    o("list", b'L', N, S(b'L'), NO_OPTC),
    o("list", b'l', N, S(b'l'), NO_OPTC),
    o("zero", b'Z', N, S(b'Z'), NO_OPTC),
    o("add-server", b'a', N, S(b'a'), NO_OPTC),
    o("edit-server", b'e', N, S(b'e'), NO_OPTC),
    o("delete-server", b'd', N, S(b'd'), NO_OPTC),
    o("set", 0, N, Tag::Set, NO_OPTC),
    o("help", b'h', N, S(b'h'), NO_OPTC),
    o("version", b'v', N, S(b'v'), NO_OPTC),
    o("restore", b'R', N, S(b'R'), NO_OPTC),
    o("save", b'S', N, S(b'S'), NO_OPTC),
    o("start-daemon", 0, Req, Tag::StartDaemon, NO_OPTC),
    o("stop-daemon", 0, Req, Tag::StopDaemon, NO_OPTC),
    o("tcp-service", b't', Req, S(b't'), optc::SERVICE),
    o("udp-service", b'u', Req, S(b'u'), optc::SERVICE),
    o("sctp-service", 0, Req, Tag::Sctp, optc::SERVICE),
    o("fwmark-service", b'f', Req, S(b'f'), optc::SERVICE),
    o("scheduler", b's', Req, S(b's'), optc::SCHEDULER),
    o("persistent", b'p', Opt, S(b'p'), optc::PERSISTENT),
    o("netmask", b'M', Req, S(b'M'), optc::NETMASK),
    o("real-server", b'r', Req, S(b'r'), optc::SERVER),
    o("masquerading", b'm', N, S(b'm'), optc::FORWARD),
    o("ipip", b'i', N, S(b'i'), optc::FORWARD),
    o("gatewaying", b'g', N, S(b'g'), optc::FORWARD),
    o("weight", b'w', Req, S(b'w'), optc::WEIGHT),
    o("u-threshold", b'x', Req, S(b'x'), optc::UTHRESHOLD),
    o("l-threshold", b'y', Req, S(b'y'), optc::LTHRESHOLD),
    o("numeric", b'n', N, S(b'n'), optc::NUMERIC),
    o("connection", b'c', N, S(b'c'), optc::CONNECTION),
    o("mcast-interface", 0, Req, Tag::McastInterface, optc::MCAST),
    o("syncid", 0, Req, S(b'I'), optc::SYNCID),
    o("timeout", 0, N, Tag::Timeout, optc::TIMEOUT),
    o("daemon", 0, N, Tag::Daemon, optc::DAEMON),
    o("stats", 0, N, Tag::Stats, optc::STATS),
    o("rate", 0, N, Tag::Rate, optc::RATE),
    o("thresholds", 0, N, Tag::Thresholds, optc::THRESHOLDS),
    o(
        "persistent-conn",
        0,
        N,
        Tag::PersistentConn,
        optc::PERSISTENTCONN,
    ),
    o("nosort", 0, N, Tag::NoSort, optc::NOSORT),
    o("sort", 0, N, Tag::Sort, NO_OPTC),
    o("exact", b'X', N, S(b'X'), optc::EXACT),
    o("ipv6", b'6', N, S(b'6'), NO_OPTC),
    o("ops", b'o', N, S(b'o'), optc::ONEPACKET),
    o("pe", 0, Req, Tag::Pe, optc::PERSISTENCE_ENGINE),
    o("sched-flags", b'b', Req, S(b'b'), optc::SCHED_FLAGS),
    o("mcast-group", 0, Req, Tag::McastGroup, optc::MCAST_GROUP),
    o("mcast-port", 0, Req, Tag::McastPort, optc::MCAST_PORT),
    o("mcast-ttl", 0, Req, Tag::McastTtl, optc::MCAST_TTL),
    o("sync-maxlen", 0, Req, Tag::SyncMaxlen, optc::SYNC_MAXLEN),
    o("tun-info", 0, N, Tag::TunInfo, optc::TUN_INFO),
    o("tun-type", 0, Req, Tag::TunType, optc::TUN_TYPE),
    o("tun-port", 0, Req, Tag::TunPort, optc::TUN_PORT),
    o("tun-nocsum", 0, N, Tag::TunNocsum, optc::TUN_NOCSUM),
    o("tun-csum", 0, N, Tag::TunCsum, optc::TUN_CSUM),
    o("tun-remcsum", 0, N, Tag::TunRemcsum, optc::TUN_REMCSUM),
];

/// popt errors (poptStrerror texts of popt 1.19).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum PoptError {
    NoArg,
    BadOpt,
    UnwantedArg,
}

impl PoptError {
    fn text(self) -> &'static str {
        match self {
            PoptError::NoArg => "missing argument",
            PoptError::BadOpt => "unknown option",
            PoptError::UnwantedArg => "option does not take an argument",
        }
    }
}

/// The part of popt's poptGetNextOpt that ipvsadm's table exercises.
struct Popt<'a> {
    argv: &'a [&'a str],
    next: usize,
    /// Rest of a short-option cluster (byte offset into argv[next - 1]).
    cluster: Option<(usize, usize)>,
    rest_leftover: bool,
    leftovers: Vec<&'a str>,
}

impl<'a> Popt<'a> {
    fn new(argv: &'a [&'a str]) -> Popt<'a> {
        Popt {
            argv,
            next: 1,
            cluster: None,
            rest_leftover: false,
            leftovers: Vec::new(),
        }
    }

    /// poptBadOption(con, POPT_BADOPTION_NOALIAS): the last argv word consumed.
    fn bad_option(&self) -> &'a str {
        if self.next > 0 {
            self.argv[self.next - 1]
        } else {
            ""
        }
    }

    /// Ok(None) at the end; Ok(Some((option, optarg))) per option.
    #[allow(clippy::type_complexity)]
    fn next_opt(&mut self) -> Result<Option<(&'static OptDef, Option<&'a str>)>, PoptError> {
        // Bounded: each pass consumes an argv word or a cluster character.
        loop {
            let (def, long_arg): (&'static OptDef, Option<&'a str>) = match self.cluster.take() {
                None => {
                    if self.next >= self.argv.len() {
                        return Ok(None);
                    }
                    let word = self.argv[self.next];
                    self.next += 1;
                    if self.rest_leftover || !word.starts_with('-') || word == "-" {
                        self.leftovers.push(word);
                        continue;
                    }
                    if word == "--" {
                        self.rest_leftover = true;
                        continue;
                    }
                    if let Some(long) = word.strip_prefix("--") {
                        let (name, arg) = match long.split_once('=') {
                            Some((n, a)) => (n, Some(a)),
                            None => (long, None),
                        };
                        match TABLE.iter().find(|d| d.long == name) {
                            Some(d) => (d, arg),
                            None => return Err(PoptError::BadOpt),
                        }
                    } else {
                        // One dash: popt matches long names only for ONEDASH options
                        // (ipvsadm has none), so this is a cluster of short options.
                        self.cluster = Some((self.next - 1, 1));
                        continue;
                    }
                }
                Some((w, off)) => {
                    let word = self.argv[w];
                    let c = word.as_bytes()[off];
                    let Some(d) = short_opt(c) else {
                        return Err(PoptError::BadOpt);
                    };
                    // "-x=VALUE": what follows '=' is the option's argument (popt
                    // reports it as unwanted for options without one); otherwise the
                    // cluster goes on with the next character.
                    let rest = off + 1;
                    if word.as_bytes().get(rest) == Some(&b'=') {
                        (d, Some(&word[rest + 1..]))
                    } else {
                        if rest < word.len() {
                            self.cluster = Some((w, rest));
                        }
                        (d, None)
                    }
                }
            };
            if def.kind == ArgKind::None {
                if long_arg.is_some() {
                    return Err(PoptError::UnwantedArg);
                }
                return Ok(Some((def, None)));
            }
            if let Some(a) = long_arg {
                return Ok(Some((def, Some(a))));
            }
            if let Some((w, off)) = self.cluster.take() {
                let word = self.argv[w];
                return Ok(Some((def, Some(word.get(off..).unwrap_or("")))));
            }
            if self.next >= self.argv.len() {
                if def.kind == ArgKind::Optional {
                    return Ok(Some((def, None)));
                }
                return Err(PoptError::NoArg);
            }
            let word = self.argv[self.next];
            if def.kind == ArgKind::Optional && word.starts_with('-') {
                return Ok(Some((def, None)));
            }
            self.next += 1;
            return Ok(Some((def, Some(word))));
        }
    }
}

/// TABLE's first entry for each short option byte (+1; 0: none), built at compile time
/// so that a short option costs one index instead of a scan of the table.
const SHORT_INDEX: [u8; 128] = {
    let mut idx = [0u8; 128];
    let mut i = TABLE.len();
    // Backwards, so that the first entry for a byte is the one left (popt's first match).
    while i > 0 {
        i -= 1;
        let c = TABLE[i].short;
        if c != 0 && c < 128 {
            idx[c as usize] = (i + 1) as u8;
        }
    }
    idx
};

/// popt's search of the table for a short option: the first entry with that letter.
fn short_opt(c: u8) -> Option<&'static OptDef> {
    match SHORT_INDEX.get(c as usize) {
        Some(&i) if i != 0 => Some(&TABLE[i as usize - 1]),
        _ => None,
    }
}

/// The service as ipvsadm's `ipvs_service_t` holds it while options are parsed. The
/// names borrow from the command line.
#[derive(Clone, Copy, Debug)]
struct SvcState<'a> {
    af: u16,
    protocol: u16,
    addr: IpAddr,
    port: u16,
    fwmark: u32,
    sched: &'a str,
    flags: u32,
    timeout: u32,
    /// Network-order bytes for IPv4 (as inet_aton leaves them), prefix length for IPv6.
    netmask: u32,
    pe: &'a str,
}

#[derive(Clone, Debug)]
struct DestState {
    af: u16,
    addr: IpAddr,
    port: u16,
    fwd: Forward,
    weight: i32,
    u_threshold: u32,
    l_threshold: u32,
    tun_type: usize,
    tun_port: u16,
    tun_flags: u16,
}

const AF_INET: u16 = libc::AF_INET as u16;
const AF_INET6: u16 = libc::AF_INET6 as u16;

struct Entry<'a> {
    cmd: Option<Cmd>,
    svc: SvcState<'a>,
    dest: DestState,
    timeouts: Timeouts,
    daemon: SyncDaemonSpec,
    options: u64,
    format: Format,
}

fn cmd_index(c: Cmd) -> usize {
    c as usize
}

fn set_option(options: &mut u64, optc: u32) -> Result<(), Early> {
    let bit = 1u64 << optc;
    if *options & bit != 0 {
        return Err(Exit::fail(format_args!(
            "multiple '{}' options specified",
            OPT_NAMES[optc as usize]
        )));
    }
    *options |= bit;
    Ok(())
}

fn has(options: u64, optc: u32) -> bool {
    options & (1u64 << optc) != 0
}

/// SERVICE_ADDR / SERVICE_PORT of ipvsadm's parse_service.
const SERVICE_ADDR: u8 = 1;
const SERVICE_PORT: u8 = 2;

/// parse_service(): address, optional port (number or service name for `protocol`).
fn parse_service(buf: &str, svc: &mut SvcState, names: &Names) -> u8 {
    if buf.bytes().all(|b| b.is_ascii_digit()) {
        return 0;
    }
    let mut host = buf;
    let mut port_str: Option<&str> = None;
    if let Some(inner) = buf.strip_prefix('[') {
        let Some(close) = inner.find(']') else {
            return 0;
        };
        let after = &inner[close + 1..];
        let Some(p) = after.strip_prefix(':') else {
            return 0;
        };
        host = &inner[..close];
        port_str = Some(p);
    }
    // Every IPv6 text has at least two colons ("::" at least); skipping the parse for the
    // others changes no result.
    let v6 = if host.bytes().filter(|&b| b == b':').count() >= 2 {
        host.parse::<Ipv6Addr>().ok()
    } else {
        None
    };
    if let Some(a6) = v6 {
        svc.addr = IpAddr::V6(a6);
        svc.af = AF_INET6;
        svc.netmask = 128;
    } else {
        // ipvsadm re-searches the (bracket-stripped) host for the port separator here.
        port_str = None;
        if let Some(i) = host.bytes().rposition(|b| b == b':') {
            port_str = Some(&host[i + 1..]);
            host = &host[..i];
        }
        let a4 = match inet_aton(host) {
            Some(a) => a,
            None => match names.host_v4(host) {
                Some(a) => a,
                None => return 0,
            },
        };
        svc.addr = IpAddr::V4(a4);
        svc.af = AF_INET;
    }
    let mut result = SERVICE_ADDR;
    if let Some(p) = port_str {
        result |= SERVICE_PORT;
        if let Some(n) = string_to_number(p, 0, 65535) {
            svc.port = n as u16;
        } else if let Some(n) = proto_word(svc.protocol).and_then(|w| names.port_of(p, w)) {
            svc.port = n;
        } else {
            return 0;
        }
    }
    result
}

fn parse_timeout(buf: Option<&str>, min: i64, max: i64) -> Result<u32, Early> {
    let Some(b) = buf else {
        return Ok(DEFAULT_PERSISTENT_TIMEOUT);
    };
    match string_to_number(b, min, max) {
        Some(n) => Ok(n as u32),
        None => Err(Exit::fail(format_args!(
            "invalid timeout value `{b}' specified"
        ))),
    }
}

fn parse_fwmark(buf: &str) -> Result<u32, Early> {
    match strtol_whole(buf) {
        Some(n) if n > 0 && n <= u32::MAX as i64 => Ok(n as u32),
        _ => Err(Exit::fail(format_args!(
            "invalid fwmark value `{buf}' specified"
        ))),
    }
}

/// The -b flags: name, bit, and the scheduler it needs ("": any).
const SCHED_FLAGS: [(&str, u32, &str); 7] = [
    ("flag-1", svc_flags::SCHED1, ""),
    ("flag-2", svc_flags::SCHED2, ""),
    ("flag-3", svc_flags::SCHED3, ""),
    ("sh-fallback", svc_flags::SCHED_SH_FALLBACK, "sh"),
    ("sh-port", svc_flags::SCHED_SH_PORT, "sh"),
    ("mh-fallback", svc_flags::SCHED_MH_FALLBACK, "mh"),
    ("mh-port", svc_flags::SCHED_MH_PORT, "mh"),
];

fn parse_sched_flags(sched: &str, arg: &str) -> Result<u32, Early> {
    let sched = if sched.is_empty() { DEF_SCHED } else { sched };
    let mut flags = 0;
    // strtok skips empty tokens; the token count is bounded by the argument length.
    for flag in arg.split(',').filter(|f| !f.is_empty()) {
        let Some(&(_, bit, needs)) = SCHED_FLAGS.iter().find(|(name, ..)| *name == flag) else {
            return Err(Exit::fail(format_args!("invalid scheduler flag `{flag}'")));
        };
        flags |= bit;
        if !needs.is_empty() && sched != needs {
            return Err(Exit::fail(format_args!(
                "incompatible scheduler flag `{flag}'"
            )));
        }
    }
    Ok(flags)
}

fn truncated(s: &str, max: usize) -> &str {
    let mut end = s.len().min(max);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

fn command_of(tag: Tag) -> Option<Cmd> {
    Some(match tag {
        S(b'A') => Cmd::Add,
        S(b'E') => Cmd::Edit,
        S(b'D') => Cmd::Del,
        S(b'a') => Cmd::AddDest,
        S(b'e') => Cmd::EditDest,
        S(b'd') => Cmd::DelDest,
        S(b'C') => Cmd::Flush,
        S(b'L') | S(b'l') => Cmd::List,
        S(b'Z') => Cmd::Zero,
        Tag::Set => Cmd::Timeout,
        S(b'R') => Cmd::Restore,
        S(b'S') => Cmd::Save,
        Tag::StartDaemon => Cmd::StartDaemon,
        Tag::StopDaemon => Cmd::StopDaemon,
        _ => return None,
    })
}

/// Parses one ipvsadm command line (`argv[0]` is the program name ipvsadm prints in its
/// messages). `reading_stdin` is true for lines of `-R` input, where a nested `-R` is
/// refused the way ipvsadm refuses it.
pub fn parse(argv: &[String], names: &Names, reading_stdin: bool) -> Result<IpvsadmCommand, Early> {
    let words: Vec<&str> = argv.iter().map(String::as_str).collect();
    parse_words(&words, names, reading_stdin)
}

/// `parse` on borrowed words (what `-R` input uses: no copy of each line).
pub fn parse_words(
    argv: &[&str],
    names: &Names,
    reading_stdin: bool,
) -> Result<IpvsadmCommand, Early> {
    let program = argv.first().copied().unwrap_or("ipvsadm");
    let mut ce = Entry {
        cmd: None,
        svc: SvcState {
            af: 0,
            protocol: 0,
            addr: IpAddr::V4(Ipv4Addr::UNSPECIFIED),
            port: 0,
            fwmark: 0,
            sched: "",
            flags: 0,
            timeout: 0,
            netmask: 0xffff_ffff,
            pe: "",
        },
        dest: DestState {
            af: 0,
            addr: IpAddr::V4(Ipv4Addr::UNSPECIFIED),
            port: 0,
            fwd: Forward::Route,
            weight: 1,
            u_threshold: 0,
            l_threshold: 0,
            tun_type: 0,
            tun_port: 0,
            tun_flags: 0,
        },
        timeouts: Timeouts::default(),
        daemon: SyncDaemonSpec {
            state: SyncState::Master,
            ifname: heapless::String::new(),
            syncid: 0,
            sync_maxlen: None,
            mcast_group: None,
            mcast_port: None,
            mcast_ttl: None,
        },
        options: 0,
        format: Format::default(),
    };
    let mut popt = Popt::new(argv);

    // The first option must be the command (or -h / -v).
    let first = match popt.next_opt() {
        Ok(Some((def, arg))) => (def.tag, arg),
        _ => return Err(Exit::tryhelp(program)),
    };
    match first {
        (S(b'h'), _) => {
            return Err(Box::new(Exit {
                code: 0,
                stdout: usage_text(program),
                stderr: String::new(),
                fatal: true,
            }))
        }
        (S(b'v'), _) => {
            return Err(Box::new(Exit {
                code: 0,
                stdout: version_text(),
                stderr: String::new(),
                fatal: true,
            }))
        }
        (tag, arg) => {
            let Some(cmd) = command_of(tag) else {
                return Err(Exit::tryhelp(program));
            };
            if matches!(cmd, Cmd::StartDaemon | Cmd::StopDaemon) {
                ce.daemon.state = match arg {
                    Some("master") => SyncState::Master,
                    Some("backup") => SyncState::Backup,
                    _ if cmd == Cmd::StartDaemon => {
                        return Err(Exit::fail(format_args!(
                            "illegal start-daemon parameter specified"
                        )))
                    }
                    _ => return Err(Exit::fail(format_args!("illegal start_daemon specified"))),
                };
            }
            ce.cmd = Some(cmd);
        }
    }

    let mut sched_flags_arg = "";
    loop {
        let (def, arg) = match popt.next_opt() {
            Ok(Some(x)) => x,
            Ok(None) => break,
            Err(e) => {
                return Err(Box::new(Exit {
                    code: 255,
                    stdout: String::new(),
                    stderr: format!("{}: {}\n", popt.bad_option(), e.text()),
                    fatal: false,
                }))
            }
        };
        let a = arg.unwrap_or("");
        let tag = def.tag;
        // Every option with an OPTC_* bit is counted first (ipvsadm's set_option() at the
        // top of each case), once here instead of in each arm, for code size.
        if u32::from(def.optc) != NO_OPTC {
            set_option(&mut ce.options, def.optc.into())?;
        }
        match tag {
            S(b't') | S(b'u') | Tag::Sctp => {
                ce.svc.protocol = match tag {
                    S(b't') => Protocol::Tcp.ipproto(),
                    S(b'u') => Protocol::Udp.ipproto(),
                    _ => Protocol::Sctp.ipproto(),
                };
                if parse_service(a, &mut ce.svc, names) & SERVICE_ADDR == 0 {
                    return Err(Exit::fail(format_args!(
                        "illegal virtual server address[:port] specified"
                    )));
                }
            }
            S(b'f') => {
                ce.svc.af = AF_INET;
                ce.svc.protocol = Protocol::Tcp.ipproto();
                ce.svc.fwmark = parse_fwmark(a)?;
            }
            S(b's') => {
                ce.svc.sched = truncated(a, 15);
            }
            S(b'p') => {
                ce.svc.flags |= svc_flags::PERSISTENT;
                ce.svc.timeout = parse_timeout(arg, 1, MAX_TIMEOUT)?;
            }
            S(b'M') => {
                if ce.svc.af != AF_INET6 {
                    let m = inet_aton(a).or_else(|| names.host_v4(a));
                    match m {
                        Some(m) => ce.svc.netmask = u32::from_ne_bytes(m.octets()),
                        None => {
                            return Err(Exit::fail(format_args!(
                                "illegal virtual server persistent mask specified"
                            )))
                        }
                    }
                } else {
                    let n = atoi(a);
                    ce.svc.netmask = n as u32;
                    if !(1..=128).contains(&n) {
                        return Err(Exit::fail(format_args!("illegal ipv6 netmask specified")));
                    }
                }
            }
            S(b'r') => {
                let mut t = ce.svc;
                let parse = parse_service(a, &mut t, names);
                ce.dest.af = t.af;
                ce.dest.addr = t.addr;
                ce.dest.port = t.port;
                if parse & SERVICE_ADDR == 0 {
                    return Err(Exit::fail(format_args!(
                        "illegal real server address[:port] specified"
                    )));
                }
                if parse == SERVICE_ADDR {
                    ce.dest.port = ce.svc.port;
                }
            }
            S(b'i') | S(b'g') | S(b'm') => {
                ce.dest.fwd = match tag {
                    S(b'i') => Forward::Tunnel,
                    S(b'g') => Forward::Route,
                    _ => Forward::Masq,
                };
            }
            S(b'w') => match string_to_number(a, 0, i32::MAX as i64) {
                Some(n) => ce.dest.weight = n as i32,
                None => return Err(Exit::fail(format_args!("illegal weight specified"))),
            },
            S(b'x') => match string_to_number(a, 0, i32::MAX as i64) {
                Some(n) => ce.dest.u_threshold = n as u32,
                None => return Err(Exit::fail(format_args!("illegal u_threshold specified"))),
            },
            S(b'y') => match string_to_number(a, 0, i32::MAX as i64) {
                Some(n) => ce.dest.l_threshold = n as u32,
                None => return Err(Exit::fail(format_args!("illegal l_threshold specified"))),
            },
            S(b'c') | Tag::Timeout | Tag::Daemon | Tag::Sort => {}
            S(b'n') => {
                ce.format.numeric = true;
            }
            Tag::McastInterface => {
                ce.daemon.ifname.clear();
                let _ = ce.daemon.ifname.push_str(truncated(a, 15));
            }
            S(b'I') => match string_to_number(a, 0, 255) {
                Some(n) => ce.daemon.syncid = n as u8,
                None => return Err(Exit::fail(format_args!("illegal syncid specified"))),
            },
            Tag::Stats => {
                ce.format.stats = true;
            }
            Tag::Rate => {
                ce.format.rate = true;
            }
            Tag::Thresholds => {
                ce.format.thresholds = true;
            }
            Tag::PersistentConn => {
                ce.format.persistent_conn = true;
            }
            Tag::NoSort => {
                ce.format.nosort = true;
            }
            S(b'X') => {
                ce.format.exact = true;
            }
            S(b'6') => {
                if ce.svc.fwmark != 0 {
                    ce.svc.af = AF_INET6;
                    ce.svc.netmask = 128;
                } else {
                    return Err(Exit::fail(format_args!("-6 used before -f\n")));
                }
            }
            S(b'o') => {
                ce.svc.flags |= svc_flags::ONEPACKET;
            }
            Tag::Pe => {
                ce.svc.pe = truncated(a, 15);
            }
            S(b'b') => {
                sched_flags_arg = truncated(a, 127);
            }
            Tag::McastGroup => {
                if a.contains(':') {
                    match a.parse::<Ipv6Addr>() {
                        Ok(g) if g.segments()[0] >> 8 == 0xff => {
                            ce.daemon.mcast_group = Some(IpAddr::V6(g))
                        }
                        _ => {
                            return Err(Exit::fail(format_args!("invalid IPv6 mcast-group `{a}'")))
                        }
                    }
                } else {
                    match a.parse::<Ipv4Addr>() {
                        Ok(g) if g.is_multicast() => ce.daemon.mcast_group = Some(IpAddr::V4(g)),
                        _ => {
                            return Err(Exit::fail(format_args!("invalid IPv4 mcast-group `{a}'")))
                        }
                    }
                }
            }
            Tag::McastPort => match string_to_number(a, 1, 65535) {
                Some(n) => ce.daemon.mcast_port = Some(n as u16),
                None => return Err(Exit::fail(format_args!("illegal mcast-port specified"))),
            },
            Tag::McastTtl => match string_to_number(a, 1, 255) {
                Some(n) => ce.daemon.mcast_ttl = Some(n as u8),
                None => return Err(Exit::fail(format_args!("illegal mcast-ttl specified"))),
            },
            Tag::SyncMaxlen => match string_to_number(a, 1, 65535 - 20 - 8) {
                Some(n) => ce.daemon.sync_maxlen = Some(n as u16),
                None => return Err(Exit::fail(format_args!("illegal sync-maxlen specified"))),
            },
            Tag::TunInfo => {
                ce.format.tun_info = true;
            }
            Tag::TunType => match TUN_NAMES.iter().position(|n| *n == a) {
                Some(i) => ce.dest.tun_type = i,
                None => return Err(Exit::fail(format_args!("illegal tunnel type specified"))),
            },
            Tag::TunPort => match string_to_number(a, 1, 65535) {
                Some(n) => ce.dest.tun_port = n as u16,
                None => return Err(Exit::fail(format_args!("illegal tunnel port specified"))),
            },
            Tag::TunNocsum => {
                ce.dest.tun_flags |= tun_flags::NOCSUM;
            }
            Tag::TunCsum => {
                ce.dest.tun_flags |= tun_flags::CSUM;
            }
            Tag::TunRemcsum => {
                ce.dest.tun_flags |= tun_flags::REMCSUM;
            }
            _ => {
                return Err(Exit::fail(format_args!(
                    "invalid option `{}'",
                    popt.bad_option()
                )))
            }
        }
    }

    let cmd = ce.cmd.unwrap_or(Cmd::List);
    let mut leftovers = popt.leftovers.iter();
    if cmd == Cmd::Timeout {
        match (leftovers.next(), leftovers.next(), leftovers.next()) {
            (Some(a), Some(b), Some(c)) => {
                ce.timeouts.tcp = parse_timeout(Some(a), 0, MAX_TIMEOUT)?;
                ce.timeouts.tcpfin = parse_timeout(Some(b), 0, MAX_TIMEOUT)?;
                ce.timeouts.udp = parse_timeout(Some(c), 0, MAX_TIMEOUT)?;
            }
            _ => {
                return Err(Exit::fail(format_args!(
                    "--set option requires 3 timeout values"
                )))
            }
        }
    }
    if let Some(extra) = leftovers.next() {
        return Err(Exit::fail(format_args!("unexpected argument {extra}")));
    }
    if !sched_flags_arg.is_empty() {
        ce.svc.flags &= !(svc_flags::SCHED1 | svc_flags::SCHED2 | svc_flags::SCHED3);
        ce.svc.flags |= parse_sched_flags(ce.svc.sched, sched_flags_arg)?;
    }

    generic_opt_check(cmd, ce.options)?;

    if matches!(cmd, Cmd::Add | Cmd::Edit) {
        if ce.svc.fwmark == 0 && ce.svc.port == 0 && ce.svc.flags & svc_flags::PERSISTENT == 0 {
            return Err(Exit::fail(format_args!(
                "Zero port specified for non-persistent service"
            )));
        }
        if ce.svc.flags & svc_flags::ONEPACKET != 0
            && ce.svc.fwmark == 0
            && ce.svc.protocol != Protocol::Udp.ipproto()
        {
            return Err(Exit::fail(format_args!(
                "One-Packet Scheduling is only for UDP virtual services"
            )));
        }
        if ce.svc.sched.is_empty() {
            ce.svc.sched = DEF_SCHED;
        }
    }
    if cmd == Cmd::StartDaemon && ce.daemon.ifname.is_empty() {
        let _ = ce.daemon.ifname.push_str(DEF_MCAST_IFN);
    }
    if matches!(cmd, Cmd::AddDest | Cmd::EditDest) {
        if ce.svc.fwmark == 0 && matches!(ce.dest.fwd, Forward::Tunnel | Forward::Route) {
            ce.dest.port = ce.svc.port;
        }
        if ce.dest.af != ce.svc.af && ce.dest.fwd != Forward::Tunnel {
            return Err(Exit::fail(format_args!(
                "Different address family is allowed only for tunneling servers"
            )));
        }
        let tun_any = [
            optc::TUN_TYPE,
            optc::TUN_PORT,
            optc::TUN_NOCSUM,
            optc::TUN_CSUM,
            optc::TUN_REMCSUM,
        ]
        .iter()
        .any(|&b| has(ce.options, b));
        if tun_any && ce.dest.fwd != Forward::Tunnel {
            return Err(Exit::fail(format_args!(
                "Tunnel options conflict with forward method"
            )));
        }
        tunnel_opt_check(ce.dest.tun_type, ce.options)?;
    }

    if cmd == Cmd::Restore && reading_stdin {
        return Err(Exit::tryhelp(program));
    }
    build(cmd, &ce)
}

/// One MATRIX row as bit masks over the options: (required '+', illegal 'x', the '1's).
const fn row_masks(row: &[u8]) -> (u64, u64, u64) {
    let (mut req, mut ill, mut one) = (0u64, 0u64, 0u64);
    let mut j = 0;
    while j < row.len() {
        match row[j] {
            b'+' => req |= 1 << j,
            b'x' => ill |= 1 << j,
            b'1' => one |= 1 << j,
            _ => {}
        }
        j += 1;
    }
    (req, ill, one)
}

const MATRIX_MASKS: [(u64, u64, u64); 14] = {
    let mut m = [(0, 0, 0); 14];
    let mut i = 0;
    while i < 14 {
        m[i] = row_masks(MATRIX[i]);
        i += 1;
    }
    m
};

fn generic_opt_check(cmd: Cmd, options: u64) -> Result<(), Early> {
    let i = cmd_index(cmd);
    // The common case in a few instructions; matrix_check words the failures.
    let (req, ill, one) = MATRIX_MASKS[i];
    if options & ill == 0 && options & req == req && (options & one).count_ones() <= 1 {
        return Ok(());
    }
    let row = MATRIX[i];
    matrix_check(row, &|j| j, options, "command", CMD_NAMES[i])
}

fn tunnel_opt_check(tun_type: usize, options: u64) -> Result<(), Early> {
    let row = TUN_MATRIX[tun_type];
    // No tunnel option and none required: nothing to check.
    if !row.contains(&b'+') && TUN_OPTS.iter().all(|&b| !has(options, b)) {
        return Ok(());
    }
    matrix_check(
        row,
        &|j| TUN_OPTS[j] as usize,
        options,
        "tunnel type",
        TUN_NAMES[tun_type],
    )
}

/// ipvsadm's option matrices: for each column, `+` the option is required, `x` it is
/// illegal, `1` at most one of the `1` options may be given. `opt_of` maps a column to
/// its option index; `what` and `name` word the messages ("the 'add-service' command",
/// "the 'gue' tunnel type"). `opt_of` is a `dyn Fn` so that the command and the tunnel
/// checks share one copy, for code size (-0.3 KB on mipsel).
fn matrix_check(
    row: &[u8],
    opt_of: &dyn Fn(usize) -> usize,
    options: u64,
    what: &str,
    name: &str,
) -> Result<(), Early> {
    let mut last = 0;
    let mut count = 0;
    for (j, &k) in row.iter().enumerate() {
        let opt = opt_of(j);
        if options & (1u64 << opt) == 0 {
            if k == b'+' {
                return Err(Exit::fail(format_args!(
                    "You need to supply the '{}' option for the '{}' {}",
                    OPT_NAMES[opt], name, what
                )));
            }
        } else {
            if k == b'x' {
                return Err(Exit::fail(format_args!(
                    "Illegal '{}' option with the '{}' {}",
                    OPT_NAMES[opt], name, what
                )));
            }
            if k == b'1' {
                count += 1;
                if count == 1 {
                    last = opt;
                    continue;
                }
                return Err(Exit::fail(format_args!(
                    "The option '{}' conflicts with the '{}' option in the '{}' {}",
                    OPT_NAMES[opt], OPT_NAMES[last], name, what
                )));
            }
        }
    }
    Ok(())
}

fn service_key(svc: &SvcState) -> ServiceKey {
    if svc.fwmark != 0 {
        let family = if svc.af == AF_INET6 {
            Family::Inet6
        } else {
            Family::Inet
        };
        return ServiceKey::Fwmark {
            family,
            mark: svc.fwmark,
        };
    }
    let proto = Protocol::from_ipproto(svc.protocol).unwrap_or(Protocol::Tcp);
    ServiceKey::Inet {
        proto,
        addr: SocketAddr::new(svc.addr, svc.port),
    }
}

fn service_spec(svc: &SvcState) -> ServiceSpec {
    let netmask = if svc.af == AF_INET6 {
        svc.netmask
    } else {
        // Back from inet_aton's network byte order to the host-order value ServiceSpec
        // carries.
        u32::from_be_bytes(svc.netmask.to_ne_bytes())
    };
    let mut sched = SchedName::new();
    let _ = sched.push_str(truncated(svc.sched, 15));
    let pe_name = if svc.pe.is_empty() {
        None
    } else {
        let mut p = PeName::new();
        let _ = p.push_str(truncated(svc.pe, 15));
        Some(p)
    };
    ServiceSpec {
        key: service_key(svc),
        sched,
        flags: svc.flags,
        timeout: svc.timeout,
        netmask,
        pe_name,
    }
}

fn dest_spec(d: &DestState) -> DestSpec {
    DestSpec {
        addr: SocketAddr::new(d.addr, d.port),
        forward: d.fwd,
        weight: d.weight,
        u_threshold: d.u_threshold,
        l_threshold: d.l_threshold,
        tunnel: TunnelSpec {
            kind: match d.tun_type {
                1 => TunnelType::Gue,
                2 => TunnelType::Gre,
                _ => TunnelType::Ipip,
            },
            port: d.tun_port,
            flags: d.tun_flags,
        },
    }
}

fn build(cmd: Cmd, ce: &Entry) -> Result<IpvsadmCommand, Early> {
    let o = ce.options;
    let key = || service_key(&ce.svc);
    // The table operations are built as an Op first and wrapped once (for code size:
    // each arm wrapped its own copy of the large Op; -0.7 KB on mipsel).
    let op = match cmd {
        Cmd::List => {
            let conflict = (o & (1 << optc::CONNECTION | 1 << optc::TIMEOUT | 1 << optc::DAEMON)
                != 0
                && o & (1 << optc::STATS | 1 << optc::RATE | 1 << optc::THRESHOLDS) != 0)
                || (o & (1 << optc::TIMEOUT | 1 << optc::DAEMON) != 0
                    && has(o, optc::PERSISTENTCONN));
            if conflict {
                return Err(Exit::fail(format_args!(
                    "options conflicts in the list command"
                )));
            }
            let what = if has(o, optc::CONNECTION) {
                ListWhat::Connections
            } else if has(o, optc::SERVICE) {
                ListWhat::Service(key())
            } else if has(o, optc::TIMEOUT) {
                ListWhat::Timeouts
            } else if has(o, optc::DAEMON) {
                ListWhat::Daemons
            } else {
                ListWhat::All
            };
            return Ok(IpvsadmCommand::List(what, ce.format));
        }
        Cmd::Restore => return Ok(IpvsadmCommand::Restore),
        Cmd::Save => {
            return Ok(IpvsadmCommand::Save(Format {
                rule: true,
                ..ce.format
            }))
        }
        Cmd::Flush => Op::Flush,
        Cmd::Add | Cmd::Edit => {
            let s = service_spec(&ce.svc);
            if cmd == Cmd::Add {
                Op::AddService(s)
            } else {
                Op::EditService(s)
            }
        }
        Cmd::Del => Op::DelService(key()),
        Cmd::Zero => Op::Zero(if has(o, optc::SERVICE) {
            Some(key())
        } else {
            None
        }),
        Cmd::AddDest | Cmd::EditDest => {
            let (k, d) = (key(), dest_spec(&ce.dest));
            if cmd == Cmd::AddDest {
                Op::AddDest(k, d)
            } else {
                Op::EditDest(k, d)
            }
        }
        Cmd::DelDest => Op::DelDest(key(), SocketAddr::new(ce.dest.addr, ce.dest.port)),
        Cmd::Timeout => Op::SetTimeouts(ce.timeouts),
        Cmd::StartDaemon => Op::StartDaemon(ce.daemon.clone()),
        Cmd::StopDaemon => Op::StopDaemon(ce.daemon.state),
    };
    Ok(IpvsadmCommand::Apply(op))
}

/// `ipvsadm -v` (the version string of Debian's 1.31 build against IPVS 1.2.1).
pub fn version_text() -> String {
    "ipvsadm v1.31 2019/12/24 (compiled with popt and IPVS v1.2.1)\n".to_string()
}

/// `ipvsadm -h`, byte for byte, with `program` where ipvsadm prints its argv[0].
pub fn usage_text(program: &str) -> String {
    let mut s = version_text();
    s.push_str("Usage:\n");
    for u in USAGE_LINES {
        s.push_str("  ");
        s.push_str(program);
        s.push(' ');
        s.push_str(u);
        s.push('\n');
    }
    s.push('\n');
    s.push_str(USAGE_REST);
    s
}

/// The usage lines after "  PROGRAM ".
const USAGE_LINES: [&str; 13] = [
        "-A|E virtual-service [-s scheduler] [-p [timeout]] [-M netmask] [--pe persistence_engine] [-b sched-flags]",
        "-D virtual-service",
        "-C",
        "-R",
        "-S [-n]",
        "-a|e virtual-service -r server-address [options]",
        "-d virtual-service -r server-address",
        "-L|l [virtual-service] [options]",
        "-Z [virtual-service]",
        "--set tcp tcpfin udp",
        "--start-daemon {master|backup} [daemon-options]",
        "--stop-daemon {master|backup}",
        "-h",
];

const USAGE_REST: &str = "Commands:
Either long or short options are allowed.
  --add-service     -A        add virtual service with options
  --edit-service    -E        edit virtual service with options
  --delete-service  -D        delete virtual service
  --clear           -C        clear the whole table
  --restore         -R        restore rules from stdin
  --save            -S        save rules to stdout
  --add-server      -a        add real server with options
  --edit-server     -e        edit real server with options
  --delete-server   -d        delete real server
  --list            -L|-l     list the table
  --zero            -Z        zero counters in a service or all services
  --set tcp tcpfin udp        set connection timeout values
  --start-daemon              start connection sync daemon
  --stop-daemon               stop connection sync daemon
  --help            -h        display this help message

virtual-service:
  --tcp-service|-t  service-address   service-address is host[:port]
  --udp-service|-u  service-address   service-address is host[:port]
  --sctp-service    service-address   service-address is host[:port]
  --fwmark-service|-f fwmark          fwmark is an integer greater than zero

Options:
  --ipv6         -6                   fwmark entry uses IPv6
  --scheduler    -s scheduler         one of rr|wrr|lc|wlc|lblc|lblcr|dh|sh|sed|nq|fo|ovf|mh,
                                      the default scheduler is wlc.
  --pe            engine              alternate persistence engine may be sip,
                                      not set by default.
  --persistent   -p [timeout]         persistent service
  --netmask      -M netmask           persistent granularity mask
  --real-server  -r server-address    server-address is host (and port)
  --gatewaying   -g                   gatewaying (direct routing) (default)
  --ipip         -i                   ipip encapsulation (tunneling)
  --masquerading -m                   masquerading (NAT)
  --tun-type      type                one of ipip|gue|gre,
                                      the default tunnel type is ipip.
  --tun-port      port                tunnel destination port
  --tun-nocsum                        tunnel encapsulation without checksum
  --tun-csum                          tunnel encapsulation with checksum
  --tun-remcsum                       tunnel encapsulation with remote checksum
  --weight       -w weight            capacity of real server
  --u-threshold  -x uthreshold        upper threshold of connections
  --l-threshold  -y lthreshold        lower threshold of connections
  --connection   -c                   output of current IPVS connections
  --timeout                           output of timeout (tcp tcpfin udp)
  --daemon                            output of daemon information
  --stats                             output of statistics information
  --rate                              output of rate information
  --exact                             expand numbers (display exact values)
  --thresholds                        output of thresholds information
  --persistent-conn                   output of persistent connection info
  --tun-info                          output of tunnel information
  --nosort                            disable sorting output of service/server entries
  --sort                              does nothing, for backwards compatibility
  --ops          -o                   one-packet scheduling
  --numeric      -n                   numeric output of addresses and ports
  --sched-flags  -b flags             scheduler flags (comma-separated)
Daemon Options:
  --syncid sid                        syncid for connection sync (default=255)
  --sync-maxlen length                Max sync message length (default=1472)
  --mcast-interface interface         multicast interface for connection sync
  --mcast-group address               IPv4/IPv6 group (default=224.0.0.81)
  --mcast-port port                   UDP port (default=8848)
  --mcast-ttl ttl                     Multicast TTL (default=1)
";

#[cfg(test)]
mod tests {
    use super::*;

    /// The mask fast path of generic_opt_check accepts exactly what the column walk
    /// accepts, for every command and every set of up to two options.
    #[test]
    fn matrix_masks_agree_with_the_walk() {
        for (i, row) in MATRIX.iter().enumerate() {
            let (req, ill, one) = MATRIX_MASKS[i];
            for a in 0..=34u32 {
                for b in a..=34u32 {
                    let bit = |x: u32| if x == 34 { 0 } else { 1u64 << x };
                    let options = bit(a) | bit(b);
                    let fast = options & ill == 0
                        && options & req == req
                        && (options & one).count_ones() <= 1;
                    let walk = matrix_check(&row[..], &|j| j, options, "command", "x").is_ok();
                    assert_eq!(fast, walk, "row {i} options {options:#x}");
                }
            }
        }
    }

    #[test]
    fn short_index_is_the_first_table_match() {
        for c in 0..=255u8 {
            let scan = TABLE.iter().find(|d| d.short != 0 && d.short == c);
            assert_eq!(short_opt(c).map(|d| d.tag), scan.map(|d| d.tag), "{c}");
        }
    }
}
