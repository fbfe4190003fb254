//! HTTP_GET pieces that do no I/O: the request text and the judgement of a status line,
//! kept apart from the socket handling in `mod.rs` so they can be tested on byte strings.

use std::fmt::Write as _;
use std::net::SocketAddr;

use crate::model::config::{HttpCheck, StatusCodes, Url};
use crate::probe::outcome::Reason;
use crate::probe::BoundedWriter;

/// Writes the request for `url` into `out`. Host follows keepalived's check_http.c: the
/// url's virtualhost, else the checker's (already inherited from the real server and the
/// service by config resolution), with no port; else the target address with its port,
/// an IPv6 literal in brackets (RFC 2732). `Connection: close` as keepalived's "1.0C".
/// Returns the request length, or None when it does not fit in `out`.
pub fn write_request(
    out: &mut [u8],
    check: &HttpCheck,
    url: &Url,
    target: SocketAddr,
) -> Option<usize> {
    let mut w = BoundedWriter::new(out);
    let host = url.virtualhost.as_deref().or(check.virtualhost.as_deref());
    let res = (|| -> std::fmt::Result {
        write!(
            w,
            "GET {} HTTP/1.0\r\nUser-Agent: lvsmon\r\nHost: ",
            url.path
        )?;
        match (host, target) {
            (Some(h), _) => w.write_str(h)?,
            (None, SocketAddr::V4(a)) => write!(w, "{}:{}", a.ip(), a.port())?,
            (None, SocketAddr::V6(a)) => write!(w, "[{}]:{}", a.ip(), a.port())?,
        }
        w.write_str("\r\nConnection: close\r\n\r\n")
    })();
    match res {
        Ok(()) => Some(w.len()),
        Err(_) => None,
    }
}

/// Whether `code` is accepted: inside one of the ranges, or 200-299 when none are given
/// (keepalived's default).
pub fn status_ok(ranges: &StatusCodes, code: u16) -> bool {
    if ranges.is_empty() {
        (200..=299).contains(&code)
    } else {
        ranges.iter().any(|&(lo, hi)| lo <= code && code <= hi)
    }
}

/// What the header bytes received so far say.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Head {
    /// Need more bytes; `code` is set once the whole status line has arrived.
    Partial { code: Option<u16> },
    /// The header block is complete: its length and the Content-Length, if any.
    Complete {
        code: u16,
        len: usize,
        content_length: Option<u64>,
    },
    /// Not an HTTP/1.x response. The status code, when the status line was fine.
    Bad {
        code: Option<u16>,
        what: &'static str,
    },
}

/// Parses the response head in `buf` with httparse (no allocation: headers on the stack).
pub fn parse_head(buf: &[u8]) -> Head {
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let mut resp = httparse::Response::new(&mut headers);
    let res = resp.parse(buf);
    // httparse sets `reason` only after the whole status line, so a code is trusted only
    // then ("HTTP/1.0 200" could still become "HTTP/1.0 2000").
    let code = match resp.reason {
        Some(_) => resp.code,
        None => None,
    };
    match res {
        Ok(httparse::Status::Partial) => Head::Partial { code },
        Ok(httparse::Status::Complete(len)) => {
            let code = code.unwrap_or(0);
            let mut content_length = None;
            for h in resp.headers.iter() {
                if h.name.eq_ignore_ascii_case("content-length") {
                    content_length = parse_decimal(h.value);
                    if content_length.is_none() {
                        return Head::Bad {
                            code: Some(code),
                            what: "bad Content-Length",
                        };
                    }
                }
            }
            Head::Complete {
                code,
                len,
                content_length,
            }
        }
        Err(e) => Head::Bad {
            code,
            what: match e {
                httparse::Error::Version => "not an HTTP/1.x status line",
                httparse::Error::Status => "bad HTTP status line",
                httparse::Error::TooManyHeaders => "too many HTTP headers",
                _ => "malformed HTTP header",
            },
        },
    }
}

