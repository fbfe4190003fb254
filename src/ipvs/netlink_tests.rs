//! The backend against a scripted kernel: a `Transport` that decodes our requests with
//! the wire codec, keeps a small IPVS table with the kernel's errno rules
//! (ip_vs_ctl.c: EEXIST on a duplicate add, ESRCH for a missing service, ENOENT for a
//! missing destination) and answers the way the kernel does (acks per message, dumps as
//! NLM_F_MULTI datagrams then NLMSG_DONE). It checks sequence matching, batching,
//! stale and foreign messages, truncation, timeouts and buffer reuse. Real-kernel
//! behaviour is checked in the qemu board.

use std::collections::VecDeque;
use std::io;

use super::*;
use crate::ipvs::rule::*;
use crate::ipvs::wire::daemon::DaemonAttrs;
use crate::ipvs::wire::dest::DestAttrs;
use crate::ipvs::wire::nla::{Attrs, NlaIter};
use crate::ipvs::wire::nlmsg::NlmsgHeader;
use crate::ipvs::wire::request::{emit_message, MsgHead};

const FAM: u16 = 0x22;

#[derive(Default)]
struct Fake {
    has_ipvs: bool,
    services: Vec<(ServiceSpec, Vec<DestSpec>)>,
    daemons: Vec<SyncDaemonSpec>,
    queue: VecDeque<(Vec<u8>, bool, u32)>,
    sends: usize,
    resets: usize,
    /// Put a stale message (old seq) and a foreign one (pid 77) before each answer.
    noise: bool,
    /// Mark the next answer datagram truncated.
    truncate_next: bool,
    /// Swallow answers (the kernel never replies): recv times out.
    silent: bool,
    /// Answer GET_DEST with this errno.
    dest_dump_errno: Option<i32>,
    /// Services per dump datagram.
    per_datagram: usize,
    /// The next recv fails with ENOBUFS (the socket's queue overflowed).
    enobufs_next: bool,
}

fn ack(seq: u32, errno: i32) -> Vec<u8> {
    let mut b = vec![0u8; 36];
    NlmsgHeader {
        len: 36,
        kind: NLMSG_ERROR,
        flags: 0x100,
        seq,
        pid: 0,
    }
    .emit::<Native>(&mut b);
    b[16..20].copy_from_slice(&(-errno).to_ne_bytes());
    b
}

