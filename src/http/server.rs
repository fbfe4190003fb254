//! The HTTP side of `--http`: requests parsed with `httparse`, read-only routes, one
//! request per connection (`Connection: close`), and short error replies: 400 for what
//! does not parse, 404 for an unknown path, 405 for a method other than GET or HEAD, 408
//! when the request is not complete by the deadline, 413 when it does not fit the
//! buffer, 503 when every connection slot is taken. Nothing a client sends can change
//! the daemon's state. Errors are logged at most once a second, with a count.

use std::io;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use mio::net::TcpListener;
use mio::{Registry, Token};

use crate::clients::{AnyListener, Clients, Framing, Protocol, Ready};
use crate::model::limits::{MAX_HTTP_CLIENTS, MAX_HTTP_REQUEST};

/// From accept to the reply written: generous for a scraper, short for a slowloris.
pub const HTTP_TIMEOUT: Duration = Duration::from_secs(5);
/// Request headers parsed; more is a bad request.
const MAX_HEADERS: usize = 32;

/// What a request asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Route {
    Page,
    Metrics,
    StatusJson,
}

/// What the reactor must do after an event on the server's tokens.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HttpEvent {
    Nothing,
    /// Answer `route` to `slot` with `respond` (`head`: a HEAD request, no body).
    Get {
        slot: usize,
        route: Route,
        head: bool,
    },
}

/// How an error reply reads, and how it is counted in the log.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Refusal {
    BadRequest,
    NotFound,
    Method,
    Timeout,
    TooLarge,
}

impl Refusal {
    fn reply(self) -> &'static [u8] {
        match self {
            Refusal::BadRequest => b"HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nContent-Length: 12\r\nConnection: close\r\n\r\nbad request\n",
            Refusal::NotFound => b"HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nContent-Length: 44\r\nConnection: close\r\n\r\nnot found (try /, /metrics or /status.json)\n",
            Refusal::Method => b"HTTP/1.1 405 Method Not Allowed\r\nAllow: GET, HEAD\r\nContent-Type: text/plain\r\nContent-Length: 29\r\nConnection: close\r\n\r\nonly GET and HEAD are served\n",
            Refusal::Timeout => TIMEOUT_REPLY,
            Refusal::TooLarge => b"HTTP/1.1 413 Content Too Large\r\nContent-Type: text/plain\r\nContent-Length: 18\r\nConnection: close\r\n\r\nrequest too large\n",
        }
    }

    fn what(self) -> &'static str {
        match self {
            Refusal::BadRequest => "400 bad request",
            Refusal::NotFound => "404 not found",
            Refusal::Method => "405 method not allowed",
            Refusal::Timeout => "408 request timeout",
            Refusal::TooLarge => "413 request too large",
        }
    }
}

const TIMEOUT_REPLY: &[u8] = b"HTTP/1.1 408 Request Timeout\r\nContent-Type: text/plain\r\nContent-Length: 16\r\nConnection: close\r\n\r\nrequest timeout\n";
const BUSY_REPLY: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nContent-Length: 5\r\nRetry-After: 1\r\nConnection: close\r\n\r\nbusy\n";

/// A 200 reply built in place: `start` writes the head with room for the length, the
/// caller appends the body, `finish` writes the length into that room (and drops the
/// body of a HEAD reply). The length is padded with spaces, which HTTP allows around a
/// field value (RFC 9110 §5.5), so the body never has to be copied behind a head
/// written after it.
pub struct Reply {
    length_at: usize,
    body_at: usize,
}

/// Digits of the largest length a reply can have (u64).
const LENGTH_ROOM: usize = 20;

impl Reply {
    pub fn start(out: &mut String, content_type: &str) -> Reply {
        use std::fmt::Write as _;
        let _ = write!(
            out,
            "HTTP/1.1 200 OK\r\nContent-Type: {}\r\nCache-Control: no-store\r\nConnection: close\r\nContent-Length: ",
            content_type
        );
        let length_at = out.len();
        for _ in 0..LENGTH_ROOM {
            out.push(' ');
        }
        out.push_str("\r\n\r\n");
        Reply {
            length_at,
            body_at: out.len(),
        }
    }

    pub fn finish(self, out: &mut String, head: bool) {
        let mut digits = crate::textbuf::TextBuf::new(LENGTH_ROOM);
        use std::fmt::Write as _;
        let _ = write!(digits, "{}", out.len() - self.body_at);
        out.replace_range(
            self.length_at..self.length_at + digits.len(),
            digits.as_str(),
        );
        if head {
            out.truncate(self.body_at);
        }
    }
}

