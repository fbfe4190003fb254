//! IPVS counters (IPVS_STATS_ATTR_*, nested in IPVS_SVC_ATTR_STATS[64] and
//! IPVS_DEST_ATTR_STATS[64]). In STATS the kernel sends conns/packets/rates as u32 and
//! bytes as u64; in STATS64 everything is u64, possibly preceded by IPVS_STATS_ATTR_PAD
//! on machines that align u64 attributes. We accept either width per attribute.

use super::endian::Endian;
use super::nla::{Nla, NlaIter, NlaWriter};
use super::uapi::*;
use super::WireError;
use crate::ipvs::rule::Stats;

fn counter<E: Endian>(nla: &Nla<'_>) -> Result<u64, WireError> {
    match nla.payload.len() {
        4 => nla.u32::<E>("stats counter").map(u64::from),
        _ => nla.u64::<E>("stats counter"),
    }
}

/// Parses the attributes inside a stats nest into `out` (which becomes Some, replacing an
/// earlier nest of the same kind); unknown ones (PAD, newer counters) are skipped. Fills
/// in place and is not inlined, for code size: returning the 80-byte `Stats` by value
/// cost ~750 bytes of copies at each of the four parse sites on mipsel.
#[inline(never)]
pub fn parse_into<E: Endian>(nest: &[u8], out: &mut Option<Stats>) -> Result<(), WireError> {
    let s = out.insert(Stats::default());
    for nla in NlaIter::<E>::new(nest) {
        let nla = nla?;
        let slot = match nla.kind {
            IPVS_STATS_ATTR_CONNS => &mut s.conns,
            IPVS_STATS_ATTR_INPKTS => &mut s.inpkts,
            IPVS_STATS_ATTR_OUTPKTS => &mut s.outpkts,
            IPVS_STATS_ATTR_INBYTES => &mut s.inbytes,
            IPVS_STATS_ATTR_OUTBYTES => &mut s.outbytes,
            IPVS_STATS_ATTR_CPS => &mut s.cps,
            IPVS_STATS_ATTR_INPPS => &mut s.inpps,
            IPVS_STATS_ATTR_OUTPPS => &mut s.outpps,
            IPVS_STATS_ATTR_INBPS => &mut s.inbps,
            IPVS_STATS_ATTR_OUTBPS => &mut s.outbps,
            _ => continue,
        };
        *slot = counter::<E>(&nla)?;
    }
    Ok(())
}

/// `parse_into` returning the stats (tests).
#[cfg(test)]
pub fn parse<E: Endian>(nest: &[u8]) -> Result<Stats, WireError> {
    let mut s = None;
    parse_into::<E>(nest, &mut s)?;
    Ok(s.unwrap_or_default())
}

/// Writes a stats nest of type `kind`: `wide` = the STATS64 layout (all u64), otherwise
/// the STATS layout (u32 except the byte counters, values truncated as the kernel does).
pub fn emit<E: Endian>(w: &mut NlaWriter<'_, E>, kind: u16, s: &Stats, wide: bool) {
    let at = w.begin_nested(kind);
    let narrow = [
        (IPVS_STATS_ATTR_CONNS, s.conns),
        (IPVS_STATS_ATTR_INPKTS, s.inpkts),
        (IPVS_STATS_ATTR_OUTPKTS, s.outpkts),
    ];
    let rates = [
        (IPVS_STATS_ATTR_CPS, s.cps),
        (IPVS_STATS_ATTR_INPPS, s.inpps),
        (IPVS_STATS_ATTR_OUTPPS, s.outpps),
        (IPVS_STATS_ATTR_INBPS, s.inbps),
        (IPVS_STATS_ATTR_OUTBPS, s.outbps),
    ];
    let put = |w: &mut NlaWriter<'_, E>, k: u16, v: u64| {
        if wide {
            w.put_u64(k, v)
        } else {
            w.put_u32(k, v as u32)
        }
    };
    for (k, v) in narrow {
        put(w, k, v);
    }
    w.put_u64(IPVS_STATS_ATTR_INBYTES, s.inbytes);
    w.put_u64(IPVS_STATS_ATTR_OUTBYTES, s.outbytes);
    for (k, v) in rates {
        put(w, k, v);
    }
    w.end_nested(at);
}

#[cfg(test)]
mod tests {
    use super::super::endian::{Big, Little};
    use super::*;

    fn sample() -> Stats {
        Stats {
            conns: 1,
            inpkts: 2,
            outpkts: 3,
            inbytes: 0x1_0000_0004,
            outbytes: 5,
            cps: 6,
            inpps: 7,
            outpps: 8,
            inbps: 9,
            outbps: 10,
        }
    }

    #[test]
    fn stats32_layout_as_the_kernel_sends_it() {
        let mut buf = [0u8; 128];
        let mut w = NlaWriter::<Little>::new(&mut buf);
        emit(&mut w, IPVS_SVC_ATTR_STATS, &sample(), false);
        let n = w.finish().unwrap();
        // 4 nest header + 8 u32 attrs * 8 + 2 u64 attrs * 12
        assert_eq!(n, 4 + 8 * 8 + 2 * 12);
        #[rustfmt::skip]
        let head = [
            92, 0, 10, 0x80,          // nest len 92, IPVS_SVC_ATTR_STATS | NLA_F_NESTED
            8, 0, 1, 0, 1, 0, 0, 0,   // CONNS u32 1
            8, 0, 2, 0, 2, 0, 0, 0,   // INPKTS u32 2
            8, 0, 3, 0, 3, 0, 0, 0,   // OUTPKTS u32 3
            12, 0, 4, 0, 4, 0, 0, 0, 1, 0, 0, 0, // INBYTES u64 0x1_0000_0004
        ];
        assert_eq!(&buf[..head.len()], &head);
        let nest = &buf[4..n];
        assert_eq!(parse::<Little>(nest), Ok(sample()));
    }

    #[test]
    fn stats64_with_pad_and_unknown() {
        #[rustfmt::skip]
        let nest = [
            4, 0, 11, 0,                               // IPVS_STATS_ATTR_PAD (empty)
            12, 0, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0,       // CONNS u64 1<<32
            12, 0, 99, 0, 1, 1, 1, 1, 1, 1, 1, 1,      // unknown attr 99: skipped
            12, 0, 10, 0, 42, 0, 0, 0, 0, 0, 0, 0,     // OUTBPS u64 42
        ];
        let s = parse::<Little>(&nest).unwrap();
        assert_eq!(s.conns, 1 << 32);
        assert_eq!(s.outbps, 42);
        assert_eq!(s.inpkts, 0);
    }

    #[test]
    fn bad_counter_width_is_an_error() {
        let nest = [6, 0, 1, 0, 1, 0, 0, 0];
        assert!(parse::<Little>(&nest).is_err());
    }

    #[test]
    fn big_endian_round_trip() {
        let mut buf = [0u8; 160];
        let mut w = NlaWriter::<Big>::new(&mut buf);
        emit(&mut w, IPVS_DEST_ATTR_STATS64, &sample(), true);
        let n = w.finish().unwrap();
        assert_eq!(n, 4 + 10 * 12);
        assert_eq!(&buf[..8], &[0, 124, 0x80, 12, 0, 12, 0, 1]);
        assert_eq!(parse::<Big>(&buf[4..n]), Ok(sample()));
    }
}
