//! Layouts checked against #[repr(C)] mirrors of the ip_vs.h structs (so the compiler's
//! C layout for this target is the oracle), the i386 layout by hand, and annotated byte
//! vectors in both byte orders.

use std::mem::{offset_of, size_of};

use super::super::endian::{Big, Little, Native};
use super::*;
use crate::ipvs::rule::svc_flags;

#[repr(C)]
struct StatsUser {
    conns: u32,
    inpkts: u32,
    outpkts: u32,
    inbytes: u64,
    outbytes: u64,
    cps: u32,
    inpps: u32,
    outpps: u32,
    inbps: u32,
    outbps: u32,
}

#[repr(C)]
struct ServiceUserC {
    protocol: u16,
    addr: u32,
    port: u16,
    fwmark: u32,
    sched_name: [u8; 16],
    flags: u32,
    timeout: u32,
    netmask: u32,
}

#[repr(C)]
struct DestUserC {
    addr: u32,
    port: u16,
    conn_flags: u32,
    weight: i32,
    u_threshold: u32,
    l_threshold: u32,
}

#[repr(C)]
struct ServiceEntryC {
    protocol: u16,
    addr: u32,
    port: u16,
    fwmark: u32,
    sched_name: [u8; 16],
    flags: u32,
    timeout: u32,
    netmask: u32,
    num_dests: u32,
    stats: StatsUser,
}

#[repr(C)]
struct DestEntryC {
    addr: u32,
    port: u16,
    conn_flags: u32,
    weight: i32,
    u_threshold: u32,
    l_threshold: u32,
    activeconns: u32,
    inactconns: u32,
    persistconns: u32,
    stats: StatsUser,
}

#[repr(C)]
struct GetDestsC {
    protocol: u16,
    addr: u32,
    port: u16,
    fwmark: u32,
    num_dests: u32,
    entrytable: [DestEntryC; 0],
}

#[repr(C)]
struct GetServicesC {
    num_services: u32,
    entrytable: [ServiceEntryC; 0],
}

#[repr(C)]
struct DaemonUserC {
    state: i32,
    mcast_ifn: [u8; 16],
    syncid: i32,
}

#[test]
fn native_layout_matches_repr_c() {
    let l = Layout::NATIVE;
    assert_eq!(l.stats_inbytes, offset_of!(StatsUser, inbytes));
    assert_eq!(l.stats_inbytes + 16, offset_of!(StatsUser, cps));
    assert_eq!(l.stats_len, size_of::<StatsUser>());
    assert_eq!(SERVICE_USER_LEN, size_of::<ServiceUserC>());
    assert_eq!(
        [4, 8, 12, 16, 32, 36, 40],
        [
            offset_of!(ServiceUserC, addr),
            offset_of!(ServiceUserC, port),
            offset_of!(ServiceUserC, fwmark),
            offset_of!(ServiceUserC, sched_name),
            offset_of!(ServiceUserC, flags),
            offset_of!(ServiceUserC, timeout),
            offset_of!(ServiceUserC, netmask),
        ]
    );
    assert_eq!(DEST_USER_LEN, size_of::<DestUserC>());
    assert_eq!(8, offset_of!(DestUserC, conn_flags));
    assert_eq!(20, offset_of!(DestUserC, l_threshold));
    assert_eq!(l.svc_entry_stats, offset_of!(ServiceEntryC, stats));
    assert_eq!(44, offset_of!(ServiceEntryC, num_dests));
    assert_eq!(l.svc_entry_len, size_of::<ServiceEntryC>());
    assert_eq!(l.dest_entry_stats, offset_of!(DestEntryC, stats));
    assert_eq!(32, offset_of!(DestEntryC, persistconns));
    assert_eq!(l.dest_entry_len, size_of::<DestEntryC>());
    assert_eq!(l.get_dests_table, offset_of!(GetDestsC, entrytable));
    assert_eq!(16, offset_of!(GetDestsC, num_dests));
    assert_eq!(l.get_services_table, offset_of!(GetServicesC, entrytable));
    assert_eq!(DAEMON_USER_LEN, size_of::<DaemonUserC>());
    assert_eq!(20, offset_of!(DaemonUserC, syncid));
}

