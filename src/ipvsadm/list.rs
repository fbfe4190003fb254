//! `ipvsadm -L` and `-S` output, byte for byte, from table values: the header, the
//! titles (print_title), service and destination lines (print_service_entry) in every
//! format (default, --stats, --rate, --exact, --thresholds, --persistent-conn,
//! --tun-info, -S rules), ipvsadm's sort order (libipvs ipvs_cmp_services /
//! ipvs_cmp_dests run through glibc's merge sort), --timeout, --daemon and the
//! connection list read from /proc/net/ip_vs_conn. Pure: callers pass the table and a
//! writer. Each format string is quoted beside the code that reproduces it.

use std::fmt;
use std::io::{self, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::ipvs::rule::{
    svc_flags, Family, Forward, Info, KernelDest, KernelService, KernelTable, ServiceKey,
    SyncDaemonSpec, SyncState, Timeouts, TunnelType,
};
use crate::ipvsadm::args::Format;
use crate::ipvsadm::names::{proto_word, Names};

/// The listing's writer: it keeps the first error and writes nothing after it, which
/// prints the same bytes as stopping at the failed write, without a `?` and its error
/// path after every piece (for code size: -2.6 KB on mipsel).
struct Out<'a> {
    w: &'a mut dyn Write,
    err: io::Result<()>,
}

