//! Issue 12 item 4: keepalived LVS keywords lvsmon used to refuse, each read with
//! keepalived 2.2.7's meaning (check_parser.c, check_api.c, check_udp.c, check_misc.c,
//! global_parser.c, track_file.c), through the public `config::parse_str`.

use lvsmon::config::parse_str;
use lvsmon::model::config::{CheckKind, Config, FlushOnStop};

fn parse(src: &str) -> Config {
    parse_str("k.conf", src).unwrap_or_else(|e| panic!("{}\n--- source ---\n{}", e, src))
}

fn one(vs_extra: &str, rs_extra: &str) -> Config {
    parse(&format!(
        "virtual_server 192.0.2.10 80 {{\n protocol TCP\n lb_algo rr\n lb_kind NAT\n{vs_extra}\n real_server 198.51.100.2 80 {{\n{rs_extra}\n }}\n}}\n"
    ))
}

fn warnings(c: &Config) -> String {
    c.warnings.join("\n")
}

#[test]
fn virtual_server_ignores_words_after_the_port() {
    let c = parse("virtual_server 192.0.2.10 80 tcp extra {\n protocol TCP\n lb_algo rr\n lb_kind NAT\n real_server 198.51.100.2 80 { }\n}\nvirtual_server fwmark 7 x {\n lb_algo rr\n lb_kind NAT\n real_server 198.51.100.3 { }\n}\n");
    assert_eq!(c.services.len(), 2);
    assert_eq!(
        c.services[0].target,
        lvsmon::model::config::VsTarget::Addr("192.0.2.10:80".parse().unwrap())
    );
    // keepalived says nothing about them, and neither do we.
    assert!(c.warnings.is_empty(), "{}", warnings(&c));
}

#[test]
fn alpha_and_omega_values() {
    // virtual_server level: keepalived's handlers read no value, so `alpha 0` sets it.
    for v in ["", " 1", " 0", " yes"] {
        let c = one(&format!(" alpha{v}\n omega{v}"), "");
        assert!(c.services[0].alpha && c.services[0].omega, "alpha{}", v);
        assert!(c.warnings.is_empty(), "{}", warnings(&c));
    }
    // real_server / checker level: true/false words; anything else is reported and the
    // line ignored, as keepalived does.
    let c = one(" alpha", "  alpha no");
    assert!(!c.services[0].reals[0].alpha);
    let c = one("", "  alpha 1");
    assert!(!c.services[0].reals[0].alpha);
    assert_eq!(
        warnings(&c),
        "k.conf:7:9: invalid alpha value '1' (on|off|true|false|yes|no) - line ignored, as keepalived does"
    );
    let c = one(
        "",
        "  inhibit_on_failure maybe\n  TCP_CHECK {\n   alpha 0\n  }",
    );
    assert!(!c.services[0].reals[0].inhibit_on_failure);
    assert_eq!(c.warnings.len(), 2, "{}", warnings(&c));
}

#[test]
fn checker_bind_if_and_fwmark() {
    let c = one("", "  TCP_CHECK {\n   bind_if eth1\n   fwmark 258\n  }");
    let ck = &c.services[0].reals[0].checks[0];
    assert_eq!(ck.sock.bind_if.as_deref(), Some("eth1"));
    assert_eq!(ck.sock.fwmark, 258);
    // A link-local target needs bind_if (keepalived check_conn_opts)...
    let v6 = |extra: &str| {
        parse_str(
            "k.conf",
            &format!("virtual_server 2001:db8::1 80 {{\n protocol TCP\n real_server 2001:db8::2 80 {{\n  TCP_CHECK {{\n   connect_ip fe80::2\n{extra}\n  }}\n }}\n}}\n"),
        )
    };
    assert_eq!(
        v6("").unwrap_err().to_string(),
        "k.conf:4:3: the check target fe80::2 is link-local: it needs a 'bind_if'"
    );
    // ... and with it is fine.
    assert!(v6("   bind_if eth0").is_ok());
}

#[test]
fn udp_check_reply_pattern_and_lengths() {
    let c = one(
        "",
        "  UDP_CHECK {\n   require_reply 0a X1 2x\n   min_reply_length 3\n   max_reply_length 600\n  }",
    );
    let CheckKind::Udp(u) = &c.services[0].reals[0].checks[0].kind else {
        panic!()
    };
    assert_eq!(u.require_reply.as_deref(), Some(&[0x0a, 0x01, 0x20][..]));
    assert_eq!(u.reply_mask, [0x00, 0xf0, 0x0f]);
    assert_eq!((u.min_reply_length, u.max_reply_length), (3, 600));
    // Defaults: 0 and 255, no mask without X.
    let c = one("", "  UDP_CHECK {\n   require_reply 0a0b\n  }");
    let CheckKind::Udp(u) = &c.services[0].reals[0].checks[0].kind else {
        panic!()
    };
    assert!(u.reply_mask.is_empty());
    assert_eq!((u.min_reply_length, u.max_reply_length), (0, 255));
    // min > max: keepalived's "will always fail" warning.
    let c = one(
        "",
        "  UDP_CHECK {\n   min_reply_length 9\n   max_reply_length 8\n  }",
    );
    assert!(warnings(&c).contains("min_reply_length 9 > max_reply_length 8"));
}

