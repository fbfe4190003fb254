//! Issue 12 item 3: script users and script security as keepalived 2.2.7 applies them
//! (lib/notify.c check_script_secure / check_security, get_default_script_user). The
//! tests run as root (here and in CI) and use the `nobody` user.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use common::{free_port, scratch, Daemon};
use lvsmon::model::config::{CheckKind, Config};

const NOBODY: u32 = 65534;

fn write_script(path: &Path, body: &str, mode: u32) {
    std::fs::write(path, format!("#!/bin/sh\n{}\n", body)).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

fn chmod(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// A service whose one real server has a MISC_CHECK running `script` and a notify_up
/// running it too.
fn config(global: &str, script: &Path) -> String {
    format!(
        "global_defs {{\n{global}\n}}\nvirtual_server 192.0.2.10 80 {{\n protocol TCP\n lb_algo rr\n lb_kind NAT\n real_server 198.51.100.2 80 {{\n  notify_up {s}\n  MISC_CHECK {{\n   misc_path {s}\n  }}\n }}\n}}\n",
        s = script.display()
    )
}

fn load(dir: &Path, text: &str) -> Config {
    let f = dir.join("k.conf");
    std::fs::write(&f, text).unwrap();
    lvsmon::config::load(&f).unwrap_or_else(|e| panic!("{}", e))
}

fn misc_count(c: &Config) -> usize {
    c.services[0].reals[0]
        .checks
        .iter()
        .filter(|c| matches!(c.kind, CheckKind::Misc(_)))
        .count()
}

/// Refused with enable_script_security: no MISC_CHECK, no notify_up, and a warning that
/// names `component`. Without it: kept, and warned about.
fn assert_refused(dir: &Path, script: &Path, component: &Path, why: &str) {
    let c = load(
        dir,
        &config(" enable_script_security\n script_user root", script),
    );
    assert_eq!(misc_count(&c), 0, "{:?}", c.warnings);
    assert!(c.services[0].reals[0].notify_up.is_none());
    let all = c.warnings.join("\n");
    let named = format!("'{}' {}", component.display(), why);
    assert!(all.contains(&named), "want {:?} in:\n{}", named, all);
    assert!(
        all.contains("MISC_CHECK of real_server 198.51.100.2:80 refused, never run"),
        "{}",
        all
    );
    assert!(
        all.contains("notify_up of real_server 198.51.100.2:80 refused, never run"),
        "{}",
        all
    );
    // Without enable_script_security keepalived runs it and says it is unsafe.
    let c = load(dir, &config(" script_user root", script));
    assert_eq!(misc_count(&c), 1);
    assert!(c.services[0].reals[0].notify_up.is_some());
    let all = c.warnings.join("\n");
    assert!(
        all.contains(&named) && all.contains("unsafe (enable_script_security would refuse it)"),
        "{}",
        all
    );
}

#[test]
fn unsafe_scripts_are_refused_with_the_path_named() {
    let dir = scratch("scriptsec");
    // A safe script (root's, 0755, in root's 0755 directories under the sticky /tmp):
    // kept, with or without security, and run as root with keepalived's warning.
    let safe = dir.join("safe.sh");
    write_script(&safe, "exit 0", 0o755);
    let c = load(
        &dir,
        &config(" enable_script_security\n script_user root", &safe),
    );
    assert_eq!(misc_count(&c), 1);
    assert!(c.warnings.is_empty(), "{:?}", c.warnings);
    let c = load(&dir, &config(" lvs_flush", &safe));
    assert_eq!(misc_count(&c), 1);
    assert_eq!(
        c.warnings,
        ["scripts without a user run as root: user keepalived_script does not exist and no script_user is set (keepalived's default)"]
    );

    // 1. The file is writable by a non-root user (its owner).
    let owned = dir.join("owned.sh");
    write_script(&owned, "exit 0", 0o755);
    std::os::unix::fs::chown(&owned, Some(NOBODY), None).unwrap();
    let sec = " enable_script_security\n script_user root";
    let c = load(&dir, &config(sec, &owned));
    assert_eq!(misc_count(&c), 0);
    assert_refused(&dir, &owned, &owned, "is owned by uid 65534, not root");

    // 2. A world-writable directory (no sticky bit) above it.
    let open = dir.join("open");
    std::fs::create_dir(&open).unwrap();
    chmod(&open, 0o777);
    let inside = open.join("check.sh");
    write_script(&inside, "exit 0", 0o755);
    assert_refused(&dir, &inside, &open, "is writable by anyone");
    // The same directory with the sticky bit (as /tmp) is safe.
    chmod(&open, 0o1777);
    let c = load(&dir, &config(sec, &inside));
    assert_eq!(misc_count(&c), 1, "{:?}", c.warnings);

    // 3. A safe-looking symlink to a script anyone can write: the real file is judged.
    let target = dir.join("target.sh");
    write_script(&target, "exit 0", 0o757);
    let link = dir.join("link.sh");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    assert_refused(&dir, &link, &target, "is writable by anyone");
    let c = load(&dir, &config(sec, &link));
    assert!(
        c.warnings.join("\n").contains(&format!(
            "'{}' (really '{}')",
            link.display(),
            target.display()
        )),
        "{:?}",
        c.warnings
    );

    // A script run as an ordinary user is not judged (it cannot gain root).
    let c = load(
        &dir,
        &config(" enable_script_security\n script_user nobody", &owned),
    );
    assert_eq!(misc_count(&c), 1, "{:?}", c.warnings);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn missing_script_users() {
    let dir = scratch("scriptusers");
    let safe: PathBuf = dir.join("safe.sh");
    write_script(&safe, "exit 0", 0o755);
    // enable_script_security without script_user or keepalived_script: not run.
    let c = load(&dir, &config(" enable_script_security", &safe));
    assert_eq!(misc_count(&c), 0);
    assert!(
        c.warnings[0].contains("user keepalived_script does not exist and no script_user is set"),
        "{:?}",
        c.warnings
    );
    // A script_user that does not exist: not run either.
    let c = load(&dir, &config(" script_user lvsmon-no-such-user", &safe));
    assert_eq!(misc_count(&c), 0);
    assert!(c.warnings[0].ends_with("script_user lvsmon-no-such-user does not exist: scripts without their own user are not run, as in keepalived"), "{:?}", c.warnings);
    // A script with its own user keeps it.
    let text = config(" script_user nobody", &safe).replace("misc_path", "user root\n   misc_path");
    let c = load(&dir, &text);
    let CheckKind::Misc(m) = &c.services[0].reals[0].checks[0].kind else {
        panic!()
    };
    assert_eq!(m.script.user.as_deref(), Some("root"));
    assert_eq!(
        c.services[0].reals[0]
            .notify_up
            .as_ref()
            .unwrap()
            .user
            .as_deref(),
        Some("nobody")
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Scripts run as script_user: the MISC_CHECK reads its own uid from /proc/self/status
/// and passes only as nobody; the real server whose check says `user root` fails.
#[test]
fn scripts_run_as_script_user() {
    let dir = scratch("scriptuser-run");
    let probe = dir.join("am-nobody.sh");
    write_script(
        &probe,
        &format!("grep -q '^Uid:[[:space:]]*{NOBODY}[[:space:]]' /proc/self/status"),
        0o755,
    );
    let port = free_port();
    let text = format!(
        "global_defs {{\n script_user nobody\n enable_script_security\n}}\nvirtual_server 192.0.2.10 {port} {{\n delay_loop 1\n protocol TCP\n lb_algo rr\n lb_kind NAT\n\
         real_server 198.51.100.2 {port} {{\n  MISC_CHECK {{\n   misc_path {p}\n  }}\n }}\n\
         real_server 198.51.100.3 {port} {{\n  MISC_CHECK {{\n   misc_path {p}\n   user root\n  }}\n }}\n}}\n",
        p = probe.display()
    );
    let d = Daemon::start(&dir, &text);
    let a = format!("198.51.100.2:{}", port);
    let b = format!("198.51.100.3:{}", port);
    d.wait_for("the root-run check to fail", Duration::from_secs(30), |d| {
        d.real(&b).get("health").as_str() == Some("down")
    });
    assert_eq!(d.real(&a).get("health").as_str(), Some("up"));
    assert_eq!(d.real(&a).get("last_result").as_str(), Some("ok"));
    assert_eq!(
        d.real(&b).get("last_result").as_str(),
        Some("script exited with 1")
    );
    let _ = std::fs::remove_dir_all(&dir);
}
