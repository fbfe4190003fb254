//! Every keepalived sample (tests/data/config/samples, copied unchanged from
//! ../shared/samples) parses, with its key values checked; `summary` output is exact.

use std::path::PathBuf;

use lvsmon::config::{load, summary};
use lvsmon::ipvs::rule::Forward;
use lvsmon::model::config::{CheckKind, Config, VsTarget};

fn samples_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/config/samples")
}

fn sample(name: &str) -> Config {
    let p = samples_dir().join(name);
    load(&p).unwrap_or_else(|e| panic!("{}", e))
}

/// (services, real servers, check kinds in order of appearance, without repeats)
fn shape(c: &Config) -> (usize, usize, Vec<&'static str>) {
    let mut kinds = Vec::new();
    let mut reals = 0;
    for v in &c.services {
        reals += v.reals.len();
        for r in &v.reals {
            for k in &r.checks {
                if !kinds.contains(&k.kind.name()) {
                    kinds.push(k.kind.name());
                }
            }
        }
    }
    (c.services.len(), reals, kinds)
}

/// Samples that use SSL_GET, and where it stands (a build without the "tls" feature
/// refuses it there).
const TLS_SAMPLES: &[(&str, &str)] = &[
    ("keepalived.conf.HTTP_GET.port", ":22:9:"),
    ("keepalived.conf.SSL_GET", ":39:9:"),
    ("keepalived.conf.status_code", ":23:9:"),
    ("keepalived.conf.virtualhost", ":24:9:"),
];

#[cfg(not(feature = "tls"))]
#[test]
fn tls_samples_are_refused_by_name() {
    for (name, pos) in TLS_SAMPLES {
        let e = load(&samples_dir().join(name)).unwrap_err().to_string();
        assert!(
            e.contains(pos)
                && e.ends_with(
                    "SSL_GET needs a build with the \"tls\" feature (this lvsmon was built \
                     without it); use HTTP_GET or TCP_CHECK"
                ),
            "{}: {}",
            name,
            e
        );
    }
}

#[cfg(feature = "tls")]
#[test]
fn tls_samples_parse_with_their_shape() {
    let want: &[(&str, usize, usize, &[&str])] = &[
        ("keepalived.conf.HTTP_GET.port", 1, 1, &["SSL_GET"]),
        ("keepalived.conf.SSL_GET", 2, 2, &["SSL_GET", "HTTP_GET"]),
        ("keepalived.conf.status_code", 1, 1, &["SSL_GET"]),
        ("keepalived.conf.virtualhost", 1, 1, &["SSL_GET"]),
    ];
    for (name, services, reals, kinds) in want {
        let c = sample(name);
        assert_eq!(
            shape(&c),
            (*services, *reals, kinds.to_vec()),
            "sample {}",
            name
        );
    }
    // keepalived's defaults: no SNI, no verification (no SSL block), quiet close.
    let c = sample("keepalived.conf.SSL_GET");
    let CheckKind::Http(h) = &c.services[0].reals[0].checks[0].kind else {
        panic!()
    };
    let t = h.tls.as_ref().unwrap();
    assert!(!t.enable_sni && !t.verify && !t.compliant && t.sni_name.is_none());
    assert_eq!(h.urls.len(), 2);
}

