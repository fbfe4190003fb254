//! Diagnostics parity with `keepalived -t` (keepalived 2.2.7): where keepalived complains
//! about a line and carries on, lvsmon warns naming the same line and gives the setting
//! keepalived's meaning. The line numbers asserted here are the ones `keepalived -t`
//! prints for the same text (checked by hand and, for the corpus, by tests/keepalived_corpus.rs).

use lvsmon::config::parse_str;
use lvsmon::model::config::Config;

fn parse(src: &str) -> Config {
    match parse_str("d.conf", src) {
        Ok(c) => c,
        Err(e) => panic!("{}\n--- source ---\n{}", e, src),
    }
}

/// The warnings as `LINE: message` (column dropped: keepalived names lines only).
fn lines(c: &Config) -> Vec<String> {
    c.warnings
        .iter()
        .map(|w| {
            let rest = w.strip_prefix("d.conf:").expect(w);
            let (line, rest) = rest.split_once(':').expect(w);
            let (_, msg) = rest.split_once(": ").expect(w);
            format!("{}: {}", line, msg)
        })
        .collect()
}

const HEAD: &str = "virtual_server 192.0.2.10 80 {\n protocol TCP\n lb_algo rr\n lb_kind NAT\n";

#[test]
fn nb_get_retry_deprecated_in_http_unknown_elsewhere() {
    let c = parse(&format!(
        "{HEAD} nb_get_retry 4\n real_server 198.51.100.2 80 {{\n  nb_get_retry 5\n  TCP_CHECK {{\n   nb_get_retry 6\n  }}\n  HTTP_GET {{\n   url {{\n    path /\n   }}\n   nb_get_retry 7\n  }}\n }}\n}}\n"
    ));
    assert_eq!(
        lines(&c),
        vec![
            "5: 'nb_get_retry' is not a virtual_server keyword (keepalived knows it only in HTTP_GET and SSL_GET): line ignored, as keepalived does; use 'retry'",
            "7: 'nb_get_retry' is not a real_server keyword (keepalived knows it only in HTTP_GET and SSL_GET): line ignored, as keepalived does; use 'retry'",
            "9: 'nb_get_retry' is not a TCP_CHECK keyword (keepalived knows it only in HTTP_GET and SSL_GET): line ignored, as keepalived does; use 'retry'",
            "15: 'nb_get_retry' is deprecated: use 'retry' (same meaning; keepalived warns too)",
        ]
    );
    // Ignored where unknown (the default 1 stays), honoured in HTTP_GET.
    let checks = &c.services[0].reals[0].checks;
    assert_eq!(checks[0].retry, 1);
    assert_eq!(checks[1].retry, 7);
}

#[test]
fn lb_kind_in_real_server_is_skipped() {
    let c = parse(
        "virtual_server 192.0.2.10 80 {\n protocol TCP\n lb_algo rr\n lb_kind DR\n real_server 198.51.100.2 80 {\n  lb_kind TUN\n }\n}\n",
    );
    assert_eq!(
        lines(&c),
        vec!["6: 'lb_kind' is not a real_server keyword (only 'lvs_method' is): line ignored, as keepalived does"]
    );
    assert_eq!(
        format!("{:?}", c.services[0].reals[0].forward),
        "Route",
        "the service's method applies"
    );
}

#[test]
fn missing_lb_algo_and_lb_kind_state_the_defaults() {
    let c = parse(
        "virtual_server 192.0.2.10 80 {\n protocol TCP\n real_server 198.51.100.2 80 {\n }\n}\n",
    );
    assert_eq!(
        lines(&c),
        vec![
            "1: virtual_server has no 'lb_algo': using wlc, as keepalived does",
            "1: virtual_server has no 'lb_kind': using NAT, as keepalived does",
        ]
    );
    // Every server names its own method: keepalived has nothing to default, says nothing.
    let c = parse("virtual_server 192.0.2.10 80 {\n protocol TCP\n lb_algo rr\n real_server 198.51.100.2 80 {\n  lvs_method NAT\n }\n}\n");
    assert!(c.warnings.is_empty(), "{:?}", c.warnings);
}

