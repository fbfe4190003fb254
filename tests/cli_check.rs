//! `lvsmon check` refuses what `lvsmon run` would refuse, including capacities that only
//! show once identical checks are merged (MAX_CHECKERS), and prints a summary otherwise.

use std::process::Command;

const LVSMON: &str = env!("CARGO_BIN_EXE_lvsmon");

#[test]
fn more_distinct_checks_than_max_checkers_is_refused() {
    let checkers = lvsmon::model::limits::MAX_CHECKERS;
    let per_real = 7;
    let reals = checkers / per_real + 1;
    let mut text = String::from("virtual_server 192.0.2.10 80 {\n protocol TCP\n");
    for i in 0..reals {
        text.push_str(&format!(
            " real_server 198.51.{}.{} 80 {{\n",
            100 + i / 250,
            1 + i % 250
        ));
        for p in 0..per_real {
            text.push_str(&format!(
                "  TCP_CHECK {{\n   connect_port {}\n  }}\n",
                1000 + p
            ));
        }
        text.push_str(" }\n");
    }
    text.push_str("}\n");
    let dir = std::env::temp_dir().join(format!("lvsmon-check-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cfg = dir.join("many.conf");
    std::fs::write(&cfg, text).unwrap();
    let out = Command::new(LVSMON)
        .args(["check", "-f"])
        .arg(&cfg)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!("too many checkers (this build holds {}", checkers)),
        "{}",
        err
    );
}

#[test]
fn a_good_config_prints_its_summary() {
    let out = Command::new(LVSMON)
        .args(["check", "-f", "doc/lvsmon.conf.example"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("virtual service"));
}