#[test]
fn every_sample_parses_with_its_shape() {
    let want: &[(&str, usize, usize, &[&str])] = &[
        ("keepalived.conf.IPv6", 1, 1, &["SMTP_CHECK"]),
        ("keepalived.conf.PING_CHECK", 1, 1, &["PING_CHECK"]),
        ("keepalived.conf.SMTP_CHECK", 1, 3, &["SMTP_CHECK"]),
        ("keepalived.conf.UDP_CHECK", 1, 1, &["UDP_CHECK"]),
        ("keepalived.conf.fwmark", 1, 2, &["TCP_CHECK"]),
        ("keepalived.conf.inhibit", 1, 1, &["HTTP_GET"]),
        ("keepalived.conf.misc_check", 1, 1, &["MISC_CHECK"]),
        ("keepalived.conf.misc_check_arg", 1, 1, &["MISC_CHECK"]),
        ("keepalived.conf.quorum", 1, 10, &["TCP_CHECK"]),
        ("keepalived.conf.sample", 1, 1, &["HTTP_GET"]),
        (
            "keepalived.conf.virtual_server_group",
            13,
            26,
            &["HTTP_GET"],
        ),
        ("keepalived.conf.vrrp.lvs_syncd", 1, 1, &["TCP_CHECK"]),
    ];
    let mut seen: Vec<String> = std::fs::read_dir(samples_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("keepalived.conf"))
        .collect();
    seen.sort();
    let mut listed: Vec<String> = want
        .iter()
        .map(|w| w.0)
        .chain(TLS_SAMPLES.iter().map(|t| t.0))
        .map(String::from)
        .collect();
    listed.sort();
    assert_eq!(seen, listed, "every sample file has a row");
    for (name, services, reals, kinds) in want {
        let c = sample(name);
        assert_eq!(
            shape(&c),
            (*services, *reals, kinds.to_vec()),
            "sample {}",
            name
        );
    }
    // The shared copy, when this checkout sits beside it, is the same set of files.
    let shared = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/samples");
    if shared.is_dir() {
        for e in std::fs::read_dir(&shared).unwrap() {
            let p = e.unwrap().path();
            if p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("keepalived.conf")
            {
                let tls = TLS_SAMPLES
                    .iter()
                    .any(|t| p.file_name().unwrap().to_string_lossy() == t.0);
                match load(&p) {
                    Ok(_) => assert!(
                        !tls || cfg!(feature = "tls"),
                        "{} uses SSL_GET and must be refused",
                        p.display()
                    ),
                    Err(e) => assert!(tls && !cfg!(feature = "tls"), "{}", e),
                }
            }
        }
    }
}

#[test]
fn sample_http_digest_sorry_server() {
    let c = sample("keepalived.conf.sample");
    let v = &c.services[0];
    assert_eq!(format!("{:?}", v.target), "Addr(10.10.10.2:1358)");
    assert_eq!(v.sched.as_str(), "rr");
    assert_eq!(v.persistence_timeout, Some(50));
    assert_eq!(
        v.sorry_server.as_ref().unwrap().addr.to_string(),
        "192.168.200.200:1358"
    );
    let ck = &v.reals[0].checks[0];
    assert_eq!(ck.retry, 3);
    assert_eq!(ck.connect_timeout.as_secs(), 3);
    assert_eq!(ck.delay_before_retry.as_secs(), 3);
    assert_eq!(ck.delay_loop.as_secs(), 6);
    assert_eq!(ck.warmup.as_secs(), 6);
    let CheckKind::Http(h) = &ck.kind else {
        panic!()
    };
    assert_eq!(h.urls[0].path, "/testurl3/test.jsp");
    assert_eq!(h.urls[0].digest.unwrap()[..4], [0x64, 0x02, 0x05, 0xb7]);
    assert_eq!(
        summary(&c),
        format!(
            "TCP 10.10.10.2:1358 rr NAT persistent 50 s, 1 real server, HTTP_GET every 6 s, sorry 192.168.200.200:1358\n\
             1 virtual service, 1 real server, 1 check\n\
             warning: {d}/keepalived.conf.sample:4:4: 'notification_email' in global_defs ignored: lvsmon sends no email\n\
             warning: {d}/keepalived.conf.sample:7:4: 'notification_email_from' in global_defs ignored: lvsmon sends no email\n\
             warning: {d}/keepalived.conf.sample:8:4: 'smtp_server' in global_defs ignored: lvsmon sends no email\n\
             warning: {d}/keepalived.conf.sample:9:4: 'smtp_connect_timeout' in global_defs ignored: lvsmon sends no email\n\
             warning: {d}/keepalived.conf.sample:10:4: 'router_id' in global_defs ignored: not used by lvsmon\n\
             warning: {d}/keepalived.conf.sample:13:1: vrrp_instance VI_1 skipped (not part of keepalived's LVS configuration)\n",
            d = samples_dir().display()
        )
    );
}

