//! Issue 12 item 2: the HTTP checks keepalived users rely on, from config text to
//! verdict: `http_protocol 1.0` / `1.0C` / `1.1` (chunked replies decoded before the
//! digest and the regex) and the url `regex` family, against loopback servers.

// Every test here uses the url regex (the default feature `regex`); `cargo test` runs them,
// a --no-default-features build compiles none of them.
#![cfg(feature = "regex")]

mod support;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::time::{Duration, Instant};

use md5::{Digest, Md5};
use support::*;

use lvsmon::model::config::Check;

/// A server for `conns` connections: reads each request head, writes `reply(request)`,
/// then closes the connection only if the request said `Connection: close` (else it
/// keeps it open until the client goes, as a keep-alive server does).
fn serve(conns: usize, reply: fn(&str) -> Vec<u8>) -> SocketAddr {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    std::thread::spawn(move || {
        for _ in 0..conns {
            let Ok((mut c, _)) = l.accept() else { return };
            std::thread::spawn(move || {
                c.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
                let mut head = Vec::new();
                let mut b = [0u8; 1024];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 8192 {
                    match c.read(&mut b) {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&b[..n]),
                    }
                }
                let req = String::from_utf8_lossy(&head).into_owned();
                let _ = c.write_all(&reply(&req));
                if !req.contains("\r\nConnection: close\r\n") {
                    // Keep-alive: wait for the client to hang up (bounded).
                    let _ = c.read(&mut b);
                }
            });
        }
    });
    addr
}

fn md5_hex(body: &[u8]) -> String {
    Md5::digest(body)
        .iter()
        .map(|b| format!("{:02x}", b))
        .collect()
}

/// The one check of a config whose HTTP_GET has `check_extra` and one url with
/// `url_extra`, aimed at `addr`.
fn http_check(addr: SocketAddr, check_extra: &str, url_extra: &str) -> Check {
    let text = format!(
        "virtual_server 192.0.2.10 80 {{\n protocol TCP\n real_server {} {} {{\n  HTTP_GET {{\n   connect_timeout 1\n{}\n   url {{\n    path /health\n{}\n   }}\n  }}\n }}\n}}\n",
        addr.ip(),
        addr.port(),
        check_extra,
        url_extra
    );
    let cfg = lvsmon::config::parse_str("h.conf", &text).unwrap_or_else(|e| panic!("{}", e));
    cfg.services[0].reals[0].checks[0].clone()
}

const BODY: &str = "<html>service status: OK, 3 workers</html>\n";

fn chunked_reply(_: &str) -> Vec<u8> {
    // The body in three chunks, one with an extension, and a trailer.
    let mut r = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
    let b = BODY.as_bytes();
    for part in [&b[..10], &b[10..30], &b[30..]] {
        r.extend_from_slice(format!("{:x};x=y\r\n", part.len()).as_bytes());
        r.extend_from_slice(part);
        r.extend_from_slice(b"\r\n");
    }
    r.extend_from_slice(b"0\r\nX-Checked: yes\r\n\r\n");
    r
}

#[test]
fn http_1_1_chunked_reply_with_digest_and_regex() {
    let addr = serve(8, chunked_reply);
    let digest = md5_hex(BODY.as_bytes());
    let c = http_check(
        addr,
        "   http_protocol 1.1",
        &format!(
            "    digest {}\n    regex \"status: OK, [0-9]+ workers\"",
            digest
        ),
    );
    assert_eq!(verdict(&run(&c)), "up");
    // The digest is the decoded body's: the framing's digest does not pass.
    let framed = md5_hex(&chunked_reply("")[47..]);
    let c = http_check(
        addr,
        "   http_protocol 1.1",
        &format!("    digest {}", framed),
    );
    assert_eq!(verdict(&run(&c)), "digest mismatch");
    // The regex runs on the decoded body: a pattern across two chunks matches...
    let c = http_check(addr, "   http_protocol 1.1", "    regex \"html>service\"");
    assert_eq!(verdict(&run(&c)), "up");
    // ... the chunk framing is not there to match, and regex_no_match inverts.
    let c = http_check(addr, "   http_protocol 1.1", "    regex \"x=y\"");
    assert_eq!(
        verdict(&run(&c)),
        "bad reply: the body does not match the regex"
    );
    let c = http_check(
        addr,
        "   http_protocol 1.1",
        "    regex \"status: OK\"\n    regex_no_match",
    );
    assert_eq!(
        verdict(&run(&c)),
        "bad reply: the body matches the regex (regex_no_match)"
    );
}

