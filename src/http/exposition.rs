//! The `/metrics` families that are not the director's: the kernel's IPVS counters (read
//! through the backend at scrape time, not per check), the build, the start time, the
//! last config reload, and the process's resident memory and open files. The IPVS
//! families use node_exporter's ipvs collector labels (`local_address`, `local_port`,
//! `remote_address`, `remote_port`, `proto`, `local_mark`) so dashboards port by a
//! change of prefix; the counters are per backend (real server), and their `sum()` is
//! node_exporter's global figure for the services in the table.

use std::fmt;
use std::net::IpAddr;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::ipvs::rule::{KernelDest, KernelService, KernelTable, Protocol, ServiceKey, Stats};
use crate::prom::{self, Kind, LabelValue, Seconds};

/// The labels of one backend, node_exporter's way: a fwmark service has an empty
/// address, port 0, proto `FWM` and its mark in `local_mark`.
struct BackendLabels<'a>(&'a KernelService, &'a KernelDest);

/// An address as node_exporter prints it (IPv6 without brackets).
struct Ip(IpAddr);

impl fmt::Display for Ip {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl fmt::Display for BackendLabels<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let remote = self.1.spec.addr;
        match self.0.spec.key {
            ServiceKey::Inet { proto, addr } => write!(
                f,
                "local_address=\"{}\",local_port=\"{}\",remote_address=\"{}\",remote_port=\"{}\",proto=\"{}\",local_mark=\"\"",
                LabelValue(Ip(addr.ip())),
                addr.port(),
                LabelValue(Ip(remote.ip())),
                remote.port(),
                match proto {
                    Protocol::Tcp => "TCP",
                    Protocol::Udp => "UDP",
                    Protocol::Sctp => "SCTP",
                }
            ),
            ServiceKey::Fwmark { mark, .. } => write!(
                f,
                "local_address=\"\",local_port=\"0\",remote_address=\"{}\",remote_port=\"{}\",proto=\"FWM\",local_mark=\"{}\"",
                LabelValue(Ip(remote.ip())),
                remote.port(),
                mark
            ),
        }
    }
}

type Field = fn(&KernelDest) -> u64;

/// The IPVS families: name, kind, help, value. A static for code size: built on the
/// stack at each scrape it was about 0.5 KB of stores on mipsel.
static FAMILIES: [(&str, Kind, &str, Field); 8] = [
    (
        "lvsmon_ipvs_backend_connections_active",
        Kind::Gauge,
        "The backend's active connections (IPVS ActiveConn).",
        |d| u64::from(d.active_conns),
    ),
    (
        "lvsmon_ipvs_backend_connections_inactive",
        Kind::Gauge,
        "The backend's inactive connections (IPVS InActConn).",
        |d| u64::from(d.inact_conns),
    ),
    (
        "lvsmon_ipvs_backend_weight",
        Kind::Gauge,
        "The backend's weight in the IPVS table.",
        |d| d.spec.weight.max(0) as u64,
    ),
    (
        "lvsmon_ipvs_connections_total",
        Kind::Counter,
        "Connections the kernel scheduled to the backend (ipvsadm --stats Conns).",
        |d| stat(d, |s| s.conns),
    ),
    (
        "lvsmon_ipvs_incoming_packets_total",
        Kind::Counter,
        "Packets from clients to the backend (ipvsadm --stats InPkts).",
        |d| stat(d, |s| s.inpkts),
    ),
    (
        "lvsmon_ipvs_outgoing_packets_total",
        Kind::Counter,
        "Packets from the backend to clients (ipvsadm --stats OutPkts).",
        |d| stat(d, |s| s.outpkts),
    ),
    (
        "lvsmon_ipvs_incoming_bytes_total",
        Kind::Counter,
        "Bytes from clients to the backend (ipvsadm --stats InBytes).",
        |d| stat(d, |s| s.inbytes),
    ),
    (
        "lvsmon_ipvs_outgoing_bytes_total",
        Kind::Counter,
        "Bytes from the backend to clients (ipvsadm --stats OutBytes).",
        |d| stat(d, |s| s.outbytes),
    ),
];

/// Appends the IPVS families for `table` (a fresh dump).
pub fn write_ipvs(out: &mut String, table: &KernelTable) {
    for &(name, kind, help, field) in &FAMILIES {
        prom::family(out, name, kind, help);
        for s in &table.services {
            for d in &s.dests {
                prom::sample(out, name, format_args!("{}", BackendLabels(s, d)), field(d));
            }
        }
    }
}

fn stat(d: &KernelDest, f: fn(&Stats) -> u64) -> u64 {
    f(&d.stats)
}

/// What the reactor knows of itself for `/metrics`.
pub struct Process {
    pub started: SystemTime,
    pub last_reload_ok: bool,
    pub last_reload_success: SystemTime,
}

fn unix_us(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map(crate::model::duration::micros)
        .unwrap_or(0)
}

/// Appends build, start, reload and process families.
pub fn write_process(out: &mut String, p: &Process) {
    prom::family(
        out,
        "lvsmon_build_info",
        Kind::Gauge,
        "Always 1; the version of lvsmon running is a label.",
    );
    prom::sample(
        out,
        "lvsmon_build_info",
        format_args!("version=\"{}\"", env!("CARGO_PKG_VERSION")),
        1,
    );
    prom::family(
        out,
        "lvsmon_start_time_seconds",
        Kind::Gauge,
        "Unix time lvsmon started.",
    );
    prom::bare(
        out,
        "lvsmon_start_time_seconds",
        Seconds(unix_us(p.started)),
    );
    prom::family(
        out,
        "lvsmon_config_last_reload_successful",
        Kind::Gauge,
        "Whether the last config load or reload was applied (1) or refused (0).",
    );
    prom::bare(
        out,
        "lvsmon_config_last_reload_successful",
        u8::from(p.last_reload_ok),
    );
    prom::family(
        out,
        "lvsmon_config_last_reload_success_timestamp_seconds",
        Kind::Gauge,
        "Unix time of the last config load or reload that was applied.",
    );
    prom::bare(
        out,
        "lvsmon_config_last_reload_success_timestamp_seconds",
        Seconds(unix_us(p.last_reload_success)),
    );
    if let Some(rss) = resident_bytes() {
        prom::family(
            out,
            "process_resident_memory_bytes",
            Kind::Gauge,
            "Resident memory size in bytes.",
        );
        prom::bare(out, "process_resident_memory_bytes", rss);
    }
    if let Some(fds) = open_fds() {
        prom::family(
            out,
            "process_open_fds",
            Kind::Gauge,
            "Number of open file descriptors.",
        );
        prom::bare(out, "process_open_fds", fds);
    }
}

/// VmRSS of /proc/self/status, in bytes.
pub fn resident_bytes() -> Option<u64> {
    let text =
        crate::read_whole::file_string(std::path::Path::new("/proc/self/status"), u64::MAX).ok()?;
    let line = text.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: u64 = line.split_ascii_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// Entries of /proc/self/fd (bounded by the process's fd limit).
pub fn open_fds() -> Option<usize> {
    // The directory's own descriptor, open while it is read, is not counted.
    Some(
        std::fs::read_dir("/proc/self/fd")
            .ok()?
            .count()
            .saturating_sub(1),
    )
}