impl<'a> Out<'a> {
    fn new(w: &'a mut dyn Write) -> Out<'a> {
        Out { w, err: Ok(()) }
    }

    /// What `write!` calls.
    #[inline(never)]
    fn write_fmt(&mut self, args: fmt::Arguments<'_>) {
        if self.err.is_ok() {
            self.err = self.w.write_fmt(args);
        }
    }

    fn put(&mut self, s: &str) {
        if self.err.is_ok() {
            self.err = self.w.write_all(s.as_bytes());
        }
    }

    fn done(self) -> io::Result<()> {
        self.err
    }
}

/// AF_* numbers as libipvs compares them.
const AF_INET: i32 = libc::AF_INET;
const AF_INET6: i32 = libc::AF_INET6;

/// glibc `inet_ntop(AF_INET6)`: RFC 5952-style, but `::a.b.c.d` and `::ffff:a.b.c.d`
/// keep the dotted tail (glibc's rule: the longest zero run starts at word 0 and covers
/// 6 words, or 5 words followed by ffff).
pub fn ntop6(a: &Ipv6Addr) -> String {
    use std::fmt::Write;
    let w = a.segments();
    // Longest run of zero words (first one on ties), length >= 2.
    let (mut best_base, mut best_len) = (usize::MAX, 0usize);
    let mut i = 0;
    while i < 8 {
        if w[i] == 0 {
            let start = i;
            while i < 8 && w[i] == 0 {
                i += 1;
            }
            if i - start > best_len {
                best_base = start;
                best_len = i - start;
            }
        } else {
            i += 1;
        }
    }
    if best_len < 2 {
        best_base = usize::MAX;
    }
    let mut s = String::new();
    let mut i = 0;
    while i < 8 {
        if i == best_base {
            s.push(':');
            i += best_len;
            if i == 8 {
                s.push(':');
            }
            continue;
        }
        if i != 0 {
            s.push(':');
        }
        if i == 6 && best_base == 0 && (best_len == 6 || (best_len == 5 && w[5] == 0xffff)) {
            let o = a.octets();
            let _ = write!(s, "{}.{}.{}.{}", o[12], o[13], o[14], o[15]);
            return s;
        }
        let _ = write!(s, "{:x}", w[i]);
        i += 1;
    }
    s
}

fn ntop(a: &IpAddr) -> String {
    match a {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => ntop6(v6),
    }
}

fn truncate(mut s: String, max: usize) -> String {
    if s.len() > max {
        let mut end = max;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s.truncate(end);
    }
    s
}

/// addrport_to_anyname(): `addr:port`, `[v6]:port`, names unless numeric; ipvsadm's
/// 60-byte buffer keeps at most 59 bytes.
pub fn addrport(addr: &IpAddr, port: u16, ipproto: u16, numeric: bool, names: &Names) -> String {
    let (l, r) = match addr {
        IpAddr::V4(_) => ("", ""),
        IpAddr::V6(_) => ("[", "]"),
    };
    let (host, serv) = if numeric {
        (None, None)
    } else {
        let host = names.host_name(addr);
        (
            host,
            proto_word(ipproto).and_then(|p| names.service_name(port, p)),
        )
    };
    let host = match host {
        Some(h) => h.to_string(),
        None => ntop(addr),
    };
    // The service name, else the port number.
    let serv: &dyn fmt::Display = match &serv {
        Some(n) => n,
        None => &port,
    };
    truncate(format!("{l}{host}{r}:{serv}"), 59)
}

/// print_largenum().
fn largenum(out: &mut Out, i: u64, exact: bool) {
    // One write of (value, width, unit), for code size.
    let (v, w, unit) = if exact {
        // printf("%*llu", len <= 8 ? 9 : len + 1, i)
        let (mut len, mut rest) = (1, i / 10);
        while rest != 0 {
            len += 1;
            rest /= 10;
        }
        (i, if len <= 8 { 9 } else { len + 1 }, "")
    } else if i < 100_000_000 {
        (i, 9, "") // "%9llu"
    } else {
        // "%8lluK" and so on
        let (div, unit) = if i < 1_000_000_000 {
            (1000, "K")
        } else if i < 100_000_000_000 {
            (1_000_000, "M")
        } else if i < 100_000_000_000_000 {
            (1_000_000_000, "G")
        } else {
            (1_000_000_000_000, "T")
        };
        (i / div, 8, unit)
    };
    write!(out, "{v:>w$}{unit}");
}

fn sched_flags_text(sched: &str, flags: u32) -> String {
    use svc_flags::*;
    let names: &[(u32, &str)] = match sched {
        "sh" => &[
            (SCHED_SH_FALLBACK, "sh-fallback"),
            (SCHED_SH_PORT, "sh-port"),
        ],
        "mh" => &[
            (SCHED_MH_FALLBACK, "mh-fallback"),
            (SCHED_MH_PORT, "mh-port"),
        ],
        _ => &[(SCHED1, "flag-1"), (SCHED2, "flag-2"), (SCHED3, "flag-3")],
    };
    let mut s = String::new();
    for &(bit, name) in names {
        if flags & bit != 0 {
            if !s.is_empty() {
                s.push(',');
            }
            s.push_str(name);
        }
    }
    s
}

const SCHED_ANY: u32 = svc_flags::SCHED1 | svc_flags::SCHED2 | svc_flags::SCHED3;

/// print_title().
pub fn write_title(out: &mut dyn Write, f: &Format) -> io::Result<()> {
    let mut o = Out::new(out);
    title(&mut o, f);
    o.done()
}

fn title(out: &mut Out, f: &Format) {
    // print_title()'s printf formats applied to its constant words, as literals.
    let t = if f.stats {
        // "%-33s %8s %8s %8s %8s %8s\n  -> RemoteAddress:Port\n" of
        // "Prot LocalAddress:Port", "Conns", "InPkts", "OutPkts", "InBytes", "OutBytes"
        "Prot LocalAddress:Port               Conns   InPkts  OutPkts  InBytes OutBytes\n  -> RemoteAddress:Port\n"
    } else if f.rate {
        // the same format of "CPS", "InPPS", "OutPPS", "InBPS", "OutBPS"
        "Prot LocalAddress:Port                 CPS    InPPS   OutPPS    InBPS   OutBPS\n  -> RemoteAddress:Port\n"
    } else if f.thresholds {
        // "%-33s %-10s %-10s %-10s %-10s\n  -> RemoteAddress:Port\n" of
        // "Uthreshold", "Lthreshold", "ActiveConn", "InActConn"
        "Prot LocalAddress:Port            Uthreshold Lthreshold ActiveConn InActConn \n  -> RemoteAddress:Port\n"
    } else if f.persistent_conn {
        // "%-33s %-9s %-11s %-10s %-10s\n  -> RemoteAddress:Port\n" of
        // "Weight", "PersistConn", "ActiveConn", "InActConn"
        "Prot LocalAddress:Port            Weight    PersistConn ActiveConn InActConn \n  -> RemoteAddress:Port\n"
    } else if f.tun_info {
        "Prot LocalAddress:Port Scheduler Flags\n  -> RemoteAddress:Port           Forward TunnelInfo    Weight ActiveConn InActConn\n"
    } else if !f.rule {
        "Prot LocalAddress:Port Scheduler Flags\n  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n"
    } else {
        ""
    };
    out.put(t);
}

fn proto_of(key: &ServiceKey) -> u16 {
    match key {
        ServiceKey::Inet { proto, .. } => proto.ipproto(),
        // Netlink dumps of fwmark services carry no protocol: libipvs leaves it 0.
        ServiceKey::Fwmark { .. } => 0,
    }
}

fn fwd_name(f: Forward) -> &'static str {
    match f {
        Forward::Masq => "Masq",
        Forward::LocalNode => "Local",
        Forward::Tunnel => "Tunnel",
        Forward::Route => "Route",
        // fwd_name() returns NULL; glibc printf prints "(null)".
        Forward::Bypass => "(null)",
    }
}