#[test]
fn requests_follow_http_protocol() {
    fn echo(req: &str) -> Vec<u8> {
        format!(
            "HTTP/1.0 200 OK\r\nContent-Length: {}\r\n\r\n{}",
            req.len(),
            req
        )
        .into_bytes()
    }
    let addr = serve(3, echo);
    let host = format!("Host: {}\r\n", addr);
    for (proto, first, conn) in [
        ("1.0", "GET /health HTTP/1.0\r\n", false),
        ("1.0C", "GET /health HTTP/1.0\r\n", true),
        ("1.1", "GET /health HTTP/1.1\r\n", true),
    ] {
        // The reply's body is our request: a regex on it says what was sent.
        let want = format!(
            "^{}User-Agent: lvsmon\r\n{}{}\r\n$",
            first,
            host,
            if conn { "Connection: close\r\n" } else { "" }
        );
        let mut c = http_check(
            addr,
            &format!("   http_protocol {}", proto),
            "    regex \"x\"",
        );
        // Put the exact pattern in place (config escapes would need doubling).
        if let lvsmon::model::config::CheckKind::Http(h) = &mut c.kind {
            let mut urls: Vec<_> = h.urls.to_vec();
            let r = urls[0].regex.as_mut().unwrap();
            r.re = regex_lite::Regex::new(
                &regex_lite::escape(&want)
                    .replace("\\^", "^")
                    .replace("\\$", "$"),
            )
            .unwrap();
            h.urls = urls.into();
        }
        assert_eq!(verdict(&run(&c)), "up", "http_protocol {}", proto);
    }
}

#[test]
fn a_keep_alive_server_hangs_1_0_until_the_timeout_and_not_1_0c() {
    // No Content-Length: the body ends when the server closes, which a keep-alive
    // server does only when asked (Connection: close).
    fn keep_alive(_: &str) -> Vec<u8> {
        format!("HTTP/1.0 200 OK\r\n\r\n{}", BODY).into_bytes()
    }
    let addr = serve(4, keep_alive);
    let digest = md5_hex(BODY.as_bytes());
    let url = format!("    digest {}", digest);
    let t0 = Instant::now();
    let c = http_check(addr, "   http_protocol 1.0", &url);
    assert_eq!(verdict(&run(&c)), timeout_text(1000));
    assert!(t0.elapsed() >= Duration::from_millis(900));
    let c = http_check(addr, "   http_protocol 1.0C", &url);
    assert_eq!(verdict(&run(&c)), "up");
    let c = http_check(addr, "", &url);
    assert_eq!(verdict(&run(&c)), timeout_text(1000), "1.0 is the default");
}

/// 10 MB of body: the regex is looked for as it streams in, in a bounded window; a match
/// ends the read at once, and without one the read stops at MAX_HTTP_REPLY_BYTES.
#[test]
fn regex_on_a_ten_megabyte_body_within_the_bounded_read() {
    fn big(_: &str) -> Vec<u8> {
        let mut body = vec![b'.'; 10 * 1024 * 1024];
        body[300_000..300_011].copy_from_slice(b"NEEDLE-1234");
        body[9_000_000..9_000_011].copy_from_slice(b"LATE-NEEDLE");
        let mut r =
            format!("HTTP/1.0 200 OK\r\nContent-Length: {}\r\n\r\n", body.len()).into_bytes();
        r.extend_from_slice(&body);
        r
    }
    let addr = serve(8, big);
    let t0 = Instant::now();
    let c = http_check(
        addr,
        "   http_protocol 1.0C",
        "    regex \"NEEDLE-[0-9]{4}\"",
    );
    assert_eq!(verdict(&run(&c)), "up");
    // Offsets: the match at 300 000 counts within them, not past regex_max_offset.
    let c = http_check(
        addr,
        "   http_protocol 1.0C",
        "    regex \"NEEDLE\"\n    regex_min_offset 299000\n    regex_max_offset 300000",
    );
    assert_eq!(verdict(&run(&c)), "up");
    let c = http_check(
        addr,
        "   http_protocol 1.0C",
        "    regex \"NEEDLE\"\n    regex_max_offset 299999",
    );
    assert_eq!(
        verdict(&run(&c)),
        "bad reply: the body does not match the regex"
    );
    // Beyond the bounded read (1 MiB of body): not seen, so not matched.
    let c = http_check(addr, "   http_protocol 1.0C", "    regex \"LATE-NEEDLE\"");
    assert_eq!(
        verdict(&run(&c)),
        "bad reply: the body does not match the regex"
    );
    assert!(t0.elapsed() < Duration::from_secs(30));
}
