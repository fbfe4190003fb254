//! The control-socket server, driven by the reactor: a unix stream listener (mode 0600)
//! served through the reactor's shared connection shape (`clients`): one request line
//! and one reply per connection; a slow, silent or oversized client is cut off at its
//! deadline or its byte bound and never holds up the checks.

use std::io::{self, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use mio::net::UnixListener;
use mio::{Registry, Token};

use crate::clients::{AnyListener, Clients, Framing, Protocol, Ready};
use crate::control::protocol::{self, Request, RequestError};
use crate::model::limits::{MAX_CONTROL_CLIENTS, MAX_CONTROL_REQUEST};

/// How long a client has to send its request and read the reply.
pub const CLIENT_TIMEOUT: Duration = Duration::from_secs(5);

pub struct ControlServer {
    clients: Clients<AnyListener>,
    path: PathBuf,
}

/// What the reactor must do after a client event.
#[derive(Debug, PartialEq, Eq)]
pub enum ClientEvent {
    Nothing,
    /// A complete request from client `slot`; answer with `respond`.
    Request(usize, Request),
}

/// A request is one line.
fn frame_line(buf: &[u8]) -> Framing {
    match buf.iter().position(|&b| b == b'\n') {
        Some(end) => Framing::Complete(end),
        None => Framing::Incomplete,
    }
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
        let listener = bound?;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
        let proto = Protocol {
            name: "control socket",
            frame: frame_line,
            busy_reply: b"error: busy, try again\n",
            timeout_reply: b"",
            max_request: MAX_CONTROL_REQUEST,
            timeout: CLIENT_TIMEOUT,
        };
        let clients = Clients::new(
            AnyListener::Unix(listener),
            proto,
            registry,
            listener_token,
            first_client_token,
            MAX_CONTROL_CLIENTS,
        )?;
        Ok(ControlServer {
            clients,
            path: path.to_path_buf(),
        })
    }

    pub fn owns(&self, token: Token) -> bool {
        self.clients.owns(token)
    }

    /// Handles readiness on any of the server's tokens.
    pub fn on_ready(&mut self, token: Token, registry: &Registry, now: Instant) -> ClientEvent {
        let parsed = match self.clients.on_ready(token, registry, now) {
            Ready::Nothing => return ClientEvent::Nothing,
            Ready::Request { slot, len } => {
                let line = self.clients.request(slot, len);
                let line = line.strip_suffix(b"\r").unwrap_or(line);
                (slot, protocol::parse(line))
            }
            Ready::TooLarge { slot } => (slot, Err(RequestError::TooLong)),
            // A client that half-closes after its request without a newline is served too.
            Ready::Closed { slot, len } if len > 0 => {
                (slot, protocol::parse(self.clients.request(slot, len)))
            }
            Ready::Closed { slot, .. } => {
                self.clients.close(slot, registry);
                return ClientEvent::Nothing;
            }
        };
        match parsed {
            (slot, Ok(request)) => ClientEvent::Request(slot, request),
            (slot, Err(e)) => {
                self.respond(slot, registry, |out| {
                    let _ = writeln!(out, "error: {}", e);
                });
                ClientEvent::Nothing
            }
        }
    }

    /// Sends the reply built by `body` to client `slot`, then closes it once written.
    pub fn respond(&mut self, slot: usize, registry: &Registry, body: impl FnOnce(&mut Vec<u8>)) {
        self.clients.respond(slot, registry, body)
    }

    /// Earliest client deadline, for the poll timeout.
    pub fn next_deadline(&self) -> Option<Instant> {
        self.clients.next_deadline()
    }

    /// Cuts off clients whose deadline passed.
    pub fn expire(&mut self, registry: &Registry, now: Instant) {
        self.clients.expire(registry, now);
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
