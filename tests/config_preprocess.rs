//! keepalived's config preprocessor through the whole load (lexer, parser, resolver) and
//! through `lvsmon check`: positions in errors are the original file's, `include` works in
//! a substituted line, `-i` selects `@NAME` lines, `--strict` fails on warnings.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use lvsmon::config::{load_with, parse_str_with, summary, LoadOptions};

const LVSMON: &str = env!("CARGO_BIN_EXE_lvsmon");

fn opts(i: &str) -> LoadOptions {
    LoadOptions {
        instance: Some(i.to_string()),
    }
}

fn parse(src: &str) -> Result<String, String> {
    parse_str_with("t.conf", src, &opts("main"))
        .map(|c| summary(&c))
        .map_err(|e| e.to_string())
}

fn dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("lvsmon-pre-{}-{}", name, std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(d.join("conf.d")).unwrap();
    d
}

fn check(args: &[&str]) -> Output {
    Command::new(LVSMON)
        .arg("check")
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

const VS: &str = "virtual_server 192.0.2.1 80 {\n  protocol TCP\n  lb_algo rr\n  lb_kind NAT\n";

#[test]
fn a_substituted_value_is_positioned_at_its_dollar() {
    let src = format!("$D=soon\n{}  delay_loop   $D\n}}\n", VS);
    assert_eq!(
        parse(&src).unwrap_err(),
        "t.conf:6:16: 'delay_loop' needs a number of seconds greater than 0, got 'soon'"
    );
    // Text after a replaced value keeps its own column.
    let src = format!(
        "$A=192.0.2.9\n{}  real_server ${{A}} 80 {{\n    weight x\n  }}\n}}\n",
        VS
    );
    let e = parse(&src).unwrap_err();
    assert!(e.starts_with("t.conf:7:12: "), "{}", e);
}

#[test]
fn an_undefined_name_stays_and_the_error_says_so() {
    let src = format!(
        "{}  real_server 192.0.2.5 80 {{\n    weight $NOPE\n  }}\n}}\n",
        VS
    );
    let e = parse(&src).unwrap_err();
    assert!(e.starts_with("t.conf:6:12: "), "{}", e);
    assert!(
        e.ends_with("('$NOPE' not defined: keepalived leaves an undefined name as written)"),
        "{}",
        e
    );
}

#[test]
fn sequences_and_multi_line_definitions_build_blocks() {
    let src = format!(
        "$RS= \\\n  real_server 192.0.2.${{i}} 80 {{ \\\n    weight $W \\\n  }}\n$W=2\n{}  ~SEQ(i, 10, 2, 14) $RS\n  ~SEQ(i,3) real_server 198.51.100.$i 80 {{ weight 1 }}\n}}\n",
        VS
    );
    let s = parse(&src).unwrap();
    assert!(
        s.starts_with("TCP 192.0.2.1:80 rr NAT, 6 real servers, no checks\n"),
        "{}",
        s
    );
    let cfg = parse_str_with("t.conf", &src, &opts("main")).unwrap();
    let reals: Vec<String> = cfg.services[0]
        .reals
        .iter()
        .map(|r| format!("{} {}", r.addr, r.weight))
        .collect();
    assert_eq!(
        reals,
        [
            "192.0.2.10:80 2",
            "192.0.2.12:80 2",
            "192.0.2.14:80 2",
            "198.51.100.1:80 1",
            "198.51.100.2:80 1",
            "198.51.100.3:80 1"
        ]
    );
    // An error in the third repetition names the ~SEQ line.
    let src = format!(
        "{}  ~SEQ(i,3) real_server 192.0.2.$i 80 {{ weight ${{i}}x }}\n}}\n",
        VS
    );
    let e = parse(&src).unwrap_err();
    assert!(e.starts_with("t.conf:5:"), "{}", e);
    assert!(e.contains("'1x'"), "{}", e);
}

#[test]
fn include_of_a_glob_in_a_substituted_line() {
    let d = dir("include");
    std::fs::write(
        d.join("conf.d/a.conf"),
        "virtual_server 192.0.2.2 80 {\n  protocol TCP\n  real_server 192.0.2.20 $PORT {\n  }\n}\n",
    )
    .unwrap();
    std::fs::write(
        d.join("conf.d/b.conf"),
        "virtual_server 192.0.2.3 80 {\n  protocol TCP\n  real_server 192.0.2.30 80 {\n  }\n}\n",
    )
    .unwrap();
    let main = d.join("lvs.conf");
    std::fs::write(&main, "$PORT=8080\n$DIR=conf.d\ninclude ${DIR}/*.conf\n").unwrap();
    let cfg = load_with(&main, &opts("main")).unwrap();
    let addrs: Vec<String> = cfg
        .services
        .iter()
        .map(|vs| format!("{}", vs.reals[0].addr))
        .collect();
    assert_eq!(addrs, ["192.0.2.20:8080", "192.0.2.30:80"]);
    // `$_PWD` is the directory of the file being read; `$_PWD/` is no reference (a
    // name must be followed by a blank, `,`, `)` or the end), `${_PWD}/` is.
    std::fs::write(&main, "$PORT=8080\ninclude ${_PWD}/conf.d/a.conf\n").unwrap();
    assert_eq!(load_with(&main, &opts("main")).unwrap().services.len(), 1);
    std::fs::write(&main, "$PORT=8080\ninclude $_PWD/conf.d/a.conf\n").unwrap();
    let e = load_with(&main, &opts("main")).unwrap_err().to_string();
    assert!(e.contains("$_PWD/conf.d/a.conf' not found"), "{}", e);
    // An include inside a ~SEQ: each file in full, in order.
    std::fs::write(
        &main,
        "$PORT=1\n~SEQ(f,0x61,0x62) include conf.d/${f}.conf\n",
    )
    .unwrap();
    let e = load_with(&main, &opts("main")).unwrap_err().to_string();
    assert!(e.contains("include file") && e.contains("97.conf"), "{}", e);
    std::fs::write(
        &main,
        "$PORT=1\n~SEQx(f,0xa,0xb) include conf.d/${f}.conf\n",
    )
    .unwrap();
    assert_eq!(load_with(&main, &opts("main")).unwrap().services.len(), 2);
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn an_error_inside_an_included_substituted_line_names_that_file() {
    let d = dir("inc-err");
    std::fs::write(
        d.join("conf.d/a.conf"),
        "virtual_server 192.0.2.2 80 {\n  protocol TCP\n  @main delay_loop $SLOW\n}\n",
    )
    .unwrap();
    let main = d.join("lvs.conf");
    std::fs::write(&main, "$SLOW=-1\ninclude conf.d/a.conf\n").unwrap();
    let e = load_with(&main, &opts("main")).unwrap_err().to_string();
    let want = format!(
        "{}:3:20: 'delay_loop' needs a number of seconds greater than 0, got '-1'",
        d.join("conf.d/a.conf").display()
    );
    assert_eq!(e, want);
    // Under another instance the line is not there at all.
    assert!(load_with(&main, &opts("backup")).is_ok());
    let _ = std::fs::remove_dir_all(&d);
}

fn write(d: &Path, name: &str, text: &str) -> String {
    let p = d.join(name);
    std::fs::write(&p, text).unwrap();
    p.display().to_string()
}

#[test]
fn check_selects_lines_by_instance_with_and_without_i() {
    let d = dir("cli");
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap();
    let host = host.trim().split('.').next().unwrap().to_string();
    let f = write(
        &d,
        "i.conf",
        &format!(
            "{}  @main real_server 192.0.2.10 80 {{ }}\n  @^main real_server 192.0.2.11 80 {{ }}\n  @{} real_server 192.0.2.12 80 {{ }}\n}}\n",
            VS, host
        ),
    );
    let out = |args: &[&str]| {
        let o = check(args);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        String::from_utf8_lossy(&o.stdout).into_owned()
    };
    // -i main: the @main line only (the host is not called main).
    assert!(out(&["-f", &f, "-i", "main"]).contains(", 1 real server,"));
    // Another name: the @^main line.
    assert!(out(&["-f", &f, "--instance", "backup"]).contains(", 1 real server,"));
    // No -i: the host name's line and the @^main line.
    assert!(out(&["-f", &f]).contains(", 2 real servers,"));
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn strict_fails_on_warnings_only() {
    let d = dir("strict");
    // No protocol: UDP with a warning, as keepalived.
    let warned = write(
        &d,
        "w.conf",
        "virtual_server 192.0.2.1 80 {\n  real_server 192.0.2.5 80 {\n  }\n}\n",
    );
    let clean = write(
        &d,
        "c.conf",
        &format!("{}  real_server 192.0.2.5 80 {{\n  }}\n}}\n", VS),
    );
    assert_eq!(check(&["-f", &warned]).status.code(), Some(0));
    let o = check(&["-f", &warned, "--strict"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stdout).contains("warning: "));
    assert!(String::from_utf8_lossy(&o.stderr).contains("with --strict"));
    assert_eq!(check(&["-f", &clean, "--strict"]).status.code(), Some(0));
    let _ = std::fs::remove_dir_all(&d);
}
