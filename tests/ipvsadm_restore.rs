//! `-S` / `-R` round trips and restore validation, over an in-memory table that answers
//! like the kernel (EEXIST on duplicate adds, ESRCH for a missing service, ENOENT for a
//! missing destination) and records every operation it is sent.

// IpvsError carries the failed Op by value (see src/lib.rs).
#![allow(clippy::result_large_err)]

use std::io::Read;

use lvsmon::ipvs::backend::{Backend, IpvsError};
use lvsmon::ipvs::rule::*;
use lvsmon::ipvsadm::{self, names::Names, restore, Io};

#[derive(Default)]
struct Mem {
    table: KernelTable,
    ops: Vec<Op>,
}

fn err(op: &Op, errno: i32) -> IpvsError {
    IpvsError {
        op: Some(op.clone()),
        errno,
        context: "apply",
    }
}

impl Mem {
    fn svc(&mut self, k: &ServiceKey) -> Option<&mut KernelService> {
        self.table.services.iter_mut().find(|s| s.spec.key == *k)
    }
}

impl Backend for Mem {
    fn name(&self) -> &'static str {
        "mem"
    }

    fn apply(&mut self, op: &Op) -> Result<(), IpvsError> {
        self.ops.push(op.clone());
        match op {
            Op::AddService(s) => {
                if self.svc(&s.key).is_some() {
                    return Err(err(op, libc::EEXIST));
                }
                let mut spec = s.clone();
                spec.flags |= svc_flags::HASHED;
                self.table.services.push(KernelService {
                    spec,
                    stats: Stats::default(),
                    dests: vec![],
                });
            }
            Op::AddDest(k, d) => {
                let Some(s) = self.svc(k) else {
                    return Err(err(op, libc::ESRCH));
                };
                if s.dests.iter().any(|x| x.spec.addr == d.addr) {
                    return Err(err(op, libc::EEXIST));
                }
                s.dests.push(KernelDest {
                    spec: *d,
                    active_conns: 0,
                    inact_conns: 0,
                    persist_conns: 0,
                    stats: Stats::default(),
                });
            }
            Op::DelDest(k, a) => {
                let Some(s) = self.svc(k) else {
                    return Err(err(op, libc::ESRCH));
                };
                let before = s.dests.len();
                s.dests.retain(|x| x.spec.addr != *a);
                if s.dests.len() == before {
                    return Err(err(op, libc::ENOENT));
                }
            }
            Op::Flush => self.table.services.clear(),
            _ => {}
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
        Ok(Timeouts::default())
    }

    fn daemons(&mut self) -> Result<heapless::Vec<SyncDaemonSpec, 2>, IpvsError> {
        Ok(heapless::Vec::new())
    }
}

/// Runs `f` with an Io over fresh buffers; returns (rc, stdout, stderr).
fn with_io(f: impl FnOnce(&mut Io) -> i32) -> (i32, String, String) {
    let names = Names::default();
    let (mut out, mut errb) = (Vec::new(), Vec::new());
    let mut stdin: &[u8] = b"";
    let rc = {
        let mut io = Io {
            out: &mut out,
            err: &mut errb,
            stdin: &mut |b| stdin.read(b),
            names: &names,
            conn_path: "/nonexistent",
        };
        f(&mut io)
    };
    (
        rc,
        String::from_utf8(out).unwrap(),
        String::from_utf8(errb).unwrap(),
    )
}

