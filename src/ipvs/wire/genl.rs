//! Generic-netlink header (struct genlmsghdr, linux/genetlink.h) and the controller's
//! CTRL_CMD_GETFAMILY reply, from which we learn the IPVS family's message type.

use super::endian::Endian;
use super::nla::NlaIter;
use super::uapi::{CTRL_ATTR_FAMILY_ID, GENL_HDRLEN};
use super::WireError;

/// struct genlmsghdr { __u8 cmd; __u8 version; __u16 reserved; }
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GenlHeader {
    pub cmd: u8,
    pub version: u8,
}

impl GenlHeader {
    pub const fn buffer_len(&self) -> usize {
        GENL_HDRLEN
    }

    /// Writes the 4 header bytes. `buf` must hold GENL_HDRLEN bytes.
    pub fn emit(&self, buf: &mut [u8]) -> usize {
        buf[..GENL_HDRLEN].copy_from_slice(&[self.cmd, self.version, 0, 0]);
        GENL_HDRLEN
    }

    /// Splits a generic-netlink payload into its header and attribute bytes.
    pub fn parse(payload: &[u8]) -> Result<(GenlHeader, &[u8]), WireError> {
        match payload {
            [cmd, version, _, _, attrs @ ..] => Ok((
                GenlHeader {
                    cmd: *cmd,
                    version: *version,
                },
                attrs,
            )),
            _ => Err(WireError::Truncated {
                what: "genlmsghdr",
                need: GENL_HDRLEN,
                have: payload.len(),
            }),
        }
    }
}

/// The family id in a CTRL_CMD_NEWFAMILY reply's attributes.
pub fn parse_family_id<E: Endian>(attrs: &[u8]) -> Result<u16, WireError> {
    for nla in NlaIter::<E>::new(attrs) {
        let nla = nla?;
        if nla.kind == CTRL_ATTR_FAMILY_ID {
            return nla.u16::<E>("CTRL_ATTR_FAMILY_ID");
        }
    }
    Err(WireError::Missing("CTRL_ATTR_FAMILY_ID"))
}

#[cfg(test)]
mod tests {
    use super::super::endian::Little;
    use super::*;

    #[test]
    fn header_round_trip() {
        let mut b = [0xffu8; 4];
        GenlHeader { cmd: 3, version: 2 }.emit(&mut b);
        assert_eq!(b, [3, 2, 0, 0]);
        let (h, rest) = GenlHeader::parse(&[1, 1, 0, 0, 9]).unwrap();
        assert_eq!(h, GenlHeader { cmd: 1, version: 1 });
        assert_eq!(rest, &[9]);
        assert!(GenlHeader::parse(&[1, 1, 0]).is_err());
    }

    #[test]
    fn family_id_from_ctrl_reply() {
        #[rustfmt::skip]
        let attrs = [
            9, 0, 2, 0, b'I', b'P', b'V', b'S', 0, 0, 0, 0, // CTRL_ATTR_FAMILY_NAME "IPVS"
            6, 0, 1, 0, 0x1d, 0, 0, 0,                     // CTRL_ATTR_FAMILY_ID 0x1d
            8, 0, 3, 0, 1, 0, 0, 0,                        // CTRL_ATTR_VERSION (skipped)
        ];
        assert_eq!(parse_family_id::<Little>(&attrs), Ok(0x1d));
        assert_eq!(
            parse_family_id::<Little>(&attrs[..12]),
            Err(WireError::Missing("CTRL_ATTR_FAMILY_ID"))
        );
    }
}
