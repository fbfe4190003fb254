//! The resolved configuration: what `config::load` hands to the director and the probes.
//! Every inherited keepalived default is already filled in here (no `Option` means
//! "inherit"), so consumers never re-derive keepalived's precedence rules.
//! It is built once per load or reload; allocation here is load-time, not steady state.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::ipvs::rule::{Family, Forward, Protocol, SchedName, TunnelSpec};
use crate::model::limits::MAX_STATUS_RANGES;

/// A position in the config: index into `Config::files`, 1-based line and column.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Pos {
    pub file: u16,
    pub line: u32,
    pub col: u32,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Config {
    /// Every file read, in include order; `Pos::file` indexes this.
    pub files: Vec<PathBuf>,
    pub services: Vec<VirtualServer>,
    /// `lvs_sync_daemon` from `global_defs` (issue 4).
    pub sync_daemon: Option<SyncDaemon>,
    /// `lvs_timeouts` from `global_defs` (issue 4).
    pub lvs_timeouts: Option<LvsTimeouts>,
    /// The `vip_announce` block (route health injection, issue 15).
    pub vip_announce: Option<VipAnnounce>,
    /// `lvs_flush` (global_defs): empty the whole IPVS table at start-up (not on reload).
    pub lvs_flush: bool,
    /// `lvs_flush_on_stop` (global_defs): how the table is emptied at exit.
    pub lvs_flush_on_stop: FlushOnStop,
    /// `net_namespace_ipvs [NAME]` (top level): the network namespace whose IPVS table is
    /// programmed; `Some("")` = the init process's namespace. Checks stay in lvsmon's own
    /// namespace, as keepalived's do.
    pub net_namespace_ipvs: Option<String>,
    /// `lvs_notify_fifo` / `lvs_notify_fifo_script` (global_defs).
    pub lvs_notify_fifo: Option<NotifyFifo>,
    /// track_file `init_file`: files created (or overwritten) when the daemon starts.
    pub track_file_inits: Vec<TrackFileInit>,
    /// One line per skipped block (`global_defs`, `vrrp_*`, `static_*`), already worded.
    pub warnings: Vec<String>,
    /// Behaviour lvsmon chose that is worth one info line at load (not a problem):
    /// see `config::directors`.
    pub notes: Vec<String>,
}

/// keepalived's lvs_flush_on_stop: without it the entries of each service are removed
/// one by one (real servers, then the service).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum FlushOnStop {
    #[default]
    No,
    /// `lvs_flush_on_stop`: the whole table is flushed (ipvsadm -C), whoever added it.
    Full,
    /// `lvs_flush_on_stop VS`: each configured service is deleted with its real servers
    /// in one operation, without removing them one by one first.
    Vs,
}

/// A FIFO keepalived's checker writes `VS ...` / `RS ...` state lines to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NotifyFifo {
    pub path: PathBuf,
    /// Run once at start with the FIFO's path as its last argument, to read it.
    pub script: Option<Script>,
    /// Owner given to the FIFO when lvsmon creates it (`lvs_notify_fifo PATH USER [GROUP]`).
    pub user: Option<String>,
    pub group: Option<String>,
}

/// `track_file { init_file [VALUE] [overwrite] }`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrackFileInit {
    pub path: PathBuf,
    pub value: i32,
    /// Write VALUE even over an existing file (at start, never on reload).
    pub overwrite: bool,
}

/// What a `virtual_server` line names. A `group` is expanded by config resolution into
/// one `VirtualServer` per member, each keeping `group: Some(name)` for display.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum VsTarget {
    Addr(SocketAddr),
    Fwmark { mark: u32, family: Family },
}

