//! MISC_CHECK: scripts run without a shell, in their own process group, stdio on
//! /dev/null, reaped through a pidfd, SIGTERM then SIGKILL at the timeout.

mod support;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use lvsmon::model::config::{CheckKind, MiscCheck, Script};
use support::*;

fn misc(argv: &[&str], timeout_ms: u64, dynamic: bool) -> CheckKind {
    CheckKind::Misc(MiscCheck {
        script: Script {
            argv: argv.iter().map(|s| s.to_string()).collect(),
            user: None,
            group: None,
        },
        timeout: Some(Duration::from_millis(timeout_ms)),
        dynamic,
    })
}

fn sh(cmd: &str, timeout_ms: u64, dynamic: bool) -> String {
    let kind = misc(&["/bin/sh", "-c", cmd], timeout_ms, dynamic);
    let o = run(&check(kind, "127.0.0.1:1".parse().unwrap(), 1000));
    verdict(&o)
}

/// A fresh scratch directory under the target dir.
fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn gone(pid: u32) -> bool {
    // Absent, or at worst a zombie of some other parent (init reaps it).
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(stat) => stat
            .rsplit(')')
            .next()
            .unwrap()
            .trim_start()
            .starts_with('Z'),
    }
}

/// Our direct child no longer exists at all (reaped).
fn reaped(pid: u32) -> bool {
    std::fs::metadata(format!("/proc/{pid}")).is_err()
}

fn wait_gone(pid: u32) -> bool {
    let until = Instant::now() + Duration::from_secs(3);
    while Instant::now() < until {
        if gone(pid) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    false
}

#[test]
fn exit_codes() {
    assert_eq!(sh("exit 0", 2000, false), "up");
    assert_eq!(sh("exit 1", 2000, false), "script exited with 1");
    assert_eq!(sh("exit 5", 2000, false), "script exited with 5");
    assert_eq!(sh("kill -9 $$", 2000, false), "script killed by signal 9");
}

#[test]
fn dynamic_exit_codes() {
    assert_eq!(sh("exit 0", 2000, true), "up");
    assert_eq!(sh("exit 1", 2000, true), "script exited with 1");
    assert_eq!(sh("exit 5", 2000, true), "up weight 3");
    assert_eq!(sh("exit 2", 2000, true), "up weight 0");
    assert_eq!(sh("exit 255", 2000, true), "up weight 253");
}

#[test]
fn no_shell_and_exec_failure() {
    // The argv goes to execvp as is: no word splitting, no globbing.
    let dir = scratch("misc_argv");
    let out = dir.join("args");
    let kind = misc(
        &[
            "/bin/sh",
            "-c",
            "printf '%s|' \"$@\" > \"$0\"",
            out.to_str().unwrap(),
            "two words",
            "*",
        ],
        2000,
        false,
    );
    assert_eq!(
        verdict(&run(&check(kind, "127.0.0.1:1".parse().unwrap(), 1000))),
        "up"
    );
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "two words|*|");
    let kind = misc(&["/nonexistent/script"], 2000, false);
    assert_eq!(
        verdict(&run(&check(kind, "127.0.0.1:1".parse().unwrap(), 1000))),
        "script exited with 127"
    );
    // PATH lookup as keepalived's execvp does.
    let kind = misc(&["true"], 2000, false);
    assert_eq!(
        verdict(&run(&check(kind, "127.0.0.1:1".parse().unwrap(), 1000))),
        "up"
    );
}

#[test]
fn hanging_script_is_killed_at_timeout() {
    let dir = scratch("misc_hang");
    let pidfile = dir.join("pid");
    let cmd = format!("echo $$ > {}; exec sleep 30", pidfile.display());
    let begun = Instant::now();
    assert_eq!(sh(&cmd, 300, false), "timeout after 300 ms");
    assert!(begun.elapsed() < Duration::from_secs(5));
    let pid: u32 = std::fs::read_to_string(&pidfile)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    // Our own child: reaped, so not even a zombie is left.
    assert!(reaped(pid), "script {pid} still running or not reaped");
}

#[test]
fn script_ignoring_sigterm_gets_sigkill() {
    let dir = scratch("misc_term");
    let pidfile = dir.join("pid");
    let cmd = format!(
        "trap '' TERM; echo $$ > {}; while :; do sleep 0.05; done",
        pidfile.display()
    );
    let begun = Instant::now();
    assert_eq!(sh(&cmd, 300, false), "timeout after 300 ms");
    // Timeout, then the SIGTERM grace, then SIGKILL: well under the bound.
    assert!(begun.elapsed() < Duration::from_secs(5));
    let pid: u32 = std::fs::read_to_string(&pidfile)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert!(reaped(pid), "script {pid} still running or not reaped");
}

#[test]
fn grandchild_holding_stdout_does_not_delay_the_verdict() {
    let dir = scratch("misc_grandchild");
    let pidfile = dir.join("pid");
    // The background sleep keeps the script's stdout open and outlives it.
    let cmd = format!("sleep 30 & echo $! > {}; exit 0", pidfile.display());
    let begun = Instant::now();
    assert_eq!(sh(&cmd, 2000, false), "up");
    assert!(begun.elapsed() < Duration::from_millis(2000));
    let pid: u32 = std::fs::read_to_string(&pidfile)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    // Killed with the script's process group, not left behind.
    assert!(wait_gone(pid), "grandchild {pid} left running");
}

#[test]
fn hanging_grandchild_is_killed_with_the_group() {
    let dir = scratch("misc_hang_group");
    let pidfile = dir.join("pid");
    let cmd = format!("sleep 30 & echo $! > {}; wait", pidfile.display());
    assert_eq!(sh(&cmd, 300, false), "timeout after 300 ms");
    let pid: u32 = std::fs::read_to_string(&pidfile)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert!(wait_gone(pid), "grandchild {pid} left running");
}

