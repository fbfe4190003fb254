//! Byte vectors for whole IPVS messages, annotated field by field from the uapi layout
//! (linux/netlink.h, linux/genetlink.h, linux/ip_vs.h) and the kernel's attribute
//! writers in net/netfilter/ipvs/ip_vs_ctl.c. The family id 0x22 is arbitrary (the
//! kernel assigns one at module load; the controller reports it).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use super::super::endian::{Big, Little};
use super::super::nlmsg::{NlmsgIter, Reply};
use super::*;
use crate::ipvs::rule::*;

const FAM: u16 = 0x22;

fn v4svc() -> ServiceSpec {
    ServiceSpec {
        key: ServiceKey::Inet {
            proto: Protocol::Tcp,
            addr: "192.0.2.1:80".parse().unwrap(),
        },
        sched: SchedName::try_from("wlc").unwrap(),
        flags: svc_flags::PERSISTENT,
        timeout: 300,
        netmask: 0xffff_ff00,
        pe_name: None,
    }
}

fn emit_le(op: &Op, seq: u32) -> Vec<u8> {
    let mut buf = [0u8; 512];
    let n = emit_op::<Little>(&mut buf, op, FAM, seq).unwrap();
    buf[..n].to_vec()
}

#[rustfmt::skip]
const NEW_SERVICE_V4: [u8; 92] = [
    // nlmsghdr: len 92, type FAM, flags REQUEST|ACK, seq 1, pid 0
    92, 0, 0, 0,  0x22, 0,  0x05, 0,  1, 0, 0, 0,  0, 0, 0, 0,
    // genlmsghdr: cmd IPVS_CMD_NEW_SERVICE, version 1
    1, 1, 0, 0,
    // IPVS_CMD_ATTR_SERVICE | NLA_F_NESTED, len 72
    72, 0, 1, 0x80,
    6, 0, 1, 0,  2, 0, 0, 0,                       // SVC_ATTR_AF AF_INET (u16 + pad)
    6, 0, 2, 0,  6, 0, 0, 0,                       // SVC_ATTR_PROTOCOL IPPROTO_TCP
    8, 0, 3, 0,  192, 0, 2, 1,                     // SVC_ATTR_ADDR 192.0.2.1
    6, 0, 4, 0,  0, 80, 0, 0,                      // SVC_ATTR_PORT 80, network order
    8, 0, 6, 0,  b'w', b'l', b'c', 0,              // SVC_ATTR_SCHED_NAME "wlc\0"
    12, 0, 7, 0, 1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, // SVC_ATTR_FLAGS {PERSISTENT, mask ~0}
    8, 0, 8, 0,  0x2c, 0x01, 0, 0,                 // SVC_ATTR_TIMEOUT 300
    8, 0, 9, 0,  255, 255, 255, 0,                 // SVC_ATTR_NETMASK 255.255.255.0 (__be32)
];

#[test]
fn new_service_ipv4() {
    assert_eq!(emit_le(&Op::AddService(v4svc()), 1), NEW_SERVICE_V4);
}

#[test]
fn hashed_flag_read_back_is_not_sent() {
    let mut s = v4svc();
    s.flags |= svc_flags::HASHED;
    assert_eq!(emit_le(&Op::AddService(s.clone()), 1), NEW_SERVICE_V4);
    let edit = emit_le(&Op::EditService(s), 1);
    assert_eq!(&edit[20..], &NEW_SERVICE_V4[20..]);
}

#[test]
fn new_service_ipv4_big_endian() {
    let mut buf = [0u8; 512];
    let n = emit_op::<Big>(&mut buf, &Op::AddService(v4svc()), FAM, 1).unwrap();
    #[rustfmt::skip]
    let want: [u8; 92] = [
        0, 0, 0, 92,  0, 0x22,  0, 0x05,  0, 0, 0, 1,  0, 0, 0, 0,
        1, 1, 0, 0,
        0, 72, 0x80, 1,
        0, 6, 0, 1,  0, 2, 0, 0,                       // AF: host order (big)
        0, 6, 0, 2,  0, 6, 0, 0,
        0, 8, 0, 3,  192, 0, 2, 1,                     // address bytes never swap
        0, 6, 0, 4,  0, 80, 0, 0,                      // port: network order either way
        0, 8, 0, 6,  b'w', b'l', b'c', 0,
        0, 12, 0, 7, 0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff,
        0, 8, 0, 8,  0, 0, 0x01, 0x2c,
        0, 8, 0, 9,  255, 255, 255, 0,                 // __be32 netmask: same bytes
    ];
    assert_eq!(&buf[..n], &want);
}