/// A table touching every feature `-S` writes: IPv4, IPv6, fwmark (both families),
/// persistence with netmasks, a persistence engine, one-packet scheduling, scheduler
/// flags, every forwarding method, GUE/GRE/IPIP tunnels.
const RULES: &str = "\
-A -t 192.0.2.10:80 -s wrr -p 600 -M 255.255.255.0
-a -t 192.0.2.10:80 -r 198.51.100.2:80 -g -w 1
-a -t 192.0.2.10:80 -r 198.51.100.3:8080 -m -w 3
-A -u 192.0.2.10:53 -s rr -o
-a -u 192.0.2.10:53 -r 198.51.100.4:53 -i -w 1 --tun-type gue --tun-port 6080 --tun-csum
-a -u 192.0.2.10:53 -r 198.51.100.5:53 -i -w 2 --tun-type gre --tun-nocsum
-a -u 192.0.2.10:53 -r 198.51.100.6:53 -i -w 0 --tun-type ipip
-A -t [2001:db8::10]:443 -s sh -p 300 -M 64 --pe sip -b sh-fallback,sh-port
-a -t [2001:db8::10]:443 -r [2001:db8::2]:443 -g -w 5
-A -f 7 -s mh -b mh-port
-a -f 7 -r 198.51.100.7:0 -g -w 1
-A -f 8 -6 -s lc -p 60
-a -f 8 -6 -r [2001:db8::8]:0 -m -w 4
";

#[test]
fn save_output_restores_to_the_same_table() {
    let mut a = Mem::default();
    let (rc, _, e) = with_io(|io| ipvsadm::restore(&mut a, RULES, io));
    assert_eq!((rc, e.as_str()), (0, ""));
    assert_eq!(a.ops.len(), 13);
    let (rc, saved, _) = with_io(|io| ipvsadm::save(&mut a, true, io));
    assert_eq!(rc, 0);
    // ipvsadm's sort: fwmark 0 first (by family, protocol, address, port), then marks.
    let want = "\
-A -t 192.0.2.10:80 -s wrr -p 600 -M 255.255.255.0
-a -t 192.0.2.10:80 -r 198.51.100.2:80 -g -w 1
-a -t 192.0.2.10:80 -r 198.51.100.3:8080 -m -w 3
-A -u 192.0.2.10:53 -s rr -o
-a -u 192.0.2.10:53 -r 198.51.100.4:53 -i -w 1 --tun-type gue --tun-port 6080 --tun-csum
-a -u 192.0.2.10:53 -r 198.51.100.5:53 -i -w 2 --tun-type gre --tun-nocsum
-a -u 192.0.2.10:53 -r 198.51.100.6:53 -i -w 0 --tun-type ipip
-A -t [2001:db8::10]:443 -s sh -p 300 -M 64 --pe sip -b sh-fallback,sh-port
-a -t [2001:db8::10]:443 -r [2001:db8::2]:443 -g -w 5
-A -f 7 -s mh -b mh-port
-a -f 7 -r 198.51.100.7:0 -g -w 1
-A -f 8 -6 -s lc -p 60
-a -f 8 -6 -r [2001:db8::8]:0 -m -w 4
";
    assert_eq!(saved, want);

    // Restoring the saved text into an empty table sends the same operations and
    // saves byte-identically.
    let mut b = Mem::default();
    let (rc, _, _) = with_io(|io| ipvsadm::restore(&mut b, &saved, io));
    assert_eq!(rc, 0);
    assert_eq!(b.ops, a.ops);
    let (_, saved_again, _) = with_io(|io| ipvsadm::save(&mut b, true, io));
    assert_eq!(saved_again, saved);

    // The plan exposes the same operations without applying anything.
    let plan = restore::plan(&saved, "ipvsadm", &Names::default()).unwrap();
    assert_eq!(plan.ops(), a.ops);
}

