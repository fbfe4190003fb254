//! Probe syscalls: ICMP sockets, pidfd, spawn (owner: probe helper).
