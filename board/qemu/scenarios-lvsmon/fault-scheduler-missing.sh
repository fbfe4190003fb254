# Kernel fault: a scheduler module is missing. Two services, one on wrr and one on mh whose
# module is unloaded and deleted from the module directory, so the kernel's request for
# ip_vs_mh fails. lvsmon must log a clear error naming the scheduler, and program the wrr
# service and its real servers as if nothing were wrong.
need_lvsmon
step "remove the mh scheduler module"
kver=$(uname -r)
grep -q '^ip_vs_mh ' /proc/modules && { rmmod ip_vs_mh || fail "rmmod ip_vs_mh"; }
find /lib/modules/$kver -name 'ip_vs_mh.ko*' -exec rm -f {} \;
[ -z "$(find /lib/modules/$kver -name 'ip_vs_mh.ko*')" ] || fail "ip_vs_mh.ko still present"
$IPVSADM -A -t $VIP2:80 -s mh > /tmp/out 2>&1 && fail "the kernel still accepts -s mh"
cat /tmp/out
# Count the kernel's module requests (each failed -s mh makes one) through a wrapper.
cat > /tmp/modprobe <<'W'
#!/bin/sh
echo "$*" >> /tmp/modprobe.calls
exec /sbin/modprobe "$@"
W
chmod +x /tmp/modprobe
echo /tmp/modprobe > /proc/sys/kernel/modprobe

net_up
rs_add rs1 198.51.100.2
rs_add rs2 198.51.100.3
real() {
    cat <<R
    real_server $1 80 {
        weight $2
        HTTP_GET {
            url {
                path /
                status_code 200
            }
            connect_timeout 1
            retry 0
        }
    }
R
}
{
    echo "virtual_server $VIP 80 {"
    printf '    delay_loop 1\n    lb_algo wrr\n    lb_kind NAT\n    protocol TCP\n'
    real 198.51.100.2 1; real 198.51.100.3 3
    echo "}"
    echo "virtual_server $VIP2 80 {"
    printf '    delay_loop 1\n    lb_algo mh\n    lb_kind NAT\n    protocol TCP\n'
    real 198.51.100.2 1; real 198.51.100.3 1
    echo "}"
} > /tmp/lvsmon.conf
$LVSMON check -f /tmp/lvsmon.conf || fail "lvsmon check rejected the config"

step "lvsmon programs the wrr service, names the missing scheduler"
: > /tmp/modprobe.calls
$LVSMON run -f /tmp/lvsmon.conf --control /tmp/lvsmon.sock --log-file /tmp/lvsmon.log &
pid=$!
cat > /tmp/want <<WANT
IP Virtual Server version 1.2.1 (size=4096)
Prot LocalAddress:Port Scheduler Flags
  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn
TCP  $VIP:80 wrr
  -> 198.51.100.2:80              Masq    1      0          0         
  -> 198.51.100.3:80              Masq    3      0          0         
WANT
table_ok() { $IPVSADM -Ln > /tmp/got 2>&1 && cmp -s /tmp/got /tmp/want; }
wait_until 20 "the wrr service in the kernel (ipvsadm -Ln)" table_ok
expect_same_file "ipvsadm -Ln with mh missing" /tmp/got /tmp/want
$IPVSADM -Sn > /tmp/want.S
wait_until 10 "the scheduler error in the log" grep -q -- "-A -t $VIP2:80 -s mh: Scheduler or persistence engine not found" /tmp/lvsmon.log
expect_eq "client split through the wrr service" "$(client_run 8)" "rs1 2 rs2 6"
sleep 5
kill -0 $pid 2>/dev/null || fail "lvsmon exited"
cat /tmp/lvsmon.log
n=$(grep -c -- '-s mh: Scheduler or persistence engine not found' /tmp/lvsmon.log)
expect_eq "times the mh error was logged" "$n" 1
# Traffic moved the connection counters: compare the rules (-Sn) from here on.
$IPVSADM -Sn > /tmp/got.S
expect_same_file "rules (ipvsadm -Sn) after 5 s more of mh failing" /tmp/got.S /tmp/want.S
echo "kernel module requests for ip_vs_mh in ~10 s of lvsmon: $(grep -c mh /tmp/modprobe.calls)"
$LVSMON status --control /tmp/lvsmon.sock

step "TERM removes the table"
kill -TERM $pid
wait_until 10 "lvsmon to exit" sh -c "! kill -0 $pid"
[ -z "$($IPVSADM -Sn)" ] || { $IPVSADM -Sn; fail "table left behind after TERM"; }