#[test]
fn new_service_ipv6_with_pe() {
    let spec = ServiceSpec {
        key: ServiceKey::Inet {
            proto: Protocol::Udp,
            addr: "[2001:db8::1]:53".parse().unwrap(),
        },
        sched: SchedName::try_from("sh").unwrap(),
        flags: svc_flags::SCHED_SH_PORT,
        timeout: 0,
        netmask: 128,
        pe_name: Some(PeName::try_from("sip").unwrap()),
    };
    #[rustfmt::skip]
    let want: Vec<u8> = [
        &[112u8, 0, 0, 0,  0x22, 0,  0x05, 0,  2, 0, 0, 0,  0, 0, 0, 0][..],
        &[2, 1, 0, 0],                                 // IPVS_CMD_SET_SERVICE
        &[92, 0, 1, 0x80],
        &[6, 0, 1, 0,  10, 0, 0, 0],                   // AF_INET6
        &[6, 0, 2, 0,  17, 0, 0, 0],                   // IPPROTO_UDP
        &[20, 0, 3, 0,  0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1],
        &[6, 0, 4, 0,  0, 53, 0, 0],
        &[7, 0, 6, 0,  b's', b'h', 0, 0],              // "sh\0" + 1 pad
        &[8, 0, 11, 0,  b's', b'i', b'p', 0],          // SVC_ATTR_PE_NAME "sip\0"
        &[12, 0, 7, 0,  0x10, 0, 0, 0, 0xff, 0xff, 0xff, 0xff], // SCHED_SH_PORT
        &[8, 0, 8, 0,  0, 0, 0, 0],
        &[8, 0, 9, 0,  128, 0, 0, 0],                  // IPv6: prefix length, host order
    ]
    .concat();
    assert_eq!(emit_le(&Op::EditService(spec), 2), want);
}

#[test]
fn new_service_fwmark_and_del() {
    let key = ServiceKey::Fwmark {
        family: Family::Inet,
        mark: 7,
    };
    let spec = ServiceSpec {
        key,
        sched: SchedName::try_from("rr").unwrap(),
        flags: 0,
        timeout: 0,
        netmask: 0xffff_ffff,
        pe_name: None,
    };
    #[rustfmt::skip]
    let want: Vec<u8> = [
        &[76u8, 0, 0, 0,  0x22, 0,  0x05, 0,  3, 0, 0, 0,  0, 0, 0, 0][..],
        &[1, 1, 0, 0],
        &[56, 0, 1, 0x80],
        &[6, 0, 1, 0,  2, 0, 0, 0],                    // AF_INET
        &[8, 0, 5, 0,  7, 0, 0, 0],                    // SVC_ATTR_FWMARK 7 (no proto/addr/port)
        &[7, 0, 6, 0,  b'r', b'r', 0, 0],
        &[12, 0, 7, 0,  0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff],
        &[8, 0, 8, 0,  0, 0, 0, 0],
        &[8, 0, 9, 0,  255, 255, 255, 255],
    ]
    .concat();
    assert_eq!(emit_le(&Op::AddService(spec), 3), want);
    #[rustfmt::skip]
    let del: Vec<u8> = [
        &[40u8, 0, 0, 0,  0x22, 0,  0x05, 0,  4, 0, 0, 0,  0, 0, 0, 0][..],
        &[3, 1, 0, 0],                                 // IPVS_CMD_DEL_SERVICE
        &[20, 0, 1, 0x80],
        &[6, 0, 1, 0,  2, 0, 0, 0],
        &[8, 0, 5, 0,  7, 0, 0, 0],
    ]
    .concat();
    assert_eq!(emit_le(&Op::DelService(key), 4), del);
}

