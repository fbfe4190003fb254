//! SSL_GET's reply path: the bytes a TLS server sends, through lvsmon's own TLS session
//! code (`lvsmon::probe::tls::TlsSession`, the read / process_new_packets / write loop
//! the probe runs over its socket) into the HTTP head parser, the way the probe slot
//! feeds it (src/probe/http.rs `http_read`). The transport is an in-memory pipe that
//! hands out at most `step` bytes per read and says WouldBlock when empty.
//!
//! Input: byte 0 picks the mode, byte 1 the read size (1..=64, 0 = all at once), the
//! rest is the payload:
//! - mode 0: a real handshake with a rustls server (a certificate made at start-up),
//!   then the payload as the server's reply, in records; checked: the plaintext that
//!   comes out is exactly the payload, in order.
//! - mode 1: the payload as the server's first bytes (instead of a ServerHello).
//! - mode 2: the handshake, then the payload as raw bytes (forged or broken records).
//!
//! Checked besides "no panic": every error is a TLS reason (or the end of the stream),
//! a status code once known never changes as more bytes arrive, and reads stay bounded.
#![no_main]

use std::collections::VecDeque;
use std::io::{self, Read, Write};
use std::sync::{Arc, OnceLock};

use libfuzzer_sys::fuzz_target;
use lvsmon::model::limits::MAX_HTTP_HEADER_BYTES;
use lvsmon::probe::http::{parse_head, Head};
use lvsmon::probe::outcome::Reason;
use lvsmon::probe::tls::TlsSession;
use lvsmon::tls::{Client, SslFiles};
use rustls::pki_types::{PrivateKeyDer, ServerName};

/// The server's bytes to the client (`inbound`) and the client's to the server.
struct Pipe {
    inbound: VecDeque<u8>,
    outbound: Vec<u8>,
    step: usize,
    closed: bool,
}

impl Read for Pipe {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.inbound.is_empty() {
            return if self.closed {
                Ok(0)
            } else {
                Err(io::ErrorKind::WouldBlock.into())
            };
        }
        let n = buf.len().min(self.step).min(self.inbound.len());
        for (dst, src) in buf.iter_mut().zip(self.inbound.drain(..n)) {
            *dst = src;
        }
        Ok(n)
    }
}

impl Write for Pipe {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.outbound.extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

struct Setup {
    client: Arc<rustls::ClientConfig>,
    server: Arc<rustls::ServerConfig>,
}

fn setup() -> &'static Setup {
    static S: OnceLock<Setup> = OnceLock::new();
    S.get_or_init(|| {
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = rcgen::CertificateParams::new(vec!["fuzz.example".to_string()])
            .unwrap()
            .self_signed(&key)
            .unwrap();
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let server = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(
                vec![cert.der().clone()],
                PrivateKeyDer::try_from(key.serialize_der()).unwrap(),
            )
            .unwrap();
        // lvsmon's own client configuration (no SSL block: keepalived's no-verify).
        let client = Client::build(&SslFiles::default()).unwrap();
        Setup {
            client: client.config(true, false).clone(),
            server: Arc::new(server),
        }
    })
}

/// Moves bytes between the client session and a rustls server until the handshake is
/// done (bounded). False if it did not finish.
fn handshake(
    c: &mut TlsSession<Pipe>,
    s: &mut rustls::ServerConnection,
    calls: &mut u64,
) -> bool {
    let mut scratch = [0u8; 64];
    // The client's first write sends its ClientHello (the request waits inside rustls).
    if c.write(b"GET / HTTP/1.0\r\n\r\n", calls).is_err() {
        return false;
    }
    for _ in 0..16 {
        let out = std::mem::take(&mut c.transport().outbound);
        if !out.is_empty() {
            if s.read_tls(&mut &out[..]).is_err() || s.process_new_packets().is_err() {
                return false;
            }
        }
        let mut back = Vec::new();
        while s.wants_write() {
            if s.write_tls(&mut back).is_err() {
                return false;
            }
        }
        c.transport().inbound.extend(back);
        // Pumps the client (nothing to read yet: Ok(None)).
        match c.read(&mut scratch, calls) {
            Ok(None) => {}
            _ => return false,
        }
        if !c.is_handshaking() && !s.is_handshaking() && c.transport().outbound.is_empty() {
            return true;
        }
    }
    false
}

fn is_tls_or_stream_reason(r: &Reason) -> bool {
    matches!(
        r,
        Reason::TlsAlert(_)
            | Reason::TlsHandshake(_)
            | Reason::CertVerify(_)
            | Reason::Tls(_)
            | Reason::ClosedEarly
            | Reason::ConnectionReset
            | Reason::Local(_)
    )
}

fuzz_target!(|data: &[u8]| {
    let [mode, step, payload @ ..] = data else {
        return;
    };
    let step = if *step == 0 {
        usize::MAX
    } else {
        usize::from(*step % 64) + 1
    };
    let st = setup();
    let pipe = Pipe {
        inbound: VecDeque::new(),
        outbound: Vec::new(),
        step,
        closed: false,
    };
    let name = ServerName::try_from("fuzz.example").unwrap();
    let mut c = TlsSession::with_config(pipe, st.client.clone(), name, false).unwrap();
    let mut calls = 0u64;
    let mode = mode % 3;
    if mode == 1 {
        if c.write(b"GET / HTTP/1.0\r\n\r\n", &mut calls).is_err() {
            return;
        }
        c.transport().inbound.extend(payload);
    } else {
        let mut s = rustls::ServerConnection::new(st.server.clone()).unwrap();
        assert!(handshake(&mut c, &mut s, &mut calls), "in-memory handshake");
        if mode == 0 {
            s.writer().write_all(payload).unwrap();
            s.send_close_notify();
            let mut back = Vec::new();
            while s.wants_write() {
                s.write_tls(&mut back).unwrap();
            }
            c.transport().inbound.extend(back);
        } else {
            c.transport().inbound.extend(payload);
        }
    }
    c.transport().closed = true;

    // Read the reply as the HTTP engine does: the head grows in a bounded buffer and is
    // re-parsed after each read; body bytes are only counted.
    let mut head = vec![0u8; MAX_HTTP_HEADER_BYTES];
    let mut filled = 0;
    let mut got = Vec::new();
    let mut known: Option<u16> = None;
    let mut buf = [0u8; 4096];
    let bound = payload.len() + 64;
    for _ in 0..=bound {
        match c.read(&mut buf, &mut calls) {
            Ok(Some(0)) => break,
            Ok(Some(n)) => {
                got.extend_from_slice(&buf[..n]);
                let take = n.min(head.len() - filled);
                head[filled..filled + take].copy_from_slice(&buf[..take]);
                filled += take;
                let code = match parse_head(&head[..filled]) {
                    Head::Partial { code } | Head::Bad { code, .. } => code,
                    Head::Complete { code, .. } => Some(code),
                };
                if let (Some(k), Some(c)) = (known, code) {
                    assert_eq!(k, c, "status code changed");
                }
                known = known.or(code);
            }
            Ok(None) => break,
            Err(r) => {
                assert!(is_tls_or_stream_reason(&r), "unexpected reason {r:?}");
                assert_ne!(mode, 0, "a well-formed reply failed: {r:?}");
                return;
            }
        }
    }
    assert!(got.len() <= payload.len() || mode != 0);
    if mode == 0 {
        assert_eq!(got, payload, "plaintext differs from what the server sent");
    }
});
