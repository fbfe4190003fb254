//! Capacities (each overflow names its limit and the position) and robustness: no input,
//! however truncated or mangled, makes the parser panic.

use std::fmt::Write as _;
use std::path::PathBuf;

use lvsmon::config::parse_str;
use lvsmon::model::limits::{
    MAX_CHECKS_PER_REAL, MAX_REALS, MAX_SERVICES, MAX_STATUS_RANGES, MAX_URLS,
};

fn err(src: &str) -> String {
    parse_str("lvs.conf", src).unwrap_err().to_string()
}

fn services(n: usize) -> String {
    let mut s = String::new();
    for i in 0..n {
        let _ = writeln!(
            s,
            "virtual_server 192.0.2.{} {} {{\n protocol TCP\n real_server 198.51.100.2 80 {{ }}\n}}",
            i % 250 + 1,
            1000 + i
        );
    }
    s
}

#[test]
fn services_capacity() {
    assert_eq!(
        parse_str("lvs.conf", &services(MAX_SERVICES))
            .unwrap()
            .services
            .len(),
        MAX_SERVICES
    );
    assert_eq!(
        err(&services(MAX_SERVICES + 1)),
        format!(
            "lvs.conf:{}:1: more than MAX_SERVICES ({}) virtual services",
            4 * MAX_SERVICES + 1,
            MAX_SERVICES
        )
    );
}

#[test]
fn group_expansion_capacity() {
    // A /23 is 512 services.
    let src = "virtual_server_group G {\n 192.0.2.0/23 80\n}\nvirtual_server group G {\n protocol TCP\n real_server 198.51.100.2 80 { }\n}\n";
    assert_eq!(
        err(src),
        format!(
            "lvs.conf:4:1: virtual_server group 'G' expands to more than MAX_SERVICES ({}) virtual services",
            MAX_SERVICES
        )
    );
    // An IPv6 /64 must be refused before anything is enumerated.
    let src = "virtual_server_group G {\n 2001:db8::/64 80\n}\nvirtual_server group G {\n protocol TCP\n lvs_method TUN\n real_server 198.51.100.2 80 { }\n}\n";
    assert!(err(src).contains("expands to more than MAX_SERVICES"));
    let src = "virtual_server_group G {\n 192.0.2.0/24 80\n}\nvirtual_server group G {\n protocol TCP\n real_server 198.51.100.2 80 { }\n}\n";
    assert_eq!(parse_str("lvs.conf", src).unwrap().services.len(), 256);
}

#[test]
fn reals_capacity() {
    let per_vs = MAX_REALS / 16 + 1;
    let mut s = String::new();
    for v in 0..16 {
        let _ = writeln!(s, "virtual_server 192.0.2.{} 80 {{\n protocol TCP", v + 1);
        for r in 0..per_vs {
            let _ = writeln!(
                s,
                " real_server 10.{}.{}.{} 80 {{ }}",
                v,
                r / 250,
                r % 250 + 1
            );
        }
        s.push_str("}\n");
    }
    let e = err(&s);
    assert!(
        e.ends_with(&format!("more than MAX_REALS ({}) real servers", MAX_REALS)),
        "{}",
        e
    );
    // The position is the first real server over the limit: the 4097th.
    let line = 2 + 15 * (per_vs + 3) + (MAX_REALS - 15 * per_vs) + 1;
    assert!(e.starts_with(&format!("lvs.conf:{}:2: ", line)), "{}", e);
}

