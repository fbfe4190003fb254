//! Runs every case of tests/data/ipvsadm/fixtures.txt through the ipvsadm personality
//! and compares stdout, stderr and the exit code byte for byte with what Debian's
//! ipvsadm 1.31 printed for the same command line (recorded by record.py against the
//! fakeipvs.c sockopt shim). The fake backend here serves the same table as the shim and
//! behaves like libipvs's setsockopt path (IPv6 and persistence engines refused with
//! EAFNOSUPPORT before the kernel is asked).

// IpvsError carries the failed Op by value (see src/lib.rs).
#![allow(clippy::result_large_err)]

use std::io::Read;
use std::net::SocketAddr;

use lvsmon::ipvs::backend::{Backend, IpvsError};
use lvsmon::ipvs::rule::*;
use lvsmon::ipvsadm::{self, names::Names, Io};

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/ipvsadm");

struct Fake {
    table: KernelTable,
    errno: i32,
    daemons: Vec<SyncDaemonSpec>,
    /// libipvs's setsockopt path (fakeipvs.c) rather than netlink (fakenl.c).
    sockopt: bool,
}

fn inet(proto: Protocol, a: &str) -> ServiceKey {
    ServiceKey::Inet {
        proto,
        addr: a.parse().unwrap(),
    }
}

fn stats(conns: u64, inpkts: u64, outpkts: u64, inbytes: u64, outbytes: u64, r: [u64; 5]) -> Stats {
    Stats {
        conns,
        inpkts,
        outpkts,
        inbytes,
        outbytes,
        cps: r[0],
        inpps: r[1],
        outpps: r[2],
        inbps: r[3],
        outbps: r[4],
    }
}

fn svc_stats(conns: u64, inpkts: u64, inbytes: u64, cps: u64) -> Stats {
    stats(
        conns,
        inpkts,
        inpkts / 2,
        inbytes,
        inbytes * 3,
        [cps, 2, 3, 123456789, 4],
    )
}

#[allow(clippy::too_many_arguments)]
fn dest(
    a: &str,
    fwd: Forward,
    w: i32,
    ut: u32,
    lt: u32,
    ac: u32,
    ic: u32,
    pc: u32,
    conns: u64,
    inbytes: u64,
) -> KernelDest {
    KernelDest {
        spec: DestSpec {
            addr: a.parse().unwrap(),
            forward: fwd,
            weight: w,
            u_threshold: ut,
            l_threshold: lt,
            tunnel: TunnelSpec::default(),
        },
        active_conns: ac,
        inact_conns: ic,
        persist_conns: pc,
        stats: stats(conns, 1, 2, inbytes, 3, [4, 5, 6, 1_500_000_000, 8]),
    }
}

fn spec(key: ServiceKey, sched: &str, flags: u32, timeout: u32, netmask: u32) -> ServiceSpec {
    ServiceSpec {
        key,
        sched: sched.try_into().unwrap(),
        flags: flags | svc_flags::HASHED,
        timeout,
        netmask,
        pe_name: None,
    }
}

/// The table of fakeipvs.c, in its order.
fn shim_table() -> KernelTable {
    KernelTable {
        services: vec![
            KernelService {
                spec: spec(
                    inet(Protocol::Udp, "127.0.0.10:53"),
                    "rr",
                    svc_flags::PERSISTENT | svc_flags::ONEPACKET,
                    300,
                    0xffff_ff00,
                ),
                stats: svc_stats(5, 6, 700, 1),
                dests: vec![dest(
                    "127.0.0.11:53",
                    Forward::Masq,
                    2,
                    0,
                    0,
                    0,
                    4,
                    9,
                    5,
                    700,
                )],
            },
            KernelService {
                spec: spec(
                    ServiceKey::Fwmark {
                        family: Family::Inet,
                        mark: 7,
                    },
                    "sh",
                    svc_flags::SCHED1 | svc_flags::SCHED2,
                    0,
                    0xffff_ffff,
                ),
                stats: svc_stats(0, 0, 0, 0),
                dests: vec![dest("127.0.0.4:0", Forward::Tunnel, 1, 0, 0, 0, 0, 0, 0, 0)],
            },
            KernelService {
                spec: spec(
                    inet(Protocol::Tcp, "127.0.0.1:80"),
                    "wrr",
                    0,
                    0,
                    0xffff_ffff,
                ),
                stats: svc_stats(123456789, 2_000_000_000, 150_000_000_000_000, 42),
                dests: vec![
                    dest(
                        "127.0.0.3:8080",
                        Forward::Masq,
                        3,
                        100,
                        10,
                        7,
                        8,
                        0,
                        99_999_999,
                        1_000_000_000_000,
                    ),
                    dest(
                        "127.0.0.2:80",
                        Forward::Route,
                        1,
                        0,
                        0,
                        1,
                        2,
                        0,
                        100_000_000,
                        123,
                    ),
                    dest("127.0.0.2:79", Forward::LocalNode, 0, 0, 0, 0, 0, 0, 0, 0),
                ],
            },
            KernelService {
                spec: spec(
                    inet(Protocol::Tcp, "127.0.0.1:22"),
                    "mh",
                    svc_flags::SCHED1,
                    0,
                    0xffff_ffff,
                ),
                stats: svc_stats(0, 0, 0, 0),
                dests: vec![],
            },
        ],
    }
}

