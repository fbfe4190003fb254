//! keepalived.conf's LVS grammar: lexing, parsing and resolving into `model::config`.
//!
//! `load` / `parse_str` return a `Config` with every keepalived 2.x default already
//! applied, or the first error as `FILE:LINE:COL: message`. `summary` is what
//! `lvsmon check` prints.
//!
//! Pipeline: `lex` (tokens, comments, quotes, `include`; each line first through
//! `preprocess`: keepalived's `@NAME` conditions, `$NAME` parameters and `~SEQ`) -> `tree`
//! (`keyword args [{ ... }]`) -> `parse` (keywords and values, positions kept) -> `resolve` (defaults,
//! inheritance, groups, ports, capacities).
//!
//! Where keepalived 2.x only logs a problem and carries on, we follow it when the
//! outcome is well defined and say so in `Config::warnings` (no `protocol` on an address
//! service = UDP; a service without real servers is dropped; quorum above the total
//! weight is lowered; duplicate real servers are dropped; DR/TUN real-server ports are
//! reset to the service's). Where the outcome would be a silent surprise we refuse with
//! an error instead (a bad value, a real server of the other address family, a checker
//! without a port to connect to, an undefined group or track_file, a service defined
//! twice). Informational keywords lvsmon has no use for (`smtp_alert`, `snmp_name`,
//! `ha_suspend`, `log_all_failures`) are accepted with one warning each. Keywords whose
//! behaviour lvsmon does not implement are refused by name: FILE_CHECK `dynamic`,
//! `BFD_CHECK`, and keepalived's `~LST`. Glob brace expansion (`{a,b}`) in `include` is
//! not supported; `*`, `?` and `[...]` are.

mod directors;
mod error;
mod globals;
pub(crate) mod lex;
mod parse;
mod preprocess;
mod resolve;
pub mod script_security;
mod tree;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub use error::ConfigError;
pub use parse::split_quoted_escaped;

use crate::ipvs::rule::{Family, Forward, Protocol};
use crate::model::config::{Config, VsTarget};

/// How to read a config: what `lvsmon run`/`check` options change.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LoadOptions {
    /// The instance name `@NAME` lines are selected by (`-i`, keepalived's config-id);
    /// None: the host name up to its first `.`, as keepalived's default.
    pub instance: Option<String>,
}

/// Reads the config at `path`, following `include`s relative to each including file.
pub fn load(path: &Path) -> Result<Config, ConfigError> {
    load_with(path, &LoadOptions::default())
}

/// `load` with options.
pub fn load_with(path: &Path, opts: &LoadOptions) -> Result<Config, ConfigError> {
    Source::read_with(path, opts)?.resolve()
}

/// Parses `src` as a config file named `name` (includes are relative to the current
/// directory).
pub fn parse_str(name: &str, src: &str) -> Result<Config, ConfigError> {
    parse_str_with(name, src, &LoadOptions::default())
}

/// `parse_str` with options.
pub fn parse_str_with(name: &str, src: &str, opts: &LoadOptions) -> Result<Config, ConfigError> {
    match lex::lex_str(name, src, opts.instance.as_deref()) {
        Ok(lexed) => finish(&lexed),
        Err((files, e)) => Err(e.into_config_error(&files)),
    }
}

/// A config read from disk and tokenized, every `include` followed, not yet parsed: what
/// a reload needs to tell whether anything changed before doing the rest of the work.
#[derive(Clone, Debug)]
pub struct Source {
    lexed: lex::Lexed,
}

impl Source {
    /// Reads the config at `path` and the files it includes (errors as `load`'s).
    pub fn read(path: &Path) -> Result<Source, ConfigError> {
        Source::read_with(path, &LoadOptions::default())
    }

    /// `read` with options.
    pub fn read_with(path: &Path, opts: &LoadOptions) -> Result<Source, ConfigError> {
        match lex::lex_file(path, opts.instance.as_deref()) {
            Ok(lexed) => Ok(Source { lexed }),
            Err((files, e)) => Err(e.into_config_error(&files)),
        }
    }

