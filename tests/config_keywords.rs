//! Table tests: every keyword of keepalived's LVS grammar with its value and its default,
//! through the public `config::parse_str` API.

use std::time::Duration;

use lvsmon::config::parse_str;
use lvsmon::model::config::{CheckKind, Config};

/// A service with one real server; `vs`, `rs` and `check` are spliced in.
fn cfg(vs: &str, rs: &str, check: &str) -> Config {
    let src = format!(
        "virtual_server 192.0.2.10 80 {{\n protocol TCP\n {vs}\n real_server 198.51.100.2 80 {{\n  {rs}\n  {check}\n }}\n}}\n"
    );
    match parse_str("t.conf", &src) {
        Ok(c) => c,
        Err(e) => panic!("{}\n--- source ---\n{}", e, src),
    }
}

type Getter = fn(&Config) -> String;

fn run(table: &[(&str, &str, &str, Getter, &str)]) {
    let mut failed = Vec::new();
    for (i, (vs, rs, check, get, want)) in table.iter().enumerate() {
        let c = cfg(vs, rs, check);
        let got = get(&c);
        if got != *want {
            failed.push(format!(
                "row {}: vs={:?} rs={:?} check={:?}: got {} want {}",
                i, vs, rs, check, got, want
            ));
        }
    }
    assert!(failed.is_empty(), "{}", failed.join("\n"));
}

/// Warnings other than keepalived's two defaults for a service without lb_algo / lb_kind
/// (the template omits both so the defaults themselves can be tested).
fn nwarn(c: &Config) -> usize {
    c.warnings
        .iter()
        .filter(|w| !w.contains("has no 'lb_algo'") && !w.contains("has no 'lb_kind'"))
        .count()
}

fn vs0(c: &Config) -> &lvsmon::model::config::VirtualServer {
    &c.services[0]
}
fn rs0(c: &Config) -> &lvsmon::model::config::RealServer {
    &c.services[0].reals[0]
}
fn ck0(c: &Config) -> &lvsmon::model::config::Check {
    &c.services[0].reals[0].checks[0]
}
fn http0(c: &Config) -> &lvsmon::model::config::HttpCheck {
    match &ck0(c).kind {
        CheckKind::Http(h) => h,
        other => panic!("not HTTP: {:?}", other),
    }
}

const TCP: &str = "TCP_CHECK { }";
const HTTP: &str = "HTTP_GET { url { path / } }";