/// A request is complete at the end of its headers (no body is read); one that cannot
/// parse is "complete" too, so that it is answered 400 at once.
fn frame_request(buf: &[u8]) -> Framing {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    match httparse::Request::new(&mut headers).parse(buf) {
        Ok(httparse::Status::Complete(n)) => Framing::Complete(n),
        Ok(httparse::Status::Partial) => Framing::Incomplete,
        Err(_) => Framing::Complete(buf.len()),
    }
}

fn route(buf: &[u8]) -> Result<(Route, bool), Refusal> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut req = httparse::Request::new(&mut headers);
    match req.parse(buf) {
        Ok(httparse::Status::Complete(_)) => {}
        _ => return Err(Refusal::BadRequest),
    }
    let head = match req.method {
        Some("GET") => false,
        Some("HEAD") => true,
        _ => return Err(Refusal::Method),
    };
    let path = req.path.unwrap_or("");
    let path = path.split('?').next().unwrap_or("");
    let route = match path {
        "/" | "/index.html" => Route::Page,
        "/metrics" => Route::Metrics,
        "/status.json" => Route::StatusJson,
        _ => return Err(Refusal::NotFound),
    };
    Ok((route, head))
}

/// Error replies since the last log line, and when that line was written.
struct ErrorLog {
    last: Option<Instant>,
    pending: u64,
    latest: &'static str,
}

impl ErrorLog {
    fn note(&mut self, what: &'static str, now: Instant) {
        self.pending += 1;
        self.latest = what;
        if self
            .last
            .is_some_and(|t| now.saturating_duration_since(t) < Duration::from_secs(1))
        {
            return;
        }
        warn!(
            "http: answered {} ({} refused request{} since the last such line)",
            self.latest,
            self.pending,
            if self.pending == 1 { "" } else { "s" }
        );
        self.last = Some(now);
        self.pending = 0;
    }
}

pub struct HttpServer {
    clients: Clients<AnyListener>,
    errors: ErrorLog,
    addr: SocketAddr,
    /// Requests answered 200, per route (`Route as usize`), and refused.
    served: [u64; 3],
    refused: u64,
}

impl HttpServer {
    /// Listens on `addr`; the listener uses `listener_token`, connections the
    /// `MAX_HTTP_CLIENTS` tokens from `first_token`.
    pub fn bind(
        addr: SocketAddr,
        registry: &Registry,
        listener_token: Token,
        first_token: usize,
    ) -> io::Result<HttpServer> {
        let listener = TcpListener::bind(addr)?;
        let addr = listener.local_addr()?;
        let proto = Protocol {
            name: "http",
            frame: frame_request,
            busy_reply: BUSY_REPLY,
            timeout_reply: TIMEOUT_REPLY,
            max_request: MAX_HTTP_REQUEST,
            timeout: HTTP_TIMEOUT,
        };
        let clients = Clients::new(
            AnyListener::Tcp(listener),
            proto,
            registry,
            listener_token,
            first_token,
            MAX_HTTP_CLIENTS,
        )?;
        Ok(HttpServer {
            clients,
            errors: ErrorLog {
                last: None,
                pending: 0,
                latest: "",
            },
            addr,
            served: [0; 3],
            refused: 0,
        })
    }

