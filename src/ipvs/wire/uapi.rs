//! Kernel ABI numbers under their uapi names (linux/netlink.h, linux/genetlink.h,
//! linux/ip_vs.h). The test at the bottom reads the installed headers and checks every
//! value here against them.
#![allow(missing_docs)]

// linux/netlink.h
pub const NLMSG_HDRLEN: usize = 16;
pub const NLMSG_ALIGNTO: usize = 4;
pub const NLMSG_NOOP: u16 = 0x1;
pub const NLMSG_ERROR: u16 = 0x2;
pub const NLMSG_DONE: u16 = 0x3;
pub const NLMSG_OVERRUN: u16 = 0x4;
pub const NLM_F_REQUEST: u16 = 0x01;
pub const NLM_F_MULTI: u16 = 0x02;
pub const NLM_F_ACK: u16 = 0x04;
pub const NLM_F_ROOT: u16 = 0x100;
pub const NLM_F_MATCH: u16 = 0x200;
pub const NLM_F_DUMP: u16 = NLM_F_ROOT | NLM_F_MATCH;
pub const NLA_F_NESTED: u16 = 1 << 15;
pub const NLA_F_NET_BYTEORDER: u16 = 1 << 14;
pub const NLA_TYPE_MASK: u16 = !(NLA_F_NESTED | NLA_F_NET_BYTEORDER);
pub const NLA_ALIGNTO: usize = 4;
pub const NETLINK_GENERIC: i32 = 16;
pub const NETLINK_CAP_ACK: i32 = 10;

// linux/genetlink.h
pub const GENL_HDRLEN: usize = 4;
pub const GENL_ID_CTRL: u16 = 0x10;
pub const CTRL_CMD_GETFAMILY: u8 = 3;
pub const CTRL_ATTR_FAMILY_ID: u16 = 1;
pub const CTRL_ATTR_FAMILY_NAME: u16 = 2;
/// The controller family's version (net/netlink/genetlink.c registers it as 0x2).
pub const GENL_CTRL_VERSION: u8 = 2;

// linux/ip_vs.h
pub const IP_VS_VERSION_CODE: u32 = 0x010201;
pub const IP_VS_SVC_F_PERSISTENT: u32 = 0x0001;
pub const IP_VS_SVC_F_HASHED: u32 = 0x0002;
pub const IP_VS_SVC_F_ONEPACKET: u32 = 0x0004;
pub const IP_VS_SVC_F_SCHED1: u32 = 0x0008;
pub const IP_VS_SVC_F_SCHED2: u32 = 0x0010;
pub const IP_VS_SVC_F_SCHED3: u32 = 0x0020;
pub const IP_VS_STATE_NONE: u32 = 0x0000;
pub const IP_VS_STATE_MASTER: u32 = 0x0001;
pub const IP_VS_STATE_BACKUP: u32 = 0x0002;

pub const IP_VS_BASE_CTL: i32 = 64 + 1024 + 64;
pub const IP_VS_SO_SET_NONE: i32 = IP_VS_BASE_CTL;
pub const IP_VS_SO_SET_INSERT: i32 = IP_VS_BASE_CTL + 1;
pub const IP_VS_SO_SET_ADD: i32 = IP_VS_BASE_CTL + 2;
pub const IP_VS_SO_SET_EDIT: i32 = IP_VS_BASE_CTL + 3;
pub const IP_VS_SO_SET_DEL: i32 = IP_VS_BASE_CTL + 4;
pub const IP_VS_SO_SET_FLUSH: i32 = IP_VS_BASE_CTL + 5;
pub const IP_VS_SO_SET_LIST: i32 = IP_VS_BASE_CTL + 6;
pub const IP_VS_SO_SET_ADDDEST: i32 = IP_VS_BASE_CTL + 7;
pub const IP_VS_SO_SET_DELDEST: i32 = IP_VS_BASE_CTL + 8;
pub const IP_VS_SO_SET_EDITDEST: i32 = IP_VS_BASE_CTL + 9;
pub const IP_VS_SO_SET_TIMEOUT: i32 = IP_VS_BASE_CTL + 10;
pub const IP_VS_SO_SET_STARTDAEMON: i32 = IP_VS_BASE_CTL + 11;
pub const IP_VS_SO_SET_STOPDAEMON: i32 = IP_VS_BASE_CTL + 12;
pub const IP_VS_SO_SET_RESTORE: i32 = IP_VS_BASE_CTL + 13;
pub const IP_VS_SO_SET_SAVE: i32 = IP_VS_BASE_CTL + 14;
pub const IP_VS_SO_SET_ZERO: i32 = IP_VS_BASE_CTL + 15;
pub const IP_VS_SO_GET_VERSION: i32 = IP_VS_BASE_CTL;
pub const IP_VS_SO_GET_INFO: i32 = IP_VS_BASE_CTL + 1;
pub const IP_VS_SO_GET_SERVICES: i32 = IP_VS_BASE_CTL + 2;
pub const IP_VS_SO_GET_SERVICE: i32 = IP_VS_BASE_CTL + 3;
pub const IP_VS_SO_GET_DESTS: i32 = IP_VS_BASE_CTL + 4;
pub const IP_VS_SO_GET_DEST: i32 = IP_VS_BASE_CTL + 5;
pub const IP_VS_SO_GET_TIMEOUT: i32 = IP_VS_BASE_CTL + 6;
pub const IP_VS_SO_GET_DAEMON: i32 = IP_VS_BASE_CTL + 7;

