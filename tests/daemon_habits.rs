//! Daemon habits: the pid file refuses a second lvsmon and is taken over when stale,
//! `--daemon` detaches and still serves the control socket, SIGUSR1 writes the state table
//! to the log, SIGTERM without --keep-on-exit removes what lvsmon added, the daemon keeps
//! transparent huge pages off and raises its open-file limit for its probes, and its
//! scripts inherit neither.

mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{free_port, scratch, Daemon, RealServer, LVSMON};

const LIMIT: Duration = Duration::from_secs(30);

fn config(port: u16, addr: &str) -> String {
    format!(
        "virtual_server 192.0.2.30 80 {{\n  delay_loop 1\n  lb_kind NAT\n  protocol TCP\n  real_server {addr} {port} {{\n    TCP_CHECK {{\n      connect_timeout 1\n    }}\n  }}\n}}\n"
    )
}

fn wait(what: &str, mut cond: impl FnMut() -> bool) {
    let until = Instant::now() + LIMIT;
    while Instant::now() < until {
        if cond() {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("timed out waiting for {}", what);
}

#[test]
fn pid_file_refuses_a_second_daemon_and_is_removed_on_exit() {
    let dir = scratch("pidfile");
    let port = free_port();
    let _rs = RealServer::start(format!("127.0.3.1:{port}").parse().unwrap());
    let cfg = dir.join("lvsmon.conf");
    std::fs::write(&cfg, config(port, "127.0.3.1")).unwrap();
    let pid_file = dir.join("lvsmon.pid");
    let run = |sock: &str| {
        Command::new(LVSMON)
            .args(["run", "--dry-run", "-f"])
            .arg(&cfg)
            .arg("--pid-file")
            .arg(&pid_file)
            .arg("--control")
            .arg(dir.join(sock))
            .arg("--log-file")
            .arg(dir.join(format!("{sock}.log")))
            .stdin(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let mut first = run("a.sock");
    wait("pid file", || {
        std::fs::read_to_string(&pid_file)
            .ok()
            .map(|s| s.trim().to_string())
            == Some(first.id().to_string())
    });
    let second = run("b.sock").wait_with_output().unwrap();
    assert_eq!(second.status.code(), Some(2));
    let err = String::from_utf8_lossy(&second.stderr);
    assert!(
        err.contains(&format!(
            "lvsmon is already running with pid {}",
            first.id()
        )),
        "{}",
        err
    );
    // TERM: the first exits 0 and removes its pid file.
    Command::new("kill")
        .args(["-TERM", &first.id().to_string()])
        .status()
        .unwrap();
    let status = first.wait().unwrap();
    assert_eq!(status.code(), Some(0));
    assert!(!pid_file.exists());
}

#[test]
fn daemon_mode_detaches_and_serves_status() {
    let dir = scratch("daemonize");
    let port = free_port();
    let rs_addr = format!("127.0.3.2:{port}");
    let _rs = RealServer::start(rs_addr.parse().unwrap());
    let cfg = dir.join("lvsmon.conf");
    std::fs::write(&cfg, config(port, "127.0.3.2")).unwrap();
    let pid_file = dir.join("lvsmon.pid");
    let sock = dir.join("lvsmon.sock");
    let log = dir.join("lvsmon.log");
    let started = Instant::now();
    let parent = Command::new(LVSMON)
        .args(["run", "--daemon", "--dry-run", "-f"])
        .arg(&cfg)
        .arg("--pid-file")
        .arg(&pid_file)
        .arg("--control")
        .arg(&sock)
        .arg("--log-file")
        .arg(&log)
        .status()
        .unwrap();
    assert_eq!(parent.code(), Some(0));
    assert!(started.elapsed() < LIMIT);
    wait("pid file", || pid_file.exists() && sock.exists());
    let pid: u32 = std::fs::read_to_string(&pid_file)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap();
    assert_eq!(comm.trim(), "lvsmon");
    // Detached: a session leader of its own is not (double fork), and not our child.
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let fields: Vec<&str> = stat
        .rsplit(')')
        .next()
        .unwrap()
        .split_whitespace()
        .collect();
    let (ppid, sid): (u32, u32) = (fields[1].parse().unwrap(), fields[3].parse().unwrap());
    assert_ne!(ppid, std::process::id());
    assert_ne!(
        sid, pid,
        "a double-forked daemon is not its session's leader"
    );
    wait("status answers", || {
        Command::new(LVSMON)
            .args(["status", "--control"])
            .arg(&sock)
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).contains(&rs_addr))
            .unwrap_or(false)
    });
    Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .unwrap();
    wait("daemon exit", || {
        !std::path::Path::new(&format!("/proc/{pid}")).exists() || !pid_file.exists()
    });
    wait("pid file removed", || !pid_file.exists());
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(text.contains("lvsmon stopped"), "{}", text);
}

#[test]
fn usr1_logs_the_state_table_and_term_removes_what_was_added() {
    let dir = scratch("usr1");
    let port = free_port();
    let rs_addr = format!("127.0.3.3:{port}");
    let _rs = RealServer::start(rs_addr.parse().unwrap());
    let d = Daemon::start(&dir, &config(port, "127.0.3.3"));
    d.wait_for("in table", LIMIT, |d| {
        d.real(&rs_addr).get("in_table").as_bool() == Some(true)
    });
    let before = d.log_text().len();
    d.signal("USR1");
    d.wait_for("state table", LIMIT, |d| {
        d.log_text()[before..].contains(&rs_addr)
    });
    let ops_before = d.ops().len();
    let log = d.log.clone();
    assert_eq!(d.stop(), 0);
    let text = std::fs::read_to_string(&log).unwrap();
    let ops: Vec<&str> = text
        .lines()
        .filter_map(|l| l.split_once("dry-run: ").map(|(_, op)| op))
        .collect();
    // Deleting the service removes its destinations with it (the kernel does).
    assert_eq!(&ops[ops_before..], ["-D -t 192.0.2.30:80"], "{}", text);
}

#[test]
fn global_defs_sync_daemon_and_timeouts_are_applied_and_stopped_at_exit() {
    let dir = scratch("globals");
    let port = free_port();
    let _rs = RealServer::start(format!("127.0.3.4:{port}").parse().unwrap());
    let text = format!(
        "global_defs {{\n  router_id test\n  lvs_sync_daemon eth0 id 7\n  lvs_timeouts tcp 900 tcpfin 30 udp 60\n}}\n{}",
        config(port, "127.0.3.4")
    );
    let d = Daemon::start(&dir, &text);
    d.wait_for("daemons started", LIMIT, |d| {
        let ops = d.ops();
        ops.iter()
            .any(|o| o.starts_with("--start-daemon master --mcast-interface eth0 --syncid 7"))
            && ops
                .iter()
                .any(|o| o.starts_with("--start-daemon backup --mcast-interface eth0 --syncid 7"))
            && ops.iter().any(|o| o == "--set 900 30 60")
    });
    let log = d.log.clone();
    assert_eq!(d.stop(), 0);
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(text.contains("dry-run: --stop-daemon master"), "{}", text);
    assert!(text.contains("dry-run: --stop-daemon backup"), "{}", text);
}

/// Issue 15: a sync daemon tied to a VRRP instance is keepalived -P's; lvsmon starts and
/// stops none (as keepalived's own checker), and says so.
#[test]
fn a_sync_daemon_named_for_a_vrrp_instance_is_left_to_keepalived() {
    let dir = scratch("globals-vrrp");
    let port = free_port();
    let _rs = RealServer::start(format!("127.0.3.5:{port}").parse().unwrap());
    let text = format!(
        "global_defs {{\n  lvs_sync_daemon eth0 VI_1 id 7\n  lvs_timeouts tcp 900 tcpfin 30 udp 60\n}}\n{}",
        config(port, "127.0.3.5")
    );
    let d = Daemon::start(&dir, &text);
    d.wait_for("timeouts set", LIMIT, |d| {
        d.ops().iter().any(|o| o == "--set 900 30 60")
    });
    let log = d.log.clone();
    assert_eq!(d.stop(), 0);
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(!text.contains("-daemon"), "{}", text);
    assert!(
        text.contains("lvs_sync_daemon names VRRP instance VI_1: keepalived's VRRP half (keepalived -P) runs the sync daemon in that instance's role, so lvsmon starts and stops none (none runs now: is keepalived -P running?)"),
        "{}",
        text
    );
}

#[test]
fn a_hup_sent_as_soon_as_the_pid_file_exists_reloads() {
    // 4096 real servers without checks: building the director takes long enough that a
    // HUP sent the moment the pid file appears would land before the handlers were in
    // place if they came after the pid file (HUP's default action ends the process).
    let dir = scratch("early-hup");
    let mut text = String::from("virtual_server 192.0.2.31 80 {\n  lb_kind NAT\n  protocol TCP\n");
    for i in 0..4096u32 {
        text.push_str(&format!(
            "  real_server 127.9.{}.{} 80 {{\n  }}\n",
            i / 250,
            i % 250 + 1
        ));
    }
    text.push_str("}\n");
    let cfg = dir.join("lvsmon.conf");
    std::fs::write(&cfg, text).unwrap();
    let pid_file = dir.join("lvsmon.pid");
    let log = dir.join("lvsmon.log");
    let mut child = Command::new(LVSMON)
        .args(["run", "--dry-run", "-f"])
        .arg(&cfg)
        .arg("--pid-file")
        .arg(&pid_file)
        .arg("--control")
        .arg(dir.join("lvsmon.sock"))
        .arg("--log-file")
        .arg(&log)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let until = Instant::now() + LIMIT;
    while !pid_file.exists() {
        assert!(Instant::now() < until, "no pid file");
        std::thread::sleep(Duration::from_micros(200));
    }
    Command::new("kill")
        .args(["-HUP", &child.id().to_string()])
        .status()
        .unwrap();
    wait("the reload", || {
        std::fs::read_to_string(&log)
            .map(|t| t.contains("reloaded "))
            .unwrap_or(false)
    });
    assert!(
        child.try_wait().unwrap().is_none(),
        "lvsmon ended on the HUP"
    );
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0));
}

