//! The words the parser knows, each read once per statement into a `Kw` that the
//! blocks' `match`es then compare as a number. For code size: a `match` on the text
//! costs one out-of-line string compare per arm (~36 bytes each on MIPS, over 200 arms);
//! here a word costs its text, a space and a byte, and each arm a jump-table slot.
//!
//! Grouped by the block that reads them, so that each block's `match` finds its
//! keywords close together. tests/doc_keywords.rs reads the words from this list.

macro_rules! keywords {
    ($($name:ident = $text:literal,)*) => {
        /// A keyword of the grammar, or `Other` for any other word.
        #[derive(Clone, Copy, PartialEq, Eq)]
        pub(super) enum Kw {
            $($name,)*
            Other,
        }

        /// The words in `Kw`'s order, each followed by a space (one string rather than a
        /// table of `&str`s: 8 bytes less a word).
        const WORDS: &str = concat!($($text, " ",)*);
        const ALL: &[Kw] = &[$(Kw::$name,)*];
    };
}

keywords! {
    // top level
    GlobalDefs = "global_defs",
    VirtualServerGroup = "virtual_server_group",
    VirtualServer = "virtual_server",
    TrackFile = "track_file",
    VrrpTrackFile = "vrrp_track_file",
    VipAnnounce = "vip_announce",
    Ssl = "SSL",
    NetNamespaceIpvs = "net_namespace_ipvs",
    LinkbeatInterfaces = "linkbeat_interfaces",
    TrackGroup = "track_group",
    GarpGroup = "garp_group",
    BfdInstance = "bfd_instance",
    TrackProcess = "track_process",
    // SSL
    Ca = "ca",
    Certificate = "certificate",
    Key = "key",
    Password = "password",
    // global_defs
    LvsSyncDaemon = "lvs_sync_daemon",
    LvsTimeouts = "lvs_timeouts",
    LvsFlush = "lvs_flush",
    LvsFlushOnStop = "lvs_flush_on_stop",
    LvsFlushOnstop = "lvs_flush_onstop",
    LvsNotifyFifo = "lvs_notify_fifo",
    LvsNotifyFifoScript = "lvs_notify_fifo_script",
    ScriptUser = "script_user",
    EnableScriptSecurity = "enable_script_security",
    // lvs_sync_daemon's and lvs_timeouts' words
    Inst = "inst",
    Id = "id",
    Maxlen = "maxlen",
    Ttl = "ttl",
    Group = "group",
    Tcp = "tcp",
    Tcpfin = "tcpfin",
    Udp = "udp",
    // lvs_method's tunnel words
    Nocsum = "nocsum",
    Csum = "csum",
    Remcsum = "remcsum",
    // track_file
    File = "file",
    InitFile = "init_file",
    // vip_announce
    Interface = "interface",
    Rule = "rule",
    OnStop = "on_stop",
    // virtual_server (and some in real_server)
    LbAlgo = "lb_algo",
    LvsSched = "lvs_sched",
    LbKind = "lb_kind",
    LvsMethod = "lvs_method",
    Flag1 = "flag-1",
    Flag2 = "flag-2",
    Flag3 = "flag-3",
    Hashed = "hashed",
    ShPort = "sh-port",
    ShFallback = "sh-fallback",
    MhPort = "mh-port",
    MhFallback = "mh-fallback",
    Ops = "ops",
    PersistenceTimeout = "persistence_timeout",
    PersistenceGranularity = "persistence_granularity",
    PersistenceEngine = "persistence_engine",
    Protocol = "protocol",
    Omega = "omega",
    Quorum = "quorum",
    Hysteresis = "hysteresis",
    QuorumUp = "quorum_up",
    QuorumDown = "quorum_down",
    IpFamily = "ip_family",
    SorryServer = "sorry_server",
    SorryServerInhibit = "sorry_server_inhibit",
    SorryServerLvsMethod = "sorry_server_lvs_method",
    RealServer = "real_server",
    DelayLoopJitter = "delay_loop_jitter",
    HaSuspend = "ha_suspend",
    // virtual_server and real_server
    Weight = "weight",
    Virtualhost = "virtualhost",
    Alpha = "alpha",
    InhibitOnFailure = "inhibit_on_failure",
    SlowStart = "slow_start",
    NbGetRetry = "nb_get_retry",
    SmtpAlert = "smtp_alert",
    SnmpName = "snmp_name",
    // real_server
    Uthreshold = "uthreshold",
    Lthreshold = "lthreshold",
    NotifyUp = "notify_up",
    NotifyDown = "notify_down",
    AgentCheck = "agent_check",
    BfdCheck = "BFD_CHECK",
    TcpCheck = "TCP_CHECK",
    HttpGet = "HTTP_GET",
    SslGet = "SSL_GET",
    UdpCheck = "UDP_CHECK",
    DnsCheck = "DNS_CHECK",
    SmtpCheck = "SMTP_CHECK",
    MiscCheck = "MISC_CHECK",
    PingCheck = "PING_CHECK",
    FileCheck = "FILE_CHECK",
    // agent_check
    Address = "address",
    Interval = "interval",
    Timeout = "timeout",
    // timers (virtual_server, real_server, checkers)
    ConnectTimeout = "connect_timeout",
    Retry = "retry",
    DelayBeforeRetry = "delay_before_retry",
    Rise = "rise",
    Warmup = "warmup",
    DelayLoop = "delay_loop",
    // checkers' connection settings
    ConnectIp = "connect_ip",
    ConnectPort = "connect_port",
    Bindto = "bindto",
    BindPort = "bind_port",
    BindIf = "bind_if",
    Fwmark = "fwmark",
    Port = "port",
    // checkers
    LogAllFailures = "log_all_failures",
    Url = "url",
    HttpProtocol = "http_protocol",
    FastRecovery = "fast_recovery",
    EnableSni = "enable_sni",
    SniName = "sni_name",
    TlsCompliant = "tls_compliant",
    Verify = "verify",
    Payload = "payload",
    RequireReply = "require_reply",
    MinReplyLength = "min_reply_length",
    MaxReplyLength = "max_reply_length",
    Dynamic = "dynamic",
    Type = "type",
    Name = "name",
    HeloName = "helo_name",
    Host = "host",
    MiscPath = "misc_path",
    MiscTimeout = "misc_timeout",
    MiscDynamic = "misc_dynamic",
    User = "user",
    // url
    Path = "path",
    Digest = "digest",
    StatusCode = "status_code",
    Regex = "regex",
    RegexNoMatch = "regex_no_match",
    RegexOptions = "regex_options",
    RegexStack = "regex_stack",
    RegexMinOffset = "regex_min_offset",
    RegexMaxOffset = "regex_max_offset",
    // values: booleans, lvs_method's, ip_family's, vip_announce's, protocol's (read in
    // upper case), DNS_CHECK type's (upper case), track weights'
    On = "on",
    True = "true",
    Yes = "yes",
    Off = "off",
    False = "false",
    No = "no",
    Nat = "NAT",
    Dr = "DR",
    Tun = "TUN",
    Ipip = "ipip",
    Gue = "gue",
    Gre = "gre",
    Inet = "inet",
    Inet6 = "inet6",
    All = "all",
    Any = "any",
    Withdraw = "withdraw",
    Keep = "keep",
    ProtoTcp = "TCP",
    ProtoUdp = "UDP",
    ProtoSctp = "SCTP",
    DnsA = "A",
    DnsNs = "NS",
    DnsCname = "CNAME",
    DnsSoa = "SOA",
    DnsMx = "MX",
    DnsTxt = "TXT",
    DnsAaaa = "AAAA",
    DnsRrsig = "RRSIG",
    DnsDnskey = "DNSKEY",
    Reverse = "reverse",
    Noreverse = "noreverse",
}

impl Kw {
    /// The keyword `word` is, or `Other`.
    #[inline(never)]
    pub(super) fn of(word: &str) -> Kw {
        let mut rest = WORDS.as_bytes();
        for &k in ALL {
            let len = rest.iter().position(|&b| b == b' ').unwrap_or(rest.len());
            let (w, tail) = rest.split_at(len);
            if w == word.as_bytes() {
                return k;
            }
            rest = tail.get(1..).unwrap_or(&[]);
        }
        Kw::Other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_word_once() {
        let mut words: Vec<&str> = WORDS.split_terminator(' ').collect();
        assert_eq!(words.len(), ALL.len());
        for (w, k) in words.iter().zip(ALL) {
            assert!(!w.is_empty());
            assert!(Kw::of(w) == *k, "{}", w);
        }
        words.sort_unstable();
        words.dedup();
        assert_eq!(words.len(), ALL.len());
        for w in ["lb_algox", "lb_alg", "", " ", "lb_algo lvs_sched"] {
            assert!(Kw::of(w) == Kw::Other, "{:?}", w);
        }
    }
}
