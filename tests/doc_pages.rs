//! The man pages cannot fall behind the program: doc/lvsmon.8 and doc/lvsmon.conf.5 lint
//! clean (mandoc and/or groff, whichever is installed; one of them must be), lvsmon.8
//! documents every subcommand and option `lvsmon --help` prints (and no option that does
//! not exist) and every ipvsadm option of the personality, lvsmon.conf.5 names every
//! keyword the config parser matches and every capacity in src/model/limits.rs, the
//! defaults the pages state are the ones the parser applies, and the example configs
//! (doc/lvsmon.conf.example, the page's EXAMPLES) pass `lvsmon check`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const LVSMON: &str = env!("CARGO_BIN_EXE_lvsmon");

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read(rel: &str) -> String {
    let p = root().join(rel);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {}", p.display(), e))
}

fn run(cmd: &mut Command) -> Output {
    cmd.stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {:?}: {}", cmd, e))
}

fn lvsmon(args: &[&str]) -> Output {
    run(Command::new(LVSMON).args(args))
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

// ---------- lint ----------

fn have(tool: &str) -> bool {
    Command::new(tool)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok()
}

/// Every linter that is installed, as (name, argv before the file).
fn linters() -> Vec<(&'static str, Vec<&'static str>)> {
    let mut out = Vec::new();
    if have("mandoc") {
        out.push(("mandoc", vec!["mandoc", "-T", "lint", "-W", "style"]));
    }
    if have("groff") {
        out.push(("groff", vec!["groff", "-man", "-ww", "-z"]));
    }
    assert!(
        !out.is_empty(),
        "neither mandoc nor groff is installed: the man pages cannot be checked. \
         Install one: apt-get install groff-base (or mandoc)"
    );
    out
}

/// What the linters say about `page` (empty = clean).
fn lint(page: &Path) -> String {
    let mut said = String::new();
    for (name, argv) in linters() {
        let out = run(Command::new(argv[0])
            .args(&argv[1..])
            .arg(page)
            .env("LC_ALL", "C.UTF-8"));
        let msgs = text(&out.stdout) + &text(&out.stderr);
        if !out.status.success() || !msgs.trim().is_empty() {
            said.push_str(&format!("{} ({}):\n{}\n", name, out.status, msgs));
        }
    }
    said
}

#[test]
fn man_pages_lint_clean() {
    for page in ["doc/lvsmon.8", "doc/lvsmon.conf.5"] {
        let said = lint(&root().join(page));
        assert!(said.is_empty(), "{} has lint messages:\n{}", page, said);
    }
}

#[test]
fn the_lint_catches_a_broken_page() {
    let dir = std::env::temp_dir().join(format!("lvsmon-doc-lint-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("bad.8");
    std::fs::write(
        &bad,
        ".TH BAD 8\n.SH NAME\nbad \\- page\n.XX nonsense\n.SH\n",
    )
    .unwrap();
    let said = lint(&bad);
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        said.contains("XX"),
        "lint missed an unknown macro: {:?}",
        said
    );
}

// ---------- roff reading ----------

/// The page with font escapes removed and `\-` turned into `-`: close to what a reader sees.
fn plain(roff: &str) -> String {
    let mut out = String::with_capacity(roff.len());
    let mut chars = roff.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('-') => out.push('-'),
            Some('f') => {
                // \fB, \fI, \fR, \fP: drop.
                chars.next();
            }
            Some('&') => {}
            Some('e') => out.push('\\'),
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    out
}

/// Words of `s`, split at anything that cannot be part of an option or keyword.
fn words(s: &str) -> BTreeSet<String> {
    s.split(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '~')))
        .map(|w| w.trim_end_matches('.').to_string())
        .filter(|w| !w.is_empty())
        .collect()
}

/// Option words (`-x`, `--long`) in `s`.
fn options_in(s: &str) -> BTreeSet<String> {
    words(s)
        .into_iter()
        .filter(|w| {
            let body = w.trim_start_matches('-');
            w.starts_with('-')
                && (w.len() - body.len()) <= 2
                && body
                    .chars()
                    .next()
                    .is_some_and(|c| c.is_ascii_alphanumeric())
        })
        .collect()
}

