//! Issue 12's corpus: keepalived configs the project wrote itself (tests/data/
//! keepalived-corpus/), one construct or diagnostic each. Every file says what to expect
//! in a header comment:
//!   `# expect: clean`          `lvsmon check --strict` exits 0 with no warning
//!   `# expect: warn L1 L2 ..`  exits 1 (--strict) with warnings on exactly those lines
//!   `# expect: error L`        refused, the error naming line L
//!   `# keepalived: no line`    keepalived complains too, but names no line
//! The differential test runs Debian's `keepalived -t` (keepalived 2.2.7, installed by
//! .ci/run; its absence is a failure) on the same files and asserts the same verdict
//! (accepted silently, or complained about) and the same lines: every `(FILE: Line N)`
//! keepalived prints is one lvsmon names, and unless the file says `no line`, all of them.
//! Every file also runs as a dry-run daemon, its addresses moved to loopback. Files in
//! inc/ are what the corpus includes.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use common::{scratch, Daemon};

#[derive(Debug, PartialEq)]
enum Expect {
    Clean,
    Warn(Vec<u32>),
    Error(u32),
}

struct Case {
    name: String,
    text: String,
    expect: Expect,
    keepalived_names_lines: bool,
}

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/keepalived-corpus")
}

fn numbers(s: &str) -> Vec<u32> {
    s.split_whitespace()
        .map(|n| {
            n.parse()
                .unwrap_or_else(|_| panic!("bad line number {:?}", n))
        })
        .collect()
}

fn cases() -> Vec<Case> {
    let mut names: Vec<String> = std::fs::read_dir(dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".conf"))
        .collect();
    names.sort();
    assert!(names.len() >= 12, "corpus shrank: {:?}", names);
    names
        .into_iter()
        .map(|name| {
            let text = std::fs::read_to_string(dir().join(&name)).unwrap();
            let head = |key: &str| {
                text.lines()
                    .find_map(|l| l.strip_prefix(key))
                    .map(str::trim)
                    .map(str::to_string)
            };
            let e = head("# expect:").unwrap_or_else(|| panic!("{}: no '# expect:'", name));
            let expect = if e == "clean" {
                Expect::Clean
            } else if let Some(l) = e.strip_prefix("warn ") {
                Expect::Warn(numbers(l))
            } else if let Some(l) = e.strip_prefix("error ") {
                Expect::Error(numbers(l)[0])
            } else {
                panic!("{}: bad expectation {:?}", name, e)
            };
            let keepalived_names_lines =
                !head("# keepalived:").is_some_and(|k| k.starts_with("no line"));
            Case {
                name,
                text,
                expect,
                keepalived_names_lines,
            }
        })
        .collect()
}

/// Line numbers of `NAME:LINE:COL:` at the start of `lines` (after `prefix`).
fn named_lines(out: &str, prefix: &str, name: &str) -> Vec<u32> {
    let mut v: Vec<u32> = out
        .lines()
        .filter_map(|l| {
            l.strip_prefix(prefix)?
                .strip_prefix(name)?
                .strip_prefix(':')
        })
        .filter_map(|rest| rest.split(':').next()?.parse().ok())
        .collect();
    v.sort();
    v.dedup();
    v
}

fn run(cmd: &mut Command, what: &str) -> (i32, String) {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {} (CI installs it)", what, e));
    let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&out.stderr));
    (out.status.code().unwrap_or(-1), text)
}

#[test]
fn lvsmon_check_gives_each_files_verdict_and_lines() {
    for c in cases() {
        let (code, out) = run(
            Command::new(env!("CARGO_BIN_EXE_lvsmon"))
                .args(["check", "--strict", "-f", &c.name])
                .current_dir(dir()),
            "lvsmon",
        );
        let warned = named_lines(&out, "warning: ", &c.name);
        match &c.expect {
            Expect::Clean => {
                assert_eq!((code, warned), (0, vec![]), "{}:\n{}", c.name, out)
            }
            Expect::Warn(lines) => {
                assert_eq!((code, &warned), (1, lines), "{}:\n{}", c.name, out)
            }
            Expect::Error(line) => {
                assert_ne!(code, 0, "{}:\n{}", c.name, out);
                assert_eq!(
                    named_lines(&out, "", &c.name),
                    [*line],
                    "{}:\n{}",
                    c.name,
                    out
                );
            }
        }
    }
}

/// `(FILE: Line N)` as keepalived prints it.
fn keepalived_lines(out: &str) -> Vec<u32> {
    let mut v: Vec<u32> = out
        .match_indices("Line ")
        .filter_map(|(i, _)| {
            let digits: String = out[i + 5..]
                .chars()
                .take_while(|c| c.is_ascii_digit())
                .collect();
            digits.parse().ok()
        })
        .collect();
    v.sort();
    v.dedup();
    v
}

#[test]
fn keepalived_t_agrees_on_every_file() {
    for c in cases() {
        let (code, out) = run(
            Command::new("keepalived")
                .args(["-t", "-f", &c.name])
                .current_dir(dir()),
            "keepalived -t",
        );
        let named = keepalived_lines(&out);
        let ours: Vec<u32> = match &c.expect {
            Expect::Clean => {
                assert_eq!(code, 0, "{}: keepalived -t complains:\n{}", c.name, out);
                vec![]
            }
            Expect::Warn(l) => l.clone(),
            Expect::Error(l) => vec![*l],
        };
        if c.expect != Expect::Clean {
            assert_ne!(code, 0, "{}: keepalived -t is silent:\n{}", c.name, out);
            if c.keepalived_names_lines {
                assert_eq!(named, ours, "{}: keepalived -t says:\n{}", c.name, out);
            } else {
                assert!(named.is_empty(), "{}: keepalived -t says:\n{}", c.name, out);
            }
        }
    }
}

/// The corpus's documentation addresses moved to loopback (tests stay on the host's lo).
fn to_loopback(text: &str) -> String {
    text.replace("192.0.2.", "127.0.1.")
        .replace("198.51.100.", "127.0.0.")
}

#[test]
fn every_corpus_file_runs_as_a_dry_run_daemon() {
    for c in cases() {
        if matches!(c.expect, Expect::Error(_)) {
            continue; // refused by `check`, refused by `run` alike
        }
        let work: &Path = &scratch(&format!("corpus-{}", c.name.trim_end_matches(".conf")));
        // Files the corpus includes (relative to the including file), moved along.
        let inc = work.join("inc");
        std::fs::create_dir_all(&inc).unwrap();
        for e in std::fs::read_dir(dir().join("inc")).unwrap() {
            let e = e.unwrap();
            let text = std::fs::read_to_string(e.path()).unwrap();
            std::fs::write(inc.join(e.file_name()), to_loopback(&text)).unwrap();
        }
        let d = Daemon::start(work, &to_loopback(&c.text));
        d.wait_for(
            "the service in the dry-run table",
            Duration::from_secs(20),
            |d| d.ops().iter().any(|op| op.starts_with("-A ")),
        );
        let (code, out, err) = d.lvsmon(&["status"]);
        assert_eq!(code, 0, "{}: {}", c.name, err);
        assert!(out.contains("REAL SERVER"), "{}: {}", c.name, out);
        assert_eq!(d.stop(), 0, "{} did not stop cleanly", c.name);
    }
}
