//! The few rtnetlink requests `vip_announce` needs (rtnetlink(7)): look a link up by
//! name, create a dummy link that is up, set a link up, list a link's addresses, add and
//! delete a host address. Messages are built and read here (struct ifinfomsg and
//! ifaddrmsg, linux/rtnetlink.h, linux/if_link.h, linux/if_addr.h; all host order), over
//! the same blocking netlink socket as IPVS (`netlink::NetlinkSocket`, where the unsafe
//! calls are). This module is self-contained so that `sys` imports nothing from above it.
//!
//! Requests run only at start-up, on a reload and on an announce edge; the buffers they
//! allocate are not on a steady-state path.

use std::io;
use std::net::IpAddr;
use std::time::Duration;

use super::netlink::NetlinkSocket;

const NLMSG_HDRLEN: usize = 16;
const NLMSG_ERROR: u16 = 2;
const NLMSG_DONE: u16 = 3;
const NLM_F_REQUEST: u16 = 0x1;
const NLM_F_MULTI: u16 = 0x2;
const NLM_F_ACK: u16 = 0x4;
const NLM_F_EXCL: u16 = 0x200;
const NLM_F_CREATE: u16 = 0x400;
const NLM_F_DUMP: u16 = 0x300;

pub const RTM_NEWLINK: u16 = 16;
pub const RTM_GETLINK: u16 = 18;
pub const RTM_NEWADDR: u16 = 20;
pub const RTM_DELADDR: u16 = 21;
pub const RTM_GETADDR: u16 = 22;

const IFINFOMSG_LEN: usize = 16;
const IFADDRMSG_LEN: usize = 8;
const IFLA_IFNAME: u16 = 3;
const IFLA_LINKINFO: u16 = 18;
const IFLA_INFO_KIND: u16 = 1;
const IFA_ADDRESS: u16 = 1;
const IFA_LOCAL: u16 = 2;
const IFA_F_NODAD: u8 = 0x02;
const IFF_UP: u32 = 0x1;
const NLA_F_NESTED: u16 = 0x8000;
const NLA_TYPE_MASK: u16 = 0x3fff;

/// How long one reply may take.
const REPLY_TIMEOUT: Duration = Duration::from_secs(5);
/// Datagrams read for one dump before giving up (a host with thousands of addresses
/// sends a few dozen).
const MAX_DUMP_DATAGRAMS: usize = 4096;

/// A link as `link` found it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Link {
    pub index: u32,
    /// IFLA_INFO_KIND ("dummy", "veth", ...); None for links without one (physical, lo).
    pub kind: Option<String>,
    pub up: bool,
}

/// A request message under construction: header, fixed part, attributes.
struct Msg {
    buf: Vec<u8>,
}

impl Msg {
    fn new(kind: u16, flags: u16, seq: u32, fixed: &[u8]) -> Msg {
        let mut buf = Vec::with_capacity(128);
        buf.extend_from_slice(&0u32.to_ne_bytes());
        buf.extend_from_slice(&kind.to_ne_bytes());
        buf.extend_from_slice(&flags.to_ne_bytes());
        buf.extend_from_slice(&seq.to_ne_bytes());
        buf.extend_from_slice(&0u32.to_ne_bytes());
        buf.extend_from_slice(fixed);
        Msg { buf }
    }

    fn pad(&mut self) {
        while self.buf.len() % 4 != 0 {
            self.buf.push(0);
        }
    }

    fn attr(&mut self, kind: u16, payload: &[u8]) {
        let len = (4 + payload.len()) as u16;
        self.buf.extend_from_slice(&len.to_ne_bytes());
        self.buf.extend_from_slice(&kind.to_ne_bytes());
        self.buf.extend_from_slice(payload);
        self.pad();
    }

    fn str_attr(&mut self, kind: u16, s: &str) {
        let mut v = Vec::with_capacity(s.len() + 1);
        v.extend_from_slice(s.as_bytes());
        v.push(0);
        self.attr(kind, &v);
    }

    fn begin_nested(&mut self, kind: u16) -> usize {
        let at = self.buf.len();
        self.attr(kind | NLA_F_NESTED, &[]);
        at
    }

    fn end_nested(&mut self, at: usize) {
        let len = (self.buf.len() - at) as u16;
        self.buf[at..at + 2].copy_from_slice(&len.to_ne_bytes());
    }

    fn finish(mut self) -> Vec<u8> {
        let len = self.buf.len() as u32;
        self.buf[0..4].copy_from_slice(&len.to_ne_bytes());
        self.buf
    }
}