#[test]
fn printing_a_lot_does_not_block() {
    assert_eq!(
        sh(
            "head -c 20000000 /dev/zero; head -c 1000000 /dev/zero >&2; exit 0",
            5000,
            false
        ),
        "up"
    );
}

#[test]
fn stdio_is_dev_null_and_no_descriptor_leaks() {
    // Other tests open sockets in parallel threads: all must be close-on-exec.
    let _busy = Server::start(Mode::Stall);
    let dir = scratch("misc_fds");
    let out = dir.join("fds");
    let cmd = format!(
        "for f in 0 1 2; do [ \"$(readlink /proc/$$/fd/$f)\" = /dev/null ] || exit 1; done; \
         ls -l /proc/$$/fd > {}; exit 0",
        out.display()
    );
    assert_eq!(sh(&cmd, 2000, false), "up");
    let text = std::fs::read_to_string(&out).unwrap();
    // Neither lvsmon's sockets, epoll and pidfds (close-on-exec) nor descriptors the
    // test process inherited (cargo's jobserver pipe) reach the script.
    for leak in ["socket:", "pipe:", "anon_inode:"] {
        assert!(
            !text.contains(leak),
            "descriptor leaked into the script:\n{text}"
        );
    }
}

#[test]
fn runs_as_user() {
    let dir = scratch("misc_user");
    std::fs::set_permissions(&dir, std::os::unix::fs::PermissionsExt::from_mode(0o777)).unwrap();
    let out = dir.join("id");
    let kind = CheckKind::Misc(MiscCheck {
        script: Script {
            argv: vec![
                "/bin/sh".into(),
                "-c".into(),
                format!("id -u > {0}; id -g >> {0}", out.display()),
            ],
            user: Some("nobody".into()),
            group: Some("nogroup".into()),
        },
        timeout: Some(Duration::from_millis(2000)),
        dynamic: false,
    });
    assert_eq!(
        verdict(&run(&check(kind, "127.0.0.1:1".parse().unwrap(), 1000))),
        "up"
    );
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "65534\n65534\n");
}

#[test]
fn unknown_user_is_a_local_error() {
    let kind = CheckKind::Misc(MiscCheck {
        script: Script {
            argv: vec!["/bin/true".into()],
            user: Some("no-such-user-lvsmon".into()),
            group: None,
        },
        timeout: Some(Duration::from_millis(2000)),
        dynamic: false,
    });
    assert_eq!(
        verdict(&run(&check(kind, "127.0.0.1:1".parse().unwrap(), 1000))),
        "local error: No such file or directory (os error 2)"
    );
}

#[test]
fn timeout_defaults_to_delay_loop() {
    let mut c = check(
        misc(&["/bin/sleep", "30"], 1, false),
        "127.0.0.1:1".parse().unwrap(),
        1000,
    );
    if let CheckKind::Misc(m) = &mut c.kind {
        m.timeout = None;
    }
    c.delay_loop = Duration::from_millis(400);
    assert_eq!(verdict(&run(&c)), "timeout after 400 ms");
}

#[test]
fn cancel_kills_and_reaps_the_script() {
    use lvsmon::probe::{ProbeSlot, Step};
    use mio::{Poll, Token};

    let dir = scratch("misc_cancel");
    let pidfile = dir.join("pid");
    let cmd = format!(
        "echo $$ > {}.tmp; mv {0}.tmp {0}; sleep 30 & wait",
        pidfile.display()
    );
    let c = check(
        misc(&["/bin/sh", "-c", &cmd], 5000, false),
        "127.0.0.1:1".parse().unwrap(),
        1000,
    );
    let poll = Poll::new().unwrap();
    let mut slot = ProbeSlot::new();
    assert_eq!(
        slot.start(&c, poll.registry(), Token(1), Instant::now()),
        Step::Pending
    );
    let until = Instant::now() + Duration::from_secs(3);
    while !pidfile.exists() || std::fs::read_to_string(&pidfile).unwrap().trim().is_empty() {
        assert!(Instant::now() < until, "script did not start");
        std::thread::sleep(Duration::from_millis(10));
    }
    let pid: u32 = std::fs::read_to_string(&pidfile)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    slot.cancel(poll.registry());
    assert!(slot.is_idle());
    // Reaped by cancel itself: not even a zombie.
    assert!(
        std::fs::metadata(format!("/proc/{pid}")).is_err(),
        "script {pid} not reaped"
    );
}

#[test]
fn dropping_a_busy_slot_reaps_its_script() {
    use lvsmon::probe::{ProbeSlot, Step};
    use mio::{Poll, Token};

    let dir = scratch("misc_drop");
    let pidfile = dir.join("pid");
    let cmd = format!(
        "echo $$ > {}.tmp; mv {0}.tmp {0}; exec sleep 30",
        pidfile.display()
    );
    let c = check(
        misc(&["/bin/sh", "-c", &cmd], 5000, false),
        "127.0.0.1:1".parse().unwrap(),
        1000,
    );
    let poll = Poll::new().unwrap();
    let mut slot = ProbeSlot::new();
    assert_eq!(
        slot.start(&c, poll.registry(), Token(1), Instant::now()),
        Step::Pending
    );
    let until = Instant::now() + Duration::from_secs(3);
    while !pidfile.exists() {
        assert!(Instant::now() < until, "script did not start");
        std::thread::sleep(Duration::from_millis(10));
    }
    let pid: u32 = std::fs::read_to_string(&pidfile)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    drop(slot);
    assert!(reaped(pid), "script {pid} not reaped");
}
