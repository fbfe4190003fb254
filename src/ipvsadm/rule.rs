//! Operations written as ipvsadm command lines (`-A -t 192.0.2.10:80 -s wrr`,
//! `-a -t 192.0.2.10:80 -r 198.51.100.2:80 -g -w 1 -x 100`), for the dry-run log and
//! IpvsError messages. Every line is valid ipvsadm input (thresholds, scheduler flags,
//! tunnel options included). `ipvsadm -S` output itself is produced by `list`, which
//! follows ipvsadm's narrower save format byte for byte.

use std::fmt;
use std::net::SocketAddr;

use crate::ipvs::rule::{
    svc_flags, DestSpec, Family, Forward, Op, Protocol, ServiceKey, ServiceSpec, SyncState,
    TunnelType,
};

/// `-t 192.0.2.10:80`, `-u [2001:db8::1]:53`, `--sctp-service …`, `-f 7`.
pub struct ServiceArg<'a>(pub &'a ServiceKey);

impl fmt::Display for ServiceArg<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            ServiceKey::Inet { proto, addr } => {
                let flag = match proto {
                    Protocol::Tcp => "-t",
                    Protocol::Udp => "-u",
                    Protocol::Sctp => "--sctp-service",
                };
                write!(f, "{} {}", flag, AddrPort(addr))
            }
            ServiceKey::Fwmark {
                mark,
                family: Family::Inet6,
            } => write!(f, "-f {} -6", mark),
            ServiceKey::Fwmark { mark, .. } => write!(f, "-f {}", mark),
        }
    }
}

/// `192.0.2.1:80` or `[2001:db8::1]:80`, as ipvsadm prints numeric addresses.
pub struct AddrPort<'a>(pub &'a SocketAddr);

impl fmt::Display for AddrPort<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            SocketAddr::V4(a) => write!(f, "{}:{}", a.ip(), a.port()),
            SocketAddr::V6(a) => {
                write!(f, "[{}]:{}", crate::ipvsadm::list::ntop6(a.ip()), a.port())
            }
        }
    }
}

pub fn forward_switch(fwd: Forward) -> &'static str {
    match fwd {
        Forward::Masq => "-m",
        Forward::Tunnel => "-i",
        Forward::Route | Forward::LocalNode | Forward::Bypass => "-g",
    }
}

/// The options of an `-A`/`-E` line after the service address.
pub struct ServiceOpts<'a>(pub &'a ServiceSpec);

impl fmt::Display for ServiceOpts<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.0;
        write!(f, "-s {}", s.sched)?;
        if s.flags & svc_flags::PERSISTENT != 0 {
            write!(f, " -p {}", s.timeout)?;
        }
        // ipvsadm accepts -M without -p and the kernel keeps it, so it is written whenever
        // it is not the default (found by fuzz/fuzz_targets/ipvsadm_args.rs).
        match s.key.family() {
            Family::Inet if s.netmask != 0xffff_ffff => {
                write!(f, " -M {}", std::net::Ipv4Addr::from(s.netmask))?
            }
            Family::Inet6 if s.netmask != 128 => write!(f, " -M {}", s.netmask)?,
            _ => {}
        }
        if let Some(pe) = &s.pe_name {
            write!(f, " --pe {}", pe)?;
        }
        if s.flags & svc_flags::ONEPACKET != 0 {
            write!(f, " -o")?;
        }
        let sched_bits = s.flags & (svc_flags::SCHED1 | svc_flags::SCHED2 | svc_flags::SCHED3);
        if sched_bits != 0 {
            let names: &[(u32, &str)] = match s.sched.as_str() {
                "sh" => &[
                    (svc_flags::SCHED1, "sh-fallback"),
                    (svc_flags::SCHED2, "sh-port"),
                ],
                "mh" => &[
                    (svc_flags::SCHED1, "mh-fallback"),
                    (svc_flags::SCHED2, "mh-port"),
                ],
                _ => &[
                    (svc_flags::SCHED1, "flag-1"),
                    (svc_flags::SCHED2, "flag-2"),
                    (svc_flags::SCHED3, "flag-3"),
                ],
            };
            let mut sep = " -b ";
            for (bit, name) in names {
                if sched_bits & bit != 0 {
                    write!(f, "{sep}{name}")?;
                    sep = ",";
                }
            }
        }
        Ok(())
    }
}

/// The options of an `-a`/`-e` line after the real server address.
pub struct DestOpts<'a>(pub &'a DestSpec);

