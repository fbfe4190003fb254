//! The genhash personality (argv[0] `genhash`, or `lvsmon genhash …`): keepalived's tool
//! that fetches one url and prints the MD5 of its body, which is what a `url { digest }`
//! wants. Same options, output bytes and exit status as keepalived 2.2.7's genhash
//! (tests/genhash.rs runs both against loopback servers).
//!
//! A CLI that makes one request, so the I/O is blocking (per-step timeouts with
//! SO_SNDTIMEO/SO_RCVTIMEO, as keepalived's per-thread timers); the HTTP itself is the
//! daemon's engine (`probe::http`: the request, the parse of the reply head), and over
//! TLS (-S, the "tls" build) the daemon's TLS client configuration (`tls::Client`). What
//! is genhash's own is how it reads (4095-byte reads, a head that must fit in them), what
//! it hashes (the body up to Content-Length, whatever the status code) and what it prints.
//!
//! keepalived's genhash answers 0 once it got as far as connecting, whatever happened
//! then (a refused port prints "Connection failed" on stdout), and 1 with its usage for
//! a bad command line; so does this.

pub mod args;
mod dump;

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use md5::{Digest, Md5};

use crate::model::config::SockOpts;
use crate::probe::http::{parse_head, write_get, Head};
use crate::sys::probe as sys;

pub use args::{parse, usage_text, Opts, Parsed};

/// keepalived's MAX_BUFFER_LENGTH: a read takes at most this minus one byte (it keeps
/// room for a NUL), and the reply head must fit in it.
const BUFFER: usize = 4096;
/// keepalived's GET_BUFFER_LENGTH: the request buffer.
const REQUEST: usize = 2048;

/// Whether -S can be served: the build with SSL_GET's TLS client (feature "tls").
const HAVE_TLS: bool = cfg!(feature = "tls");

/// What genhash printed: standard output and standard error, written by the caller.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Printed {
    pub stdout: String,
    pub stderr: String,
}

/// Runs genhash with `argv` (argv[0] first); `subcommand` when called as `lvsmon
/// genhash`. Writes the output and returns the exit status.
pub fn main(argv: &[String], subcommand: bool) -> u8 {
    let prog = argv.first().map_or("genhash", String::as_str);
    let (printed, code) = match parse(argv, prog, subcommand, HAVE_TLS) {
        Parsed::Usage { stderr } => (
            Printed {
                stdout: String::new(),
                stderr,
            },
            1,
        ),
        Parsed::Run(opts) => (fetch(&opts), 0),
    };
    let _ = io::stdout().write_all(printed.stdout.as_bytes());
    let _ = io::stderr().write_all(printed.stderr.as_bytes());
    code
}

/// The per-step timeout: keepalived's timers count microseconds.
fn step_timeout(opts: &Opts) -> Duration {
    Duration::from_micros(u64::from(opts.timeout_us))
}

/// Connects, sends the request, reads the reply and says what genhash says.
pub fn fetch(opts: &Opts) -> Printed {
    let mut p = Printed::default();
    let started = Instant::now();
    let timeout = step_timeout(opts);
    match exchange(opts, timeout, &mut p) {
        Ok(()) => {}
        // keepalived's timeout_epilog: the message alone, on stdout.
        Err(msg) => {
            p.stdout.push_str(msg);
            p.stdout.push('\n');
        }
    }
    if opts.verbose {
        args::say(
            &mut p.stdout,
            format_args!(
                "\nGlobal response time for [{}] = {} usecs\n",
                opts.url,
                crate::model::duration::micros(started.elapsed())
            ),
        );
    }
    p
}

/// Where the stream under the HTTP exchange failed, in keepalived's words.
struct Words {
    read_timeout: &'static str,
    read_error: &'static str,
}

fn exchange(opts: &Opts, timeout: Duration, p: &mut Printed) -> Result<(), &'static str> {
    let tcp = connect(opts, timeout)?;
    if timeout.is_zero() {
        // keepalived's write timer of 0 fires before the socket is looked at.
        return Err("Timeout WEB write");
    }
    tcp.set_nonblocking(false)
        .and_then(|()| tcp.set_read_timeout(Some(timeout)))
        .and_then(|()| tcp.set_write_timeout(Some(timeout)))
        .map_err(|_| "Error connecting")?;
    #[cfg(feature = "tls")]
    if opts.ssl {
        return tls_exchange(opts, tcp, p);
    }
    let mut tcp = tcp;
    send_request(opts, &mut tcp)?;
    let words = Words {
        read_timeout: "Timeout HTTP read",
        read_error: "Read error with",
    };
    let reply = read_reply(&mut tcp, opts, &words, p)?;
    match reply.end {
        End::Eof => conclude(opts, reply, true, p),
        End::Error => Err(words.read_error),
    }
}

