//! genhash's command line, parsed the way keepalived 2.2.7's `check_genhash_parse_cmdline`
//! does with glibc's `getopt_long` (optstring `:hvSs:V:p:u:m:P:t:I`): argument
//! permutation (options after operands are still options, operands are reported at
//! the end), short clusters (`-vs127.0.0.1`), `--long=value` and `--long value`, unique
//! prefixes of long names (`--serv`; an ambiguous one such as `--u` is unknown), `--`
//! ending the options, and every message keepalived prints before it connects. Parse
//! errors end in keepalived's usage text on stderr and exit status 1.

use std::net::{IpAddr, SocketAddr};

use crate::probe::http::Protocol;

/// Microseconds of keepalived's default `connection_to` in genhash (UINT_MAX: no
/// practical timeout, about 71 minutes).
pub const DEFAULT_TIMEOUT_US: u32 = u32::MAX;

/// A validated genhash invocation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Opts {
    pub target: SocketAddr,
    pub url: String,
    pub virtualhost: Option<String>,
    pub ssl: bool,
    /// `-I`: send the virtualhost (`-V`) as SNI.
    pub sni: bool,
    pub verbose: bool,
    /// `-m`: SO_MARK on the socket (0 = none, as keepalived).
    pub fwmark: u32,
    pub protocol: Protocol,
    /// Per-step timeout in microseconds (connect, write, each read), as keepalived's
    /// `connection_to` (seconds times TIMER_HZ, wrapping as its unsigned int does).
    pub timeout_us: u32,
}

/// What the command line asks for.
#[derive(Debug, PartialEq, Eq)]
pub enum Parsed {
    Run(Opts),
    /// Print `stderr` (messages, then the usage text) and exit with status 1.
    Usage {
        stderr: String,
    },
}

/// The usage text, with `prog` as keepalived prints its argv[0]; `subcommand` is how
/// lvsmon was asked (`lvsmon genhash`), like keepalived's ` --genhash`.
pub fn usage_text(prog: &str, subcommand: bool) -> String {
    let mut s = format!(
        "Usage: {}{} COMMAND [OPTIONS]\n\
         Commands:\n   -s server-address -p port -u url\n   -S -s server-address -p port -u url\n   -h\n\n",
        prog,
        if subcommand { " genhash" } else { "" }
    );
    s.push_str(
        "Options:\n\
         Either long or short options are allowed.\n\
         \x20  --use-ssl         -S       Use SSL connection to remote server.\n\
         \x20  --use-sni         -I       Use SNI during SSL handshake (uses virtualhost setting; see -V).\n\
         \x20  --server          -s       Use the specified remote server address.\n\
         \x20  --port            -p       Use the specified remote server port.\n\
         \x20  --url             -u       Use the specified remote server url.\n\
         \x20  --use-virtualhost -V       Use the specified virtualhost in GET query.\n\
         \x20  --verbose         -v       Use verbose mode output.\n\
         \x20  --help            -h       Display this short inlined help screen.\n\
         \x20  --fwmark          -m       Use the specified FW mark.\n\
         \x20  --protocol        -P       Use the specified HTTP protocol - '1.0', 1.0c', '1.1'.\n\
         \x20                               1.0c means 1.0 with 'Connection: close'\n\
         \x20  --timeout         -t       Timeout in seconds\n",
    );
    s
}

/// The options, in keepalived's `long_options` order (the order decides nothing: every
/// option has its own value, so two prefix matches are always ambiguous).
const LONG: [(&str, bool, u8); 11] = [
    ("help", false, b'h'),
    ("verbose", false, b'v'),
    ("use-ssl", false, b'S'),
    ("use-sni", false, b'I'),
    ("server", true, b's'),
    ("use-virtualhost", true, b'V'),
    ("port", true, b'p'),
    ("url", true, b'u'),
    ("fwmark", true, b'm'),
    ("protocol", true, b'P'),
    ("timeout", true, b't'),
];
const SHORT_NO_ARG: &[u8] = b"hvSI";
const SHORT_ARG: &[u8] = b"sVpumPt";