#[test]
fn virtual_server_keywords_and_defaults() {
    let t: &[(&str, &str, &str, Getter, &str)] = &[
        ("", "", "", |c| vs0(c).sched.to_string(), "wlc"),
        ("lb_algo rr", "", "", |c| vs0(c).sched.to_string(), "rr"),
        ("lvs_sched wrr", "", "", |c| vs0(c).sched.to_string(), "wrr"),
        ("lvs_sched mh", "", "", |c| vs0(c).sched.to_string(), "mh"),
        ("", "", "", |c| format!("{:?}", vs0(c).forward), "Masq"),
        ("lb_kind DR", "", "", |c| format!("{:?}", vs0(c).forward), "Route"),
        ("lvs_method TUN", "", "", |c| format!("{:?}", vs0(c).forward), "Tunnel"),
        (
            "lvs_method TUN type gue port 6080 csum",
            "",
            "",
            |c| format!("{:?}", vs0(c).tunnel),
            "TunnelSpec { kind: Gue, port: 6080, flags: 1 }",
        ),
        ("", "", "", |c| format!("{:?}", vs0(c).protocol), "Tcp"),
        ("protocol udp", "", "", |c| format!("{:?}", vs0(c).protocol), "Udp"),
        ("protocol SCTP", "", "", |c| format!("{:?}", vs0(c).protocol), "Sctp"),
        ("", "", "", |c| format!("{:?}", vs0(c).persistence_timeout), "None"),
        ("persistence_timeout", "", "", |c| format!("{:?}", vs0(c).persistence_timeout), "Some(360)"),
        ("persistence_timeout 50", "", "", |c| format!("{:?}", vs0(c).persistence_timeout), "Some(50)"),
        (
            "persistence_granularity 255.255.255.0",
            "",
            "",
            |c| format!("{:x?} {:?}", vs0(c).persistence_granularity, vs0(c).persistence_timeout),
            "Some(ffffff00) Some(360)",
        ),
        ("persistence_engine sip", "", "", |c| format!("{:?}", vs0(c).persistence_engine), "Some(\"sip\")"),
        ("", "", "", |c| format!("{}", vs0(c).svc_flags), "0"),
        ("flag-1\nflag-2\nflag-3", "", "", |c| format!("{:#x}", vs0(c).svc_flags), "0x38"),
        // keepalived 2.2.7: `hashed` sets no bit (the kernel hashes every service); with a
        // scheduler other than sh/mh, and sh-port before `lvs_sched sh`, it complains.
        ("hashed", "", "", |c| format!("{:#x} {}", vs0(c).svc_flags, nwarn(c)), "0x0 1"),
        ("lvs_sched sh\nhashed", "", "", |c| format!("{:#x} {}", vs0(c).svc_flags, nwarn(c)), "0x0 0"),
        ("lvs_sched sh\nsh-port\nsh-fallback", "", "", |c| format!("{:#x}", vs0(c).svc_flags), "0x18"),
        ("sh-port\nlvs_sched sh", "", "", |c| format!("{:#x} {}", vs0(c).svc_flags, nwarn(c)), "0x0 1"),
        ("lvs_sched mh\nmh-fallback", "", "", |c| format!("{:#x}", vs0(c).svc_flags), "0x8"),
        ("protocol UDP\nops", "", "", |c| format!("{:#x}", vs0(c).svc_flags), "0x4"),
        ("ops", "", "", |c| format!("{:#x} {}", vs0(c).svc_flags, nwarn(c)), "0x0 1"),
        ("", "", "", |c| format!("{:?}", vs0(c).virtualhost), "None"),
        ("virtualhost www.example.org", "", "", |c| format!("{:?}", vs0(c).virtualhost), "Some(\"www.example.org\")"),
        ("", "", "", |c| format!("{} {}", vs0(c).alpha, vs0(c).omega), "false false"),
        ("alpha\nomega", "", "", |c| format!("{} {}", vs0(c).alpha, vs0(c).omega), "true true"),
        ("", "", "", |c| format!("{} {}", vs0(c).quorum, vs0(c).hysteresis), "1 0"),
        (
            "quorum 3\nhysteresis 1",
            "weight 5",
            "",
            |c| format!("{} {}", vs0(c).quorum, vs0(c).hysteresis),
            "3 1",
        ),
        // keepalived lowers a quorum above the total weight, and hysteresis to quorum - 1.
        ("quorum 3\nhysteresis 5", "", "", |c| format!("{} {} {}", vs0(c).quorum, vs0(c).hysteresis, nwarn(c)), "1 0 2"),
        ("", "", "", |c| format!("{:?}", vs0(c).quorum_up), "None"),
        (
            "quorum_up \"/bin/up.sh 'a b' c\" nobody nogroup",
            "",
            "",
            |c| format!("{:?}", vs0(c).quorum_up),
            "Some(Script { argv: [\"/bin/up.sh\", \"a b\", \"c\"], user: Some(\"nobody\"), group: Some(\"nogroup\") })",
        ),
        (
            "quorum_down /bin/down.sh",
            "",
            "",
            |c| format!("{:?}", vs0(c).quorum_down),
            "Some(Script { argv: [\"/bin/down.sh\"], user: None, group: None })",
        ),
        ("", "", "", |c| format!("{}", vs0(c).inhibit_on_failure), "false"),
        ("inhibit_on_failure", "", "", |c| format!("{} {}", vs0(c).inhibit_on_failure, rs0(c).inhibit_on_failure), "true true"),
        ("", "", "", |c| format!("{:?}", vs0(c).sorry_server), "None"),
        (
            "sorry_server 127.0.0.1 8080",
            "",
            "",
            |c| {
                let s = vs0(c).sorry_server.as_ref().unwrap();
                format!("{} {:?} {}", s.addr, s.forward, s.inhibit)
            },
            "127.0.0.1:8080 Masq false",
        ),
        (
            "sorry_server 127.0.0.1\nsorry_server_inhibit\nsorry_server_lvs_method DR",
            "",
            "",
            |c| {
                let s = vs0(c).sorry_server.as_ref().unwrap();
                format!("{} {:?} {}", s.addr, s.forward, s.inhibit)
            },
            "127.0.0.1:80 Route true",
        ),
        ("sorry_server 127.0.0.1", "", "", |c| vs0(c).sorry_server.as_ref().unwrap().addr.to_string(), "127.0.0.1:80"),
        ("ha_suspend\nsmtp_alert\nsnmp_name foo", "", "", |c| nwarn(c).to_string(), "3"),
        ("ip_family inet", "", "", |c| vs0(c).sched.to_string(), "wlc"),
    ];
    run(t);
}