/// The TLS half of `exchange` (keepalived's ssl_connect / ssl_read_thread in genhash
/// mode): the daemon's TLS client configuration (no verification, as keepalived's
/// genhash; SNI only with -I, and only for a DNS name), driven blocking.
#[cfg(feature = "tls")]
fn tls_exchange(opts: &Opts, tcp: TcpStream, p: &mut Printed) -> Result<(), &'static str> {
    use rustls::pki_types::ServerName;
    use std::sync::Arc;

    const HANDSHAKE_FAILED: &str = "SSL handshake/communication error connecting to";
    let client = crate::tls::Client::build(&crate::tls::SslFiles::default())
        .map_err(|_| HANDSHAKE_FAILED)?;
    // keepalived sends the -V name as SNI with -I; the name rustls is given is also
    // what it would verify, which genhash never does.
    let server_name = match opts.virtualhost.as_deref().map(ServerName::try_from) {
        Some(Ok(n @ ServerName::DnsName(_))) => n.to_owned(),
        _ => ServerName::IpAddress(opts.target.ip().into()),
    };
    let sni = opts.sni && matches!(server_name, ServerName::DnsName(_));
    let conn = rustls::ClientConnection::new(Arc::clone(client.config(sni, false)), server_name)
        .map_err(|_| HANDSHAKE_FAILED)?;
    let mut tls = rustls::StreamOwned::new(conn, tcp);
    // Each complete_io call moves at least one record or fails; the bound stops a peer
    // that trickles a handshake forever (the per-read timeout bounds each call).
    for _ in 0..1024 {
        if !tls.conn.is_handshaking() {
            break;
        }
        match tls.conn.complete_io(&mut tls.sock) {
            Ok(_) => {}
            Err(e) if is_timeout(&e) => return Err("Timeout connecting"),
            Err(_) => return Err(HANDSHAKE_FAILED),
        }
    }
    if tls.conn.is_handshaking() {
        return Err(HANDSHAKE_FAILED);
    }
    match send_request(opts, &mut tls) {
        Ok(()) => {}
        Err("Timeout WEB write") => return Err("Timeout WEB write"),
        Err(_) => return Err("Cannot send get request to"),
    }
    let words = Words {
        read_timeout: "Timeout SSL read",
        read_error: "SSL read error from",
    };
    let reply = read_reply(&mut tls, opts, &words, p)?;
    // OpenSSL's SSL_ERROR_ZERO_RETURN (a close_notify: rustls reads 0) ends a reply as
    // EOF does a plain one, with the verbose digest block; with no head it is keepalived's
    // "SSL read error from". A TCP close without close_notify, or an alert, is another
    // SSL error: what came is still hashed, without the digest block, and with no head
    // it is "no data received".
    match reply.end {
        End::Eof if !reply.extracted() => {
            if opts.verbose {
                dump::dump_digest(&mut p.stdout, &reply.md5.finalize());
            }
            Err(words.read_error)
        }
        End::Eof => conclude(opts, reply, true, p),
        End::Error => conclude(opts, reply, false, p),
    }
}

fn is_timeout(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}

/// Opens the socket (with the fwmark), connects within `timeout` and hands back a
/// connected stream, or keepalived's message for what went wrong.
fn connect(opts: &Opts, timeout: Duration) -> Result<TcpStream, &'static str> {
    let sock = SockOpts {
        fwmark: opts.fwmark,
        bind_if: None,
    };
    // keepalived sorts a connect(2) that fails at once into "failed to connect" errors
    // (the network is unreachable...) and errors of its own making (a socket option or
    // bind refused); genhash prints the first kind, and loops for ever on the second.
    let fd = match sys::open_connected(sys::SockKind::Tcp, opts.target, None, &sock) {
        Ok(fd) => fd,
        Err(e) => {
            return Err(match e.raw_os_error() {
                Some(
                    libc::ENETUNREACH
                    | libc::EHOSTUNREACH
                    | libc::ECONNREFUSED
                    | libc::EHOSTDOWN
                    | libc::ENETDOWN
                    | libc::ECONNRESET
                    | libc::ECONNABORTED
                    | libc::ETIMEDOUT,
                ) => "HTTP_CHECK - network unreachable",
                _ => "Error connecting",
            })
        }
    };
    let ms = i32::try_from(crate::model::duration::millis(timeout)).unwrap_or(i32::MAX);
    match sys::wait_writable(&fd, ms) {
        Ok(true) => {}
        Ok(false) => return Err("Timeout connecting"),
        Err(_) => return Err("Error connecting"),
    }
    let tcp = TcpStream::from(fd);
    match tcp.take_error() {
        Ok(None) => Ok(tcp),
        Ok(Some(e)) if e.raw_os_error() == Some(libc::ETIMEDOUT) => Err("Timeout connecting"),
        Ok(Some(_)) => Err("Connection failed"),
        Err(_) => Err("Error connecting"),
    }
}