fn parse_decimal(v: &[u8]) -> Option<u64> {
    let v = v.trim_ascii();
    if v.is_empty() || v.len() > 19 {
        return None;
    }
    let mut n: u64 = 0;
    for &b in v {
        if !b.is_ascii_digit() {
            return None;
        }
        n = n * 10 + u64::from(b - b'0');
    }
    Some(n)
}

/// The verdict on a status code alone: Ok when accepted.
pub fn judge_status(url: &Url, code: u16) -> Result<(), Reason> {
    if status_ok(&url.status, code) {
        Ok(())
    } else {
        Err(Reason::HttpStatus(code))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{IpAddr, Ipv6Addr};

    fn url(path: &str) -> Url {
        Url {
            path: path.into(),
            digest: None,
            status: StatusCodes::new(),
            virtualhost: None,
        }
    }

    fn req(check: &HttpCheck, url: &Url, target: SocketAddr) -> String {
        let mut buf = [0u8; 512];
        let n = write_request(&mut buf, check, url, target).unwrap();
        String::from_utf8(buf[..n].to_vec()).unwrap()
    }

    #[test]
    fn host_is_address_with_port_or_virtualhost_without() {
        let mut check = HttpCheck {
            tls: false,
            urls: Vec::new().into(),
            virtualhost: None,
        };
        let u = url("/health");
        assert_eq!(
            req(&check, &u, "127.0.0.1:8080".parse().unwrap()),
            "GET /health HTTP/1.0\r\nUser-Agent: lvsmon\r\nHost: 127.0.0.1:8080\r\nConnection: close\r\n\r\n"
        );
        let v6 = SocketAddr::new(IpAddr::V6(Ipv6Addr::LOCALHOST), 80);
        assert!(req(&check, &u, v6).contains("\r\nHost: [::1]:80\r\n"));
        check.virtualhost = Some("www.example.org".into());
        assert!(req(&check, &u, v6).contains("\r\nHost: www.example.org\r\n"));
        let mut u2 = url("/");
        u2.virtualhost = Some("url.example".into());
        assert!(req(&check, &u2, v6).contains("\r\nHost: url.example\r\n"));
    }

    #[test]
    fn request_that_does_not_fit_is_refused() {
        let check = HttpCheck {
            tls: false,
            urls: Vec::new().into(),
            virtualhost: None,
        };
        let mut buf = [0u8; 40];
        assert_eq!(
            write_request(&mut buf, &check, &url("/"), "127.0.0.1:80".parse().unwrap()),
            None
        );
    }

    #[test]
    fn status_ranges() {
        let mut r = StatusCodes::new();
        assert!(status_ok(&r, 200) && status_ok(&r, 299) && !status_ok(&r, 301));
        r.push((301, 302)).unwrap();
        r.push((503, 503)).unwrap();
        assert!(status_ok(&r, 302) && status_ok(&r, 503) && !status_ok(&r, 200));
    }

    #[test]
    fn heads() {
        assert_eq!(parse_head(b"HTTP/1.0 20"), Head::Partial { code: None });
        assert_eq!(parse_head(b"HTTP/1.0 200"), Head::Partial { code: None });
        assert_eq!(
            parse_head(b"HTTP/1.0 200 OK\r\nX-Long: aaa"),
            Head::Partial { code: Some(200) }
        );
        assert_eq!(
            parse_head(b"HTTP/1.1 503 Busy\r\nContent-Length: 12\r\n\r\nbody"),
            Head::Complete {
                code: 503,
                len: 41,
                content_length: Some(12)
            }
        );
        assert_eq!(
            parse_head(b"<html>hello</html>"),
            Head::Bad {
                code: None,
                what: "not an HTTP/1.x status line"
            }
        );
        assert_eq!(
            parse_head(b"HTTP/1.0 200 OK\r\nContent-Length: x\r\n\r\n"),
            Head::Bad {
                code: Some(200),
                what: "bad Content-Length"
            }
        );
    }
}
