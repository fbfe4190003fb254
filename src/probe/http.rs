//! HTTP_GET: the one HTTP engine. The pure pieces first (the request text, the parse of
//! a reply head, the judgement of a status line: tested on byte strings and fuzzed),
//! then the engine that sends a request and reads the reply through a `Stream`, which
//! is all it knows of the connection under it.
//!
//! Memory: a head that arrives whole (the usual case) is judged in a scratch buffer
//! shared by every probe of the thread and body bytes are only hashed, so a slot's own
//! buffer is written only when a head arrives in pieces.

use std::cell::RefCell;
use std::fmt::Write as _;
use std::net::SocketAddr;

use md5::Digest;

use crate::model::config::{HttpCheck, StatusCodes, Url};
use crate::model::limits::{MAX_HTTP_HEADER_BYTES, MAX_HTTP_REPLY_BYTES};
use crate::probe::outcome::Reason;
use crate::probe::{http_body, send_rest, BoundedWriter, Io, ProbeSlot, BUF_BYTES, REQ_BYTES};

/// The HTTP version and connection header of a request: keepalived's `http_protocol`
/// (and genhash's `-P`): `1.0`, `1.0C` = 1.0 with `Connection: close`, `1.1` = 1.1 with
/// `Connection: close`.
pub use crate::model::config::HttpProtocol as Protocol;

/// Writes the request for `url` into `out`. Host follows keepalived's check_http.c: the
/// url's virtualhost, else the checker's (already inherited from the real server and the
/// service by config resolution), with no port; else the target address with its port,
/// an IPv6 literal in brackets (RFC 2732); it is sent whatever the version. The version
/// and `Connection: close` follow the check's `http_protocol`.
/// Returns the request length, or None when it does not fit in `out`.
pub fn write_request(
    out: &mut [u8],
    check: &HttpCheck,
    url: &Url,
    target: SocketAddr,
) -> Option<usize> {
    let host = url.virtualhost.as_deref().or(check.virtualhost.as_deref());
    write_get(out, &url.path, host, target, check.protocol)
}