/// One result of `Getopt::next`.
enum Opt {
    /// An option and its argument.
    Found(u8, Option<String>),
    /// getopt's '?': `optopt` is the option character, 0 for an unknown long name.
    Unknown { optopt: u8 },
    /// getopt's ':' (optstring starts with ':'): the option that lacks its argument,
    /// and its long name when it was given long.
    Missing {
        optopt: u8,
        long: Option<&'static str>,
    },
}

/// glibc's getopt_long state machine in PERMUTE mode, over an owned argv that it
/// reorders exactly as glibc does (keepalived names `argv[curind]` in its messages, so
/// the order matters for the text).
struct Getopt {
    argv: Vec<String>,
    optind: usize,
    first_nonopt: usize,
    last_nonopt: usize,
    /// Index of the short-option cluster being read and the byte position in it.
    next: Option<(usize, usize)>,
}

fn nonoption(s: &str) -> bool {
    !s.starts_with('-') || s.len() == 1
}

impl Getopt {
    fn new(argv: Vec<String>) -> Getopt {
        Getopt {
            argv,
            optind: 1,
            first_nonopt: 1,
            last_nonopt: 1,
            next: None,
        }
    }

    /// Moves the skipped operands [first_nonopt, last_nonopt) after the options
    /// [last_nonopt, optind), as glibc's `exchange`.
    fn exchange(&mut self) {
        let (first, last) = (self.first_nonopt, self.last_nonopt);
        self.argv[first..self.optind].rotate_left(last - first);
        self.first_nonopt += self.optind - last;
        self.last_nonopt = self.optind;
    }

    fn next(&mut self) -> Option<Opt> {
        let argc = self.argv.len();
        if self.next.is_none() {
            self.last_nonopt = self.last_nonopt.min(self.optind);
            self.first_nonopt = self.first_nonopt.min(self.optind);
            if self.first_nonopt != self.last_nonopt && self.last_nonopt != self.optind {
                self.exchange();
            } else if self.last_nonopt != self.optind {
                self.first_nonopt = self.optind;
            }
            while self.optind < argc && nonoption(&self.argv[self.optind]) {
                self.optind += 1;
            }
            self.last_nonopt = self.optind;
            if self.optind != argc && self.argv[self.optind] == "--" {
                self.optind += 1;
                if self.first_nonopt != self.last_nonopt && self.last_nonopt != self.optind {
                    self.exchange();
                } else if self.first_nonopt == self.last_nonopt {
                    self.first_nonopt = self.optind;
                }
                self.last_nonopt = argc;
                self.optind = argc;
            }
            if self.optind == argc {
                if self.first_nonopt != self.last_nonopt {
                    self.optind = self.first_nonopt;
                }
                return None;
            }
            if self.argv[self.optind].starts_with("--") {
                return Some(self.long());
            }
            self.next = Some((self.optind, 1));
        }
        let (i, pos) = self.next?;
        let arg = self.argv[i].as_bytes();
        let c = arg[pos];
        let rest_empty = pos + 1 >= arg.len();
        if rest_empty {
            self.optind += 1;
            self.next = None;
        } else {
            self.next = Some((i, pos + 1));
        }
        if SHORT_NO_ARG.contains(&c) {
            return Some(Opt::Found(c, None));
        }
        if !SHORT_ARG.contains(&c) {
            return Some(Opt::Unknown { optopt: c });
        }
        self.next = None;
        if !rest_empty {
            // The rest of the cluster is the argument (`-p80`).
            let value = String::from_utf8_lossy(&arg[pos + 1..]).into_owned();
            self.optind += 1;
            return Some(Opt::Found(c, Some(value)));
        }
        if self.optind == argc {
            return Some(Opt::Missing {
                optopt: c,
                long: None,
            });
        }
        let value = self.argv[self.optind].clone();
        self.optind += 1;
        Some(Opt::Found(c, Some(value)))
    }