pub const IP_VS_CONN_F_FWD_MASK: u32 = 0x0007;
pub const IP_VS_CONN_F_MASQ: u32 = 0x0000;
pub const IP_VS_CONN_F_LOCALNODE: u32 = 0x0001;
pub const IP_VS_CONN_F_TUNNEL: u32 = 0x0002;
pub const IP_VS_CONN_F_DROUTE: u32 = 0x0003;
pub const IP_VS_CONN_F_BYPASS: u32 = 0x0004;

pub const IP_VS_SCHEDNAME_MAXLEN: usize = 16;
pub const IP_VS_PENAME_MAXLEN: usize = 16;
pub const IP_VS_IFNAME_MAXLEN: usize = 16;

pub const IP_VS_CONN_F_TUNNEL_TYPE_IPIP: u8 = 0;
pub const IP_VS_CONN_F_TUNNEL_TYPE_GUE: u8 = 1;
pub const IP_VS_CONN_F_TUNNEL_TYPE_GRE: u8 = 2;
pub const IP_VS_TUNNEL_ENCAP_FLAG_NOCSUM: u16 = 0;
pub const IP_VS_TUNNEL_ENCAP_FLAG_CSUM: u16 = 1 << 0;
pub const IP_VS_TUNNEL_ENCAP_FLAG_REMCSUM: u16 = 1 << 1;

pub const IPVS_GENL_NAME: &str = "IPVS";
pub const IPVS_GENL_VERSION: u8 = 0x1;

pub const IPVS_CMD_UNSPEC: u8 = 0;
pub const IPVS_CMD_NEW_SERVICE: u8 = 1;
pub const IPVS_CMD_SET_SERVICE: u8 = 2;
pub const IPVS_CMD_DEL_SERVICE: u8 = 3;
pub const IPVS_CMD_GET_SERVICE: u8 = 4;
pub const IPVS_CMD_NEW_DEST: u8 = 5;
pub const IPVS_CMD_SET_DEST: u8 = 6;
pub const IPVS_CMD_DEL_DEST: u8 = 7;
pub const IPVS_CMD_GET_DEST: u8 = 8;
pub const IPVS_CMD_NEW_DAEMON: u8 = 9;
pub const IPVS_CMD_DEL_DAEMON: u8 = 10;
pub const IPVS_CMD_GET_DAEMON: u8 = 11;
pub const IPVS_CMD_SET_CONFIG: u8 = 12;
pub const IPVS_CMD_GET_CONFIG: u8 = 13;
pub const IPVS_CMD_SET_INFO: u8 = 14;
pub const IPVS_CMD_GET_INFO: u8 = 15;
pub const IPVS_CMD_ZERO: u8 = 16;
pub const IPVS_CMD_FLUSH: u8 = 17;

pub const IPVS_CMD_ATTR_UNSPEC: u16 = 0;
pub const IPVS_CMD_ATTR_SERVICE: u16 = 1;
pub const IPVS_CMD_ATTR_DEST: u16 = 2;
pub const IPVS_CMD_ATTR_DAEMON: u16 = 3;
pub const IPVS_CMD_ATTR_TIMEOUT_TCP: u16 = 4;
pub const IPVS_CMD_ATTR_TIMEOUT_TCP_FIN: u16 = 5;
pub const IPVS_CMD_ATTR_TIMEOUT_UDP: u16 = 6;

pub const IPVS_SVC_ATTR_UNSPEC: u16 = 0;
pub const IPVS_SVC_ATTR_AF: u16 = 1;
pub const IPVS_SVC_ATTR_PROTOCOL: u16 = 2;
pub const IPVS_SVC_ATTR_ADDR: u16 = 3;
pub const IPVS_SVC_ATTR_PORT: u16 = 4;
pub const IPVS_SVC_ATTR_FWMARK: u16 = 5;
pub const IPVS_SVC_ATTR_SCHED_NAME: u16 = 6;
pub const IPVS_SVC_ATTR_FLAGS: u16 = 7;
pub const IPVS_SVC_ATTR_TIMEOUT: u16 = 8;
pub const IPVS_SVC_ATTR_NETMASK: u16 = 9;
pub const IPVS_SVC_ATTR_STATS: u16 = 10;
pub const IPVS_SVC_ATTR_PE_NAME: u16 = 11;
pub const IPVS_SVC_ATTR_STATS64: u16 = 12;