#[test]
fn real_server_keywords_and_defaults() {
    let t: &[(&str, &str, &str, Getter, &str)] = &[
        ("", "", "", |c| rs0(c).addr.to_string(), "198.51.100.2:80"),
        ("", "", "", |c| rs0(c).weight.to_string(), "1"),
        ("", "weight 3", "", |c| rs0(c).weight.to_string(), "3"),
        ("", "weight 0", "", |c| rs0(c).weight.to_string(), "0"),
        ("weight 7", "", "", |c| rs0(c).weight.to_string(), "7"),
        ("", "", "", |c| format!("{:?}", rs0(c).forward), "Masq"),
        ("lb_kind DR", "", "", |c| format!("{:?}", rs0(c).forward), "Route"),
        ("lb_kind DR", "lvs_method NAT", "", |c| format!("{:?}", rs0(c).forward), "Masq"),
        (
            "lvs_method TUN type gue port 5555 nocsum",
            "",
            "",
            |c| format!("{:?} {:?}", rs0(c).forward, rs0(c).tunnel),
            "Tunnel TunnelSpec { kind: Gue, port: 5555, flags: 0 }",
        ),
        (
            "",
            "lvs_method TUN type gre csum",
            "",
            |c| format!("{:?} {:?}", rs0(c).forward, rs0(c).tunnel),
            "Tunnel TunnelSpec { kind: Gre, port: 0, flags: 1 }",
        ),
        ("", "", "", |c| format!("{}", rs0(c).inhibit_on_failure), "false"),
        ("", "inhibit_on_failure", "", |c| format!("{}", rs0(c).inhibit_on_failure), "true"),
        ("inhibit_on_failure", "inhibit_on_failure off", "", |c| format!("{}", rs0(c).inhibit_on_failure), "false"),
        ("", "", "", |c| format!("{} {}", rs0(c).uthreshold, rs0(c).lthreshold), "0 0"),
        ("", "uthreshold 100\nlthreshold 10", "", |c| format!("{} {}", rs0(c).uthreshold, rs0(c).lthreshold), "100 10"),
        ("", "", "", |c| format!("{:?} {:?}", rs0(c).notify_up, rs0(c).notify_down), "None None"),
        (
            "",
            "notify_up \"/bin/n.sh up\"\nnotify_down /bin/d.sh root",
            "",
            |c| format!("{:?} {:?}", rs0(c).notify_up.as_ref().unwrap().argv, rs0(c).notify_down),
            "[\"/bin/n.sh\", \"up\"] Some(Script { argv: [\"/bin/d.sh\"], user: Some(\"root\"), group: None })",
        ),
        ("", "", "", |c| format!("{}", rs0(c).alpha), "false"),
        ("alpha", "", "", |c| format!("{}", rs0(c).alpha), "true"),
        ("alpha", "alpha no", "", |c| format!("{}", rs0(c).alpha), "false"),
        ("", "alpha", TCP, |c| format!("{}", rs0(c).alpha), "true"),
        ("alpha", "", "TCP_CHECK { alpha off }", |c| format!("{}", rs0(c).alpha), "false"),
        ("", "", "", |c| rs0(c).checks.len().to_string(), "0"),
        ("", "smtp_alert no\nsnmp_name x", "", |c| nwarn(c).to_string(), "2"),
    ];
    run(t);
}

fn d(s: f64) -> String {
    format!("{:?}", Duration::from_secs_f64(s))
}