#[test]
fn sample_quorum() {
    let c = sample("keepalived.conf.quorum");
    let v = &c.services[0];
    assert!(v.alpha && v.omega);
    assert_eq!((v.quorum, v.hysteresis), (7, 2));
    assert_eq!(
        v.quorum_up.as_ref().unwrap().argv,
        vec!["/usr/local/sbin/quorum-up.sh"]
    );
    assert!(v.reals.iter().all(|r| r.alpha));
    assert_eq!(v.reals[9].addr.to_string(), "10.0.0.10:8080");
    assert_eq!(v.reals[9].checks[0].target.to_string(), "10.0.0.10:80");
    // keepalived's default script user does not exist on the test machines: the quorum
    // scripts run as root, which is said once.
    assert_eq!(
        c.warnings,
        ["scripts without a user run as root: user keepalived_script does not exist and no script_user is set (keepalived's default)"]
    );
}

#[test]
fn sample_status_codes_read_as_http_get() {
    // The sample's checks are SSL_GET (refused by a build without "tls"); read as
    // HTTP_GET, its status_code lines and digest exercise the real sample text either way.
    let text = std::fs::read_to_string(samples_dir().join("keepalived.conf.status_code"))
        .unwrap()
        .replace("SSL_GET", "HTTP_GET");
    let c = lvsmon::config::parse_str("keepalived.conf.status_code", &text).unwrap();
    let CheckKind::Http(h) = &c.services[0].reals[0].checks[0].kind else {
        panic!()
    };
    assert!(h.tls.is_none());
    assert_eq!(
        h.urls[0].status.as_slice(),
        &[(200, 299), (400, 499), (503, 503), (505, 505)]
    );
    assert_eq!(h.urls[1].status.as_slice(), &[(200, 200)]);
    assert!(h.urls[1].digest.is_some());
}

#[test]
fn sample_misc_check_arguments() {
    let c = sample("keepalived.conf.misc_check_arg");
    let CheckKind::Misc(m) = &c.services[0].reals[0].checks[0].kind else {
        panic!()
    };
    assert_eq!(
        m.script.argv,
        vec!["/usr/local/bin/script.sh", "arg1", "arg2"]
    );
    assert_eq!(m.timeout.unwrap().as_secs(), 6);
    assert_eq!(c.services[0].reals[0].checks[0].retry, 0);
}

#[test]
fn sample_fwmark_and_group() {
    let c = sample("keepalived.conf.fwmark");
    let v = &c.services[0];
    assert_eq!(
        format!("{:?}", v.target),
        "Fwmark { mark: 1, family: Inet }"
    );
    assert_eq!(v.reals[0].addr.to_string(), "192.168.201.100:0");
    assert_eq!(
        v.reals[0].checks[0].target.to_string(),
        "192.168.201.100:80"
    );

    let c = sample("keepalived.conf.virtual_server_group");
    assert!(c
        .services
        .iter()
        .all(|v| v.group.as_deref() == Some("VSG_1")));
    assert_eq!(
        c.services
            .iter()
            .filter(|v| matches!(v.target, VsTarget::Fwmark { .. }))
            .count(),
        2
    );
}

#[test]
fn sample_smtp_hosts_and_ipv6() {
    let c = sample("keepalived.conf.SMTP_CHECK");
    let targets: Vec<Vec<String>> = c.services[0]
        .reals
        .iter()
        .map(|r| r.checks.iter().map(|k| k.target.to_string()).collect())
        .collect();
    assert_eq!(
        targets,
        vec![
            vec!["172.16.1.10:25"],
            vec!["172.16.1.11:25", "192.168.155.10:25", "64.233.167.99:25"],
            vec!["172.16.1.12:25", "192.168.155.11:25", "64.233.167.100:587"],
        ]
    );
    assert_eq!(
        c.services[0].reals[2].checks[1].bindto.unwrap().to_string(),
        "192.168.155.2"
    );
    assert_eq!(
        c.services[0].reals[1].checks[2].connect_timeout.as_secs(),
        10
    );

    let c = sample("keepalived.conf.IPv6");
    assert_eq!(c.services[0].reals[0].addr.to_string(), "[ae00::10]:25");
    assert_eq!(c.services[0].reals[0].forward, Forward::Masq);
}
