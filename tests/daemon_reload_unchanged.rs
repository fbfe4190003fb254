//! Reload short cut (reload::reload_config): files byte-identical to the running config's
//! are not parsed again and the log says so; any changed byte (a comment) takes the full
//! path; a refused reload leaves the running config's fingerprint as it was. Whole daemon
//! in --dry-run; an unchanged reload makes no operation either way.

mod common;

use std::time::Duration;

use common::{free_port, scratch, Daemon, RealServer};

const LIMIT: Duration = Duration::from_secs(30);

fn config(port: u16) -> String {
    format!(
        "virtual_server 192.0.2.21 80 {{\n  delay_loop 1\n  lb_algo rr\n  lb_kind NAT\n  protocol TCP\n  real_server 127.0.2.9 {port} {{\n    TCP_CHECK {{\n      connect_timeout 3\n    }}\n  }}\n}}\n"
    )
}

fn reload_lines(d: &Daemon) -> Vec<String> {
    d.log_text()
        .lines()
        .filter(|l| l.contains("reloaded "))
        .map(str::to_string)
        .collect()
}

#[test]
fn byte_identical_files_short_cut_and_a_comment_does_not() {
    let dir = scratch("reload-unchanged");
    let port = free_port();
    let _rs = RealServer::start(format!("127.0.2.9:{port}").parse().unwrap());
    let text = config(port);
    let d = Daemon::start(&dir, &text);
    let path = d.config.display().to_string();
    d.wait_for("in the table", LIMIT, |d| {
        d.real(&format!("127.0.2.9:{port}"))
            .get("in_table")
            .as_bool()
            == Some(true)
    });
    let ops = d.ops();
    let unchanged = format!(
        "reloaded {}: unchanged (1 file byte-identical to the running config), nothing to do",
        path
    );

    // 1. The same bytes: the short cut.
    d.signal("HUP");
    d.wait_for("reload 1", LIMIT, |d| reload_lines(d).len() == 1);
    assert!(
        reload_lines(&d)[0].ends_with(&unchanged),
        "{:?}",
        reload_lines(&d)
    );

    // 2. One comment more: the full path (the config is the same, so still no operation).
    std::fs::write(&d.config, format!("{}# edited\n", text)).unwrap();
    d.signal("HUP");
    d.wait_for("reload 2", LIMIT, |d| reload_lines(d).len() == 2);
    assert!(
        reload_lines(&d)[1].ends_with(&format!("reloaded {}", path)),
        "{:?}",
        reload_lines(&d)
    );

    // 3. A broken config is refused; the running config is still the commented one, so
    // putting those bytes back is "unchanged".
    std::fs::write(&d.config, text.replace("delay_loop 1", "delay_loop soon")).unwrap();
    d.signal("HUP");
    d.wait_for("refusal", LIMIT, |d| {
        d.log_text().contains("reload refused")
    });
    std::fs::write(&d.config, format!("{}# edited\n", text)).unwrap();
    let (code, _, err) = d.lvsmon(&["reload"]);
    assert_eq!(code, 0, "{}", err);
    d.wait_for("reload 3", LIMIT, |d| reload_lines(d).len() == 3);
    assert!(
        reload_lines(&d)[2].ends_with(&unchanged),
        "{:?}",
        reload_lines(&d)
    );

    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(d.ops(), ops, "a reload of the same config made operations");
    assert_eq!(d.stop(), 0);
}