#[test]
fn checker_timers_defaults_and_inheritance() {
    let t: &[(&str, &str, &str, Getter, &str)] = &[
        // defaults: delay_loop 60, connect_timeout 5, retry 1, delay_before_retry 1 s,
        // warmup = delay_loop
        ("", "", TCP, |c| format!("{:?}", ck0(c).delay_loop), "60s"),
        (
            "",
            "",
            TCP,
            |c| format!("{:?}", ck0(c).connect_timeout),
            "5s",
        ),
        ("", "", TCP, |c| ck0(c).retry.to_string(), "1"),
        (
            "",
            "",
            TCP,
            |c| format!("{:?}", ck0(c).delay_before_retry),
            "1s",
        ),
        ("", "", TCP, |c| format!("{:?}", ck0(c).warmup), "60s"),
        (
            "delay_loop 6",
            "",
            TCP,
            |c| format!("{:?}", ck0(c).warmup),
            "6s",
        ),
        (
            "",
            "",
            HTTP,
            |c| format!("{:?}", ck0(c).delay_before_retry),
            "3s",
        ),
        ("", "", HTTP, |c| ck0(c).retry.to_string(), "1"),
        ("", "", "DNS_CHECK { }", |c| ck0(c).retry.to_string(), "3"),
        (
            "delay_loop 7",
            "",
            "DNS_CHECK { }",
            |c| format!("{:?}", ck0(c).delay_before_retry),
            "7s",
        ),
        (
            "",
            "",
            "MISC_CHECK { misc_path /bin/true }",
            |c| ck0(c).retry.to_string(),
            "0",
        ),
        ("", "", "SMTP_CHECK { }", |c| ck0(c).retry.to_string(), "1"),
        ("", "", "UDP_CHECK { }", |c| ck0(c).retry.to_string(), "1"),
        ("", "", "PING_CHECK { }", |c| ck0(c).retry.to_string(), "1"),
        // virtual_server -> real_server -> checker
        (
            "delay_loop 6",
            "",
            TCP,
            |c| format!("{:?}", ck0(c).delay_loop),
            "6s",
        ),
        (
            "delay_loop 6",
            "delay_loop 4",
            TCP,
            |c| format!("{:?}", ck0(c).delay_loop),
            "4s",
        ),
        (
            "delay_loop 6",
            "delay_loop 4",
            "TCP_CHECK { delay_loop 2.5 }",
            |c| format!("{:?}", ck0(c).delay_loop),
            "2.5s",
        ),
        (
            "connect_timeout 3",
            "",
            TCP,
            |c| format!("{:?}", ck0(c).connect_timeout),
            "3s",
        ),
        (
            "connect_timeout 3",
            "connect_timeout 2",
            TCP,
            |c| format!("{:?}", ck0(c).connect_timeout),
            "2s",
        ),
        (
            "",
            "",
            "TCP_CHECK { connect_timeout 0.25 }",
            |c| format!("{:?}", ck0(c).connect_timeout),
            "250ms",
        ),
        ("retry 4", "", TCP, |c| ck0(c).retry.to_string(), "4"),
        ("retry 4", "retry 2", TCP, |c| ck0(c).retry.to_string(), "2"),
        (
            "",
            "",
            "TCP_CHECK { retry 0 }",
            |c| ck0(c).retry.to_string(),
            "0",
        ),
        (
            "",
            "",
            "HTTP_GET { nb_get_retry 5\n url { path / } }",
            |c| ck0(c).retry.to_string(),
            "5",
        ),
        (
            "retry 9",
            "",
            "DNS_CHECK { }",
            |c| ck0(c).retry.to_string(),
            "9",
        ),
        (
            "delay_before_retry 2",
            "",
            HTTP,
            |c| format!("{:?}", ck0(c).delay_before_retry),
            "2s",
        ),
        (
            "",
            "delay_before_retry 0.5",
            HTTP,
            |c| format!("{:?}", ck0(c).delay_before_retry),
            "500ms",
        ),
        (
            "",
            "",
            "TCP_CHECK { delay_before_retry 0 }",
            |c| format!("{:?}", ck0(c).delay_before_retry),
            "0ns",
        ),
        (
            "warmup 0",
            "",
            TCP,
            |c| format!("{:?}", ck0(c).warmup),
            "0ns",
        ),
        (
            "warmup 9",
            "warmup 3",
            TCP,
            |c| format!("{:?}", ck0(c).warmup),
            "3s",
        ),
        (
            "",
            "",
            "TCP_CHECK { warmup 1.000001 }",
            |c| format!("{:?}", ck0(c).warmup),
            "1.000001s",
        ),
    ];
    run(t);
    assert_eq!(d(2.5), "2.5s");
}

#[test]
fn checker_connection_keywords() {
    let t: &[(&str, &str, &str, Getter, &str)] = &[
        ("", "", TCP, |c| ck0(c).target.to_string(), "198.51.100.2:80"),
        ("", "", "TCP_CHECK { connect_port 8080 }", |c| ck0(c).target.to_string(), "198.51.100.2:8080"),
        ("", "", "TCP_CHECK { connect_ip 198.51.100.9 }", |c| ck0(c).target.to_string(), "198.51.100.9:80"),
        (
            "",
            "",
            "TCP_CHECK { connect_ip 198.51.100.9\n connect_port 81\n bindto 192.0.2.1\n bind_port 3000 }",
            |c| format!("{} {:?} {:?}", ck0(c).target, ck0(c).bindto, ck0(c).bind_port),
            "198.51.100.9:81 Some(192.0.2.1) Some(3000)",
        ),
        ("", "", TCP, |c| format!("{:?} {:?}", ck0(c).bindto, ck0(c).bind_port), "None None"),
        ("", "", "TCP_CHECK { log_all_failures }", |c| nwarn(c).to_string(), "1"),
    ];
    run(t);
}