fn nl_stats(conns: u64, inbytes: u64, inbps: u64) -> Stats {
    stats(conns, 7, 8, inbytes, 1, [2, 3, 4, inbps, 6])
}

#[allow(clippy::too_many_arguments)]
fn nl_dest(
    a: &str,
    fwd: Forward,
    w: i32,
    th: (u32, u32),
    conns3: (u32, u32, u32),
    tun: (TunnelType, u16, u16),
    conns: u64,
    inbytes: u64,
) -> KernelDest {
    KernelDest {
        spec: DestSpec {
            addr: a.parse().unwrap(),
            forward: fwd,
            weight: w,
            u_threshold: th.0,
            l_threshold: th.1,
            tunnel: TunnelSpec {
                kind: tun.0,
                port: tun.1,
                flags: tun.2,
            },
        },
        active_conns: conns3.0,
        inact_conns: conns3.1,
        persist_conns: conns3.2,
        stats: nl_stats(conns, inbytes, 9),
    }
}

fn nl_svc(spec: ServiceSpec, st: Stats, dests: Vec<KernelDest>) -> KernelService {
    KernelService {
        spec,
        stats: st,
        dests,
    }
}

/// The table of fakenl.c, in its order.
fn nl_table() -> KernelTable {
    let ipip = (TunnelType::Ipip, 0, 0);
    let wlc = |a: &str| {
        nl_svc(
            spec(inet(Protocol::Tcp, a), "wlc", 0, 0, 0xffff_ffff),
            nl_stats(0, 0, 0),
            vec![],
        )
    };
    let mut pe = spec(
        inet(Protocol::Tcp, "[2001:db8::10]:80"),
        "wrr",
        svc_flags::PERSISTENT,
        600,
        64,
    );
    pe.pe_name = Some("sip".try_into().unwrap());
    let mut ten = wlc("10.0.0.1:80");
    ten.dests = vec![
        nl_dest(
            "10.0.0.2:80",
            Forward::Masq,
            1,
            (0, 0),
            (0, 0, 0),
            ipip,
            0,
            0,
        ),
        nl_dest(
            "200.0.0.2:80",
            Forward::Masq,
            1,
            (0, 0),
            (0, 0, 0),
            ipip,
            0,
            0,
        ),
    ];
    KernelTable {
        services: vec![
            nl_svc(
                pe,
                nl_stats(1, 2, 3),
                vec![
                    nl_dest(
                        "[2001:db8::2]:80",
                        Forward::Route,
                        5,
                        (0, 0),
                        (1, 2, 3),
                        ipip,
                        10,
                        20,
                    ),
                    nl_dest(
                        "[2001:db8::1]:8080",
                        Forward::Masq,
                        1,
                        (50, 5),
                        (0, 0, 0),
                        ipip,
                        0,
                        0,
                    ),
                ],
            ),
            nl_svc(
                spec(
                    inet(Protocol::Udp, "127.0.0.20:53"),
                    "rr",
                    svc_flags::ONEPACKET,
                    0,
                    0xffff_ffff,
                ),
                nl_stats(0, 0, 0),
                vec![
                    nl_dest(
                        "127.0.0.21:53",
                        Forward::Tunnel,
                        1,
                        (0, 0),
                        (0, 0, 0),
                        (TunnelType::Gue, 6080, 1),
                        0,
                        0,
                    ),
                    nl_dest(
                        "127.0.0.22:53",
                        Forward::Tunnel,
                        2,
                        (0, 0),
                        (0, 0, 0),
                        (TunnelType::Gre, 0, 0),
                        0,
                        0,
                    ),
                    nl_dest(
                        "127.0.0.23:53",
                        Forward::Tunnel,
                        3,
                        (0, 0),
                        (0, 0, 0),
                        ipip,
                        0,
                        0,
                    ),
                    nl_dest(
                        "[2001:db8::5]:53",
                        Forward::Tunnel,
                        4,
                        (0, 0),
                        (0, 0, 0),
                        (TunnelType::Gue, 7000, 2),
                        0,
                        0,
                    ),
                ],
            ),
            nl_svc(
                spec(
                    ServiceKey::Fwmark {
                        family: Family::Inet6,
                        mark: 9,
                    },
                    "sh",
                    svc_flags::PERSISTENT | svc_flags::SCHED2,
                    300,
                    128,
                ),
                nl_stats(0, 0, 0),
                vec![nl_dest(
                    "[2001:db8::9]:0",
                    Forward::Route,
                    1,
                    (0, 0),
                    (0, 0, 0),
                    ipip,
                    0,
                    0,
                )],
            ),
            nl_svc(
                spec(
                    ServiceKey::Fwmark {
                        family: Family::Inet,
                        mark: u32::MAX,
                    },
                    "lc",
                    svc_flags::SCHED3,
                    0,
                    0xffff_ffff,
                ),
                nl_stats(0, 0, 0),
                vec![],
            ),
            nl_svc(
                spec(
                    inet(Protocol::Sctp, "127.0.0.30:5000"),
                    "lc",
                    0,
                    0,
                    0xffff_ffff,
                ),
                nl_stats(5_000_000_000, 9_000_000_000_000, 5_000_000_000),
                vec![
                    nl_dest(
                        "127.0.0.31:5000",
                        Forward::Bypass,
                        1,
                        (0, 0),
                        (0, 0, 0),
                        ipip,
                        4_294_967_297,
                        4_294_967_296,
                    ),
                    nl_dest(
                        "127.0.0.32:5000",
                        Forward::LocalNode,
                        0,
                        (0, 0),
                        (0, 0, 0),
                        ipip,
                        1,
                        1,
                    ),
                ],
            ),
            ten,
            wlc("200.0.0.1:80"),
            wlc("127.0.0.1:80"),
            wlc("127.0.0.1:8080"),
        ],
    }
}

