//! IPVS wire formats: netlink messages and setsockopt structs (owner: netlink helper).
