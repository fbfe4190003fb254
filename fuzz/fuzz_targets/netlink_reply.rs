//! Netlink replies from the kernel (src/ipvs/wire): one received datagram through the
//! nlmsghdr iterator and nlmsgerr classification, then every data message's generic
//! netlink header and attributes through each IPVS reply parser (service, dest for both
//! families, daemon, info, config, the controller's family id), in the native byte
//! order the backend uses and in the other one (the codec is also built for big-endian
//! MIPS). The raw bytes also go straight to the nested-attribute parsers and the
//! setsockopt struct parsers (both __u64 alignments).
//!
//! Checked besides "no panic": every message the iterator yields lies inside the
//! datagram and the iterator ends (at most one message per 16 bytes, plus an error).
#![no_main]

use libfuzzer_sys::fuzz_target;
use lvsmon::ipvs::rule::Family;
use lvsmon::ipvs::wire::config::ConfigAttrs;
use lvsmon::ipvs::wire::daemon::DaemonAttrs;
use lvsmon::ipvs::wire::dest::DestAttrs;
use lvsmon::ipvs::wire::endian::{Big, Endian, Little};
use lvsmon::ipvs::wire::genl::{parse_family_id, GenlHeader};
use lvsmon::ipvs::wire::info::InfoAttrs;
use lvsmon::ipvs::wire::nlmsg::{NlmsgIter, Reply};
use lvsmon::ipvs::wire::request::{parse_daemon_reply, parse_dest_reply, parse_service_reply};
use lvsmon::ipvs::wire::service::ServiceAttrs;
use lvsmon::ipvs::wire::sockopt::{
    get_dests_count, parse_dest_entry, parse_getinfo, parse_timeouts, DaemonUser, Layout,
    ServiceEntry,
};
use lvsmon::ipvs::wire::stats;

fn datagram<E: Endian>(bytes: &[u8]) {
    let mut messages = 0;
    for m in NlmsgIter::<E>::new(bytes) {
        messages += 1;
        assert!(messages <= bytes.len() / 16 + 1, "iterator does not end");
        let Ok(m) = m else { continue };
        let inside = bytes.as_ptr_range();
        let p = m.payload.as_ptr_range();
        assert!(
            inside.start <= p.start && p.end <= inside.end,
            "payload outside the datagram"
        );
        let Ok(Reply::Data(payload)) = m.reply::<E>() else {
            continue;
        };
        let Ok((_, attrs)) = GenlHeader::parse(payload) else {
            continue;
        };
        let _ = parse_service_reply::<E>(attrs);
        let _ = parse_dest_reply::<E>(attrs, Family::Inet);
        let _ = parse_dest_reply::<E>(attrs, Family::Inet6);
        let _ = parse_daemon_reply::<E>(attrs);
        let _ = InfoAttrs::parse::<E>(attrs);
        let _ = ConfigAttrs::parse::<E>(attrs);
        let _ = parse_family_id::<E>(attrs);
    }
}

fn nests<E: Endian>(bytes: &[u8]) {
    let _ = ServiceAttrs::parse::<E>(bytes);
    let _ = DestAttrs::parse::<E>(bytes, Family::Inet);
    let _ = DestAttrs::parse::<E>(bytes, Family::Inet6);
    let _ = DaemonAttrs::parse::<E>(bytes);
    let _ = stats::parse::<E>(bytes);
    // x86_64 aligns __u64 to 8 bytes, i386 and 32-bit MIPS o32 to 4 (or 8): both layouts.
    for layout in [Layout::for_u64_align(8), Layout::for_u64_align(4)] {
        let _ = ServiceEntry::parse::<E>(bytes, &layout);
        let _ = parse_dest_entry::<E>(bytes, &layout);
    }
    let _ = DaemonUser::parse::<E>(bytes);
    let _ = get_dests_count::<E>(bytes);
    let _ = parse_getinfo::<E>(bytes);
    let _ = parse_timeouts::<E>(bytes);
}

fuzz_target!(|data: &[u8]| {
    datagram::<Little>(data);
    datagram::<Big>(data);
    nests::<Little>(data);
    nests::<Big>(data);
});