fn fwd_switch(f: Forward) -> &'static str {
    match f {
        Forward::Masq => "-m",
        Forward::Tunnel => "-i",
        Forward::LocalNode | Forward::Route => "-g",
        Forward::Bypass => "(null)",
    }
}

const TUN_FLAGS: [&str; 3] = ["-c", "+c", "r+c"];
const TUN_FLAG_OPTS: [&str; 3] = ["--tun-nocsum", "--tun-csum", "--tun-remcsum"];

fn tun_flag(flags: u16, table: &[&'static str; 3]) -> &'static str {
    // ipvsadm indexes its table with the raw flags; other values are out of its range.
    table.get(flags as usize).copied().unwrap_or("?")
}

/// fwd_tun_info(): "ipip", "gue:PORT:FLAGS", "gre:FLAGS" for tunnel destinations.
fn tun_info(d: &KernelDest) -> Option<String> {
    if d.spec.forward != Forward::Tunnel {
        return None;
    }
    let t = d.spec.tunnel;
    Some(match t.kind {
        TunnelType::Ipip => "ipip".to_string(),
        TunnelType::Gue => format!("gue:{}:{}", t.port, tun_flag(t.flags, &TUN_FLAGS)),
        TunnelType::Gre => format!("gre:{}", tun_flag(t.flags, &TUN_FLAGS)),
    })
}

/// print_service_entry(): the service line and its destinations.
pub fn write_service(
    out: &mut dyn Write,
    se: &KernelService,
    f: &Format,
    names: &Names,
) -> io::Result<()> {
    let mut o = Out::new(out);
    service(&mut o, se, f, names);
    o.done()
}

fn service(out: &mut Out, se: &KernelService, f: &Format, names: &Names) {
    let s = &se.spec;
    let family = s.key.family();
    let ipproto = proto_of(&s.key);
    let v6 = family == Family::Inet6;
    let svc_name = match &s.key {
        ServiceKey::Fwmark { mark, .. } => {
            // "-f %d -6" / "-f %d" / "FWM  %d IPv6" / "FWM  %d" (the mark printed signed)
            let (head, tail) = if f.rule {
                ("-f ", " -6")
            } else {
                ("FWM  ", " IPv6")
            };
            format!("{head}{}{}", *mark as i32, if v6 { tail } else { "" })
        }
        ServiceKey::Inet { proto, addr } => {
            use crate::ipvs::rule::Protocol::*;
            // "-t %s" etc. with -S; else "%-4s %s", cut to 33 bytes unless IPv6
            let head = match (f.rule, proto) {
                (true, Tcp) => "-t ",
                (true, Udp) => "-u ",
                (true, Sctp) => "--sctp-service ",
                (false, Tcp) => "TCP  ",
                (false, Udp) => "UDP  ",
                (false, Sctp) => "SCTP ",
            };
            let mut n = head.to_string();
            n.push_str(&addrport(
                &addr.ip(),
                addr.port(),
                ipproto,
                f.numeric,
                names,
            ));
            if f.rule || v6 {
                n
            } else {
                truncate(n, 33)
            }
        }
    };

    let persistent = s.flags & svc_flags::PERSISTENT != 0;
    // The netmask unless it is the default: an address for IPv4, a prefix length for IPv6.
    let (mask4, mask6) = (Ipv4Addr::from(s.netmask), s.netmask as i32);
    let mask: Option<&dyn fmt::Display> = match family {
        Family::Inet if s.netmask != 0xffff_ffff => Some(&mask4),
        Family::Inet6 if s.netmask != 128 => Some(&mask6),
        _ => None,
    };
    if f.rule {
        // "-A %s -s %s", " -p %u", " -M %s" | " -M %i", " --pe %s", " -o", " -b "
        write!(out, "-A {} -s {}", svc_name, s.sched);
        if persistent {
            write!(out, " -p {}", s.timeout);
            if let Some(m) = mask {
                write!(out, " -M {m}");
            }
        }
        if let Some(pe) = &s.pe_name {
            write!(out, " --pe {pe}");
        }
        if s.flags & svc_flags::ONEPACKET != 0 {
            write!(out, " -o");
        }
        if s.flags & SCHED_ANY != 0 {
            write!(out, " -b {}", sched_flags_text(&s.sched, s.flags));
        }
    } else if f.stats || f.rate {
        write!(out, "{svc_name:<33}"); // "%-33s"
        let st = &se.stats;
        let values = if f.stats {
            [st.conns, st.inpkts, st.outpkts, st.inbytes, st.outbytes]
        } else {
            [st.cps, st.inpps, st.outpps, st.inbps, st.outbps]
        };
        for v in values {
            largenum(out, v, f.exact);
        }
    } else {
        // "%s %s", " (" flags ")", " persistent %u", " mask %s" | " mask %i", " pe %s", " ops"
        write!(out, "{} {}", svc_name, s.sched);
        if s.flags & SCHED_ANY != 0 {
            write!(out, " ({})", sched_flags_text(&s.sched, s.flags));
        }
        if persistent {
            write!(out, " persistent {}", s.timeout);
            if let Some(m) = mask {
                write!(out, " mask {m}");
            }
            if let Some(pe) = &s.pe_name {
                write!(out, " pe {pe}");
            }
        }
        if s.flags & svc_flags::ONEPACKET != 0 {
            write!(out, " ops");
        }
    }
    writeln!(out);

    let mut order: Vec<&KernelDest> = se.dests.iter().collect();
    if !f.nosort {
        msort(&mut order, &|a, b| cmp_dests(a, b));
    }
    for e in order {
        dest(out, e, &svc_name, ipproto, f, names);
    }
}

/// print_service_entry()'s line for one destination. Out of line, for code size (inlined
/// in the service's loop it cost 0.3 KB more on mipsel).
#[inline(never)]
fn dest(out: &mut Out, e: &KernelDest, svc_name: &str, ipproto: u16, f: &Format, names: &Names) {
    let d = &e.spec;
    let mut dname = addrport(&d.addr.ip(), d.addr.port(), ipproto, f.numeric, names);
    if !f.rule && d.addr.is_ipv4() {
        dname = truncate(dname, 28);
    }
    if f.rule {
        write!(
            out,
            "-a {svc_name} -r {dname} {} -w {}",
            fwd_switch(d.forward),
            d.weight
        );
        if d.forward == Forward::Tunnel {
            // print_tunnel_rule()
            let flag = tun_flag(d.tunnel.flags, &TUN_FLAG_OPTS);
            match d.tunnel.kind {
                TunnelType::Gre => write!(out, " --tun-type gre {flag}"),
                TunnelType::Gue => {
                    write!(out, " --tun-type gue --tun-port {} {flag}", d.tunnel.port)
                }
                TunnelType::Ipip => write!(out, " --tun-type ipip"),
            }
        }
    } else {
        // "  -> %-28s" and the format's columns
        write!(out, "  -> {dname:<28}");
        dest_columns(out, e, f);
    }
    writeln!(out);
}

/// The columns of a destination line after its name.
fn dest_columns(out: &mut Out, e: &KernelDest, f: &Format) {
    let d = &e.spec;
    // Destination counters as ipvsadm 1.31 shows them: libipvs reads a destination's
    // STATS64 attribute with its 32-bit parser (ipvs_parse_stats), so every counter but
    // the byte counts keeps only its low 32 bits. Service counters are read in full.
    let st = &e.stats;
    let lo = |v: u64| v & 0xffff_ffff;
    if f.stats {
        // five largenums
        for v in [
            lo(st.conns),
            lo(st.inpkts),
            lo(st.outpkts),
            st.inbytes,
            st.outbytes,
        ] {
            largenum(out, v, f.exact);
        }
        return;
    }
    if f.rate {
        // " %8llu %8llu %8llu" then two largenums
        write!(
            out,
            " {:>8} {:>8} {:>8}",
            lo(st.cps),
            lo(st.inpps),
            lo(st.outpps)
        );
        largenum(out, lo(st.inbps), f.exact);
        largenum(out, lo(st.outbps), f.exact);
        return;
    }
    if f.thresholds {
        // " %-10u %-10u %-10u %-10u"
        write!(out, " {:<10} {:<10}", d.u_threshold, d.l_threshold);
    } else if f.persistent_conn {
        // " %-9u %-11u %-10u %-10u" (weight printed unsigned)
        write!(out, " {:<9} {:<11}", d.weight as u32, e.persist_conns);
    } else {
        // " %-7s %-13s %-6d %-10u %-10u" with --tun-info, else " %-7s %-6d %-10u %-10u"
        write!(out, " {:<7}", fwd_name(d.forward));
        if f.tun_info {
            let ti = tun_info(e).unwrap_or_else(|| "n/a".to_string());
            write!(out, " {ti:<13}");
        }
        write!(out, " {:<6}", d.weight);
    }
    write!(out, " {:<10} {:<10}", e.active_conns, e.inact_conns);
}

/// list_all(): header (unless -S), title, every service in ipvsadm's order.
pub fn write_all(
    out: &mut dyn Write,
    info: &Info,
    table: &KernelTable,
    f: &Format,
    names: &Names,
) -> io::Result<()> {
    if !f.rule {
        write_header(out, info)?;
    }
    write_body(out, table, f, names)
}

/// list_all() after the header: the title and every service in ipvsadm's order.
pub fn write_body(
    out: &mut dyn Write,
    table: &KernelTable,
    f: &Format,
    names: &Names,
) -> io::Result<()> {
    let mut order: Vec<&KernelService> = table.services.iter().collect();
    if !f.nosort {
        msort(&mut order, &|a, b| cmp_services(a, b));
    }
    let mut o = Out::new(out);
    title(&mut o, f);
    for s in order {
        service(&mut o, s, f, names);
    }
    o.done()
}

/// "IP Virtual Server version %d.%d.%d (size=%d)\n"
pub fn write_header(out: &mut dyn Write, info: &Info) -> io::Result<()> {
    let v = info.version;
    writeln!(
        out,
        "IP Virtual Server version {}.{}.{} (size={})",
        (v >> 16) & 0xff,
        (v >> 8) & 0xff,
        v & 0xff,
        info.conn_tab_size as i32
    )
}

/// "Timeout (tcp tcpfin udp): %d %d %d\n"
pub fn write_timeouts(out: &mut dyn Write, t: &Timeouts) -> io::Result<()> {
    writeln!(
        out,
        "Timeout (tcp tcpfin udp): {} {} {}",
        t.tcp as i32, t.tcpfin as i32, t.udp as i32
    )
}

/// list_daemon(): "%s sync daemon (mcast=%s, syncid=%d" [", maxlen=%u"] [", group=%s"]
/// [", port=%u"] [", ttl=%u"] ")\n", in the order the kernel reports the daemons.
pub fn write_daemons(out: &mut dyn Write, daemons: &[SyncDaemonSpec]) -> io::Result<()> {
    let mut o = Out::new(out);
    let out = &mut o;
    for d in daemons.iter().take(2) {
        let kind = match d.state {
            SyncState::Master => "master",
            SyncState::Backup => "backup",
        };
        write!(
            out,
            "{kind} sync daemon (mcast={}, syncid={}",
            d.ifname, d.syncid
        );
        if let Some(m) = d.sync_maxlen.filter(|&m| m != 0) {
            write!(out, ", maxlen={m}");
        }
        if let Some(g) = &d.mcast_group {
            write!(out, ", group={}", ntop(g));
        }
        if let Some(p) = d.mcast_port.filter(|&p| p != 0) {
            write!(out, ", port={p}");
        }
        if let Some(t) = d.mcast_ttl.filter(|&t| t != 0) {
            write!(out, ", ttl={t}");
        }
        writeln!(out, ")");
    }
    o.done()
}

/// Why a connection listing failed; the text is ipvsadm's (it exits 1).
#[derive(Debug)]
pub enum ConnError {
    /// "cannot open file %s"
    Open,
    /// "unexpected input from %s"
    Empty,
    Io(io::Error),
}

/// list_conn(): the header line of /proc/net/ip_vs_conn is skipped, each further line
/// is printed with "%-3s %-6s %-11s %-18s %-18s %s\n" (or the pe variant with
/// --persistent-conn when the line has all 11 fields).
pub fn write_conns(
    out: &mut dyn Write,
    proc_text: &str,
    f: &Format,
    names: &Names,
) -> Result<(), ConnError> {
    let mut lines = proc_text.split_inclusive('\n');
    if lines.next().is_none() {
        return Err(ConnError::Empty);
    }
    let mut o = Out::new(out);
    o.put("IPVS connection entries\n");
    // "pro expire %-11s %-18s %-18s %-18s %-16s pe_data\n" of "state", "source",
    // "virtual", "destination", "pe name", or without the last two columns.
    o.put(if f.persistent_conn {
        "pro expire state       source             virtual            destination        pe name          pe_data\n"
    } else {
        "pro expire state       source             virtual            destination\n"
    });
    for line in lines {
        write_conn(&mut o, line, f, names);
    }
    o.done().map_err(ConnError::Io)
}

/// The leading hex digits of `b`, at most `max` of them, as a number (wrapping; 0 when
/// there are none).
fn hex_value(b: &[u8], max: usize) -> u64 {
    b.iter()
        .take(max)
        .map_while(|&c| (c as char).to_digit(16))
        .fold(0, |v, d| v.wrapping_mul(16).wrapping_add(d.into()))
}

/// sscanf's %hX: optional sign and 0x, hex digits, value modulo 2^16 (0 without digits,
/// where the field keeps its zero).
fn scan_hex16(s: &str) -> u16 {
    let (neg, b) = match s.as_bytes() {
        [b'-', rest @ ..] => (true, rest),
        [b'+', rest @ ..] => (false, rest),
        b => (false, b),
    };
    let b = match b {
        [b'0', b'x' | b'X', rest @ ..] => rest,
        _ => b,
    };
    let v = hex_value(b, 32) as u16;
    if neg {
        v.wrapping_neg()
    } else {
        v
    }
}

fn hex_v4(s: &str) -> Ipv4Addr {
    // strtoul(s, NULL, 16), then htonl() of its low 32 bits.
    let t = s.trim_start().trim_start_matches("0x");
    Ipv4Addr::from(hex_value(t.as_bytes(), 16) as u32)
}

/// An address of /proc/net/ip_vs_conn: IPv6 text, else IPv4 text, else the hex form of
/// older kernels.
fn conn_addr(s: &str) -> IpAddr {
    if let Ok(a) = s.parse::<Ipv6Addr>() {
        IpAddr::V6(a)
    } else if let Ok(a) = s.parse::<Ipv4Addr>() {
        IpAddr::V4(a)
    } else {
        IpAddr::V4(hex_v4(s))
    }
}

fn write_conn(out: &mut Out, line: &str, f: &Format, names: &Names) {
    // Fields after the last one keep empty/zero values; `n` counts the fields read.
    let mut t = [""; 11];
    let mut n = 0;
    for (slot, w) in t.iter_mut().zip(line.split_ascii_whitespace()) {
        *slot = w;
        n += 1;
    }
    if n == 0 {
        // sscanf() returns EOF on a blank line and ipvsadm exits; we print nothing.
        return;
    }
    let [protocol, t1, cport, t2, vport, t3, dport, state, expires, pe_name, pe_data] = t;
    let cport = scan_hex16(cport);
    let vport = scan_hex16(vport);
    let dport = scan_hex16(dport);
    let expires = crate::ipvsadm::names::atoi(expires) as i32;
    let proto: u16 = match protocol {
        "TCP" => libc::IPPROTO_TCP as u16,
        "UDP" => libc::IPPROTO_UDP as u16,
        "SCTP" => libc::IPPROTO_SCTP as u16,
        _ => 0,
    };
    // The client's address decides how the virtual one is read.
    let caddr = conn_addr(t1);
    let vaddr = match caddr {
        IpAddr::V6(_) => IpAddr::V6(t2.parse().unwrap_or(Ipv6Addr::UNSPECIFIED)),
        IpAddr::V4(_) if t1.parse::<Ipv4Addr>().is_ok() => {
            IpAddr::V4(t2.parse().unwrap_or(Ipv4Addr::UNSPECIFIED))
        }
        IpAddr::V4(_) => IpAddr::V4(hex_v4(t2)),
    };
    let daddr = conn_addr(t3);
    let cname = addrport(&caddr, cport, proto, f.numeric, names);
    let vname = addrport(&vaddr, vport, proto, f.numeric, names);
    let dname = addrport(&daddr, dport, proto, f.numeric, names);
    let e = expires as u32;
    let expire = format!("{:02}:{:02}", (e / 60) as i32, (e % 60) as i32);
    if f.persistent_conn && n == 11 {
        writeln!(
            out,
            "{protocol:<3} {expire:<6} {state:<11} {cname:<18} {vname:<18} {dname:<16} {pe_name:<18} {pe_data}"
        );
    } else {
        writeln!(
            out,
            "{protocol:<3} {expire:<6} {state:<11} {cname:<18} {vname:<18} {dname}"
        );
    }
}

/// Network-order words of an address as libipvs's comparators read them (IPv4 in the
/// first word of the union, the rest zero).
fn words(a: &IpAddr) -> [u32; 4] {
    match a {
        IpAddr::V4(v4) => [u32::from(*v4), 0, 0, 0],
        IpAddr::V6(v6) => {
            let o = v6.octets();
            let mut w = [0u32; 4];
            for (i, c) in o.chunks_exact(4).enumerate() {
                w[i] = u32::from_be_bytes([c[0], c[1], c[2], c[3]]);
            }
            w
        }
    }
}

fn af_num(f: Family) -> i32 {
    match f {
        Family::Inet => AF_INET,
        Family::Inet6 => AF_INET6,
    }
}

/// ipvs_cmp_services(), including its int overflow on large differences.
fn cmp_services(a: &KernelService, b: &KernelService) -> i32 {
    let (fa, fb) = (mark_of(&a.spec.key), mark_of(&b.spec.key));
    let r = fa.wrapping_sub(fb) as i32;
    if r != 0 {
        return r;
    }
    let r = af_num(a.spec.key.family()) - af_num(b.spec.key.family());
    if r != 0 {
        return r;
    }
    let r = proto_of(&a.spec.key) as i32 - proto_of(&b.spec.key) as i32;
    if r != 0 {
        return r;
    }
    let (aa, ap) = addr_port_of(&a.spec.key);
    let (ba, bp) = addr_port_of(&b.spec.key);
    let r = cmp_words(&aa, &ba, a.spec.key.family() == Family::Inet6);
    if r != 0 {
        return r;
    }
    ap as i32 - bp as i32
}

fn mark_of(k: &ServiceKey) -> u32 {
    match k {
        ServiceKey::Fwmark { mark, .. } => *mark,
        ServiceKey::Inet { .. } => 0,
    }
}

fn addr_port_of(k: &ServiceKey) -> ([u32; 4], u16) {
    match k {
        ServiceKey::Inet { addr, .. } => (words(&addr.ip()), addr.port()),
        ServiceKey::Fwmark { .. } => ([0; 4], 0),
    }
}

fn cmp_words(a: &[u32; 4], b: &[u32; 4], v6: bool) -> i32 {
    if v6 {
        let mut r = 0;
        for i in 0..4 {
            if r != 0 {
                break;
            }
            r = a[i].wrapping_sub(b[i]) as i32;
        }
        r
    } else {
        a[0].wrapping_sub(b[0]) as i32
    }
}

/// ipvs_cmp_dests(): the family of the first argument decides how many words count.
fn cmp_dests(a: &KernelDest, b: &KernelDest) -> i32 {
    let r = cmp_words(
        &words(&a.spec.addr.ip()),
        &words(&b.spec.addr.ip()),
        a.spec.addr.is_ipv6(),
    );
    if r != 0 {
        return r;
    }
    a.spec.addr.port() as i32 - b.spec.addr.port() as i32
}

/// glibc's qsort for these element sizes: a top-down merge sort (msort.c) that splits
/// n into n/2 and n - n/2 and takes from the left run while cmp <= 0. Reproducing it
/// keeps ipvsadm's order even where its comparators are inconsistent.
fn msort<T: Copy>(v: &mut [T], cmp: &dyn Fn(&T, &T) -> i32) {
    let n = v.len();
    if n <= 1 {
        return;
    }
    let n1 = n / 2;
    let (left, right) = v.split_at_mut(n1);
    msort(left, cmp);
    msort(right, cmp);
    let mut merged: Vec<T> = Vec::with_capacity(n);
    let (mut i, mut j) = (0, 0);
    while i < left.len() && j < right.len() {
        if cmp(&left[i], &right[j]) <= 0 {
            merged.push(left[i]);
            i += 1;
        } else {
            merged.push(right[j]);
            j += 1;
        }
    }
    merged.extend_from_slice(&left[i..]);
    merged.extend_from_slice(&right[j..]);
    v.copy_from_slice(&merged);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ntop6_like_glibc() {
        for (a, want) in [
            ("::", "::"),
            ("::1", "::1"),
            ("2001:db8::1", "2001:db8::1"),
            ("::ffff:1.2.3.4", "::ffff:1.2.3.4"),
            ("::1.2.3.4", "::1.2.3.4"),
            ("2001:db8:0:1:0:0:0:1", "2001:db8:0:1::1"),
            ("2001:0:0:1:0:0:1:1", "2001::1:0:0:1:1"),
            ("1:0:1:1:1:1:1:1", "1:0:1:1:1:1:1:1"),
            ("fe80::", "fe80::"),
        ] {
            assert_eq!(ntop6(&a.parse().unwrap()), want, "{a}");
        }
    }

    #[test]
    fn conn_fields_like_sscanf_and_strtoul() {
        for (s, want) in [
            ("D431", 0xd431),
            ("0x1F90", 0x1f90),
            ("+0X10", 0x10),
            ("-1", 0xffff),
            ("12345", 0x2345),
            ("0x", 0),
            ("", 0),
            ("zz", 0),
        ] {
            assert_eq!(scan_hex16(s), want, "{s}");
        }
        for (s, want) in [
            ("7F000063", Ipv4Addr::new(127, 0, 0, 99)),
            (" 0x0x7f000001", Ipv4Addr::new(127, 0, 0, 1)),
            ("123456789ABCDEF01", Ipv4Addr::new(0x9a, 0xbc, 0xde, 0xf0)),
            ("x", Ipv4Addr::UNSPECIFIED),
        ] {
            assert_eq!(hex_v4(s), want, "{s}");
        }
    }

    #[test]
    fn largenum_units() {
        let cases: [(u64, bool, &str); 7] = [
            (0, false, "        0"),
            (99_999_999, false, " 99999999"),
            (100_000_000, false, "  100000K"),
            (2_000_000_000, false, "    2000M"),
            (150_000_000_000_000, false, "     150T"),
            (123_456_789, true, " 123456789"),
            (5, true, "        5"),
        ];
        for (v, exact, want) in cases {
            let mut v8 = Vec::new();
            let mut o = Out::new(&mut v8);
            largenum(&mut o, v, exact);
            o.done().unwrap();
            assert_eq!(String::from_utf8(v8).unwrap(), want, "{v}");
        }
    }

    #[test]
    fn msort_keeps_glibc_order_for_wrapping_comparator() {
        // 10.0.0.1 vs 200.0.0.1: the u32 difference wraps to a positive int, so
        // ipvsadm lists 200.0.0.1 first. A "correct" sort would not.
        let a = u32::from(Ipv4Addr::new(10, 0, 0, 1));
        let b = u32::from(Ipv4Addr::new(200, 0, 0, 1));
        let mut v = [a, b];
        msort(&mut v, &|x, y| x.wrapping_sub(*y) as i32);
        assert_eq!(v, [b, a]);
    }
}
