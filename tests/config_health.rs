//! The health extensions of the grammar (lvsmon's, not keepalived's): `rise`,
//! `delay_loop_jitter`, `slow_start`: where each may be written, what is inherited, the
//! defaults (keepalived's behaviour when absent), and the errors with their positions.

use std::time::Duration;

use lvsmon::config::parse_str;
use lvsmon::model::config::Config;

fn parse(vs: &str, rs: &str, check: &str) -> Result<Config, String> {
    let src = format!(
        "virtual_server 192.0.2.10 80 {{\n protocol TCP\n{vs}\n real_server 198.51.100.2 80 {{\n{rs}\n  TCP_CHECK {{\n{check}\n  }}\n }}\n}}\n"
    );
    parse_str("h.conf", &src).map_err(|e| e.to_string())
}

fn ok(vs: &str, rs: &str, check: &str) -> Config {
    parse(vs, rs, check).unwrap_or_else(|e| panic!("{}", e))
}

#[test]
fn rise_is_inherited_like_retry_and_defaults_to_one() {
    let rise = |c: Config| c.services[0].reals[0].checks[0].rise;
    assert_eq!(rise(ok("", "", "")), 1);
    assert_eq!(rise(ok(" rise 3", "", "")), 3);
    assert_eq!(rise(ok(" rise 3", "  rise 4", "")), 4);
    assert_eq!(rise(ok(" rise 3", "  rise 4", "   rise 2")), 2);
}

#[test]
fn jitter_and_slow_start_default_to_keepalived_behaviour() {
    let c = ok("", "", "");
    assert_eq!(c.services[0].reals[0].checks[0].jitter_percent, 0);
    assert_eq!(c.services[0].reals[0].slow_start, Duration::ZERO);
    let c = ok(" delay_loop_jitter 20\n slow_start 10", "", "");
    assert_eq!(c.services[0].reals[0].checks[0].jitter_percent, 20);
    assert_eq!(c.services[0].reals[0].slow_start, Duration::from_secs(10));
    // A real server's own slow_start wins, 0 turns it off.
    let c = ok(" slow_start 10", "  slow_start 0", "");
    assert_eq!(c.services[0].reals[0].slow_start, Duration::ZERO);
    let c = ok("", "  slow_start 7", "");
    assert_eq!(c.services[0].reals[0].slow_start, Duration::from_secs(7));
}

#[test]
fn errors_name_the_position_and_the_reason() {
    let cases: &[(&str, &str, &str, &str)] = &[
        (
            " rise 0",
            "",
            "",
            "h.conf:3:7: 'rise' needs a number of successes (1 or more), got '0'",
        ),
        (
            "",
            "",
            "   rise x",
            "h.conf:7:9: 'rise' needs a number of successes (1 or more), got 'x'",
        ),
        (
            " delay_loop_jitter 51",
            "",
            "",
            "h.conf:3:20: 'delay_loop_jitter' needs a percentage of delay_loop (0-50), got '51'",
        ),
        (
            "",
            "  delay_loop_jitter 5",
            "",
            "h.conf:5:3: unknown keyword 'delay_loop_jitter' in real_server",
        ),
        (
            " slow_start -1",
            "",
            "",
            "h.conf:3:13: 'slow_start' needs a number of seconds (0-86400), got '-1'",
        ),
        (
            "",
            "",
            "   slow_start 5",
            "h.conf:7:4: unknown keyword 'slow_start' in TCP_CHECK",
        ),
    ];
    for (vs, rs, check, want) in cases {
        assert_eq!(
            parse(vs, rs, check).err().as_deref(),
            Some(*want),
            "{vs:?} {rs:?} {check:?}"
        );
    }
}

#[test]
fn slow_start_is_refused_with_hashing_schedulers_where_it_is_written() {
    for sched in ["sh", "dh", "mh", "lblc", "lblcr"] {
        let vs = format!(" lb_algo {sched}\n slow_start 10");
        let e = parse(&vs, "", "").unwrap_err();
        assert_eq!(
            e,
            format!(
                "h.conf:4:2: 'slow_start' cannot be used with the {sched} scheduler: it hashes \
                 flows to real servers, so every step of the ramp would move established \
                 clients to other servers"
            )
        );
        let vs = format!(" lb_algo {sched}");
        let e = parse(&vs, "  slow_start 3", "").unwrap_err();
        assert!(
            e.starts_with("h.conf:5:3: 'slow_start' cannot be used with the "),
            "{e}"
        );
        // slow_start 0 says "none": nothing to refuse.
        ok(&vs, "  slow_start 0", "");
    }
    for sched in ["rr", "wrr", "lc", "wlc", "sed", "nq", "fo", "ovf", "twos"] {
        ok(&format!(" lb_algo {sched}\n slow_start 10"), "", "");
    }
}

#[test]
fn agent_check_is_a_check_of_its_own_with_inherited_timers() {
    use lvsmon::model::config::CheckKind;
    let c = ok(
        " delay_loop 3\n connect_timeout 2",
        "  agent_check {\n   port 9777\n  }",
        "",
    );
    let checks = &c.services[0].reals[0].checks;
    assert_eq!(checks.len(), 2);
    let a = &checks[1];
    assert_eq!(a.kind, CheckKind::Agent);
    assert_eq!(a.target, "198.51.100.2:9777".parse().unwrap());
    assert_eq!(
        (a.delay_loop, a.connect_timeout, a.retry, a.rise),
        (Duration::from_secs(3), Duration::from_secs(2), 0, 1)
    );
    let c = ok(
        "",
        "  agent_check {\n   port 9777\n   address 198.51.100.50\n   interval 0.5\n   timeout 0.25\n  }",
        "",
    );
    let a = &c.services[0].reals[0].checks[1];
    assert_eq!(a.target, "198.51.100.50:9777".parse().unwrap());
    assert_eq!(
        (a.delay_loop, a.connect_timeout),
        (Duration::from_millis(500), Duration::from_millis(250))
    );
    let summary = lvsmon::config::summary(&c);
    assert!(
        summary.contains("TCP_CHECK every 60 s + agent_check every 0.5 s"),
        "{summary}"
    );
}

#[test]
fn agent_check_errors() {
    let cases: &[(&str, &str)] = &[
        (
            "  agent_check {\n  }",
            "h.conf:5:3: 'agent_check' needs a 'port'",
        ),
        (
            "  agent_check {\n   port 0\n  }",
            "h.conf:6:9: 'port' needs a port number (1-65535), got '0'",
        ),
        (
            "  agent_check {\n   port 1\n   send x\n  }",
            "h.conf:7:4: unknown keyword 'send' in agent_check",
        ),
        (
            "  agent_check {\n   port 1\n   address nowhere\n  }",
            "h.conf:7:12: 'address' needs an IPv4 or IPv6 address, got 'nowhere'",
        ),
        (
            "  agent_check {\n   port 1\n   interval 0\n  }",
            "h.conf:7:13: 'interval' needs a number of seconds greater than 0, got '0'",
        ),
        (
            "  agent_check 7",
            "h.conf:5:15: unexpected '7' after 'agent_check' (expected a { } block)",
        ),
        (
            "  agent_check {\n   port 1\n  }\n  agent_check {\n   port 2\n  }",
            "h.conf:8:3: a second 'agent_check' in one real_server",
        ),
    ];
    for (rs, want) in cases {
        assert_eq!(parse("", rs, "").err().as_deref(), Some(*want), "{rs:?}");
    }
}