/// The lines of a section: from the heading line `start` (exact) to the next heading of
/// the given levels.
fn section<'a>(page: &'a str, start: &str, ends: &[&str]) -> Vec<&'a str> {
    let lines: Vec<&str> = page.lines().collect();
    let Some(i) = lines.iter().position(|l| *l == start) else {
        panic!("section {:?} not found", start);
    };
    lines[i + 1..]
        .iter()
        .take_while(|l| !ends.iter().any(|e| l.starts_with(e)))
        .copied()
        .collect()
}

/// The tag lines of a section: the line after each `.TP` or `.TQ`.
fn tags(lines: &[&str]) -> String {
    let mut out = String::new();
    for w in lines.windows(2) {
        if w[0] == ".TP" || w[0] == ".TQ" {
            out.push_str(w[1]);
            out.push('\n');
        }
    }
    out
}

// ---------- lvsmon --help ----------

/// Entries of a help section (`Commands:` or `Options:`): the first column of each line
/// indented by exactly two spaces.
fn help_entries(help: &str, heading: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut inside = false;
    for line in help.lines() {
        if line.ends_with(':') && !line.starts_with(' ') {
            inside = line == heading;
            continue;
        }
        if !inside || !line.starts_with("  ") || line.starts_with("   ") {
            continue;
        }
        let first = line.trim_start();
        // The first column ends at two blanks (help pads it to the description column).
        let col = first.split("  ").next().unwrap_or("");
        out.push(col.trim().to_string());
    }
    out
}

fn help(args: &[&str]) -> String {
    let out = lvsmon(args);
    assert!(out.status.success(), "lvsmon {:?} failed: {:?}", args, out);
    text(&out.stdout)
}

#[test]
fn lvsmon_8_documents_every_subcommand_and_option() {
    let page = read("doc/lvsmon.8");
    let top = help(&["--help"]);
    let subs = help_entries(&top, "Commands:");
    assert!(subs.len() >= 10, "too few subcommands parsed: {:?}", subs);

    // Top-level options go in OPTIONS.
    let top_opts = options_in(&help_entries(&top, "Options:").join(" "));
    assert!(top_opts.contains("--version"), "{:?}", top_opts);
    let options_sec = plain(&tags(&section(&page, ".SH OPTIONS", &[".SH"])));
    for o in &top_opts {
        assert!(
            options_in(&options_sec).contains(o),
            "lvsmon.8 OPTIONS lacks {}",
            o
        );
    }

    // Every .SS "lvsmon X" names a subcommand.
    let headed: Vec<String> = page
        .lines()
        .filter_map(|l| l.strip_prefix(".SS \"lvsmon "))
        .map(|l| l.trim_end_matches('"').to_string())
        .collect();
    for h in &headed {
        assert!(
            subs.contains(h),
            "lvsmon.8 documents '{}', which is no subcommand",
            h
        );
    }

    for sub in &subs {
        let sub_help = help(&[sub, "--help"]);
        let want: BTreeSet<String> = options_in(&help_entries(&sub_help, "Options:").join(" "))
            .into_iter()
            .filter(|o| o != "--help")
            .collect();
        let heading = format!(".SS \"lvsmon {}\"", sub);
        let sec = section(&page, &heading, &[".SS", ".SH"]);
        let documented = options_in(&plain(&tags(&sec)));
        for o in &want {
            assert!(
                documented.contains(o),
                "lvsmon.8 section 'lvsmon {}' lacks option {}",
                sub,
                o
            );
        }
        for o in &documented {
            assert!(
                want.contains(o),
                "lvsmon.8 section 'lvsmon {}' documents {}, which `lvsmon {} --help` does not have",
                sub,
                o,
                sub
            );
        }
        // Positional arguments are named in the section too.
        for p in help_entries(&sub_help, "Positional Arguments:") {
            assert!(
                plain(&sec.join("\n")).contains(&p.to_uppercase()),
                "lvsmon.8 section 'lvsmon {}' does not name {}",
                sub,
                p.to_uppercase()
            );
        }
        // And the synopsis has a line for it.
        assert!(
            page.contains(&format!("\n.B lvsmon {}\n", sub)),
            "lvsmon.8 SYNOPSIS lacks 'lvsmon {}'",
            sub
        );
    }
}