fn ifinfomsg(index: u32, flags: u32, change: u32) -> [u8; IFINFOMSG_LEN] {
    let mut b = [0u8; IFINFOMSG_LEN];
    // ifi_family AF_UNSPEC (0), pad, ifi_type 0.
    b[4..8].copy_from_slice(&index.to_ne_bytes());
    b[8..12].copy_from_slice(&flags.to_ne_bytes());
    b[12..16].copy_from_slice(&change.to_ne_bytes());
    b
}

fn ifaddrmsg(addr: &IpAddr, index: u32, flags: u8) -> [u8; IFADDRMSG_LEN] {
    let (family, prefix) = match addr {
        IpAddr::V4(_) => (libc::AF_INET as u8, 32),
        IpAddr::V6(_) => (libc::AF_INET6 as u8, 128),
    };
    let mut b = [0u8; IFADDRMSG_LEN];
    b[0] = family;
    b[1] = prefix;
    b[2] = flags;
    // ifa_scope RT_SCOPE_UNIVERSE (0): a routing daemon exports only global addresses.
    b[4..8].copy_from_slice(&index.to_ne_bytes());
    b
}

fn addr_bytes(addr: &IpAddr) -> Vec<u8> {
    match addr {
        IpAddr::V4(a) => a.octets().to_vec(),
        IpAddr::V6(a) => a.octets().to_vec(),
    }
}

/// RTM_GETLINK for `name`.
pub fn get_link_request(seq: u32, name: &str) -> Vec<u8> {
    let mut m = Msg::new(RTM_GETLINK, NLM_F_REQUEST, seq, &ifinfomsg(0, 0, 0));
    m.str_attr(IFLA_IFNAME, name);
    m.finish()
}

/// RTM_NEWLINK creating dummy link `name`, up (`ip link add NAME up type dummy`).
pub fn new_dummy_request(seq: u32, name: &str) -> Vec<u8> {
    let flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL;
    let mut m = Msg::new(RTM_NEWLINK, flags, seq, &ifinfomsg(0, IFF_UP, IFF_UP));
    m.str_attr(IFLA_IFNAME, name);
    let at = m.begin_nested(IFLA_LINKINFO);
    m.str_attr(IFLA_INFO_KIND, "dummy");
    m.end_nested(at);
    m.finish()
}

/// RTM_NEWLINK setting link `index` up (`ip link set dev NAME up`).
pub fn set_up_request(seq: u32, index: u32) -> Vec<u8> {
    let m = Msg::new(
        RTM_NEWLINK,
        NLM_F_REQUEST | NLM_F_ACK,
        seq,
        &ifinfomsg(index, IFF_UP, IFF_UP),
    );
    m.finish()
}

/// RTM_GETADDR dump of every address (filtered by link on reading). A fixed array: the
/// drift check sends it every interval with nothing allocated.
pub fn get_addrs_request(seq: u32) -> [u8; NLMSG_HDRLEN + IFADDRMSG_LEN] {
    let mut b = [0u8; NLMSG_HDRLEN + IFADDRMSG_LEN];
    b[0..4].copy_from_slice(&((NLMSG_HDRLEN + IFADDRMSG_LEN) as u32).to_ne_bytes());
    b[4..6].copy_from_slice(&RTM_GETADDR.to_ne_bytes());
    b[6..8].copy_from_slice(&(NLM_F_REQUEST | NLM_F_DUMP).to_ne_bytes());
    b[8..12].copy_from_slice(&seq.to_ne_bytes());
    b
}

/// RTM_NEWADDR (add) or RTM_DELADDR of `addr`/32 or /128 on link `index`.
pub fn addr_request(seq: u32, add: bool, index: u32, addr: &IpAddr) -> Vec<u8> {
    let (kind, flags, ifa_flags) = if add {
        // NODAD: the address is usable (and exported) at once; a dummy link has no
        // neighbours to collide with.
        (
            RTM_NEWADDR,
            NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL,
            IFA_F_NODAD,
        )
    } else {
        (RTM_DELADDR, NLM_F_REQUEST | NLM_F_ACK, 0)
    };
    let mut m = Msg::new(kind, flags, seq, &ifaddrmsg(addr, index, ifa_flags));
    let b = addr_bytes(addr);
    m.attr(IFA_LOCAL, &b);
    m.attr(IFA_ADDRESS, &b);
    m.finish()
}

/// One message of a received datagram.
struct Part<'a> {
    kind: u16,
    flags: u16,
    seq: u32,
    body: &'a [u8],
}

