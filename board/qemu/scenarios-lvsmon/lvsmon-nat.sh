# The shell-loop scenario with real traffic, NAT (conf/nat.conf): lvsmon checks two real
# servers (weights 1 and 3) over HTTP; the client sees 1:3; one killed -> removed, all traffic
# to the other; both killed -> the sorry server on the director address answers; both
# restored -> back to 1:3; TERM -> lvsmon removes what it added. ${API:-auto} picks the
# kernel interface.
need_lvsmon
SVC=$VIP:80
net_up
rs_add rs1 198.51.100.2 ${MODE:-nat}
rs_add rs2 198.51.100.3 ${MODE:-nat}
if [ "${MODE:-nat}" = dr ]; then
    CONF=/conf/dr.conf; SORRY=127.0.0.1:80; FWD=Route
    # A Local destination gets the packet unchanged (dst = VIP): listen on every address.
    mkdir -p /srv/sorry; echo sorry > /srv/sorry/index.html
    httpd -f -p 80 -h /srv/sorry & echo $! > /tmp/sorry.pid
else
    CONF=/conf/nat.conf; SORRY=$DIRECTOR:80; FWD=Masq
    local_httpd sorry $DIRECTOR
fi
lvsmon_start $CONF --ipvs-api "${API:-auto}"

step "both up: 1:3"
wait_dests 10 $SVC "198.51.100.2:80:1 198.51.100.3:80:3"
expect_eq "forwarding" "$(kernel_dest $SVC 198.51.100.2:80)" "$FWD 1"
expect_eq "40 requests" "$(client_run 40)" "rs1 10 rs2 30"
wait_json 5 "rs1 up in status --json" 198.51.100.2:80 '"health":"up","configured_weight":1,"current_weight":1,"in_table":true'

step "rs1 killed: lvsmon removes it"
rs_stop rs1
wait_dests 15 $SVC "198.51.100.3:80:3"
wait_json 5 "rs1 down in status --json" 198.51.100.2:80 '"health":"down","configured_weight":1,"current_weight":0,"in_table":false'
expect_eq "8 requests" "$(client_run 8)" "rs2 8"

step "both killed: the sorry server answers"
rs_stop rs2
wait_dests 15 $SVC "$SORRY:1"
expect_eq "4 requests" "$(client_run 4)" "sorry 4"
wait_until 5 "sorry server in table in status --json" sh -c "$LVSMON status --json | grep -q '\"sorry_server\":{\"address\":\"$SORRY\",\"in_table\":true}'"

step "both restored: back to 1:3"
rs_start rs1
rs_start rs2
wait_dests 15 $SVC "198.51.100.2:80:1 198.51.100.3:80:3"
expect_eq "40 requests" "$(client_run 40)" "rs1 10 rs2 30"

step "the log names each change once, with its reason"
for rs in 198.51.100.2:80 198.51.100.3:80; do
    c=$(grep -c "$rs.*connection refused" /tmp/lvsmon.log)
    [ "$c" = 1 ] || { show_lvsmon_log; fail "log lines naming $rs and 'connection refused': $c, want 1"; }
done

step "TERM: lvsmon removes what it added"
lvsmon_stop TERM
expect_eq "table after TERM" "$($IPVSADM -Sn)" ""