    /// `--name`, `--name=value` or `--name value`; unique prefixes accepted.
    fn long(&mut self) -> Opt {
        let arg = self.argv[self.optind][2..].to_string();
        let (name, value) = match arg.split_once('=') {
            Some((n, v)) => (n, Some(v.to_string())),
            None => (arg.as_str(), None),
        };
        self.optind += 1;
        let found = LONG.iter().find(|(l, _, _)| *l == name).or_else(|| {
            let mut prefixed = LONG.iter().filter(|(l, _, _)| l.starts_with(name));
            match (prefixed.next(), prefixed.next()) {
                (Some(one), None) => Some(one),
                _ => None,
            }
        });
        let Some(&(long, has_arg, val)) = found else {
            return Opt::Unknown { optopt: 0 };
        };
        match (has_arg, value) {
            (false, Some(_)) => Opt::Unknown { optopt: val },
            (false, None) => Opt::Found(val, None),
            (true, Some(v)) => Opt::Found(val, Some(v)),
            (true, None) if self.optind < self.argv.len() => {
                let v = self.argv[self.optind].clone();
                self.optind += 1;
                Opt::Found(val, Some(v))
            }
            (true, None) => Opt::Missing {
                optopt: val,
                long: Some(long),
            },
        }
    }
}

/// Appends formatted text to `out` without a `format!` String in between, for code
/// size (one write instead of a String built and dropped at each message).
pub(super) fn say(out: &mut String, args: std::fmt::Arguments<'_>) {
    let _ = std::fmt::Write::write_fmt(out, args);
}

/// C's strtoul(s, &end, 10) with `*end` required to be the end of `s`, after the
/// leading blanks keepalived skipped itself: None unless all of `s` is a number (an
/// optional sign, digits); the value wraps to unsigned long as C's does.
fn strtoul_whole(s: &str) -> Option<u64> {
    let t = s.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    let (neg, digits) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    if digits.is_empty() {
        // strtoul converted nothing: end is `s` itself, so only an empty `s` passes.
        return if s.is_empty() { Some(0) } else { None };
    }
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    // Out of range saturates to ULONG_MAX (ERANGE, unchecked by keepalived).
    let v = digits
        .bytes()
        .try_fold(0u64, |n, b| {
            n.checked_mul(10)?.checked_add(u64::from(b - b'0'))
        })
        .unwrap_or(u64::MAX);
    Some(if neg { v.wrapping_neg() } else { v })
}

/// keepalived's `inet_stosockaddr(ip, NULL, ..)`: an IPv6 literal when it has a ':',
/// else IPv4 (inet_pton: dotted quad only); anything from a '-' or '/' on is dropped.
fn server_ip(s: &str) -> Option<IpAddr> {
    let cut = s.find(['-', '/']).map_or(s, |i| &s[..i]);
    if s.contains(':') {
        cut.parse::<std::net::Ipv6Addr>().ok().map(IpAddr::V6)
    } else {
        cut.parse::<std::net::Ipv4Addr>().ok().map(IpAddr::V4)
    }
}

/// Parses genhash's argv (argv[0] included). `prog` and `subcommand` shape the usage.
pub fn parse(argv: &[String], prog: &str, subcommand: bool, have_tls: bool) -> Parsed {
    let mut err = String::new();
    match parse_opts(argv, have_tls, &mut err) {
        Some(opts) => Parsed::Run(opts),
        None => {
            err.push_str(&usage_text(prog, subcommand));
            Parsed::Usage { stderr: err }
        }
    }
}