#[test]
fn new_dest_ipv4_route() {
    let key = ServiceKey::Inet {
        proto: Protocol::Tcp,
        addr: "192.0.2.1:80".parse().unwrap(),
    };
    let d = DestSpec {
        addr: "198.51.100.10:8080".parse().unwrap(),
        forward: Forward::Route,
        weight: 3,
        u_threshold: 100,
        l_threshold: 10,
        tunnel: TunnelSpec::default(),
    };
    #[rustfmt::skip]
    let want: Vec<u8> = [
        &[140u8, 0, 0, 0,  0x22, 0,  0x05, 0,  5, 0, 0, 0,  0, 0, 0, 0][..],
        &[5, 1, 0, 0],                                 // IPVS_CMD_NEW_DEST
        &[36, 0, 1, 0x80],                             // service identity
        &[6, 0, 1, 0,  2, 0, 0, 0],
        &[6, 0, 2, 0,  6, 0, 0, 0],
        &[8, 0, 3, 0,  192, 0, 2, 1],
        &[6, 0, 4, 0,  0, 80, 0, 0],
        &[84, 0, 2, 0x80],                             // IPVS_CMD_ATTR_DEST | NESTED
        &[8, 0, 1, 0,  198, 51, 100, 10],              // DEST_ATTR_ADDR
        &[6, 0, 2, 0,  0x1f, 0x90, 0, 0],              // DEST_ATTR_PORT 8080 (be16)
        &[8, 0, 3, 0,  3, 0, 0, 0],                    // FWD_METHOD IP_VS_CONN_F_DROUTE
        &[8, 0, 4, 0,  3, 0, 0, 0],                    // WEIGHT 3
        &[5, 0, 13, 0,  0, 0, 0, 0],                   // TUN_TYPE ipip (u8 + 3 pad)
        &[6, 0, 14, 0,  0, 0, 0, 0],                   // TUN_PORT 0
        &[6, 0, 15, 0,  0, 0, 0, 0],                   // TUN_FLAGS 0
        &[8, 0, 5, 0,  100, 0, 0, 0],                  // U_THRESH
        &[8, 0, 6, 0,  10, 0, 0, 0],                   // L_THRESH
        &[6, 0, 11, 0,  2, 0, 0, 0],                   // ADDR_FAMILY AF_INET
    ]
    .concat();
    assert_eq!(emit_le(&Op::AddDest(key, d), 5), want);
}

#[test]
fn dest_ipv6_gue_tunnel_and_delete() {
    let key = ServiceKey::Fwmark {
        family: Family::Inet6,
        mark: 1,
    };
    let addr: SocketAddr = "[2001:db8::10]:0".parse().unwrap();
    let d = DestSpec {
        addr,
        forward: Forward::Tunnel,
        weight: -1i32 as u32 as i32,
        u_threshold: 0,
        l_threshold: 0,
        tunnel: TunnelSpec {
            kind: TunnelType::Gue,
            port: 6080,
            flags: 1,
        },
    };
    let bytes = emit_le(&Op::EditDest(key, d), 6);
    assert_eq!(bytes[16], IPVS_CMD_SET_DEST);
    // Find the dest nest and check the tunnel fields and that it parses back.
    let attrs = &bytes[GENL_MSG_HDRLEN..];
    let back = parse_dest_reply::<Little>(attrs, Family::Inet).unwrap();
    assert_eq!(back.spec, d);
    assert!(
        bytes
            .windows(8)
            .any(|w| w == [6, 0, 14, 0, 0x17, 0xc0, 0, 0]),
        "TUN_PORT 6080 be16"
    );
    assert!(
        bytes.windows(8).any(|w| w == [5, 0, 13, 0, 1, 0, 0, 0]),
        "TUN_TYPE gue"
    );
    assert!(
        bytes.windows(8).any(|w| w == [6, 0, 11, 0, 10, 0, 0, 0]),
        "AF_INET6"
    );
    #[rustfmt::skip]
    let del: Vec<u8> = [
        &[80u8, 0, 0, 0,  0x22, 0,  0x05, 0,  7, 0, 0, 0,  0, 0, 0, 0][..],
        &[7, 1, 0, 0],                                 // IPVS_CMD_DEL_DEST
        &[20, 0, 1, 0x80],
        &[6, 0, 1, 0,  10, 0, 0, 0],
        &[8, 0, 5, 0,  1, 0, 0, 0],
        &[40, 0, 2, 0x80],
        &[20, 0, 1, 0,  0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10],
        &[6, 0, 2, 0,  0, 0, 0, 0],
        &[6, 0, 11, 0,  10, 0, 0, 0],
    ]
    .concat();
    assert_eq!(emit_le(&Op::DelDest(key, addr), 7), del);
}