/// The `THP_enabled` line of /proc/PID/status (Linux 5.0+): "1" unless the process asked
/// for no transparent huge pages.
fn thp_enabled(status: &str) -> Option<String> {
    status
        .lines()
        .find_map(|l| l.strip_prefix("THP_enabled:"))
        .map(|v| v.trim().to_string())
}

#[test]
fn the_daemon_keeps_huge_pages_off_and_its_scripts_do_not_inherit_that() {
    let own = std::fs::read_to_string("/proc/self/status").unwrap();
    assert!(
        thp_enabled(&own).is_some(),
        "this kernel's /proc/PID/status has no THP_enabled line:\n{own}"
    );
    let dir = scratch("thp");
    let seen = dir.join("script-status");
    let d = common::Daemon::start(&dir, &script_copying(&dir, "status", &seen));
    let daemon = std::fs::read_to_string(format!("/proc/{}/status", d.child.id())).unwrap();
    assert_eq!(thp_enabled(&daemon).as_deref(), Some("0"), "{daemon}");
    wait("the script's status", || seen.exists());
    let child = std::fs::read_to_string(&seen).unwrap();
    assert_eq!(thp_enabled(&child).as_deref(), Some("1"), "{child}");
    assert_eq!(d.stop(), 0);
}

/// The soft "Max open files" of /proc/PID/limits (or of a copy of it).
fn soft_nofile(limits: &str) -> u64 {
    let line = limits
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .unwrap_or_else(|| panic!("no 'Max open files' in:\n{limits}"));
    line["Max open files".len()..]
        .split_whitespace()
        .next()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("bad line: {line}"))
}

