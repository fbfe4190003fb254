//! keepalived 2.2.7's `global_defs` keywords (core/global_parser.c) and why lvsmon does
//! not honour the ones outside its LVS half. `lvsmon check` names each such keyword with
//! its reason, one warning per line, so a user sees exactly what is dropped; a keyword
//! keepalived itself does not know is reported as keepalived reports it (unknown, skipped).

/// Every keyword keepalived 2.2.7's global_defs block installs (sorted, for a binary
/// search), including the ones lvsmon honours.
const KNOWN: [&str; 126] = [
    "bfd_cpu_affinity",
    "bfd_no_swap",
    "bfd_priority",
    "bfd_process_name",
    "bfd_rlimit_rtime",
    "bfd_rlimit_rttime",
    "bfd_rt_priority",
    "checker_cpu_affinity",
    "checker_log_all_failures",
    "checker_no_swap",
    "checker_priority",
    "checker_process_name",
    "checker_rlimit_rtime",
    "checker_rlimit_rttime",
    "checker_rt_priority",
    "config_save_dir",
    "data_use_instance",
    "dbus_service_name",
    "default_interface",
    "disable_local_igmp",
    "dynamic_interfaces",
    "enable_dbus",
    "enable_script_security",
    "enable_snmp_checker",
    "enable_snmp_keepalived",
    "enable_snmp_rfc",
    "enable_snmp_rfcv2",
    "enable_snmp_rfcv3",
    "enable_snmp_vrrp",
    "enable_traps",
    "fifo_write_vrrp_states_on_reload",
    "include_check",
    "log_unknown_vrids",
    "lvs_flush",
    "lvs_flush_on_stop",
    "lvs_flush_onstop",
    "lvs_netlink_cmd_rcv_bufs",
    "lvs_netlink_cmd_rcv_bufs_force",
    "lvs_netlink_monitor_rcv_bufs",
    "lvs_netlink_monitor_rcv_bufs_force",
    "lvs_notify_fifo",
    "lvs_notify_fifo_script",
    "lvs_process_name",
    "lvs_sync_daemon",
    "lvs_timeouts",
    "max_auto_priority",
    "min_auto_priority_delay",
    "nftables",
    "nftables_counters",
    "nftables_ifindex",
    "nftables_ipvs",
    "nftables_ipvs_priority",
    "nftables_ipvs_start_fwmark",
    "nftables_priority",
    "no_checker_emails",
    "no_email_faults",
    "notification_email",
    "notification_email_from",
    "notify_fifo",
    "notify_fifo_script",
    "process_monitor_rcv_bufs",
    "process_monitor_rcv_bufs_force",
    "process_name",
    "process_names",
    "random_seed",
    "reload_check_config",
    "reload_file",
    "reload_repeat",
    "reload_time_file",
    "router_id",
    "rs_init_notifies",
    "script_user",
    "shutdown_script",
    "shutdown_script_timeout",
    "smtp_alert",
    "smtp_alert_checker",
    "smtp_alert_vrrp",
    "smtp_connect_timeout",
    "smtp_helo_name",
    "smtp_server",
    "snmp_socket",
    "startup_script",
    "startup_script_timeout",
    "tmp_config_directory",
    "umask",
    "vmac_addr_prefix",
    "vmac_prefix",
    "vrrp_check_unicast_src",
    "vrrp_cpu_affinity",
    "vrrp_down_timer_adverts",
    "vrrp_garp_extra_if",
    "vrrp_garp_interval",
    "vrrp_garp_lower_prio_delay",
    "vrrp_garp_lower_prio_repeat",
    "vrrp_garp_master_delay",
    "vrrp_garp_master_refresh",
    "vrrp_garp_master_refresh_repeat",
    "vrrp_garp_master_repeat",
    "vrrp_gna_interval",
    "vrrp_higher_prio_send_advert",
    "vrrp_ipsets",
    "vrrp_iptables",
    "vrrp_lower_prio_no_advert",
    "vrrp_mcast_group4",
    "vrrp_mcast_group6",
    "vrrp_min_garp",
    "vrrp_netlink_cmd_rcv_bufs",
    "vrrp_netlink_cmd_rcv_bufs_force",
    "vrrp_netlink_monitor_rcv_bufs",
    "vrrp_netlink_monitor_rcv_bufs_force",
    "vrrp_no_swap",
    "vrrp_notify_fifo",
    "vrrp_notify_fifo_script",
    "vrrp_notify_priority_changes",
    "vrrp_priority",
    "vrrp_process_name",
    "vrrp_rlimit_rtime",
    "vrrp_rlimit_rttime",
    "vrrp_rt_priority",
    "vrrp_rx_bufs_multiplier",
    "vrrp_rx_bufs_policy",
    "vrrp_skip_check_adv_addr",
    "vrrp_startup_delay",
    "vrrp_strict",
    "vrrp_version",
    "vrrp_vmac_garp_intvl",
];