#[test]
fn restore_ops_carry_ipvsadm_defaults() {
    let plan = restore::plan(
        "-A -t 192.0.2.1:80\n-a -t 192.0.2.1:80 -r 198.51.100.1:8080\n-a -t 192.0.2.1:80 -r 198.51.100.2:8080 -m\n-A -u 192.0.2.1:0 -p -M 255.255.0.0\n",
        "ipvsadm",
        &Names::default(),
    )
    .unwrap();
    let k = ServiceKey::Inet {
        proto: Protocol::Tcp,
        addr: "192.0.2.1:80".parse().unwrap(),
    };
    let dest = |a: &str, fwd| DestSpec {
        addr: a.parse().unwrap(),
        forward: fwd,
        weight: 1,
        u_threshold: 0,
        l_threshold: 0,
        tunnel: TunnelSpec::default(),
    };
    assert_eq!(
        plan.ops(),
        vec![
            Op::AddService(ServiceSpec {
                key: k,
                sched: "wlc".try_into().unwrap(),
                flags: 0,
                timeout: 0,
                netmask: 0xffff_ffff,
                pe_name: None,
            }),
            // Direct routing: the real server's port is the service's (ipvsadm copies it).
            Op::AddDest(k, dest("198.51.100.1:80", Forward::Route)),
            Op::AddDest(k, dest("198.51.100.2:8080", Forward::Masq)),
            Op::AddService(ServiceSpec {
                key: ServiceKey::Inet {
                    proto: Protocol::Udp,
                    addr: "192.0.2.1:0".parse().unwrap(),
                },
                sched: "wlc".try_into().unwrap(),
                flags: svc_flags::PERSISTENT,
                timeout: 360, // bare -p: 6 * 60 s, as Debian ipvsadm 1.31 writes on a real kernel
                netmask: 0xffff_0000,
                pe_name: None,
            }),
        ]
    );
}

#[test]
fn a_bad_line_anywhere_applies_nothing() {
    let input = "-A -t 192.0.2.1:80 -s rr\n-a -t 192.0.2.1:80 -r 198.51.100.1:80\n-a -t 192.0.2.1:80 -r 198.51.100.2:80 -w x\n-C\n";
    let mut m = Mem::default();
    let (rc, out, e) = with_io(|io| ipvsadm::restore(&mut m, input, io));
    assert_eq!(
        (rc, out.as_str(), e.as_str()),
        (2, "", "illegal weight specified\n")
    );
    assert!(m.ops.is_empty(), "applied {:?}", m.ops);
    let rej = restore::plan(input, "ipvsadm", &Names::default()).unwrap_err();
    assert_eq!(rej.line, 3);

    // '#' is not a comment for ipvsadm -R: the line is rejected like ipvsadm does.
    let (rc, _, e) = with_io(|io| ipvsadm::restore(&mut m, "-C\n# flush\n", io));
    assert_eq!(
        (rc, e.as_str()),
        (
            255,
            "Try `ipvsadm -h' or 'ipvsadm --help' for more information.\n"
        )
    );
    assert!(m.ops.is_empty());
}

#[test]
fn restore_goes_on_after_kernel_and_popt_errors_like_ipvsadm() {
    let mut m = Mem::default();
    let input = "-A -t 192.0.2.1:80\n-A -t 192.0.2.1:80\n-a -t 192.0.2.9:80 -r 198.51.100.1\n-A -t 192.0.2.2:80 --bogus\n-d -t 192.0.2.1:80 -r 198.51.100.3\n-A -t 192.0.2.3:80\n";
    let (rc, _, e) = with_io(|io| ipvsadm::restore(&mut m, input, io));
    assert_eq!(
        e,
        "Service already exists\nService not defined\n--bogus: unknown option\nNo such destination\n"
    );
    // The exit code is the last line's: it succeeded.
    assert_eq!(rc, 0);
    assert_eq!(m.ops.len(), 5);
    assert_eq!(m.table.services.len(), 2);
}

#[test]
fn personality_reads_rules_from_stdin() {
    let names = Names::default();
    let (mut out, mut errb) = (Vec::new(), Vec::new());
    let mut stdin: &[u8] = b"-A -t 192.0.2.1:80 -s rr\n-a -t 192.0.2.1:80 -r 198.51.100.1:80 -m\n";
    let mut io = Io {
        out: &mut out,
        err: &mut errb,
        stdin: &mut |b| stdin.read(b),
        names: &names,
        conn_path: "/nonexistent",
    };
    let mut opened = 0;
    let mut open = || -> Result<Box<dyn Backend>, IpvsError> {
        opened += 1;
        Ok(Box::new(Mem::default()))
    };
    let argv: Vec<String> = ["ipvsadm", "-R"].iter().map(|s| s.to_string()).collect();
    assert_eq!(ipvsadm::run(&argv, &mut open, &mut io), 0);
    let argv: Vec<String> = ["ipvsadm", "-h"].iter().map(|s| s.to_string()).collect();
    assert_eq!(ipvsadm::run(&argv, &mut open, &mut io), 0);
    // -h needs no table: the backend was opened once, for -R.
    assert_eq!(opened, 1);
    assert!(errb.is_empty());
}

