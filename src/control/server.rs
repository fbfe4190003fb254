//! The control-socket server, driven by the reactor: a unix stream listener (mode 0600)
//! and a fixed number of client slots. A client gets one request line and one reply; a
//! slow, silent or oversized client is cut off at its deadline or its byte bound and never
//! holds up the checks.

use std::io::{self, Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use mio::net::{UnixListener, UnixStream};
use mio::{Interest, Registry, Token};

use crate::control::protocol::{self, Request, RequestError};
use crate::model::limits::{MAX_CONTROL_CLIENTS, MAX_CONTROL_REQUEST};

/// How long a client has to send its request and read the reply.
pub const CLIENT_TIMEOUT: Duration = Duration::from_secs(5);

struct Client {
    stream: Option<UnixStream>,
    inbuf: [u8; MAX_CONTROL_REQUEST + 1],
    in_len: usize,
    out: Vec<u8>,
    written: usize,
    deadline: Instant,
    answered: bool,
}

pub struct ControlServer {
    listener: UnixListener,
    path: PathBuf,
    listener_token: Token,
    first_client_token: usize,
    clients: Vec<Client>,
}

/// What the reactor must do after a client event.
#[derive(Debug, PartialEq, Eq)]
pub enum ClientEvent {
    Nothing,
    /// A complete request from client `slot`; answer with `respond`.
    Request(usize, Request),
}

impl ControlServer {
    /// Binds `path` (a stale socket file is replaced) with mode 0600 and registers the
    /// listener under `listener_token`; clients use tokens `first_client_token..+MAX`.
    pub fn bind(
        path: &Path,
        registry: &Registry,
        listener_token: Token,
        first_client_token: usize,
    ) -> io::Result<ControlServer> {
        match std::fs::remove_file(path) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
        // Bind under a restrictive umask so the socket is never reachable by others, not
        // even between bind and chmod.
        let old = crate::sys::process::set_umask(0o177);
        let bound = UnixListener::bind(path);
        crate::sys::process::set_umask(old);
        let mut listener = bound?;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
        registry.register(&mut listener, listener_token, Interest::READABLE)?;
        let now = Instant::now();
        let clients = (0..MAX_CONTROL_CLIENTS)
            .map(|_| Client {
                stream: None,
                inbuf: [0; MAX_CONTROL_REQUEST + 1],
                in_len: 0,
                out: Vec::with_capacity(4096),
                written: 0,
                deadline: now,
                answered: false,
            })
            .collect();
        Ok(ControlServer {
            listener,
            path: path.to_path_buf(),
            listener_token,
            first_client_token,
            clients,
        })
    }

    pub fn owns(&self, token: Token) -> bool {
        token == self.listener_token
            || (self.first_client_token..self.first_client_token + MAX_CONTROL_CLIENTS)
                .contains(&token.0)
    }

    /// Handles readiness on any of the server's tokens.
    pub fn on_ready(&mut self, token: Token, registry: &Registry, now: Instant) -> ClientEvent {
        if token == self.listener_token {
            self.accept_all(registry, now);
            return ClientEvent::Nothing;
        }
        let slot = token.0 - self.first_client_token;
        self.service_client(slot, registry)
    }

    fn accept_all(&mut self, registry: &Registry, now: Instant) {
        // Bounded: at most one accept per slot plus one refusal per call.
        for _ in 0..=MAX_CONTROL_CLIENTS {
            let (mut stream, _) = match self.listener.accept() {
                Ok(s) => s,
                Err(ref e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) => {
                    log::warn!("control socket: accept failed: {}", e);
                    return;
                }
            };
            let Some(slot) = self.clients.iter().position(|c| c.stream.is_none()) else {
                // Every slot is busy: say so without waiting, then hang up.
                let _ = stream.write_all(b"error: busy, try again\n");
                continue;
            };
            let token = Token(self.first_client_token + slot);
            if let Err(e) = registry.register(&mut stream, token, Interest::READABLE) {
                log::warn!("control socket: cannot watch client: {}", e);
                continue;
            }
            let c = &mut self.clients[slot];
            c.stream = Some(stream);
            c.in_len = 0;
            c.out.clear();
            c.written = 0;
            c.deadline = now + CLIENT_TIMEOUT;
            c.answered = false;
        }
    }

    fn service_client(&mut self, slot: usize, registry: &Registry) -> ClientEvent {
        let Some(c) = self.clients.get_mut(slot) else {
            return ClientEvent::Nothing;
        };
        if c.stream.is_none() {
            return ClientEvent::Nothing; // stale event for a closed slot
        }
        if c.answered {
            self.flush(slot, registry);
            return ClientEvent::Nothing;
        }
        let mut closed = false;
        // Read until WouldBlock, the newline, or the byte bound.
        loop {
            let stream = c.stream.as_mut().expect("checked above");
            if c.in_len == c.inbuf.len() {
                break;
            }
            match stream.read(&mut c.inbuf[c.in_len..]) {
                Ok(0) => {
                    closed = true;
                    break;
                }
                Ok(n) => {
                    c.in_len += n;
                    if c.inbuf[..c.in_len].contains(&b'\n') {
                        break;
                    }
                }
                Err(ref e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(ref e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(_) => {
                    self.close(slot, registry);
                    return ClientEvent::Nothing;
                }
            }
        }
        let line_end = c.inbuf[..c.in_len].iter().position(|&b| b == b'\n');
        let parsed = match line_end {
            Some(end) => {
                let line = &c.inbuf[..end];
                let line = line.strip_suffix(b"\r").unwrap_or(line);
                protocol::parse(line)
            }
            None if c.in_len == c.inbuf.len() => Err(RequestError::TooLong),
            // A client that half-closes after its request without a newline is served too.
            None if closed && c.in_len > 0 => protocol::parse(&c.inbuf[..c.in_len]),
            None if closed => {
                self.close(slot, registry);
                return ClientEvent::Nothing;
            }
            None => return ClientEvent::Nothing,
        };
        match parsed {
            Ok(request) => ClientEvent::Request(slot, request),
            Err(e) => {
                self.respond(slot, registry, |out| {
                    let _ = writeln!(out, "error: {}", e);
                });
                ClientEvent::Nothing
            }
        }
    }

    /// Sends the reply built by `body` to client `slot`, then closes it once written.
    pub fn respond(&mut self, slot: usize, registry: &Registry, body: impl FnOnce(&mut Vec<u8>)) {
        let Some(c) = self.clients.get_mut(slot) else {
            return;
        };
        if c.stream.is_none() {
            return;
        }
        c.out.clear();
        body(&mut c.out);
        c.written = 0;
        c.answered = true;
        let token = Token(self.first_client_token + slot);
        if let Some(stream) = c.stream.as_mut() {
            if registry
                .reregister(stream, token, Interest::WRITABLE)
                .is_err()
            {
                self.close(slot, registry);
                return;
            }
        }
        self.flush(slot, registry);
    }

    fn flush(&mut self, slot: usize, registry: &Registry) {
        let c = &mut self.clients[slot];
        let Some(stream) = c.stream.as_mut() else {
            return;
        };
        while c.written < c.out.len() {
            match stream.write(&c.out[c.written..]) {
                Ok(0) => break,
                Ok(n) => c.written += n,
                Err(ref e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(ref e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(_) => break,
            }
        }
        self.close(slot, registry);
    }

    fn close(&mut self, slot: usize, registry: &Registry) {
        let c = &mut self.clients[slot];
        if let Some(mut stream) = c.stream.take() {
            let _ = registry.deregister(&mut stream);
        }
        c.in_len = 0;
        c.written = 0;
        c.answered = false;
        // Give back memory a huge status reply took; keep the usual size.
        if c.out.capacity() > 1 << 20 {
            c.out = Vec::with_capacity(4096);
        }
        c.out.clear();
    }

    /// Earliest client deadline, for the poll timeout.
    pub fn next_deadline(&self) -> Option<Instant> {
        self.clients
            .iter()
            .filter(|c| c.stream.is_some())
            .map(|c| c.deadline)
            .min()
    }

    /// Cuts off clients whose deadline passed.
    pub fn expire(&mut self, registry: &Registry, now: Instant) {
        for slot in 0..self.clients.len() {
            if self.clients[slot].stream.is_some() && self.clients[slot].deadline <= now {
                self.close(slot, registry);
            }
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for ControlServer {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}
