//! Every keepalived sample runs as `lvsmon run --dry-run` (the SSL_GET ones only in a
//! build with the "tls" feature, the default): the daemon
//! starts, programs its (in-memory) table, answers `status`, and stops cleanly. Addresses
//! are rewritten to loopback first (the samples' own addresses belong to their authors):
//! each IPv4 `a.b.c.d` becomes `127.0.K.d` with K numbering the distinct `a.b.c`
//! prefixes (so ranges like `a.b.c.3-10` stay ranges), netmasks are left alone, and IPv6
//! addresses become `::1`.

mod common;

use std::time::Duration;

use common::{scratch, Daemon};

/// Samples that use SSL_GET, which a build without "tls" refuses (tests/config_samples.rs).
const TLS: [&str; 4] = [
    "keepalived.conf.HTTP_GET.port",
    "keepalived.conf.SSL_GET",
    "keepalived.conf.status_code",
    "keepalived.conf.virtualhost",
];

fn is_addr_char(c: char) -> bool {
    c.is_ascii_hexdigit() || c == '.' || c == ':'
}

/// Rewrites one word-like run of address characters.
fn rewrite(word: &str, prefixes: &mut Vec<String>) -> String {
    let octets: Vec<&str> = word.split('.').collect();
    if octets.len() == 4 && octets.iter().all(|o| o.parse::<u8>().is_ok()) {
        if octets[0] == "255" || octets[0] == "0" {
            return word.to_string(); // a netmask
        }
        let prefix = octets[..3].join(".");
        let k = match prefixes.iter().position(|p| *p == prefix) {
            Some(k) => k,
            None => {
                prefixes.push(prefix);
                prefixes.len() - 1
            }
        };
        return format!("127.0.{}.{}", k, octets[3]);
    }
    if word.contains("::") {
        return "::1".to_string();
    }
    word.to_string()
}

fn to_loopback(text: &str) -> String {
    let mut prefixes = Vec::new();
    let mut out = String::with_capacity(text.len());
    let mut word = String::new();
    for c in text.chars() {
        if is_addr_char(c) {
            word.push(c);
        } else {
            out.push_str(&rewrite(&word, &mut prefixes));
            word.clear();
            out.push(c);
        }
    }
    out.push_str(&rewrite(&word, &mut prefixes));
    out
}

#[test]
fn rewriting_keeps_ranges_and_netmasks() {
    assert_eq!(
        to_loopback("192.168.200.3-10 80\n10.0.0.1\n255.255.255.0\n192.168.200.7\nae00::2 80"),
        "127.0.0.3-10 80\n127.0.1.1\n255.255.255.0\n127.0.0.7\n::1 80"
    );
}

#[test]
fn every_sample_runs_in_dry_run() {
    let dir =
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/config/samples");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| {
            n.starts_with("keepalived.conf")
                && (cfg!(feature = "tls") || !TLS.contains(&n.as_str()))
        })
        .collect();
    names.sort();
    assert_eq!(names.len(), if cfg!(feature = "tls") { 16 } else { 12 });
    for name in &names {
        let text = to_loopback(&std::fs::read_to_string(dir.join(name)).unwrap());
        assert!(
            !text.contains("192.168.") && !text.contains("10.10."),
            "{}",
            name
        );
        let work = scratch(&format!(
            "sample-{}",
            name.trim_start_matches("keepalived.conf.")
        ));
        let d = Daemon::start(&work, &text);
        d.wait_for(
            "the service in the dry-run table",
            Duration::from_secs(20),
            |d| d.ops().iter().any(|op| op.starts_with("-A ")),
        );
        let (code, out, err) = d.lvsmon(&["status"]);
        assert_eq!(code, 0, "{}: {}", name, err);
        assert!(out.contains("REAL SERVER"), "{}: {}", name, out);
        assert_eq!(d.stop(), 0, "{} did not stop cleanly", name);
    }
}
