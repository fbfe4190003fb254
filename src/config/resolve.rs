//! Resolve: raw config -> `model::config::Config` with every keepalived 2.x default and
//! inheritance filled in (virtual_server -> real_server -> checker), groups expanded,
//! ports fixed up and capacities checked. The corrections keepalived makes with a log
//! line (validate_check_config in check_data.c, read for behaviour) become warnings.

use crate::model::fasthash::{fast_map, FastMap};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::config::error::{fmt_pos, perr, PResult};
#[cfg(feature = "tls")]
use crate::config::parse::RawSsl;
use crate::config::parse::{
    FwdSpec, RawAgent, RawCheck, RawConfig, RawKind, RawRs, RawTarget, RawTls, RawVs, VsgEntry,
};
use crate::ipvs::rule::{svc_flags, Family, Forward, Protocol, SchedName, TunnelSpec};
use crate::model::config::{
    is_hashing, Check, CheckKind, Config, FileCheck, HttpCheck, MiscCheck, Pos, RealServer,
    SorryServer, TlsCheck, TrackFileInit, Url, VirtualServer, VsTarget,
};
use crate::model::limits::{MAX_CHECKS_PER_REAL, MAX_REALS, MAX_SERVICES};

/// keepalived's defaults (keepalived.conf(5), check_data.c alloc_vs, check_api.c queue_checker).
pub const DEFAULT_DELAY_LOOP: Duration = Duration::from_secs(60);
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
pub const DEFAULT_SCHED: &str = "wlc";
/// `persistence_timeout` given without a value (IPVS_SVC_PERSISTENT_TIMEOUT).
pub const DEFAULT_PERSISTENCE: u32 = 360;

/// Retry count when none is configured: DNS_CHECK 3, MISC_CHECK 0, otherwise 1.
fn default_retry(kind: &RawKind) -> u32 {
    match kind {
        RawKind::Dns(_) => 3,
        RawKind::Misc { .. } | RawKind::File { .. } => 0,
        _ => 1,
    }
}

/// delay_before_retry when none is configured: 3 s for HTTP_GET/SSL_GET, delay_loop for
/// DNS_CHECK, 1 s otherwise.
fn default_delay_before_retry(kind: &RawKind, delay_loop: Duration) -> Duration {
    match kind {
        RawKind::Http { .. } => Duration::from_secs(3),
        RawKind::Dns(_) => delay_loop,
        _ => Duration::from_secs(1),
    }
}

struct Ctx<'a> {
    files: &'a [PathBuf],
    raw: &'a RawConfig,
    warnings: Vec<String>,
    total_reals: usize,
    /// The url list of the last HTTP_GET resolved: real servers of a service usually
    /// carry the same one, and each checker then shares it instead of its own copy.
    last_urls: Option<Arc<[Url]>>,
    /// The TLS client contexts of the `SSL` block, built once (at the block, or at the
    /// first SSL_GET when there is no block).
    #[cfg(feature = "tls")]
    tls_client: Option<crate::tls::Client>,
}

impl Ctx<'_> {
    fn share_urls(&mut self, urls: &[Url]) -> Arc<[Url]> {
        match &self.last_urls {
            Some(last) if **last == *urls => last.clone(),
            _ => {
                let fresh: Arc<[Url]> = urls.into();
                self.last_urls = Some(fresh.clone());
                fresh
            }
        }
    }

    #[cfg(feature = "tls")]
    /// The client contexts; `pos` is where an error goes when there is no SSL block.
    fn tls_client(&mut self, pos: Pos) -> PResult<crate::tls::Client> {
        if let Some(c) = &self.tls_client {
            return Ok(c.clone());
        }
        let c = build_tls_client(self.raw.ssl.as_ref(), pos)?;
        if let Some(ssl) = &self.raw.ssl {
            if let Some((_, pos)) = &ssl.password {
                // The key was read: it is not encrypted (encrypted keys are refused).
                self.warn(
                    *pos,
                    "SSL password unused: the key is not encrypted".to_string(),
                );
            }
        }
        self.tls_client = Some(c.clone());
        Ok(c)
    }

    fn warn(&mut self, pos: Pos, msg: String) {
        let line = format!("{}: {}", fmt_pos(self.files, pos), msg);
        if !self.warnings.contains(&line) {
            self.warnings.push(line);
        }
    }
}

