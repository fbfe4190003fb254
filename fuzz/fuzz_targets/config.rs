//! Config lexer + parser + resolver (`lvsmon::config::parse_str`) on arbitrary text: it
//! returns a config or an error printed as `fuzz.conf:LINE:COL: message`, never panics,
//! and a config it accepts summarises without panicking.
//!
//! `include` reads files, which would make runs depend on the machine (and a FIFO could
//! block). So each parse runs in an empty directory of its own and, on any line that
//! mentions `include`, turns `/` into `_`: an include pattern can then only name
//! something inside that empty directory (nothing, `.` or `..`), and the include code
//! paths (missing file, empty glob, directory) are still exercised.
#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;

/// The directory includes resolve in (empty), and the one libFuzzer started in (where it
/// writes corpus entries and crash files, maybe by relative path).
fn dirs() -> &'static (PathBuf, PathBuf) {
    static DIRS: OnceLock<(PathBuf, PathBuf)> = OnceLock::new();
    DIRS.get_or_init(|| {
        let empty = std::env::temp_dir().join(format!("lvsmon-fuzz-config-{}", std::process::id()));
        std::fs::create_dir_all(&empty).expect("create the fuzz target's empty directory");
        let start = std::env::current_dir().expect("the fuzzer's working directory");
        (empty, start)
    })
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut src = String::with_capacity(text.len());
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            src.push('\n');
        }
        if line.contains("include") {
            src.extend(line.chars().map(|c| if c == '/' { '_' } else { c }));
        } else {
            src.push_str(line);
        }
    }
    let (empty, start) = dirs();
    std::env::set_current_dir(empty).expect("enter the empty directory");
    let parsed = lvsmon::config::parse_str("fuzz.conf", &src);
    std::env::set_current_dir(start).expect("return to the fuzzer's directory");
    match parsed {
        Ok(cfg) => {
            let _ = lvsmon::config::summary(&cfg);
        }
        Err(e) => {
            let shown = e.to_string();
            assert!(shown.starts_with("fuzz.conf:"), "{shown}");
        }
    }
});
