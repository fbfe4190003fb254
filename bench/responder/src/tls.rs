//! TLS mode of the responder (`RESPONDER_TLS=1.2` or `1.3` in the environment): every
//! accepted connection is a TLS server session of that one protocol version, with a
//! self-signed ECDSA P-256 certificate made at start-up (rcgen), so the SSL_GET bench needs
//! no certificate files in the VM. Neither lvsmon (no `SSL { ca }`) nor keepalived
//! verifies it, as in the bench configs.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Arc;

use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

/// The server config for `version` ("1.2" or "1.3"), or why not.
pub fn config(version: &str) -> Result<Arc<rustls::ServerConfig>, String> {
    let v: &'static rustls::SupportedProtocolVersion = match version {
        "1.2" => &rustls::version::TLS12,
        "1.3" => &rustls::version::TLS13,
        other => return Err(format!("RESPONDER_TLS={other}: want 1.2 or 1.3")),
    };
    let ck = rcgen::generate_simple_self_signed(vec!["rs.bench.example".to_string()])
        .map_err(|e| format!("certificate: {e}"))?;
    let cert: CertificateDer<'static> = ck.cert.der().clone();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(ck.key_pair.serialize_der()));
    let cfg = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_protocol_versions(&[v])
    .map_err(|e| format!("versions: {e}"))?
    .with_no_client_auth()
    .with_single_cert(vec![cert], key)
    .map_err(|e| format!("certificate: {e}"))?;
    Ok(Arc::new(cfg))
}

/// One TLS session on an accepted connection: handshake, read the request head, reply,
/// close_notify. `handle` is the plain responder's request/reply over any stream.
pub fn serve(cfg: &Arc<rustls::ServerConfig>, s: TcpStream, handle: fn(&mut dyn RW)) {
    let Ok(conn) = rustls::ServerConnection::new(cfg.clone()) else {
        return;
    };
    let mut tls = rustls::StreamOwned::new(conn, s);
    handle(&mut tls);
    tls.conn.send_close_notify();
    let _ = tls.flush();
}

/// A byte stream the request/reply code runs over (plain TCP or TLS).
pub trait RW: Read + Write {}
impl<T: Read + Write> RW for T {}