#[test]
fn lvsmon_8_documents_every_ipvsadm_option() {
    let out = lvsmon(&["ipvsadm", "-h"]);
    assert!(out.status.success(), "{:?}", out);
    let usage = text(&out.stdout);
    // The option lines of ipvsadm's usage: those that start with an option.
    let mut want = BTreeSet::new();
    for line in usage.lines() {
        let t = line.trim_start();
        if !line.starts_with("  -") || t.starts_with("ipvsadm") {
            continue;
        }
        // First column only: up to the description, which follows a run of blanks after
        // the option names and their value words.
        let spec: String = t.split("   ").next().unwrap_or("").replace('|', " ");
        want.extend(options_in(&spec));
    }
    assert!(
        want.len() >= 50,
        "too few ipvsadm options parsed: {:?}",
        want
    );
    let page = read("doc/lvsmon.8");
    let sec = plain(&section(&page, ".SH IPVSADM PERSONALITY", &[".SH"]).join("\n"));
    let have = options_in(&sec);
    let missing: Vec<&String> = want.iter().filter(|o| !have.contains(*o)).collect();
    assert!(
        missing.is_empty(),
        "lvsmon.8 IPVSADM PERSONALITY lacks {:?}",
        missing
    );
}

#[test]
fn lvsmon_8_documents_every_genhash_option() {
    // genhash prints its usage on stderr with status 1, as keepalived's does.
    let out = lvsmon(&["genhash", "-h"]);
    assert_eq!(out.status.code(), Some(1), "{:?}", out);
    let usage = text(&out.stderr);
    let mut want = BTreeSet::new();
    for line in usage.lines() {
        // "   --use-ssl         -S       Use SSL ...": the long and the short name.
        let t = line.trim_start();
        if t.starts_with("--") {
            want.extend(options_in(
                &t.split_whitespace().take(2).collect::<Vec<_>>().join(" "),
            ));
        }
    }
    assert!(
        want.len() >= 22,
        "too few genhash options parsed: {:?}",
        want
    );
    let page = read("doc/lvsmon.8");
    let sec = plain(&section(&page, ".SH GENHASH PERSONALITY", &[".SH"]).join("\n"));
    let have = options_in(&sec);
    let missing: Vec<&String> = want.iter().filter(|o| !have.contains(*o)).collect();
    assert!(
        missing.is_empty(),
        "lvsmon.8 GENHASH PERSONALITY lacks {:?}",
        missing
    );
}

// ---------- lvsmon.conf.5 against the parser ----------

/// String literals of `src` shaped like a keyword or value word, outside comments and
/// unit tests.
fn keyword_literals(src: &str) -> BTreeSet<String> {
    let code = src.split("#[cfg(test)]").next().unwrap_or(src);
    let mut out = BTreeSet::new();
    for line in code.lines() {
        if line.trim_start().starts_with("//") {
            continue;
        }
        let parts: Vec<&str> = line.split('"').collect();
        // Odd indexes are inside quotes (the parser has no escaped quotes in these lines
        // that matter: a word with a blank or a brace is not keyword-shaped anyway).
        for (i, p) in parts.iter().enumerate() {
            if i % 2 == 0 {
                continue;
            }
            let shaped = p
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic() || c == '~')
                && p.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '~'));
            if shaped {
                out.insert(p.to_string());
            }
        }
    }
    out
}

