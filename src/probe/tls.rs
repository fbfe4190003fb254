//! SSL_GET's TLS layer (feature "tls"): a rustls client connection over the probe's
//! non-blocking TCP socket, driven inside the reactor's loop with `read_tls`,
//! `process_new_packets` and `write_tls` (no thread, nothing blocks). The HTTP engine
//! sees it through `Stream` like a plain socket: the request is handed to rustls, which
//! holds it until the handshake is done; reads move TLS records in and plaintext out.
//!
//! SNI and the name verified (keepalived's check_ssl.c order): `sni_name`, else the url's
//! virtualhost, else the checker's (inherited from the real server and the service).
//! SNI is sent only with `enable_sni` (or `sni_name`) and only for a DNS name; with no
//! name, keepalived sends no SNI either, and an IP address is never sent (RFC 6066 3).
//! With `SSL { ca }` the certificate must be valid for that name, or for the target's
//! address when there is none.
//!
//! Memory: the connection state (rustls's record buffers, handshake state, keys) is
//! allocated when the TCP connection is opened and freed when it is closed; the number of
//! TLS connections open at once is capped by `MAX_TLS_IN_FLIGHT`.
//!
//! `TlsSession` is generic over the transport so that the fuzz target
//! (fuzz/fuzz_targets/tls_reply.rs) drives this very code over an in-memory pipe; the
//! probe uses it over its mio `TcpStream` (`TlsStream`).

use std::cell::Cell;
use std::io::{self, Write};
use std::net::SocketAddr;
use std::sync::Arc;

use mio::net::TcpStream;
use rustls::pki_types::ServerName;
use rustls::{CertificateError, ClientConnection};

use crate::model::config::{TlsCheck, Url};
use crate::model::limits::{MAX_HTTP_REPLY_BYTES, MAX_TLS_IN_FLIGHT};
use crate::probe::outcome::Reason;
use crate::probe::reason_of;
use crate::probe::stream::retry;

/// TLS bytes one `read` takes in without any reply byte coming out before it gives up:
/// a whole reply's worth (the HTTP engine stops at MAX_HTTP_REPLY_BYTES of plaintext)
/// plus room for the records around it. A server that sends more than that without
/// data is refused rather than read forever. The reading itself only stops at
/// WouldBlock: with edge-triggered readiness, stopping earlier would leave bytes that
/// raise no new event.
const MAX_TLS_BYTES_WITHOUT_DATA: usize = MAX_HTTP_REPLY_BYTES + 64 * 1024;

thread_local! {
    /// TLS connections open on this thread (the reactor's): each holds rustls's state.
    static OPEN: Cell<usize> = const { Cell::new(0) };
}

/// TLS connections open now (on this thread).
pub fn open_connections() -> usize {
    OPEN.with(Cell::get)
}

/// One TLS connection: the transport and rustls's state for it.
pub struct TlsSession<S> {
    sock: S,
    conn: ClientConnection,
    /// `tls_compliant`: send close_notify before closing.
    compliant: bool,
    /// Whether a reply byte has arrived: an alert before it is the server refusing the
    /// handshake (in TLS 1.3 a refused client certificate is answered after the client
    /// has finished its side of the handshake).
    got_data: bool,
}

/// The probe's TLS connection.
pub(super) type TlsStream = TlsSession<TcpStream>;

impl<S> Drop for TlsSession<S> {
    fn drop(&mut self) {
        OPEN.with(|n| n.set(n.get().saturating_sub(1)));
    }
}

/// The name an attempt of `url` uses for SNI and verification (None: the address).
fn name_for<'a>(t: &'a TlsCheck, url: &'a Url, virtualhost: Option<&'a str>) -> Option<&'a str> {
    t.sni_name
        .as_deref()
        .or(url.virtualhost.as_deref())
        .or(virtualhost)
}

