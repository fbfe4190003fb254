//! Byte order of host-order ("native") fields. Netlink and the IPVS sockopt structs carry
//! most integers in the host's order and a few (`__be16`/`__be32` in ip_vs.h: ports,
//! IPv4 addresses and netmasks) in network order. Every codec is generic over `Endian`
//! for the host-order fields so a test on a little-endian machine can prove the bytes a
//! big-endian MIPS box would send; production code uses `Native`.

/// How host-order integers are laid out.
pub trait Endian {
    fn put_u16(v: u16) -> [u8; 2];
    fn put_u32(v: u32) -> [u8; 4];
    fn put_u64(v: u64) -> [u8; 8];
    fn get_u16(b: [u8; 2]) -> u16;
    fn get_u32(b: [u8; 4]) -> u32;
    fn get_u64(b: [u8; 8]) -> u64;
}

/// Little-endian hosts (x86, most ARM, mipsel).
#[derive(Clone, Copy, Debug)]
pub enum Little {}

/// Big-endian hosts (mips, powerpc).
#[derive(Clone, Copy, Debug)]
pub enum Big {}

impl Endian for Little {
    fn put_u16(v: u16) -> [u8; 2] {
        v.to_le_bytes()
    }
    fn put_u32(v: u32) -> [u8; 4] {
        v.to_le_bytes()
    }
    fn put_u64(v: u64) -> [u8; 8] {
        v.to_le_bytes()
    }
    fn get_u16(b: [u8; 2]) -> u16 {
        u16::from_le_bytes(b)
    }
    fn get_u32(b: [u8; 4]) -> u32 {
        u32::from_le_bytes(b)
    }
    fn get_u64(b: [u8; 8]) -> u64 {
        u64::from_le_bytes(b)
    }
}

impl Endian for Big {
    fn put_u16(v: u16) -> [u8; 2] {
        v.to_be_bytes()
    }
    fn put_u32(v: u32) -> [u8; 4] {
        v.to_be_bytes()
    }
    fn put_u64(v: u64) -> [u8; 8] {
        v.to_be_bytes()
    }
    fn get_u16(b: [u8; 2]) -> u16 {
        u16::from_be_bytes(b)
    }
    fn get_u32(b: [u8; 4]) -> u32 {
        u32::from_be_bytes(b)
    }
    fn get_u64(b: [u8; 8]) -> u64 {
        u64::from_be_bytes(b)
    }
}

/// The byte order of the machine we run on.
#[cfg(target_endian = "little")]
pub type Native = Little;
/// The byte order of the machine we run on.
#[cfg(target_endian = "big")]
pub type Native = Big;

/// Reads `N` bytes at `off`, or None when `bytes` is too short (never panics).
pub fn take<const N: usize>(bytes: &[u8], off: usize) -> Option<[u8; N]> {
    let end = off.checked_add(N)?;
    bytes.get(off..end)?.try_into().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orders_differ_and_round_trip() {
        assert_eq!(Little::put_u32(0x0102_0304), [4, 3, 2, 1]);
        assert_eq!(Big::put_u32(0x0102_0304), [1, 2, 3, 4]);
        assert_eq!(Big::get_u16([0x12, 0x34]), 0x1234);
        assert_eq!(Little::get_u64(Little::put_u64(u64::MAX - 5)), u64::MAX - 5);
        assert_eq!(Native::put_u32(7), 7u32.to_ne_bytes());
    }

    #[test]
    fn take_is_bounded() {
        assert_eq!(take::<2>(&[1, 2, 3], 1), Some([2, 3]));
        assert_eq!(take::<2>(&[1, 2, 3], 2), None);
        assert_eq!(take::<2>(&[1, 2, 3], usize::MAX), None);
    }
}
