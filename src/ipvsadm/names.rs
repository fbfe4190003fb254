//! Host and service names the way ipvsadm resolves them, restricted to /etc/hosts and
//! /etc/services (no DNS, no NSS modules): numbers <-> names for `-L` without `-n`,
//! names -> numbers for addresses on the command line. Also glibc's `inet_aton`, which
//! ipvsadm uses for IPv4 addresses and netmasks (it accepts `1.2.3`, `0x7f.1`, octal).
//!
//! The texts are read once (at start-up of one command) and scanned per lookup; every
//! scan is bounded by the file's line count.

use std::net::{IpAddr, Ipv4Addr};

/// Contents of a hosts file and a services file.
#[derive(Clone, Debug, Default)]
pub struct Names {
    hosts: String,
    services: String,
}

/// Longest file we read (a generous bound for /etc/services, ~13 kB on Debian).
const MAX_FILE: u64 = 4 << 20;

fn read_bounded(path: &str) -> String {
    use std::io::Read;
    let mut s = String::new();
    if let Ok(mut f) = std::fs::File::open(path) {
        let _ = crate::read_whole::append_string(&mut |b| f.read(b), MAX_FILE, &mut s);
    }
    s
}

fn strip_comment(line: &str) -> &str {
    match line.find('#') {
        Some(i) => &line[..i],
        None => line,
    }
}

impl Names {
    /// /etc/hosts and /etc/services; a missing file resolves nothing.
    pub fn system() -> Names {
        Names {
            hosts: read_bounded("/etc/hosts"),
            services: read_bounded("/etc/services"),
        }
    }

    pub fn from_texts(hosts: &str, services: &str) -> Names {
        Names {
            hosts: hosts.to_string(),
            services: services.to_string(),
        }
    }

    /// gethostbyname(3) restricted to the files backend, IPv4 only (ipvsadm rejects
    /// anything else): the first line naming `name` (case-insensitive) with an IPv4 address.
    pub fn host_v4(&self, name: &str) -> Option<Ipv4Addr> {
        for line in self.hosts.lines() {
            let mut f = strip_comment(line).split_ascii_whitespace();
            let Some(addr) = f.next() else { continue };
            if f.any(|n| n.eq_ignore_ascii_case(name)) {
                if let Ok(a) = addr.parse::<Ipv4Addr>() {
                    return Some(a);
                }
            }
        }
        None
    }

    /// gethostbyaddr(3) restricted to the files backend: the canonical name of the first
    /// line carrying `addr`.
    pub fn host_name(&self, addr: &IpAddr) -> Option<&str> {
        for line in self.hosts.lines() {
            let mut f = strip_comment(line).split_ascii_whitespace();
            let (Some(a), Some(name)) = (f.next(), f.next()) else {
                continue;
            };
            if a.parse::<IpAddr>().ok().as_ref() == Some(addr) {
                return Some(name);
            }
        }
        None
    }

    /// getservbyname(3) with the files backend: official name or alias, for `proto`
    /// ("tcp", "udp", "sctp").
    pub fn port_of(&self, name: &str, proto: &str) -> Option<u16> {
        for line in self.services.lines() {
            let mut f = strip_comment(line).split_ascii_whitespace();
            let (Some(official), Some(pp)) = (f.next(), f.next()) else {
                continue;
            };
            let Some((port, p)) = pp.split_once('/') else {
                continue;
            };
            if p != proto {
                continue;
            }
            if official == name || f.any(|a| a == name) {
                if let Ok(n) = port.parse::<u16>() {
                    return Some(n);
                }
            }
        }
        None
    }

    /// getservbyport(3) with the files backend: the official name of the first entry.
    pub fn service_name(&self, port: u16, proto: &str) -> Option<&str> {
        for line in self.services.lines() {
            let mut f = strip_comment(line).split_ascii_whitespace();
            let (Some(official), Some(pp)) = (f.next(), f.next()) else {
                continue;
            };
            let Some((p, pr)) = pp.split_once('/') else {
                continue;
            };
            if pr == proto && p.parse::<u16>().ok() == Some(port) {
                return Some(official);
            }
        }
        None
    }
}

/// The `proto` word getservbyname wants for an IPPROTO number; None for the others
/// (ipvsadm then resolves no service name).
pub fn proto_word(ipproto: u16) -> Option<&'static str> {
    match ipproto as i32 {
        libc::IPPROTO_TCP => Some("tcp"),
        libc::IPPROTO_UDP => Some("udp"),
        libc::IPPROTO_SCTP => Some("sctp"),
        _ => None,
    }
}

