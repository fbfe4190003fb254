//! IPVS_CMD_GET_INFO reply attributes (IPVS_INFO_ATTR_*, top level of an
//! IPVS_CMD_SET_INFO message): version code and connection hash table size.

use super::endian::Endian;
use super::nla::{Attrs, NlaIter, NlaWriter};
use super::uapi::{IPVS_INFO_ATTR_CONN_TAB_SIZE, IPVS_INFO_ATTR_VERSION};
use super::WireError;
use crate::ipvs::rule::Info;

/// The info attributes as a value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InfoAttrs(pub Info);

impl Attrs for InfoAttrs {
    fn write<E: Endian>(&self, w: &mut NlaWriter<'_, E>) {
        w.put_u32(IPVS_INFO_ATTR_VERSION, self.0.version);
        w.put_u32(IPVS_INFO_ATTR_CONN_TAB_SIZE, self.0.conn_tab_size);
    }
}

impl InfoAttrs {
    pub fn parse<E: Endian>(attrs: &[u8]) -> Result<InfoAttrs, WireError> {
        let (mut version, mut size) = (None, None);
        for nla in NlaIter::<E>::new(attrs) {
            let nla = nla?;
            match nla.kind {
                IPVS_INFO_ATTR_VERSION => version = Some(nla.u32::<E>("IPVS_INFO_ATTR_VERSION")?),
                IPVS_INFO_ATTR_CONN_TAB_SIZE => {
                    size = Some(nla.u32::<E>("IPVS_INFO_ATTR_CONN_TAB_SIZE")?)
                }
                _ => {}
            }
        }
        Ok(InfoAttrs(Info {
            version: version.ok_or(WireError::Missing("IPVS_INFO_ATTR_VERSION"))?,
            conn_tab_size: size.ok_or(WireError::Missing("IPVS_INFO_ATTR_CONN_TAB_SIZE"))?,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::super::endian::{Big, Little};
    use super::*;

    #[test]
    fn parse_and_emit() {
        #[rustfmt::skip]
        let le = [
            8, 0, 1, 0, 0x01, 0x02, 0x01, 0x00, // VERSION 0x010201 (1.2.1)
            8, 0, 2, 0, 0x00, 0x10, 0x00, 0x00, // CONN_TAB_SIZE 4096
        ];
        let v = InfoAttrs::parse::<Little>(&le).unwrap();
        assert_eq!(
            v.0,
            Info {
                version: 0x010201,
                conn_tab_size: 4096
            }
        );
        let mut out = [0u8; 16];
        assert_eq!(v.emit::<Little>(&mut out), 16);
        assert_eq!(out, le);
        assert_eq!(v.emit::<Big>(&mut out), 16);
        assert_eq!(&out[..8], &[0, 8, 0, 1, 0x00, 0x01, 0x02, 0x01]);
        assert_eq!(
            InfoAttrs::parse::<Little>(&le[..8]),
            Err(WireError::Missing("IPVS_INFO_ATTR_CONN_TAB_SIZE"))
        );
    }
}