/// Sends the request the daemon's engine writes for this url and protocol.
fn send_request(opts: &Opts, s: &mut impl Write) -> Result<(), &'static str> {
    let mut req = [0u8; REQUEST];
    let len = write_get(
        &mut req,
        &opts.url,
        opts.virtualhost.as_deref(),
        opts.target,
        opts.protocol,
    )
    .ok_or("Cannot send get request to")?;
    match s.write_all(&req[..len]).and_then(|()| s.flush()) {
        Ok(()) => Ok(()),
        Err(e) if is_timeout(&e) => Err("Timeout WEB write"),
        Err(_) => Err("Cannot send get request to"),
    }
}

/// How the reply ended.
enum End {
    /// read(2) returned 0 (or TLS: a close_notify).
    Eof,
    /// A read error (or TLS: the stream ended without close_notify, or an alert).
    Error,
}

/// What was read of the reply.
struct Reply {
    /// Bytes of the head once it is whole (keepalived's `extracted`).
    head_len: Option<usize>,
    md5: Md5,
    end: End,
}

impl Reply {
    fn extracted(&self) -> bool {
        self.head_len.is_some()
    }
}

/// Reads the reply as keepalived's http_read_thread does: reads of up to 4095 bytes
/// minus what is held; the head is held until it is whole (so it must fit in 4095
/// bytes: once the buffer is full a read of 0 bytes ends the reply), then body bytes are
/// hashed as they come, up to Content-Length when the head has one.
fn read_reply(
    s: &mut impl Read,
    opts: &Opts,
    words: &Words,
    p: &mut Printed,
) -> Result<Reply, &'static str> {
    let mut buf = [0u8; BUFFER];
    let mut held = 0usize;
    let mut reply = Reply {
        head_len: None,
        md5: Md5::new(),
        end: End::Eof,
    };
    let mut content_length: Option<u64> = None;
    let mut body = 0u64;
    let mut first = true;
    // Every pass reads at least one byte or ends the loop; the bound is far above any
    // reply keepalived's genhash would wait for (it has none) and stops a server that
    // never ends its reply after about 4 GiB.
    for _ in 0..(1u32 << 20) {
        let r = match s.read(&mut buf[held..BUFFER - 1]) {
            Ok(0) => return Ok(reply),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) if is_timeout(&e) => {
                return Err(if first {
                    "Timeout WEB read"
                } else {
                    words.read_timeout
                });
            }
            Err(_) => {
                reply.end = End::Error;
                return Ok(reply);
            }
        };
        first = false;
        let old = held;
        held += r;
        let chunk: &[u8] = if reply.extracted() {
            &buf[old..held]
        } else {
            if opts.verbose {
                p.stdout.push_str(dump::HTTP_HEADER_HEXA);
            }
            let Some((len, cl)) = head_end(&buf[..held]) else {
                continue;
            };
            reply.head_len = Some(len);
            content_length = cl;
            if opts.verbose {
                dump::dump_buffer(&mut p.stdout, &buf[..len]);
                p.stdout.push_str(dump::HTTP_HEADER_ASCII);
                p.stdout.push_str(&String::from_utf8_lossy(&buf[..len]));
                p.stdout.push('\n');
            }
            let rest = &buf[len..held];
            if !rest.is_empty() && opts.verbose && wanted(content_length, body, rest) > 0 {
                p.stdout.push_str(dump::HTML_HEADER_HEXA);
            }
            rest
        };
        let n = wanted(content_length, body, chunk);
        if n > 0 {
            reply.md5.update(&chunk[..n]);
            if opts.verbose {
                dump::dump_buffer(&mut p.stdout, &chunk[..n]);
            }
        }
        body += chunk.len() as u64;
        held = 0;
    }
    Ok(reply)
}

/// The body bytes of `chunk` still to hash: all of them without a Content-Length, else
/// what is left of it after `body` bytes.
fn wanted(content_length: Option<u64>, body: u64, chunk: &[u8]) -> usize {
    match content_length {
        None => chunk.len(),
        Some(cl) => cl.saturating_sub(body).min(chunk.len() as u64) as usize,
    }
}

/// The end of the head in `buf` (its length) and its Content-Length, by the daemon's
/// parser; None while the head is still partial or is not HTTP.
fn head_end(buf: &[u8]) -> Option<(usize, Option<u64>)> {
    match parse_head(buf) {
        Head::Complete {
            len,
            content_length,
            ..
        } => Some((len, content_length)),
        Head::Partial { .. } | Head::Bad { .. } => None,
    }
}

/// keepalived's http_handle_response in genhash mode: the digest in hex on stdout, or
/// that no head came, on stderr; with -v the digest block first when the reply ended
/// cleanly.
fn conclude(opts: &Opts, reply: Reply, clean: bool, p: &mut Printed) -> Result<(), &'static str> {
    let extracted = reply.extracted();
    let digest = reply.md5.finalize();
    if clean && opts.verbose {
        dump::dump_digest(&mut p.stdout, &digest);
    }
    if extracted {
        for b in digest.iter() {
            args::say(&mut p.stdout, format_args!("{:02x}", b));
        }
        p.stdout.push('\n');
    } else {
        p.stderr
            .push_str("no data received from remote webserver\n");
    }
    Ok(())
}