#[test]
fn argumentless_and_config_ops() {
    assert_eq!(
        emit_le(&Op::Flush, 9),
        [20, 0, 0, 0, 0x22, 0, 5, 0, 9, 0, 0, 0, 0, 0, 0, 0, 17, 1, 0, 0]
    );
    assert_eq!(emit_le(&Op::Zero(None), 9)[16], IPVS_CMD_ZERO);
    let t = emit_le(
        &Op::SetTimeouts(Timeouts {
            tcp: 900,
            tcpfin: 0,
            udp: 300,
        }),
        10,
    );
    #[rustfmt::skip]
    assert_eq!(&t[16..], &[
        12, 1, 0, 0,                                   // IPVS_CMD_SET_CONFIG
        8, 0, 4, 0, 0x84, 3, 0, 0,                     // TIMEOUT_TCP 900
        8, 0, 5, 0, 0, 0, 0, 0,                        // TIMEOUT_TCP_FIN 0 = unchanged
        8, 0, 6, 0, 0x2c, 1, 0, 0,                     // TIMEOUT_UDP 300
    ]);
    let stop = emit_le(&Op::StopDaemon(SyncState::Master), 11);
    assert_eq!(
        &stop[16..],
        &[10, 1, 0, 0, 12, 0, 3, 0x80, 8, 0, 1, 0, 1, 0, 0, 0]
    );
}

#[test]
fn get_requests() {
    let mut buf = [0u8; 128];
    let n = emit_get::<Little>(&mut buf, FAM, 12, IPVS_CMD_GET_SERVICE, None, true).unwrap();
    // flags NLM_F_REQUEST | NLM_F_DUMP = 0x301
    assert_eq!(
        &buf[..n],
        &[20, 0, 0, 0, 0x22, 0, 0x01, 0x03, 12, 0, 0, 0, 0, 0, 0, 0, 4, 1, 0, 0]
    );
    let key = ServiceKey::Fwmark {
        family: Family::Inet,
        mark: 3,
    };
    let n = emit_get::<Little>(&mut buf, FAM, 13, IPVS_CMD_GET_DEST, Some(&key), true).unwrap();
    assert_eq!(n, 40);
    assert_eq!(&buf[16..24], &[8, 1, 0, 0, 20, 0, 1, 0x80]);
    let n = emit_get::<Little>(&mut buf, FAM, 14, IPVS_CMD_GET_INFO, None, false).unwrap();
    assert_eq!(&buf[4..8], &[0x22, 0, 0x05, 0]);
    assert_eq!(buf[16], IPVS_CMD_GET_INFO);
    assert_eq!(n, 20);
    let n = emit_get_family::<Little>(&mut buf, 15, "IPVS").unwrap();
    #[rustfmt::skip]
    assert_eq!(&buf[..n], &[
        32, 0, 0, 0,  0x10, 0,  0x05, 0,  15, 0, 0, 0,  0, 0, 0, 0, // to GENL_ID_CTRL
        3, 2, 0, 0,                                    // CTRL_CMD_GETFAMILY, version 2
        9, 0, 2, 0, b'I', b'P', b'V', b'S', 0, 0, 0, 0, // CTRL_ATTR_FAMILY_NAME "IPVS\0"
    ]);
}

#[test]
fn small_buffer_is_an_error_not_a_panic() {
    let mut buf = [0u8; 40];
    assert_eq!(
        emit_op::<Little>(&mut buf, &Op::AddService(v4svc()), FAM, 1),
        Err(WireError::BufferTooSmall { need: 92, have: 40 })
    );
    assert!(emit_op::<Little>(&mut buf[..10], &Op::Flush, FAM, 1).is_err());
}

