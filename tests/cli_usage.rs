//! lvsmon's own command line, byte for byte: every help text, every usage error and its
//! exit code, compared with tests/data/cli/usage.golden (captured from the argh-based
//! parser this one replaced, so the layout and messages cannot drift).
//!
//! None of these command lines runs a command: each prints help or the version, or is
//! refused. To see a change, `CLI_GOLDEN_OUT=/tmp/usage.golden cargo test --test
//! cli_usage` writes the current rendering there; diff it against the golden.

use std::process::Command;

const LVSMON: &str = env!("CARGO_BIN_EXE_lvsmon");
const GOLDEN: &str = include_str!("data/cli/usage.golden");

const SUBS: [&str; 10] = [
    "run", "check", "status", "list", "save", "restore", "reload", "drain", "enable", "weight",
];

const VS: &str = "192.0.2.1:80";
const RS: &str = "198.51.100.2:80";

/// Command lines beyond the per-subcommand help ones (see `cases`).
const CASES: &[&[&str]] = &[
    // Top level.
    &[],
    &["--help"],
    &["help"],
    &["-h"],
    &["-V"],
    &["--version"],
    &["-V", "--version"],
    &["--version", "-V"],
    &["-V", "frobnicate"],
    &["frobnicate"],
    &["--frob"],
    &["-"],
    &[""],
    &["--"],
    &["--", "help"],
    &["--", "check", "--bogus"],
    &["--help", "--help"],
    &["--help", "help"],
    &["help", "help"],
    &["help", "--help"],
    &["help", "--"],
    &["--help", "--"],
    &["--help", "-V"],
    &["-V", "--help"],
    &["help", "-V"],
    &["help", "frobnicate"],
    &["help", "run", "--dry-run"],
    &["help", "run", "extra"],
    &["help", "run", "help"],
    &["--help", "run", "--dry-run"],
    &["-V", "check", "--bogus"],
    &["-V", "-V"],
    &["--version=1"],
    &["-VV"],
    &["RUN"],
    &["genhas"],
    &["ipvsad"],
    // run
    &["run", "help", "help"],
    &["run", "--help", "--help"],
    &["run", "--help", "--dry-run"],
    &["run", "--dry-run", "--help"],
    &["run", "--help", "extra"],
    &["run", "extra", "--help"],
    &["run", "--", "--help"],
    &["run", "-h"],
    &["run", "-V"],
    &["run", "extra"],
    &["run", "--", "extra"],
    &["run", "-x"],
    &["run", "-vv"],
    &["run", "--dry-run=1"],
    &["run", "--config=x"],
    &["run", "--Dry-run"],
    &["run", "-f"],
    &["run", "--config"],
    &["run", "--pid-file"],
    &["run", "--log-file"],
    &["run", "--control"],
    &["run", "--ipvs-api"],
    &["run", "-i"],
    &["run", "--instance"],
    &["run", "--http"],
    &["run", "--dry-run", "-f"],
    &["run", "--config", "a", "--config", "b"],
    &["run", "-f", "a", "--config", "b"],
    &["run", "--config", "a", "-f", "b"],
    &["run", "-i", "a", "--instance", "b"],
    &["run", "--ipvs-api", "a", "--ipvs-api", "b"],
    &["run", "--pid-file", "a", "--pid-file", "b"],
    &["run", "--log-file", "a", "--log-file", "b"],
    &["run", "--control", "a", "--control", "b"],
    &["run", "--http", "a", "--http", "b"],
    &["run", "--ipvs-api", "ioctl"],
    &["run", "--ipvs-api", ""],
    &["run", "--ipvs-api", "Netlink"],
    &["run", "--syslog", "--syslog", "--log-file", "x"],
    &["run", "--log-file", "x", "--syslog"],
    &["run", "--http", "bogus"],
    &["run", "--http", "192.0.2.1"],
    &["run", "--http", ""],
    &["run", "--http", "bogus", "--ipvs-api", "x"],
    &["run", "--ipvs-api", "x", "--http", "bogus"],
    &["run", "--ipvs-api", "x", "--syslog", "--log-file", "y"],
    &["run", "--bogus", "-f"],
    &["run", "-f", "a", "extra"],
    // check
    &["check", "--strict", "extra"],
    &["check", "-i"],
    &["check", "-f"],
    &["check", "--instance", "a", "-i", "b"],
    &["check", "-f", "--help", "--bogus"],
    &["check", "--config", "-v", "--bogus"],
    &["check", "--", "--strict"],
    &["check", "--dry-run"],
    &["check", "-s"],
    // status
    &["status", "--history"],
    &["status", "--history", "a"],
    &["status", "--history", VS],
    &["status", "--history", VS, RS, "x"],
    &["status", "--json", "--history", "a", "b"],
    &["status", "--history", "--json"],
    &["status", "a"],
    &["status", "a", "b", "c"],
    &["status", "--history", "bad", RS],
    &["status", "--history", VS, "bad"],
    &["status", "--history", "fwmark:x", RS],
    &["status", "--control"],
    &["status", "--control", "a", "--control", "b"],
    &["status", "--", "--json"],
    &["status", "--", "help"],
    &["status", "a", "help"],
    &["status", "a", "b", "--help"],
    &["status", "--history", VS, RS, "--help"],
    &["status", "--history", VS, "--", RS, "help"],
    &["status", "-j"],
    &["status", "--json", "-x"],
    // list
    &["list", "-x"],
    &["list", "-n", "-x"],
    &["list", "--stats", "--rate"],
    &["list", "--ipvs-api"],
    &["list", "--ipvs-api", "bad"],
    &["list", "--ipvs-api", "bad", "--stats", "--rate"],
    &["list", "--ipvs-api", "a", "--ipvs-api", "b"],
    &["list", "-nc"],
    &["list", "extra"],
    &["list", "-L"],
    // save
    &["save", "extra"],
    &["save", "--ipvs-api"],
    &["save", "--ipvs-api", "bogus"],
    &["save", "-n"],
    // restore
    &["restore", "a", "b"],
    &["restore", "--ipvs-api", "bad", "file"],
    &["restore", "--ipvs-api", "bad"],
    &["restore", "--ipvs-api"],
    &["restore", "-R"],
    &["restore", "a", "--", "b"],
    &["restore", "a", "help"],
    // reload
    &["reload", "extra"],
    &["reload", "--control"],
    &["reload", "--control", "a", "--control", "b"],
    &["reload", "--json"],
    // drain, enable
    &["drain"],
    &["drain", "a"],
    &["drain", "a", "b", "c"],
    &["drain", "a", "b"],
    &["drain", VS, "b"],
    &["drain", VS, "[::1]"],
    &["drain", "fwmark:", RS],
    &["drain", "--control", "x"],
    &["drain", "--control"],
    &["drain", "--control", "a", "--control", "b"],
    &["drain", "--bogus"],
    &["drain", "a", "--", "b"],
    &["drain", "--", "-a", "-b"],
    &["drain", "a", "help"],
    &["drain", "a", "-b"],
    &["enable"],
    &["enable", "a"],
    &["enable", "a", "b", "c"],
    &["enable", "a", "b"],
    &["enable", VS, "bad"],
    &["enable", "--control"],
    &["enable", "-c", "x"],
    // weight
    &["weight"],
    &["weight", "a"],
    &["weight", "a", "b"],
    &["weight", "a", "b", "x"],
    &["weight", "a", "b", "99999999999"],
    &["weight", "a", "b", "-5"],
    &["weight", "a", "b", "--", "-5"],
    &["weight", "a", "b", "--", "-99999999999"],
    &["weight", "a", "b", ""],
    &["weight", "a", "b", "70000"],
    &["weight", "a", "b", "+5"],
    &["weight", "a", "b", "1", "2"],
    &["weight", "a", "b", "1.5"],
    &["weight", VS, RS, "65536"],
    &["weight", VS, "bad", "1"],
    &["weight", "a", "b", "x", "--help"],
    &["weight", "a", "b", "x", "y"],
    &["weight", "a", "b", "1", "--control"],
    &["weight", "--control", "a", "--control", "b"],
    &["weight", "a", "--bogus", "x"],
];

