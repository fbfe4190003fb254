//! The control-socket protocol: one request line in, one reply out, then the server
//! closes. Requests are plain words so an operator can use `socat` from a serial console;
//! replies start with `ok` or `error: <why>` on their own line, then the body.

use std::fmt;
use std::net::SocketAddr;

use crate::model::limits::MAX_CONTROL_REQUEST;

/// A real server named on the command line: virtual service and real server address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Target {
    pub service: ServiceRef,
    pub real: SocketAddr,
}

/// How a request names a virtual service: `192.0.2.10:80` (any protocol) or `fwmark:7`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ServiceRef {
    Addr(SocketAddr),
    Fwmark(u32),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Request {
    Ping,
    Status,
    StatusJson,
    Reload,
    /// Weight 0 until lifted: established connections finish, no new ones.
    Drain(Target),
    /// Lift a drain or weight override.
    Enable(Target),
    Weight(Target, i32),
    /// The recent checks of one real server.
    History(Target),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RequestError {
    TooLong,
    NotText,
    Empty,
    Unknown(heapless::String<32>),
    BadArgument(&'static str),
}

impl fmt::Display for RequestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RequestError::TooLong => write!(
                f,
                "request longer than {} bytes",
                MAX_CONTROL_REQUEST
            ),
            RequestError::NotText => f.write_str("request is not UTF-8 text"),
            RequestError::Empty => f.write_str("empty request"),
            RequestError::Unknown(word) => write!(
                f,
                "unknown request '{}' (try: status, status-json, history, reload, drain, enable, weight, ping)",
                word
            ),
            RequestError::BadArgument(what) => f.write_str(what),
        }
    }
}

impl Request {
    /// The request line a client sends (without the newline).
    pub fn write_line(&self, out: &mut String) {
        use fmt::Write;
        // Writing into a String cannot fail.
        let _ = match self {
            Request::Ping => write!(out, "ping"),
            Request::Status => write!(out, "status"),
            Request::StatusJson => write!(out, "status-json"),
            Request::Reload => write!(out, "reload"),
            Request::Drain(t) => write!(out, "drain {} {}", ServiceText(&t.service), t.real),
            Request::Enable(t) => write!(out, "enable {} {}", ServiceText(&t.service), t.real),
            Request::Weight(t, w) => {
                write!(out, "weight {} {} {}", ServiceText(&t.service), t.real, w)
            }
            Request::History(t) => {
                write!(out, "history {} {}", ServiceText(&t.service), t.real)
            }
        };
    }
}

struct ServiceText<'a>(&'a ServiceRef);

impl fmt::Display for ServiceText<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            ServiceRef::Addr(a) => write!(f, "{}", a),
            ServiceRef::Fwmark(m) => write!(f, "fwmark:{}", m),
        }
    }
}

/// Parses `192.0.2.10:80`, `[2001:db8::1]:80` or `fwmark:7` (also `fwmark 7` is not
/// accepted: one word per argument keeps the line format trivial).
pub fn parse_service(word: &str) -> Result<ServiceRef, RequestError> {
    if let Some(mark) = word.strip_prefix("fwmark:") {
        return mark
            .parse()
            .map(ServiceRef::Fwmark)
            .map_err(|_| RequestError::BadArgument("fwmark must be a number, as in fwmark:7"));
    }
    word.parse().map(ServiceRef::Addr).map_err(|_| {
        RequestError::BadArgument("virtual service must be ADDRESS:PORT, [IPv6]:PORT or fwmark:N")
    })
}

pub fn parse_real(word: &str) -> Result<SocketAddr, RequestError> {
    word.parse()
        .map_err(|_| RequestError::BadArgument("real server must be ADDRESS:PORT or [IPv6]:PORT"))
}

/// Parses one request from the bytes before the newline.
pub fn parse(line: &[u8]) -> Result<Request, RequestError> {
    if line.len() > MAX_CONTROL_REQUEST {
        return Err(RequestError::TooLong);
    }
    let text = std::str::from_utf8(line).map_err(|_| RequestError::NotText)?;
    let mut words = text.split_ascii_whitespace();
    let verb = words.next().ok_or(RequestError::Empty)?;
    let mut next = |what: &'static str| words.next().ok_or(RequestError::BadArgument(what));
    let request = match verb {
        "ping" => Request::Ping,
        "status" => Request::Status,
        "status-json" => Request::StatusJson,
        "reload" => Request::Reload,
        "drain" | "enable" | "weight" | "history" => {
            let service = parse_service(next("missing virtual service")?)?;
            let real = parse_real(next("missing real server")?)?;
            let target = Target { service, real };
            match verb {
                "drain" => Request::Drain(target),
                "enable" => Request::Enable(target),
                "history" => Request::History(target),
                _ => {
                    let w = next("missing weight")?;
                    let weight = w
                        .parse::<i32>()
                        .ok()
                        .filter(|w| (0..=65535).contains(w))
                        .ok_or(RequestError::BadArgument("weight must be 0..65535"))?;
                    Request::Weight(target, weight)
                }
            }
        }
        other => {
            let mut word = heapless::String::new();
            for c in other.chars() {
                if word.push(c).is_err() {
                    break;
                }
            }
            return Err(RequestError::Unknown(word));
        }
    };
    if words.next().is_some() {
        return Err(RequestError::BadArgument("too many arguments"));
    }
    Ok(request)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_round_trip_through_their_line() {
        let t = Target {
            service: ServiceRef::Addr("192.0.2.10:80".parse().unwrap()),
            real: "198.51.100.2:80".parse().unwrap(),
        };
        let fw = Target {
            service: ServiceRef::Fwmark(7),
            real: "[2001:db8::2]:80".parse().unwrap(),
        };
        for r in [
            Request::Ping,
            Request::Status,
            Request::StatusJson,
            Request::Reload,
            Request::Drain(t),
            Request::Enable(fw),
            Request::Weight(t, 5),
            Request::History(fw),
        ] {
            let mut line = String::new();
            r.write_line(&mut line);
            assert_eq!(parse(line.as_bytes()), Ok(r), "{}", line);
        }
    }

    #[test]
    fn bad_requests_say_what_is_wrong() {
        let cases: [(&[u8], &str); 7] = [
            (b"", "empty request"),
            (b"\xff\xfe", "request is not UTF-8 text"),
            (b"frobnicate now", "unknown request 'frobnicate' (try: status, status-json, history, reload, drain, enable, weight, ping)"),
            (b"drain", "missing virtual service"),
            (b"drain 192.0.2.10:80 nonsense", "real server must be ADDRESS:PORT or [IPv6]:PORT"),
            (b"weight 192.0.2.10:80 198.51.100.2:80 -1", "weight must be 0..65535"),
            (b"status extra", "too many arguments"),
        ];
        for (line, want) in cases {
            assert_eq!(parse(line).unwrap_err().to_string(), want);
        }
        let long = vec![b'a'; MAX_CONTROL_REQUEST + 1];
        assert_eq!(parse(&long), Err(RequestError::TooLong));
    }
}