/// SSL_GET's resolved settings. A name that will be sent as SNI or verified must be a
/// DNS name or an IP address (an IP address is verified, never sent as SNI).
#[cfg(feature = "tls")]
fn tls_check(
    cx: &mut Ctx,
    pos: Pos,
    t: &RawTls,
    urls: &[Url],
    virtualhost: Option<&str>,
) -> PResult<TlsCheck> {
    let client = cx.tls_client(pos)?;
    let verify = t.verify && client.has_ca();
    if t.enable_sni || verify {
        let names = urls
            .iter()
            .filter_map(|u| u.virtualhost.as_deref())
            .chain(virtualhost);
        for n in t.sni_name.as_deref().into_iter().chain(names) {
            if !crate::tls::is_dns_name(n) && n.parse::<IpAddr>().is_err() {
                return perr(
                    pos,
                    format!(
                        "SSL_GET: virtualhost '{}' can be neither sent as SNI nor verified \
                         (not a DNS name); set 'sni_name'",
                        n
                    ),
                );
            }
        }
    }
    Ok(TlsCheck {
        enable_sni: t.enable_sni,
        sni_name: t.sni_name.clone(),
        compliant: t.compliant,
        compliant_urls: t.compliant_urls,
        verify,
        client,
    })
}

/// Without the "tls" feature the parser refuses SSL_GET, so nothing gets here.
#[cfg(not(feature = "tls"))]
fn tls_check(
    _cx: &mut Ctx,
    pos: Pos,
    _t: &RawTls,
    _urls: &[Url],
    _virtualhost: Option<&str>,
) -> PResult<TlsCheck> {
    perr(pos, "SSL_GET needs a build with the \"tls\" feature")
}

/// The client contexts of the `SSL` block (or of none), with errors at the keyword.
#[cfg(feature = "tls")]
fn build_tls_client(ssl: Option<&RawSsl>, pos: Pos) -> PResult<crate::tls::Client> {
    use crate::tls::{Client, SslField, SslFiles};
    let Some(ssl) = ssl else {
        return Client::build(&SslFiles::default()).or_else(|e| perr(pos, e.message));
    };
    let files = SslFiles {
        ca: ssl.ca.as_ref().map(|(p, _)| p.as_path()),
        certificate: ssl.certificate.as_ref().map(|(p, _)| p.as_path()),
        key: ssl.key.as_ref().map(|(p, _)| p.as_path()),
        password: ssl.password.as_ref().map(|(p, _)| p.as_str()),
    };
    Client::build(&files).or_else(|e| {
        let at = match e.field {
            SslField::Ca => ssl.ca.as_ref().map(|x| x.1),
            SslField::Certificate => ssl.certificate.as_ref().map(|x| x.1),
            SslField::Key => ssl.key.as_ref().map(|x| x.1),
        };
        perr(at.unwrap_or(ssl.pos), e.message)
    })
}

/// One expanded target of a `virtual_server` line.
#[derive(Clone, Copy)]
enum Member {
    Addr(IpAddr, u16),
    Fwmark(u32, Option<Family>),
}