    /// The address listened on (the port chosen when 0 was asked for).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn owns(&self, token: Token) -> bool {
        self.clients.owns(token)
    }

    pub fn on_ready(&mut self, token: Token, registry: &Registry, now: Instant) -> HttpEvent {
        let (slot, refusal) = match self.clients.on_ready(token, registry, now) {
            Ready::Nothing => return HttpEvent::Nothing,
            Ready::Request { slot, len } => match route(self.clients.request(slot, len)) {
                Ok((route, head)) => {
                    self.served[route as usize] += 1;
                    return HttpEvent::Get { slot, route, head };
                }
                Err(r) => (slot, r),
            },
            Ready::TooLarge { slot } => (slot, Refusal::TooLarge),
            Ready::Closed { slot, len } if len > 0 => (slot, Refusal::BadRequest),
            Ready::Closed { slot, .. } => {
                self.clients.close(slot, registry);
                return HttpEvent::Nothing;
            }
        };
        self.errors.note(refusal.what(), now);
        self.refused += 1;
        self.clients
            .respond(slot, registry, |out| out.extend_from_slice(refusal.reply()));
        HttpEvent::Nothing
    }

    /// Answers a `Get` with 200 and `body`.
    /// Answers a `Get` with `reply`, a whole response built by `Reply` (handed over,
    /// not copied: a scrape of thousands of real servers is megabytes). Returns the
    /// buffer the connection held before, cleared, for the next reply to be built in.
    pub fn respond(&mut self, slot: usize, registry: &Registry, reply: Vec<u8>) -> Vec<u8> {
        self.clients.respond_owned(slot, registry, reply)
    }

    pub fn next_deadline(&self) -> Option<Instant> {
        self.clients.next_deadline()
    }

    /// Cuts off connections past their deadline (408 to those still sending).
    pub fn expire(&mut self, registry: &Registry, now: Instant) {
        for _ in 0..self.clients.expire(registry, now) {
            self.errors.note(Refusal::Timeout.what(), now);
            self.refused += 1;
        }
    }

    /// `lvsmon_http_requests_total`: what this server answered, by path (`refused` for
    /// every 4xx).
    pub fn write_metrics(&self, out: &mut String) {
        use crate::prom::{family, sample, Kind};
        family(
            out,
            "lvsmon_http_requests_total",
            Kind::Counter,
            "HTTP requests answered since lvsmon started, by path; path=\"refused\" counts the 4xx replies.",
        );
        for (path, n) in [
            ("/", self.served[Route::Page as usize]),
            ("/metrics", self.served[Route::Metrics as usize]),
            ("/status.json", self.served[Route::StatusJson as usize]),
            ("refused", self.refused),
        ] {
            sample(
                out,
                "lvsmon_http_requests_total",
                format_args!("path=\"{}\"", path),
                n,
            );
        }
    }

    /// Connections open now (for tests).
    pub fn open(&self) -> usize {
        self.clients.open()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type Routed = Result<(Route, bool), Refusal>;

    #[test]
    fn requests_are_routed_or_refused_with_the_right_code() {
        let cases: [(&[u8], Routed); 8] = [
            (
                b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
                Ok((Route::Page, false)),
            ),
            (
                b"GET /metrics HTTP/1.0\r\n\r\n",
                Ok((Route::Metrics, false)),
            ),
            (
                b"HEAD /status.json?x=1 HTTP/1.1\r\n\r\n",
                Ok((Route::StatusJson, true)),
            ),
            (b"GET /nope HTTP/1.1\r\n\r\n", Err(Refusal::NotFound)),
            (b"POST /metrics HTTP/1.1\r\n\r\n", Err(Refusal::Method)),
            (b"DELETE / HTTP/1.1\r\n\r\n", Err(Refusal::Method)),
            (b"\x00\x01garbage\r\n\r\n", Err(Refusal::BadRequest)),
            (b"GET / HTTP/1.1\r\nHost", Err(Refusal::BadRequest)),
        ];
        for (req, want) in cases {
            assert_eq!(route(req), want, "{:?}", String::from_utf8_lossy(req));
        }
    }

    #[test]
    fn framing_waits_for_the_end_of_the_headers_and_stops_at_garbage() {
        assert_eq!(
            frame_request(b"GET / HTTP/1.1\r\nHost: x\r\n"),
            Framing::Incomplete
        );
        assert_eq!(
            frame_request(b"GET / HTTP/1.1\r\n\r\nGET /"),
            Framing::Complete(18)
        );
        assert_eq!(frame_request(b"\x00garbage"), Framing::Complete(8));
    }

    #[test]
    fn a_reply_built_in_place_says_its_length() {
        for head in [false, true] {
            let mut out = String::new();
            let r = Reply::start(&mut out, "text/plain");
            out.push_str("hello\n");
            r.finish(&mut out, head);
            let mut headers = [httparse::EMPTY_HEADER; 8];
            let mut resp = httparse::Response::new(&mut headers);
            let n = match resp.parse(out.as_bytes()) {
                Ok(httparse::Status::Complete(n)) => n,
                other => panic!("{:?}: {:?}", other, out),
            };
            let len = resp
                .headers
                .iter()
                .find(|h| h.name == "Content-Length")
                .map(|h| std::str::from_utf8(h.value).unwrap().trim().to_string());
            assert_eq!(len.as_deref(), Some("6"));
            assert_eq!(&out[n..], if head { "" } else { "hello\n" });
        }
    }

    #[test]
    fn error_replies_have_the_length_they_say() {
        for r in [
            Refusal::BadRequest,
            Refusal::NotFound,
            Refusal::Method,
            Refusal::Timeout,
            Refusal::TooLarge,
        ]
        .map(Refusal::reply)
        .into_iter()
        .chain([BUSY_REPLY])
        {
            let text = std::str::from_utf8(r).unwrap();
            let (head, body) = text.split_once("\r\n\r\n").unwrap();
            let len: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("Content-Length: "))
                .unwrap()
                .parse()
                .unwrap();
            assert_eq!(len, body.len(), "{}", head);
        }
    }
}