#[test]
fn layouts_for_both_u64_alignments() {
    // x86_64, arm, mips: __u64 aligned to 8.
    let l8 = Layout::for_u64_align(8);
    assert_eq!(
        (l8.stats_len, l8.svc_entry_len, l8.dest_entry_len),
        (56, 104, 96)
    );
    assert_eq!((l8.get_dests_table, l8.get_services_table), (24, 8));
    // i386: __u64 aligned to 4 inside structs.
    let l4 = Layout::for_u64_align(4);
    assert_eq!(
        (
            l4.stats_inbytes,
            l4.stats_len,
            l4.svc_entry_len,
            l4.dest_entry_len
        ),
        (12, 48, 96, 84)
    );
    assert_eq!(
        (
            l4.dest_entry_stats,
            l4.get_dests_table,
            l4.get_services_table
        ),
        (36, 20, 4)
    );
}

fn spec() -> ServiceSpec {
    ServiceSpec {
        key: ServiceKey::Inet {
            proto: Protocol::Udp,
            addr: "192.0.2.5:53".parse().unwrap(),
        },
        sched: SchedName::try_from("rr").unwrap(),
        flags: svc_flags::PERSISTENT,
        timeout: 360,
        netmask: 0xffff_ff00,
        pe_name: None,
    }
}

#[test]
fn service_user_bytes_both_orders() {
    let u = ServiceUser::from_spec(&spec()).unwrap();
    let mut buf = [0xaau8; 44];
    assert_eq!(u.emit::<Little>(&mut buf), 44);
    #[rustfmt::skip]
    let le: [u8; 44] = [
        17, 0, 0, 0,                 // protocol UDP (u16) + 2 pad
        192, 0, 2, 5,                // addr (__be32)
        0, 53, 0, 0,                 // port (__be16) + 2 pad
        0, 0, 0, 0,                  // fwmark
        b'r', b'r', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, // sched_name[16]
        1, 0, 0, 0,                  // flags PERSISTENT
        0x68, 1, 0, 0,               // timeout 360
        255, 255, 255, 0,            // netmask (__be32)
    ];
    assert_eq!(buf, le);
    let mut hashed = spec();
    hashed.flags |= svc_flags::HASHED;
    let mut again = [0u8; 44];
    ServiceUser::from_spec(&hashed)
        .unwrap()
        .emit::<Little>(&mut again);
    assert_eq!(again, le, "HASHED is never sent");
    u.emit::<Big>(&mut buf);
    assert_eq!(&buf[..4], &[0, 17, 0, 0]);
    assert_eq!(&buf[4..12], &le[4..12], "__be fields do not change");
    assert_eq!(&buf[32..40], &[0, 0, 0, 1, 0, 0, 1, 0x68]);
    assert_eq!(&buf[40..], &le[40..]);
}

#[test]
fn dest_user_bytes() {
    let d = DestSpec {
        addr: "198.51.100.2:8080".parse().unwrap(),
        forward: Forward::Tunnel,
        weight: 5,
        u_threshold: 7,
        l_threshold: 1,
        tunnel: TunnelSpec::default(),
    };
    let mut buf = [0xaau8; 24];
    DestUser::from_spec(&d).unwrap().emit::<Little>(&mut buf);
    #[rustfmt::skip]
    assert_eq!(buf, [
        198, 51, 100, 2,             // addr
        0x1f, 0x90, 0, 0,            // port 8080 (__be16) + pad
        2, 0, 0, 0,                  // conn_flags IP_VS_CONN_F_TUNNEL
        5, 0, 0, 0,                  // weight
        7, 0, 0, 0,                  // u_threshold
        1, 0, 0, 0,                  // l_threshold
    ]);
    let v6 = DestSpec {
        addr: "[2001:db8::1]:80".parse().unwrap(),
        ..d
    };
    assert_eq!(DestUser::from_spec(&v6), None);
}

#[test]
fn ipv6_has_no_sockopt_form() {
    let mut s = spec();
    s.key = ServiceKey::Inet {
        proto: Protocol::Tcp,
        addr: "[2001:db8::1]:80".parse().unwrap(),
    };
    assert!(ServiceUser::from_spec(&s).is_none());
    assert!(SvcIdent::from_key(&ServiceKey::Fwmark {
        family: Family::Inet6,
        mark: 1
    })
    .is_none());
    let fw = SvcIdent::from_key(&ServiceKey::Fwmark {
        family: Family::Inet,
        mark: 9,
    })
    .unwrap();
    assert_eq!((fw.fwmark, fw.protocol), (9, 6));
}