impl fmt::Display for DestOpts<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = self.0;
        write!(f, "{} -w {}", forward_switch(d.forward), d.weight)?;
        if d.u_threshold != 0 {
            write!(f, " -x {}", d.u_threshold)?;
        }
        if d.l_threshold != 0 {
            write!(f, " -y {}", d.l_threshold)?;
        }
        if d.forward == Forward::Tunnel {
            let csum = match d.tunnel.flags {
                0 => "--tun-nocsum",
                1 => "--tun-csum",
                _ => "--tun-remcsum",
            };
            match d.tunnel.kind {
                TunnelType::Ipip => {}
                TunnelType::Gue => {
                    write!(f, " --tun-type gue --tun-port {} {}", d.tunnel.port, csum)?
                }
                TunnelType::Gre => write!(f, " --tun-type gre {}", csum)?,
            }
        }
        Ok(())
    }
}

/// An operation as one ipvsadm command line (without the leading `ipvsadm`).
pub struct RuleText<'a>(pub &'a Op);

impl fmt::Display for RuleText<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Op::AddService(s) | Op::EditService(s) => {
                let c = if matches!(self.0, Op::AddService(_)) {
                    "-A"
                } else {
                    "-E"
                };
                write!(f, "{c} {} {}", ServiceArg(&s.key), ServiceOpts(s))
            }
            Op::DelService(k) => write!(f, "-D {}", ServiceArg(k)),
            Op::AddDest(k, d) | Op::EditDest(k, d) => {
                let c = if matches!(self.0, Op::AddDest(..)) {
                    "-a"
                } else {
                    "-e"
                };
                let (k, a, o) = (ServiceArg(k), AddrPort(&d.addr), DestOpts(d));
                write!(f, "{c} {k} -r {a} {o}")
            }
            Op::DelDest(k, a) => write!(f, "-d {} -r {}", ServiceArg(k), AddrPort(a)),
            Op::Flush => write!(f, "-C"),
            Op::Zero(None) => write!(f, "-Z"),
            Op::Zero(Some(k)) => write!(f, "-Z {}", ServiceArg(k)),
            Op::SetTimeouts(t) => write!(f, "--set {} {} {}", t.tcp, t.tcpfin, t.udp),
            Op::StartDaemon(d) => {
                write!(
                    f,
                    "--start-daemon {} --mcast-interface {} --syncid {}",
                    sync_state_name(d.state),
                    d.ifname,
                    d.syncid
                )?;
                // The optional sync settings too (their absence was found by
                // fuzz/fuzz_targets/ipvsadm_args.rs).
                if let Some(n) = d.sync_maxlen {
                    write!(f, " --sync-maxlen {}", n)?;
                }
                if let Some(g) = d.mcast_group {
                    write!(f, " --mcast-group {}", g)?;
                }
                if let Some(p) = d.mcast_port {
                    write!(f, " --mcast-port {}", p)?;
                }
                if let Some(t) = d.mcast_ttl {
                    write!(f, " --mcast-ttl {}", t)?;
                }
                Ok(())
            }
            Op::StopDaemon(s) => write!(f, "--stop-daemon {}", sync_state_name(*s)),
        }
    }
}

pub fn sync_state_name(s: SyncState) -> &'static str {
    match s {
        SyncState::Master => "master",
        SyncState::Backup => "backup",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ipvs::rule::TunnelSpec;

    fn key(s: &str) -> ServiceKey {
        ServiceKey::Inet {
            proto: Protocol::Tcp,
            addr: s.parse().unwrap(),
        }
    }

    #[test]
    fn rules_read_like_ipvsadm_save() {
        let svc = ServiceSpec {
            key: key("192.0.2.10:80"),
            sched: "wrr".try_into().unwrap(),
            flags: 0,
            timeout: 0,
            netmask: 0xffff_ffff,
            pe_name: None,
        };
        let dest = DestSpec {
            addr: "198.51.100.2:80".parse().unwrap(),
            forward: Forward::Route,
            weight: 1,
            u_threshold: 0,
            l_threshold: 0,
            tunnel: TunnelSpec::default(),
        };
        let k = svc.key;
        let cases = [
            (Op::AddService(svc.clone()), "-A -t 192.0.2.10:80 -s wrr"),
            (
                Op::AddDest(k, dest),
                "-a -t 192.0.2.10:80 -r 198.51.100.2:80 -g -w 1",
            ),
            (
                Op::EditDest(k, DestSpec { weight: 0, ..dest }),
                "-e -t 192.0.2.10:80 -r 198.51.100.2:80 -g -w 0",
            ),
            (
                Op::DelDest(k, dest.addr),
                "-d -t 192.0.2.10:80 -r 198.51.100.2:80",
            ),
            (Op::DelService(k), "-D -t 192.0.2.10:80"),
        ];
        for (op, want) in cases {
            assert_eq!(RuleText(&op).to_string(), want);
        }
    }
}

