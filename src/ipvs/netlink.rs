//! Generic-netlink IPVS backend (owner: netlink helper).