pub fn resolve(raw: &RawConfig, files: &[PathBuf], mut warnings: Vec<String>) -> PResult<Config> {
    warnings.extend(raw.warnings.iter().cloned());
    let mut cx = Ctx {
        files,
        raw,
        warnings,
        total_reals: 0,
        last_urls: None,
        #[cfg(feature = "tls")]
        tls_client: None,
    };
    // The files of an SSL block are read even when no SSL_GET uses them yet, so that
    // `lvsmon check` reports a missing CA before a check needs it.
    #[cfg(feature = "tls")]
    if let Some(ssl) = &raw.ssl {
        cx.tls_client(ssl.pos)?;
    }
    let mut services: Vec<VirtualServer> = Vec::new();
    for vs in &raw.vss {
        let (members, group) = expand(&cx, vs, services.len())?;
        if vs.reals.is_empty() {
            cx.warn(
                vs.pos,
                "virtual_server has no real servers - ignored (as keepalived does)".to_string(),
            );
            continue;
        }
        for m in members {
            if services.len() >= MAX_SERVICES {
                return perr(
                    vs.pos,
                    format!("more than MAX_SERVICES ({}) virtual services", MAX_SERVICES),
                );
            }
            let v = one_service(&mut cx, vs, m, group.clone())?;
            if let Some(first) = services.iter().find(|o| same_service(o, &v)) {
                return perr(
                    vs.pos,
                    format!(
                        "virtual service {} is defined twice (first at {})",
                        service_name(&v),
                        fmt_pos(files, first.pos)
                    ),
                );
            }
            services.push(v);
        }
    }
    let lvs_notify_fifo = match &raw.lvs_notify_fifo {
        Some(f) if f.path.as_os_str().is_empty() => {
            // keepalived runs a fifo script only for a fifo it opened.
            cx.warnings
                .push("lvs_notify_fifo_script without an lvs_notify_fifo - ignored".to_string());
            None
        }
        other => other.clone(),
    };
    // In file order, so a file two track_files name is initialised by the last one, as
    // keepalived's end handlers would.
    // Plain loops, not filter/collect chains (0.5 KB less code).
    let mut inits: Vec<&crate::config::parse::TrackFile> = Vec::new();
    for t in raw.track_files.values() {
        if t.init.is_some() {
            inits.push(t);
        }
    }
    // Unstable (one small heapsort, not a merge sort per element type, for code size):
    // no two track_files have the same position.
    inits.sort_unstable_by_key(|t| (t.pos.file, t.pos.line, t.pos.col));
    let mut track_file_inits = Vec::with_capacity(inits.len());
    for t in inits {
        if let Some((value, overwrite)) = t.init {
            track_file_inits.push(TrackFileInit {
                path: t.path.clone(),
                value,
                overwrite,
            });
        }
    }
    let mut cfg = Config {
        files: files.to_vec(),
        services,
        sync_daemon: raw.sync_daemon.clone(),
        lvs_timeouts: raw.lvs_timeouts,
        vip_announce: raw.vip_announce.clone(),
        lvs_flush: raw.lvs_flush,
        lvs_flush_on_stop: raw.lvs_flush_on_stop,
        net_namespace_ipvs: raw.net_namespace_ipvs.clone(),
        lvs_notify_fifo,
        track_file_inits,
        warnings: cx.warnings,
        notes: raw.notes.clone(),
    };
    crate::config::directors::apply(&mut cfg, &|pos| fmt_pos(files, pos));
    let security = crate::config::script_security::Settings {
        script_user: raw.script_user.clone(),
        enabled: raw.script_security,
    };
    crate::config::script_security::apply(&mut cfg, &security, files);
    Ok(cfg)
}

/// The kernel's identity of a service: protocol + address, or fwmark + family.
fn same_service(a: &VirtualServer, b: &VirtualServer) -> bool {
    match (&a.target, &b.target) {
        (VsTarget::Addr(x), VsTarget::Addr(y)) => x == y && a.protocol == b.protocol,
        (VsTarget::Fwmark { .. }, VsTarget::Fwmark { .. }) => a.target == b.target,
        _ => false,
    }
}

fn service_name(v: &VirtualServer) -> String {
    match &v.target {
        // All ASCII (an address and port): to_ascii_uppercase, not Unicode's
        // to_uppercase, which costs ~1 KB of code.
        VsTarget::Addr(a) => {
            let mut s = format!("{} {}", crate::director::protocol_name(v.protocol), a);
            s.make_ascii_uppercase();
            s
        }
        VsTarget::Fwmark { mark, family } => format!("fwmark {} {}", mark, family_name(*family)),
    }
}

fn expand(cx: &Ctx, vs: &RawVs, have: usize) -> PResult<(Vec<Member>, Option<String>)> {
    match &vs.target {
        RawTarget::Addr(ip, port) => Ok((vec![Member::Addr(*ip, *port)], None)),
        RawTarget::Fwmark(m) => Ok((vec![Member::Fwmark(*m, None)], None)),
        RawTarget::Group(name) => {
            let Some((_, entries)) = cx.raw.groups.get(name) else {
                return perr(
                    vs.pos,
                    format!("virtual_server_group '{}' is not defined", name),
                );
            };
            let room = MAX_SERVICES.saturating_sub(have);
            let mut out = Vec::new();
            for e in entries {
                match *e {
                    VsgEntry::Fwmark { mark, family, .. } => out.push(Member::Fwmark(mark, family)),
                    VsgEntry::Range {
                        start, end, port, ..
                    } => {
                        let (s, n) = match (start, end) {
                            (IpAddr::V4(s), IpAddr::V4(e)) => {
                                (u128::from(u32::from(s)), u128::from(u32::from(e)))
                            }
                            (IpAddr::V6(s), IpAddr::V6(e)) => (u128::from(s), u128::from(e)),
                            _ => (0, 0),
                        };
                        let count = n - s + 1;
                        if count > (room - out.len().min(room)) as u128 {
                            return perr(vs.pos, too_many_members(name));
                        }
                        for a in s..=n {
                            let ip = match start {
                                IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::from(a as u32)),
                                IpAddr::V6(_) => IpAddr::V6(a.into()),
                            };
                            out.push(Member::Addr(ip, port));
                        }
                    }
                }
                if out.len() > room {
                    return perr(vs.pos, too_many_members(name));
                }
            }
            Ok((out, Some(name.clone())))
        }
    }
}

