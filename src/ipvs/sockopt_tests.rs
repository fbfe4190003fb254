//! The sockopt backend against a scripted kernel that enforces what ip_vs_ctl.c
//! enforces: exact argument lengths (EINVAL otherwise), the TCP/UDP/SCTP protocol check
//! (EFAULT), ESRCH/EEXIST/ENOENT, and GET_SERVICES/GET_DESTS buffers sized exactly for
//! the count the caller put in them.

use std::io;

use super::*;
use crate::ipvs::rule::*;

struct Fake {
    has_ipvs: bool,
    services: Vec<(ServiceSpec, Vec<KernelDest>)>,
    /// Extra services GET_INFO claims (the table shrank between the two calls).
    phantom: u32,
    timeouts: Timeouts,
    daemons: [Option<DaemonUser>; 2],
    calls: Vec<(i32, usize)>,
    zeroed_all: bool,
}

fn l() -> Layout {
    Layout::NATIVE
}

fn parse_user_svc(arg: &[u8]) -> Result<ServiceSpec, i32> {
    let mut b = vec![0u8; l().svc_entry_len];
    b[..SERVICE_USER_LEN].copy_from_slice(&arg[..SERVICE_USER_LEN]);
    let proto = u16::from_ne_bytes([b[0], b[1]]);
    if ![6, 17, 132].contains(&proto) {
        return Err(libc::EFAULT);
    }
    Ok(ServiceEntry::parse::<Native>(&b, &l()).unwrap().spec)
}

fn parse_user_dest(arg: &[u8]) -> DestSpec {
    let mut b = vec![0u8; l().dest_entry_len];
    b[..DEST_USER_LEN].copy_from_slice(&arg[..DEST_USER_LEN]);
    parse_dest_entry::<Native>(&b, &l()).unwrap().spec
}

fn kd(spec: DestSpec) -> KernelDest {
    KernelDest {
        spec,
        active_conns: 0,
        inact_conns: 0,
        persist_conns: 0,
        stats: Stats::default(),
    }
}

impl Fake {
    fn new() -> Fake {
        Fake {
            has_ipvs: true,
            services: Vec::new(),
            phantom: 0,
            timeouts: Timeouts {
                tcp: 900,
                tcpfin: 120,
                udp: 300,
            },
            daemons: [None, None],
            calls: Vec::new(),
            zeroed_all: false,
        }
    }

    fn find(&self, key: &ServiceKey) -> Option<usize> {
        self.services.iter().position(|(s, _)| s.key == *key)
    }

