//! Issue 12 item 2 over TLS: SSL_GET shares HTTP_GET's engine, so `http_protocol` and the
//! url `regex` work the same on `openssl s_server -WWW` (127.0.0.1, a test CA by rcgen).
#![cfg(all(feature = "tls", feature = "regex"))]

mod support;
#[path = "support/tls.rs"]
mod tls_support;

use std::time::Duration;

use support::{run, verdict};
use tls_support::*;

#[test]
fn ssl_get_regex_and_http_protocol() {
    let files = Files::new("tls-regex");
    let ca = Ca::new("lvsmon test CA");
    let (cert, key) = files.pair("server", &ca.issue(&["127.0.0.1"], false, false));
    files
        .dir
        .write("index.html", b"<p>pool status: green (12 nodes)</p>\n");
    let srv = SServer::start(&files.dir.0, &cert, &key, &["-tls1_3"]);
    let t = Duration::from_secs(5);
    for proto in ["1.0", "1.0C", "1.1"] {
        let extra = format!("http_protocol {proto}");
        let good = ssl_get(
            srv.addr,
            "",
            "path /index.html\n        regex \"status: green \\\\(1[0-9] nodes\"",
            &extra,
            t,
        );
        assert_eq!(verdict(&run(&good)), "up", "http_protocol {proto}");
        let bad = ssl_get(
            srv.addr,
            "",
            "path /index.html\n        regex \"status: red\"",
            &extra,
            t,
        );
        assert_eq!(
            verdict(&run(&bad)),
            "bad reply: the body does not match the regex",
            "http_protocol {proto}"
        );
    }
    // Six requests, six files served: one TLS connection per check.
    assert_eq!(srv.output().matches("FILE:index.html").count(), 6);
}