pub const IPVS_DEST_ATTR_UNSPEC: u16 = 0;
pub const IPVS_DEST_ATTR_ADDR: u16 = 1;
pub const IPVS_DEST_ATTR_PORT: u16 = 2;
pub const IPVS_DEST_ATTR_FWD_METHOD: u16 = 3;
pub const IPVS_DEST_ATTR_WEIGHT: u16 = 4;
pub const IPVS_DEST_ATTR_U_THRESH: u16 = 5;
pub const IPVS_DEST_ATTR_L_THRESH: u16 = 6;
pub const IPVS_DEST_ATTR_ACTIVE_CONNS: u16 = 7;
pub const IPVS_DEST_ATTR_INACT_CONNS: u16 = 8;
pub const IPVS_DEST_ATTR_PERSIST_CONNS: u16 = 9;
pub const IPVS_DEST_ATTR_STATS: u16 = 10;
pub const IPVS_DEST_ATTR_ADDR_FAMILY: u16 = 11;
pub const IPVS_DEST_ATTR_STATS64: u16 = 12;
pub const IPVS_DEST_ATTR_TUN_TYPE: u16 = 13;
pub const IPVS_DEST_ATTR_TUN_PORT: u16 = 14;
pub const IPVS_DEST_ATTR_TUN_FLAGS: u16 = 15;

pub const IPVS_DAEMON_ATTR_UNSPEC: u16 = 0;
pub const IPVS_DAEMON_ATTR_STATE: u16 = 1;
pub const IPVS_DAEMON_ATTR_MCAST_IFN: u16 = 2;
pub const IPVS_DAEMON_ATTR_SYNC_ID: u16 = 3;
pub const IPVS_DAEMON_ATTR_SYNC_MAXLEN: u16 = 4;
pub const IPVS_DAEMON_ATTR_MCAST_GROUP: u16 = 5;
pub const IPVS_DAEMON_ATTR_MCAST_GROUP6: u16 = 6;
pub const IPVS_DAEMON_ATTR_MCAST_PORT: u16 = 7;
pub const IPVS_DAEMON_ATTR_MCAST_TTL: u16 = 8;

pub const IPVS_STATS_ATTR_UNSPEC: u16 = 0;
pub const IPVS_STATS_ATTR_CONNS: u16 = 1;
pub const IPVS_STATS_ATTR_INPKTS: u16 = 2;
pub const IPVS_STATS_ATTR_OUTPKTS: u16 = 3;
pub const IPVS_STATS_ATTR_INBYTES: u16 = 4;
pub const IPVS_STATS_ATTR_OUTBYTES: u16 = 5;
pub const IPVS_STATS_ATTR_CPS: u16 = 6;
pub const IPVS_STATS_ATTR_INPPS: u16 = 7;
pub const IPVS_STATS_ATTR_OUTPPS: u16 = 8;
pub const IPVS_STATS_ATTR_INBPS: u16 = 9;
pub const IPVS_STATS_ATTR_OUTBPS: u16 = 10;
pub const IPVS_STATS_ATTR_PAD: u16 = 11;

pub const IPVS_INFO_ATTR_UNSPEC: u16 = 0;
pub const IPVS_INFO_ATTR_VERSION: u16 = 1;
pub const IPVS_INFO_ATTR_CONN_TAB_SIZE: u16 = 2;