fn msg(
    cmd: u8,
    seq: u32,
    flags: u16,
    body: impl FnOnce(&mut crate::ipvs::wire::nla::NlaWriter<'_, Native>),
) -> Vec<u8> {
    let mut b = vec![0u8; 4096];
    let n = emit_message::<Native>(
        &mut b,
        &MsgHead {
            family: FAM,
            flags,
            seq,
            cmd,
            version: 1,
        },
        body,
    )
    .unwrap();
    b.truncate(n);
    b
}

fn done(seq: u32) -> Vec<u8> {
    let mut b = vec![0u8; 20];
    NlmsgHeader {
        len: 20,
        kind: NLMSG_DONE,
        flags: NLM_F_MULTI,
        seq,
        pid: 0,
    }
    .emit::<Native>(&mut b);
    b
}

fn nest(attrs: &[u8], kind: u16) -> Option<&[u8]> {
    NlaIter::<Native>::new(attrs)
        .filter_map(Result::ok)
        .find(|n| n.kind == kind)
        .map(|n| n.payload)
}

/// The key in an identity-only service nest (parsed like a full one, minus the options).
fn key_of(attrs: &[u8]) -> ServiceKey {
    ServiceAttrs::parse::<Native>(nest(attrs, IPVS_CMD_ATTR_SERVICE).unwrap())
        .unwrap()
        .spec
        .key
}

impl Fake {
    fn new() -> Fake {
        Fake {
            has_ipvs: true,
            per_datagram: 2,
            ..Fake::default()
        }
    }

    fn push(&mut self, d: Vec<u8>) {
        if self.silent {
            return;
        }
        if self.noise {
            self.queue.push_back((ack(0x7fff_0000, 0), false, 0));
            self.queue.push_back((ack(0, libc::EPERM), false, 77));
        }
        let t = std::mem::take(&mut self.truncate_next);
        self.queue.push_back((d, t, 0));
    }

    fn svc(&mut self, key: &ServiceKey) -> Option<usize> {
        self.services.iter().position(|(s, _)| s.key == *key)
    }

    fn apply(&mut self, cmd: u8, attrs: &[u8]) -> i32 {
        let full_svc = || {
            ServiceAttrs::parse::<Native>(nest(attrs, IPVS_CMD_ATTR_SERVICE).unwrap())
                .unwrap()
                .spec
        };
        match cmd {
            IPVS_CMD_NEW_SERVICE => {
                let s = full_svc();
                if self.svc(&s.key).is_some() {
                    return libc::EEXIST;
                }
                if !["rr", "wrr", "wlc", "sh", "mh"].contains(&s.sched.as_str()) {
                    return libc::ENOENT;
                }
                self.services.push((s, Vec::new()));
                0
            }
            IPVS_CMD_SET_SERVICE => {
                let s = full_svc();
                match self.svc(&s.key) {
                    Some(i) => {
                        self.services[i].0 = s;
                        0
                    }
                    None => libc::ESRCH,
                }
            }
            IPVS_CMD_DEL_SERVICE => match self.svc(&key_of(attrs)) {
                Some(i) => {
                    self.services.remove(i);
                    0
                }
                None => libc::ESRCH,
            },
            IPVS_CMD_NEW_DEST | IPVS_CMD_SET_DEST | IPVS_CMD_DEL_DEST => {
                let key = key_of(attrs);
                let Some(i) = self.svc(&key) else {
                    return libc::ESRCH;
                };
                let d = DestAttrs::parse::<Native>(
                    nest(attrs, IPVS_CMD_ATTR_DEST).unwrap(),
                    key.family(),
                )
                .unwrap()
                .spec;
                let dests = &mut self.services[i].1;
                let at = dests.iter().position(|x| x.addr == d.addr);
                match (cmd, at) {
                    (IPVS_CMD_NEW_DEST, Some(_)) => libc::EEXIST,
                    (IPVS_CMD_NEW_DEST, None) => {
                        dests.push(d);
                        0
                    }
                    (_, None) => libc::ENOENT,
                    (IPVS_CMD_SET_DEST, Some(j)) => {
                        dests[j] = d;
                        0
                    }
                    (_, Some(j)) => {
                        dests.remove(j);
                        0
                    }
                }
            }
            IPVS_CMD_FLUSH => {
                self.services.clear();
                0
            }
            IPVS_CMD_NEW_DAEMON => {
                let d = DaemonAttrs::parse::<Native>(nest(attrs, IPVS_CMD_ATTR_DAEMON).unwrap())
                    .unwrap();
                self.daemons.push(d.0);
                0
            }
            _ => 0,
        }
    }

    fn answer(&mut self, h: NlmsgHeader, payload: &[u8]) {
        let seq = h.seq;
        if h.kind == GENL_ID_CTRL {
            if self.has_ipvs {
                let m = {
                    let mut b = vec![0u8; 64];
                    let n = emit_message::<Native>(
                        &mut b,
                        &MsgHead {
                            family: GENL_ID_CTRL,
                            flags: 0,
                            seq,
                            cmd: 1,
                            version: 2,
                        },
                        |w| {
                            w.put_str(CTRL_ATTR_FAMILY_NAME, "IPVS");
                            w.put_u16(CTRL_ATTR_FAMILY_ID, FAM);
                        },
                    )
                    .unwrap();
                    b.truncate(n);
                    b
                };
                // Reply and ack in one datagram, as the kernel's may arrive.
                let mut d = m;
                d.extend(ack(seq, 0));
                self.push(d);
            } else {
                self.push(ack(seq, libc::ENOENT));
            }
            return;
        }
        assert_eq!(h.kind, FAM);
        let (g, attrs) = GenlHeader::parse(payload).unwrap();
        assert_eq!(g.version, IPVS_GENL_VERSION);
        if h.flags & NLM_F_DUMP == NLM_F_DUMP {
            let mut msgs = Vec::new();
            match g.cmd {
                IPVS_CMD_GET_SERVICE => {
                    for (i, (s, _)) in self.services.iter().enumerate() {
                        let a = ServiceAttrs {
                            spec: s.clone(),
                            stats: Some(Stats {
                                conns: i as u64 + 1,
                                ..Stats::default()
                            }),
                        };
                        msgs.push(msg(IPVS_CMD_NEW_SERVICE, seq, NLM_F_MULTI, |w| a.write(w)));
                    }
                }
                IPVS_CMD_GET_DEST => {
                    if let Some(e) = self.dest_dump_errno {
                        self.push(ack(seq, e));
                        return;
                    }
                    if let Some(i) = self.svc(&key_of(attrs)) {
                        for d in &self.services[i].1 {
                            let a = DestAttrs {
                                spec: *d,
                                counters: Some(crate::ipvs::wire::dest::DestCounters {
                                    active_conns: d.weight as u32 * 10,
                                    ..Default::default()
                                }),
                            };
                            msgs.push(msg(IPVS_CMD_NEW_DEST, seq, NLM_F_MULTI, |w| a.write(w)));
                        }
                    }
                }
                IPVS_CMD_GET_DAEMON => {
                    for d in &self.daemons {
                        let a = DaemonAttrs(d.clone());
                        msgs.push(msg(IPVS_CMD_NEW_DAEMON, seq, NLM_F_MULTI, |w| a.write(w)));
                    }
                }
                c => panic!("unexpected dump cmd {c}"),
            }
            for chunk in msgs.chunks(self.per_datagram.max(1)) {
                self.push(chunk.concat());
            }
            self.push(done(seq));
            return;
        }
        assert_eq!(
            h.flags & NLM_F_ACK,
            NLM_F_ACK,
            "every request asks for an ack"
        );
        match g.cmd {
            IPVS_CMD_GET_SERVICE => match self.svc(&key_of(attrs)) {
                Some(i) => {
                    let a = ServiceAttrs {
                        spec: self.services[i].0.clone(),
                        stats: Some(Stats::default()),
                    };
                    self.push(msg(IPVS_CMD_NEW_SERVICE, seq, 0, |w| a.write(w)));
                    self.push(ack(seq, 0));
                }
                None => self.push(ack(seq, libc::ESRCH)),
            },
            IPVS_CMD_GET_INFO => {
                let mut d = msg(IPVS_CMD_SET_INFO, seq, 0, |w| {
                    w.put_u32(IPVS_INFO_ATTR_VERSION, 0x010201);
                    w.put_u32(IPVS_INFO_ATTR_CONN_TAB_SIZE, 4096);
                });
                d.extend(ack(seq, 0));
                self.push(d);
            }
            IPVS_CMD_GET_CONFIG => {
                self.push(msg(IPVS_CMD_SET_CONFIG, seq, 0, |w| {
                    w.put_u32(IPVS_CMD_ATTR_TIMEOUT_TCP, 900);
                    w.put_u32(IPVS_CMD_ATTR_TIMEOUT_TCP_FIN, 120);
                    w.put_u32(IPVS_CMD_ATTR_TIMEOUT_UDP, 300);
                }));
                self.push(ack(seq, 0));
            }
            cmd => {
                let e = self.apply(cmd, attrs);
                self.push(ack(seq, e));
            }
        }
    }
}

impl Transport for Fake {
    fn send(&mut self, buf: &[u8]) -> io::Result<()> {
        self.sends += 1;
        for m in NlmsgIter::<Native>::new(buf) {
            let m = m.unwrap();
            assert_eq!(m.header.len as usize, m.payload.len() + 16);
            self.answer(m.header, m.payload);
        }
        Ok(())
    }

    fn recv(&mut self, buf: &mut [u8]) -> io::Result<Received> {
        if std::mem::take(&mut self.enobufs_next) {
            return Err(io::Error::from_raw_os_error(libc::ENOBUFS));
        }
        let Some((d, truncated, pid)) = self.queue.pop_front() else {
            return Err(io::Error::from_raw_os_error(libc::EAGAIN));
        };
        let n = d.len().min(buf.len());
        buf[..n].copy_from_slice(&d[..n]);
        Ok(Received {
            len: if truncated { n / 2 } else { n },
            truncated,
            from_pid: pid,
        })
    }

    fn reset(&mut self) -> io::Result<()> {
        self.resets += 1;
        self.queue.clear();
        Ok(())
    }
}

fn v4key(port: u16) -> ServiceKey {
    ServiceKey::Inet {
        proto: Protocol::Tcp,
        addr: SocketAddr::new([192, 0, 2, 1].into(), port),
    }
}

use std::net::SocketAddr;

fn svc(key: ServiceKey, sched: &str) -> ServiceSpec {
    ServiceSpec {
        key,
        sched: SchedName::try_from(sched).unwrap(),
        flags: 0,
        timeout: 0,
        netmask: if key.family() == Family::Inet {
            0xffff_ffff
        } else {
            128
        },
        pe_name: None,
    }
}

fn dest(addr: &str, weight: i32) -> DestSpec {
    DestSpec {
        addr: addr.parse().unwrap(),
        forward: Forward::Masq,
        weight,
        u_threshold: 0,
        l_threshold: 0,
        tunnel: TunnelSpec::default(),
    }
}

fn backend(f: Fake) -> NetlinkBackend<Fake> {
    NetlinkBackend::with_transport(f).unwrap()
}

#[test]
fn open_resolves_family_or_reports_enoent() {
    let b = backend(Fake::new());
    assert_eq!(b.family_id(), FAM);
    let f = Fake {
        has_ipvs: false,
        ..Fake::new()
    };
    let e = NetlinkBackend::with_transport(f).err().unwrap();
    assert_eq!(
        (e.errno, e.context, e.op),
        (libc::ENOENT, "resolve IPVS netlink family", None)
    );
}

#[test]
fn batch_in_one_sendmsg_with_per_op_errors() {
    let mut b = backend(Fake::new());
    let sends = b.io.sends;
    let k = v4key(80);
    let ops = [
        Op::AddService(svc(k, "wlc")),
        Op::AddDest(k, dest("198.51.100.1:80", 1)),
        Op::AddDest(k, dest("198.51.100.2:80", 3)),
        Op::AddDest(k, dest("198.51.100.1:80", 1)),
        Op::DelDest(k, "198.51.100.9:80".parse().unwrap()),
        Op::AddService(svc(v4key(81), "nope")),
        Op::AddDest(v4key(81), dest("198.51.100.1:80", 1)),
    ];
    let mut errs = Vec::new();
    b.apply_all(&ops, &mut |i, e| errs.push((i, e.errno, e.op)));
    assert_eq!(b.io.sends - sends, 1, "one sendmsg for the whole batch");
    assert_eq!(
        errs,
        vec![
            (3, libc::EEXIST, Some(ops[3].clone())),
            (4, libc::ENOENT, Some(ops[4].clone())),
            (5, libc::ENOENT, Some(ops[5].clone())),
            (6, libc::ESRCH, Some(ops[6].clone())),
        ]
    );
    assert_eq!(b.io.services.len(), 1);
    assert_eq!(b.io.services[0].1.len(), 2);
    assert_eq!(
        b.apply(&Op::DelService(v4key(99))).unwrap_err().errno,
        libc::ESRCH
    );
}

#[test]
fn large_batches_are_split() {
    let mut b = backend(Fake::new());
    let sends = b.io.sends;
    let ops: Vec<Op> = (0..150u16)
        .map(|p| Op::AddService(svc(v4key(1000 + p), "rr")))
        .collect();
    let mut errs = 0;
    b.apply_all(&ops, &mut |_, _| errs += 1);
    assert_eq!(errs, 0);
    assert_eq!(b.io.sends - sends, 3, "64 + 64 + 22");
    assert_eq!(b.io.services.len(), 150);
}

#[test]
fn stale_and_foreign_messages_are_skipped() {
    let mut f = Fake::new();
    f.noise = true;
    let mut b = backend(f);
    b.apply(&Op::AddService(svc(v4key(80), "rr"))).unwrap();
    b.apply(&Op::AddDest(v4key(80), dest("198.51.100.1:80", 2)))
        .unwrap();
    let mut t = KernelTable::default();
    b.dump(&mut t).unwrap();
    assert_eq!(t.services.len(), 1);
    assert_eq!(t.services[0].dests.len(), 1);
}

#[test]
fn dump_reads_every_family_and_reuses_vectors() {
    let mut f = Fake::new();
    let k6 = ServiceKey::Inet {
        proto: Protocol::Udp,
        addr: "[2001:db8::1]:53".parse().unwrap(),
    };
    let kf = ServiceKey::Fwmark {
        family: Family::Inet,
        mark: 5,
    };
    f.services = vec![
        (
            svc(v4key(80), "wlc"),
            vec![dest("198.51.100.1:80", 1), dest("198.51.100.2:80", 3)],
        ),
        (svc(k6, "sh"), vec![dest("[2001:db8::10]:53", 1)]),
        (svc(kf, "rr"), vec![]),
    ];
    f.per_datagram = 2;
    let mut b = backend(f);
    let mut t = KernelTable::default();
    b.dump(&mut t).unwrap();
    assert_eq!(t.services.len(), 3);
    assert_eq!(t.services[0].spec, svc(v4key(80), "wlc"));
    assert_eq!(t.services[0].stats.conns, 1);
    assert_eq!(t.services[1].spec.key, k6);
    assert_eq!(t.services[2].spec.key, kf);
    let d = &t.services[0].dests[1];
    assert_eq!((d.spec, d.active_conns), (dest("198.51.100.2:80", 3), 30));
    assert_eq!(
        t.services[1].dests[0].spec.addr,
        "[2001:db8::10]:53".parse().unwrap()
    );
    assert!(t.services[2].dests.is_empty());

    // Second dump into the same table after the kernel lost one dest and one service:
    // same allocations, shorter contents.
    let svc_ptr = t.services.as_ptr();
    let dest_ptr = t.services[0].dests.as_ptr();
    b.io.services[0].1.remove(0);
    b.io.services.pop();
    b.dump(&mut t).unwrap();
    assert_eq!(t.services.len(), 2);
    assert_eq!(t.services[0].dests.len(), 1);
    assert_eq!(t.services[0].dests[0].spec, dest("198.51.100.2:80", 3));
    assert_eq!(t.services.as_ptr(), svc_ptr);
    assert_eq!(t.services[0].dests.as_ptr(), dest_ptr);
}

#[test]
fn dump_error_is_reported_with_context() {
    let mut f = Fake::new();
    f.services = vec![(svc(v4key(80), "rr"), vec![])];
    f.dest_dump_errno = Some(libc::EPERM);
    let mut b = backend(f);
    let e = b.dump(&mut KernelTable::default()).unwrap_err();
    assert_eq!((e.errno, e.context), (libc::EPERM, "dump destinations"));
}

#[test]
fn truncated_datagram_is_an_error_and_resets() {
    let mut f = Fake::new();
    f.services = vec![(svc(v4key(80), "rr"), vec![])];
    let mut b = backend(f);
    b.io.truncate_next = true;
    let e = b.dump(&mut KernelTable::default()).unwrap_err();
    assert_eq!((e.errno, e.context), (libc::EMSGSIZE, "dump services"));
    assert_eq!(b.io.resets, 1);
    // The backend still works afterwards.
    let mut t = KernelTable::default();
    b.dump(&mut t).unwrap();
    assert_eq!(t.services.len(), 1);
}

#[test]
fn missing_acks_time_out_every_op_of_the_batch() {
    let mut b = backend(Fake::new());
    b.io.silent = true;
    let ops = [Op::Flush, Op::Zero(None)];
    let mut errs = Vec::new();
    b.apply_all(&ops, &mut |i, e| errs.push((i, e.errno)));
    assert_eq!(errs, vec![(0, libc::ETIMEDOUT), (1, libc::ETIMEDOUT)]);
}

#[test]
fn info_timeouts_daemons() {
    let mut b = backend(Fake::new());
    assert_eq!(
        b.info().unwrap(),
        Info {
            version: 0x010201,
            conn_tab_size: 4096
        }
    );
    assert_eq!(
        b.timeouts().unwrap(),
        Timeouts {
            tcp: 900,
            tcpfin: 120,
            udp: 300
        }
    );
    assert!(b.daemons().unwrap().is_empty());
    let d = SyncDaemonSpec {
        state: SyncState::Master,
        ifname: heapless::String::try_from("eth0").unwrap(),
        syncid: 1,
        sync_maxlen: None,
        mcast_group: None,
        mcast_port: None,
        mcast_ttl: None,
    };
    b.apply(&Op::StartDaemon(d.clone())).unwrap();
    assert_eq!(b.daemons().unwrap().as_slice(), &[d]);
}

#[test]
fn capture_text_round_trip_and_replay() {
    use super::capture::*;
    let mut f = Fake::new();
    f.services = vec![(svc(v4key(80), "wlc"), vec![dest("198.51.100.1:80", 2)])];
    let mut b = NetlinkBackend::with_transport(Recorder::new(f)).unwrap();
    let table = run_session(&mut b).unwrap();
    let text = to_text(&b.io.log);
    assert!(text.starts_with("> "));
    let log = from_text(&format!("# a comment\n\n{text}")).unwrap();
    assert_eq!(log, b.io.log);
    let mut r = NetlinkBackend::with_transport(Replay::new(log)).unwrap();
    assert_eq!(run_session(&mut r).unwrap(), table);
    assert!(r.io.finished());
    // A backend that asked something else is caught.
    let mut log = from_text(&text).unwrap();
    log[2].bytes[16] ^= 1; // the dump request's genl cmd
    let mut r = NetlinkBackend::with_transport(Replay::new(log)).unwrap();
    assert_eq!(run_session(&mut r).unwrap_err().errno, libc::EPROTO);
    assert!(from_text("> 0g").is_err());
    assert!(from_text("  00").is_err());
    assert!(from_text("? 00").is_err());
}

#[test]
fn overrun_fails_the_batch_and_resets() {
    let mut b = backend(Fake::new());
    b.io.enobufs_next = true;
    let ops = [Op::AddService(svc(v4key(80), "rr")), Op::Flush];
    let mut errs = Vec::new();
    b.apply_all(&ops, &mut |i, e| errs.push((i, e.errno)));
    assert_eq!(errs, vec![(0, libc::ENOBUFS), (1, libc::ENOBUFS)]);
    assert_eq!(b.io.resets, 1);
    // The kernel ran both (only the acks were lost): the table is empty, and the fresh
    // socket works.
    assert!(b.io.services.is_empty());
    b.apply(&Op::AddService(svc(v4key(80), "rr"))).unwrap();
    assert_eq!(b.io.services.len(), 1);
}

#[test]
fn largest_request_times_batch_fits_the_send_buffer() {
    use crate::ipvs::wire::request::emit_op;
    let k6 = ServiceKey::Inet {
        proto: Protocol::Sctp,
        addr: "[2001:db8:ffff:ffff:ffff:ffff:ffff:ffff]:65535"
            .parse()
            .unwrap(),
    };
    let mut s = svc(k6, "abcdefghijklmno");
    s.pe_name = Some(PeName::try_from("abcdefghijklmno").unwrap());
    let mut d = dest("[2001:db8::1]:1", 1);
    d.forward = Forward::Tunnel;
    let daemon = SyncDaemonSpec {
        state: SyncState::Backup,
        ifname: heapless::String::try_from("abcdefghijklmno").unwrap(),
        syncid: 255,
        sync_maxlen: Some(1),
        mcast_group: Some("ff02::1".parse().unwrap()),
        mcast_port: Some(1),
        mcast_ttl: Some(1),
    };
    let ops = [
        Op::AddService(s.clone()),
        Op::EditService(s),
        Op::AddDest(k6, d),
        Op::EditDest(k6, d),
        Op::DelDest(k6, d.addr),
        Op::StartDaemon(daemon),
        Op::SetTimeouts(Timeouts::default()),
    ];
    let mut buf = [0u8; 1024];
    let largest = ops
        .iter()
        .map(|op| emit_op::<Native>(&mut buf, op, FAM, 1).unwrap())
        .max()
        .unwrap();
    assert_eq!(
        largest, 164,
        "NEW/SET_DEST with IPv6 service and real server"
    );
    assert!(largest * MAX_BATCH <= SEND_BUF_LEN);
}

/// A conversation captured from Debian's 6.1 kernel in qemu (see
/// tests/data/netlink/README.md): replayed byte for byte, it must give the table
/// Debian's ipvsadm built (tests/data/netlink/debian-6.1-ipvsadm.sh; its `ipvsadm -S -n`
/// is debian-6.1-ipvsadm.save), in the kernel's order, with the kernel's flags.
#[test]
fn replay_of_debian_6_1_capture() {
    use super::capture::{from_text, Replay};
    let log = from_text(include_str!(
        "../../tests/data/netlink/debian-6.1-session.txt"
    ))
    .unwrap();
    let mut b = NetlinkBackend::with_transport(Replay::new(log)).unwrap();
    assert_eq!(b.family_id(), 0x20);
    let mut t = KernelTable::default();
    b.dump(&mut t).unwrap();
    let keys: Vec<ServiceKey> = t.services.iter().map(|s| s.spec.key).collect();
    let k6 = ServiceKey::Inet {
        proto: Protocol::Udp,
        addr: "[2001:db8::1]:53".parse().unwrap(),
    };
    let ksip = ServiceKey::Inet {
        proto: Protocol::Tcp,
        addr: "192.0.2.2:5060".parse().unwrap(),
    };
    let kf = ServiceKey::Fwmark {
        family: Family::Inet,
        mark: 5,
    };
    assert_eq!(keys, vec![k6, ksip, v4key(80), kf]);
    let hashed = svc_flags::HASHED;
    let s = &t.services;
    assert_eq!(
        s[0].spec,
        ServiceSpec {
            key: k6,
            sched: SchedName::try_from("sh").unwrap(),
            flags: hashed | svc_flags::SCHED_SH_FALLBACK | svc_flags::SCHED_SH_PORT,
            timeout: 0,
            netmask: 128,
            pe_name: None,
        }
    );
    assert_eq!(
        s[1].spec,
        ServiceSpec {
            key: ksip,
            sched: SchedName::try_from("mh").unwrap(),
            flags: hashed | svc_flags::PERSISTENT | svc_flags::SCHED_MH_PORT,
            timeout: 60,
            netmask: 0xffff_ffff,
            pe_name: Some(PeName::try_from("sip").unwrap()),
        }
    );
    assert_eq!(
        s[2].spec,
        ServiceSpec {
            key: v4key(80),
            sched: SchedName::try_from("wlc").unwrap(),
            flags: hashed | svc_flags::PERSISTENT,
            timeout: 300,
            netmask: 0xffff_ff00,
            pe_name: None,
        }
    );
    assert_eq!(s[3].spec.flags, hashed | svc_flags::ONEPACKET);
    assert_eq!(s[3].spec.sched.as_str(), "rr");
    let route = |a: &str, w| DestSpec {
        forward: Forward::Route,
        ..dest(a, w)
    };
    let dests: Vec<Vec<DestSpec>> = s
        .iter()
        .map(|x| x.dests.iter().map(|d| d.spec).collect())
        .collect();
    assert_eq!(dests[0], vec![route("[2001:db8::10]:53", 1)]);
    assert_eq!(dests[1], vec![dest("198.51.100.4:5060", 1)]);
    assert_eq!(
        dests[2],
        vec![
            route("198.51.100.2:80", 3),
            DestSpec {
                u_threshold: 100,
                l_threshold: 10,
                ..dest("198.51.100.1:80", 2)
            }
        ]
    );
    assert_eq!(
        dests[3],
        vec![DestSpec {
            forward: Forward::Tunnel,
            tunnel: TunnelSpec {
                kind: TunnelType::Gue,
                port: 6080,
                flags: 0,
            },
            ..dest("198.51.100.3:0", 1)
        }]
    );
    assert!(s.iter().all(|x| x.stats == Stats::default()));
    assert_eq!(
        b.info().unwrap(),
        Info {
            version: 0x010201,
            conn_tab_size: 4096
        }
    );
    assert_eq!(
        b.timeouts().unwrap(),
        Timeouts {
            tcp: 901,
            tcpfin: 121,
            udp: 301
        }
    );
    assert_eq!(
        b.daemons().unwrap().as_slice(),
        &[SyncDaemonSpec {
            state: SyncState::Master,
            ifname: heapless::String::try_from("lo").unwrap(),
            syncid: 3,
            sync_maxlen: Some(1472),
            mcast_group: Some("224.0.0.81".parse().unwrap()),
            mcast_port: Some(8848),
            mcast_ttl: Some(1),
        }]
    );
    assert!(b.io.finished(), "every captured datagram used");
}

/// A second capture from the same kernel, after real traffic: the counters must be what
/// `ipvsadm -L -n --stats --exact` printed for the same table (see the file's header).
#[test]
fn replay_of_debian_6_1_capture_with_traffic() {
    use super::capture::{from_text, Replay};
    let log = from_text(include_str!(
        "../../tests/data/netlink/debian-6.1-stats.txt"
    ))
    .unwrap();
    let mut b = NetlinkBackend::with_transport(Replay::new(log)).unwrap();
    let mut t = KernelTable::default();
    b.dump(&mut t).unwrap();
    assert_eq!(t.services.len(), 1);
    let s = &t.services[0];
    assert_eq!(s.spec.key, v4key(80));
    assert_eq!(s.spec.flags, svc_flags::HASHED);
    let counters = |st: &Stats| (st.conns, st.inpkts, st.outpkts, st.inbytes, st.outbytes);
    assert_eq!(counters(&s.stats), (3, 15, 15, 825, 825));
    assert_eq!(s.dests.len(), 1);
    let d = &s.dests[0];
    assert_eq!(d.spec, dest("127.0.0.1:8080", 1));
    assert_eq!(counters(&d.stats), (3, 15, 15, 825, 825));
    assert_eq!((d.active_conns, d.inact_conns, d.persist_conns), (0, 3, 0));
    b.info().unwrap();
    assert_eq!(
        b.timeouts().unwrap(),
        Timeouts {
            tcp: 900,
            tcpfin: 120,
            udp: 300
        }
    );
    assert!(b.daemons().unwrap().is_empty());
    assert!(b.io.finished());
}

#[test]
fn single_service_get() {
    let mut f = Fake::new();
    f.services = vec![(svc(v4key(80), "wlc"), vec![])];
    let mut b = backend(f);
    let (spec, stats) = b.service(&v4key(80)).unwrap().unwrap();
    assert_eq!((spec, stats), (svc(v4key(80), "wlc"), Stats::default()));
    assert_eq!(b.service(&v4key(81)).unwrap(), None);
}

/// `lvsmon restore` batches by operation count, not by service: one service with 1000
/// destinations goes in as few sendmsg calls as 100 services with 10 each (64 requests
/// per sendmsg, MAX_BATCH), plus the one dump that takes the undo snapshot.
#[test]
fn restore_batches_one_big_service_like_many_small_ones() {
    fn sends_for(services: u16, per_service: u16) -> (usize, usize) {
        let mut b = backend(Fake::new());
        let before = b.io.sends;
        let mut ops = Vec::new();
        let mut k = 0u32;
        for s in 0..services {
            let key = v4key(1000 + s);
            ops.push((ops.len() + 1, Op::AddService(svc(key, "rr"))));
            for _ in 0..per_service {
                let a = format!(
                    "198.51.{}.{}:{}",
                    100 + k / 250 % 4,
                    1 + k % 250,
                    8000 + k / 1000
                );
                ops.push((ops.len() + 1, Op::AddDest(key, dest(&a, 1))));
                k += 1;
            }
        }
        let mut err = Vec::new();
        let rc = crate::commands::apply_restore(&mut b, &ops, &mut err);
        assert_eq!(rc, 0, "{}", String::from_utf8_lossy(&err));
        assert_eq!(b.io.services.len(), services as usize);
        (ops.len(), b.io.sends - before)
    }
    // The empty table's dump is one request; then ceil(ops / 64) batches.
    assert_eq!(sends_for(1, 1000), (1001, 1 + 16));
    assert_eq!(sends_for(100, 10), (1100, 1 + 18));
}
