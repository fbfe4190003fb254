# Issue 4 seen from the kernel: global_defs starts the kernel's connection-sync daemons
# and sets the timeouts (visible with Debian's ipvsadm -L --daemon / --timeout), a TUN
# service with a GUE tunnel is programmed (ipvsadm -Ln --tun-info), an unchanged reload
# leaves every destination in place (its connection counters are not reset), a changed
# weight is applied, and SIGTERM removes the services and stops the daemons.
# The sync daemon names no VRRP instance, so lvsmon runs it (master and backup); one that
# names a VRRP instance belongs to keepalived -P (src/syncd.rs), checked in the last step.
need_lvsmon
SVC=$VIP:80
net_up
rs_add rs1 198.51.100.2
rs_add rs2 198.51.100.3
cat > /tmp/global.conf <<'CONF'
global_defs {
    router_id director1
    lvs_sync_daemon dir0 id 9
    lvs_timeouts tcp 900 tcpfin 30 udp 60
}
virtual_server 192.0.2.10 80 {
    delay_loop 1
    lb_algo wrr
    lb_kind NAT
    protocol TCP
    real_server 198.51.100.2 80 {
        weight 1
        TCP_CHECK {
            connect_timeout 1
        }
    }
    real_server 198.51.100.3 80 {
        weight 3
        TCP_CHECK {
            connect_timeout 1
        }
    }
}
virtual_server 192.0.2.11 80 {
    lb_algo rr
    lvs_method TUN type gue port 6080
    protocol TCP
    real_server 198.51.100.4 80 {
        weight 2
    }
}
CONF
lvsmon_start /tmp/global.conf
wait_dests 10 $SVC "198.51.100.2:80:1 198.51.100.3:80:3"

step "sync daemons and timeouts"
$IPVSADM -L --daemon > /tmp/daemons
cat /tmp/daemons
grep -q '^master sync daemon (mcast=dir0, syncid=9' /tmp/daemons || fail "no master sync daemon"
grep -q '^backup sync daemon (mcast=dir0, syncid=9' /tmp/daemons || fail "no backup sync daemon"
expect_eq "timeouts" "$($IPVSADM -L --timeout)" "Timeout (tcp tcpfin udp): 900 30 60"

step "TUN service with a GUE tunnel"
$IPVSADM -Ln --tun-info -t $VIP2:80 > /tmp/tun
cat /tmp/tun
grep -q '198.51.100.4:80 *Tunnel *2 .*gue' /tmp/tun || grep -qi 'gue.*6080\|6080.*gue' /tmp/tun || fail "no GUE tunnel destination in ipvsadm -Ln --tun-info"
grep -q '6080' /tmp/tun || fail "GUE port 6080 not shown"

step "traffic, then an unchanged reload keeps the destinations"
client_run 8 > /dev/null
# The kernel folds per-CPU counters into what ipvsadm shows on its 2-second estimator tick
# (later under a loaded emulator): wait for the 8 connections to be counted.
counted() {
    $IPVSADM -Ln --stats -t $SVC | awk '$1 == "->" && $2 != "RemoteAddress:Port" { s += $3 } END { print s + 0 }'
}
all_counted() { [ "$(counted)" -ge 8 ]; }
wait_until 10 "ipvsadm --stats to count the 8 connections" all_counted
before=$(counted)
$IPVSADM -S -n > /tmp/before.rules
kill -HUP "$(cat /tmp/lvsmon.pid)"
wait_until 10 "reload logged" grep -q 'reloaded /tmp/global.conf' /tmp/lvsmon.log
usleep 1500000
$IPVSADM -S -n > /tmp/after.rules
expect_same_file "table after an unchanged reload" /tmp/after.rules /tmp/before.rules
after=$(counted)
# A destination deleted and re-added would start again from 0.
[ "$after" -ge "$before" ] || fail "connection counters fell from $before to $after: destinations were re-created"

step "a changed weight is applied by reload"
sed -i 's/weight 3/weight 5/' /tmp/global.conf
$LVSMON reload || fail "lvsmon reload"
wait_dests 10 $SVC "198.51.100.2:80:1 198.51.100.3:80:5"
after=$(counted)
[ "$after" -ge "$before" ] || fail "connection counters fell from $before to $after after a weight change"

step "SIGTERM removes the services and stops the sync daemons"
lvsmon_stop TERM
expect_eq "table after exit" "$($IPVSADM -S -n)" ""
expect_eq "daemons after exit" "$($IPVSADM -L --daemon)" ""

step "a sync daemon that names a VRRP instance is left to keepalived -P"
sed -i 's/lvs_sync_daemon dir0 id 9/lvs_sync_daemon dir0 VI_1 id 9/' /tmp/global.conf
lvsmon_start /tmp/global.conf
wait_dests 10 $SVC "198.51.100.2:80:1 198.51.100.3:80:5"
wait_until 10 "VRRP notice logged" grep -q 'names VRRP instance VI_1' /tmp/lvsmon.log
expect_eq "daemons with a VRRP instance named" "$($IPVSADM -L --daemon)" ""
lvsmon_stop TERM