/// Every numeric constant above that is spelled the same in a uapi header, for the test.
#[cfg(test)]
pub(crate) const CHECKED: &[(&str, &str, i64)] = &[
    ("netlink.h", "NLMSG_NOOP", NLMSG_NOOP as i64),
    ("netlink.h", "NLMSG_ERROR", NLMSG_ERROR as i64),
    ("netlink.h", "NLMSG_DONE", NLMSG_DONE as i64),
    ("netlink.h", "NLMSG_OVERRUN", NLMSG_OVERRUN as i64),
    ("netlink.h", "NLM_F_REQUEST", NLM_F_REQUEST as i64),
    ("netlink.h", "NLM_F_MULTI", NLM_F_MULTI as i64),
    ("netlink.h", "NLM_F_ACK", NLM_F_ACK as i64),
    ("netlink.h", "NLM_F_ROOT", NLM_F_ROOT as i64),
    ("netlink.h", "NLM_F_MATCH", NLM_F_MATCH as i64),
    ("netlink.h", "NLM_F_DUMP", NLM_F_DUMP as i64),
    ("netlink.h", "NLA_F_NESTED", NLA_F_NESTED as i64),
    (
        "netlink.h",
        "NLA_F_NET_BYTEORDER",
        NLA_F_NET_BYTEORDER as i64,
    ),
    ("netlink.h", "NLA_ALIGNTO", NLA_ALIGNTO as i64),
    ("netlink.h", "NLMSG_ALIGNTO", NLMSG_ALIGNTO as i64),
    ("netlink.h", "NETLINK_GENERIC", NETLINK_GENERIC as i64),
    ("netlink.h", "NETLINK_CAP_ACK", NETLINK_CAP_ACK as i64),
    ("genetlink.h", "GENL_ID_CTRL", GENL_ID_CTRL as i64),
    (
        "genetlink.h",
        "CTRL_CMD_GETFAMILY",
        CTRL_CMD_GETFAMILY as i64,
    ),
    (
        "genetlink.h",
        "CTRL_ATTR_FAMILY_ID",
        CTRL_ATTR_FAMILY_ID as i64,
    ),
    (
        "genetlink.h",
        "CTRL_ATTR_FAMILY_NAME",
        CTRL_ATTR_FAMILY_NAME as i64,
    ),
    ("ip_vs.h", "IP_VS_VERSION_CODE", IP_VS_VERSION_CODE as i64),
    (
        "ip_vs.h",
        "IP_VS_SVC_F_PERSISTENT",
        IP_VS_SVC_F_PERSISTENT as i64,
    ),
    ("ip_vs.h", "IP_VS_SVC_F_HASHED", IP_VS_SVC_F_HASHED as i64),
    (
        "ip_vs.h",
        "IP_VS_SVC_F_ONEPACKET",
        IP_VS_SVC_F_ONEPACKET as i64,
    ),
    ("ip_vs.h", "IP_VS_SVC_F_SCHED1", IP_VS_SVC_F_SCHED1 as i64),
    ("ip_vs.h", "IP_VS_SVC_F_SCHED2", IP_VS_SVC_F_SCHED2 as i64),
    ("ip_vs.h", "IP_VS_SVC_F_SCHED3", IP_VS_SVC_F_SCHED3 as i64),
    ("ip_vs.h", "IP_VS_STATE_NONE", IP_VS_STATE_NONE as i64),
    ("ip_vs.h", "IP_VS_STATE_MASTER", IP_VS_STATE_MASTER as i64),
    ("ip_vs.h", "IP_VS_STATE_BACKUP", IP_VS_STATE_BACKUP as i64),
    ("ip_vs.h", "IP_VS_BASE_CTL", IP_VS_BASE_CTL as i64),
    ("ip_vs.h", "IP_VS_SO_SET_NONE", IP_VS_SO_SET_NONE as i64),
    ("ip_vs.h", "IP_VS_SO_SET_INSERT", IP_VS_SO_SET_INSERT as i64),
    ("ip_vs.h", "IP_VS_SO_SET_ADD", IP_VS_SO_SET_ADD as i64),
    ("ip_vs.h", "IP_VS_SO_SET_EDIT", IP_VS_SO_SET_EDIT as i64),
    ("ip_vs.h", "IP_VS_SO_SET_DEL", IP_VS_SO_SET_DEL as i64),
    ("ip_vs.h", "IP_VS_SO_SET_FLUSH", IP_VS_SO_SET_FLUSH as i64),
    ("ip_vs.h", "IP_VS_SO_SET_LIST", IP_VS_SO_SET_LIST as i64),
    (
        "ip_vs.h",
        "IP_VS_SO_SET_ADDDEST",
        IP_VS_SO_SET_ADDDEST as i64,
    ),
    (
        "ip_vs.h",
        "IP_VS_SO_SET_DELDEST",
        IP_VS_SO_SET_DELDEST as i64,
    ),
    (
        "ip_vs.h",
        "IP_VS_SO_SET_EDITDEST",
        IP_VS_SO_SET_EDITDEST as i64,
    ),
    (
        "ip_vs.h",
        "IP_VS_SO_SET_TIMEOUT",
        IP_VS_SO_SET_TIMEOUT as i64,
    ),
    (
        "ip_vs.h",
        "IP_VS_SO_SET_STARTDAEMON",
        IP_VS_SO_SET_STARTDAEMON as i64,
    ),
    (
        "ip_vs.h",
        "IP_VS_SO_SET_STOPDAEMON",
        IP_VS_SO_SET_STOPDAEMON as i64,
    ),
    (
        "ip_vs.h",
        "IP_VS_SO_SET_RESTORE",
        IP_VS_SO_SET_RESTORE as i64,
    ),
    ("ip_vs.h", "IP_VS_SO_SET_SAVE", IP_VS_SO_SET_SAVE as i64),
    ("ip_vs.h", "IP_VS_SO_SET_ZERO", IP_VS_SO_SET_ZERO as i64),
    (
        "ip_vs.h",
        "IP_VS_SO_GET_VERSION",
        IP_VS_SO_GET_VERSION as i64,
    ),
    ("ip_vs.h", "IP_VS_SO_GET_INFO", IP_VS_SO_GET_INFO as i64),
    (
        "ip_vs.h",
        "IP_VS_SO_GET_SERVICES",
        IP_VS_SO_GET_SERVICES as i64,
    ),
    (
        "ip_vs.h",
        "IP_VS_SO_GET_SERVICE",
        IP_VS_SO_GET_SERVICE as i64,
    ),
    ("ip_vs.h", "IP_VS_SO_GET_DESTS", IP_VS_SO_GET_DESTS as i64),
    ("ip_vs.h", "IP_VS_SO_GET_DEST", IP_VS_SO_GET_DEST as i64),
    (
        "ip_vs.h",
        "IP_VS_SO_GET_TIMEOUT",
        IP_VS_SO_GET_TIMEOUT as i64,
    ),
    ("ip_vs.h", "IP_VS_SO_GET_DAEMON", IP_VS_SO_GET_DAEMON as i64),
    (
        "ip_vs.h",
        "IP_VS_CONN_F_FWD_MASK",
        IP_VS_CONN_F_FWD_MASK as i64,
    ),
    ("ip_vs.h", "IP_VS_CONN_F_MASQ", IP_VS_CONN_F_MASQ as i64),
    (
        "ip_vs.h",
        "IP_VS_CONN_F_LOCALNODE",
        IP_VS_CONN_F_LOCALNODE as i64,
    ),
    ("ip_vs.h", "IP_VS_CONN_F_TUNNEL", IP_VS_CONN_F_TUNNEL as i64),
    ("ip_vs.h", "IP_VS_CONN_F_DROUTE", IP_VS_CONN_F_DROUTE as i64),
    ("ip_vs.h", "IP_VS_CONN_F_BYPASS", IP_VS_CONN_F_BYPASS as i64),
    (
        "ip_vs.h",
        "IP_VS_SCHEDNAME_MAXLEN",
        IP_VS_SCHEDNAME_MAXLEN as i64,
    ),
    ("ip_vs.h", "IP_VS_PENAME_MAXLEN", IP_VS_PENAME_MAXLEN as i64),
    ("ip_vs.h", "IP_VS_IFNAME_MAXLEN", IP_VS_IFNAME_MAXLEN as i64),
    (
        "ip_vs.h",
        "IP_VS_CONN_F_TUNNEL_TYPE_IPIP",
        IP_VS_CONN_F_TUNNEL_TYPE_IPIP as i64,
    ),
    (
        "ip_vs.h",
        "IP_VS_CONN_F_TUNNEL_TYPE_GUE",
        IP_VS_CONN_F_TUNNEL_TYPE_GUE as i64,
    ),
    (
        "ip_vs.h",
        "IP_VS_CONN_F_TUNNEL_TYPE_GRE",
        IP_VS_CONN_F_TUNNEL_TYPE_GRE as i64,
    ),
    (
        "ip_vs.h",
        "IP_VS_TUNNEL_ENCAP_FLAG_NOCSUM",
        IP_VS_TUNNEL_ENCAP_FLAG_NOCSUM as i64,
    ),
    (
        "ip_vs.h",
        "IP_VS_TUNNEL_ENCAP_FLAG_CSUM",
        IP_VS_TUNNEL_ENCAP_FLAG_CSUM as i64,
    ),
    (
        "ip_vs.h",
        "IP_VS_TUNNEL_ENCAP_FLAG_REMCSUM",
        IP_VS_TUNNEL_ENCAP_FLAG_REMCSUM as i64,
    ),
    ("ip_vs.h", "IPVS_GENL_VERSION", IPVS_GENL_VERSION as i64),
    ("ip_vs.h", "IPVS_CMD_UNSPEC", IPVS_CMD_UNSPEC as i64),
    (
        "ip_vs.h",
        "IPVS_CMD_NEW_SERVICE",
        IPVS_CMD_NEW_SERVICE as i64,
    ),
    (
        "ip_vs.h",
        "IPVS_CMD_SET_SERVICE",
        IPVS_CMD_SET_SERVICE as i64,
    ),
    (
        "ip_vs.h",
        "IPVS_CMD_DEL_SERVICE",
        IPVS_CMD_DEL_SERVICE as i64,
    ),
    (
        "ip_vs.h",
        "IPVS_CMD_GET_SERVICE",
        IPVS_CMD_GET_SERVICE as i64,
    ),
    ("ip_vs.h", "IPVS_CMD_NEW_DEST", IPVS_CMD_NEW_DEST as i64),
    ("ip_vs.h", "IPVS_CMD_SET_DEST", IPVS_CMD_SET_DEST as i64),
    ("ip_vs.h", "IPVS_CMD_DEL_DEST", IPVS_CMD_DEL_DEST as i64),
    ("ip_vs.h", "IPVS_CMD_GET_DEST", IPVS_CMD_GET_DEST as i64),
    ("ip_vs.h", "IPVS_CMD_NEW_DAEMON", IPVS_CMD_NEW_DAEMON as i64),
    ("ip_vs.h", "IPVS_CMD_DEL_DAEMON", IPVS_CMD_DEL_DAEMON as i64),
    ("ip_vs.h", "IPVS_CMD_GET_DAEMON", IPVS_CMD_GET_DAEMON as i64),
    ("ip_vs.h", "IPVS_CMD_SET_CONFIG", IPVS_CMD_SET_CONFIG as i64),
    ("ip_vs.h", "IPVS_CMD_GET_CONFIG", IPVS_CMD_GET_CONFIG as i64),
    ("ip_vs.h", "IPVS_CMD_SET_INFO", IPVS_CMD_SET_INFO as i64),
    ("ip_vs.h", "IPVS_CMD_GET_INFO", IPVS_CMD_GET_INFO as i64),
    ("ip_vs.h", "IPVS_CMD_ZERO", IPVS_CMD_ZERO as i64),
    ("ip_vs.h", "IPVS_CMD_FLUSH", IPVS_CMD_FLUSH as i64),
    (
        "ip_vs.h",
        "IPVS_CMD_ATTR_UNSPEC",
        IPVS_CMD_ATTR_UNSPEC as i64,
    ),
    (
        "ip_vs.h",
        "IPVS_CMD_ATTR_SERVICE",
        IPVS_CMD_ATTR_SERVICE as i64,
    ),
    ("ip_vs.h", "IPVS_CMD_ATTR_DEST", IPVS_CMD_ATTR_DEST as i64),
    (
        "ip_vs.h",
        "IPVS_CMD_ATTR_DAEMON",
        IPVS_CMD_ATTR_DAEMON as i64,
    ),
    (
        "ip_vs.h",
        "IPVS_CMD_ATTR_TIMEOUT_TCP",
        IPVS_CMD_ATTR_TIMEOUT_TCP as i64,
    ),
    (
        "ip_vs.h",
        "IPVS_CMD_ATTR_TIMEOUT_TCP_FIN",
        IPVS_CMD_ATTR_TIMEOUT_TCP_FIN as i64,
    ),
    (
        "ip_vs.h",
        "IPVS_CMD_ATTR_TIMEOUT_UDP",
        IPVS_CMD_ATTR_TIMEOUT_UDP as i64,
    ),
    (
        "ip_vs.h",
        "IPVS_SVC_ATTR_UNSPEC",
        IPVS_SVC_ATTR_UNSPEC as i64,
    ),
    ("ip_vs.h", "IPVS_SVC_ATTR_AF", IPVS_SVC_ATTR_AF as i64),
    (
        "ip_vs.h",
        "IPVS_SVC_ATTR_PROTOCOL",
        IPVS_SVC_ATTR_PROTOCOL as i64,
    ),
    ("ip_vs.h", "IPVS_SVC_ATTR_ADDR", IPVS_SVC_ATTR_ADDR as i64),
    ("ip_vs.h", "IPVS_SVC_ATTR_PORT", IPVS_SVC_ATTR_PORT as i64),
    (
        "ip_vs.h",
        "IPVS_SVC_ATTR_FWMARK",
        IPVS_SVC_ATTR_FWMARK as i64,
    ),
    (
        "ip_vs.h",
        "IPVS_SVC_ATTR_SCHED_NAME",
        IPVS_SVC_ATTR_SCHED_NAME as i64,
    ),
    ("ip_vs.h", "IPVS_SVC_ATTR_FLAGS", IPVS_SVC_ATTR_FLAGS as i64),
    (
        "ip_vs.h",
        "IPVS_SVC_ATTR_TIMEOUT",
        IPVS_SVC_ATTR_TIMEOUT as i64,
    ),
    (
        "ip_vs.h",
        "IPVS_SVC_ATTR_NETMASK",
        IPVS_SVC_ATTR_NETMASK as i64,
    ),
    ("ip_vs.h", "IPVS_SVC_ATTR_STATS", IPVS_SVC_ATTR_STATS as i64),
    (
        "ip_vs.h",
        "IPVS_SVC_ATTR_PE_NAME",
        IPVS_SVC_ATTR_PE_NAME as i64,
    ),
    (
        "ip_vs.h",
        "IPVS_SVC_ATTR_STATS64",
        IPVS_SVC_ATTR_STATS64 as i64,
    ),
    (
        "ip_vs.h",
        "IPVS_DEST_ATTR_UNSPEC",
        IPVS_DEST_ATTR_UNSPEC as i64,
    ),
    ("ip_vs.h", "IPVS_DEST_ATTR_ADDR", IPVS_DEST_ATTR_ADDR as i64),
    ("ip_vs.h", "IPVS_DEST_ATTR_PORT", IPVS_DEST_ATTR_PORT as i64),
    (
        "ip_vs.h",
        "IPVS_DEST_ATTR_FWD_METHOD",
        IPVS_DEST_ATTR_FWD_METHOD as i64,
    ),
    (
        "ip_vs.h",
        "IPVS_DEST_ATTR_WEIGHT",
        IPVS_DEST_ATTR_WEIGHT as i64,
    ),
    (
        "ip_vs.h",
        "IPVS_DEST_ATTR_U_THRESH",
        IPVS_DEST_ATTR_U_THRESH as i64,
    ),
    (
        "ip_vs.h",
        "IPVS_DEST_ATTR_L_THRESH",
        IPVS_DEST_ATTR_L_THRESH as i64,
    ),
    (
        "ip_vs.h",
        "IPVS_DEST_ATTR_ACTIVE_CONNS",
        IPVS_DEST_ATTR_ACTIVE_CONNS as i64,
    ),
    (
        "ip_vs.h",
        "IPVS_DEST_ATTR_INACT_CONNS",
        IPVS_DEST_ATTR_INACT_CONNS as i64,
    ),
    (
        "ip_vs.h",
        "IPVS_DEST_ATTR_PERSIST_CONNS",
        IPVS_DEST_ATTR_PERSIST_CONNS as i64,
    ),
    (
        "ip_vs.h",
        "IPVS_DEST_ATTR_STATS",
        IPVS_DEST_ATTR_STATS as i64,
    ),
    (
        "ip_vs.h",
        "IPVS_DEST_ATTR_ADDR_FAMILY",
        IPVS_DEST_ATTR_ADDR_FAMILY as i64,
    ),
    (
        "ip_vs.h",
        "IPVS_DEST_ATTR_STATS64",
        IPVS_DEST_ATTR_STATS64 as i64,
    ),
    (
        "ip_vs.h",
        "IPVS_DEST_ATTR_TUN_TYPE",
        IPVS_DEST_ATTR_TUN_TYPE as i64,
    ),
    (
        "ip_vs.h",
        "IPVS_DEST_ATTR_TUN_PORT",
        IPVS_DEST_ATTR_TUN_PORT as i64,
    ),
    (
        "ip_vs.h",
        "IPVS_DEST_ATTR_TUN_FLAGS",
        IPVS_DEST_ATTR_TUN_FLAGS as i64,
    ),
    (
        "ip_vs.h",
        "IPVS_DAEMON_ATTR_UNSPEC",
        IPVS_DAEMON_ATTR_UNSPEC as i64,
    ),
    (
        "ip_vs.h",
        "IPVS_DAEMON_ATTR_STATE",
        IPVS_DAEMON_ATTR_STATE as i64,
    ),
    (
        "ip_vs.h",
        "IPVS_DAEMON_ATTR_MCAST_IFN",
        IPVS_DAEMON_ATTR_MCAST_IFN as i64,
    ),
    (
        "ip_vs.h",
        "IPVS_DAEMON_ATTR_SYNC_ID",
        IPVS_DAEMON_ATTR_SYNC_ID as i64,
    ),
    (
        "ip_vs.h",
        "IPVS_DAEMON_ATTR_SYNC_MAXLEN",
        IPVS_DAEMON_ATTR_SYNC_MAXLEN as i64,
    ),
    (
        "ip_vs.h",
        "IPVS_DAEMON_ATTR_MCAST_GROUP",
        IPVS_DAEMON_ATTR_MCAST_GROUP as i64,
    ),
    (
        "ip_vs.h",
        "IPVS_DAEMON_ATTR_MCAST_GROUP6",
        IPVS_DAEMON_ATTR_MCAST_GROUP6 as i64,
    ),
    (
        "ip_vs.h",
        "IPVS_DAEMON_ATTR_MCAST_PORT",
        IPVS_DAEMON_ATTR_MCAST_PORT as i64,
    ),
    (
        "ip_vs.h",
        "IPVS_DAEMON_ATTR_MCAST_TTL",
        IPVS_DAEMON_ATTR_MCAST_TTL as i64,
    ),
    (
        "ip_vs.h",
        "IPVS_STATS_ATTR_UNSPEC",
        IPVS_STATS_ATTR_UNSPEC as i64,
    ),
    (
        "ip_vs.h",
        "IPVS_STATS_ATTR_CONNS",
        IPVS_STATS_ATTR_CONNS as i64,
    ),
    (
        "ip_vs.h",
        "IPVS_STATS_ATTR_INPKTS",
        IPVS_STATS_ATTR_INPKTS as i64,
    ),
    (
        "ip_vs.h",
        "IPVS_STATS_ATTR_OUTPKTS",
        IPVS_STATS_ATTR_OUTPKTS as i64,
    ),
    (
        "ip_vs.h",
        "IPVS_STATS_ATTR_INBYTES",
        IPVS_STATS_ATTR_INBYTES as i64,
    ),
    (
        "ip_vs.h",
        "IPVS_STATS_ATTR_OUTBYTES",
        IPVS_STATS_ATTR_OUTBYTES as i64,
    ),
    ("ip_vs.h", "IPVS_STATS_ATTR_CPS", IPVS_STATS_ATTR_CPS as i64),
    (
        "ip_vs.h",
        "IPVS_STATS_ATTR_INPPS",
        IPVS_STATS_ATTR_INPPS as i64,
    ),
    (
        "ip_vs.h",
        "IPVS_STATS_ATTR_OUTPPS",
        IPVS_STATS_ATTR_OUTPPS as i64,
    ),
    (
        "ip_vs.h",
        "IPVS_STATS_ATTR_INBPS",
        IPVS_STATS_ATTR_INBPS as i64,
    ),
    (
        "ip_vs.h",
        "IPVS_STATS_ATTR_OUTBPS",
        IPVS_STATS_ATTR_OUTBPS as i64,
    ),
    ("ip_vs.h", "IPVS_STATS_ATTR_PAD", IPVS_STATS_ATTR_PAD as i64),
    (
        "ip_vs.h",
        "IPVS_INFO_ATTR_UNSPEC",
        IPVS_INFO_ATTR_UNSPEC as i64,
    ),
    (
        "ip_vs.h",
        "IPVS_INFO_ATTR_VERSION",
        IPVS_INFO_ATTR_VERSION as i64,
    ),
    (
        "ip_vs.h",
        "IPVS_INFO_ATTR_CONN_TAB_SIZE",
        IPVS_INFO_ATTR_CONN_TAB_SIZE as i64,
    ),
];

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    /// Evaluates the small expression language the uapi headers use for these constants:
    /// decimal/hex numbers, names defined earlier, `+`, `|`, `<<`, `~` and parentheses.
    fn eval(expr: &str, known: &HashMap<String, i64>) -> Option<i64> {
        let e = expr.trim();
        let e = e.strip_suffix(',').unwrap_or(e).trim();
        if let Some(inner) = e.strip_prefix('(').and_then(|s| s.strip_suffix(')')) {
            if balanced(inner) {
                return eval(inner, known);
            }
        }
        for op in ["|", "+", "<<"] {
            if let Some(pos) = top_level_find(e, op) {
                let (l, r) = (eval(&e[..pos], known)?, eval(&e[pos + op.len()..], known)?);
                return Some(match op {
                    "|" => l | r,
                    "+" => l + r,
                    _ => l << r,
                });
            }
        }
        if let Some(rest) = e.strip_prefix('~') {
            return eval(rest, known).map(|v| !v & 0xffff);
        }
        if e.starts_with(|c: char| c.is_ascii_digit()) {
            let num = e.trim_end_matches(['U', 'L', 'u', 'l']);
            return match num.strip_prefix("0x") {
                Some(hex) => i64::from_str_radix(hex, 16).ok(),
                None => num.parse::<i64>().ok(),
            };
        }
        known.get(e).copied()
    }

    fn balanced(s: &str) -> bool {
        let mut depth = 0i32;
        for c in s.chars() {
            match c {
                '(' => depth += 1,
                ')' => depth -= 1,
                _ => {}
            }
            if depth < 0 {
                return false;
            }
        }
        depth == 0
    }

    fn top_level_find(s: &str, op: &str) -> Option<usize> {
        let mut depth = 0i32;
        let b = s.as_bytes();
        for i in 0..b.len() {
            match b[i] {
                b'(' => depth += 1,
                b')' => depth -= 1,
                _ if depth == 0 && s[i..].starts_with(op) => return Some(i),
                _ => {}
            }
        }
        None
    }

    /// Collects `#define NAME VALUE` and `enum { NAME [= VALUE], ... }` values.
    fn header_values(text: &str) -> HashMap<String, i64> {
        let mut known = HashMap::new();
        let mut in_enum = false;
        let mut next = 0i64;
        let mut comment = false;
        for raw in text.lines() {
            // Strip /* ... */ comments, including ones spanning lines.
            let mut line = String::new();
            let mut rest = raw;
            loop {
                if comment {
                    match rest.find("*/") {
                        Some(p) => {
                            comment = false;
                            rest = &rest[p + 2..];
                        }
                        None => break,
                    }
                } else {
                    match rest.find("/*") {
                        Some(p) => {
                            line.push_str(&rest[..p]);
                            comment = true;
                            rest = &rest[p + 2..];
                        }
                        None => {
                            line.push_str(rest);
                            break;
                        }
                    }
                }
            }
            let line = line.trim();
            if let Some(def) = line.strip_prefix("#define") {
                let mut it = def.trim().splitn(2, char::is_whitespace);
                if let (Some(name), Some(val)) = (it.next(), it.next()) {
                    if let Some(v) = eval(val, &known) {
                        known.insert(name.to_string(), v);
                    }
                }
            } else if line.starts_with("enum") && line.contains('{') {
                in_enum = true;
                next = 0;
            } else if in_enum && line.starts_with('}') {
                in_enum = false;
            } else if in_enum && !line.is_empty() && !line.starts_with('#') {
                let item = line.trim_end_matches(',');
                let (name, val) = match item.split_once('=') {
                    Some((n, v)) => (n.trim(), eval(v, &known)),
                    None => (item.trim(), Some(next)),
                };
                if let Some(v) = val {
                    known.insert(name.to_string(), v);
                    next = v + 1;
                }
            }
        }
        known
    }

    #[test]
    fn constants_match_installed_uapi_headers() {
        let mut checked = 0;
        // genetlink.h defines GENL_ID_CTRL as NLMSG_MIN_TYPE from netlink.h, so each
        // header is read with the names of the ones before it.
        let mut text = String::new();
        for header in ["netlink.h", "genetlink.h", "ip_vs.h"] {
            let path = format!("/usr/include/linux/{header}");
            text += &std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("{path}: {e} (install linux-libc-dev)"));
            let values = header_values(&text);
            for (h, name, ours) in super::CHECKED.iter().filter(|c| c.0 == header) {
                let theirs = values
                    .get(*name)
                    .unwrap_or_else(|| panic!("{name} not found in {h}"));
                assert_eq!(*theirs, *ours, "{name} in {h}");
                checked += 1;
            }
        }
        assert_eq!(checked, super::CHECKED.len());
    }

    #[test]
    fn header_parser_handles_the_forms_used() {
        let v = header_values(
            "#define A 0x10 /* c */\n#define B (A+2)\n#define C (1 << 3)\nenum {\n X = 0,\n Y, /* y\n z */\n Z,\n};\n",
        );
        assert_eq!(v["A"], 16);
        assert_eq!(v["B"], 18);
        assert_eq!(v["C"], 8);
        assert_eq!((v["X"], v["Y"], v["Z"]), (0, 1, 2));
    }
}