#[derive(Clone, Debug, PartialEq)]
pub struct VirtualServer {
    pub pos: Pos,
    pub target: VsTarget,
    pub group: Option<String>,
    pub protocol: Protocol,
    /// `lvs_sched` / `lb_algo`; keepalived's default is "wlc".
    pub sched: SchedName,
    /// IP_VS_SVC_F_* bits from flag-1/2/3, sh-port, sh-fallback, mh-port, mh-fallback, ops.
    pub svc_flags: u32,
    /// `lvs_method` / `lb_kind` for real servers that do not override it (default NAT).
    pub forward: Forward,
    pub tunnel: TunnelSpec,
    /// `persistence_timeout` in seconds (keyword alone = 360); None = not persistent.
    pub persistence_timeout: Option<u32>,
    /// `persistence_granularity`: IPv4 netmask in host order, or IPv6 prefix length.
    pub persistence_granularity: Option<u32>,
    pub persistence_engine: Option<String>,
    pub virtualhost: Option<String>,
    pub alpha: bool,
    pub omega: bool,
    pub inhibit_on_failure: bool,
    pub quorum: u32,
    pub hysteresis: u32,
    pub quorum_up: Option<Script>,
    pub quorum_down: Option<Script>,
    pub sorry_server: Option<SorryServer>,
    pub reals: Vec<RealServer>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct SorryServer {
    pub pos: Pos,
    pub addr: SocketAddr,
    pub forward: Forward,
    pub tunnel: TunnelSpec,
    /// `sorry_server_inhibit`: weight 0 instead of removal when it is not needed.
    pub inhibit: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct RealServer {
    pub pos: Pos,
    /// Port 0 when the service is a fwmark without a port.
    pub addr: SocketAddr,
    /// Configured weight (default 1). 0 means "drained": never raised to 1.
    pub weight: i32,
    pub forward: Forward,
    pub tunnel: TunnelSpec,
    pub inhibit_on_failure: bool,
    pub uthreshold: u32,
    pub lthreshold: u32,
    pub notify_up: Option<Script>,
    pub notify_down: Option<Script>,
    /// Start down until the first success (`alpha`, inherited from the service).
    pub alpha: bool,
    /// lvsmon extension (`slow_start`, inherited from the service): a returning real
    /// server ramps from a small weight to its own over this long (0 = at once).
    pub slow_start: Duration,
    /// Checks whose targets are fully resolved; all must be up for the server to be up.
    /// No checks = always up (keepalived's behaviour).
    pub checks: Vec<Check>,
}

/// Schedulers that hash flows to real servers (`sh`, `dh`, `mh`, `lblc`, `lblcr`): every
/// change of weight moves flows to other servers, so lvsmon refuses a slow-start ramp
/// with them and lets an agent only take a server out (0) or put it back (full weight).
pub const HASHING_SCHEDULERS: [&str; 5] = ["sh", "dh", "mh", "lblc", "lblcr"];

/// Whether `sched` is one of `HASHING_SCHEDULERS`.
pub fn is_hashing(sched: &str) -> bool {
    HASHING_SCHEDULERS.contains(&sched)
}

/// One check with every timer and address resolved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Check {
    pub kind: CheckKind,
    /// Where the probe connects: connect_ip/connect_port, else the real server's.
    pub target: SocketAddr,
    pub bindto: Option<IpAddr>,
    pub bind_port: Option<u16>,
    /// `bind_if` and checker `fwmark`: options set on the probe's socket.
    pub sock: SockOpts,
    pub connect_timeout: Duration,
    /// Failed attempts tolerated before the checker is declared down.
    pub retry: u32,
    pub delay_before_retry: Duration,
    /// lvsmon extension: consecutive successful attempts a down checker needs to come
    /// back up (1 = keepalived's rule).
    pub rise: u32,
    /// lvsmon extension (`delay_loop_jitter`): each periodic attempt starts delay_loop
    /// plus or minus up to this percentage of it after the previous one (0 = exactly).
    pub jitter_percent: u32,
    pub delay_loop: Duration,
    /// Maximum random delay before the first check (0 = none).
    pub warmup: Duration,
}

/// Hashes the kind and a few fields only, for code size: the derived impl hashed every
/// nested field (4 KB on mipsel). Checks that are equal still hash equal, since `Eq`
/// compares each of these fields; checks that differ only elsewhere merely collide.
impl std::hash::Hash for Check {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        std::mem::discriminant(&self.kind).hash(h);
        self.target.hash(h);
        self.connect_timeout.hash(h);
        self.delay_loop.hash(h);
    }
}

/// An interface name (IFNAMSIZ - 1 bytes at most).
pub type IfName = heapless::String<15>;