    fn set_inner(&mut self, opt: i32, arg: &[u8]) -> Result<(), i32> {
        let want = match opt {
            IP_VS_SO_SET_ADD | IP_VS_SO_SET_EDIT | IP_VS_SO_SET_DEL | IP_VS_SO_SET_ZERO => {
                SERVICE_USER_LEN
            }
            IP_VS_SO_SET_ADDDEST | IP_VS_SO_SET_EDITDEST | IP_VS_SO_SET_DELDEST => {
                SERVICE_USER_LEN + DEST_USER_LEN
            }
            IP_VS_SO_SET_FLUSH => 0,
            IP_VS_SO_SET_TIMEOUT => TIMEOUT_USER_LEN,
            IP_VS_SO_SET_STARTDAEMON | IP_VS_SO_SET_STOPDAEMON => DAEMON_USER_LEN,
            _ => return Err(libc::EINVAL),
        };
        if arg.len() != want {
            return Err(libc::EINVAL);
        }
        match opt {
            IP_VS_SO_SET_FLUSH => {
                self.services.clear();
                return Ok(());
            }
            IP_VS_SO_SET_TIMEOUT => {
                let t = parse_timeouts::<Native>(arg).unwrap();
                if t.tcp != 0 {
                    self.timeouts.tcp = t.tcp;
                }
                if t.udp != 0 {
                    self.timeouts.udp = t.udp;
                }
                return Ok(());
            }
            IP_VS_SO_SET_STARTDAEMON | IP_VS_SO_SET_STOPDAEMON => {
                let d = DaemonUser::parse::<Native>(arg).unwrap();
                let slot = if d.state == IP_VS_STATE_MASTER { 0 } else { 1 };
                self.daemons[slot] = (opt == IP_VS_SO_SET_STARTDAEMON).then_some(d);
                return Ok(());
            }
            IP_VS_SO_SET_ZERO if arg.iter().all(|&b| b == 0) => {
                self.zeroed_all = true;
                return Ok(());
            }
            _ => {}
        }
        let s = parse_user_svc(arg)?;
        let at = self.find(&s.key);
        match (opt, at) {
            (IP_VS_SO_SET_ADD, Some(_)) => Err(libc::EEXIST),
            (IP_VS_SO_SET_ADD, None) => {
                self.services.push((s, Vec::new()));
                Ok(())
            }
            (_, None) => Err(libc::ESRCH),
            (IP_VS_SO_SET_EDIT, Some(i)) => {
                self.services[i].0 = s;
                Ok(())
            }
            (IP_VS_SO_SET_DEL, Some(i)) => {
                self.services.remove(i);
                Ok(())
            }
            (IP_VS_SO_SET_ZERO, Some(_)) => Ok(()),
            (_, Some(i)) => {
                let d = parse_user_dest(&arg[SERVICE_USER_LEN..]);
                let dests = &mut self.services[i].1;
                let j = dests.iter().position(|x| x.spec.addr == d.addr);
                match (opt, j) {
                    (IP_VS_SO_SET_ADDDEST, Some(_)) => Err(libc::EEXIST),
                    (IP_VS_SO_SET_ADDDEST, None) => {
                        dests.push(kd(d));
                        Ok(())
                    }
                    (_, None) => Err(libc::ENOENT),
                    (IP_VS_SO_SET_EDITDEST, Some(j)) => {
                        dests[j].spec = d;
                        Ok(())
                    }
                    (_, Some(j)) => {
                        dests.remove(j);
                        Ok(())
                    }
                }
            }
        }
    }
}

impl SockoptIo for Fake {
    fn set(&mut self, opt: i32, arg: &[u8]) -> io::Result<()> {
        self.calls.push((opt, arg.len()));
        self.set_inner(opt, arg)
            .map_err(io::Error::from_raw_os_error)
    }

    fn get(&mut self, opt: i32, buf: &mut [u8]) -> io::Result<usize> {
        let e = io::Error::from_raw_os_error;
        let l = l();
        match opt {
            IP_VS_SO_GET_VERSION if !self.has_ipvs => Err(e(libc::ENOPROTOOPT)),
            IP_VS_SO_GET_VERSION => {
                let v = b"IP Virtual Server version 1.2.1 (size=4096)\0";
                buf[..v.len()].copy_from_slice(v);
                Ok(buf.len())
            }
            IP_VS_SO_GET_INFO => {
                let n = self.services.len() as u32 + self.phantom;
                for (i, v) in [0x010201u32, 4096, n].iter().enumerate() {
                    buf[4 * i..4 * i + 4].copy_from_slice(&v.to_ne_bytes());
                }
                Ok(12)
            }
            IP_VS_SO_GET_SERVICES => {
                let num = u32::from_ne_bytes(buf[..4].try_into().unwrap()) as usize;
                if buf.len() != l.get_services_table + num * l.svc_entry_len {
                    return Err(e(libc::EINVAL));
                }
                for (i, (s, d)) in self.services.iter().take(num).enumerate() {
                    let at = l.get_services_table + i * l.svc_entry_len;
                    ServiceEntry {
                        spec: s.clone(),
                        num_dests: d.len() as u32,
                        stats: Stats {
                            conns: 7,
                            ..Stats::default()
                        },
                    }
                    .emit::<Native>(&mut buf[at..], &l);
                }
                Ok(buf.len())
            }
            IP_VS_SO_GET_DESTS => {
                let mut e_buf = vec![0u8; l.svc_entry_len];
                e_buf[..16].copy_from_slice(&buf[..16]);
                let key = ServiceEntry::parse::<Native>(&e_buf, &l).unwrap().spec.key;
                let num = get_dests_count::<Native>(buf).unwrap() as usize;
                if buf.len() != l.get_dests_table + num * l.dest_entry_len {
                    return Err(e(libc::EINVAL));
                }
                let Some(i) = self.find(&key) else {
                    return Err(e(libc::ESRCH));
                };
                for (k, d) in self.services[i].1.iter().take(num).enumerate() {
                    emit_dest_entry::<Native>(
                        &mut buf[l.get_dests_table + k * l.dest_entry_len..],
                        d,
                        &l,
                    );
                }
                Ok(buf.len())
            }
            IP_VS_SO_GET_TIMEOUT => Ok(emit_timeouts::<Native>(buf, &self.timeouts)),
            IP_VS_SO_GET_DAEMON => {
                if buf.len() != 2 * DAEMON_USER_LEN {
                    return Err(e(libc::EINVAL));
                }
                buf.fill(0);
                for (i, d) in self.daemons.iter().enumerate() {
                    if let Some(d) = d {
                        d.emit::<Native>(&mut buf[i * DAEMON_USER_LEN..]);
                    }
                }
                Ok(buf.len())
            }
            _ => Err(e(libc::EINVAL)),
        }
    }
}