#[test]
fn check_kinds() {
    let t: &[(&str, &str, &str, Getter, &str)] = &[
        ("", "", TCP, |c| ck0(c).kind.name().to_string(), "TCP_CHECK"),
        (
            "",
            "",
            "HTTP_GET { url { path /a\n digest 640205B7b0fc66c1ea91c463fac6334d\n status_code 200 301-302\n virtualhost u.example } url { path /b } }",
            |c| format!("{:?}", http0(c).urls),
            "[Url { path: \"/a\", digest: Some([100, 2, 5, 183, 176, 252, 102, 193, 234, 145, 196, 99, 250, 198, 51, 77]), status: [(200, 200), (301, 302)], virtualhost: Some(\"u.example\"), regex: None }, Url { path: \"/b\", digest: None, status: [], virtualhost: None, regex: None }]",
        ),
        ("", "", HTTP, |c| format!("{} {:?}", http0(c).tls.is_some(), http0(c).virtualhost), "false None"),
        ("virtualhost vs.example", "", HTTP, |c| format!("{:?}", http0(c).virtualhost), "Some(\"vs.example\")"),
        ("virtualhost vs.example", "virtualhost rs.example", HTTP, |c| format!("{:?}", http0(c).virtualhost), "Some(\"rs.example\")"),
        (
            "virtualhost vs.example",
            "virtualhost rs.example",
            "HTTP_GET { virtualhost ck.example\n url { path / } }",
            |c| format!("{:?}", http0(c).virtualhost),
            "Some(\"ck.example\")",
        ),
        ("", "", "HTTP_GET { http_protocol 1.0\n url { path / } }", |c| ck0(c).kind.name().to_string(), "HTTP_GET"),
        ("", "", "UDP_CHECK { }", |c| format!("{:?}", ck0(c).kind), "Udp(UdpCheck { payload: [], require_reply: None, reply_mask: [], min_reply_length: 0, max_reply_length: 255 })"),
        (
            "",
            "",
            "UDP_CHECK { payload Ab12f 3 456 546443123\n require_reply }",
            |c| format!("{:x?}", ck0(c).kind),
            "Udp(UdpCheck { payload: [ab, 12, f, 3, 45, 6, 54, 64, 43, 12, 3], require_reply: Some([]), reply_mask: [], min_reply_length: 0, max_reply_length: ff })",
        ),
        ("", "", "UDP_CHECK { require_reply 0a0B }", |c| format!("{:?}", ck0(c).kind), "Udp(UdpCheck { payload: [], require_reply: Some([10, 11]), reply_mask: [], min_reply_length: 0, max_reply_length: 255 })"),
        ("", "", "DNS_CHECK { }", |c| format!("{:?}", ck0(c).kind), "Dns(DnsCheck { qtype: 6, name: \".\" })"),
        ("", "", "DNS_CHECK { type aaaa\n name example.org }", |c| format!("{:?}", ck0(c).kind), "Dns(DnsCheck { qtype: 28, name: \"example.org\" })"),
        ("", "", "DNS_CHECK { type A }", |c| format!("{:?}", ck0(c).kind), "Dns(DnsCheck { qtype: 1, name: \".\" })"),
        ("", "", "SMTP_CHECK { }", |c| format!("{:?}", ck0(c).kind), "Smtp(SmtpCheck { helo_name: \"smtpchecker.keepalived.org\" })"),
        ("", "", "SMTP_CHECK { helo_name \"mx.example\" }", |c| format!("{:?}", ck0(c).kind), "Smtp(SmtpCheck { helo_name: \"mx.example\" })"),
        (
            "delay_loop 9",
            "",
            "MISC_CHECK { misc_path \"/bin/check 'x y' \\\"z\\\"\" }",
            |c| format!("{:?}", ck0(c).kind),
            "Misc(MiscCheck { script: Script { argv: [\"/bin/check\", \"x y\", \"z\"], user: None, group: None }, timeout: Some(9s), dynamic: false })",
        ),
        (
            "",
            "",
            "MISC_CHECK { misc_path /bin/c\n misc_timeout 4\n misc_dynamic\n user nobody nogroup }",
            |c| format!("{:?}", ck0(c).kind),
            "Misc(MiscCheck { script: Script { argv: [\"/bin/c\"], user: Some(\"nobody\"), group: Some(\"nogroup\") }, timeout: Some(4s), dynamic: true })",
        ),
        ("", "", "MISC_CHECK { misc_path /bin/c }", |c| format!("{:?}", ck0(c).kind), "Misc(MiscCheck { script: Script { argv: [\"/bin/c\"], user: None, group: None }, timeout: Some(60s), dynamic: false })"),
        ("", "", "PING_CHECK { }", |c| format!("{:?}", ck0(c).kind), "Ping"),
    ];
    run(t);
}