#[test]
fn lvsmon_conf_5_names_every_keyword_the_parser_matches() {
    let mut want = keyword_literals(&read("src/config/parse.rs"));
    // The keyword list the parser's matches compare against.
    want.extend(keyword_literals(&read("src/config/parse/kw.rs")));
    want.extend(
        keyword_literals(&read("src/config/lex.rs"))
            .into_iter()
            .filter(|w| w.starts_with("include")),
    );
    // The preprocessor's words (`~SEQ`, `~LST`, the predefined parameters).
    want.extend(
        keyword_literals(&read("src/config/preprocess.rs"))
            .into_iter()
            .filter(|w| w.starts_with('~') || w.starts_with('_')),
    );
    assert!(want.len() > 100, "too few keywords found: {:?}", want);
    for sample in [
        "virtual_server",
        "TCP_CHECK",
        "delay_before_retry",
        "includea",
        "~SEQ",
    ] {
        assert!(want.contains(sample), "extraction missed {}", sample);
    }
    let page = words(&plain(&read("doc/lvsmon.conf.5")));
    // `vrrp_` and `static_` are prefixes, written `vrrp_*` in the page.
    let missing: Vec<&String> = want
        .iter()
        .filter(|w| !page.contains(*w) && !page.contains(w.trim_end_matches('_')))
        .collect();
    assert!(
        missing.is_empty(),
        "lvsmon.conf.5 does not name {:?}",
        missing
    );
}

#[test]
fn lvsmon_conf_5_lists_every_capacity_with_its_value() {
    use lvsmon::model::limits::*;
    let caps: [(&str, usize); 23] = [
        ("MAX_SERVICES", MAX_SERVICES),
        ("MAX_REALS", MAX_REALS),
        ("MAX_CHECKERS", MAX_CHECKERS),
        ("MAX_CHECKS_PER_REAL", MAX_CHECKS_PER_REAL),
        ("MAX_IN_FLIGHT", MAX_IN_FLIGHT),
        ("MAX_TLS_IN_FLIGHT", MAX_TLS_IN_FLIGHT),
        ("FD_RESERVE", FD_RESERVE),
        ("MAX_URLS", MAX_URLS),
        ("MAX_STATUS_RANGES", MAX_STATUS_RANGES),
        ("MAX_INCLUDE_DEPTH", MAX_INCLUDE_DEPTH),
        ("MAX_CONFIG_FILES", MAX_CONFIG_FILES),
        ("MAX_CONFIG_FILE_BYTES", MAX_CONFIG_FILE_BYTES),
        ("MAX_REPLACEMENTS", MAX_REPLACEMENTS),
        ("MAX_LINE_BYTES", MAX_LINE_BYTES),
        ("MAX_SEQ_VALUES", MAX_SEQ_VALUES),
        ("MAX_HTTP_REPLY_BYTES", MAX_HTTP_REPLY_BYTES),
        ("MAX_HTTP_HEADER_BYTES", MAX_HTTP_HEADER_BYTES),
        ("MAX_CONTROL_REQUEST", MAX_CONTROL_REQUEST),
        ("MAX_CONTROL_CLIENTS", MAX_CONTROL_CLIENTS),
        ("MAX_HTTP_CLIENTS", MAX_HTTP_CLIENTS),
        ("MAX_HTTP_REQUEST", MAX_HTTP_REQUEST),
        ("HISTORY_LEN", HISTORY_LEN),
        ("MAX_OPS_PER_PASS", MAX_OPS_PER_PASS),
    ];
    // A new capacity in limits.rs must be added here (and to the page).
    let declared: BTreeSet<String> = read("src/model/limits.rs")
        .lines()
        .filter_map(|l| l.strip_prefix("pub const "))
        .filter_map(|l| l.split(':').next())
        .map(str::to_string)
        .collect();
    let listed: BTreeSet<String> = caps.iter().map(|(n, _)| n.to_string()).collect();
    assert_eq!(
        declared, listed,
        "src/model/limits.rs and this test disagree"
    );
    let page = read("doc/lvsmon.conf.5");
    for (name, value) in caps {
        let line = format!(".BR {} \" = {}\"", name, value);
        assert!(
            page.lines().any(|l| l == line),
            "lvsmon.conf.5 CAPACITIES lacks the line: {}",
            line
        );
    }
}