/// The error of a group with too many members (one function for its two places).
fn too_many_members(group: &str) -> String {
    format!(
        "virtual_server group '{}' expands to more than MAX_SERVICES ({}) virtual services",
        group, MAX_SERVICES
    )
}

/// The error of a server whose address family is not the service's (real and sorry
/// servers share it, for code size).
fn family_mismatch(what: &str, ip: IpAddr, family: Family) -> String {
    format!(
        "{} {} is {} but the virtual server is {} (only TUN may differ)",
        what,
        ip,
        family_name(Family::of(&ip)),
        family_name(family)
    )
}

fn fwd_of(spec: Option<FwdSpec>, dflt: FwdSpec) -> FwdSpec {
    spec.unwrap_or(dflt)
}

fn family_name(f: Family) -> &'static str {
    match f {
        Family::Inet => "IPv4",
        Family::Inet6 => "IPv6",
    }
}

// Out of line for code size: inlined into resolve's loop, its string constants were
// hoisted out of the loop and spilled (MIPS).
#[inline(never)]
fn one_service(
    cx: &mut Ctx,
    vs: &RawVs,
    m: Member,
    group: Option<String>,
) -> PResult<VirtualServer> {
    let vs_fwd = vs.fwd.unwrap_or(FwdSpec {
        forward: Forward::Masq,
        tunnel: TunnelSpec::default(),
    });
    let is_fwmark = matches!(m, Member::Fwmark(..));
    // Address family: the address's; for a fwmark the group entry's, ip_family, the
    // non-tunnelled servers', else the tunnelled servers' if they agree, else IPv4.
    let family = match m {
        Member::Addr(ip, _) => Family::of(&ip),
        Member::Fwmark(_, Some(f)) => f,
        Member::Fwmark(_, None) => match vs.ip_family {
            Some(f) => f,
            None => {
                let non_tun = vs
                    .reals
                    .iter()
                    .find(|r| fwd_of(r.fwd, vs_fwd).forward != Forward::Tunnel)
                    .map(|r| Family::of(&r.ip));
                let sorry_non_tun = vs.sorry.as_ref().and_then(|s| {
                    (fwd_of(vs.sorry_fwd, vs_fwd).forward != Forward::Tunnel)
                        .then(|| Family::of(&s.ip))
                });
                match non_tun.or(sorry_non_tun) {
                    Some(f) => f,
                    None => {
                        let mut fams = vs.reals.iter().map(|r| Family::of(&r.ip));
                        let first = fams.next().unwrap_or(Family::Inet);
                        if fams.all(|f| f == first) {
                            first
                        } else {
                            Family::Inet
                        }
                    }
                }
            }
        },
    };
    if let (Member::Addr(..), Some(f)) = (m, vs.ip_family) {
        if f != family {
            return perr(
                vs.pos,
                format!(
                    "ip_family {} conflicts with the {} virtual server address",
                    if f == Family::Inet { "inet" } else { "inet6" },
                    family_name(family)
                ),
            );
        }
    }
    let (target, vport) = match m {
        Member::Addr(ip, port) => (VsTarget::Addr(SocketAddr::new(ip, port)), port),
        Member::Fwmark(mark, _) => (VsTarget::Fwmark { mark, family }, 0),
    };

    let protocol = if is_fwmark {
        if vs.protocol.is_some() && group.is_none() {
            cx.warn(
                vs.pos,
                "'protocol' is ignored for a fwmark virtual_server".to_string(),
            );
        }
        vs.protocol.unwrap_or(Protocol::Tcp)
    } else {
        match vs.protocol {
            Some(p) => p,
            None => {
                cx.warn(
                    vs.pos,
                    "virtual_server has no 'protocol': using UDP, as keepalived does".to_string(),
                );
                Protocol::Udp
            }
        }
    };

    let sched: SchedName = match &vs.sched {
        Some(s) => s.clone(),
        None => {
            cx.warn(
                vs.pos,
                format!(
                    "virtual_server has no 'lb_algo': using {}, as keepalived does",
                    DEFAULT_SCHED
                ),
            );
            let mut s = SchedName::new();
            let _ = s.push_str(DEFAULT_SCHED);
            s
        }
    };
    // keepalived complains only when a server actually falls back on the default: a real
    // server without its own lvs_method, or a sorry server without sorry_server_lvs_method.
    if vs.fwd.is_none()
        && (vs.reals.iter().any(|r| r.fwd.is_none())
            || (vs.sorry.is_some() && vs.sorry_fwd.is_none()))
    {
        cx.warn(
            vs.pos,
            "virtual_server has no 'lb_kind': using NAT, as keepalived does".to_string(),
        );
    }
    let mut flags = vs.flags;
    if vs.ops {
        if !is_fwmark && protocol != Protocol::Udp {
            cx.warn(
                vs.pos,
                "'ops' (one-packet scheduling) needs UDP - ignored".to_string(),
            );
        } else {
            flags |= svc_flags::ONEPACKET;
        }
    }
    let mut persistence_timeout = vs.persistence_timeout;
    let persistence_granularity = match &vs.granularity {
        None => None,
        Some((text, pos)) => {
            if persistence_timeout.is_none() {
                persistence_timeout = Some(DEFAULT_PERSISTENCE);
            }
            Some(granularity(text, *pos, family)?)
        }
    };
    if !is_fwmark && vport == 0 && persistence_timeout.is_none() {
        cx.warn(
            vs.pos,
            "a virtual service without a port must be persistent: persistence_timeout 360 set"
                .to_string(),
        );
        persistence_timeout = Some(DEFAULT_PERSISTENCE);
    }

    // Refused even with no real server to ramp: the line is wrong where it stands.
    slow_start(vs, vs.slow_start)?;

    // Real servers.
    let mut reals: Vec<RealServer> = Vec::with_capacity(vs.reals.len());
    // Addresses seen so far: duplicate detection by hash, not a scan per server (a
    // FastMap, not a BTreeSet: 1.4 KB less code on MIPS).
    let mut seen: FastMap<SocketAddr, ()> = fast_map(vs.reals.len());
    for r in &vs.reals {
        let rs = real(cx, vs, r, vs_fwd, family, is_fwmark, vport)?;
        if seen.insert(rs.addr, ()).is_some() {
            cx.warn(
                r.pos,
                format!("real_server {} is duplicated - second one ignored", rs.addr),
            );
            continue;
        }
        cx.total_reals += 1;
        if cx.total_reals > MAX_REALS {
            return perr(
                r.pos,
                format!("more than MAX_REALS ({}) real servers", MAX_REALS),
            );
        }
        reals.push(rs);
    }

    let sorry_server = match &vs.sorry {
        None => None,
        Some(s) => {
            let f = fwd_of(vs.sorry_fwd, vs_fwd);
            if f.forward != Forward::Tunnel && Family::of(&s.ip) != family {
                return perr(s.pos, family_mismatch("sorry_server", s.ip, family));
            }
            let port = fix_port(
                cx,
                s.pos,
                "sorry_server",
                s.port,
                f.forward,
                is_fwmark,
                vport,
                group.is_some(),
            );
            let addr = SocketAddr::new(s.ip, port);
            let mut inhibit = vs.sorry_inhibit;
            if let Some(rs) = reals.iter().find(|r| r.addr == addr) {
                if rs.inhibit_on_failure != inhibit {
                    cx.warn(
                        s.pos,
                        format!(
                            "sorry_server equals real_server {} but inhibit_on_failure differs: using the real server's",
                            addr
                        ),
                    );
                    inhibit = rs.inhibit_on_failure;
                }
            }
            Some(SorryServer {
                pos: s.pos,
                addr,
                forward: f.forward,
                tunnel: f.tunnel,
                inhibit,
            })
        }
    };

    let weight_sum: u64 = reals.iter().map(|r| r.weight.max(0) as u64).sum();
    let mut quorum = vs.quorum;
    if u64::from(quorum) > weight_sum {
        let q = u32::try_from(weight_sum).unwrap_or(u32::MAX);
        cx.warn(
            vs.pos,
            format!(
                "quorum {} exceeds the total weight {} of the real servers - reduced to {}",
                quorum, weight_sum, q
            ),
        );
        quorum = q;
    }
    let mut hysteresis = vs.hysteresis;
    if hysteresis > 0 && hysteresis >= quorum {
        let h = quorum.saturating_sub(1);
        cx.warn(
            vs.pos,
            format!(
                "hysteresis {} >= quorum {} - set to {}",
                hysteresis, quorum, h
            ),
        );
        hysteresis = h;
    }

    Ok(VirtualServer {
        pos: vs.pos,
        target,
        group,
        protocol,
        sched,
        svc_flags: flags,
        forward: vs_fwd.forward,
        tunnel: vs_fwd.tunnel,
        persistence_timeout,
        persistence_granularity,
        persistence_engine: vs.pe.clone(),
        virtualhost: vs.virtualhost.clone(),
        alpha: vs.alpha,
        omega: vs.omega,
        inhibit_on_failure: vs.inhibit,
        quorum,
        hysteresis,
        quorum_up: vs.quorum_up.clone(),
        quorum_down: vs.quorum_down.clone(),
        sorry_server,
        reals,
    })
}