/// The global_defs keywords lvsmon reads (the rest of keepalived's are reported).
pub const HONOURED: [&str; 9] = [
    "enable_script_security",
    "lvs_flush",
    "lvs_flush_on_stop",
    "lvs_flush_onstop",
    "lvs_notify_fifo",
    "lvs_notify_fifo_script",
    "lvs_sync_daemon",
    "lvs_timeouts",
    "script_user",
];

/// The warning for a global_defs keyword lvsmon does not honour: what it is and why it
/// changes nothing here.
pub fn not_honoured(kw: &str) -> String {
    if KNOWN.binary_search(&kw).is_err() {
        return format!(
            "unknown keyword '{}' in global_defs: skipped, as keepalived does",
            kw
        );
    }
    let why = if kw.starts_with("smtp_")
        || kw.starts_with("notification_email")
        || matches!(kw, "no_email_faults" | "no_checker_emails")
    {
        "lvsmon sends no email"
    } else if kw.starts_with("vrrp_")
        || kw.starts_with("vmac_")
        || kw.starts_with("notify_fifo")
        || matches!(
            kw,
            "default_interface"
                | "disable_local_igmp"
                | "dynamic_interfaces"
                | "fifo_write_vrrp_states_on_reload"
                | "log_unknown_vrids"
                | "max_auto_priority"
                | "min_auto_priority_delay"
        )
    {
        "VRRP is keepalived's other half (keepalived -P), not lvsmon's"
    } else if kw.starts_with("enable_snmp") || matches!(kw, "snmp_socket" | "enable_traps") {
        "lvsmon has no SNMP agent"
    } else if kw.starts_with("bfd_") {
        "lvsmon has no BFD"
    } else if kw.contains("dbus") {
        "lvsmon has no D-Bus interface"
    } else if kw.starts_with("nftables") {
        "lvsmon writes no nftables rules"
    } else if kw.starts_with("checker_") && kw != "checker_log_all_failures" {
        "lvsmon is one process: its priority, affinity and limits are the service manager's"
    } else if kw == "checker_log_all_failures" {
        "lvsmon logs each change of state; `lvsmon run --log-checks` logs every failed check"
    } else if kw.ends_with("_rcv_bufs") || kw.ends_with("_rcv_bufs_force") {
        "lvsmon sizes its netlink buffers itself"
    } else if kw.ends_with("process_name") {
        "lvsmon is one process, named lvsmon"
    } else {
        "not used by lvsmon"
    };
    format!("'{}' in global_defs ignored: {}", kw, why)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_sorted_and_honoured_known() {
        assert!(KNOWN.windows(2).all(|w| w[0] < w[1]));
        assert!(HONOURED.iter().all(|k| KNOWN.binary_search(k).is_ok()));
    }

    #[test]
    fn reasons() {
        assert_eq!(
            not_honoured("router_id"),
            "'router_id' in global_defs ignored: not used by lvsmon"
        );
        assert_eq!(
            not_honoured("smtp_server"),
            "'smtp_server' in global_defs ignored: lvsmon sends no email"
        );
        assert_eq!(
            not_honoured("vrrp_strict"),
            "'vrrp_strict' in global_defs ignored: VRRP is keepalived's other half (keepalived -P), not lvsmon's"
        );
        assert_eq!(
            not_honoured("routr_id"),
            "unknown keyword 'routr_id' in global_defs: skipped, as keepalived does"
        );
    }
}