/// Writes `GET path` for `protocol` into `out`, with Host as `write_request` says (the
/// virtualhost `host` without a port, else the target address with its port). Returns
/// the request length, or None when it does not fit in `out`.
pub fn write_get(
    out: &mut [u8],
    path: &str,
    host: Option<&str>,
    target: SocketAddr,
    protocol: Protocol,
) -> Option<usize> {
    let mut w = BoundedWriter::new(out);
    let version = match protocol {
        Protocol::Http10 | Protocol::Http10Close => "1.0",
        Protocol::Http11Close => "1.1",
    };
    let res = (|| -> std::fmt::Result {
        write!(
            w,
            "GET {} HTTP/{}\r\nUser-Agent: lvsmon\r\nHost: ",
            path, version
        )?;
        match (host, target) {
            (Some(h), _) => w.write_str(h)?,
            (None, SocketAddr::V4(a)) => write!(w, "{}:{}", a.ip(), a.port())?,
            (None, SocketAddr::V6(a)) => write!(w, "[{}]:{}", a.ip(), a.port())?,
        }
        if protocol != Protocol::Http10 {
            w.write_str("\r\nConnection: close")?;
        }
        w.write_str("\r\n\r\n")
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
    /// The header block is complete: its length, the Content-Length, if any, and
    /// whether the body is chunked (`Transfer-Encoding: chunked`, which overrides a
    /// Content-Length, RFC 9112 6.3).
    Complete {
        code: u16,
        len: usize,
        content_length: Option<u64>,
        chunked: bool,
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
            let mut chunked = false;
            for h in resp.headers.iter() {
                if h.name.eq_ignore_ascii_case("transfer-encoding") {
                    // chunked is the last coding when present (RFC 9112 6.1).
                    let v = h.value.trim_ascii();
                    chunked = v.len() >= 7 && v[v.len() - 7..].eq_ignore_ascii_case(b"chunked");
                }
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
                content_length: if chunked { None } else { content_length },
                chunked,
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

/// Bytes every HTTP probe of a thread shares: its request is written there just before it
/// is sent and its reply read there (the reactor drives one probe at a time). A probe in
/// flight then keeps nothing in its slot's own buffers, which stay out of the resident
/// set unless a reply head arrives in pieces or the check is of another kind; with
/// hundreds of probes in flight (a slow network, a slow machine) the slots' buffers
/// would each cost a page.
struct Scratch {
    req: [u8; REQ_BYTES],
    buf: [u8; BUF_BYTES],
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = const {
        RefCell::new(Scratch {
            req: [0; REQ_BYTES],
            buf: [0; BUF_BYTES],
        })
    };
}

/// What one read pass of an HTTP reply concluded.
pub(super) enum ReadStep {
    Wait,
    UrlPassed,
}

impl ProbeSlot {
    pub(super) fn prepare_http(&mut self, h: &HttpCheck) -> Result<(), Reason> {
        if self.url >= h.urls.len() {
            return Err(Reason::Local(libc::EINVAL));
        }
        // The request itself is written by `send_pending`, into the shared scratch.
        self.sent = 0;
        Ok(())
    }

    /// Writes what is left of the request. Ok(true) once all of it is out. The request
    /// is written afresh into the shared scratch on each call (it depends only on the
    /// check and the url), so the slot's own buffer stays untouched.
    pub(super) fn http_send(&mut self, h: &HttpCheck, target: SocketAddr) -> Result<bool, Reason> {
        SCRATCH.with_borrow_mut(|scratch| {
            let url: &Url = h.urls.get(self.url).ok_or(Reason::Local(libc::EINVAL))?;
            let len = write_request(&mut scratch.req, h, url, target)
                .ok_or(Reason::Local(libc::ENAMETOOLONG))?;
            send_rest(
                &mut self.io,
                &scratch.req[..len],
                &mut self.sent,
                &mut self.socket_calls,
            )
        })
    }

    pub(super) fn http_read(&mut self, h: &HttpCheck) -> Result<ReadStep, Reason> {
        let url: &Url = h.urls.get(self.url).ok_or(Reason::Local(libc::EINVAL))?;
        SCRATCH.with_borrow_mut(|scratch| self.http_read_into(url, &mut scratch.buf))
    }

    /// Reads the reply into the shared `scratch`: a head that arrives whole (the usual
    /// case) is judged there, and body bytes are only hashed, so the slot's own buffer
    /// is written only when a head arrives in pieces (`filled` > 0 then: the bytes so
    /// far, kept until the rest comes).
    fn http_read_into(&mut self, url: &Url, scratch: &mut [u8]) -> Result<ReadStep, Reason> {
        let head_cap = MAX_HTTP_HEADER_BYTES.min(self.buf.len()).min(scratch.len());
        // Without a digest or a regex the status line is the whole verdict.
        let needs_body = url.digest.is_some() || url.regex.is_some();
        // Every read returns at least one byte or ends the loop, and the bytes are
        // bounded (head_cap, then MAX_HTTP_REPLY_BYTES of body).
        for _ in 0..(MAX_HTTP_REPLY_BYTES + MAX_HTTP_HEADER_BYTES + 2) {
            let Io::Tcp(s) = &mut self.io else {
                return Err(Reason::Local(libc::EBADF));
            };
            let kept = !self.head_done && self.filled > 0;
            let room = if self.head_done {
                &mut scratch[..]
            } else if kept {
                &mut self.buf[self.filled..head_cap]
            } else {
                &mut scratch[..head_cap]
            };
            let Some(n) = s.read(room, &mut self.socket_calls)? else {
                return Ok(ReadStep::Wait);
            };
            if n == 0 {
                // End of reply.
                if !self.head_done {
                    return Err(Reason::ClosedEarly);
                }
                if matches!(self.content_length, Some(cl) if self.body_len < cl) {
                    return Err(Reason::ClosedEarly);
                }
                if self.chunked.is_some() {
                    // The last chunk never came.
                    return Err(Reason::ClosedEarly);
                }
                return self.body_verdict(url);
            }
            if self.head_done {
                if self.feed_body(url, &scratch[..n])? {
                    return self.body_verdict(url);
                }
                continue;
            }
            let total = if kept { self.filled + n } else { n };
            let head = if kept {
                &self.buf[..total]
            } else {
                &scratch[..total]
            };
            match parse_head(head) {
                Head::Partial { code } => {
                    if let Some(code) = code {
                        judge_status(url, code)?;
                        if !needs_body {
                            return Ok(ReadStep::UrlPassed);
                        }
                    }
                    if total == head_cap {
                        return Err(if code.is_some() {
                            Reason::ReplyTooLarge
                        } else {
                            Reason::BadReply("HTTP status line too long")
                        });
                    }
                    if !kept {
                        self.buf[..n].copy_from_slice(&scratch[..n]);
                    }
                    self.filled = total;
                }
                Head::Bad { code, what } => {
                    if let Some(code) = code {
                        judge_status(url, code)?;
                        if !needs_body {
                            return Ok(ReadStep::UrlPassed);
                        }
                    }
                    return Err(Reason::BadReply(what));
                }
                Head::Complete {
                    code,
                    len,
                    content_length,
                    chunked,
                } => {
                    judge_status(url, code)?;
                    if !needs_body {
                        return Ok(ReadStep::UrlPassed);
                    }
                    if url.digest.is_some()
                        && matches!(content_length, Some(cl) if cl > MAX_HTTP_REPLY_BYTES as u64)
                    {
                        return Err(Reason::ReplyTooLarge);
                    }
                    self.head_done = true;
                    self.content_length = content_length;
                    self.body_len = 0;
                    self.chunked = chunked.then(http_body::Chunked::default);
                    self.rx = http_body::RegexScan::default();
                    Digest::reset(&mut self.md5);
                    // The body bytes that came with the head.
                    let rest = total - len;
                    if kept {
                        scratch[..rest].copy_from_slice(&self.buf[len..total]);
                    } else {
                        scratch.copy_within(len..total, 0);
                    }
                    self.filled = 0;
                    if self.feed_body(url, &scratch[..rest])? {
                        return self.body_verdict(url);
                    }
                }
            }
        }
        Ok(ReadStep::Wait)
    }

    /// Takes `bytes` of the reply after its head: decodes them when chunked, then hashes
    /// the body and runs the regex over it. Ok(true) once the body is complete
    /// (Content-Length bytes, the last chunk) or, with a regex and no digest, once the
    /// regex is settled or MAX_HTTP_REPLY_BYTES of body have been read (the regex is then
    /// judged on what was read; with a digest that many bytes are "reply too large").
    fn feed_body(&mut self, url: &Url, bytes: &[u8]) -> Result<bool, Reason> {
        let want = match self.content_length {
            Some(cl) => (cl - self.body_len).min(bytes.len() as u64) as usize,
            None => bytes.len(),
        };
        let bytes = &bytes[..want];
        let digest = url.digest.is_some();
        // Split borrows: the decoder's output goes to the digest and the regex window.
        let (md5, rx, win, body_len) = (
            &mut self.md5,
            &mut self.rx,
            &mut *self.buf,
            &mut self.body_len,
        );
        let mut too_large = false;
        let mut take = |body: &[u8]| {
            let room = (MAX_HTTP_REPLY_BYTES as u64).saturating_sub(*body_len);
            let n = body.len().min(usize::try_from(room).unwrap_or(usize::MAX));
            if n < body.len() {
                too_large = true;
            }
            *body_len += n as u64;
            if digest {
                md5.update(&body[..n]);
            }
            if let Some(r) = &url.regex {
                rx.feed(r, win, &body[..n]);
            }
        };
        let mut complete = match self.chunked.as_mut() {
            Some(c) => c.feed(bytes, &mut take).map_err(Reason::BadReply)?,
            None => {
                take(bytes);
                matches!(self.content_length, Some(cl) if self.body_len == cl)
            }
        };
        if too_large {
            if digest {
                return Err(Reason::ReplyTooLarge);
            }
            complete = true;
        }
        if !digest && self.rx.settled() {
            complete = true;
        }
        Ok(complete)
    }

    /// The digest's and the regex's verdict on the body read (keepalived's
    /// http_handle_response: the digest first, then "regex matched" against
    /// `regex_no_match`).
    fn body_verdict(&mut self, url: &Url) -> Result<ReadStep, Reason> {
        let sum = self.md5.finalize_reset();
        if let Some(d) = &url.digest {
            if sum.as_slice() != &d[..] {
                return Err(Reason::DigestMismatch);
            }
        }
        if let Some(r) = &url.regex {
            if self.rx.matched == r.no_match {
                return Err(Reason::BadReply(if r.no_match {
                    "the body matches the regex (regex_no_match)"
                } else {
                    "the body does not match the regex"
                }));
            }
        }
        Ok(ReadStep::UrlPassed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{IpAddr, Ipv6Addr};
    use std::time::{Duration, Instant};

    use md5::Md5;
    use mio::Token;

    use crate::model::config::{Check, CheckKind};
    use crate::probe::outcome::{Outcome, Up};
    use crate::probe::Step;

    fn url(path: &str) -> Url {
        Url {
            path: path.into(),
            digest: None,
            status: StatusCodes::new(),
            virtualhost: None,
            regex: None,
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
            tls: None,
            urls: Vec::new().into(),
            virtualhost: None,
            protocol: Default::default(),
            fast_recovery: false,
        };
        let u = url("/health");
        assert_eq!(
            req(&check, &u, "127.0.0.1:8080".parse().unwrap()),
            "GET /health HTTP/1.0\r\nUser-Agent: lvsmon\r\nHost: 127.0.0.1:8080\r\n\r\n"
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
    fn genhash_protocols() {
        let t: SocketAddr = "127.0.0.1:80".parse().unwrap();
        let get = |p| {
            let mut buf = [0u8; 256];
            let n = write_get(&mut buf, "/x", None, t, p).unwrap();
            String::from_utf8(buf[..n].to_vec()).unwrap()
        };
        assert_eq!(
            get(Protocol::Http10),
            "GET /x HTTP/1.0\r\nUser-Agent: lvsmon\r\nHost: 127.0.0.1:80\r\n\r\n"
        );
        assert!(get(Protocol::Http10Close).ends_with("\r\nConnection: close\r\n\r\n"));
        assert!(get(Protocol::Http11Close).starts_with("GET /x HTTP/1.1\r\n"));
        assert!(get(Protocol::Http11Close).ends_with("\r\nConnection: close\r\n\r\n"));
    }

    #[test]
    fn request_that_does_not_fit_is_refused() {
        let check = HttpCheck {
            tls: None,
            urls: Vec::new().into(),
            virtualhost: None,
            protocol: Default::default(),
            fast_recovery: false,
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
                content_length: Some(12),
                chunked: false,
            }
        );
        // Transfer-Encoding: chunked overrides a Content-Length (RFC 9112 6.3).
        assert_eq!(
            parse_head(
                b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: gzip, Chunked\r\n\r\n"
            ),
            Head::Complete {
                code: 200,
                len: 72,
                content_length: None,
                chunked: true,
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

    /// Serves one connection on loopback: reads the request head, then writes `pieces`
    /// with a pause between them.
    fn serve_once(pieces: &'static [&'static [u8]]) -> SocketAddr {
        use std::io::{Read, Write};
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap();
        std::thread::spawn(move || {
            let (mut c, _) = l.accept().unwrap();
            c.set_nodelay(true).unwrap();
            let mut head = [0u8; 1024];
            let mut n = 0;
            while !head[..n].windows(4).any(|w| w == b"\r\n\r\n") && n < head.len() {
                match c.read(&mut head[n..]) {
                    Ok(0) | Err(_) => return,
                    Ok(k) => n += k,
                }
            }
            for p in pieces {
                let _ = c.write_all(p);
                std::thread::sleep(Duration::from_millis(30));
            }
        });
        addr
    }

    /// One HTTP_GET with a digest (so the whole body is read) on `slot`, to its verdict.
    fn get_with_digest(slot: &mut ProbeSlot, target: SocketAddr) -> Outcome {
        let body_md5: [u8; 16] = Md5::digest(b"hello\n").into();
        let check = Check {
            kind: CheckKind::Http(HttpCheck {
                tls: None,
                urls: vec![Url {
                    path: "/".into(),
                    digest: Some(body_md5),
                    status: Default::default(),
                    virtualhost: None,
                    regex: None,
                }]
                .into(),
                virtualhost: None,
                protocol: Default::default(),
                fast_recovery: false,
            }),
            target,
            bindto: None,
            bind_port: None,
            sock: Default::default(),
            connect_timeout: Duration::from_secs(5),
            retry: 0,
            delay_before_retry: Duration::from_secs(1),
            rise: 1,
            jitter_percent: 0,
            delay_loop: Duration::from_secs(1),
            warmup: Duration::ZERO,
        };
        let mut poll = mio::Poll::new().unwrap();
        let mut events = mio::Events::with_capacity(8);
        let mut step = slot.start(&check, poll.registry(), Token(1), Instant::now());
        for _ in 0..1000 {
            if let Step::Done(o) = step {
                return o;
            }
            let now = Instant::now();
            let deadline = slot.deadline().unwrap();
            if now >= deadline {
                step = slot.on_deadline(poll.registry(), now);
                continue;
            }
            poll.poll(&mut events, Some(deadline - now)).unwrap();
            for e in events.iter() {
                if let Step::Pending = step {
                    step = slot.on_event(&check, e, poll.registry(), Instant::now());
                }
            }
        }
        panic!("no verdict");
    }

    #[test]
    fn a_whole_reply_leaves_the_slots_buffers_untouched() {
        static WHOLE: &[&[u8]] = &[b"HTTP/1.0 200 OK\r\nContent-Length: 6\r\n\r\nhello\n"];
        let mut slot = ProbeSlot::pool(1).pop().unwrap();
        let o = get_with_digest(&mut slot, serve_once(WHOLE));
        assert_eq!(o.result, Ok(Up::default()));
        // Never written, so never made resident (the pool's pages are mapped lazily).
        assert!(slot.req.iter().all(|&b| b == 0));
        assert!(slot.buf.iter().all(|&b| b == 0));
    }

    #[test]
    fn a_head_in_pieces_is_kept_in_the_slot_until_whole() {
        static PIECES: &[&[u8]] = &[
            b"HTTP/1.0 20",
            b"0 OK\r\nContent-Len",
            b"gth: 6\r\n\r\nhel",
            b"lo\n",
        ];
        let mut slot = ProbeSlot::pool(1).pop().unwrap();
        let o = get_with_digest(&mut slot, serve_once(PIECES));
        assert_eq!(o.result, Ok(Up::default()));
        assert!(slot
            .buf
            .starts_with(b"HTTP/1.0 200 OK\r\nContent-Length: 6\r\n\r\nhel"));
        static WRONG: &[&[u8]] = &[b"HTTP/1.0 200 OK\r\nCont", b"ent-Length: 6\r\n\r\nhullo\n"];
        let o = get_with_digest(&mut slot, serve_once(WRONG));
        assert_eq!(o.result, Err(Reason::DigestMismatch));
    }
}
