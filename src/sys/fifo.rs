//! mkfifo(3) for the notify FIFO (owner: notify_fifo).

use std::ffi::CString;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

/// Creates a FIFO at `path` with `mode`; EEXIST is returned as an error for the caller to
/// tell apart (a FIFO someone else made is used as it is).
pub fn mkfifo(path: &Path, mode: libc::mode_t) -> io::Result<()> {
    let c = CString::new(path.as_os_str().as_bytes())
        .map_err(|_| io::Error::from_raw_os_error(libc::EINVAL))?;
    syscall!(mkfifo(c.as_ptr(), mode)).map(|_| ())
}
