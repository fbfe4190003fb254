//! Netlink and IPVS sockopt syscalls (owner: netlink helper).