/// A GET_SERVICE dump answer as the kernel writes it (ip_vs_genl_fill_service): two
/// NLM_F_MULTI messages in one datagram, nests opened without NLA_F_NESTED
/// (nla_nest_start_noflag), ADDR as a 16-byte union nf_inet_addr, FLAGS with mask ~0,
/// STATS and STATS64, plus an attribute we do not know; then NLMSG_DONE in a second
/// datagram.
#[rustfmt::skip]
const DUMP_DATAGRAM: &[u8] = &[
    // message 1: len 160, type FAM, flags NLM_F_MULTI, seq 42, pid 0x3039
    160, 0, 0, 0,  0x22, 0,  0x02, 0,  42, 0, 0, 0,  0x39, 0x30, 0, 0,
    1, 1, 0, 0,                                        // IPVS_CMD_NEW_SERVICE
    140, 0, 1, 0,                                      // IPVS_CMD_ATTR_SERVICE (no NLA_F_NESTED)
    6, 0, 1, 0,  2, 0, 0, 0,                           // AF_INET
    6, 0, 2, 0,  6, 0, 0, 0,                           // TCP
    20, 0, 3, 0,  192, 0, 2, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, // ADDR (16 bytes)
    6, 0, 4, 0,  0, 80, 0, 0,                          // PORT 80
    8, 0, 6, 0,  b'w', b'l', b'c', 0,                  // "wlc"
    12, 0, 7, 0,  3, 0, 0, 0, 0xff, 0xff, 0xff, 0xff,  // FLAGS PERSISTENT|HASHED
    8, 0, 8, 0,  0x2c, 1, 0, 0,                        // TIMEOUT 300
    8, 0, 9, 0,  255, 255, 255, 255,                   // NETMASK
    8, 0, 99, 0,  1, 2, 3, 4,                          // unknown attribute 99: skipped
    20, 0, 10, 0,                                      // STATS (32-bit conns)
        8, 0, 1, 0,  5, 0, 0, 0,                       //   CONNS 5
        8, 0, 2, 0,  9, 0, 0, 0,                       //   INPKTS 9
    28, 0, 12, 0,                                      // STATS64 (preferred)
        12, 0, 1, 0,  6, 0, 0, 0, 0, 0, 0, 0,          //   CONNS 6
        12, 0, 4, 0,  0, 0, 0, 0, 1, 0, 0, 0,          //   INBYTES 1<<32
    // message 2: fwmark 9, IPv6
    76, 0, 0, 0,  0x22, 0,  0x02, 0,  42, 0, 0, 0,  0x39, 0x30, 0, 0,
    1, 1, 0, 0,
    56, 0, 1, 0,
    6, 0, 1, 0,  10, 0, 0, 0,                          // AF_INET6
    8, 0, 5, 0,  9, 0, 0, 0,                           // FWMARK 9
    7, 0, 6, 0,  b'r', b'r', 0, 0,                     // "rr"
    12, 0, 7, 0,  2, 0, 0, 0, 0xff, 0xff, 0xff, 0xff,  // FLAGS HASHED
    8, 0, 8, 0,  0, 0, 0, 0,
    8, 0, 9, 0,  64, 0, 0, 0,                          // prefix length 64
];

#[rustfmt::skip]
const DONE_DATAGRAM: &[u8] = &[
    20, 0, 0, 0,  3, 0,  0x02, 0,  42, 0, 0, 0,  0x39, 0x30, 0, 0,  0, 0, 0, 0,
];

#[test]
fn parse_multipart_service_dump() {
    let mut services = Vec::new();
    for m in NlmsgIter::<Little>::new(DUMP_DATAGRAM) {
        let m = m.unwrap();
        assert_eq!(m.header.seq, 42);
        assert_eq!(m.header.flags & NLM_F_MULTI, NLM_F_MULTI);
        let Reply::Data(payload) = m.reply::<Little>().unwrap() else {
            panic!("not data")
        };
        let (g, attrs) = GenlHeader::parse(payload).unwrap();
        assert_eq!(g.cmd, IPVS_CMD_NEW_SERVICE);
        services.push(parse_service_reply::<Little>(attrs).unwrap());
    }
    assert_eq!(services.len(), 2);
    assert_eq!(
        services[0],
        ServiceAttrs {
            spec: ServiceSpec {
                key: ServiceKey::Inet {
                    proto: Protocol::Tcp,
                    addr: SocketAddr::new(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)), 80),
                },
                sched: SchedName::try_from("wlc").unwrap(),
                flags: 3,
                timeout: 300,
                netmask: 0xffff_ffff,
                pe_name: None,
            },
            stats: Some(Stats {
                conns: 6,
                inbytes: 1 << 32,
                ..Stats::default()
            }),
        }
    );
    assert_eq!(
        services[1].spec.key,
        ServiceKey::Fwmark {
            family: Family::Inet6,
            mark: 9
        }
    );
    assert_eq!(services[1].spec.netmask, 64);
    assert_eq!(services[1].stats, None);
    let done = NlmsgIter::<Little>::new(DONE_DATAGRAM)
        .next()
        .unwrap()
        .unwrap();
    assert_eq!(done.reply::<Little>(), Ok(Reply::Done(0)));
}