impl TlsStream {
    /// Starts a TLS client on `sock` (connected or connecting) for url number `url_idx`.
    /// Refused with NoSlot when MAX_TLS_IN_FLIGHT connections are open.
    pub(super) fn new(
        sock: TcpStream,
        t: &TlsCheck,
        urls: &[Url],
        url_idx: usize,
        virtualhost: Option<&str>,
        target: SocketAddr,
    ) -> Result<TlsStream, Reason> {
        if open_connections() >= MAX_TLS_IN_FLIGHT {
            return Err(Reason::NoSlot);
        }
        let url = urls.get(url_idx).ok_or(Reason::Local(libc::EINVAL))?;
        let name = name_for(t, url, virtualhost);
        // A name that is neither a DNS name nor an address was refused by config
        // resolution; should one get here, the address stands in (no SNI).
        let server_name = match name.map(|n| ServerName::try_from(n.to_string())) {
            Some(Ok(n)) => n,
            _ => ServerName::IpAddress(target.ip().into()),
        };
        let sni = t.enable_sni && matches!(server_name, ServerName::DnsName(_));
        let config = Arc::clone(t.client.config(sni, t.verify));
        let compliant = t.compliant || t.compliant_urls & (1 << url_idx) != 0;
        TlsSession::with_config(sock, config, server_name, compliant)
    }

    pub(super) fn tcp(&self) -> &TcpStream {
        &self.sock
    }
}

impl<S: io::Read + io::Write> TlsSession<S> {
    /// A client session on `sock` (non-blocking: WouldBlock means "not now") with a
    /// prepared configuration (`tls::Client::config`).
    pub fn with_config(
        sock: S,
        config: Arc<rustls::ClientConfig>,
        server_name: ServerName<'static>,
        compliant: bool,
    ) -> Result<TlsSession<S>, Reason> {
        let conn =
            ClientConnection::new(config, server_name).map_err(|_| Reason::Local(libc::ENOMEM))?;
        OPEN.with(|n| n.set(n.get() + 1));
        Ok(TlsSession {
            sock,
            conn,
            compliant,
            got_data: false,
        })
    }

    /// The transport under the session.
    pub fn transport(&mut self) -> &mut S {
        &mut self.sock
    }

    pub fn is_handshaking(&self) -> bool {
        self.conn.is_handshaking()
    }

    /// Whether TLS bytes wait for room in the socket.
    pub fn wants_write(&self) -> bool {
        self.conn.wants_write()
    }

    /// Writes pending TLS records. Ok(true) once none is left.
    fn flush(&mut self, calls: &mut u64) -> Result<bool, Reason> {
        // Each write_tls moves at least one byte or returns.
        while self.conn.wants_write() {
            let (conn, sock) = (&mut self.conn, &mut self.sock);
            match retry(calls, || conn.write_tls(sock))? {
                None => return Ok(false),
                Some(0) => return Err(Reason::ClosedEarly),
                Some(_) => {}
            }
        }
        Ok(true)
    }

    /// Hands `data` to rustls (held until the handshake is done) and sends what can be
    /// sent. Everything is taken: rustls buffers it.
    pub fn write(&mut self, data: &[u8], calls: &mut u64) -> Result<Option<usize>, Reason> {
        let n = match self.conn.writer().write(data) {
            Ok(n) => n,
            Err(e) => return Err(reason_of(&e)),
        };
        self.flush(calls)?;
        Ok(Some(n))
    }

