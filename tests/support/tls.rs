//! TLS fixtures for the SSL_GET tests: certificates made by the test (rcgen), real TLS
//! servers (`openssl s_server`, as `.ci/run` installs it) and misbehaving ones (threads on
//! 127.0.0.1), and SSL_GET checks built through the config parser, the way the daemon
//! gets them. Only 127.0.0.1 is used.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use lvsmon::model::config::Check;
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
    KeyUsagePurpose,
};

/// How long a fixture server lives at most (every test is far shorter).
const FIXTURE_LIFETIME: Duration = Duration::from_secs(30);

/// A directory under the system temp dir, removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        static N: AtomicUsize = AtomicUsize::new(0);
        let p = std::env::temp_dir().join(format!(
            "lvsmon-tls-{}-{}-{}",
            tag,
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }

    pub fn write(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let p = self.path(name);
        std::fs::write(&p, bytes).unwrap();
        p
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A certificate authority made by the test.
pub struct Ca {
    cert: rcgen::Certificate,
    key: KeyPair,
}

impl Ca {
    pub fn new(name: &str) -> Ca {
        let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
        p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        p.distinguished_name.push(DnType::CommonName, name);
        p.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let key = KeyPair::generate().unwrap();
        let cert = p.self_signed(&key).unwrap();
        Ca { cert, key }
    }

    pub fn pem(&self) -> String {
        self.cert.pem()
    }

    /// A leaf for `names` (DNS names or IP addresses), for server or client use, valid
    /// now unless `expired`. Returns (certificate PEM, key PEM).
    pub fn issue(&self, names: &[&str], client: bool, expired: bool) -> (String, String) {
        let names: Vec<String> = names.iter().map(|s| s.to_string()).collect();
        let mut p = CertificateParams::new(names.clone()).unwrap();
        p.distinguished_name.push(
            DnType::CommonName,
            names.first().map(String::as_str).unwrap_or("lvsmon test"),
        );
        p.extended_key_usages = vec![if client {
            ExtendedKeyUsagePurpose::ClientAuth
        } else {
            ExtendedKeyUsagePurpose::ServerAuth
        }];
        if expired {
            p.not_before = rcgen::date_time_ymd(2020, 1, 1);
            p.not_after = rcgen::date_time_ymd(2021, 1, 1);
        } else {
            p.not_before = rcgen::date_time_ymd(2024, 1, 1);
            p.not_after = rcgen::date_time_ymd(2099, 1, 1);
        }
        let key = KeyPair::generate().unwrap();
        let cert = p.signed_by(&key, &self.cert, &self.key).unwrap();
        (cert.pem(), key.serialize_pem())
    }
}

/// The files a test writes: the CA, one server certificate and key, the web root.
pub struct Files {
    pub dir: TempDir,
}

impl Files {
    pub fn new(tag: &str) -> Files {
        Files {
            dir: TempDir::new(tag),
        }
    }

    /// Writes `cert` and `key` as NAME.crt / NAME.key; returns their paths.
    pub fn pair(&self, name: &str, (cert, key): &(String, String)) -> (PathBuf, PathBuf) {
        (
            self.dir.write(&format!("{name}.crt"), cert.as_bytes()),
            self.dir.write(&format!("{name}.key"), key.as_bytes()),
        )
    }
}

/// An address on 127.0.0.1 that was free a moment ago (for openssl's -accept).
pub fn free_port() -> SocketAddr {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap()
}

/// `openssl s_server` on 127.0.0.1, serving files from `root` with `-WWW` (each file as
/// "HTTP/1.0 200 ok" and its bytes; a missing file as an error page). Killed on drop.
pub struct SServer {
    pub addr: SocketAddr,
    child: Child,
    out: PathBuf,
}

impl SServer {
    /// `args` come after -accept/-cert/-key/-WWW (e.g. "-tls1_3", "-trace").
    pub fn start(root: &Path, cert: &Path, key: &Path, args: &[&str]) -> SServer {
        let out = root.join(format!("s_server-{}.out", free_port().port()));
        // A port that is taken between the probe and openssl's bind is retried.
        for _ in 0..5 {
            let addr = free_port();
            let log = std::fs::File::create(&out).unwrap();
            let child = Command::new("openssl")
                .arg("s_server")
                .arg("-accept")
                .arg(addr.to_string())
                .arg("-cert")
                .arg(cert)
                .arg("-key")
                .arg(key)
                .arg("-WWW")
                .args(args)
                .current_dir(root)
                .stdin(Stdio::null())
                .stdout(log.try_clone().unwrap())
                .stderr(log)
                .spawn()
                .expect("openssl s_server (installed by .ci/run)");
            let mut s = SServer {
                addr,
                child,
                out: out.clone(),
            };
            let begun = Instant::now();
            while begun.elapsed() < Duration::from_secs(10) {
                let text = s.output();
                if text.contains("ACCEPT") {
                    return s;
                }
                if let Ok(Some(_)) = s.child.try_wait() {
                    break;
                }
                thread::sleep(Duration::from_millis(20));
            }
            let text = s.output();
            drop(s);
            assert!(
                text.contains("Address already in use") || text.contains("bind"),
                "openssl s_server did not start: {text}"
            );
        }
        panic!("openssl s_server found no free port");
    }

    /// What the server printed so far (stdout and stderr).
    pub fn output(&self) -> String {
        String::from_utf8_lossy(&std::fs::read(&self.out).unwrap_or_default()).into_owned()
    }

    /// The host names the server received as SNI (from `-trace` output), in order.
    pub fn sni_received(&self) -> Vec<String> {
        sni_from_trace(&self.output())
    }
}

impl Drop for SServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Decodes every `server_name` extension of an `openssl s_server -trace` dump: the
/// extension's bytes are printed as hex lines "0000 - 00 13 00 00 10 77 ...   ascii";
/// its body is a list length (2 bytes), a type (0 = host_name), a length (2) and the
/// name.
pub fn sni_from_trace(text: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut lines = text.lines();
    while let Some(l) = lines.next() {
        let Some(rest) = l
            .trim()
            .strip_prefix("extension_type=server_name(0), length=")
        else {
            continue;
        };
        let len: usize = rest.trim().parse().unwrap_or(0);
        let mut bytes = Vec::new();
        // Each dump line holds up to 16 bytes; the bound is the declared length.
        for _ in 0..len.div_ceil(16).max(1) {
            let Some(dump) = lines.next() else { break };
            let Some((_, hex)) = dump.split_once(" - ") else {
                break;
            };
            let hex = hex.split("   ").next().unwrap_or("");
            for b in hex.split([' ', '-']).filter(|t| t.len() == 2) {
                if let Ok(v) = u8::from_str_radix(b, 16) {
                    bytes.push(v);
                }
            }
        }
        if len == 0 {
            // The server's empty acknowledgement in its reply.
            continue;
        }
        if bytes.len() >= 5 && bytes[2] == 0 {
            let n = usize::from(u16::from_be_bytes([bytes[3], bytes[4]]));
            if let Some(name) = bytes.get(5..5 + n) {
                names.push(String::from_utf8_lossy(name).into_owned());
            }
        }
    }
    names
}

/// An SSL_GET check parsed from a config with `ssl_block` (may be empty) and `extra`
/// lines inside SSL_GET, aimed at `target`, with `timeout` as connect_timeout.
pub fn ssl_get(
    target: SocketAddr,
    ssl_block: &str,
    url_lines: &str,
    extra: &str,
    timeout: Duration,
) -> Check {
    let text = format!(
        "{ssl_block}\nvirtual_server 10.0.0.1 443 {{\n  protocol TCP\n  real_server {} {} {{\n    \
         SSL_GET {{\n      url {{\n        {url_lines}\n      }}\n      {extra}\n    }}\n  }}\n}}\n",
        target.ip(),
        target.port()
    );
    let cfg =
        lvsmon::config::parse_str("test.conf", &text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    let mut c = cfg.services[0].reals[0].checks[0].clone();
    c.connect_timeout = timeout;
    c
}

/// What a misbehaving TLS "server" does after reading the ClientHello.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Hostile {
    /// Never answers.
    Stall,
    /// Answers bytes that are not TLS.
    Garbage,
    /// Answers a fatal handshake_failure alert.
    Alert,
    /// Answers the first bytes of a ServerHello, then closes.
    CloseMidHandshake,
}

/// A misbehaving server on 127.0.0.1; serves until dropped.
pub struct HostileServer {
    pub addr: SocketAddr,
    stop: Arc<AtomicBool>,
    handle: Option<JoinHandle<()>>,
}

impl HostileServer {
    pub fn start(how: Hostile) -> HostileServer {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.set_nonblocking(true).unwrap();
        let addr = l.local_addr().unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let s = stop.clone();
        let handle = thread::spawn(move || {
            let born = Instant::now();
            let mut held = Vec::new();
            while !s.load(Ordering::Relaxed) && born.elapsed() < FIXTURE_LIFETIME {
                let Ok((mut c, _)) = l.accept() else {
                    thread::sleep(Duration::from_millis(2));
                    continue;
                };
                c.set_nonblocking(false).unwrap();
                c.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
                let mut hello = [0u8; 4096];
                let _ = c.read(&mut hello);
                match how {
                    Hostile::Stall => {}
                    Hostile::Garbage => {
                        let _ = c.write_all(b"HTTP/1.0 400 Bad Request\r\n\r\nnot TLS here\n");
                    }
                    Hostile::Alert => {
                        // Alert record, TLS 1.2 version, length 2: fatal(2) handshake_failure(40).
                        let _ = c.write_all(&[0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28]);
                    }
                    Hostile::CloseMidHandshake => {
                        // A handshake record promising 0x50 bytes, of which 6 come.
                        let _ = c.write_all(&[0x16, 0x03, 0x03, 0x00, 0x50, 0x02, 0x00, 0x00]);
                        let _ = c.write_all(&[0x4c, 0x03, 0x03]);
                        drop(c);
                        continue;
                    }
                }
                held.push(c);
            }
        });
        HostileServer {
            addr,
            stop,
            handle: Some(handle),
        }
    }
}

impl Drop for HostileServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

/// A relay on 127.0.0.1 to `upstream` that passes the client's bytes at once and the
/// server's one byte every 100 ms. Serves one connection; stops when dropped.
pub struct Trickle {
    pub addr: SocketAddr,
    stop: Arc<AtomicBool>,
    handle: Option<JoinHandle<()>>,
}

impl Trickle {
    pub fn start(upstream: SocketAddr) -> Trickle {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.set_nonblocking(true).unwrap();
        let addr = l.local_addr().unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let s = stop.clone();
        let handle = thread::spawn(move || {
            let born = Instant::now();
            let client = loop {
                if s.load(Ordering::Relaxed) || born.elapsed() > FIXTURE_LIFETIME {
                    return;
                }
                match l.accept() {
                    Ok((c, _)) => break c,
                    Err(_) => thread::sleep(Duration::from_millis(2)),
                }
            };
            client.set_nonblocking(false).unwrap();
            let server = TcpStream::connect(upstream).unwrap();
            let (mut c_in, mut s_out) = (client.try_clone().unwrap(), server.try_clone().unwrap());
            let s2 = s.clone();
            let up = thread::spawn(move || {
                c_in.set_read_timeout(Some(Duration::from_millis(50)))
                    .unwrap();
                let mut buf = [0u8; 4096];
                while !s2.load(Ordering::Relaxed) && born.elapsed() < FIXTURE_LIFETIME {
                    match c_in.read(&mut buf) {
                        Ok(0) => break,
                        Ok(n) => {
                            if s_out.write_all(&buf[..n]).is_err() {
                                break;
                            }
                        }
                        Err(_) => {}
                    }
                }
            });
            let (mut s_in, mut c_out) = (server, client);
            s_in.set_read_timeout(Some(Duration::from_millis(50)))
                .unwrap();
            let mut byte = [0u8; 1];
            while !s.load(Ordering::Relaxed) && born.elapsed() < FIXTURE_LIFETIME {
                match s_in.read(&mut byte) {
                    Ok(0) => break,
                    Ok(_) => {
                        if c_out.write_all(&byte).is_err() {
                            break;
                        }
                        thread::sleep(Duration::from_millis(100));
                    }
                    Err(_) => {}
                }
            }
            let _ = up.join();
        });
        Trickle {
            addr,
            stop,
            handle: Some(handle),
        }
    }
}

impl Drop for Trickle {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

/// A TLS server made with rustls's server side on 127.0.0.1: answers every connection
/// with `reply` once it has read the request head, and records for each whether the
/// client ended it with close_notify (true) or just closed TCP (false).
pub struct RustlsServer {
    pub addr: SocketAddr,
    closes: Arc<std::sync::Mutex<Vec<bool>>>,
    stop: Arc<AtomicBool>,
    handle: Option<JoinHandle<()>>,
}

impl RustlsServer {
    pub fn start(cert: &Path, key: &Path, reply: &'static [u8]) -> RustlsServer {
        use rustls::pki_types::pem::PemObject;
        use rustls::pki_types::{CertificateDer, PrivateKeyDer};
        let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
            .unwrap()
            .map(Result::unwrap)
            .collect();
        let key = PrivateKeyDer::from_pem_file(key).unwrap();
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = Arc::new(
            rustls::ServerConfig::builder_with_provider(provider)
                .with_safe_default_protocol_versions()
                .unwrap()
                .with_no_client_auth()
                .with_single_cert(chain, key)
                .unwrap(),
        );
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.set_nonblocking(true).unwrap();
        let addr = l.local_addr().unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let closes = Arc::new(std::sync::Mutex::new(Vec::new()));
        let (s, cl) = (stop.clone(), closes.clone());
        let handle = thread::spawn(move || {
            let born = Instant::now();
            while !s.load(Ordering::Relaxed) && born.elapsed() < FIXTURE_LIFETIME {
                let Ok((sock, _)) = l.accept() else {
                    thread::sleep(Duration::from_millis(2));
                    continue;
                };
                sock.set_nonblocking(false).unwrap();
                sock.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
                let conn = rustls::ServerConnection::new(config.clone()).unwrap();
                let mut tls = rustls::StreamOwned::new(conn, sock);
                let mut head = Vec::new();
                let mut buf = [0u8; 1024];
                let mut clean = false;
                // Read the request head, answer, then read to the end.
                for _ in 0..1000 {
                    match tls.read(&mut buf) {
                        Ok(0) => {
                            clean = true;
                            break;
                        }
                        Ok(n) => {
                            let had = head.windows(4).any(|w| w == b"\r\n\r\n");
                            head.extend_from_slice(&buf[..n]);
                            if !had && head.windows(4).any(|w| w == b"\r\n\r\n") {
                                let _ = tls.write_all(reply);
                                let _ = tls.flush();
                            }
                        }
                        Err(_) => break,
                    }
                }
                cl.lock().unwrap().push(clean);
            }
        });
        RustlsServer {
            addr,
            closes,
            stop,
            handle: Some(handle),
        }
    }

    /// How the first `n` connections ended (waits for them, within FIXTURE_LIFETIME).
    pub fn closes(&self, n: usize) -> Vec<bool> {
        let begun = Instant::now();
        while begun.elapsed() < FIXTURE_LIFETIME {
            let c = self.closes.lock().unwrap();
            if c.len() >= n {
                return c.clone();
            }
            drop(c);
            thread::sleep(Duration::from_millis(10));
        }
        panic!("fewer than {n} connections ended");
    }
}

impl Drop for RustlsServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}