#[test]
fn parse_dest_dump_message() {
    #[rustfmt::skip]
    let attrs: &[u8] = &[
        136, 0, 2, 0,                                  // IPVS_CMD_ATTR_DEST
        20, 0, 1, 0,  198, 51, 100, 7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        6, 0, 2, 0,  0, 80, 0, 0,                      // PORT 80
        8, 0, 3, 0,  0, 0, 0, 0,                       // FWD masq
        8, 0, 4, 0,  1, 0, 0, 0,                       // WEIGHT 1
        5, 0, 13, 0,  0, 0, 0, 0,                      // TUN_TYPE
        6, 0, 14, 0,  0, 0, 0, 0,                      // TUN_PORT
        6, 0, 15, 0,  0, 0, 0, 0,                      // TUN_FLAGS
        8, 0, 5, 0,  0, 0, 0, 0,                       // U_THRESH
        8, 0, 6, 0,  0, 0, 0, 0,                       // L_THRESH
        8, 0, 7, 0,  4, 0, 0, 0,                       // ACTIVE_CONNS 4
        8, 0, 8, 0,  2, 0, 0, 0,                       // INACT_CONNS 2
        8, 0, 9, 0,  1, 0, 0, 0,                       // PERSIST_CONNS 1
        6, 0, 11, 0,  2, 0, 0, 0,                      // ADDR_FAMILY AF_INET
        16, 0, 12, 0,                                  // STATS64
            12, 0, 3, 0,  77, 0, 0, 0, 0, 0, 0, 0,     //   OUTPKTS 77
    ];
    let d = parse_dest_reply::<Little>(attrs, Family::Inet6).unwrap();
    assert_eq!(d.spec.addr, "198.51.100.7:80".parse().unwrap());
    assert_eq!(d.spec.forward, Forward::Masq);
    assert_eq!(d.spec.weight, 1);
    let k = d.into_kernel();
    assert_eq!((k.active_conns, k.inact_conns, k.persist_conns), (4, 2, 1));
    assert_eq!(k.stats.outpkts, 77);
}

#[test]
fn malformed_replies_are_errors() {
    // Nest length runs past the message.
    let attrs = [40u8, 0, 1, 0x80, 6, 0, 1, 0, 2, 0, 0, 0];
    assert!(parse_service_reply::<Little>(&attrs).is_err());
    // Bad inner length inside the service nest.
    let attrs = [12u8, 0, 1, 0x80, 2, 0, 1, 0, 2, 0, 0, 0];
    assert_eq!(
        parse_service_reply::<Little>(&attrs),
        Err(WireError::BadLength {
            what: "attribute",
            len: 2
        })
    );
    // AF missing.
    let attrs = [12u8, 0, 1, 0x80, 8, 0, 5, 0, 1, 0, 0, 0];
    assert_eq!(
        parse_service_reply::<Little>(&attrs),
        Err(WireError::Missing("IPVS_SVC_ATTR_AF"))
    );
    // Unknown address family.
    let attrs = [
        20u8, 0, 1, 0x80, 6, 0, 1, 0, 7, 0, 0, 0, 8, 0, 5, 0, 1, 0, 0, 0,
    ];
    assert!(matches!(
        parse_service_reply::<Little>(&attrs),
        Err(WireError::BadValue { .. })
    ));
    // IPv6 service with a 4-byte address.
    #[rustfmt::skip]
    let attrs = [
        36u8, 0, 1, 0x80, 6, 0, 1, 0, 10, 0, 0, 0, 6, 0, 2, 0, 6, 0, 0, 0,
        8, 0, 3, 0, 1, 2, 3, 4, 6, 0, 4, 0, 0, 80, 0, 0,
    ];
    assert!(matches!(
        parse_service_reply::<Little>(&attrs),
        Err(WireError::BadLength { .. })
    ));
    // Sched name longer than the kernel allows.
    let mut attrs = vec![
        36u8, 0, 1, 0x80, 6, 0, 1, 0, 2, 0, 0, 0, 8, 0, 5, 0, 1, 0, 0, 0,
    ];
    attrs.extend_from_slice(&[20, 0, 6, 0]);
    attrs.extend_from_slice(b"abcdefghijklmnop");
    assert!(parse_service_reply::<Little>(&attrs).is_err());
    // No service nest at all.
    assert_eq!(
        parse_service_reply::<Little>(&[]),
        Err(WireError::Missing("IPVS_CMD_ATTR_SERVICE"))
    );
}

