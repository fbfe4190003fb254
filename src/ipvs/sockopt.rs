//! setsockopt IPVS backend (owner: netlink helper).
