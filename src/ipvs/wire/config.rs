//! IPVS_CMD_GET/SET_CONFIG attributes (top level): the TCP, TCP FIN and UDP timeouts in
//! seconds. On SET the kernel leaves a timeout unchanged when its value is 0.

use super::endian::Endian;
use super::nla::{Attrs, NlaIter, NlaWriter};
use super::uapi::{
    IPVS_CMD_ATTR_TIMEOUT_TCP, IPVS_CMD_ATTR_TIMEOUT_TCP_FIN, IPVS_CMD_ATTR_TIMEOUT_UDP,
};
use super::WireError;
use crate::ipvs::rule::Timeouts;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConfigAttrs(pub Timeouts);

impl Attrs for ConfigAttrs {
    fn write<E: Endian>(&self, w: &mut NlaWriter<'_, E>) {
        w.put_u32(IPVS_CMD_ATTR_TIMEOUT_TCP, self.0.tcp);
        w.put_u32(IPVS_CMD_ATTR_TIMEOUT_TCP_FIN, self.0.tcpfin);
        w.put_u32(IPVS_CMD_ATTR_TIMEOUT_UDP, self.0.udp);
    }
}

impl ConfigAttrs {
    /// Absent timeouts read as 0 (kernels without that protocol compiled in omit them).
    pub fn parse<E: Endian>(attrs: &[u8]) -> Result<ConfigAttrs, WireError> {
        let mut t = Timeouts::default();
        for nla in NlaIter::<E>::new(attrs) {
            let nla = nla?;
            match nla.kind {
                IPVS_CMD_ATTR_TIMEOUT_TCP => t.tcp = nla.u32::<E>("IPVS_CMD_ATTR_TIMEOUT_TCP")?,
                IPVS_CMD_ATTR_TIMEOUT_TCP_FIN => {
                    t.tcpfin = nla.u32::<E>("IPVS_CMD_ATTR_TIMEOUT_TCP_FIN")?
                }
                IPVS_CMD_ATTR_TIMEOUT_UDP => t.udp = nla.u32::<E>("IPVS_CMD_ATTR_TIMEOUT_UDP")?,
                _ => {}
            }
        }
        Ok(ConfigAttrs(t))
    }
}

#[cfg(test)]
mod tests {
    use super::super::endian::Little;
    use super::*;

    #[test]
    fn parse_and_emit() {
        #[rustfmt::skip]
        let le = [
            8, 0, 4, 0, 0x84, 0x03, 0, 0, // TIMEOUT_TCP 900
            8, 0, 5, 0, 120, 0, 0, 0,     // TIMEOUT_TCP_FIN 120
            8, 0, 6, 0, 44, 1, 0, 0,      // TIMEOUT_UDP 300
        ];
        let t = ConfigAttrs::parse::<Little>(&le).unwrap();
        assert_eq!(
            t.0,
            Timeouts {
                tcp: 900,
                tcpfin: 120,
                udp: 300
            }
        );
        let mut out = [0u8; 24];
        assert_eq!(t.emit::<Little>(&mut out), 24);
        assert_eq!(out, le);
        assert!(ConfigAttrs::parse::<Little>(&le[..6]).is_err());
    }
}
