//! DNS_CHECK answer checking (`lvsmon::probe::dns::check_reply` and `read_name`) on
//! arbitrary datagrams, against a query written by `write_query` as the probe writes it.
//!
//! Input: byte 0 picks the question (name and type), the rest is the datagram the server
//! sent. Checked besides "no panic": `read_name` from every offset of the datagram stays
//! inside it and within RFC 1035's 255-byte name bound, and an answer accepted for a
//! query also has the query's id.
#![no_main]

use libfuzzer_sys::fuzz_target;
use lvsmon::probe::dns::{check_reply, read_name, write_query};

const NAMES: [&str; 4] = [
    "example.org",
    ".",
    "a.b.c.d.e.f.g.h",
    "xn--bcher-kva.example",
];
const TYPES: [u16; 4] = [1, 6, 28, 255];

fuzz_target!(|data: &[u8]| {
    let [pick, msg @ ..] = data else {
        return;
    };
    let mut query = [0u8; 512];
    let id = 0x1234;
    let qlen = write_query(
        &mut query,
        id,
        NAMES[usize::from(pick & 3)],
        TYPES[usize::from((pick >> 2) & 3)],
    )
    .expect("the fixed question names fit");
    let query = &query[..qlen];

    if check_reply(msg, id, query).is_ok() {
        assert_eq!(&msg[..2], &id.to_be_bytes());
    }
    // A reply must also be judged for a query with another id (the probe's ids vary).
    let _ = check_reply(msg, id ^ 0xffff, query);

    let mut name = [0u8; 255];
    for pos in 0..msg.len().min(600) {
        if let Ok((after, len)) = read_name(msg, pos, &mut name) {
            assert!(after <= msg.len(), "after {after} past {}", msg.len());
            assert!(after > pos, "name at {pos} ends at {after}");
            assert!((1..=255).contains(&len));
            assert_eq!(name[len - 1], 0, "name not root-terminated");
        }
    }
});