#[test]
fn scheduler_flags_judged_when_read() {
    let c = parse(
        "virtual_server 192.0.2.10 80 {\n protocol TCP\n hashed\n sh-port\n lb_algo sh\n sh-fallback\n hashed\n mh-port\n lb_kind NAT\n real_server 198.51.100.2 80 {\n }\n}\n"
    );
    assert_eq!(
        lines(&c),
        vec![
            "3: 'hashed' only applies to the sh scheduler (no lb_algo is set before this line): ignored, as keepalived does",
            "4: 'sh-port' only applies to the sh scheduler (no lb_algo is set before this line): ignored, as keepalived does",
        ]
    );
    // Only sh-fallback (read under sh) is set: IP_VS_SVC_F_SCHED_SH_FALLBACK.
    assert_eq!(c.services[0].svc_flags, 0x8);
    let c = parse(&format!(
        "{HEAD} mh-port\n real_server 198.51.100.2 80 {{\n }}\n}}\n"
    ));
    assert_eq!(
        lines(&c),
        vec!["5: 'mh-port' only applies to the mh scheduler (the scheduler is rr here): ignored, as keepalived does"]
    );
}

#[test]
fn sorry_server_settings_before_the_sorry_server() {
    let c = parse(&format!(
        "{HEAD} sorry_server_inhibit\n sorry_server_lvs_method DR\n sorry_server 198.51.100.9 80\n real_server 198.51.100.2 80 {{\n }}\n}}\n"
    ));
    assert_eq!(
        lines(&c),
        vec![
            "5: 'sorry_server_inhibit' before (or without) 'sorry_server': ignored, as keepalived does",
            "6: 'sorry_server_lvs_method' before (or without) 'sorry_server': ignored, as keepalived does",
        ]
    );
    let s = c.services[0].sorry_server.as_ref().unwrap();
    assert!(!s.inhibit);
    assert_eq!(format!("{:?}", s.forward), "Masq");
    // After it they apply; keepalived reads no value, so `off` still turns inhibit on.
    let c = parse(&format!(
        "{HEAD} sorry_server 198.51.100.9 80\n sorry_server_inhibit off\n real_server 198.51.100.2 80 {{\n }}\n}}\n"
    ));
    assert!(c.services[0].sorry_server.as_ref().unwrap().inhibit);
    assert_eq!(
        lines(&c),
        vec!["6: sorry_server_inhibit reads no value: 'off' still turns it on, as in keepalived"]
    );
}

#[test]
fn one_warning_per_global_defs_keyword_not_honoured() {
    let c = parse(
        "global_defs {\n router_id d1\n notification_email {\n  a@example.org\n }\n lvs_flush\n enable_snmp_checker\n vrrp_strict\n routerid x\n}\n",
    );
    assert_eq!(
        lines(&c),
        vec![
            "2: 'router_id' in global_defs ignored: not used by lvsmon",
            "3: 'notification_email' in global_defs ignored: lvsmon sends no email",
            "7: 'enable_snmp_checker' in global_defs ignored: lvsmon has no SNMP agent",
            "8: 'vrrp_strict' in global_defs ignored: VRRP is keepalived's other half (keepalived -P), not lvsmon's",
            "9: unknown keyword 'routerid' in global_defs: skipped, as keepalived does",
        ]
    );
    assert!(c.lvs_flush);
}

#[test]
fn checker_omissions_named_at_the_closing_brace() {
    for (body, want) in [
        (
            "  HTTP_GET {\n   connect_timeout 3\n  }",
            "8:3: HTTP_GET needs at least one url { } block",
        ),
        (
            "  MISC_CHECK {\n   misc_timeout 3\n  }",
            "8:3: MISC_CHECK needs a 'misc_path'",
        ),
        (
            "  FILE_CHECK {\n   weight 3\n  }",
            "8:3: FILE_CHECK needs a 'track_file'",
        ),
    ] {
        let src = format!("{HEAD} real_server 198.51.100.2 80 {{\n{body}\n }}\n}}\n");
        let e = parse_str("d.conf", &src).unwrap_err().to_string();
        assert_eq!(e, format!("d.conf:{}", want), "{}", src);
    }
}

#[test]
fn smtp_host_blocks_are_a_note_not_a_warning() {
    // keepalived logs the deprecation at info level and `keepalived -t` exits 0.
    let c = parse(&format!(
        "{HEAD} real_server 198.51.100.2 25 {{\n  SMTP_CHECK {{\n   host {{\n    connect_ip 198.51.100.3\n   }}\n  }}\n }}\n}}\n"
    ));
    assert!(c.warnings.is_empty(), "{:?}", c.warnings);
    assert_eq!(c.notes.len(), 1, "{:?}", c.notes);
    assert!(c.notes[0].starts_with("d.conf:6:3: SMTP_CHECK host blocks are deprecated"));
}