fn nl_daemons() -> Vec<SyncDaemonSpec> {
    vec![
        SyncDaemonSpec {
            state: SyncState::Master,
            ifname: "eth0".try_into().unwrap(),
            syncid: 1,
            sync_maxlen: Some(1472),
            mcast_group: Some("224.0.0.81".parse().unwrap()),
            mcast_port: Some(8848),
            mcast_ttl: Some(1),
        },
        SyncDaemonSpec {
            state: SyncState::Backup,
            ifname: "eth1".try_into().unwrap(),
            syncid: 2,
            sync_maxlen: Some(1400),
            mcast_group: Some("ff02::1".parse().unwrap()),
            mcast_port: Some(8849),
            mcast_ttl: Some(2),
        },
    ]
}

fn is_v6(k: &ServiceKey) -> bool {
    k.family() == Family::Inet6
}

impl Backend for Fake {
    fn name(&self) -> &'static str {
        "fixture-fake"
    }

    fn apply(&mut self, op: &Op) -> Result<(), IpvsError> {
        // libipvs CHECK_COMPAT_SVC / CHECK_COMPAT_DEST on the setsockopt path.
        let compat = match op {
            Op::AddService(s) | Op::EditService(s) => !is_v6(&s.key) && s.pe_name.is_none(),
            Op::DelService(k) | Op::Zero(Some(k)) => !is_v6(k),
            Op::AddDest(k, d) | Op::EditDest(k, d) => !is_v6(k) && d.addr.is_ipv4(),
            Op::DelDest(k, a) => !is_v6(k) && a.is_ipv4(),
            _ => true,
        };
        let errno = if self.sockopt && !compat {
            libc::EAFNOSUPPORT
        } else {
            self.errno
        };
        if errno != 0 {
            return Err(IpvsError {
                op: Some(op.clone()),
                errno,
                context: "apply",
            });
        }
        Ok(())
    }

    fn dump(&mut self, out: &mut KernelTable) -> Result<(), IpvsError> {
        *out = self.table.clone();
        Ok(())
    }

    fn info(&mut self) -> Result<Info, IpvsError> {
        Ok(Info {
            version: 0x010201,
            conn_tab_size: 4096,
        })
    }

    fn timeouts(&mut self) -> Result<Timeouts, IpvsError> {
        Ok(Timeouts {
            tcp: 900,
            tcpfin: 120,
            udp: 300,
        })
    }

    fn daemons(&mut self) -> Result<heapless::Vec<SyncDaemonSpec, 2>, IpvsError> {
        Ok(self.daemons.iter().cloned().collect())
    }
}

/// Shell words with '…' and "…" quoting (all cases.txt uses).
fn shell_words(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' | '"' => {
                in_word = true;
                for d in chars.by_ref() {
                    if d == c {
                        break;
                    }
                    cur.push(d);
                }
            }
            ' ' | '\t' => {
                if in_word {
                    out.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            _ => {
                in_word = true;
                cur.push(c);
            }
        }
    }
    if in_word {
        out.push(cur);
    }
    out
}

struct Case {
    line: String,
    rc: i32,
    stdout: String,
    stderr: String,
}

