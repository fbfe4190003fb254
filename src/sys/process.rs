//! Process syscalls: signals, daemonise, pid files (owner: reactor).