/// `persistence_granularity`: an IPv4 netmask (solid, returned in host order) or an IPv6
/// prefix length 1-128.
fn granularity(text: &str, pos: Pos, family: Family) -> PResult<u32> {
    match family {
        Family::Inet => {
            let Ok(m) = text.parse::<Ipv4Addr>() else {
                return perr(
                    pos,
                    format!(
                        "'persistence_granularity' needs an IPv4 netmask, got '{}'",
                        text
                    ),
                );
            };
            let v = u32::from(m);
            if v.leading_ones() + v.trailing_zeros() != 32 {
                return perr(
                    pos,
                    format!(
                        "'persistence_granularity' netmask '{}' is not contiguous",
                        text
                    ),
                );
            }
            Ok(v)
        }
        Family::Inet6 => match text.parse::<u32>() {
            Ok(n) if (1..=128).contains(&n) => Ok(n),
            _ => perr(
                pos,
                format!(
                    "'persistence_granularity' needs an IPv6 prefix length (1-128), got '{}'",
                    text
                ),
            ),
        },
    }
}

/// keepalived's port rules: NAT servers without a port take the service's; DR/TUN servers
/// always use the service's port (none for a fwmark service).
#[allow(clippy::too_many_arguments)]
fn fix_port(
    cx: &mut Ctx,
    pos: Pos,
    what: &str,
    port: u16,
    forward: Forward,
    is_fwmark: bool,
    vport: u16,
    in_group: bool,
) -> u16 {
    if forward == Forward::Masq {
        if !is_fwmark && port == 0 {
            return vport;
        }
        return port;
    }
    if is_fwmark {
        if port != 0 && !in_group {
            cx.warn(
                pos,
                format!(
                    "{} port is ignored for a fwmark service that is not NAT",
                    what
                ),
            );
        }
        return 0;
    }
    if port != 0 && port != vport && !in_group {
        cx.warn(
            pos,
            format!(
                "{} port {} differs from the virtual server's port {} - using {} (not NAT)",
                what, port, vport, vport
            ),
        );
    }
    vport
}