fn read_block(lines: &mut std::iter::Peekable<std::str::Lines>, name: &str) -> String {
    let head = lines.next().unwrap();
    let n: usize = head.strip_prefix(name).unwrap().trim().parse().unwrap();
    let mut s = String::new();
    for _ in 0..n {
        let l = lines.next().unwrap().strip_prefix('|').unwrap();
        match l.strip_suffix("\\NOEOL") {
            Some(x) => s.push_str(x),
            None => {
                s.push_str(l);
                s.push('\n');
            }
        }
    }
    s
}

fn cases() -> Vec<Case> {
    let text = std::fs::read_to_string(format!("{DATA}/fixtures.txt")).unwrap();
    let mut lines = text.lines().peekable();
    let mut out = Vec::new();
    while let Some(l) = lines.next() {
        let Some(case) = l.strip_prefix("=== ") else {
            continue;
        };
        let rc = lines
            .next()
            .unwrap()
            .strip_prefix("rc ")
            .unwrap()
            .parse()
            .unwrap();
        let stdout = read_block(&mut lines, "stdout");
        let stderr = read_block(&mut lines, "stderr");
        out.push(Case {
            line: case.to_string(),
            rc,
            stdout,
            stderr,
        });
    }
    out
}

fn names() -> Names {
    Names::from_texts(
        &std::fs::read_to_string(format!("{DATA}/hosts")).unwrap(),
        &std::fs::read_to_string(format!("{DATA}/services")).unwrap(),
    )
}

/// Runs one case; returns (rc, stdout, stderr).
fn run_case(line: &str, names: &Names) -> (i32, String, String) {
    let mut words = shell_words(line);
    let (mut table, mut errno, mut stdin, mut nl) = (false, 0, Vec::new(), false);
    let mut conn_path = format!("{DATA}/no-such-ip_vs_conn");
    while let Some(w) = words.first() {
        if let Some(v) = w.strip_prefix("CONN=") {
            conn_path = format!("{DATA}/{v}");
        } else if let Some(v) = w.strip_prefix("NL=") {
            nl = v == "1";
        } else if let Some(v) = w.strip_prefix("TABLE=") {
            table = v == "1";
        } else if let Some(v) = w.strip_prefix("ERRNO=") {
            errno = v.parse().unwrap();
        } else if let Some(v) = w.strip_prefix("STDIN=") {
            stdin = std::fs::read(format!("{DATA}/{v}")).unwrap();
        } else {
            break;
        }
        words.remove(0);
    }
    let mut argv = vec!["ipvsadm".to_string()];
    argv.extend(words);
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let mut input: &[u8] = &stdin;
    let mut io = Io {
        out: &mut out,
        err: &mut err,
        stdin: &mut |b| input.read(b),
        names,
        conn_path: &conn_path,
    };
    let mut open = move || -> Result<Box<dyn Backend>, IpvsError> {
        let fake = if nl {
            Fake {
                table: nl_table(),
                errno,
                daemons: nl_daemons(),
                sockopt: false,
            }
        } else {
            Fake {
                table: if table {
                    shim_table()
                } else {
                    KernelTable::default()
                },
                errno,
                daemons: if table {
                    vec![SyncDaemonSpec {
                        state: SyncState::Backup,
                        ifname: "eth1".try_into().unwrap(),
                        syncid: 9,
                        sync_maxlen: None,
                        mcast_group: None,
                        mcast_port: None,
                        mcast_ttl: None,
                    }]
                } else {
                    vec![]
                },
                sockopt: true,
            }
        };
        Ok(Box::new(fake))
    };
    let rc = ipvsadm::run(&argv, &mut open, &mut io);
    (
        rc,
        String::from_utf8(out).unwrap(),
        String::from_utf8(err).unwrap(),
    )
}

#[test]
fn every_recorded_case_matches_debian_ipvsadm() {
    let names = names();
    let all = cases();
    assert!(all.len() > 250, "fixtures.txt has {} cases", all.len());
    let mut failures = Vec::new();
    for c in &all {
        let (rc, out, err) = run_case(&c.line, &names);
        if (rc, out.as_str(), err.as_str()) != (c.rc, c.stdout.as_str(), c.stderr.as_str()) {
            failures.push(format!(
                "=== {}\n want rc {} stdout {:?} stderr {:?}\n  got rc {} stdout {:?} stderr {:?}",
                c.line, c.rc, c.stdout, c.stderr, rc, out, err
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases differ:\n{}",
        failures.len(),
        all.len(),
        failures.join("\n")
    );
}

#[test]
fn shell_words_split_quotes() {
    assert_eq!(shell_words("-w ' 5' -s ''"), vec!["-w", " 5", "-s", ""]);
    let _: SocketAddr = "127.0.0.1:1".parse().unwrap();
}
