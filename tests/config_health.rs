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
