# Restart without flap. The kernel's per-destination connection counters are the witness:
# a DEL + NEW of a destination would reset them to 0, so counters that survive a kill -9
# and a restart prove lvsmon adopted the healthy entries without touching them. TERM
# without --keep-on-exit removes lvsmon's entries but not a service it does not manage;
# with --keep-on-exit the entries stay.
need_lvsmon
SVC=$VIP:80
net_up
rs_add rs1 198.51.100.2
rs_add rs2 198.51.100.3
local_httpd sorry $DIRECTOR
$IPVSADM -A -t $VIP2:80 -s rr || fail "unmanaged service"
$IPVSADM -a -t $VIP2:80 -r 198.51.100.2:80 -m || fail "unmanaged dest"

lvsmon_start /conf/nat.conf --ipvs-api "${API:-auto}"
wait_dests 10 $SVC "198.51.100.2:80:1 198.51.100.3:80:3"
expect_eq "40 requests" "$(client_run 40)" "rs1 10 rs2 30"
counters_are() { [ "$(conns $SVC 198.51.100.2:80) $(conns $SVC 198.51.100.3:80)" = "$1" ]; }
# The kernel folds per-cpu counters into the listed stats every 2 s (estimator): wait.
wait_until 6 "connection counters 10 and 30" counters_are "10 30"

step "kill -9 and start again: no flap"
lvsmon_stop KILL
wait_dests 2 $SVC "198.51.100.2:80:1 198.51.100.3:80:3"
lvsmon_start /conf/nat.conf --ipvs-api "${API:-auto}"
sleep 4
wait_dests 2 $SVC "198.51.100.2:80:1 198.51.100.3:80:3"
expect_eq "rs1 connections after restart" "$(conns $SVC 198.51.100.2:80)" 10
expect_eq "rs2 connections after restart" "$(conns $SVC 198.51.100.3:80)" 30
wait_json 5 "rs1 up after restart" 198.51.100.2:80 '"health":"up","configured_weight":1,"current_weight":1,"in_table":true'

step "TERM without --keep-on-exit: lvsmon's entries go, the unmanaged service stays"
lvsmon_stop TERM
$IPVSADM -Sn > /tmp/got
printf -- '-A -t 192.0.2.11:80 -s rr\n-a -t 192.0.2.11:80 -r 198.51.100.2:80 -m -w 1\n' > /tmp/want
expect_same_file "table after TERM" /tmp/got /tmp/want

step "TERM with --keep-on-exit: the entries stay"
lvsmon_start /conf/nat.conf --keep-on-exit --ipvs-api "${API:-auto}"
wait_dests 10 $SVC "198.51.100.2:80:1 198.51.100.3:80:3"
lvsmon_stop TERM
wait_dests 1 $SVC "198.51.100.2:80:1 198.51.100.3:80:3"
