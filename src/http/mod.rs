//! `lvsmon run --http ADDR:PORT`: a small read-only HTTP/1.1 server inside the reactor's
//! loop (no thread, no runtime): `/metrics` for Prometheus, `/status.json`, and the
//! status page at `/`. `server` speaks HTTP over the reactor's shared connection shape;
//! `exposition` writes the families that are not the director's (kernel IPVS counters,
//! process, build, reload); `page.html` is the page, compiled in.

pub mod exposition;
pub mod server;

/// The status page: one self-contained file (inline CSS and JS, no external assets).
pub const PAGE: &str = include_str!("page.html");