/// Splits a datagram into messages; stops at the first malformed length. An iterator,
/// not a list: the announce drift check reads replies with nothing allocated.
fn parts(mut d: &[u8]) -> impl Iterator<Item = Part<'_>> {
    std::iter::from_fn(move || {
        if d.len() < NLMSG_HDRLEN {
            return None;
        }
        let len = u32::from_ne_bytes([d[0], d[1], d[2], d[3]]) as usize;
        if len < NLMSG_HDRLEN || len > d.len() {
            return None;
        }
        let p = Part {
            kind: u16::from_ne_bytes([d[4], d[5]]),
            flags: u16::from_ne_bytes([d[6], d[7]]),
            seq: u32::from_ne_bytes([d[8], d[9], d[10], d[11]]),
            body: &d[NLMSG_HDRLEN..len],
        };
        let next = (len + 3) & !3;
        d = d.get(next..).unwrap_or(&[]);
        Some(p)
    })
}

/// Attributes (type without flags, payload) of `b`; stops at the first malformed one.
fn attrs(mut b: &[u8]) -> impl Iterator<Item = (u16, &[u8])> {
    std::iter::from_fn(move || {
        if b.len() < 4 {
            return None;
        }
        let len = u16::from_ne_bytes([b[0], b[1]]) as usize;
        let kind = u16::from_ne_bytes([b[2], b[3]]) & NLA_TYPE_MASK;
        if len < 4 || len > b.len() {
            return None;
        }
        let a = (kind, &b[4..len]);
        let next = (len + 3) & !3;
        b = b.get(next..).unwrap_or(&[]);
        Some(a)
    })
}

fn c_string(b: &[u8]) -> String {
    let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
    String::from_utf8_lossy(&b[..end]).into_owned()
}

/// Reads an RTM_NEWLINK reply body.
pub fn parse_link(body: &[u8]) -> Option<Link> {
    let fixed = body.get(..IFINFOMSG_LEN)?;
    let index = u32::from_ne_bytes([fixed[4], fixed[5], fixed[6], fixed[7]]);
    let flags = u32::from_ne_bytes([fixed[8], fixed[9], fixed[10], fixed[11]]);
    let mut kind = None;
    for (t, p) in attrs(&body[IFINFOMSG_LEN..]) {
        if t == IFLA_LINKINFO {
            for (t2, p2) in attrs(p) {
                if t2 == IFLA_INFO_KIND {
                    kind = Some(c_string(p2));
                }
            }
        }
    }
    Some(Link {
        index,
        kind,
        up: flags & IFF_UP != 0,
    })
}

/// Reads an RTM_NEWADDR dump entry: (link index, address). IFA_LOCAL is the address of
/// a point-to-point link's own end, IFA_ADDRESS the peer's; elsewhere they are equal.
pub fn parse_addr(body: &[u8]) -> Option<(u32, IpAddr)> {
    let fixed = body.get(..IFADDRMSG_LEN)?;
    let family = i32::from(fixed[0]);
    let index = u32::from_ne_bytes([fixed[4], fixed[5], fixed[6], fixed[7]]);
    let (mut local, mut address) = (None, None);
    for (t, p) in attrs(&body[IFADDRMSG_LEN..]) {
        let a: Option<IpAddr> = match (family, p.len()) {
            (libc::AF_INET, 4) => Some(IpAddr::from([p[0], p[1], p[2], p[3]])),
            (libc::AF_INET6, 16) => {
                let mut o = [0u8; 16];
                o.copy_from_slice(p);
                Some(IpAddr::from(o))
            }
            _ => None,
        };
        match t {
            IFA_LOCAL => local = a,
            IFA_ADDRESS => address = a,
            _ => {}
        }
    }
    Some((index, local.or(address)?))
}

/// The error of an NLMSG_ERROR body: Ok for an ack, the errno otherwise.
fn ack_errno(body: &[u8]) -> Result<(), io::Error> {
    let e = body
        .get(..4)
        .map(|b| i32::from_ne_bytes([b[0], b[1], b[2], b[3]]))
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "short netlink error"))?;
    if e == 0 {
        Ok(())
    } else {
        Err(io::Error::from_raw_os_error(e.saturating_neg()))
    }
}

/// A NETLINK_ROUTE socket and its sequence numbers.
#[derive(Debug)]
pub struct Rtnl {
    sock: NetlinkSocket,
    seq: u32,
    rx: Vec<u8>,
}