#[test]
fn file_check_uses_track_file() {
    let src = "track_file up {\n file \"/run/up\"\n weight -2 reverse\n}\n\
               track_file other { file /run/other }\n\
               virtual_server 192.0.2.10 80 {\n protocol TCP\n real_server 198.51.100.2 80 {\n  FILE_CHECK { track_file up }\n  FILE_CHECK { track_file up\n weight 5 }\n  FILE_CHECK { track_file other }\n }\n}\n";
    let c = parse_str("t.conf", src).unwrap();
    let kinds: Vec<String> = c.services[0].reals[0]
        .checks
        .iter()
        .map(|k| format!("{:?}", k.kind))
        .collect();
    assert_eq!(
        kinds,
        vec![
            "File(FileCheck { path: \"/run/up\", weight: -2, reverse: true })",
            "File(FileCheck { path: \"/run/up\", weight: 5, reverse: false })",
            "File(FileCheck { path: \"/run/other\", weight: 1, reverse: false })",
        ]
    );
}

#[test]
fn global_defs_sync_daemon_and_timeouts() {
    let src = "global_defs {\n router_id x\n notification_email { a@b }\n lvs_sync_daemon eth1 VI_1 id 7 maxlen 1400 port 8848 ttl 2 group 224.0.0.81\n lvs_timeouts tcp 900 udp 30\n}\n";
    let c = parse_str("t.conf", src).unwrap();
    assert_eq!(
        format!("{:?}", c.sync_daemon),
        "Some(SyncDaemon { pos: Pos { file: 0, line: 4, col: 2 }, interface: \"eth1\", vrrp_instance: Some(\"VI_1\"), syncid: 7, master: true, backup: true, mcast_group: Some(224.0.0.81), port: Some(8848), ttl: Some(2), maxlen: Some(1400) })"
    );
    assert_eq!(
        format!("{:?}", c.lvs_timeouts),
        "Some(LvsTimeouts { tcp: Some(900), tcpfin: None, udp: Some(30) })"
    );
    assert_eq!(
        c.warnings,
        vec![
            "t.conf:2:2: 'router_id' in global_defs ignored: not used by lvsmon",
            "t.conf:3:2: 'notification_email' in global_defs ignored: lvsmon sends no email",
        ]
    );
    // The instance makes the daemon keepalived -P's (crate::syncd): a note, no warning.
    assert_eq!(
        c.notes,
        vec!["t.conf:4:2: lvs_sync_daemon names VRRP instance VI_1: keepalived's VRRP half (keepalived -P) runs the sync daemon in that instance's role; lvsmon starts and stops none"]
    );
    let c = parse_str("t.conf", "global_defs {\n lvs_sync_daemon eth0\n}\n").unwrap();
    assert_eq!(
        format!("{:?}", c.sync_daemon),
        "Some(SyncDaemon { pos: Pos { file: 0, line: 2, col: 2 }, interface: \"eth0\", vrrp_instance: None, syncid: 0, master: true, backup: true, mcast_group: None, port: None, ttl: None, maxlen: None })"
    );
    assert!(c.warnings.is_empty(), "{:?}", c.warnings);
    let c = parse_str(
        "t.conf",
        "global_defs {\n lvs_sync_daemon eth0 inst VI_2 id 3\n}\n",
    )
    .unwrap();
    assert_eq!(c.sync_daemon.unwrap().syncid, 3);
}

#[test]
fn skipped_blocks_warn_once_each() {
    let src = "vrrp_instance VI_1 {\n virtual_ipaddress {\n  192.0.2.1\n }\n}\nvrrp_script chk { script \"/bin/x\" }\nstatic_routes {\n 192.0.2.0/24 via 192.0.2.1\n}\nvrrp_sync_group G { group { VI_1 } }\n";
    let c = parse_str("t.conf", src).unwrap();
    assert_eq!(
        c.warnings,
        vec![
            "t.conf:1:1: vrrp_instance VI_1 skipped (not part of keepalived's LVS configuration)",
            "t.conf:6:1: vrrp_script chk skipped (not part of keepalived's LVS configuration)",
            "t.conf:7:1: static_routes skipped (not part of keepalived's LVS configuration)",
            "t.conf:10:1: vrrp_sync_group G skipped (not part of keepalived's LVS configuration)",
        ]
    );
    assert!(c.services.is_empty());
}