/// Socket options of a check's probe (keepalived's conn_opts, layer4.c): `fwmark` is
/// SO_MARK (0 = none), `bind_if` SO_BINDTODEVICE.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct SockOpts {
    pub fwmark: u32,
    pub bind_if: Option<IfName>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum CheckKind {
    Tcp,
    Http(HttpCheck),
    Udp(UdpCheck),
    Dns(DnsCheck),
    Smtp(SmtpCheck),
    Misc(MiscCheck),
    Ping,
    File(FileCheck),
    /// lvsmon extension: HAProxy's agent protocol (`agent_check` in a real server); the
    /// agent's address and port are the check's target, its interval the delay_loop,
    /// its timeout the connect_timeout.
    Agent,
}

impl CheckKind {
    /// The keepalived block name, for messages and status.
    pub fn name(&self) -> &'static str {
        match self {
            CheckKind::Tcp => "TCP_CHECK",
            CheckKind::Http(h) if h.tls.is_some() => "SSL_GET",
            CheckKind::Http(_) => "HTTP_GET",
            CheckKind::Udp(_) => "UDP_CHECK",
            CheckKind::Dns(_) => "DNS_CHECK",
            CheckKind::Smtp(_) => "SMTP_CHECK",
            CheckKind::Misc(_) => "MISC_CHECK",
            CheckKind::Ping => "PING_CHECK",
            CheckKind::File(_) => "FILE_CHECK",
            CheckKind::Agent => "agent_check",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct HttpCheck {
    /// SSL_GET's TLS settings; None for HTTP_GET.
    pub tls: Option<TlsCheck>,
    /// At most `MAX_URLS` (checked when the config is resolved). Shared: the checkers of
    /// real servers with the same url list hold one copy.
    pub urls: Arc<[Url]>,
    /// Host header: checker's, else real server's, else service's `virtualhost`;
    /// None = the target address.
    pub virtualhost: Option<String>,
    /// `http_protocol`: 1.0 (keepalived's default), 1.0C or 1.1.
    pub protocol: HttpProtocol,
    /// `fast_recovery`: accepted; lvsmon's checks already behave so (see the man page).
    pub fast_recovery: bool,
}

/// keepalived's `http_protocol`: the request's version and its Connection header.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum HttpProtocol {
    /// `1.0`: HTTP/1.0, no Connection header (the server may keep the connection).
    #[default]
    Http10,
    /// `1.0C`: HTTP/1.0 with `Connection: close`.
    Http10Close,
    /// `1.1`: HTTP/1.1 with `Connection: close` (chunked replies are decoded).
    Http11Close,
}

/// SSL_GET: HTTP_GET over TLS (keepalived's keywords, and lvsmon's `verify`).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct TlsCheck {
    /// `enable_sni` (implied by `sni_name`): send the name (below) as SNI. keepalived's
    /// default is off.
    pub enable_sni: bool,
    /// `sni_name`: the name sent and verified; else the url's virtualhost, else the
    /// checker's (see `probe::tls`).
    pub sni_name: Option<String>,
    /// `tls_compliant` on the checker, and bit i for url i's own: send close_notify before
    /// closing (keepalived's default is a quiet close).
    pub compliant: bool,
    pub compliant_urls: u8,
    /// Verify the server's certificate: an `SSL { ca }` is given and the check does not
    /// say `verify off`.
    pub verify: bool,
    /// The client contexts built from the `SSL` block.
    #[cfg(feature = "tls")]
    pub client: crate::tls::Client,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Url {
    pub path: String,
    /// Lowercase hex MD5 of the body, decoded.
    pub digest: Option<[u8; 16]>,
    /// Accepted status codes; empty = keepalived's default 200-299.
    pub status: StatusCodes,
    pub virtualhost: Option<String>,
    /// `regex` and its companions; compiled when the config is loaded.
    pub regex: Option<UrlRegex>,
}

/// A url's `regex` (keepalived's PCRE2 match over the body): the compiled expression,
/// `regex_no_match`, and the body offsets a match must start within.
#[derive(Clone, Debug)]
pub struct UrlRegex {
    /// The pattern as written, with the `regex_options` flags applied (identity).
    pub source: String,
    pub re: Regex,
    /// `regex_no_match`: the url passes when the regex does NOT match.
    pub no_match: bool,
    /// `regex_min_offset`: a match must start at or after this body offset.
    pub min_offset: u64,
    /// `regex_max_offset`: ... and at or before this one (None = anywhere).
    pub max_offset: Option<u64>,
}

/// The compiled regex: regex-lite's, in builds with the `regex` feature.
#[cfg(feature = "regex")]
pub type Regex = regex_lite::Regex;

/// Builds without the `regex` feature refuse `regex` when the config is read, so no
/// `UrlRegex` is ever made there.
#[cfg(not(feature = "regex"))]
#[derive(Clone, Debug)]
pub enum Regex {}

impl PartialEq for UrlRegex {
    fn eq(&self, o: &Self) -> bool {
        (
            &self.source,
            self.no_match,
            self.min_offset,
            self.max_offset,
        ) == (&o.source, o.no_match, o.min_offset, o.max_offset)
    }
}

impl Eq for UrlRegex {}

impl std::hash::Hash for UrlRegex {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        (
            &self.source,
            self.no_match,
            self.min_offset,
            self.max_offset,
        )
            .hash(h)
    }
}