impl Rtnl {
    pub fn open() -> io::Result<Rtnl> {
        Ok(Rtnl {
            sock: NetlinkSocket::open(libc::NETLINK_ROUTE, REPLY_TIMEOUT)?,
            seq: 0,
            rx: vec![0u8; 32 * 1024],
        })
    }

    fn next_seq(&mut self) -> u32 {
        self.seq = self.seq.wrapping_add(1);
        self.seq
    }

    /// Sends `req` (sequence `seq`) and hands every message answering it to `each`
    /// until the ack, the error, or the end of the dump.
    fn exchange(
        &mut self,
        seq: u32,
        req: &[u8],
        each: &mut dyn FnMut(u16, &[u8]),
    ) -> io::Result<()> {
        self.sock.send(req)?;
        for _ in 0..MAX_DUMP_DATAGRAMS {
            let r = self.sock.recv(&mut self.rx)?;
            if r.truncated {
                return Err(io::Error::from_raw_os_error(libc::EMSGSIZE));
            }
            for p in parts(&self.rx[..r.len]) {
                if p.seq != seq {
                    continue; // a late answer to an earlier request
                }
                match p.kind {
                    NLMSG_ERROR => return ack_errno(p.body),
                    NLMSG_DONE => return Ok(()),
                    k => {
                        each(k, p.body);
                        if p.flags & NLM_F_MULTI == 0 {
                            return Ok(());
                        }
                    }
                }
            }
        }
        Err(io::Error::from_raw_os_error(libc::ETIMEDOUT))
    }

    /// The link called `name`; None if there is none (ENODEV).
    pub fn link(&mut self, name: &str) -> io::Result<Option<Link>> {
        let seq = self.next_seq();
        let req = get_link_request(seq, name);
        let mut found = None;
        match self.exchange(seq, &req, &mut |k, body| {
            if k == RTM_NEWLINK {
                found = parse_link(body);
            }
        }) {
            Ok(()) => Ok(found),
            Err(e) if e.raw_os_error() == Some(libc::ENODEV) => Ok(None),
            Err(e) => Err(e),
        }
    }

    pub fn create_dummy(&mut self, name: &str) -> io::Result<()> {
        let seq = self.next_seq();
        let req = new_dummy_request(seq, name);
        self.exchange(seq, &req, &mut |_, _| {})
    }

    pub fn set_up(&mut self, index: u32) -> io::Result<()> {
        let seq = self.next_seq();
        let req = set_up_request(seq, index);
        self.exchange(seq, &req, &mut |_, _| {})
    }

    /// The addresses on link `index`.
    pub fn addrs(&mut self, index: u32) -> io::Result<Vec<IpAddr>> {
        let mut out = Vec::new();
        self.addrs_into(index, &mut out)?;
        Ok(out)
    }

    /// The addresses on link `index`, into `out` (cleared first; nothing is allocated
    /// once `out` has held as many).
    pub fn addrs_into(&mut self, index: u32, out: &mut Vec<IpAddr>) -> io::Result<()> {
        out.clear();
        let seq = self.next_seq();
        let req = get_addrs_request(seq);
        self.exchange(seq, &req, &mut |k, body| {
            if k == RTM_NEWADDR {
                if let Some((i, a)) = parse_addr(body) {
                    if i == index && !out.contains(&a) {
                        out.push(a);
                    }
                }
            }
        })
    }