    /// A hash of every file read (path and bytes, in include order, and every include
    /// that matched nothing). Parsing and resolving read nothing else, so two sources with
    /// the same fingerprint give the same `Config`.
    pub fn fingerprint(&self) -> u64 {
        self.lexed.fingerprint
    }

    /// The files read, the main one first.
    pub fn files(&self) -> &[PathBuf] {
        &self.lexed.files
    }

    /// Parses and resolves: the `Config` `load` returns.
    pub fn resolve(&self) -> Result<Config, ConfigError> {
        finish(&self.lexed)
    }
}

fn finish(lexed: &lex::Lexed) -> Result<Config, ConfigError> {
    let files: &[PathBuf] = &lexed.files;
    // An error on a line where an undefined `$NAME` was left as written says so.
    let err = |e| preprocess::explain_undefined(e, &lexed.undefined).into_config_error(files);
    let tokens = lexed.tokens();
    let tree = tree::build(&tokens).map_err(err)?;
    let raw = parse::parse(files, tree.root()).map_err(err)?;
    resolve::resolve(&raw, files, lexed.warnings.clone()).map_err(err)
}

/// `FILE:LINE:COL` of a position in `cfg` (for errors found after loading, such as an
/// announce interface that is not a dummy).
pub fn position(cfg: &Config, pos: crate::model::config::Pos) -> String {
    error::fmt_pos(&cfg.files, pos)
}

fn secs(d: Duration) -> String {
    // Seconds and microseconds apart: no u128 arithmetic (`as_micros`) on 32-bit targets.
    let (whole, us) = (d.as_secs(), d.subsec_micros());
    if us == 0 {
        format!("{} s", whole)
    } else {
        // Integer digits: formatting an f64 would pull ~6.5 KB of float printing into
        // the binary for this one line.
        let frac = format!("{:06}", us);
        format!("{}.{} s", whole, frac.trim_end_matches('0'))
    }
}

fn forward_name(f: Forward) -> &'static str {
    match f {
        Forward::Masq => "NAT",
        Forward::Route => "DR",
        Forward::Tunnel => "TUN",
        Forward::LocalNode => "LOCAL",
        Forward::Bypass => "BYPASS",
    }
}

