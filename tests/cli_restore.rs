//! `lvsmon restore` validates its whole input before it opens the kernel interface: a bad
//! line anywhere is named, exits 1, and nothing is sent (this host has no IPVS at all, so
//! reaching the kernel would fail differently).

use std::io::Write;
use std::process::{Command, Stdio};

const LVSMON: &str = env!("CARGO_BIN_EXE_lvsmon");

#[test]
fn a_bad_line_is_named_and_nothing_is_applied() {
    let input = "-A -t 192.0.2.12:80 -s rr\n-a -t 192.0.2.12:80 -r 198.51.100.2:80 -m\n-A -t 192.0.2.13:80 -s rr --bogus\n";
    let mut child = Command::new(LVSMON)
        .arg("restore")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "lvsmon: restore: line 3: --bogus: unknown option; nothing was applied\n"
    );
}

#[test]
fn a_missing_file_is_an_input_error() {
    let out = Command::new(LVSMON)
        .args(["restore", "/nonexistent/rules"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).starts_with("lvsmon: restore: "));
}