/// The seconds of a `slow_start`, refused at its position under a hashing scheduler.
fn slow_start(vs: &RawVs, slow: Option<(u32, Pos)>) -> PResult<u32> {
    let Some((secs, pos)) = slow else {
        return Ok(0);
    };
    let sched = vs.sched.as_deref().unwrap_or(DEFAULT_SCHED);
    if secs > 0 && is_hashing(sched) {
        return perr(
            pos,
            format!(
                "'slow_start' cannot be used with the {} scheduler: it hashes flows to real \
                 servers, so every step of the ramp would move established clients to \
                 other servers",
                sched
            ),
        );
    }
    Ok(secs)
}

#[allow(clippy::too_many_arguments)]
fn real(
    cx: &mut Ctx,
    vs: &RawVs,
    r: &RawRs,
    vs_fwd: FwdSpec,
    family: Family,
    is_fwmark: bool,
    vport: u16,
) -> PResult<RealServer> {
    let f = fwd_of(r.fwd, vs_fwd);
    if f.forward != Forward::Tunnel && Family::of(&r.ip) != family {
        return perr(r.pos, family_mismatch("real_server", r.ip, family));
    }
    let in_group = matches!(vs.target, RawTarget::Group(_));
    let port = fix_port(
        cx,
        r.pos,
        "real_server",
        r.port,
        f.forward,
        is_fwmark,
        vport,
        in_group,
    );
    let addr = SocketAddr::new(r.ip, port);
    let rs_alpha = r.timers.alpha.unwrap_or(vs.alpha);
    let mut checks = Vec::new();
    let mut any_alpha = false;
    for c in &r.checks {
        let (check, alpha) = check(cx, vs, r, c, addr)?;
        any_alpha |= alpha;
        checks.push(check);
    }
    let health_checks = checks.len();
    if let Some(a) = &r.agent {
        if checks.len() >= MAX_CHECKS_PER_REAL {
            return perr(
                a.pos,
                format!(
                    "more than MAX_CHECKS_PER_REAL ({}) checks on real_server {} (agent_check counts as one)",
                    MAX_CHECKS_PER_REAL, r.ip
                ),
            );
        }
        checks.push(agent(vs, r, a, addr));
    }
    Ok(RealServer {
        pos: r.pos,
        addr,
        weight: r.weight.unwrap_or(vs.weight),
        forward: f.forward,
        tunnel: f.tunnel,
        inhibit_on_failure: r.inhibit.unwrap_or(vs.inhibit),
        uthreshold: r.uthreshold,
        lthreshold: r.lthreshold,
        notify_up: r.notify_up.clone(),
        notify_down: r.notify_down.clone(),
        slow_start: Duration::from_secs(u64::from(slow_start(vs, r.slow_start.or(vs.slow_start))?)),
        // A checker's own `alpha` overrides the real server's; the real server starts
        // down when any of its checkers does (all must be up for it to be up).
        // An agent never starts a server down: only health checks count here.
        alpha: if health_checks == 0 {
            rs_alpha
        } else {
            any_alpha
        },
        checks,
    })
}

