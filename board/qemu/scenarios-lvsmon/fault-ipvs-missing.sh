# Kernel fault: the IPVS module is not loaded when lvsmon starts. lvsmon must say so once,
# keep checking the real servers (status shows them checked and up), and program the table
# as soon as the module appears, without a restart.
need_lvsmon
step "unload IPVS (schedulers first) and forbid module autoloading"
# With autoloading left on, lvsmon's own IPVS probe could load the module and hide the fault.
echo /bin/false > /proc/sys/kernel/modprobe
for m in $(awk '/^ip_vs_/{print $1}' /proc/modules); do rmmod "$m" || fail "rmmod $m"; done
rmmod ip_vs || fail "rmmod ip_vs"
[ ! -e /proc/net/ip_vs ] || fail "/proc/net/ip_vs still present after rmmod ip_vs"

net_up
rs_add rs1 198.51.100.2
rs_add rs2 198.51.100.3
cat > /tmp/lvsmon.conf <<CONF
virtual_server $VIP 80 {
    delay_loop 1
    lb_algo wrr
    lb_kind NAT
    protocol TCP
    real_server 198.51.100.2 80 {
        weight 1
        HTTP_GET {
            url {
                path /
                status_code 200
            }
            connect_timeout 1
            retry 0
        }
    }
    real_server 198.51.100.3 80 {
        weight 3
        HTTP_GET {
            url {
                path /
                status_code 200
            }
            connect_timeout 1
            retry 0
        }
    }
}
CONF

step "lvsmon starts without IPVS"
$LVSMON run -f /tmp/lvsmon.conf --control /tmp/lvsmon.sock --log-file /tmp/lvsmon.log &
pid=$!
wait_until 10 "the 'not available' error in the log" grep -q 'IPVS is not available in this kernel' /tmp/lvsmon.log
cat /tmp/lvsmon.log
status_ok() {
    $LVSMON status --json --control /tmp/lvsmon.sock > /tmp/status.json 2>&1 || return 1
    [ "$(grep -o '"health":"up"' /tmp/status.json | wc -l)" = 2 ] &&
        [ "$(grep -o '"last_result":"ok"' /tmp/status.json | wc -l)" = 2 ]
}
wait_until 20 "both real servers checked and up (status --json)" status_ok
cat /tmp/status.json; echo
grep -q '"in_table":true' /tmp/status.json && fail "status claims an entry in a table that cannot exist"
kill -0 $pid 2>/dev/null || fail "lvsmon exited without IPVS"
n=$(grep -c 'IPVS is not available' /tmp/lvsmon.log)
expect_eq "times the absence was logged" "$n" 1

step "load IPVS: the table appears"
echo /sbin/modprobe > /proc/sys/kernel/modprobe
kver=$(uname -r)
for mod in $(grep -E '/ip_vs(_wrr)?\.ko' /etc/modules.load); do
    insmod "/lib/modules/$kver/$mod" || fail "insmod $mod"
done
cat > /tmp/want <<WANT
IP Virtual Server version 1.2.1 (size=4096)
Prot LocalAddress:Port Scheduler Flags
  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn
TCP  $VIP:80 wrr
  -> 198.51.100.2:80              Masq    1      0          0         
  -> 198.51.100.3:80              Masq    3      0          0         
WANT
table_ok() { $IPVSADM -Ln > /tmp/got 2>&1 && cmp -s /tmp/got /tmp/want; }
wait_until 20 "the table in the kernel (ipvsadm -Ln)" table_ok
expect_same_file "ipvsadm -Ln after the module appeared" /tmp/got /tmp/want
grep -q 'IPVS is now available' /tmp/lvsmon.log || fail "no 'IPVS is now available' line in the log"
wait_until 5 "status shows both in the table" sh -c "$LVSMON status --json --control /tmp/lvsmon.sock | grep -o '\"in_table\":true' | wc -l | grep -qx 2"
expect_eq "client split" "$(client_run 8)" "rs1 2 rs2 6"
cat /tmp/lvsmon.log

step "TERM removes the table"
kill -TERM $pid
wait_until 10 "lvsmon to exit" sh -c "! kill -0 $pid"
[ -z "$($IPVSADM -Sn)" ] || { $IPVSADM -Sn; fail "table left behind after TERM"; }