/// What `lvsmon check` prints: one line per virtual service, then totals and warnings.
/// Example: `TCP 192.0.2.10:80 wrr NAT, 2 real servers, HTTP_GET every 6 s, sorry 127.0.0.1:80`.
pub fn summary(cfg: &Config) -> String {
    let mut out = String::new();
    let mut checks = 0usize;
    let mut reals = 0usize;
    for vs in &cfg.services {
        let target = match &vs.target {
            VsTarget::Addr(a) => {
                let p = match vs.protocol {
                    Protocol::Tcp => "TCP",
                    Protocol::Udp => "UDP",
                    Protocol::Sctp => "SCTP",
                };
                format!("{} {}", p, a)
            }
            VsTarget::Fwmark { mark, family } => format!(
                "FWM {} {}",
                mark,
                if *family == Family::Inet {
                    "IPv4"
                } else {
                    "IPv6"
                }
            ),
        };
        let _ = write!(out, "{} {} {}", target, vs.sched, forward_name(vs.forward));
        if let Some(p) = vs.persistence_timeout {
            let _ = write!(out, " persistent {} s", p);
        }
        if let Some(g) = &vs.group {
            let _ = write!(out, " (group {})", g);
        }
        let n = vs.reals.len();
        reals += n;
        let _ = write!(out, ", {} real server{}", n, if n == 1 { "" } else { "s" });
        // Distinct (kind, interval) pairs in first-seen order.
        let mut kinds: Vec<(&'static str, Duration)> = Vec::new();
        for rs in &vs.reals {
            for c in &rs.checks {
                checks += 1;
                let k = (c.kind.name(), c.delay_loop);
                if !kinds.contains(&k) {
                    kinds.push(k);
                }
            }
        }
        if kinds.is_empty() {
            out.push_str(", no checks");
        } else {
            let list: Vec<String> = kinds
                .iter()
                .map(|(k, d)| format!("{} every {}", k, secs(*d)))
                .collect();
            let _ = write!(out, ", {}", list.join(" + "));
        }
        // lvsmon extensions, each named once per service with its distinct values.
        let mut rises: Vec<u32> = Vec::new();
        let mut jitters: Vec<u32> = Vec::new();
        let mut ramps: Vec<Duration> = Vec::new();
        for rs in &vs.reals {
            for c in &rs.checks {
                if c.rise > 1 && !rises.contains(&c.rise) {
                    rises.push(c.rise);
                }
                if c.jitter_percent > 0 && !jitters.contains(&c.jitter_percent) {
                    jitters.push(c.jitter_percent);
                }
            }
            if rs.slow_start > Duration::ZERO && !ramps.contains(&rs.slow_start) {
                ramps.push(rs.slow_start);
            }
        }
        for r in &rises {
            let _ = write!(out, ", rise {}", r);
        }
        for j in &jitters {
            let _ = write!(out, ", delay_loop_jitter {}%", j);
        }
        for d in &ramps {
            let _ = write!(out, ", slow_start {}", secs(*d));
        }
        if let Some(s) = &vs.sorry_server {
            let _ = write!(out, ", sorry {}", s.addr);
        }
        if vs.quorum > 1 || vs.hysteresis > 0 {
            let _ = write!(out, ", quorum {} hysteresis {}", vs.quorum, vs.hysteresis);
        }
        out.push('\n');
    }
    if let Some(d) = &cfg.sync_daemon {
        let _ = writeln!(out, "sync daemon on {} syncid {}", d.interface, d.syncid);
    }
    let _ = writeln!(
        out,
        "{} virtual service{}, {} real server{}, {} check{}",
        cfg.services.len(),
        if cfg.services.len() == 1 { "" } else { "s" },
        reals,
        if reals == 1 { "" } else { "s" },
        checks,
        if checks == 1 { "" } else { "s" }
    );
    if let Some(v) = &cfg.vip_announce {
        let _ = writeln!(
            out,
            "vip_announce on {} rule {} on_stop {}",
            v.interface,
            match v.rule {
                crate::model::config::AnnounceRule::All => "all",
                crate::model::config::AnnounceRule::Any => "any",
            },
            match v.on_stop {
                crate::model::config::OnStop::Withdraw => "withdraw",
                crate::model::config::OnStop::Keep => "keep",
            }
        );
    }
    for n in &cfg.notes {
        let _ = writeln!(out, "note: {}", n);
    }
    for w in &cfg.warnings {
        let _ = writeln!(out, "warning: {}", w);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("lvsmon-fp-{}-{}", name, std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(d.join("conf.d")).unwrap();
        d
    }

    const MAIN: &str = "include conf.d/*.conf\nvirtual_server 192.0.2.1 80 {\n  real_server 127.0.0.1 80 {\n  }\n}\n";
    const PART: &str = "virtual_server 192.0.2.2 80 {\n  real_server 127.0.0.2 80 {\n  }\n}\n";

    #[test]
    fn fingerprint_follows_every_file_read() {
        let d = dir("follow");
        let main = d.join("lvs.conf");
        std::fs::write(&main, MAIN).unwrap();
        std::fs::write(d.join("conf.d/a.conf"), PART).unwrap();
        let fp = |p: &Path| Source::read(p).unwrap().fingerprint();
        let f0 = fp(&main);
        // The same bytes read again: the same fingerprint, and the same config.
        assert_eq!(fp(&main), f0);
        let s = Source::read(&main).unwrap();
        assert_eq!(s.files().len(), 2);
        assert_eq!(s.resolve().unwrap(), load(&main).unwrap());
        // A comment in the main file.
        std::fs::write(&main, format!("{}# edited\n", MAIN)).unwrap();
        let f1 = fp(&main);
        assert_ne!(f1, f0);
        // One byte in an included file.
        std::fs::write(d.join("conf.d/a.conf"), PART.replace("80 {", "81 {")).unwrap();
        let f2 = fp(&main);
        assert_ne!(f2, f1);
        // A new file the glob matches, with the old ones unchanged.
        std::fs::write(d.join("conf.d/b.conf"), "").unwrap();
        let f3 = fp(&main);
        assert_ne!(f3, f2);
        // Back to the first bytes: the first fingerprint.
        std::fs::remove_file(d.join("conf.d/b.conf")).unwrap();
        std::fs::write(d.join("conf.d/a.conf"), PART).unwrap();
        std::fs::write(&main, MAIN).unwrap();
        assert_eq!(fp(&main), f0);
        // A glob that matches nothing differs from one matching an empty file.
        std::fs::remove_file(d.join("conf.d/a.conf")).unwrap();
        let f4 = fp(&main);
        std::fs::write(d.join("conf.d/a.conf"), "").unwrap();
        assert_ne!(fp(&main), f4);
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn source_errors_are_load_errors() {
        let d = dir("errors");
        let main = d.join("lvs.conf");
        std::fs::write(
            &main,
            "virtual_server 192.0.2.1 80 {\n  delay_loop soon\n}\n",
        )
        .unwrap();
        let e = Source::read(&main).unwrap().resolve().unwrap_err();
        assert_eq!(e, load(&main).unwrap_err());
        assert!(
            e.to_string().ends_with(
                "lvs.conf:2:14: 'delay_loop' needs a number of seconds greater than 0, got 'soon'"
            ),
            "{}",
            e
        );
        let _ = std::fs::remove_dir_all(&d);
    }
}

#[cfg(test)]
mod sharing_and_printing_tests {
    use super::*;
    use crate::model::config::CheckKind;
    use std::sync::Arc;

    fn urls_of(cfg: &Config) -> Vec<Arc<[crate::model::config::Url]>> {
        let mut out = Vec::new();
        for vs in &cfg.services {
            for r in &vs.reals {
                for c in &r.checks {
                    if let CheckKind::Http(h) = &c.kind {
                        out.push(h.urls.clone());
                    }
                }
            }
        }
        out
    }

    #[test]
    fn seconds_print_without_trailing_zeros() {
        use std::time::Duration;
        assert_eq!(secs(Duration::from_secs(3)), "3 s");
        assert_eq!(secs(Duration::from_micros(2_500_000)), "2.5 s");
        assert_eq!(secs(Duration::from_micros(1)), "0.000001 s");
        assert_eq!(secs(Duration::from_micros(10_250_000)), "10.25 s");
    }

    #[test]
    fn real_servers_with_the_same_urls_share_one_list() {
        let rs = |addr: &str, path: &str| {
            format!("  real_server {addr} 80 {{\n    HTTP_GET {{\n      url {{\n        path {path}\n        status_code 200\n      }}\n    }}\n  }}\n")
        };
        let text = format!(
            "virtual_server 192.0.2.1 80 {{\n{}{}{}}}\n",
            rs("127.0.0.1", "/"),
            rs("127.0.0.2", "/"),
            rs("127.0.0.3", "/health")
        );
        let cfg = parse_str("t.conf", &text).unwrap();
        let u = urls_of(&cfg);
        assert_eq!(u.len(), 3);
        assert!(Arc::ptr_eq(&u[0], &u[1]));
        assert!(!Arc::ptr_eq(&u[1], &u[2]));
        assert_eq!(&*u[2][0].path, "/health");
    }
}