#[test]
fn fwmark_services_and_ports() {
    let src = "virtual_server fwmark 7 {\n persistence_timeout 60\n real_server 198.51.100.2 {\n  TCP_CHECK { connect_port 80 }\n }\n real_server 198.51.100.3 8080 { }\n}\n\
               virtual_server fwmark 8 {\n ip_family inet6\n lvs_method TUN\n real_server 198.51.100.4 { }\n}\n\
               virtual_server 192.0.2.10 443 {\n protocol TCP\n lb_kind DR\n real_server 198.51.100.5 8443 { }\n real_server 198.51.100.6 { }\n}\n";
    let c = parse_str("t.conf", src).unwrap();
    let s: Vec<String> = c
        .services
        .iter()
        .map(|v| {
            let r: Vec<String> = v.reals.iter().map(|r| r.addr.to_string()).collect();
            format!("{:?} {}", v.target, r.join(","))
        })
        .collect();
    assert_eq!(
        s,
        vec![
            "Fwmark { mark: 7, family: Inet } 198.51.100.2:0,198.51.100.3:8080",
            "Fwmark { mark: 8, family: Inet6 } 198.51.100.4:0",
            "Addr(192.0.2.10:443) 198.51.100.5:443,198.51.100.6:443",
        ]
    );
    assert_eq!(
        c.services[0].reals[0].checks[0].target.to_string(),
        "198.51.100.2:80"
    );
    assert_eq!(
        c.warnings,
        vec![
            "t.conf:1:1: virtual_server has no 'lb_algo': using wlc, as keepalived does",
            "t.conf:1:1: virtual_server has no 'lb_kind': using NAT, as keepalived does",
            "t.conf:8:1: virtual_server has no 'lb_algo': using wlc, as keepalived does",
            "t.conf:13:1: virtual_server has no 'lb_algo': using wlc, as keepalived does",
            "t.conf:16:2: real_server port 8443 differs from the virtual server's port 443 - using 443 (not NAT)",
        ]
    );
}

#[test]
fn ipv6_services() {
    let src = "virtual_server 2001:db8::1 80 {\n protocol TCP\n persistence_granularity 64\n real_server 2001:db8::10 8080 {\n  HTTP_GET { url { path / }\n bindto 2001:db8::2 }\n }\n}\n";
    let c = parse_str("t.conf", src).unwrap();
    let v = &c.services[0];
    assert_eq!(format!("{:?}", v.target), "Addr([2001:db8::1]:80)");
    assert_eq!(v.persistence_granularity, Some(64));
    assert_eq!(v.persistence_timeout, Some(360));
    assert_eq!(
        v.reals[0].checks[0].target.to_string(),
        "[2001:db8::10]:8080"
    );
}

#[test]
fn virtual_server_group_expansion() {
    let src = "virtual_server_group G {\n 192.0.2.1-3 80\n 192.0.2.254-192.0.3.1 81\n 198.51.100.8/30 82\n 2001:db8::a-c 83\n fwmark 5\n fwmark 6 inet6\n 192.0.2.100 0\n}\n\
               virtual_server group G {\n protocol TCP\n persistence_timeout 10\n real_server 198.51.100.2 {\n  TCP_CHECK { connect_port 80 }\n }\n}\n";
    // IPv6 members need an IPv6 real server unless tunnelled: use TUN.
    let src = src.replace(" protocol TCP\n", " protocol TCP\n lvs_method TUN\n");
    let c = parse_str("t.conf", &src).unwrap();
    let t: Vec<String> = c
        .services
        .iter()
        .map(|v| match &v.target {
            lvsmon::model::config::VsTarget::Addr(a) => a.to_string(),
            lvsmon::model::config::VsTarget::Fwmark { mark, family } => {
                format!("fwm{}{:?}", mark, family)
            }
        })
        .collect();
    assert_eq!(
        t,
        vec![
            "192.0.2.1:80",
            "192.0.2.2:80",
            "192.0.2.3:80",
            "192.0.2.254:81",
            "192.0.2.255:81",
            "192.0.3.0:81",
            "192.0.3.1:81",
            "198.51.100.8:82",
            "198.51.100.9:82",
            "198.51.100.10:82",
            "198.51.100.11:82",
            "[2001:db8::a]:83",
            "[2001:db8::b]:83",
            "[2001:db8::c]:83",
            "fwm5Inet",
            "fwm6Inet6",
            "192.0.2.100:0",
        ]
    );
    assert!(c.services.iter().all(|v| v.group.as_deref() == Some("G")));
    // TUN real servers take the member's port; none for fwmark members.
    assert_eq!(c.services[0].reals[0].addr.to_string(), "198.51.100.2:80");
    assert_eq!(c.services[14].reals[0].addr.to_string(), "198.51.100.2:0");
}