// ---------- example configurations ----------

fn check_config(name: &str, src: &str) -> String {
    let dir = std::env::temp_dir().join(format!("lvsmon-doc-{}-{}", name, std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("lvsmon.conf");
    std::fs::write(&file, src).unwrap();
    let out = lvsmon(&["check", "-f", file.to_str().unwrap()]);
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        out.status.success() && out.stderr.is_empty(),
        "{}: lvsmon check failed: {}{}",
        name,
        text(&out.stdout),
        text(&out.stderr)
    );
    let summary = text(&out.stdout);
    assert!(!summary.contains("warning:"), "{}: {}", name, summary);
    summary
}

/// Every IPv4 address in `src` is in 192.0.2.0/24 or 198.51.100.0/24 (RFC 5737).
fn only_documentation_addresses(src: &str) -> usize {
    let mut n = 0;
    for w in words(src) {
        if let Ok(a) = w.parse::<std::net::Ipv4Addr>() {
            let o = a.octets();
            assert!(
                (o[0], o[1], o[2]) == (192, 0, 2) || (o[0], o[1], o[2]) == (198, 51, 100),
                "{} is not a documentation address",
                a
            );
            n += 1;
        }
    }
    n
}

#[test]
fn example_config_passes_check_with_documentation_addresses() {
    let src = read("doc/lvsmon.conf.example");
    assert!(only_documentation_addresses(&src) >= 6);
    let summary = check_config("example", &src);
    assert!(
        summary.ends_with("3 virtual services, 6 real servers, 6 checks\n"),
        "{}",
        summary
    );
}

#[test]
fn lvsmon_conf_5_example_passes_check() {
    let page = read("doc/lvsmon.conf.5");
    let sec = section(&page, ".SH EXAMPLES", &[".SH"]);
    let body: Vec<&str> = sec
        .iter()
        .skip_while(|l| **l != ".nf")
        .skip(1)
        .take_while(|l| **l != ".fi")
        .copied()
        .collect();
    let src = plain(&body.join("\n"));
    assert!(only_documentation_addresses(&src) >= 3);
    let summary = check_config("page-example", &src);
    assert!(
        summary.starts_with("TCP 192.0.2.10:80 wrr NAT, 2 real servers, HTTP_GET every 5 s + TCP_CHECK every 5 s, sorry 198.51.100.100:8080\n"),
        "{}",
        summary
    );
}

// ---------- documented defaults ----------

/// One real server with `check` (a block body) under a service with `svc` settings.
fn parsed(svc: &str, check: &str) -> lvsmon::model::config::Config {
    let src = format!(
        "virtual_server 192.0.2.10 80 {{\n protocol TCP\n{}\n real_server 198.51.100.11 80 {{\n{}\n }}\n}}\n",
        svc, check
    );
    lvsmon::config::parse_str("defaults.conf", &src).unwrap_or_else(|e| panic!("{}\n{}", e, src))
}

#[test]
fn documented_defaults_are_the_parsers() {
    use std::time::Duration;
    let s = Duration::from_secs;
    let conf5 = read("doc/lvsmon.conf.5");
    let lvsmon8 = read("doc/lvsmon.8");
    // (check block, retry, delay_before_retry) as lvsmon.conf.5 CHECKS states them.
    let cases = [
        ("TCP_CHECK { }", 1, s(1)),
        ("HTTP_GET { url { path / } }", 1, s(3)),
        ("UDP_CHECK { }", 1, s(1)),
        ("DNS_CHECK { }", 3, s(60)),
        ("SMTP_CHECK { }", 1, s(1)),
        ("PING_CHECK { }", 1, s(1)),
        ("MISC_CHECK { misc_path /bin/true }", 0, s(1)),
    ];
    for (block, retry, dbr) in cases {
        let cfg = parsed("", block);
        let vs = &cfg.services[0];
        let c = &vs.reals[0].checks[0];
        assert_eq!(
            (
                c.delay_loop,
                c.connect_timeout,
                c.retry,
                c.delay_before_retry,
                c.warmup
            ),
            (s(60), s(5), retry, dbr, s(60)),
            "{}",
            block
        );
    }
    assert!(conf5.contains("\nDefault: 60 seconds.\n"));
    assert!(conf5.contains("\nDefault: 5 seconds.\n"));
    // The timing model's worked example: TCP_CHECK defaults.
    let (dl, ct, rt, dbr) = (60, 5, 1, 1);
    let down = dl + (rt + 1) * ct + rt * dbr;
    let up = dl + ct;
    assert!(conf5.contains(&format!(
        "({}, {}, {}, {}) that is {} and {} seconds.",
        dl, ct, rt, dbr, down, up
    )));

    // Service and real-server defaults.
    let cfg = parsed("", "TCP_CHECK { }");
    let vs = &cfg.services[0];
    assert_eq!(vs.sched.as_str(), "wlc");
    assert_eq!(vs.forward, lvsmon::ipvs::rule::Forward::Masq);
    assert_eq!((vs.quorum, vs.hysteresis), (1, 0));
    assert_eq!(vs.persistence_timeout, None);
    assert_eq!(vs.reals[0].weight, 1);
    assert!(!vs.alpha && !vs.omega && !vs.inhibit_on_failure);
    let cfg = parsed("persistence_timeout", "TCP_CHECK { }");
    let alone = cfg.services[0].persistence_timeout.unwrap();
    assert!(conf5.contains(&format!("\nAlone, {} seconds.\n", alone)));
    // A service without `protocol` is UDP, as the page says.
    let cfg = lvsmon::config::parse_str(
        "p.conf",
        "virtual_server 192.0.2.10 53 {\n real_server 198.51.100.11 53 {\n }\n}\n",
    )
    .unwrap();
    assert_eq!(cfg.services[0].protocol, lvsmon::ipvs::rule::Protocol::Udp);

    // Check-specific defaults.
    use lvsmon::model::config::CheckKind;
    let cfg = parsed(
        "delay_loop 7",
        "DNS_CHECK { }\nSMTP_CHECK { }\nMISC_CHECK { misc_path /bin/true }",
    );
    let checks = &cfg.services[0].reals[0].checks;
    match &checks[0].kind {
        CheckKind::Dns(d) => assert_eq!((d.qtype, d.name.as_str()), (6, ".")), // SOA
        other => panic!("{:?}", other),
    }
    match &checks[1].kind {
        CheckKind::Smtp(m) => {
            assert!(
                conf5.contains(&format!("\n.BR {} .\n", m.helo_name)),
                "helo"
            );
        }
        other => panic!("{:?}", other),
    }
    match &checks[2].kind {
        // misc_timeout absent: the service's delay_loop.
        CheckKind::Misc(m) => assert_eq!(m.timeout, Some(s(7))),
        other => panic!("{:?}", other),
    }

    // The ipvsadm personality's bare -p.
    assert!(lvsmon8.contains(&format!(
        "\nPersistent service (default timeout {} seconds).\n",
        lvsmon::ipvsadm::args::DEFAULT_PERSISTENT_TIMEOUT
    )));
}

#[test]
fn lvsmon_8_configuration_summary_passes_check() {
    let page = read("doc/lvsmon.8");
    let sec = section(&page, ".SH CONFIGURATION", &[".SH"]);
    let body: Vec<&str> = sec
        .iter()
        .skip_while(|l| **l != ".nf")
        .skip(1)
        .take_while(|l| **l != ".fi")
        .copied()
        .collect();
    let src = plain(&body.join("\n"));
    assert!(only_documentation_addresses(&src) >= 3);
    let summary = check_config("summary", &src);
    assert!(
        summary.starts_with("TCP 192.0.2.10:80 wrr NAT persistent 300 s, 1 real server, HTTP_GET every 6 s, sorry 198.51.100.100:80\n"),
        "{}",
        summary
    );
}