fn key(port: u16) -> ServiceKey {
    ServiceKey::Inet {
        proto: Protocol::Tcp,
        addr: std::net::SocketAddr::new([192, 0, 2, 1].into(), port),
    }
}

fn svc(key: ServiceKey) -> ServiceSpec {
    ServiceSpec {
        key,
        sched: SchedName::try_from("wrr").unwrap(),
        flags: svc_flags::PERSISTENT,
        timeout: 60,
        netmask: 0xffff_ff00,
        pe_name: None,
    }
}

fn dest(a: &str, w: i32) -> DestSpec {
    DestSpec {
        addr: a.parse().unwrap(),
        forward: Forward::Route,
        weight: w,
        u_threshold: 5,
        l_threshold: 1,
        tunnel: TunnelSpec::default(),
    }
}

#[test]
fn open_probes_for_ipvs() {
    let mut f = Fake::new();
    f.has_ipvs = false;
    let e = SockoptBackend::with_io(f).err().unwrap();
    assert_eq!(
        (e.errno, e.context),
        (libc::ENOPROTOOPT, "probe IPVS (sockopt)")
    );
    assert!(SockoptBackend::with_io(Fake::new()).is_ok());
}

#[test]
fn ops_with_kernel_errnos_and_exact_lengths() {
    let mut b = SockoptBackend::with_io(Fake::new()).unwrap();
    let k = key(80);
    b.apply(&Op::AddService(svc(k))).unwrap();
    b.apply(&Op::AddDest(k, dest("198.51.100.1:80", 1)))
        .unwrap();
    b.apply(&Op::EditDest(k, dest("198.51.100.1:80", 4)))
        .unwrap();
    assert_eq!(
        b.apply(&Op::AddService(svc(k))).unwrap_err().errno,
        libc::EEXIST
    );
    assert_eq!(
        b.apply(&Op::AddDest(k, dest("198.51.100.1:80", 1)))
            .unwrap_err()
            .errno,
        libc::EEXIST
    );
    let e = b
        .apply(&Op::DelDest(k, "198.51.100.9:80".parse().unwrap()))
        .unwrap_err();
    assert_eq!((e.errno, e.op.is_some()), (libc::ENOENT, true));
    assert_eq!(
        b.apply(&Op::DelService(key(81))).unwrap_err().errno,
        libc::ESRCH
    );
    let fw = ServiceKey::Fwmark {
        family: Family::Inet,
        mark: 3,
    };
    b.apply(&Op::AddService(svc(fw))).unwrap();
    b.apply(&Op::Zero(None)).unwrap();
    assert!(b.io.zeroed_all);
    b.apply(&Op::Zero(Some(k))).unwrap();
    b.apply(&Op::SetTimeouts(Timeouts {
        tcp: 10,
        tcpfin: 0,
        udp: 0,
    }))
    .unwrap();
    assert_eq!(b.timeouts().unwrap().tcp, 10);
    b.apply(&Op::Flush).unwrap();
    assert!(b.io.services.is_empty());
    assert_eq!(
        b.io.calls.iter().map(|c| c.1).collect::<Vec<_>>(),
        vec![44, 68, 68, 44, 68, 68, 44, 44, 44, 44, 12, 0]
    );
}