#[test]
fn scripts_split_like_keepalived() {
    let split = lvsmon::config::split_quoted_escaped;
    assert_eq!(split("a b  c").unwrap(), vec!["a", "b", "c"]);
    assert_eq!(
        split("abcd\" efg h jkl \"mnop").unwrap(),
        vec!["abcd efg h jkl mnop"]
    );
    assert_eq!(
        split("abcd \"efg h jkl\" mnop").unwrap(),
        vec!["abcd", "efg h jkl", "mnop"]
    );
    assert_eq!(split("'a b' c\\ d").unwrap(), vec!["a b", "c d"]);
    assert_eq!(split("\\x41\\102\\t\\cA\\\\").unwrap(), vec!["AB\t\u{1}\\"]);
    assert!(split("'abc").is_err());
    assert!(split("abc\\").is_err());
}

#[test]
fn smtp_host_blocks_share_the_checker_settings() {
    let src = "virtual_server 192.0.2.10 25 {\n protocol TCP\n real_server 198.51.100.2 25 {\n  SMTP_CHECK {\n   connect_timeout 4\n   host {\n    connect_ip 198.51.100.7\n    retry 6\n   }\n   host {\n    connect_port 587\n    connect_timeout 2\n   }\n   delay_loop 9\n  }\n }\n}\n";
    let c = parse_str("t.conf", src).unwrap();
    let got: Vec<String> = c.services[0].reals[0]
        .checks
        .iter()
        .map(|k| {
            format!(
                "{} t={:?} r={} d={:?}",
                k.target, k.connect_timeout, k.retry, k.delay_loop
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            "198.51.100.7:25 t=4s r=6 d=9s",
            "198.51.100.2:587 t=2s r=6 d=9s"
        ]
    );
}

#[test]
fn summary_lines() {
    let src = "virtual_server_group G {\n 192.0.2.1-2 80\n}\n\
               virtual_server group G {\n protocol TCP\n lb_algo wrr\n real_server 198.51.100.2 80 {\n  HTTP_GET { url { path / } }\n  TCP_CHECK { delay_loop 2.5 }\n }\n sorry_server 127.0.0.1 80\n}\n\
               virtual_server fwmark 3 {\n lb_kind DR\n quorum 2\n real_server 2001:db8::5 {\n  weight 2\n }\n}\n\
               virtual_server 2001:db8::1 53 {\n protocol UDP\n real_server 2001:db8::6 53 {\n  DNS_CHECK { }\n }\n}\n";
    let c = parse_str("t.conf", src).unwrap();
    assert_eq!(
        lvsmon::config::summary(&c),
        "TCP 192.0.2.1:80 wrr NAT (group G), 1 real server, HTTP_GET every 60 s + TCP_CHECK every 2.5 s, sorry 127.0.0.1:80\n\
         TCP 192.0.2.2:80 wrr NAT (group G), 1 real server, HTTP_GET every 60 s + TCP_CHECK every 2.5 s, sorry 127.0.0.1:80\n\
         FWM 3 IPv6 wlc DR, 1 real server, no checks, quorum 2 hysteresis 0\n\
         UDP [2001:db8::1]:53 wlc NAT, 1 real server, DNS_CHECK every 60 s\n\
         4 virtual services, 4 real servers, 5 checks\n\
         warning: t.conf:4:1: virtual_server has no 'lb_kind': using NAT, as keepalived does\n\
         warning: t.conf:13:1: virtual_server has no 'lb_algo': using wlc, as keepalived does\n\
         warning: t.conf:20:1: virtual_server has no 'lb_algo': using wlc, as keepalived does\n\
         warning: t.conf:20:1: virtual_server has no 'lb_kind': using NAT, as keepalived does\n"
    );
}

#[test]
fn escaped_quotes_in_script_strings() {
    let c = cfg("", "notify_up \"/bin/n.sh \\\"a b\\\" c\" user1", "");
    let s = c.services[0].reals[0].notify_up.as_ref().unwrap();
    assert_eq!(s.argv, vec!["/bin/n.sh", "a b", "c"]);
    assert_eq!(s.user.as_deref(), Some("user1"));
}

#[cfg(not(feature = "tls"))]
#[test]
fn ssl_block_is_skipped_without_tls() {
    let c = parse_str("t.conf", "SSL { ca /x }\n").unwrap();
    assert_eq!(
        c.warnings,
        vec!["t.conf:1:1: SSL skipped (this lvsmon was built without the \"tls\" feature)"]
    );
}
