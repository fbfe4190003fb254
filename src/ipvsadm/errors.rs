//! The words ipvsadm prints for a failed operation, keyed by (operation, errno) the way
//! libipvs's `ipvs_strerror` table is (the function that failed, then any function), with
//! glibc's `strerror` texts for everything else (lvsmon is linked against musl, whose
//! texts differ, so glibc's are spelled out here). Also ipvsadm's exit codes.

use crate::ipvs::rule::Op;

/// Exit code of a failed kernel operation: ipvsadm returns -1 from main.
pub const EXIT_KERNEL: i32 = 255;
/// Exit code of `fail()`: argument errors detected by ipvsadm itself.
pub const EXIT_USAGE: i32 = 2;
/// Exit code when a listing cannot be read (`exit(1)` in list_*).
pub const EXIT_LIST: i32 = 1;
/// Exit code of "Try `ipvsadm -h'" and of popt errors.
pub const EXIT_TRYHELP: i32 = 255;

/// Text for an operation that failed with `errno` (libipvs table, then strerror).
pub fn op_error_text(op: &Op, errno: i32) -> &'static str {
    let specific = match (op, errno) {
        (Op::AddService(_), libc::EEXIST) => Some("Service already exists"),
        (Op::AddService(_) | Op::EditService(_), libc::ENOENT) => {
            Some("Scheduler or persistence engine not found")
        }
        (Op::EditService(_) | Op::DelService(_) | Op::Zero(_), libc::ESRCH) => {
            Some("No such service")
        }
        (Op::AddDest(..) | Op::EditDest(..) | Op::DelDest(..), libc::ESRCH) => {
            Some("Service not defined")
        }
        (Op::AddDest(..), libc::EEXIST) => Some("Destination already exists"),
        (Op::EditDest(..) | Op::DelDest(..), libc::ENOENT) => Some("No such destination"),
        (Op::StartDaemon(_), libc::EEXIST) => Some("Daemon has already run"),
        (Op::StopDaemon(_), libc::ESRCH) => Some("No daemon is running"),
        _ => None,
    };
    specific.unwrap_or_else(|| errno_text(errno))
}

/// Text for a failed query (dump of services or destinations, get one service): the
/// libipvs entries for those functions, then the generic ones.
pub fn query_error_text(errno: i32) -> &'static str {
    if errno == libc::ESRCH {
        return "No such service";
    }
    errno_text(errno)
}

/// The generic entries of ipvs_strerror, then glibc's strerror.
pub fn errno_text(errno: i32) -> &'static str {
    lookup(&IPVS_STRERROR, errno).unwrap_or_else(|| glibc_strerror(errno))
}

/// glibc 2.36 `strerror` for the errnos the IPVS code paths of the kernel, netlink and
/// sockets can produce; "Unknown error" for the rest (glibc appends the number there,
/// which a static string cannot).
pub fn glibc_strerror(errno: i32) -> &'static str {
    lookup(&GLIBC_STRERROR, errno).unwrap_or("Unknown error")
}