    /// Adds (`add`) or deletes `addr`/32 or /128 on link `index`.
    pub fn change_addr(&mut self, add: bool, index: u32, addr: &IpAddr) -> io::Result<()> {
        let seq = self.next_seq();
        let req = addr_request(seq, add, index, addr);
        self.exchange(seq, &req, &mut |_, _| {})
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ne16(v: u16) -> [u8; 2] {
        v.to_ne_bytes()
    }
    fn ne32(v: u32) -> [u8; 4] {
        v.to_ne_bytes()
    }

    /// The bytes `ip link add vip0 up type dummy` sends (iproute2 6.1, strace -e
    /// sendmsg, without the IFLA_EXT_MASK iproute2 adds), field by field.
    #[test]
    fn new_dummy_request_is_ip_link_add_type_dummy_up() {
        let got = new_dummy_request(7, "vip0");
        let mut want = Vec::new();
        want.extend(ne32(60)); // nlmsg_len: 16 + 16 + 12 + 16
        want.extend(ne16(RTM_NEWLINK));
        want.extend(ne16(0x605)); // REQUEST | ACK | EXCL | CREATE
        want.extend(ne32(7));
        want.extend(ne32(0));
        want.extend([0, 0]); // ifi_family, pad
        want.extend(ne16(0)); // ifi_type
        want.extend(ne32(0)); // ifi_index
        want.extend(ne32(1)); // ifi_flags IFF_UP
        want.extend(ne32(1)); // ifi_change IFF_UP
        want.extend(ne16(9)); // IFLA_IFNAME "vip0\0"
        want.extend(ne16(3));
        want.extend(*b"vip0\0\0\0\0");
        want.extend(ne16(16)); // IFLA_LINKINFO, nested
        want.extend(ne16(18 | 0x8000));
        want.extend(ne16(10)); // IFLA_INFO_KIND "dummy\0"
        want.extend(ne16(1));
        want.extend(*b"dummy\0\0\0");
        assert_eq!(got, want);
    }

    #[test]
    fn address_requests_carry_a_host_prefix_and_both_addresses() {
        let a: IpAddr = "192.0.2.10".parse().unwrap();
        let got = addr_request(3, true, 9, &a);
        assert_eq!(got.len(), 16 + 8 + 8 + 8);
        assert_eq!(&got[4..6], &ne16(RTM_NEWADDR));
        assert_eq!(&got[6..8], &ne16(0x605));
        let mut fixed = vec![2, 32, IFA_F_NODAD, 0];
        fixed.extend(ne32(9));
        assert_eq!(&got[16..24], &fixed[..]);
        let mut local = Vec::new();
        local.extend(ne16(8));
        local.extend(ne16(IFA_LOCAL));
        local.extend([192, 0, 2, 10]);
        assert_eq!(&got[24..32], &local[..]);
        assert_eq!(&got[34..36], &ne16(IFA_ADDRESS));
        let v6: IpAddr = "2001:db8::10".parse().unwrap();
        let del = addr_request(4, false, 9, &v6);
        assert_eq!(&del[4..6], &ne16(RTM_DELADDR));
        assert_eq!(&del[6..8], &ne16(0x5));
        assert_eq!(del[16], libc::AF_INET6 as u8);
        assert_eq!(del[17], 128);
        assert_eq!(del.len(), 16 + 8 + 20 + 20);
    }

    #[test]
    fn replies_are_read_and_malformed_ones_do_not_panic() {
        // RTM_NEWLINK body: index 5, IFF_UP, IFLA_LINKINFO { IFLA_INFO_KIND "veth" }.
        let mut body = Vec::new();
        body.extend(ifinfomsg(5, 1, 0));
        body.extend(ne16(16));
        body.extend(ne16(IFLA_LINKINFO | NLA_F_NESTED));
        body.extend(ne16(9));
        body.extend(ne16(IFLA_INFO_KIND));
        body.extend(*b"veth\0\0\0\0");
        assert_eq!(
            parse_link(&body),
            Some(Link {
                index: 5,
                kind: Some("veth".into()),
                up: true
            })
        );
        // No link info (lo, a physical NIC): no kind.
        assert_eq!(parse_link(&ifinfomsg(1, 0, 0)).unwrap().kind, None);
        for cut in 0..body.len() {
            let _ = parse_link(&body[..cut]);
        }
        // RTM_NEWADDR body for 2001:db8::10/128 on link 5.
        let v6: IpAddr = "2001:db8::10".parse().unwrap();
        let req = addr_request(1, true, 5, &v6);
        assert_eq!(parse_addr(&req[16..]), Some((5, v6)));
        for cut in 0..req.len() - 16 {
            let _ = parse_addr(&req[16..16 + cut]);
        }
        assert!(
            ack_errno(&(-17i32).to_ne_bytes())
                .unwrap_err()
                .raw_os_error()
                == Some(libc::EEXIST)
        );
        assert!(ack_errno(&0i32.to_ne_bytes()).is_ok());
        assert!(parts(&[0xff; 15]).next().is_none());
    }

    /// Read-only requests work unprivileged: `lo` exists, has no kind, and carries
    /// 127.0.0.1; a name that cannot exist is None.
    #[test]
    fn loopback_is_found_with_its_address() {
        let mut r = Rtnl::open().unwrap();
        let lo = r.link("lo").unwrap().expect("lo exists");
        assert_eq!(lo.kind, None);
        let addrs = r.addrs(lo.index).unwrap();
        assert!(addrs.contains(&"127.0.0.1".parse().unwrap()), "{:?}", addrs);
        assert_eq!(r.link("lvsmon-none0").unwrap(), None);
    }
}