#[test]
fn checks_urls_status_capacity() {
    let checks = " TCP_CHECK { }\n".repeat(MAX_CHECKS_PER_REAL + 1);
    let src = format!("virtual_server 192.0.2.1 80 {{\n protocol TCP\n real_server 198.51.100.2 80 {{\n{checks}}}\n}}\n");
    assert_eq!(
        err(&src),
        format!(
            "lvs.conf:{}:2: more than MAX_CHECKS_PER_REAL ({}) checks on real_server 198.51.100.2 80",
            4 + MAX_CHECKS_PER_REAL,
            MAX_CHECKS_PER_REAL
        )
    );
    let urls = "  url { path / }\n".repeat(MAX_URLS + 1);
    let src = format!("virtual_server 192.0.2.1 80 {{\n protocol TCP\n real_server 198.51.100.2 80 {{\n HTTP_GET {{\n{urls} }}\n }}\n}}\n");
    assert_eq!(
        err(&src),
        format!(
            "lvs.conf:{}:3: more than MAX_URLS ({}) url blocks in HTTP_GET",
            5 + MAX_URLS,
            MAX_URLS
        )
    );
    let codes: Vec<String> = (0..=MAX_STATUS_RANGES)
        .map(|i| (200 + i).to_string())
        .collect();
    let src = format!(
        "virtual_server 192.0.2.1 80 {{\n protocol TCP\n real_server 198.51.100.2 80 {{\n HTTP_GET {{\n url {{\n path /\n status_code {}\n }}\n }}\n }}\n}}\n",
        codes.join(" ")
    );
    let col = 14
        + codes[..MAX_STATUS_RANGES]
            .iter()
            .map(|c| c.len() + 1)
            .sum::<usize>();
    assert_eq!(
        err(&src),
        format!(
            "lvs.conf:7:{}: more than MAX_STATUS_RANGES ({}) status codes/ranges in one url",
            col, MAX_STATUS_RANGES
        )
    );
}

#[test]
fn deep_nesting_is_refused() {
    let src = "a {\n".repeat(40);
    assert_eq!(
        err(&src),
        "lvs.conf:17:3: blocks nested deeper than 16 levels"
    );
}

fn samples() -> Vec<(String, String)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/config/samples");
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        if name.starts_with("keepalived.conf") {
            out.push((name, std::fs::read_to_string(&p).unwrap()));
        }
    }
    out.sort();
    out
}

/// Every prefix of every sample, at every char boundary: Ok or Err, never a panic.
#[test]
fn truncated_samples_never_panic() {
    let mut n = 0usize;
    for (name, text) in samples() {
        for (i, _) in text
            .char_indices()
            .chain(std::iter::once((text.len(), ' ')))
        {
            let _ = parse_str(&name, &text[..i]);
            n += 1;
        }
    }
    assert!(n > 10_000, "{} prefixes", n);
}

struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
}

/// Random byte mutations from a fixed seed (so a failure reproduces): Ok or Err, never a
/// panic. Bytes that break UTF-8 are fed through `from_utf8_lossy`, as a file read would be
/// refused; the text parser gets every other mutation.
#[test]
fn mutated_samples_never_panic() {
    const ALPHABET: &[u8] = b"{}\"'\\#!\n \t0123456789.:-/abcxyzTUN_*?[]$@~";
    let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
    let mut ok = 0usize;
    let mut errs = 0usize;
    for (name, text) in samples() {
        for _ in 0..300 {
            let mut bytes = text.clone().into_bytes();
            let edits = 1 + rng.next() % 8;
            for _ in 0..edits {
                if bytes.is_empty() {
                    break;
                }
                let at = (rng.next() % bytes.len() as u64) as usize;
                match rng.next() % 4 {
                    0 => bytes[at] = ALPHABET[(rng.next() % ALPHABET.len() as u64) as usize],
                    1 => {
                        bytes.remove(at);
                    }
                    2 => bytes.insert(at, ALPHABET[(rng.next() % ALPHABET.len() as u64) as usize]),
                    _ => bytes[at] = (rng.next() & 0xff) as u8,
                }
            }
            let src = String::from_utf8_lossy(&bytes);
            match parse_str(&name, &src) {
                Ok(_) => ok += 1,
                Err(e) => {
                    // Every error names the file and a 1-based position.
                    let s = e.to_string();
                    assert!(s.starts_with(&format!("{}:", name)), "{}", s);
                    assert!(e.line >= 1 && e.col >= 1, "{}", s);
                    errs += 1;
                }
            }
        }
    }
    assert!(ok > 0 && errs > 0, "ok {} err {}", ok, errs);
}