#[cfg(test)]
mod more_tests {
    use super::*;
    use crate::ipvs::rule::TunnelSpec;
    use crate::ipvsadm::args::{parse, IpvsadmCommand};
    use crate::ipvsadm::names::Names;

    /// Every RuleText line parses back (through ipvsadm's own grammar) to the same
    /// operation.
    #[test]
    fn rule_text_parses_back_to_the_same_op() {
        let v6 = ServiceKey::Fwmark {
            family: Family::Inet6,
            mark: 9,
        };
        let tcp = ServiceKey::Inet {
            proto: Protocol::Tcp,
            addr: "[2001:db8::1]:443".parse().unwrap(),
        };
        let ops = [
            Op::AddService(ServiceSpec {
                key: v6,
                sched: "sh".try_into().unwrap(),
                flags: svc_flags::PERSISTENT | svc_flags::SCHED1 | svc_flags::SCHED2,
                timeout: 60,
                netmask: 64,
                pe_name: None,
            }),
            Op::AddDest(
                tcp,
                DestSpec {
                    addr: "[2001:db8::2]:443".parse().unwrap(),
                    forward: Forward::Tunnel,
                    weight: 3,
                    u_threshold: 10,
                    l_threshold: 2,
                    tunnel: TunnelSpec {
                        kind: TunnelType::Gue,
                        port: 6080,
                        flags: 1,
                    },
                },
            ),
            Op::DelDest(tcp, "[2001:db8::3]:443".parse().unwrap()),
        ];
        for op in ops {
            let text = RuleText(&op).to_string();
            let mut argv = vec!["ipvsadm".to_string()];
            argv.extend(text.split(' ').map(str::to_string));
            let back = parse(&argv, &Names::default(), false).unwrap();
            assert_eq!(back, IpvsadmCommand::Apply(op.clone()), "{text}");
        }
    }

    /// Fuzzing regression (ipvsadm_args): `-A -f 7 -6 -M 64` (a netmask without -p) was
    /// written back as `-A -f 7 -6 -s wlc`, losing the netmask.
    #[test]
    fn netmask_without_persistence_is_written() {
        let names = Names::default();
        for (line, want) in [
            ("-A -f 7 -6 -M 64", "-A -f 7 -6 -s wlc -M 64"),
            (
                "-A -t 192.0.2.1:80 -M 255.255.255.0",
                "-A -t 192.0.2.1:80 -s wlc -M 255.255.255.0",
            ),
        ] {
            let argv = |l: &str| {
                let mut v = vec!["ipvsadm".to_string()];
                v.extend(l.split(' ').map(str::to_string));
                v
            };
            let IpvsadmCommand::Apply(op) = parse(&argv(line), &names, false).unwrap() else {
                panic!("{line} is not an operation");
            };
            let text = RuleText(&op).to_string();
            assert_eq!(text, want);
            assert_eq!(
                parse(&argv(&text), &names, false).unwrap(),
                IpvsadmCommand::Apply(op)
            );
        }
    }

    /// Fuzzing regression (ipvsadm_args): `--start-daemon master --sync-maxlen 65507` was
    /// written back without its sync-maxlen (and likewise the multicast group, port, ttl).
    #[test]
    fn start_daemon_keeps_its_sync_options() {
        let line = "--start-daemon master --mcast-interface eth1 --syncid 3 --sync-maxlen 65507 \
                    --mcast-group ff02::81 --mcast-port 8848 --mcast-ttl 2";
        let mut argv = vec!["ipvsadm".to_string()];
        argv.extend(line.split_ascii_whitespace().map(str::to_string));
        let IpvsadmCommand::Apply(op) = parse(&argv, &Names::default(), false).unwrap() else {
            panic!("not an operation");
        };
        let text = RuleText(&op).to_string();
        assert_eq!(
            text,
            "--start-daemon master --mcast-interface eth1 --syncid 3 --sync-maxlen 65507 \
             --mcast-group ff02::81 --mcast-port 8848 --mcast-ttl 2"
        );
        let mut again = vec!["ipvsadm".to_string()];
        again.extend(text.split(' ').map(str::to_string));
        assert_eq!(
            parse(&again, &Names::default(), false).unwrap(),
            IpvsadmCommand::Apply(op)
        );
    }
}