/// A config whose one real server is checked by a MISC_CHECK script that copies its own
/// /proc/PID/`file` to `seen`: what a script lvsmon starts inherits.
fn script_copying(dir: &std::path::Path, file: &str, seen: &std::path::Path) -> String {
    let script = dir.join("check.sh");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\ncat /proc/$$/{file} > {0}.tmp\nmv {0}.tmp {0}\n",
            seen.display()
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    format!(
        "virtual_server 192.0.2.32 80 {{\n  delay_loop 1\n  lb_kind NAT\n  protocol TCP\n  real_server 127.0.3.9 80 {{\n    MISC_CHECK {{\n      misc_path {}\n    }}\n  }}\n}}\n",
        script.display()
    )
}

#[test]
fn the_daemon_raises_its_open_file_limit_for_its_probes_and_scripts_get_the_old_one() {
    use lvsmon::model::limits::{FD_RESERVE, MAX_IN_FLIGHT};
    let want = (MAX_IN_FLIGHT + FD_RESERVE) as u64;
    let own = std::fs::read_to_string("/proc/self/limits").unwrap();
    let hard: u64 = own
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .and_then(|l| l.split_whitespace().nth(4))
        .and_then(|v| v.parse().ok())
        .expect("hard open-file limit");
    assert!(
        hard >= want,
        "this test needs a hard open-file limit of at least {want} (have {hard})"
    );
    // The daemon started after `ulimit`, and the open-file limits of the first script it
    // ran (which also shows that checks run).
    let start = |name: &str, ulimit: &str| {
        let dir = scratch(name);
        let seen = dir.join("script-limits");
        let d = common::Daemon::start_after(&dir, &script_copying(&dir, "limits", &seen), ulimit);
        wait("the script's limits", || seen.exists());
        let child = std::fs::read_to_string(&seen).unwrap();
        (d, child)
    };
    // Started with a soft limit of 300 (as a daemon manager might): lvsmon raises it to
    // what its probes need; the script it runs sees 300 again.
    let (d, child) = start("nofile", "ulimit -S -n 300");
    let daemon = std::fs::read_to_string(format!("/proc/{}/limits", d.child.id())).unwrap();
    assert_eq!(soft_nofile(&daemon), want, "{daemon}");
    assert_eq!(soft_nofile(&child), 300, "{child}");
    assert!(
        !d.log_text().contains("probes in flight"),
        "{}",
        d.log_text()
    );
    assert_eq!(d.stop(), 0);

    // A hard limit below that: fewer probe slots, said in the log, and checks still run.
    let (d, child) = start("nofile-hard", "ulimit -n 200");
    let n = 200 - FD_RESERVE;
    d.wait_for("the warning", LIMIT, |d| {
        d.log_text().contains(&format!(
            "open-file limit 200 (hard limit): at most {n} probes in flight instead of {MAX_IN_FLIGHT}"
        ))
    });
    assert_eq!(soft_nofile(&child), 200, "{child}");
    assert_eq!(d.stop(), 0);
}
