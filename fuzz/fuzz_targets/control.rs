//! The control-socket request parser (`lvsmon::control::protocol::parse`) on arbitrary
//! request bytes (what a local client sends before the newline).
//!
//! Checked besides "no panic": an accepted request written back with `write_line` (what
//! `lvsmon drain/enable/weight/...` send) parses to the same request; an error prints a
//! non-empty message.
#![no_main]

use libfuzzer_sys::fuzz_target;
use lvsmon::control::protocol::parse;

fuzz_target!(|data: &[u8]| {
    match parse(data) {
        Ok(req) => {
            let mut line = String::new();
            req.write_line(&mut line);
            assert_eq!(parse(line.as_bytes()), Ok(req), "{line}");
        }
        Err(e) => assert!(!e.to_string().is_empty()),
    }
});
