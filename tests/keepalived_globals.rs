//! Issue 12, the global_defs keepalived has and lvsmon now honours, through a whole
//! daemon in --dry-run: `lvs_flush` (the table is flushed before anything is added),
//! `lvs_flush_on_stop VS` (each service deleted whole at exit, no real server removed
//! first), `lvs_notify_fifo` + `lvs_notify_fifo_script` (keepalived's `RS ...` / `VS ...`
//! lines, read by the script from the FIFO it is given), and track_file `init_file`.

mod common;

use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::time::Duration;

use common::{free_port, scratch, Daemon, RealServer};

const LIMIT: Duration = Duration::from_secs(30);

#[test]
fn flush_fifo_and_init_file_behave_as_keepalived_s() {
    let dir = scratch("kglobals");
    let port = free_port();
    let up = format!("127.0.0.2:{}", port);
    let _server = RealServer::start(up.parse().unwrap());
    let fifo = dir.join("lvs.fifo");
    let lines = dir.join("lines");
    let reader = dir.join("reader.sh");
    std::fs::write(
        &reader,
        format!("#!/bin/sh\nexec cat \"$1\" > {}\n", lines.display()),
    )
    .unwrap();
    std::fs::set_permissions(&reader, std::fs::Permissions::from_mode(0o755)).unwrap();
    let tracked = dir.join("tracked");
    let text = format!(
        "global_defs {{\n  lvs_flush\n  lvs_flush_on_stop VS\n  lvs_notify_fifo {fifo}\n  lvs_notify_fifo_script {reader}\n}}\n\
         track_file t {{\n  file {tracked}\n  init_file 3\n}}\n\
         virtual_server 192.0.2.10 80 {{\n  delay_loop 1\n  lb_algo rr\n  lb_kind NAT\n  protocol TCP\n\
           real_server 127.0.0.2 {port} {{\n    TCP_CHECK {{\n      connect_timeout 1\n      retry 0\n    }}\n  }}\n\
           real_server 127.0.0.3 {port} {{\n    TCP_CHECK {{\n      connect_timeout 1\n      retry 0\n    }}\n  }}\n}}\n",
        fifo = fifo.display(),
        reader = reader.display(),
        tracked = tracked.display(),
    );
    let d = Daemon::start(&dir, &text);
    // init_file: written before the checks start.
    assert_eq!(std::fs::read_to_string(&tracked).unwrap(), "3\n");
    assert!(std::fs::metadata(&fifo).unwrap().file_type().is_fifo());
    let want = format!("RS [127.0.0.3]:tcp:{} [192.0.2.10]:tcp:80 DOWN\n", port);
    d.wait_for("the DOWN line on the FIFO", LIMIT, |_| {
        std::fs::read_to_string(&lines).is_ok_and(|t| t.contains(&want))
    });
    // Only transitions are written: the healthy server, up from the start, has no line.
    let got = std::fs::read_to_string(&lines).unwrap();
    assert_eq!(got, want, "{}", got);
    let ops = d.ops();
    assert_eq!(ops[0], "-C", "{:#?}", ops);
    assert_eq!(ops[1], "-A -t 192.0.2.10:80 -s rr", "{:#?}", ops);
    let before = ops.len();
    assert_eq!(d.stop(), 0);
    let log = std::fs::read_to_string(dir.join("lvsmon.log")).unwrap();
    let after: Vec<String> = log
        .lines()
        .filter_map(|l| l.split_once("dry-run: ").map(|(_, op)| op.to_string()))
        .collect();
    assert_eq!(after[before..], ["-D -t 192.0.2.10:80"], "{}", log);
    // The FIFO lvsmon made is gone with it.
    assert!(!fifo.exists());
}
