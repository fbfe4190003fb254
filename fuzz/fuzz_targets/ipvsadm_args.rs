//! The ipvsadm argument parser (`lvsmon::ipvsadm::args::parse`, popt-style) on arbitrary
//! argument vectors. Input: the arguments after `ipvsadm`, separated by NUL bytes (an
//! argv element cannot hold NUL), non-UTF-8 replaced. Host and service names resolve
//! from the test fixtures' hosts and services files.
//!
//! Checked besides "no panic": an accepted table operation written back as an ipvsadm
//! line (`RuleText`, what the dry-run log and error messages print) parses to the same
//! operation; every refusal carries an exit code and a message.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use lvsmon::ipvsadm::args::{parse, IpvsadmCommand};
use lvsmon::ipvsadm::names::Names;
use lvsmon::ipvsadm::rule::RuleText;

fn names() -> &'static Names {
    static NAMES: OnceLock<Names> = OnceLock::new();
    NAMES.get_or_init(|| {
        Names::from_texts(
            include_str!("../../tests/data/ipvsadm/hosts"),
            include_str!("../../tests/data/ipvsadm/services"),
        )
    })
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut argv = vec!["ipvsadm".to_string()];
    if !text.is_empty() {
        argv.extend(text.split('\0').map(str::to_string));
    }
    for reading_stdin in [false, true] {
        match parse(&argv, names(), reading_stdin) {
            // A word holding a blank (`--mcast-interface "a b"`) cannot survive a line
            // of blank-separated words, in RuleText as in `ipvsadm -R`: not compared.
            Ok(IpvsadmCommand::Apply(op)) if !argv.iter().any(|a| a.contains(' ')) => {
                let line = RuleText(&op).to_string();
                let mut again = vec!["ipvsadm".to_string()];
                again.extend(line.split(' ').map(str::to_string));
                assert_eq!(
                    parse(&again, names(), reading_stdin),
                    Ok(IpvsadmCommand::Apply(op.clone())),
                    "argv {argv:?} gave `{line}`"
                );
            }
            Ok(_) => {}
            Err(e) => {
                assert!(
                    !e.stdout.is_empty() || !e.stderr.is_empty(),
                    "silent refusal of {argv:?}"
                );
            }
        }
    }
});