/// The text of `errno` in `table` (the first entry for it). Tables rather than `match`es,
/// for code size: each case of the matches cost four instructions besides its jump-table
/// slot (-0.2 KB on mipsel).
fn lookup(table: &[(i32, &'static str)], errno: i32) -> Option<&'static str> {
    table.iter().find(|(e, _)| *e == errno).map(|(_, t)| *t)
}

/// The generic entries of libipvs's ipvs_strerror table.
const IPVS_STRERROR: [(i32, &str); 7] = [
    (libc::EPERM, "Permission denied (you must be root)"),
    (
        libc::EINVAL,
        "Invalid operation.  Possibly wrong module version, address not unicast, ...",
    ),
    (libc::ENOPROTOOPT, "Protocol not available"),
    (libc::ENOMEM, "Memory allocation problem"),
    (libc::EOPNOTSUPP, "Operation not supported with IPv6"),
    (
        libc::EAFNOSUPPORT,
        "Operation not supported with specified address family",
    ),
    (libc::EMSGSIZE, "Module is wrong version"),
];

/// glibc 2.36 `strerror` texts.
const GLIBC_STRERROR: [(i32, &str); 43] = [
    (0, "Success"),
    (libc::EPERM, "Operation not permitted"),
    (libc::ENOENT, "No such file or directory"),
    (libc::ESRCH, "No such process"),
    (libc::EINTR, "Interrupted system call"),
    (libc::EIO, "Input/output error"),
    (libc::ENXIO, "No such device or address"),
    (libc::E2BIG, "Argument list too long"),
    (libc::EBADF, "Bad file descriptor"),
    (libc::EAGAIN, "Resource temporarily unavailable"),
    (libc::ENOMEM, "Cannot allocate memory"),
    (libc::EACCES, "Permission denied"),
    (libc::EFAULT, "Bad address"),
    (libc::EBUSY, "Device or resource busy"),
    (libc::EEXIST, "File exists"),
    (libc::ENODEV, "No such device"),
    (libc::EINVAL, "Invalid argument"),
    (libc::ENFILE, "Too many open files in system"),
    (libc::EMFILE, "Too many open files"),
    (libc::ENOSPC, "No space left on device"),
    (libc::ERANGE, "Numerical result out of range"),
    (libc::ENOSYS, "Function not implemented"),
    (libc::ENOBUFS, "No buffer space available"),
    (libc::EMSGSIZE, "Message too long"),
    (libc::EPROTONOSUPPORT, "Protocol not supported"),
    (libc::ENOPROTOOPT, "Protocol not available"),
    (
        libc::EAFNOSUPPORT,
        "Address family not supported by protocol",
    ),
    (libc::EADDRINUSE, "Address already in use"),
    (libc::EADDRNOTAVAIL, "Cannot assign requested address"),
    (libc::ENETDOWN, "Network is down"),
    (libc::ENETUNREACH, "Network is unreachable"),
    (libc::ECONNREFUSED, "Connection refused"),
    (libc::ETIMEDOUT, "Connection timed out"),
    (libc::ENOTCONN, "Transport endpoint is not connected"),
    (libc::EPROTO, "Protocol error"),
    (libc::EBADMSG, "Bad message"),
    (libc::EOVERFLOW, "Value too large for defined data type"),
    (libc::ENOTTY, "Inappropriate ioctl for device"),
    (libc::EROFS, "Read-only file system"),
    (libc::ENOTDIR, "Not a directory"),
    (libc::EISDIR, "Is a directory"),
    (libc::ENOTSOCK, "Socket operation on non-socket"),
    (libc::EPIPE, "Broken pipe"),
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ipvs::rule::{ServiceKey, SyncState};

    #[test]
    fn table_follows_libipvs() {
        let k = ServiceKey::Fwmark {
            family: crate::ipvs::rule::Family::Inet,
            mark: 1,
        };
        assert_eq!(
            op_error_text(&Op::DelService(k), libc::ESRCH),
            "No such service"
        );
        assert_eq!(
            op_error_text(&Op::Zero(None), libc::ESRCH),
            "No such service"
        );
        assert_eq!(
            op_error_text(
                &Op::DelDest(k, "127.0.0.1:1".parse().unwrap()),
                libc::ENOENT
            ),
            "No such destination"
        );
        assert_eq!(
            op_error_text(&Op::StopDaemon(SyncState::Master), libc::ESRCH),
            "No daemon is running"
        );
        // AddDest has no ENOENT entry: plain strerror, as ipvsadm prints it.
        assert_eq!(
            op_error_text(&Op::DelService(k), libc::EBUSY),
            "Device or resource busy"
        );
        assert_eq!(
            op_error_text(&Op::Flush, libc::EPERM),
            "Permission denied (you must be root)"
        );
    }
}
