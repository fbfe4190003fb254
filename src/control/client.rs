//! The client side used by `lvsmon status`, `reload`, `drain`…: one request, one reply,
//! bounded in time and size.

use std::fmt;
use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::Duration;

use crate::control::protocol::Request;

const TIMEOUT: Duration = Duration::from_secs(10);
/// Larger than any status reply of a full table (16384 real servers × ~400 bytes).
const MAX_REPLY: u64 = 16 * 1024 * 1024;

#[derive(Debug)]
pub enum ClientError {
    Connect(std::path::PathBuf, std::io::Error),
    Io(std::io::Error),
    /// The daemon answered `error: …`.
    Refused(String),
    BadReply,
}

impl fmt::Display for ClientError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClientError::Connect(p, e) => write!(
                f,
                "cannot reach lvsmon at {}: {} (is `lvsmon run` running?)",
                p.display(),
                e
            ),
            ClientError::Io(e) => write!(f, "control socket: {}", e),
            ClientError::Refused(why) => write!(f, "lvsmon refused: {}", why),
            ClientError::BadReply => f.write_str("control socket: reply is not lvsmon's protocol"),
        }
    }
}

impl std::error::Error for ClientError {}

/// Sends `request` to the daemon at `socket` and returns the reply body after `ok`.
pub fn call(socket: &Path, request: &Request) -> Result<String, ClientError> {
    let mut stream =
        UnixStream::connect(socket).map_err(|e| ClientError::Connect(socket.to_path_buf(), e))?;
    stream
        .set_read_timeout(Some(TIMEOUT))
        .and_then(|_| stream.set_write_timeout(Some(TIMEOUT)))
        .map_err(ClientError::Io)?;
    let mut line = String::new();
    request.write_line(&mut line);
    line.push('\n');
    stream.write_all(line.as_bytes()).map_err(ClientError::Io)?;
    let mut reply = String::new();
    crate::read_whole::append_string(&mut |b| stream.read(b), MAX_REPLY, &mut reply)
        .map_err(ClientError::Io)?;
    if let Some(body) = reply.strip_prefix("ok\n") {
        Ok(body.to_string())
    } else if let Some(why) = reply.strip_prefix("error: ") {
        Err(ClientError::Refused(why.trim_end().to_string()))
    } else {
        Err(ClientError::BadReply)
    }
}