/// Inclusive status-code ranges (`status_code 200 301-302`).
pub type StatusCodes = heapless::Vec<(u16, u16), MAX_STATUS_RANGES>;

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct UdpCheck {
    pub payload: Vec<u8>,
    /// `require_reply [HEX]`: a reply must come; when bytes are given the reply must
    /// match them (over the shorter of the two, keepalived's rule).
    pub require_reply: Option<Vec<u8>>,
    /// One byte per `require_reply` byte: the bits that are X (don't care) digits; empty
    /// when the pattern has none.
    pub reply_mask: Vec<u8>,
    /// `min_reply_length` / `max_reply_length` (keepalived: 0 and 255), judged only when
    /// `require_reply` has bytes, as keepalived does.
    pub min_reply_length: u16,
    pub max_reply_length: u16,
}

/// keepalived's UDP_CHECK `max_reply_length` default (UINT8_MAX).
pub const UDP_DEFAULT_MAX_REPLY: u16 = 255;

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct DnsCheck {
    pub qtype: u16,
    pub name: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SmtpCheck {
    pub helo_name: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct MiscCheck {
    pub script: Script,
    pub timeout: Option<Duration>,
    pub dynamic: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct FileCheck {
    pub path: PathBuf,
    pub weight: i32,
    pub reverse: bool,
}

/// A command run without a shell: argv split the way keepalived splits it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Script {
    pub argv: Vec<String>,
    pub user: Option<String>,
    pub group: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyncDaemon {
    /// The `lvs_sync_daemon` keyword.
    pub pos: Pos,
    pub interface: String,
    /// The VRRP instance named (`inst NAME` or the old positional form): then
    /// keepalived's VRRP half runs the daemon and lvsmon leaves it alone (crate::syncd).
    pub vrrp_instance: Option<String>,
    pub syncid: u8,
    pub master: bool,
    pub backup: bool,
    pub mcast_group: Option<IpAddr>,
    pub port: Option<u16>,
    pub ttl: Option<u8>,
    pub maxlen: Option<u16>,
}

/// `vip_announce { interface NAME  rule all|any  on_stop withdraw|keep }`: lvsmon puts
/// each service address (VIP/32 or /128) on a dummy interface while its rule holds, for a
/// routing daemon to announce (an lvsmon extension; keepalived has none).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VipAnnounce {
    /// The `vip_announce` keyword.
    pub pos: Pos,
    /// At most IFNAMSIZ - 1 (15) bytes.
    pub interface: String,
    /// The interface name's position: a run-time refusal (not a dummy) points here.
    pub interface_pos: Pos,
    pub rule: AnnounceRule,
    pub on_stop: OnStop,
}

/// When a VIP is announced.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AnnounceRule {
    /// While every virtual service on the address has quorum (the default).
    All,
    /// While at least one of them has quorum.
    Any,
}

/// What TERM does to the announced VIPs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OnStop {
    /// Remove them (the default): the routers move traffic to the other Directors.
    Withdraw,
    /// Leave them: IPVS keeps forwarding with the last table (fail-static).
    Keep,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LvsTimeouts {
    pub tcp: Option<u32>,
    pub tcpfin: Option<u32>,
    pub udp: Option<u32>,
}
