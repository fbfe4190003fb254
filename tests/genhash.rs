//! The genhash personality against Debian's keepalived `genhash` (installed by .ci/run):
//! both run with the same arguments against the same loopback servers, and stdout,
//! stderr and the exit status must be identical (with -v, all but the last line, which
//! is a response time).

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::process::{Command, Output};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

const GENHASH: &str = "/usr/bin/genhash";

/// The reply for a request: pieces written with a pause between them (one piece: one
/// write, so both clients see the same reads), or None to stall.
fn reply_for(request: &str) -> Option<Vec<Vec<u8>>> {
    let line = request.lines().next().unwrap_or("");
    let path = line.split(' ').nth(1).unwrap_or("");
    // What the request said, without what differs between the two clients (the
    // User-Agent and the header order): the body and so the digest depend on it.
    let header = |name: &str| {
        request
            .lines()
            .find_map(|l| {
                let (n, v) = l.split_once(':')?;
                n.eq_ignore_ascii_case(name).then(|| v.trim().to_string())
            })
            .unwrap_or_else(|| "-".into())
    };
    let echo = format!(
        "{}\nHost: {}\nConnection: {}\n",
        line,
        header("host"),
        header("connection")
    );
    let one = |head: &str, body: &[u8]| {
        let mut v = head.as_bytes().to_vec();
        v.extend_from_slice(body);
        Some(vec![v])
    };
    match path {
        "/" | "/index.html" => one(
            "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 12\r\n\r\n",
            b"hello world\n",
        ),
        "/echo" => one(
            &format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n", echo.len()),
            echo.as_bytes(),
        ),
        "/nolength" => one("HTTP/1.0 200 OK\r\n\r\n", b"no length, ends at close\n"),
        // Content-Length shorter than the body: only its bytes are hashed.
        "/short" => one(
            "HTTP/1.0 200 OK\r\nContent-Length: 5\r\n\r\n",
            b"0123456789",
        ),
        "/missing" => one(
            "HTTP/1.0 404 Not Found\r\nContent-Length: 10\r\n\r\n",
            b"not found\n",
        ),
        "/empty" => one("HTTP/1.0 204 No Content\r\n\r\n", b""),
        // A body of many reads (hashed and, with -v, dumped chunk by chunk).
        "/big" => {
            let body: Vec<u8> = (0..20_000u32).map(|i| (i % 251) as u8).collect();
            one(
                &format!("HTTP/1.0 200 OK\r\nContent-Length: {}\r\n\r\n", body.len()),
                &body,
            )
        }
        "/nohead" => Some(vec![b"garbage without an end of head".to_vec()]),
        "/stall" => None,
        "/stallbody" => Some(vec![
            b"HTTP/1.0 200 OK\r\nContent-Length: 100\r\n\r\npart".to_vec(),
            b"STALL".to_vec(),
        ]),
        _ => one("HTTP/1.0 500 Huh\r\n\r\n", b""),
    }
}

/// A loopback HTTP server answering by path, one thread per connection, until dropped.
struct Server {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
}

