//! Every capacity in lvsmon, named in one place. Change a number here and rebuild;
//! a config that exceeds one is refused with an error naming the limit.

/// Virtual services (including sorry-server-only services).
pub const MAX_SERVICES: usize = 256;
/// Real servers across all virtual services.
pub const MAX_REALS: usize = 16384;
/// Distinct checkers after identical checks are merged.
pub const MAX_CHECKERS: usize = 16384;
/// Checks per real server.
pub const MAX_CHECKS_PER_REAL: usize = 8;
/// Probes with a socket or child process open at the same time. Checks/s is at most this
/// divided by a check's duration: 1024 keeps 4000 real servers at delay_loop 1 checked on
/// time while checks take up to a quarter second. `lvsmon run` raises its open-file soft
/// limit to make room (fewer slots, with a warning, where the hard limit is lower).
pub const MAX_IN_FLIGHT: usize = 1024;
/// Descriptors lvsmon keeps open besides its probes: stdio, the loop, the signal pipe,
/// netlink sockets, the control and HTTP listeners and their clients, log, pid file,
/// notify FIFO, the pipes of a script being started.
pub const FD_RESERVE: usize = 64 + MAX_CONTROL_CLIENTS + MAX_HTTP_CLIENTS;
/// SSL_GET connections open at once (each holds rustls's state, allocated at connect
/// and freed at close; see README "Memory"). A check that finds them all in use is
/// counted as not run and retried soon, as when every probe slot is busy.
pub const MAX_TLS_IN_FLIGHT: usize = 128;
/// `url { }` blocks in one HTTP_GET.
pub const MAX_URLS: usize = 8;
/// Status-code ranges in one `status_code` line.
pub const MAX_STATUS_RANGES: usize = 8;
/// Nesting of `include` files.
pub const MAX_INCLUDE_DEPTH: usize = 8;
/// Files read through `include` for one config.
pub const MAX_CONFIG_FILES: usize = 256;
/// Bytes of one config file.
pub const MAX_CONFIG_FILE_BYTES: usize = 16 * 1024 * 1024;
/// Parameter replacements in one config line (a definition that refers to itself
/// would otherwise never end; keepalived loops forever on it).
pub const MAX_REPLACEMENTS: usize = 1024;
/// Bytes of one config line after parameter substitution.
pub const MAX_LINE_BYTES: usize = 64 * 1024;
/// Values one `~SEQ` repeats its line for.
pub const MAX_SEQ_VALUES: usize = 65_536;
/// Bytes an HTTP probe reads before it judges the reply (headers + body it hashes).
pub const MAX_HTTP_REPLY_BYTES: usize = 1024 * 1024;
/// Bytes of the HTTP header block.
pub const MAX_HTTP_HEADER_BYTES: usize = 8 * 1024;
/// Bytes of one control-socket request.
pub const MAX_CONTROL_REQUEST: usize = 1024;
/// Recent checks kept per real server (`status --history`, the status page).
pub const HISTORY_LEN: usize = 64;
/// HTTP clients served at once (`run --http`).
pub const MAX_HTTP_CLIENTS: usize = 16;
/// Bytes of one HTTP request (request line and headers; no body is read).
pub const MAX_HTTP_REQUEST: usize = 8 * 1024;
/// Control-socket clients served at once.
pub const MAX_CONTROL_CLIENTS: usize = 8;
/// Kernel operations queued by one reconcile pass.
pub const MAX_OPS_PER_PASS: usize = 2 * MAX_REALS + 2 * MAX_SERVICES;
