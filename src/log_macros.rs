//! lvsmon's logging macros: `info!`, `warn!`, `error!` and `debug!` take format
//! arguments as log's do and hand them to `logging::emit`, which says why they exist.
//! `#[macro_use]` in lib.rs makes them visible in every module declared after it.

macro_rules! info {
    ($($arg:tt)*) => { $crate::logging::emit(::log::Level::Info, format_args!($($arg)*)) };
}
macro_rules! warn {
    ($($arg:tt)*) => { $crate::logging::emit(::log::Level::Warn, format_args!($($arg)*)) };
}
macro_rules! error {
    ($($arg:tt)*) => { $crate::logging::emit(::log::Level::Error, format_args!($($arg)*)) };
}
macro_rules! debug {
    ($($arg:tt)*) => { $crate::logging::emit(::log::Level::Debug, format_args!($($arg)*)) };
}