#[test]
fn fwmark_real_server_without_a_port() {
    let c = parse("virtual_server fwmark 7 {\n lb_kind DR\n lb_algo rr\n real_server 198.51.100.3 {\n  TCP_CHECK { }\n }\n real_server 198.51.100.4 {\n  PING_CHECK { }\n }\n}\n");
    let reals = &c.services[0].reals;
    assert_eq!(reals[0].addr.port(), 0);
    assert_eq!(reals[0].checks[0].target.port(), 0);
    assert_eq!(
        warnings(&c),
        "k.conf:5:3: TCP_CHECK on real_server 198.51.100.3 has no port to connect to: it checks port 0 and always fails, as keepalived's does (add 'connect_port')"
    );
}

#[test]
fn global_defs_lvs_keywords_and_net_namespace_ipvs() {
    let c = parse("net_namespace_ipvs blue\nglobal_defs {\n lvs_flush\n lvs_flush_on_stop VS\n lvs_notify_fifo /run/lvs.fifo nobody\n lvs_notify_fifo_script \"/usr/local/bin/reader -v\" nobody nogroup\n}\nvirtual_server 192.0.2.10 80 {\n protocol TCP\n real_server 198.51.100.2 80 { }\n}\n");
    assert!(c.lvs_flush);
    assert_eq!(c.lvs_flush_on_stop, FlushOnStop::Vs);
    assert_eq!(c.net_namespace_ipvs.as_deref(), Some("blue"));
    let f = c.lvs_notify_fifo.as_ref().unwrap();
    assert_eq!(f.path.to_str(), Some("/run/lvs.fifo"));
    assert_eq!(f.user.as_deref(), Some("nobody"));
    let s = f.script.as_ref().unwrap();
    assert_eq!(s.argv, ["/usr/local/bin/reader", "-v"]);
    assert_eq!(s.group.as_deref(), Some("nogroup"));
    // No global_defs warning: every keyword in it was read.
    assert!(!warnings(&c).contains("global_defs"), "{}", warnings(&c));
    // lvs_flush_on_stop alone (and the old spelling) is a full flush; no name for
    // net_namespace_ipvs is the default namespace.
    let c = parse("net_namespace_ipvs\nglobal_defs {\n lvs_flush_onstop\n}\n");
    assert_eq!(c.lvs_flush_on_stop, FlushOnStop::Full);
    assert_eq!(c.net_namespace_ipvs.as_deref(), Some(""));
    assert_eq!(
        parse_str("k.conf", "global_defs {\n lvs_flush_on_stop ALL\n}\n")
            .unwrap_err()
            .to_string(),
        "k.conf:2:20: 'lvs_flush_on_stop' needs no value or VS, got 'ALL'"
    );
}

#[test]
fn track_file_init_file() {
    let c = parse("track_file a {\n file /run/a\n init_file\n}\ntrack_file b {\n file /run/b\n init_file overwrite -7\n}\n");
    let i: Vec<(String, i32, bool)> = c
        .track_file_inits
        .iter()
        .map(|t| (t.path.display().to_string(), t.value, t.overwrite))
        .collect();
    assert_eq!(
        i,
        [("/run/a".into(), 0, false), ("/run/b".into(), -7, true)]
    );
    assert_eq!(
        parse_str(
            "k.conf",
            "track_file a {\n file /run/a\n init_file 300\n}\n"
        )
        .unwrap_err()
        .to_string(),
        "k.conf:3:12: 'init_file' needs a value (-254..254) or 'overwrite', got '300'"
    );
}

#[test]
fn unquoted_misc_path_keeps_only_its_first_word() {
    let c = one(
        "",
        "  MISC_CHECK {\n   misc_path /usr/local/bin/check --port 80\n  }",
    );
    let CheckKind::Misc(m) = &c.services[0].reals[0].checks[0].kind else {
        panic!()
    };
    assert_eq!(m.script.argv, ["/usr/local/bin/check"]);
    assert!(
        warnings(&c)
            .contains("k.conf:8:35: misc_path: '--port 80' ignored, as keepalived 2.2.7 does"),
        "{}",
        warnings(&c)
    );
    let c = one(
        "",
        "  MISC_CHECK {\n   misc_path \"/usr/local/bin/check --port 80\"\n  }",
    );
    let CheckKind::Misc(m) = &c.services[0].reals[0].checks[0].kind else {
        panic!()
    };
    assert_eq!(m.script.argv, ["/usr/local/bin/check", "--port", "80"]);
}
