//! Shared harness for whole-daemon tests: a real server that can die and return, a
//! running `lvsmon run --dry-run`, its control socket and log, and a small JSON reader
//! for `status --json`. Loopback only (127.0.0.0/8); every wait is bounded.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

pub const LVSMON: &str = env!("CARGO_BIN_EXE_lvsmon");

/// A scratch directory unique to one test.
pub fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("lvsmon-test-{}-{}", name, std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// An HTTP real server on a loopback address that answers `200 OK` to every request
/// until stopped; stopping closes the port, so probes see "connection refused".
pub struct RealServer {
    pub addr: SocketAddr,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl RealServer {
    pub fn start(addr: SocketAddr) -> RealServer {
        let listener = TcpListener::bind(addr).expect("bind real server");
        let addr = listener.local_addr().unwrap();
        listener.set_nonblocking(true).unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::spawn(move || {
            // Bounded: at most ten minutes of serving.
            let until = Instant::now() + Duration::from_secs(600);
            while !flag.load(Ordering::SeqCst) && Instant::now() < until {
                match listener.accept() {
                    Ok((mut s, _)) => {
                        let _ = s.set_nonblocking(false);
                        let _ = s.set_read_timeout(Some(Duration::from_millis(500)));
                        let mut buf = [0u8; 1024];
                        let _ = s.read(&mut buf);
                        let _ = s.write_all(
                            b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok",
                        );
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        RealServer {
            addr,
            stop,
            thread: Some(thread),
        }
    }

    pub fn kill(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }

    pub fn restore(&mut self) {
        let again = RealServer::start(self.addr);
        self.kill();
        *self = again;
    }
}

impl Drop for RealServer {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A free TCP port on 127.0.0.1 (also free on the other 127/8 addresses in practice).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `lvsmon run --dry-run` on a config, with its control socket and log in `dir`.
pub struct Daemon {
    pub child: Child,
    pub control: PathBuf,
    pub log: PathBuf,
    pub config: PathBuf,
}

impl Daemon {
    pub fn start(dir: &Path, config_text: &str) -> Daemon {
        Daemon::start_with(dir, config_text, &[])
    }

    /// `start` with more `lvsmon run` arguments.
    pub fn start_with(dir: &Path, config_text: &str, extra: &[&str]) -> Daemon {
        Daemon::launch(dir, config_text, extra, None)
    }

    /// `start` with lvsmon exec'd by `sh -c "SHELL; exec lvsmon run ..."` (e.g. a ulimit
    /// first); the child's pid is lvsmon's.
    pub fn start_after(dir: &Path, config_text: &str, shell: &str) -> Daemon {
        Daemon::launch(dir, config_text, &[], Some(shell))
    }

    fn launch(dir: &Path, config_text: &str, extra: &[&str], shell: Option<&str>) -> Daemon {
        let config = dir.join("lvsmon.conf");
        std::fs::write(&config, config_text).unwrap();
        let control = dir.join("lvsmon.sock");
        let log = dir.join("lvsmon.log");
        let mut cmd = match shell {
            Some(sh) => {
                let mut c = Command::new("sh");
                c.args(["-c", &format!("{sh} && exec \"$0\" \"$@\""), LVSMON]);
                c
            }
            None => Command::new(LVSMON),
        };
        let child = cmd
            .args(["run", "--dry-run", "-f"])
            .arg(&config)
            .arg("--control")
            .arg(&control)
            .arg("--log-file")
            .arg(&log)
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start lvsmon");
        let d = Daemon {
            child,
            control,
            log,
            config,
        };
        // The socket file appears at bind(), an instant before listen(): wait for an answer.
        d.wait_for("control socket", Duration::from_secs(10), |d| {
            d.control.exists() && d.lvsmon(&["status"]).0 == 0
        });
        d
    }

    pub fn lvsmon(&self, args: &[&str]) -> (i32, String, String) {
        let out = Command::new(LVSMON)
            .args(args)
            .arg("--control")
            .arg(&self.control)
            .output()
            .expect("run lvsmon");
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    pub fn status(&self) -> Json {
        let (code, out, err) = self.lvsmon(&["status", "--json"]);
        assert_eq!(code, 0, "status --json failed: {}", err);
        Json::parse(&out).unwrap_or_else(|e| panic!("bad JSON ({}): {}", e, out))
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Dry-run operation lines, in order, without their timestamp prefix.
    pub fn ops(&self) -> Vec<String> {
        self.log_text()
            .lines()
            .filter_map(|l| l.split_once("dry-run: ").map(|(_, op)| op.to_string()))
            .collect()
    }

    /// Polls `cond` every 100 ms until it holds or `limit` passes (then panics with the log).
    pub fn wait_for(&self, what: &str, limit: Duration, mut cond: impl FnMut(&Daemon) -> bool) {
        let until = Instant::now() + limit;
        while Instant::now() < until {
            if cond(self) {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!(
            "timed out after {:?} waiting for {}\n--- log ---\n{}",
            limit,
            what,
            self.log_text()
        );
    }

    /// The status entry of real server `addr` (first service that has it).
    pub fn real(&self, addr: &str) -> Json {
        let status = self.status();
        for svc in status.get("services").as_array() {
            for rs in svc.get("reals").as_array() {
                if rs.get("address").as_str() == Some(addr) {
                    return rs.clone();
                }
            }
        }
        panic!("real server {} not in status", addr)
    }

    pub fn sorry_in_table(&self) -> bool {
        let status = self.status();
        status.get("services").as_array()[0]
            .get("sorry_server")
            .get("in_table")
            .as_bool()
            .unwrap_or(false)
    }

    pub fn signal(&self, sig: &str) {
        let ok = Command::new("kill")
            .args(["-s", sig, &self.child.id().to_string()])
            .status()
            .unwrap()
            .success();
        assert!(ok, "kill -s {} failed", sig);
    }

    /// Sends TERM and waits (bounded) for the exit code.
    pub fn stop(mut self) -> i32 {
        self.signal("TERM");
        let until = Instant::now() + Duration::from_secs(10);
        while Instant::now() < until {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.code().unwrap_or(-1);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        panic!("lvsmon did not stop on SIGTERM");
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Just enough JSON to read `status --json`.
#[derive(Clone, Debug, PartialEq)]
pub enum Json {
    Null,
    Bool(bool),
    Num(f64),
    Str(String),
    Arr(Vec<Json>),
    Obj(Vec<(String, Json)>),
}

static NULL: Json = Json::Null;

impl Json {
    pub fn parse(text: &str) -> Result<Json, String> {
        let mut p = Parser {
            s: text.as_bytes(),
            i: 0,
        };
        let v = p.value(0)?;
        p.ws();
        if p.i != p.s.len() {
            return Err(format!("trailing bytes at {}", p.i));
        }
        Ok(v)
    }

    pub fn get(&self, key: &str) -> &Json {
        match self {
            Json::Obj(fields) => fields
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v)
                .unwrap_or(&NULL),
            _ => &NULL,
        }
    }

    pub fn as_array(&self) -> &[Json] {
        match self {
            Json::Arr(items) => items,
            _ => &[],
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Json::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Json::Bool(b) => Some(*b),
            _ => None,
        }
    }

    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Json::Num(n) => Some(*n as i64),
            _ => None,
        }
    }
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn ws(&mut self) {
        while self.i < self.s.len() && self.s[self.i].is_ascii_whitespace() {
            self.i += 1;
        }
    }

    fn eat(&mut self, c: u8) -> Result<(), String> {
        self.ws();
        if self.s.get(self.i) == Some(&c) {
            self.i += 1;
            Ok(())
        } else {
            Err(format!("expected '{}' at {}", c as char, self.i))
        }
    }

    fn value(&mut self, depth: usize) -> Result<Json, String> {
        if depth > 32 {
            return Err("nesting too deep".into());
        }
        self.ws();
        match self.s.get(self.i) {
            Some(b'{') => {
                self.i += 1;
                let mut fields = Vec::new();
                self.ws();
                if self.s.get(self.i) == Some(&b'}') {
                    self.i += 1;
                    return Ok(Json::Obj(fields));
                }
                loop {
                    self.ws();
                    let Json::Str(k) = self.string()? else {
                        unreachable!()
                    };
                    self.eat(b':')?;
                    fields.push((k, self.value(depth + 1)?));
                    self.ws();
                    match self.s.get(self.i) {
                        Some(b',') => self.i += 1,
                        Some(b'}') => {
                            self.i += 1;
                            return Ok(Json::Obj(fields));
                        }
                        _ => return Err(format!("bad object at {}", self.i)),
                    }
                }
            }
            Some(b'[') => {
                self.i += 1;
                let mut items = Vec::new();
                self.ws();
                if self.s.get(self.i) == Some(&b']') {
                    self.i += 1;
                    return Ok(Json::Arr(items));
                }
                loop {
                    items.push(self.value(depth + 1)?);
                    self.ws();
                    match self.s.get(self.i) {
                        Some(b',') => self.i += 1,
                        Some(b']') => {
                            self.i += 1;
                            return Ok(Json::Arr(items));
                        }
                        _ => return Err(format!("bad array at {}", self.i)),
                    }
                }
            }
            Some(b'"') => self.string(),
            Some(b't') if self.s[self.i..].starts_with(b"true") => {
                self.i += 4;
                Ok(Json::Bool(true))
            }
            Some(b'f') if self.s[self.i..].starts_with(b"false") => {
                self.i += 5;
                Ok(Json::Bool(false))
            }
            Some(b'n') if self.s[self.i..].starts_with(b"null") => {
                self.i += 4;
                Ok(Json::Null)
            }
            Some(_) => {
                let start = self.i;
                while self.i < self.s.len() && b"+-.eE0123456789".contains(&self.s[self.i]) {
                    self.i += 1;
                }
                std::str::from_utf8(&self.s[start..self.i])
                    .ok()
                    .and_then(|t| t.parse().ok())
                    .map(Json::Num)
                    .ok_or_else(|| format!("bad value at {}", start))
            }
            None => Err("unexpected end".into()),
        }
    }

    fn string(&mut self) -> Result<Json, String> {
        self.eat(b'"')?;
        let mut out = String::new();
        while let Some(&c) = self.s.get(self.i) {
            self.i += 1;
            match c {
                b'"' => return Ok(Json::Str(out)),
                b'\\' => {
                    let e = *self.s.get(self.i).ok_or("bad escape")?;
                    self.i += 1;
                    match e {
                        b'n' => out.push('\n'),
                        b't' => out.push('\t'),
                        b'r' => out.push('\r'),
                        b'u' => {
                            let hex = std::str::from_utf8(
                                self.s.get(self.i..self.i + 4).ok_or("bad \\u")?,
                            )
                            .map_err(|_| "bad \\u")?;
                            let code = u32::from_str_radix(hex, 16).map_err(|_| "bad \\u")?;
                            out.push(char::from_u32(code).unwrap_or('\u{fffd}'));
                            self.i += 4;
                        }
                        other => out.push(other as char),
                    }
                }
                _ => {
                    // Copy the UTF-8 sequence that starts here.
                    let start = self.i - 1;
                    let mut end = self.i;
                    while end < self.s.len() && (self.s[end] & 0xC0) == 0x80 {
                        end += 1;
                    }
                    out.push_str(
                        std::str::from_utf8(&self.s[start..end]).map_err(|_| "bad UTF-8")?,
                    );
                    self.i = end;
                }
            }
        }
        Err("unterminated string".into())
    }
}
