# Drift: an administrator changes the table behind lvsmon's back with Debian's ipvsadm;
# lvsmon puts back what the config and health say within one delay_loop (1 s here; the
# bound asserted is a generous 5 s) and logs that it did.
need_lvsmon
SVC=$VIP:80
net_up
rs_add rs1 198.51.100.2
rs_add rs2 198.51.100.3
lvsmon_start /conf/nat.conf --ipvs-api "${API:-auto}"
wait_dests 10 $SVC "198.51.100.2:80:1 198.51.100.3:80:3"

step "managed real server deleted"
$IPVSADM -d -t $SVC -r 198.51.100.2:80 || fail "ipvsadm -d"
wait_dests 5 $SVC "198.51.100.2:80:1 198.51.100.3:80:3"

step "weight changed"
$IPVSADM -e -t $SVC -r 198.51.100.3:80 -m -w 9 || fail "ipvsadm -e"
wait_dests 5 $SVC "198.51.100.2:80:1 198.51.100.3:80:3"

step "whole service deleted"
$IPVSADM -D -t $SVC || fail "ipvsadm -D"
wait_dests 5 $SVC "198.51.100.2:80:1 198.51.100.3:80:3"
expect_eq "scheduler after restore" "$($IPVSADM -Ln -t $SVC | awk '$1=="TCP"{print $3}')" wrr

step "a down real server added by hand is taken out again"
rs_stop rs1
wait_dests 15 $SVC "198.51.100.3:80:3"
$IPVSADM -a -t $SVC -r 198.51.100.2:80 -m -w 1 || fail "ipvsadm -a"
wait_dests 5 $SVC "198.51.100.3:80:3"

step "traffic still follows lvsmon's table"
expect_eq "8 requests" "$(client_run 8)" "rs2 8"
grep -qi 'drift\|restor\|behind' /tmp/lvsmon.log || { show_lvsmon_log; fail "no log line about the drift"; }
lvsmon_stop TERM
