//! SSL_GET against real TLS servers (`openssl s_server`) and misbehaving ones, on
//! 127.0.0.1: TLS 1.2 and 1.3, status and digest over TLS, SNI as the server saw it,
//! certificate verification with `SSL { ca }` (good chain, unknown CA, expired, wrong
//! name, `verify off`), client certificates, and hostile servers each reported down with
//! its reason within its deadline. Certificates are made by the test (rcgen).
#![cfg(feature = "tls")]

mod support;
#[path = "support/tls.rs"]
mod tls_support;

use std::time::{Duration, Instant};

use support::{run, verdict};
use tls_support::*;

/// Generous bound on a verdict past its deadline (a shared, loaded CI machine).
const LATE: Duration = Duration::from_millis(1500);
const INDEX: &[u8] = b"hello over TLS\n";
/// md5 of INDEX.
const INDEX_MD5: &str = "c33e391b9025acd88f24df82c2dd0ac5";

fn md5_hex(b: &[u8]) -> String {
    use md5::{Digest, Md5};
    Md5::digest(b).iter().map(|x| format!("{x:02x}")).collect()
}

/// A CA, a server certificate for www.example.test and 127.0.0.1, a web root.
struct Fixture {
    files: Files,
    ca: Ca,
    ca_path: std::path::PathBuf,
    cert: std::path::PathBuf,
    key: std::path::PathBuf,
}

fn fixture(tag: &str) -> Fixture {
    let files = Files::new(tag);
    let ca = Ca::new("lvsmon test CA");
    let ca_path = files.dir.write("ca.crt", ca.pem().as_bytes());
    let (cert, key) = files.pair(
        "server",
        &ca.issue(&["www.example.test", "127.0.0.1"], false, false),
    );
    files.dir.write("index.html", INDEX);
    Fixture {
        files,
        ca,
        ca_path,
        cert,
        key,
    }
}

fn url_lines(path: &str, digest: Option<&str>) -> String {
    match digest {
        Some(d) => format!("path {path}\n        digest {d}"),
        None => format!("path {path}"),
    }
}

fn ssl_ca(f: &Fixture) -> String {
    format!("SSL {{\n  ca {}\n}}", f.ca_path.display())
}

#[test]
fn index_md5_constant_matches() {
    assert_eq!(md5_hex(INDEX), INDEX_MD5);
}

#[test]
fn tls13_and_tls12_servers_are_up_with_status_and_digest() {
    let f = fixture("versions");
    for version in ["-tls1_3", "-tls1_2"] {
        let srv = SServer::start(&f.files.dir.0, &f.cert, &f.key, &[version]);
        let t = Duration::from_secs(5);
        let good = ssl_get(
            srv.addr,
            "",
            &url_lines("/index.html", Some(INDEX_MD5)),
            "",
            t,
        );
        assert_eq!(verdict(&run(&good)), "up", "{version}");
        let wrong = ssl_get(
            srv.addr,
            "",
            &url_lines("/index.html", Some(&md5_hex(b"other"))),
            "",
            t,
        );
        assert_eq!(verdict(&run(&wrong)), "digest mismatch", "{version}");
        // (-WWW answers every path with 200, a missing file with an error text.)
        let refused = ssl_get(
            srv.addr,
            "",
            &format!(
                "{}\n        status_code 500",
                url_lines("/index.html", None)
            ),
            "",
            t,
        );
        assert_eq!(verdict(&run(&refused)), "HTTP 200", "{version}");
        // Two urls: one TLS connection each, both judged.
        let two = ssl_get(
            srv.addr,
            "",
            &url_lines("/index.html", Some(INDEX_MD5)),
            "url {\n        path /index.html\n        status_code 500\n      }",
            t,
        );
        assert_eq!(verdict(&run(&two)), "HTTP 200", "{version}");
        assert_eq!(
            srv.output().matches("FILE:index.html").count(),
            5,
            "{version}"
        );
    }
}