#[test]
fn entries_round_trip_both_layouts_and_orders() {
    let stats = Stats {
        conns: 1,
        inpkts: 2,
        outpkts: 3,
        inbytes: 1 << 40,
        outbytes: 5,
        cps: 6,
        inpps: 7,
        outpps: 8,
        inbps: 9,
        outbps: 10,
    };
    let e = ServiceEntry {
        spec: spec(),
        num_dests: 2,
        stats,
    };
    let d = KernelDest {
        spec: DestSpec {
            addr: "198.51.100.3:80".parse().unwrap(),
            forward: Forward::Route,
            weight: 2,
            u_threshold: 0,
            l_threshold: 0,
            tunnel: TunnelSpec::default(),
        },
        active_conns: 11,
        inact_conns: 12,
        persist_conns: 13,
        stats,
    };
    for l in [Layout::for_u64_align(8), Layout::for_u64_align(4)] {
        let mut buf = [0u8; 128];
        assert_eq!(e.emit::<Big>(&mut buf, &l), l.svc_entry_len);
        assert_eq!(ServiceEntry::parse::<Big>(&buf, &l), Ok(e.clone()));
        assert!(ServiceEntry::parse::<Big>(&buf[..l.svc_entry_len - 1], &l).is_err());
        assert_eq!(
            emit_dest_entry::<Little>(&mut buf, &d, &l),
            l.dest_entry_len
        );
        assert_eq!(parse_dest_entry::<Little>(&buf, &l), Ok(d.clone()));
        assert!(parse_dest_entry::<Little>(&buf[..10], &l).is_err());
    }
    // x86_64 stats position inside a dest entry: inbytes at 40 + 16.
    let mut buf = [0u8; 128];
    emit_dest_entry::<Little>(&mut buf, &d, &Layout::for_u64_align(8));
    assert_eq!(&buf[56..64], &[0, 0, 0, 0, 0, 1, 0, 0]);
}

#[test]
fn fwmark_entry_and_bad_protocol() {
    let l = Layout::NATIVE;
    let mut buf = [0u8; 128];
    let mut e = ServiceEntry {
        spec: ServiceSpec {
            key: ServiceKey::Fwmark {
                family: Family::Inet,
                mark: 4,
            },
            ..spec()
        },
        num_dests: 0,
        stats: Stats::default(),
    };
    e.emit::<Native>(&mut buf, &l);
    assert_eq!(ServiceEntry::parse::<Native>(&buf, &l), Ok(e.clone()));
    e.spec.key = ServiceKey::Inet {
        proto: Protocol::Tcp,
        addr: "192.0.2.1:1".parse().unwrap(),
    };
    e.emit::<Native>(&mut buf, &l);
    buf[0] = 99; // protocol 99
    assert!(ServiceEntry::parse::<Native>(&buf, &l).is_err());
}

#[test]
fn small_structs() {
    let mut b = [0u8; 24];
    emit_timeouts::<Little>(
        &mut b,
        &Timeouts {
            tcp: 900,
            tcpfin: 120,
            udp: 300,
        },
    );
    assert_eq!(&b[..12], &[0x84, 3, 0, 0, 120, 0, 0, 0, 0x2c, 1, 0, 0]);
    assert_eq!(parse_timeouts::<Little>(&b).unwrap().udp, 300);
    assert!(parse_timeouts::<Little>(&b[..11]).is_err());
    assert_eq!(
        parse_getinfo::<Big>(&[0, 1, 2, 1, 0, 0, 16, 0, 0, 0, 0, 3]),
        Ok((0x010201, 4096, 3))
    );
    let d = DaemonUser {
        state: 1,
        ifname: heapless::String::try_from("eth1").unwrap(),
        syncid: 3,
    };
    d.emit::<Little>(&mut b);
    #[rustfmt::skip]
    assert_eq!(b, [
        1, 0, 0, 0,                                          // state MASTER
        b'e', b't', b'h', b'1', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, // mcast_ifn[16]
        3, 0, 0, 0,                                          // syncid
    ]);
    assert_eq!(DaemonUser::parse::<Little>(&b), Ok(d.clone()));
    assert_eq!(d.sync_state(), Some(SyncState::Master));
    let mut h = [0xffu8; 24];
    let ident = SvcIdent::from_key(&spec().key).unwrap();
    assert_eq!(
        emit_get_dests_head::<Little>(&mut h, &ident, 5, &Layout::for_u64_align(8)),
        24
    );
    assert_eq!(
        &h[..],
        &[17, 0, 0, 0, 192, 0, 2, 5, 0, 53, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0]
    );
    assert_eq!(get_dests_count::<Little>(&h), Ok(5));
}