#[test]
fn service_round_trip_both_orders() {
    let s = ServiceAttrs {
        spec: ServiceSpec {
            key: ServiceKey::Inet {
                proto: Protocol::Sctp,
                addr: SocketAddr::new(IpAddr::V6(Ipv6Addr::LOCALHOST), 9),
            },
            sched: SchedName::try_from("mh").unwrap(),
            flags: svc_flags::SCHED_MH_FALLBACK | svc_flags::SCHED_MH_PORT,
            timeout: 10,
            netmask: 96,
            pe_name: None,
        },
        stats: Some(Stats {
            outbps: 12345,
            ..Stats::default()
        }),
    };
    let mut buf = [0u8; 512];
    let n = s.emit::<Big>(&mut buf);
    assert_eq!(n, s.buffer_len());
    assert_eq!(parse_service_reply::<Big>(&buf[..n]), Ok(s.clone()));
    let n = s.emit::<Little>(&mut buf);
    assert_eq!(parse_service_reply::<Little>(&buf[..n]), Ok(s));
}

/// Every parser over hostile bytes: random buffers and single-byte mutations of every
/// datagram the kernel sent in a captured session. Parsers may reject, never panic.
#[test]
fn parsers_never_panic_on_mutated_kernel_bytes() {
    use super::super::config::ConfigAttrs;
    use super::super::daemon::DaemonAttrs;
    use super::super::dest::DestAttrs;
    use super::super::endian::Native;
    use super::super::info::InfoAttrs;
    use super::super::sockopt::{parse_dest_entry, DaemonUser, Layout, ServiceEntry};
    use super::super::stats;

    fn parse_all(bytes: &[u8]) -> [usize; 4] {
        let mut ok = [0; 4];
        for m in NlmsgIter::<Native>::new(bytes) {
            let Ok(m) = m else { break };
            if let Ok(Reply::Data(p)) = m.reply::<Native>() {
                if let Ok((_, attrs)) = GenlHeader::parse(p) {
                    ok[0] += parse_service_reply::<Native>(attrs).is_ok() as usize;
                    ok[1] += parse_dest_reply::<Native>(attrs, Family::Inet).is_ok() as usize;
                    ok[2] += parse_daemon_reply::<Native>(attrs).is_ok() as usize;
                    ok[3] += InfoAttrs::parse::<Native>(attrs).is_ok() as usize;
                    let _ = ConfigAttrs::parse::<Native>(attrs);
                }
            }
        }
        let _ = ServiceAttrs::parse::<Native>(bytes);
        let _ = DestAttrs::parse::<Native>(bytes, Family::Inet6);
        let _ = DaemonAttrs::parse::<Native>(bytes);
        let _ = stats::parse::<Native>(bytes);
        let _ = ServiceEntry::parse::<Native>(bytes, &Layout::NATIVE);
        let _ = parse_dest_entry::<Native>(bytes, &Layout::NATIVE);
        let _ = DaemonUser::parse::<Native>(bytes);
        ok
    }

    let capture = include_str!("../../../tests/data/netlink/debian-6.1-session.txt");
    let log = crate::ipvs::netlink::capture::from_text(capture).unwrap();
    let replies: Vec<Vec<u8>> = log
        .into_iter()
        .filter(|d| !d.sent)
        .map(|d| d.bytes)
        .collect();
    // Unmutated, the replies hold 4 services, 5 real servers, 1 daemon, 1 info.
    let clean = replies
        .iter()
        .map(|r| parse_all(r))
        .fold([0; 4], |mut acc, c| {
            for i in 0..4 {
                acc[i] += c[i];
            }
            acc
        });
    assert_eq!(clean, [4, 5, 1, 1]);

    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut rand = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for r in &replies {
        for _ in 0..300 {
            let mut m = r.clone();
            let at = rand() as usize % m.len();
            m[at] = rand() as u8;
            let cut = m.len() - rand() as usize % 8.min(m.len());
            parse_all(&m[..cut]);
        }
    }
    for _ in 0..2000 {
        let len = rand() as usize % 256;
        let b: Vec<u8> = (0..len).map(|_| rand() as u8).collect();
        parse_all(&b);
    }
}