impl Server {
    fn start() -> Server {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.set_nonblocking(true).unwrap();
        let addr = l.local_addr().unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let s2 = stop.clone();
        thread::spawn(move || {
            while !s2.load(Ordering::Relaxed) {
                match l.accept() {
                    Ok((c, _)) => {
                        let s3 = s2.clone();
                        thread::spawn(move || serve(c, s3));
                    }
                    Err(_) => thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        Server { addr, stop }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

fn serve(mut c: TcpStream, stop: Arc<AtomicBool>) {
    c.set_nonblocking(false).unwrap();
    c.set_nodelay(true).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut head = Vec::new();
    let mut b = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 8192 {
        match c.read(&mut b) {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&b[..n]),
        }
    }
    let request = String::from_utf8_lossy(&head).into_owned();
    let pieces = reply_for(&request);
    for p in pieces.iter().flatten() {
        if p == b"STALL" {
            break;
        }
        let _ = c.write_all(p);
        thread::sleep(Duration::from_millis(50));
    }
    let stall = match &pieces {
        None => true,
        Some(p) => p.iter().any(|x| x == b"STALL"),
    };
    if stall {
        // Hold the connection open (bounded) until the client gives up.
        for _ in 0..200 {
            if stop.load(Ordering::Relaxed) || c.read(&mut b).map_or(true, |n| n == 0) {
                break;
            }
        }
    }
}

fn run(program: &str, args: &[&str]) -> Output {
    // Both see argv[0] "genhash" (keepalived prints it in its usage).
    let mut cmd = if program == GENHASH {
        let mut c = Command::new(GENHASH);
        c.arg0("genhash");
        c
    } else {
        let mut c = Command::new(env!("CARGO_BIN_EXE_lvsmon"));
        c.arg0("genhash");
        c
    };
    cmd.args(args).output().expect("run")
}

fn check_genhash_installed() {
    assert!(
        std::path::Path::new(GENHASH).exists(),
        "{} missing: install keepalived (.ci/run does)",
        GENHASH
    );
}

/// Runs both and compares; returns keepalived's stdout.
fn same(args: &[&str]) -> String {
    let want = run(GENHASH, args);
    let got = run("lvsmon", args);
    let strip = |o: &[u8]| {
        let s = String::from_utf8_lossy(o).into_owned();
        if s.contains("\nGlobal response time for [") {
            // The last line is "Global response time for [url] = N usecs".
            let cut = s.trim_end_matches('\n').rfind('\n').map_or(0, |i| i + 1);
            assert!(
                s[cut..].starts_with("Global response time for ["),
                "{:?}: {}",
                args,
                s
            );
            s[..cut].to_string()
        } else {
            s
        }
    };
    assert_eq!(
        strip(&got.stdout),
        strip(&want.stdout),
        "stdout of {:?}",
        args
    );
    assert_eq!(
        String::from_utf8_lossy(&got.stderr),
        String::from_utf8_lossy(&want.stderr),
        "stderr of {:?}",
        args
    );
    assert_eq!(
        got.status.code(),
        want.status.code(),
        "status of {:?}",
        args
    );
    String::from_utf8_lossy(&want.stdout).into_owned()
}

#[test]
fn digests_over_http_match_keepalived() {
    check_genhash_installed();
    let srv = Server::start();
    let port = srv.addr.port().to_string();
    let p = port.as_str();
    for path in [
        "/",
        "/echo",
        "/nolength",
        "/short",
        "/missing",
        "/empty",
        "/big",
        "/nohead",
    ] {
        let out = same(&["-s", "127.0.0.1", "-p", p, "-u", path]);
        if path != "/nohead" {
            assert_eq!(out.trim_end().len(), 32, "{}: {:?}", path, out);
        }
    }
    // The digest of the echo depends on the request line, Host and Connection.
    let mut seen = std::collections::BTreeSet::new();
    for args in [
        &["-P", "1.0"][..],
        &["-P", "1.0c"],
        &["-P", "1.0C"],
        &["-P", "1.1"],
        &["-V", "www.example.org"],
        &["-V", "www.example.org", "-P", "1.1"],
    ] {
        let mut a = vec!["-s", "127.0.0.1", "-p", p, "-u", "/echo"];
        a.extend_from_slice(args);
        seen.insert(same(&a));
    }
    assert_eq!(seen.len(), 5, "1.0c and 1.0C send the same: {:?}", seen);
    // Long options, abbreviations, clusters, operands after options.
    same(&[
        "--server",
        "127.0.0.1",
        "--port",
        p,
        "--url",
        "/echo",
        "--protocol=1.1",
    ]);
    same(&[
        "--serv=127.0.0.1",
        "--po",
        p,
        "--url=/",
        "--use-v",
        "x.example",
    ]);
    same(&["-vs127.0.0.1", &format!("-p{}", p), "-u/"]);
}

#[test]
fn verbose_output_matches_keepalived() {
    check_genhash_installed();
    let srv = Server::start();
    let p = srv.addr.port().to_string();
    for path in [
        "/",
        "/big",
        "/short",
        "/missing",
        "/nolength",
        "/empty",
        "/nohead",
    ] {
        same(&["-v", "-s", "127.0.0.1", "-p", &p, "-u", path]);
    }
}

#[test]
fn failures_match_keepalived() {
    check_genhash_installed();
    // A port nobody listens on.
    let closed = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port().to_string();
    drop(closed);
    assert_eq!(
        same(&["-s", "127.0.0.1", "-p", &port, "-u", "/"]),
        "Connection failed\n"
    );
    same(&["-v", "-s", "127.0.0.1", "-p", &port, "-u", "/"]);
    // No reply, then a reply that stops: per-step timeouts of one second.
    let srv = Server::start();
    let p = srv.addr.port().to_string();
    let t = Instant::now();
    assert_eq!(
        same(&["-t", "1", "-s", "127.0.0.1", "-p", &p, "-u", "/stall"]),
        "Timeout WEB read\n"
    );
    assert_eq!(
        same(&["-t", "1", "-s", "127.0.0.1", "-p", &p, "-u", "/stallbody"]),
        "Timeout HTTP read\n"
    );
    assert!(t.elapsed() < Duration::from_secs(30));
    same(&["-t", "0", "-s", "127.0.0.1", "-p", &p, "-u", "/"]);
}

#[test]
fn command_line_errors_match_keepalived() {
    check_genhash_installed();
    for args in [
        &[][..],
        &["-h"],
        &["-s", "127.0.0.1"],
        &["-s", "127.0.0.1", "-p", "80"],
        &["-s", "localhost", "-p", "80", "-u", "/"],
        &["-s", "127.0.0.1", "-p", "0", "-u", "/"],
        &["-s", "127.0.0.1", "-p", "65536", "-u", "/"],
        &["-s", "127.0.0.1", "-p", "8o", "-u", "/"],
        &["-s", "127.0.0.1", "-p", "80", "-u", "/", "-P", "2.0"],
        &["-s", "127.0.0.1", "-p", "80", "-u", "/", "-t", "x"],
        &["-s", "127.0.0.1", "-p", "80", "-u", "/", "-t", "-1"],
        &["-s", "127.0.0.1", "-p", "80", "-u", "/", "-m", "-1"],
        &["-s", "127.0.0.1", "-p", "80", "-u", "/", "-x", "-y"],
        &["-s", "127.0.0.1", "-p", "80", "-u", "/", "--bogus"],
        &["-s", "127.0.0.1", "-p", "80", "-u", "/", "--u", "x"],
        &["-s", "127.0.0.1", "-p", "80", "-u", "/", "--use-ssl=yes"],
        &["-s", "127.0.0.1", "-p", "80", "-u", "/", "extra", "words"],
        &["word", "-s", "127.0.0.1", "-x"],
        &["word", "--bogus", "-s", "127.0.0.1"],
        &["-s", "127.0.0.1", "-p", "80", "-u", "/", "--", "-v"],
        &["-s", "127.0.0.1", "-u", "/", "-p"],
        &["-h", "-s", "127.0.0.1", "-p", "80", "-u", "/"],
    ] {
        same(args);
    }
}

#[test]
fn lvsmon_genhash_names_itself_in_the_usage() {
    let out = Command::new(env!("CARGO_BIN_EXE_lvsmon"))
        .args(["genhash", "-h"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.starts_with(&format!(
            "Usage: {} genhash COMMAND [OPTIONS]\n",
            env!("CARGO_BIN_EXE_lvsmon")
        )),
        "{}",
        err
    );
}

/// An `openssl s_server -WWW` on loopback serving a temporary directory, with a
/// certificate for `rs.lvsmon.test` from a CA made here; killed when dropped.
#[cfg(feature = "tls")]
struct TlsServer {
    child: std::process::Child,
    port: u16,
    _dir: TempDir,
}

#[cfg(feature = "tls")]
struct TempDir(std::path::PathBuf);

#[cfg(feature = "tls")]
impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[cfg(feature = "tls")]
impl Drop for TlsServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[cfg(feature = "tls")]
fn openssl(dir: &std::path::Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("openssl (installed by .ci/run)");
    assert!(out.status.success(), "openssl {:?}: {:?}", args, out);
}

#[cfg(feature = "tls")]
impl TlsServer {
    fn start() -> TlsServer {
        let dir = std::env::temp_dir().join(format!("lvsmon-genhash-tls-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("www/sub")).unwrap();
        let d = dir.as_path();
        let ec = [
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
        ];
        let mut ca = vec!["req", "-x509", "-days", "2", "-subj", "/CN=genhash-test-ca"];
        ca.extend_from_slice(&ec);
        ca.extend_from_slice(&["-keyout", "ca.key", "-out", "ca.pem"]);
        openssl(d, &ca);
        let mut csr = vec![
            "req",
            "-subj",
            "/CN=rs.lvsmon.test",
            "-keyout",
            "rs.key",
            "-out",
            "rs.csr",
        ];
        csr.extend_from_slice(&ec);
        openssl(d, &csr);
        std::fs::write(dir.join("san.ext"), "subjectAltName=DNS:rs.lvsmon.test\n").unwrap();
        openssl(
            d,
            &[
                "x509",
                "-req",
                "-in",
                "rs.csr",
                "-CA",
                "ca.pem",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-days",
                "2",
                "-extfile",
                "san.ext",
                "-out",
                "rs.pem",
            ],
        );
        std::fs::write(dir.join("www/index.html"), "hello over TLS\n").unwrap();
        std::fs::write(dir.join("www/sub/page.txt"), "x".repeat(9000)).unwrap();
        std::fs::write(dir.join("www/empty.txt"), "").unwrap();
        // A free port: bind, note it, release (s_server binds it next; bounded retries).
        for _ in 0..10 {
            let port = TcpListener::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap()
                .port();
            let mut child = Command::new("openssl")
                .args(["s_server", "-quiet", "-WWW", "-accept"])
                .arg(format!("127.0.0.1:{}", port))
                .args(["-cert", "../rs.pem", "-key", "../rs.key"])
                .current_dir(dir.join("www"))
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .spawn()
                .expect("openssl s_server");
            for _ in 0..100 {
                if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                    return TlsServer {
                        child,
                        port,
                        _dir: TempDir(dir),
                    };
                }
                if child.try_wait().unwrap().is_some() {
                    break;
                }
                thread::sleep(Duration::from_millis(50));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        panic!("openssl s_server did not start");
    }
}

#[cfg(feature = "tls")]
#[test]
fn digests_over_https_match_keepalived() {
    check_genhash_installed();
    let srv = TlsServer::start();
    let p = srv.port.to_string();
    let base = ["-S", "-s", "127.0.0.1", "-p", p.as_str()];
    let mut digests = std::collections::BTreeSet::new();
    for extra in [
        &["-u", "/index.html"][..],
        &["-u", "/sub/page.txt"],
        &["-u", "/empty.txt"],
        // s_server's 404 page has a digest too.
        &["-u", "/missing.html"],
        &["-u", "/index.html", "-I", "-V", "rs.lvsmon.test"],
        &["-u", "/index.html", "-V", "rs.lvsmon.test"],
        &["-u", "/index.html", "-P", "1.0"],
        &["-u", "/index.html", "-P", "1.0c"],
        &["-u", "/index.html", "-P", "1.1"],
        &["-u", "/sub/page.txt", "-v"],
        &["-u", "/index.html", "-v", "-I", "-V", "rs.lvsmon.test"],
        &[
            "--use-ssl",
            "--use-sni",
            "--use-virtualhost=rs.lvsmon.test",
            "--url",
            "/index.html",
        ],
    ] {
        let mut a = base.to_vec();
        a.extend_from_slice(extra);
        let out = same(&a);
        if !extra.contains(&"-v") {
            digests.insert(out);
        }
    }
    // index, page, empty, the 404 page.
    assert!(digests.len() >= 4, "{:?}", digests);
    // -S towards a port nobody listens on, and towards a plain HTTP server.
    let closed = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port().to_string();
    drop(closed);
    assert_eq!(
        same(&["-S", "-s", "127.0.0.1", "-p", &port, "-u", "/"]),
        "Connection failed\n"
    );
    let http = Server::start();
    let hp = http.addr.port().to_string();
    same(&["-S", "-s", "127.0.0.1", "-p", &hp, "-u", "/"]);
}

#[cfg(not(feature = "tls"))]
#[test]
fn ssl_needs_the_tls_build() {
    let out = Command::new(env!("CARGO_BIN_EXE_lvsmon"))
        .arg0("genhash")
        .args(["-S", "-s", "127.0.0.1", "-p", "443", "-u", "/"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.starts_with(
            "SSL needs the tls build of lvsmon (cargo feature \"tls\").\nUsage: genhash "
        ),
        "{}",
        err
    );
}