    /// Reads plaintext into `buf`: Ok(Some(0)) at the end of the reply (close_notify, or
    /// a TCP close after the handshake, which keepalived accepts too), Ok(None) when more
    /// bytes must arrive first.
    pub fn read(&mut self, buf: &mut [u8], calls: &mut u64) -> Result<Option<usize>, Reason> {
        let mut taken = 0usize;
        // Each pass returns, or takes at least one byte in (read_tls's Ok(0), the end,
        // comes once: the next pass's reader sees it), within the byte budget.
        for _ in 0..MAX_TLS_BYTES_WITHOUT_DATA + 2 {
            match io::Read::read(&mut self.conn.reader(), buf) {
                Ok(n) => {
                    self.got_data = true;
                    return Ok(Some(n));
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                // The server closed TCP without close_notify: the reply ends there.
                Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(Some(0)),
                Err(e) => return Err(reason_of(&e)),
            }
            self.flush(calls)?;
            let (conn, sock) = (&mut self.conn, &mut self.sock);
            let got = retry(calls, || conn.read_tls(sock))?;
            let Some(n) = got else {
                return Ok(None);
            };
            taken += n;
            if taken > MAX_TLS_BYTES_WITHOUT_DATA {
                return Err(Reason::Tls("too many TLS bytes without reply data"));
            }
            let handshaking = self.conn.is_handshaking() || !self.got_data;
            if let Err(e) = self.conn.process_new_packets() {
                // Tell the server why (rustls queued an alert), as far as the socket
                // takes it now; the verdict does not depend on it.
                let _ = self.flush(calls);
                return Err(reason_of_tls(&e, handshaking));
            }
            // At the end of the stream, the next pass reads what is left, then the end;
            // unless the handshake is unfinished.
            if n == 0 && self.conn.is_handshaking() {
                return Err(Reason::TlsHandshake("connection closed by the server"));
            }
            // The handshake may have produced records to send (Finished, the request).
            self.flush(calls)?;
        }
        Err(Reason::Tls("too many TLS bytes without reply data"))
    }

    /// Before the socket is closed: close_notify with `tls_compliant` (one attempt; a
    /// full socket drops it, the connection is closing anyway).
    pub fn close(&mut self, calls: &mut u64) {
        if self.compliant && !self.conn.is_handshaking() {
            self.conn.send_close_notify();
            let _ = self.flush(calls);
        }
    }
}

/// The words users read for a rustls error; `handshaking` until the first reply byte.
fn reason_of_tls(e: &rustls::Error, handshaking: bool) -> Reason {
    use rustls::Error as E;
    match e {
        E::AlertReceived(a) if handshaking => Reason::TlsAlert(u8::from(*a)),
        E::AlertReceived(_) => Reason::Tls("alert from the server during the reply"),
        E::InvalidCertificate(c) => Reason::CertVerify(cert_reason(c)),
        E::NoCertificatesPresented => Reason::CertVerify("no certificate from the server"),
        E::InvalidMessage(_) | E::InappropriateMessage { .. } if handshaking => {
            Reason::TlsHandshake("the server does not speak TLS (or sent a malformed record)")
        }
        E::InappropriateHandshakeMessage { .. } => {
            Reason::TlsHandshake("unexpected handshake message")
        }
        E::PeerIncompatible(_) => Reason::TlsHandshake(
            "no protocol version, cipher suite or key exchange in common with the server",
        ),
        E::PeerMisbehaved(_) if handshaking => Reason::TlsHandshake("the server misbehaved"),
        E::PeerSentOversizedRecord => Reason::Tls("oversized record"),
        E::DecryptError => Reason::Tls("decrypt error"),
        _ if handshaking => Reason::TlsHandshake("protocol error"),
        _ => Reason::Tls("protocol error"),
    }
}

fn cert_reason(c: &CertificateError) -> &'static str {
    use CertificateError as C;
    match c {
        C::UnknownIssuer => "unknown issuer (not signed by the SSL ca)",
        C::Expired | C::ExpiredContext { .. } => "certificate expired",
        C::NotValidYet | C::NotValidYetContext { .. } => "certificate not yet valid",
        C::NotValidForName | C::NotValidForNameContext { .. } => {
            "certificate not valid for the name checked"
        }
        C::BadEncoding => "malformed certificate",
        C::BadSignature => "bad signature",
        C::Revoked => "certificate revoked",
        C::InvalidPurpose | C::InvalidPurposeContext { .. } => "certificate not for TLS server use",
        C::UnhandledCriticalExtension => "unhandled critical extension",
        C::UnsupportedSignatureAlgorithmContext { .. }
        | C::UnsupportedSignatureAlgorithmForPublicKeyContext { .. } => {
            "unsupported signature algorithm"
        }
        _ => "certificate refused",
    }
}