fn parse_opts(argv: &[String], have_tls: bool, err: &mut String) -> Option<Opts> {
    // keepalived's "trivial sanity check": the usage alone.
    if argv.len() <= 2 {
        return None;
    }
    let mut g = Getopt::new(argv.to_vec());
    let mut server = None;
    let mut port = None;
    let mut url = None;
    let mut virtualhost = None;
    let (mut ssl, mut sni, mut verbose, mut bad_option) = (false, false, false, false);
    let mut fwmark = 0u32;
    let mut protocol = Protocol::Http10;
    let mut timeout_us = DEFAULT_TIMEOUT_US;
    // Bounded: every call consumes at least one character of argv.
    let limit = argv.iter().map(|a| a.len() + 1).sum::<usize>() + 1;
    for _ in 0..limit {
        let curind = g.optind;
        let Some(opt) = g.next() else { break };
        let value = match opt {
            Opt::Found(c, v) => (c, v.unwrap_or_default()),
            Opt::Unknown { optopt } => {
                let cur = g.argv.get(curind).map_or("", String::as_str);
                if optopt != 0 && cur.as_bytes().get(1) != Some(&b'-') {
                    say(err, format_args!("Unknown option -{}\n", optopt as char));
                } else {
                    say(err, format_args!("Unknown option {}\n", cur));
                }
                bad_option = true;
                continue;
            }
            Opt::Missing { optopt, long } => {
                // keepalived indexes its option table with getopt's longindex, which
                // glibc leaves at -1 here, and prints whatever memory precedes the
                // table; the option's own name is what it means to say.
                match long {
                    Some(name) => say(
                        err,
                        format_args!("Missing parameter for option --{}\n", name),
                    ),
                    None => say(
                        err,
                        format_args!("Missing parameter for option -{}\n", optopt as char),
                    ),
                }
                bad_option = true;
                continue;
            }
        };
        match value {
            (b'h', _) => bad_option = true,
            (b'v', _) => verbose = true,
            (b'S', _) => {
                if !have_tls {
                    err.push_str("SSL needs the tls build of lvsmon (cargo feature \"tls\").\n");
                    return None;
                }
                ssl = true;
            }
            (b'I', _) => sni = true,
            (b's', v) => match server_ip(&v) {
                Some(ip) => server = Some(ip),
                None => {
                    say(err, format_args!("server should be an IP, not {}\n", v));
                    return None;
                }
            },
            (b'V', v) => virtualhost = Some(v),
            (b'p', v) => {
                // strtol: leading blanks and a sign are accepted, then digits to the end.
                match strtoul_whole(&v) {
                    Some(n) if !v.is_empty() && (1..=65535).contains(&n) => port = Some(n as u16),
                    _ => {
                        say(err, format_args!("invalid port number '{}'\n", v));
                        return None;
                    }
                }
            }
            (b'u', v) => url = Some(v),
            (b'm', v) => {
                let start = v.trim_start_matches([' ', '\t']);
                match strtoul_whole(start) {
                    Some(n) if !start.starts_with('-') => fwmark = n as u32,
                    _ => {
                        say(err, format_args!("invalid fwmark '{}'\n", v));
                        return None;
                    }
                }
            }
            (b'P', v) => {
                protocol = match v.as_str() {
                    "1.0" => Protocol::Http10,
                    "1.0c" | "1.0C" => Protocol::Http10Close,
                    "1.1" => Protocol::Http11Close,
                    _ => {
                        say(err, format_args!("invalid HTTP protocol version '{}'\n", v));
                        return None;
                    }
                }
            }
            (b't', v) => {
                let start = v.trim_start_matches([' ', '\t']);
                match strtoul_whole(start) {
                    Some(n) if !start.starts_with('-') && !start.is_empty() => {
                        // An unsigned int in microseconds, wrapping as keepalived's does.
                        timeout_us = (n as u32).wrapping_mul(1_000_000);
                    }
                    _ => {
                        say(err, format_args!("invalid timeout '{}'\n", v));
                        return None;
                    }
                }
            }
            _ => return None,
        }
    }
    if bad_option {
        return None;
    }
    if g.optind < g.argv.len() {
        err.push_str("Unexpected argument(s):");
        for a in &g.argv[g.optind..] {
            err.push(' ');
            err.push_str(a);
        }
        err.push('\n');
        return None;
    }
    Some(Opts {
        target: SocketAddr::new(server?, port?),
        url: url?,
        virtualhost,
        ssl,
        sni,
        verbose,
        fwmark,
        protocol,
        timeout_us,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &[&str]) -> Vec<String> {
        std::iter::once("genhash")
            .chain(s.iter().copied())
            .map(String::from)
            .collect()
    }

    fn run(s: &[&str]) -> Opts {
        match parse(&args(s), "genhash", false, true) {
            Parsed::Run(o) => o,
            Parsed::Usage { stderr } => panic!("{:?}: {}", s, stderr),
        }
    }

    fn first_line(s: &[&str]) -> String {
        match parse(&args(s), "genhash", false, true) {
            Parsed::Run(o) => panic!("{:?} parsed: {:?}", s, o),
            Parsed::Usage { stderr } => stderr.lines().next().unwrap_or("").to_string(),
        }
    }

    #[test]
    fn clusters_prefixes_and_permutation() {
        let o = run(&["-vs127.0.0.1", "-p80", "--ur=/x", "--serv", "10.0.0.1/24"]);
        assert_eq!(o.target, "10.0.0.1:80".parse().unwrap());
        assert!(o.verbose && !o.ssl);
        // "--u" is a prefix of url, use-ssl, use-sni and use-virtualhost.
        assert_eq!(
            first_line(&["-s", "::1", "-p", "1", "--u", "/"]),
            "Unknown option --u"
        );
        let o = run(&[
            "-s", "::1", "-p", "1", "--url", "/", "-P", "1.0C", "-t", " 3",
        ]);
        assert_eq!(o.protocol, Protocol::Http10Close);
        assert_eq!(o.timeout_us, 3_000_000);
        assert_eq!(o.target, "[::1]:1".parse().unwrap());
    }

    #[test]
    fn messages_name_what_getopt_saw() {
        assert_eq!(
            first_line(&["foo", "-s", "1.2.3.4", "-x"]),
            "Unknown option -x"
        );
        assert_eq!(first_line(&["foo", "--bar", "-s"]), "Unknown option foo");
        assert_eq!(
            first_line(&["-s", "1.2.3.4", "-p", "1", "-u", "/", "a", "--", "-b"]),
            "Unexpected argument(s): a -b"
        );
        assert_eq!(
            first_line(&["-s", "1.2.3.4", "-p"]),
            "Missing parameter for option -p"
        );
        assert_eq!(
            first_line(&["-s", "1.2.3.4", "--use-ssl=1"]),
            "Unknown option --use-ssl=1"
        );
        assert_eq!(
            first_line(&["-s", "localhost"]),
            "server should be an IP, not localhost"
        );
        assert_eq!(first_line(&["-p", "+0"]), "invalid port number '+0'");
        assert_eq!(first_line(&["-m", "-1", "x"]), "invalid fwmark '-1'");
        assert_eq!(first_line(&["-t", "", "x"]), "invalid timeout ''");
        assert_eq!(first_line(&["-h"]), "Usage: genhash COMMAND [OPTIONS]");
    }

    #[test]
    fn numbers_as_c_reads_them() {
        assert_eq!(strtoul_whole("+80"), Some(80));
        assert_eq!(strtoul_whole(" 80"), Some(80));
        assert_eq!(strtoul_whole("80 "), None);
        assert_eq!(strtoul_whole("0x50"), None);
        assert_eq!(strtoul_whole(""), Some(0));
        assert_eq!(strtoul_whole("-1"), Some(u64::MAX));
        assert_eq!(
            run(&["-s", "1.2.3.4", "-p", "1", "-u", "/", "-m", ""]).fwmark,
            0
        );
    }
}
