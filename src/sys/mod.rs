//! Every `unsafe` call lives here, each with a `// SAFETY:` line; the rest of the crate
//! denies unsafe code.

/// Wraps a libc call that returns -1 on error, turning it into `io::Error` (as mio does).
// Arguments are expanded inside the unsafe block on purpose (as mio's macro does): every
// caller is in src/sys/, where each call site states why its arguments are valid.
#[macro_export]
macro_rules! syscall {
    ($fn: ident ( $($arg: expr),* $(,)* ) ) => {{
        #[allow(unused_unsafe)]
        // SAFETY: the caller passes arguments valid for this libc call.
        let res = unsafe { libc::$fn($($arg, )*) };
        if res == -1 {
            Err(std::io::Error::last_os_error())
        } else {
            Ok(res)
        }
    }};
}

pub mod fifo;
pub mod netlink;
pub mod netns;
pub mod probe;
pub mod process;
pub mod rtnetlink;
pub mod spawn;