#[test]
fn backend_that_cannot_open_reports_like_ipvsadm() {
    let names = Names::default();
    let (mut out, mut errb) = (Vec::new(), Vec::new());
    let mut stdin: &[u8] = b"";
    let mut io = Io {
        out: &mut out,
        err: &mut errb,
        stdin: &mut |b| stdin.read(b),
        names: &names,
        conn_path: "/nonexistent",
    };
    let mut open = || -> Result<Box<dyn Backend>, IpvsError> {
        Err(IpvsError {
            op: None,
            errno: libc::ENOPROTOOPT,
            context: "open",
        })
    };
    let argv: Vec<String> = ["ipvsadm", "-Ln"].iter().map(|s| s.to_string()).collect();
    assert_eq!(ipvsadm::run(&argv, &mut open, &mut io), 2);
    assert_eq!(
        String::from_utf8(errb).unwrap(),
        "Can't initialize ipvs: Protocol not available\nAre you sure that IP Virtual Server is built in the kernel or as module?\n"
    );
}

/// Arbitrary bytes as -R input or as the connection table: an answer, never a panic.
#[test]
fn no_input_panics() {
    let pieces = [
        "-A",
        " ",
        "\n",
        "\r",
        "\t",
        "ipvsadm",
        "-t",
        "1.2.3.4:80",
        "#",
        "é",
        "-w",
        "x",
        "\n\n",
        "-R",
    ];
    let names = Names::default();
    let mut seed: u32 = 12345;
    for _ in 0..2000 {
        let mut s = String::new();
        for _ in 0..(seed % 12) {
            seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
            s.push_str(pieces[(seed >> 16) as usize % pieces.len()]);
        }
        let _ = restore::plan(&s, "ipvsadm", &names);
        let mut out = Vec::new();
        let fmt = lvsmon::ipvsadm::args::Format::default();
        let _ = lvsmon::ipvsadm::list::write_conns(&mut out, &s, &fmt, &names);
    }
}

/// A 1000-service, 10000-server rule file restores, saves back identically and lists
/// with one line per entry.
#[test]
fn big_table_round_trip() {
    let mut rules = String::new();
    for s in 0..1000u32 {
        let vip = format!("192.0.2.{}:{}", s % 250 + 1, 1000 + s);
        rules.push_str(&format!("-A -t {vip} -s wlc\n"));
        for d in 0..10u32 {
            rules.push_str(&format!(
                "-a -t {vip} -r 198.51.100.{}:{} -m -w {}\n",
                d + 1,
                2000 + s,
                d
            ));
        }
    }
    let mut m = Mem::default();
    let (rc, _, e) = with_io(|io| ipvsadm::restore(&mut m, &rules, io));
    assert_eq!((rc, e.as_str()), (0, ""));
    assert_eq!(m.ops.len(), 11_000);
    let (_, saved, _) = with_io(|io| ipvsadm::save(&mut m, true, io));
    assert_eq!(saved.lines().count(), 11_000);
    let mut again = Mem::default();
    let (rc, _, _) = with_io(|io| ipvsadm::restore(&mut again, &saved, io));
    assert_eq!(rc, 0);
    let (_, saved2, _) = with_io(|io| ipvsadm::save(&mut again, true, io));
    assert_eq!(saved2, saved);
    let (rc, listed, _) = with_io(|io| {
        let fmt = lvsmon::ipvsadm::args::Format {
            numeric: true,
            ..Default::default()
        };
        ipvsadm::list(&mut m, &lvsmon::ipvsadm::args::ListWhat::All, &fmt, io)
    });
    assert_eq!(rc, 0);
    assert_eq!(listed.lines().count(), 3 + 11_000);
}
