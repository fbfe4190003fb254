//! `ipvsadm -R` input (`lvsmon::ipvsadm::restore::plan`): line splitting with ipvsadm's
//! quoting, then every line through the argument parser. Input: the rules text,
//! non-UTF-8 replaced.
//!
//! Checked besides "no panic": a rejection names a line that exists in the input; the
//! steps of an accepted plan are in input order and name existing lines.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use lvsmon::ipvsadm::names::Names;
use lvsmon::ipvsadm::restore::{plan, split};

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
    // Lines are 1-based and counted over '\n' (ipvsadm reads with fgets).
    let lines = text.split('\n').count();
    let split_lines = split(&text);
    for l in &split_lines {
        assert!((1..=lines).contains(&l.line), "line {} of {lines}", l.line);
    }
    match plan(&text, "ipvsadm", names()) {
        Ok(p) => {
            assert!(
                p.steps.windows(2).all(|w| w[0].0 < w[1].0),
                "steps out of order"
            );
            assert!(p.steps.iter().all(|(l, _)| (1..=lines).contains(l)));
            let _ = p.ops();
        }
        Err(r) => {
            assert!(
                (1..=lines).contains(&r.line),
                "rejected line {} of {lines}",
                r.line
            );
            assert!(!r.error.stderr.is_empty() || !r.error.stdout.is_empty());
        }
    }
});