/// The check an `agent_check` runs: the agent's address (default the real server's) and
/// port; interval and timeout default to the real server's delay_loop and
/// connect_timeout (inherited as for its checks). No retry and no rise: each reply is
/// applied as it comes.
fn agent(vs: &RawVs, r: &RawRs, a: &RawAgent, rs_addr: SocketAddr) -> Check {
    let delay_loop = a
        .interval
        .or(r.timers.delay_loop)
        .or(vs.timers.delay_loop)
        .unwrap_or(DEFAULT_DELAY_LOOP);
    let connect_timeout = a
        .timeout
        .or(r.timers.connect_timeout)
        .or(vs.timers.connect_timeout)
        .unwrap_or(DEFAULT_CONNECT_TIMEOUT);
    Check {
        kind: CheckKind::Agent,
        target: SocketAddr::new(a.address.unwrap_or(rs_addr.ip()), a.port),
        bindto: None,
        bind_port: None,
        sock: Default::default(),
        connect_timeout,
        retry: 0,
        delay_before_retry: delay_loop,
        rise: 1,
        jitter_percent: vs.jitter_percent,
        delay_loop,
        warmup: r.timers.warmup.or(vs.timers.warmup).unwrap_or(delay_loop),
    }
}

fn check(
    cx: &mut Ctx,
    vs: &RawVs,
    r: &RawRs,
    c: &RawCheck,
    rs_addr: SocketAddr,
) -> PResult<(Check, bool)> {
    let delay_loop = c
        .timers
        .delay_loop
        .or(r.timers.delay_loop)
        .or(vs.timers.delay_loop)
        .unwrap_or(DEFAULT_DELAY_LOOP);
    let retry = c
        .timers
        .retry
        .or(r.timers.retry)
        .or(vs.timers.retry)
        .unwrap_or_else(|| default_retry(&c.kind));
    let delay_before_retry = c
        .timers
        .delay_before_retry
        .or(r.timers.delay_before_retry)
        .or(vs.timers.delay_before_retry)
        .unwrap_or_else(|| default_delay_before_retry(&c.kind, delay_loop));
    let rise = c
        .timers
        .rise
        .or(r.timers.rise)
        .or(vs.timers.rise)
        .unwrap_or(1);
    let warmup = c
        .timers
        .warmup
        .or(r.timers.warmup)
        .or(vs.timers.warmup)
        .unwrap_or(delay_loop);
    let connect_timeout = c
        .timers
        .connect_timeout
        .or(r.timers.connect_timeout)
        .or(vs.timers.connect_timeout)
        .unwrap_or(DEFAULT_CONNECT_TIMEOUT);
    let alpha = c.timers.alpha.or(r.timers.alpha).unwrap_or(vs.alpha);
    let ip = c.connect_ip.unwrap_or(rs_addr.ip());
    let port = c.connect_port.unwrap_or(rs_addr.port());
    let target = SocketAddr::new(ip, port);
    if let IpAddr::V6(v6) = ip {
        // keepalived check_conn_opts: "Checker link local address ... requires a bind_if"
        // (a link-local address names no interface by itself).
        if v6.segments()[0] & 0xffc0 == 0xfe80 && c.sock.bind_if.is_none() {
            return perr(
                c.pos,
                format!(
                    "the check target {} is link-local: it needs a 'bind_if'",
                    ip
                ),
            );
        }
    }
    if let Some(b) = c.bindto {
        if Family::of(&b) != Family::of(&ip) {
            return perr(
                c.bindto_pos.unwrap_or(c.pos),
                format!(
                    "bindto {} and the check target {} are different address families",
                    b, ip
                ),
            );
        }
    }
    let kind = match &c.kind {
        RawKind::Tcp => CheckKind::Tcp,
        RawKind::Http {
            tls,
            urls,
            virtualhost,
            protocol,
            fast_recovery,
        } => {
            let virtualhost = virtualhost
                .clone()
                .or_else(|| r.virtualhost.clone())
                .or_else(|| vs.virtualhost.clone());
            let tls = match tls {
                None => None,
                Some(t) => Some(tls_check(cx, c.pos, t, urls, virtualhost.as_deref())?),
            };
            CheckKind::Http(HttpCheck {
                tls,
                urls: cx.share_urls(urls),
                virtualhost,
                protocol: *protocol,
                fast_recovery: *fast_recovery,
            })
        }
        RawKind::Udp(u) => CheckKind::Udp(u.clone()),
        RawKind::Dns(d) => CheckKind::Dns(d.clone()),
        RawKind::Smtp(s) => CheckKind::Smtp(s.clone()),
        RawKind::Misc {
            script,
            timeout,
            dynamic,
        } => CheckKind::Misc(MiscCheck {
            script: script.clone(),
            // check_misc.c: no misc_timeout (or 0) means the virtual server's delay_loop.
            timeout: Some(timeout.unwrap_or(vs.timers.delay_loop.unwrap_or(DEFAULT_DELAY_LOOP))),
            dynamic: *dynamic,
        }),
        RawKind::Ping => CheckKind::Ping,
        RawKind::File {
            name,
            name_pos,
            weight,
        } => {
            let Some(tf) = cx.raw.track_files.get(name) else {
                return perr(
                    *name_pos,
                    format!("FILE_CHECK: track_file '{}' is not defined", name),
                );
            };
            let (w, rev) = weight.unwrap_or((tf.weight, tf.reverse));
            CheckKind::File(FileCheck {
                path: tf.path.clone(),
                weight: w,
                reverse: rev,
            })
        }
    };
    let needs_port = matches!(
        kind,
        CheckKind::Tcp
            | CheckKind::Http(_)
            | CheckKind::Udp(_)
            | CheckKind::Dns(_)
            | CheckKind::Smtp(_)
    );
    if needs_port && port == 0 {
        // A fwmark real server needs no port, and keepalived accepts such a check as it
        // is: it connects to port 0, which the kernel refuses, so the check never passes.
        // We do the same and say so.
        cx.warn(
            c.pos,
            format!(
                "{} on real_server {} has no port to connect to: it checks port 0 and always fails, as keepalived's does (add 'connect_port')",
                kind.name(),
                rs_addr.ip()
            ),
        );
    }
    Ok((
        Check {
            kind,
            target,
            bindto: c.bindto,
            bind_port: c.bind_port,
            sock: c.sock.clone(),
            connect_timeout,
            retry,
            delay_before_retry,
            rise,
            jitter_percent: vs.jitter_percent,
            delay_loop,
            warmup,
        },
        alpha,
    ))
}