#[test]
fn sni_is_sent_as_keepalived_sends_it() {
    let f = fixture("sni");
    let srv = SServer::start(&f.files.dir.0, &f.cert, &f.key, &["-tls1_3", "-trace"]);
    let t = Duration::from_secs(5);
    let u = url_lines("/index.html", None);
    // keepalived's default: no SNI, even with a virtualhost.
    let c = ssl_get(srv.addr, "", &u, "virtualhost www.example.test", t);
    assert_eq!(verdict(&run(&c)), "up");
    assert_eq!(srv.sni_received(), Vec::<String>::new());
    // enable_sni: the virtualhost.
    let c = ssl_get(
        srv.addr,
        "",
        &u,
        "virtualhost www.example.test\n      enable_sni",
        t,
    );
    assert_eq!(verdict(&run(&c)), "up");
    // sni_name wins over the virtualhost (and turns SNI on by itself).
    let c = ssl_get(
        srv.addr,
        "",
        &u,
        "virtualhost www.example.test\n      sni_name api.example.test",
        t,
    );
    assert_eq!(verdict(&run(&c)), "up");
    // The url's own virtualhost comes before the checker's.
    let c = ssl_get(
        srv.addr,
        "",
        &format!("{u}\n        virtualhost url.example.test"),
        "virtualhost www.example.test\n      enable_sni",
        t,
    );
    assert_eq!(verdict(&run(&c)), "up");
    // enable_sni without any name: nothing to send (an address is never sent).
    let c = ssl_get(srv.addr, "", &u, "enable_sni", t);
    assert_eq!(verdict(&run(&c)), "up");
    assert_eq!(
        srv.sni_received(),
        ["www.example.test", "api.example.test", "url.example.test"]
    );
}

#[test]
fn a_server_refusing_the_sni_name_is_down_with_its_alert() {
    let f = fixture("sni-fatal");
    let srv = SServer::start(
        &f.files.dir.0,
        &f.cert,
        &f.key,
        &[
            "-tls1_3",
            "-servername",
            "www.example.test",
            "-servername_fatal",
            "-cert2",
            f.cert.to_str().unwrap(),
            "-key2",
            f.key.to_str().unwrap(),
        ],
    );
    let t = Duration::from_secs(5);
    let u = url_lines("/index.html", None);
    let c = ssl_get(srv.addr, "", &u, "sni_name www.example.test", t);
    assert_eq!(verdict(&run(&c)), "up");
    let c = ssl_get(srv.addr, "", &u, "sni_name other.example.test", t);
    assert_eq!(
        verdict(&run(&c)),
        "TLS handshake failed: unrecognized_name alert from the server"
    );
}

#[test]
fn with_a_ca_the_chain_and_the_name_are_verified() {
    let f = fixture("verify");
    let t = Duration::from_secs(5);
    let u = url_lines("/index.html", Some(INDEX_MD5));
    let ssl = ssl_ca(&f);
    let good = SServer::start(&f.files.dir.0, &f.cert, &f.key, &["-tls1_3"]);
    let c = ssl_get(good.addr, &ssl, &u, "virtualhost www.example.test", t);
    assert_eq!(verdict(&run(&c)), "up", "good chain, name from virtualhost");
    let c = ssl_get(good.addr, &ssl, &u, "sni_name www.example.test", t);
    assert_eq!(verdict(&run(&c)), "up", "good chain, name from sni_name");
    // No name at all: the certificate must be valid for the address (it is: 127.0.0.1).
    let c = ssl_get(good.addr, &ssl, &u, "", t);
    assert_eq!(verdict(&run(&c)), "up", "good chain, the address");
    let c = ssl_get(good.addr, &ssl, &u, "virtualhost other.example.test", t);
    assert_eq!(
        verdict(&run(&c)),
        "certificate verify failed: certificate not valid for the name checked"
    );
    // Without `ca`, keepalived's behaviour: nothing is verified.
    let c = ssl_get(good.addr, "", &u, "virtualhost other.example.test", t);
    assert_eq!(verdict(&run(&c)), "up", "no ca: no verification");

    let stranger = Ca::new("somebody else's CA");
    let (sc, sk) = f.files.pair(
        "stranger",
        &stranger.issue(&["www.example.test"], false, false),
    );
    let unknown = SServer::start(&f.files.dir.0, &sc, &sk, &["-tls1_2"]);
    let c = ssl_get(unknown.addr, &ssl, &u, "virtualhost www.example.test", t);
    assert_eq!(
        verdict(&run(&c)),
        "certificate verify failed: unknown issuer (not signed by the SSL ca)"
    );
    // `verify off` (lvsmon's): keepalived's behaviour for this check even with a ca.
    let c = ssl_get(
        unknown.addr,
        &ssl,
        &u,
        "virtualhost www.example.test\n      verify off",
        t,
    );
    assert_eq!(verdict(&run(&c)), "up", "verify off");

    let (ec, ek) = f
        .files
        .pair("expired", &f.ca.issue(&["www.example.test"], false, true));
    let expired = SServer::start(&f.files.dir.0, &ec, &ek, &["-tls1_3"]);
    let c = ssl_get(expired.addr, &ssl, &u, "virtualhost www.example.test", t);
    assert_eq!(
        verdict(&run(&c)),
        "certificate verify failed: certificate expired"
    );
}

