//! The words ipvsadm prints for a failed operation, keyed by (operation, errno) the way
//! ipvsadm's own table is (libipvs `ipvs_strerror`).

use crate::ipvs::rule::Op;

/// Text for an operation that failed with `errno`.
pub fn op_error_text(op: &Op, errno: i32) -> &'static str {
    match (op, errno) {
        (Op::AddService(_), libc::EEXIST) => "Service already exists",
        (Op::AddService(_), libc::ENOENT) => "Scheduler not found",
        (Op::EditService(_) | Op::DelService(_) | Op::Zero(Some(_)), libc::ESRCH) => {
            "No such service"
        }
        (Op::EditService(_), libc::ENOENT) => "Scheduler not found",
        (Op::AddDest(..) | Op::EditDest(..) | Op::DelDest(..), libc::ESRCH) => {
            "Service not defined"
        }
        (Op::AddDest(..), libc::EEXIST) => "Destination already exists",
        (Op::EditDest(..) | Op::DelDest(..), libc::ENOENT) => "No such destination",
        (_, e) => errno_text(e),
    }
}

/// Text for an errno outside any table entry.
pub fn errno_text(errno: i32) -> &'static str {
    match errno {
        libc::EPERM => "Permission denied (you must be root)",
        libc::EINVAL => {
            "Invalid operation.  Possibly wrong module version, address not unicast, ..."
        }
        libc::ENOPROTOOPT => "Protocol not available",
        libc::ENOMEM => "Memory allocation problem",
        libc::EOPNOTSUPP => "Operation not supported with IPv6",
        libc::EAFNOSUPPORT => "Operation not supported with specified address family",
        libc::ENOENT => "No such file or directory",
        libc::ESRCH => "No such process",
        libc::EEXIST => "File exists",
        _ => "Unknown error",
    }
}
