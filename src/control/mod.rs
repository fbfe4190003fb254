//! The control socket (owner: reactor).