#[test]
fn a_client_certificate_is_sent_when_required() {
    let f = fixture("client");
    let (cc, ck) = f
        .files
        .pair("client", &f.ca.issue(&["lvsmon.example.test"], true, false));
    let t = Duration::from_secs(5);
    let u = url_lines("/index.html", Some(INDEX_MD5));
    for version in ["-tls1_3", "-tls1_2"] {
        let srv = SServer::start(
            &f.files.dir.0,
            &f.cert,
            &f.key,
            &[
                version,
                "-Verify",
                "1",
                "-CAfile",
                f.ca_path.to_str().unwrap(),
            ],
        );
        let without = ssl_get(srv.addr, "", &u, "", t);
        let why = verdict(&run(&without));
        assert!(
            why == "TLS handshake failed: certificate_required alert from the server"
                || why == "TLS handshake failed: handshake_failure alert from the server",
            "{version}: {why}"
        );
        let ssl = format!(
            "SSL {{\n  certificate {}\n  key {}\n}}",
            cc.display(),
            ck.display()
        );
        let with = ssl_get(srv.addr, &ssl, &u, "", t);
        assert_eq!(verdict(&run(&with)), "up", "{version}");
    }
}

/// Runs `c` and asserts its reason and that it came after `at_least` and not much later
/// than the deadline.
fn down_within(c: &lvsmon::model::config::Check, want: &str, at_least: Duration) {
    let begun = Instant::now();
    let o = run(c);
    let took = begun.elapsed();
    assert_eq!(verdict(&o), want);
    assert!(took >= at_least, "{want}: after {took:?}");
    assert!(took <= c.connect_timeout + LATE, "{want}: after {took:?}");
}

#[test]
fn hostile_servers_are_down_with_their_reason_within_the_deadline() {
    let t = Duration::from_millis(1500);
    let u = url_lines("/", None);
    let s = HostileServer::start(Hostile::Stall);
    let c = ssl_get(s.addr, "", &u, "", t);
    down_within(&c, "timeout after 1500 ms in TLS handshake", t);
    let s = HostileServer::start(Hostile::Garbage);
    let c = ssl_get(s.addr, "", &u, "", t);
    down_within(
        &c,
        "TLS handshake failed: the server does not speak TLS (or sent a malformed record)",
        Duration::ZERO,
    );
    let s = HostileServer::start(Hostile::Alert);
    let c = ssl_get(s.addr, "", &u, "", t);
    down_within(
        &c,
        "TLS handshake failed: handshake_failure alert from the server",
        Duration::ZERO,
    );
    let s = HostileServer::start(Hostile::CloseMidHandshake);
    let c = ssl_get(s.addr, "", &u, "", t);
    down_within(
        &c,
        "TLS handshake failed: connection closed by the server",
        Duration::ZERO,
    );
}

#[test]
fn a_trickling_tls_server_times_out_in_the_handshake() {
    let f = fixture("trickle");
    let srv = SServer::start(&f.files.dir.0, &f.cert, &f.key, &["-tls1_3"]);
    let relay = Trickle::start(srv.addr);
    let t = Duration::from_millis(1500);
    let c = ssl_get(relay.addr, "", &url_lines("/index.html", None), "", t);
    down_within(&c, "timeout after 1500 ms in TLS handshake", t);
}

#[test]
fn a_10_mb_body_over_tls_is_cut_off() {
    let f = fixture("huge");
    let big = vec![b'x'; 10 * 1024 * 1024];
    f.files.dir.write("big.bin", &big);
    let srv = SServer::start(&f.files.dir.0, &f.cert, &f.key, &["-tls1_3"]);
    let t = Duration::from_secs(5);
    let c = ssl_get(
        srv.addr,
        "",
        &url_lines("/big.bin", Some(&md5_hex(&big))),
        "",
        t,
    );
    down_within(&c, "reply too large", Duration::ZERO);
    // Without a digest the status line is the verdict, as for HTTP_GET.
    let c = ssl_get(srv.addr, "", &url_lines("/big.bin", None), "", t);
    assert_eq!(verdict(&run(&c)), "up");
}

#[test]
fn tls_compliant_sends_close_notify() {
    let f = fixture("compliant");
    let srv = RustlsServer::start(&f.cert, &f.key, b"HTTP/1.0 200 OK\r\n\r\nhello\n");
    let t = Duration::from_secs(5);
    let u = url_lines("/", None);
    let quiet = ssl_get(srv.addr, "", &u, "", t);
    assert_eq!(verdict(&run(&quiet)), "up");
    let compliant = ssl_get(srv.addr, "", &u, "tls_compliant", t);
    assert_eq!(verdict(&run(&compliant)), "up");
    // The url's own tls_compliant (keepalived has both).
    let per_url = ssl_get(srv.addr, "", &format!("{u}\n        tls_compliant"), "", t);
    assert_eq!(verdict(&run(&per_url)), "up");
    assert_eq!(srv.closes(3), [false, true, true]);
}