/// glibc `inet_aton`: 1 to 4 parts, each decimal, octal (leading 0) or hex (0x); the
/// last part fills the remaining bytes. glibc stops at the first whitespace and ignores
/// what follows it.
pub fn inet_aton(s: &str) -> Option<Ipv4Addr> {
    let b = s.as_bytes();
    let b = &b[..b.iter().position(|&c| is_c_space(c)).unwrap_or(b.len())];
    let mut parts = [0u64; 4];
    let mut n = 0;
    let mut i = 0;
    // One pass; each part is `0x1f`, `017` or `12`, not empty. Bounded: each pass of
    // the outer loop consumes a part and its '.'.
    loop {
        if n == 4 {
            return None;
        }
        let start = i;
        let radix: u64 = match (b.get(i), b.get(i + 1)) {
            (Some(b'0'), Some(b'x' | b'X')) => 16,
            (Some(b'0'), Some(&c)) if c != b'.' => 8,
            _ => 10,
        };
        i += match radix {
            16 => 2,
            8 => 1,
            _ => 0,
        };
        let digits = i;
        let mut v: u64 = 0;
        while i < b.len() && b[i] != b'.' {
            // char::to_digit for radix 8, 10, 16 on one byte.
            let c = b[i];
            let d = match c {
                b'0'..=b'9' => c - b'0',
                b'a'..=b'f' => c - b'a' + 10,
                b'A'..=b'F' => c - b'A' + 10,
                _ => return None,
            } as u64;
            if d >= radix {
                return None;
            }
            // v <= 0xffff_ffff before this step, so this cannot overflow a u64.
            v = v * radix + d;
            if v > 0xffff_ffff {
                return None;
            }
            i += 1;
        }
        // An empty part, or "0x" alone (glibc rejects it; "0" is a digit).
        if i == start || (radix == 16 && i == digits) {
            return None;
        }
        parts[n] = v;
        n += 1;
        if i == b.len() {
            break;
        }
        i += 1;
    }
    let v: u64 = match n {
        1 => parts[0],
        2 => {
            if parts[0] > 0xff || parts[1] > 0xff_ffff {
                return None;
            }
            parts[0] << 24 | parts[1]
        }
        3 => {
            if parts[0] > 0xff || parts[1] > 0xff || parts[2] > 0xffff {
                return None;
            }
            parts[0] << 24 | parts[1] << 16 | parts[2]
        }
        _ => {
            if parts.iter().any(|&p| p > 0xff) {
                return None;
            }
            parts[0] << 24 | parts[1] << 16 | parts[2] << 8 | parts[3]
        }
    };
    Some(Ipv4Addr::from(v as u32))
}

/// C `isspace` in the C locale.
fn is_c_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\r' | b'\x0b' | b'\x0c')
}

/// Optional C whitespace, then an optional sign: (negative, rest).
fn c_sign(s: &str) -> (bool, &[u8]) {
    let b = s.as_bytes();
    let t = &b[b.iter().position(|&c| !is_c_space(c)).unwrap_or(b.len())..];
    match t.first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    }
}

/// C `strtol(s, &end, 10)` followed by ipvsadm's checks (`*end == '\0' && end != s`, no
/// ERANGE): leading whitespace and a sign are accepted.
pub fn strtol_whole(s: &str) -> Option<i64> {
    let (neg, digits) = c_sign(s);
    if digits.is_empty() {
        return None;
    }
    let mut v: i64 = 0;
    for &b in digits {
        if !b.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add((b - b'0') as i64)?;
    }
    Some(if neg { -v } else { v })
}

/// C `atoi` (and sscanf's %d): optional whitespace and sign, then the digits up to the
/// first non-digit; 0 when there are none.
pub fn atoi(s: &str) -> i64 {
    let (neg, d) = c_sign(s);
    let mut v: i64 = 0;
    for &b in d.iter().take_while(|b| b.is_ascii_digit()).take(18) {
        v = v * 10 + (b - b'0') as i64;
    }
    if neg {
        -v
    } else {
        v
    }
}

/// ipvsadm's `string_to_number(s, min, max)`.
pub fn string_to_number(s: &str, min: i64, max: i64) -> Option<i64> {
    strtol_whole(s).filter(|n| (min..=max).contains(n))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inet_aton_accepts_what_glibc_accepts() {
        let ok = [
            ("1.2.3.4", "1.2.3.4"),
            ("01.2.3.4", "1.2.3.4"),
            ("1.2.3", "1.2.0.3"),
            ("0x7f.1", "127.0.0.1"),
            ("24", "0.0.0.24"),
            ("010.0.0.1", "8.0.0.1"),
            ("4294967295", "255.255.255.255"),
            ("0XfF.0", "255.0.0.0"),
            ("0", "0.0.0.0"),
            ("1.2.3.4 junk", "1.2.3.4"),
            ("0377.0xff.255.0", "255.255.255.0"),
        ];
        for (s, want) in ok {
            assert_eq!(inet_aton(s), Some(want.parse().unwrap()), "{s}");
        }
        for s in [
            "1.2.3.4.5",
            "",
            "1..2",
            "256.1.1.1",
            "08.1.1.1",
            "a.b.c.d",
            ":80",
            "0x",
            "1.0x.1",
            "09",
            "0xg",
            "1.2.3.4.",
            "4294967296",
            "1.16777216",
            "+1.2.3.4",
            "１.2.3.4",
        ] {
            assert_eq!(inet_aton(s), None, "{s}");
        }
    }

    #[test]
    fn strtol_like_c() {
        assert_eq!(strtol_whole(" 5"), Some(5));
        assert_eq!(strtol_whole("+5"), Some(5));
        assert_eq!(strtol_whole("010"), Some(10));
        assert_eq!(strtol_whole("-1"), Some(-1));
        assert_eq!(strtol_whole("0x10"), None);
        assert_eq!(strtol_whole(""), None);
        assert_eq!(strtol_whole("5 "), None);
    }

    #[test]
    fn files_lookups() {
        let n = Names::from_texts(
            "127.0.0.1 localhost # x\n::1 localhost ip6-localhost\n127.0.0.2 two alias2\n",
            "http 80/tcp www # web\ndomain 53/tcp\ndomain 53/udp\n",
        );
        assert_eq!(n.host_v4("LOCALHOST"), Some(Ipv4Addr::LOCALHOST));
        assert_eq!(n.host_v4("alias2"), Some("127.0.0.2".parse().unwrap()));
        assert_eq!(n.host_name(&"::1".parse().unwrap()), Some("localhost"));
        assert_eq!(n.port_of("www", "tcp"), Some(80));
        assert_eq!(n.port_of("http", "udp"), None);
        assert_eq!(n.service_name(53, "udp"), Some("domain"));
        assert_eq!(n.service_name(80, "sctp"), None);
    }
}
