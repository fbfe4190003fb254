//! The control socket: how `lvsmon status`, `reload`, `drain`, `enable` and `weight`
//! talk to the running daemon.

pub mod client;
pub mod protocol;
pub mod server;
