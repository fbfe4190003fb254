//! The one event loop (owner: reactor).