#[test]
fn ipv6_is_refused_without_a_syscall() {
    let mut b = SockoptBackend::with_io(Fake::new()).unwrap();
    let k6 = ServiceKey::Inet {
        proto: Protocol::Tcp,
        addr: "[2001:db8::1]:80".parse().unwrap(),
    };
    let mut s = svc(k6);
    s.netmask = 128;
    for op in [
        Op::AddService(s),
        Op::DelService(k6),
        Op::AddDest(key(80), dest("[2001:db8::2]:80", 1)),
        Op::Zero(Some(ServiceKey::Fwmark {
            family: Family::Inet6,
            mark: 1,
        })),
    ] {
        let e = b.apply(&op).unwrap_err();
        assert_eq!(e.errno, libc::EAFNOSUPPORT);
        assert_eq!(e.op, Some(op));
    }
    assert!(b.io.calls.is_empty());
}

#[test]
fn dump_sizes_requests_exactly_and_reuses_vectors() {
    let mut f = Fake::new();
    let fw = ServiceKey::Fwmark {
        family: Family::Inet,
        mark: 3,
    };
    f.services = vec![
        (
            svc(key(80)),
            vec![
                kd(dest("198.51.100.1:80", 1)),
                kd(dest("198.51.100.2:80", 3)),
            ],
        ),
        (svc(fw), vec![]),
        (svc(key(443)), vec![kd(dest("198.51.100.3:443", 2))]),
    ];
    let mut b = SockoptBackend::with_io(f).unwrap();
    let mut t = KernelTable::default();
    b.dump(&mut t).unwrap();
    assert_eq!(t.services.len(), 3);
    assert_eq!(t.services[0].spec, svc(key(80)));
    assert_eq!(t.services[0].stats.conns, 7);
    assert_eq!(t.services[1].spec.key, fw);
    assert_eq!(t.services[0].dests.len(), 2);
    assert_eq!(t.services[0].dests[1].spec, dest("198.51.100.2:80", 3));
    assert_eq!(
        t.services[2].dests[0].spec.addr,
        "198.51.100.3:443".parse().unwrap()
    );

    // The table shrinks, and GET_INFO still counts a service that is gone by the time
    // GET_SERVICES runs: the zero-filled slot is not a service.
    let ptr = t.services.as_ptr();
    b.io.services.remove(1);
    b.io.services[0].1.pop();
    b.io.phantom = 1;
    b.dump(&mut t).unwrap();
    assert_eq!(t.services.len(), 2);
    assert_eq!(t.services[0].dests.len(), 1);
    assert_eq!(t.services[1].spec.key, key(443));
    assert_eq!(t.services.as_ptr(), ptr);
}

#[test]
fn info_and_daemons() {
    let mut b = SockoptBackend::with_io(Fake::new()).unwrap();
    assert_eq!(
        b.info().unwrap(),
        Info {
            version: 0x010201,
            conn_tab_size: 4096
        }
    );
    assert!(b.daemons().unwrap().is_empty());
    let d = SyncDaemonSpec {
        state: SyncState::Backup,
        ifname: heapless::String::try_from("eth1").unwrap(),
        syncid: 9,
        sync_maxlen: None,
        mcast_group: None,
        mcast_port: None,
        mcast_ttl: None,
    };
    b.apply(&Op::StartDaemon(d.clone())).unwrap();
    assert_eq!(b.daemons().unwrap().as_slice(), &[d]);
    b.apply(&Op::StopDaemon(SyncState::Backup)).unwrap();
    assert!(b.daemons().unwrap().is_empty());
}