/// Every command line of the golden file: help in each spelling for each subcommand,
/// then `CASES`.
fn cases() -> Vec<Vec<String>> {
    let mut out: Vec<Vec<String>> = Vec::new();
    for sub in SUBS {
        for args in [
            vec![sub, "--help"],
            vec!["help", sub],
            vec![sub, "help"],
            vec!["--help", sub],
            vec![sub, "--help", "--"],
        ] {
            out.push(args.into_iter().map(String::from).collect());
        }
    }
    out.extend(
        CASES
            .iter()
            .map(|c| c.iter().map(|a| a.to_string()).collect()),
    );
    out
}

/// One case as the golden file holds it: the command line, the exit code, and stdout
/// and stderr verbatim, each closed by a marker line.
fn render(args: &[String]) -> String {
    let out = Command::new(LVSMON).args(args).output().unwrap();
    let shown: Vec<String> = args
        .iter()
        .map(|a| {
            if a.is_empty() {
                "''".to_string()
            } else {
                a.clone()
            }
        })
        .collect();
    format!(
        "$ lvsmon {}\nexit {:?}\n{}--- end of stdout\n{}--- end of stderr\n\n",
        shown.join(" "),
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    )
}

#[test]
fn help_texts_errors_and_exit_codes_match_the_golden_file() {
    let rendered: Vec<String> = cases().iter().map(|c| render(c)).collect();
    if let Ok(path) = std::env::var("CLI_GOLDEN_OUT") {
        std::fs::write(path, rendered.concat()).unwrap();
    }
    let golden: Vec<&str> = GOLDEN.split_inclusive("--- end of stderr\n\n").collect();
    assert_eq!(
        golden.len(),
        rendered.len(),
        "golden file and cases disagree"
    );
    for (want, got) in golden.iter().zip(&rendered) {
        assert_eq!(want, got);
    }
}
