# ha-ecmp: two active/active Directors behind a router that spreads flows over them with
# ECMP. BIRD on the router (eBGP, hold time 6 s, kernel protocol `merge paths on`,
# fib_multipath_hash_policy=1) and on each Director (`protocol direct` on vip0, exported
# to the router); lvsmon on each Director with `vip_announce` (it puts the VIP on vip0
# while the service has quorum) and `lb_algo mh` + mh-port + mh-fallback, DR, three real
# servers. Directors have net.ipv4.vs.sloppy_tcp=1, so a flow the router moves to the other
# Director is scheduled there mid-stream, by the same Maglev table, to the same server.
# Asserted, counting connections (the only timing asserted is the withdraw bound):
#  (1) 60 fixed flows (fixed client source ports) reach the same real server through d1
#      only, through d2 only and through both (100 %);
#  (3) d1 losing quorum (the real servers drop its checks) withdraws the route within
#      delay_loop x (retry + 1) + 3 s, and its long connections go on through d2 on the
#      same real servers with 0 resets (then d2, for the other direction);
#  (4) kill -9 of lvsmon keeps the route and every connection; the restarted lvsmon makes
#      no withdraw and no table operation (its log);
#  (2) a real server failing breaks only its own connections and moves only its own flows;
#  (5) d1's link going down moves its flows to d2 (BGP hold timer) with 0 resets.
# Drift: the VIP deleted from vip0 behind lvsmon's back is put back by its drift check
# (every delay_loop), with one log line, no table change, no connection lost.
# Negative control: with lb_algo wrr the flows moved by a withdraw land on other real
# servers (resets), so the test can fail.
#
#   netns client 203.0.113.2 -- vc -- netns rt 203.0.113.1, 198.51.100.1 (BIRD, AS 65000)
#   lan0 (bridge): rt, d1 198.51.100.2, d2 198.51.100.3 (BIRD, AS 65001, VIP on lo, vip0),
#                  rs1 .21, rs2 .22, rs3 .23 (DR: VIP on lo; replies to the router)
# vm-budget: 300  (run-vm.sh: seconds the scenario may take)
need_ha_tools
FAIL_LOGS="/tmp/bird-rt.log /tmp/bird-d1.log /tmp/lvsmon-d1.log /tmp/lvsmon-d2.log"
FAIL_HOOK=ecmp_diag
SVC=$VIP:9000
NFLOWS=60
NLONG=20

ecmp_conf() { # mh|wrr
    if [ "$1" = mh ]; then sched="lb_algo mh
    mh-port
    mh-fallback"; else sched="lb_algo wrr"; fi
    cat <<EOF
vip_announce {
    interface vip0
    rule all
    on_stop withdraw
}
virtual_server $VIP 9000 {
    delay_loop 1
    $sched
    lb_kind DR
    protocol TCP
EOF
    for r in 21 22 23; do
        cat <<EOF
    real_server 198.51.100.$r 9000 {
        weight 1
        TCP_CHECK {
            connect_timeout 1
            retry 0
        }
    }
EOF
    done
    echo "}"
}

bird_router_conf() {
    cat <<EOF
router id 198.51.100.1;
log stderr all;
protocol device { scan time 10; }
protocol kernel {
    ipv4 { import none; export all; };
    merge paths on;
}
template bgp director {
    local 198.51.100.1 as 65000;
    hold time 6; keepalive time 2; connect retry time 1;
    # A session lost to the hold timer restarts after this (BIRD: 60-300 s by default).
    error wait time 1, 5;
    ipv4 { import all; export none; };
}
protocol bgp d1 from director { neighbor 198.51.100.2 as 65001; }
protocol bgp d2 from director { neighbor 198.51.100.3 as 65001; }
EOF
}

bird_director_conf() { # ADDR
    cat <<EOF
router id $1;
log stderr all;
protocol device { scan time 10; }
# What lvsmon puts on vip0 (VIP/32 while the service has quorum) is what the router learns.
protocol direct { ipv4; interface "vip0"; }
protocol bgp uplink {
    local $1 as 65001;
    neighbor 198.51.100.1 as 65000;
    hold time 6; keepalive time 2; connect retry time 1;
    # A session lost to the hold timer restarts after this (BIRD: 60-300 s by default).
    error wait time 1, 5;
    ipv4 { import none; export where source = RTS_DEVICE; };
}
EOF
}

bird_start() { # NS
    $IP netns exec "$1" $BIRD -f -c "/tmp/bird-$1.conf" -s "/run/bird-$1.ctl" -P "/run/bird-$1.pid" >> "/tmp/bird-$1.log" 2>&1 &
    wait_until 20 "BIRD in $1 to answer" $BIRDC -s "/run/bird-$1.ctl" show status
}
lvsmon_in() { # NS: lvsmon on /tmp/ecmp.conf, pid in /tmp/lvsmon-NS.pid
    $IP netns exec "$1" $LVSMON run -f /tmp/ecmp.conf --control "/run/lvsmon-$1.sock" >> "/tmp/lvsmon-$1.log" 2>&1 &
    echo $! > "/tmp/lvsmon-$1.pid"
    wait_until 20 "lvsmon in $1 to answer" $LVSMON status --control "/run/lvsmon-$1.sock"
}
# paths: the router's next hops for the VIP, sorted ("198.51.100.2 198.51.100.3").
paths() { in_ns rt $IP -4 route show "$VIP/32" | awk '{ for (i = 1; i < NF; i++) if ($i == "via") print $(i + 1) }' | sort | tr '\n' ' ' | sed 's/ $//'; }
paths_are() { [ "$(paths)" = "$1" ]; }
BOTH="198.51.100.2 198.51.100.3"
announced() { in_ns "$1" $IP -4 addr show dev vip0 2>/dev/null | grep -q " $VIP/32 "; }
dests() { in_ns "$1" $IPVSADM -Ln -t $SVC | awk '$1 == "->" && $2 != "RemoteAddress:Port" { print $2":"$4 }' | sort | tr '\n' ' ' | sed 's/ $//'; }
dests_are() { [ "$(dests "$1")" = "$2" ]; }
ALL_UP="198.51.100.21:9000:1 198.51.100.22:9000:1 198.51.100.23:9000:1"
# via NS LO N: long connections from ports LO..LO+N-1 in NS's IPVS connection table.
via() { in_ns "$1" $IPVSADM -Lnc | awk -v vip="$SVC" -v lo="$2" -v n="$3" '$3 == "ESTABLISHED" && $5 == vip { split($4, a, ":"); if (a[2] >= lo && a[2] < lo + n) c++ } END { print c + 0 }'; }
# quorum_out D / quorum_in D: the real servers drop (restore) Director D's health checks:
# their answers to D's own address are blackholed. Client traffic D forwards (DR, the
# client's address) is untouched.
quorum_out() { for r in rs1 rs2 rs3; do in_ns $r $IP route add blackhole "$1/32"; done; }
quorum_in() { for r in rs1 rs2 rs3; do in_ns $r $IP route del blackhole "$1/32"; done; }
flow_map() { in_ns client $STREAMS flows $VIP 9000 43000 $NFLOWS > "$1"; }
long_start() { # SPORT
    LONG_SPORT=$1
    rm -f /tmp/long.txt
    $IP netns exec client $STREAMS client $VIP 9000 $NLONG /tmp/long.txt --sport "$1" --seconds 250 &
    echo $! > /tmp/client.pid
    wait_until 30 "$NLONG long connections open" long_open $NLONG
}
long_open() { [ -f /tmp/long.txt ] && [ "$(long_flowing /tmp/long.txt 100000)" = "$1" ]; }
long_stop() { kill "$(cat /tmp/client.pid)" 2>/dev/null; wait "$(cat /tmp/client.pid)" 2>/dev/null; }
flowing_n() { [ "$(long_flowing /tmp/long.txt 1000)" = "$1" ]; }
ecmp_diag() {
    echo "--- router: paths '$(paths)'"; in_ns rt $BIRDC -s /run/bird-rt.ctl show protocols 2>/dev/null
    echo "--- d1's BIRD:"; in_ns d1 $BIRDC -s /run/bird-d1.ctl show protocols 2>/dev/null
    [ -f /tmp/long.txt ] && { echo "--- long: $(long_summary /tmp/long.txt)"; awk '$5 != "open" || $7 >= 1000' /tmp/long.txt | head; }
    for d in d1 d2; do echo "--- $d: $(dests $d)"; done
}

step "topology: client, router rt, lan0 with d1 d2 rs1 rs2 rs3"
ha_bridge lan0
$IP netns add client || fail "ip netns add client"
$IP netns add rt || fail "ip netns add rt"
$IP link add vc0 netns rt type veth peer name vc1 netns client || fail "veth client-rt"
in_ns rt $IP addr add 203.0.113.1/24 dev vc0
in_ns rt $IP link set vc0 up
in_ns rt $IP link set lo up
in_ns client $IP addr add $CLIENT/24 dev vc1
in_ns client $IP link set vc1 up
in_ns client $IP link set lo up
in_ns client $IP route add default via 203.0.113.1
in_ns client sysctl -qw net.ipv4.ip_local_port_range="20000 29999"
ha_port rt lan0 eth0 198.51.100.1/24
in_ns rt sysctl -qw net.ipv4.ip_forward=1
in_ns rt sysctl -qw net.ipv4.conf.all.rp_filter=0
in_ns rt sysctl -qw net.ipv4.conf.eth0.rp_filter=0
# ECMP on ports too: one client address, many flows.
in_ns rt sysctl -qw net.ipv4.fib_multipath_hash_policy=1
for n in d1:2 d2:3 rs1:21 rs2:22 rs3:23; do
    ha_port "${n%:*}" lan0 eth0 "198.51.100.${n#*:}/24"
    in_ns "${n%:*}" $IP route add default via 198.51.100.1
done
for d in d1 d2; do
    in_ns $d $IP addr add $VIP/32 dev lo      # IPVS needs the VIP local; the user's job
    in_ns $d sysctl -qw net.ipv4.vs.sloppy_tcp=1
done
for r in rs1 rs2 rs3; do ha_dr_real $r $VIP; ha_serve $r $r; done

step "BIRD on rt, d1, d2; lvsmon (vip_announce, mh) on d1 and d2"
bird_router_conf > /tmp/bird-rt.conf
bird_director_conf 198.51.100.2 > /tmp/bird-d1.conf
bird_director_conf 198.51.100.3 > /tmp/bird-d2.conf
for n in rt d1 d2; do bird_start $n; done
ecmp_conf mh > /tmp/ecmp.conf
$LVSMON check -f /tmp/ecmp.conf || fail "lvsmon check rejects the ECMP config"
lvsmon_in d1
lvsmon_in d2
wait_until 20 "d1 to program rs1-rs3" dests_are d1 "$ALL_UP"
wait_until 20 "d2 to program rs1-rs3" dests_are d2 "$ALL_UP"
wait_until 30 "the router to route the VIP over d1 and d2" paths_are "$BOTH"
in_ns rt $IP -4 route show "$VIP/32"
demo_show "cat lvsmon.conf   (d1 and d2)" cat /tmp/ecmp.conf
demo_show "birdc show route   (on the router: one route, two next hops)" $BIRDC -s /run/bird-rt.ctl show route
demo_show "lvsmon status   (on d1)" $LVSMON status --control /run/lvsmon-d1.sock

step "(1) $NFLOWS fixed flows through both Directors, d1 only, d2 only"
flow_map /tmp/map-both.txt
grep -q fail /tmp/map-both.txt && { cat /tmp/map-both.txt; fail "a fixed flow failed through both Directors"; }
echo "through both: $(awk '{print $2}' /tmp/map-both.txt | sort | uniq -c | tr '\n' ' ')"
long_start 41000
echo "long connections: $(long_summary /tmp/long.txt); via d1 $(via d1 41000 $NLONG), via d2 $(via d2 41000 $NLONG)"
[ "$(via d1 41000 $NLONG)" -gt 0 ] && [ "$(via d2 41000 $NLONG)" -gt 0 ] || fail "ECMP sent every long connection through one Director"
cp /tmp/long.txt /tmp/long-before.txt

step "(3) d1 loses quorum: withdrawn, its flows go on through d2"
quorum_out 198.51.100.2
t0=$($STREAMS now)
wait_until 20 "the router to drop d1's path" paths_are 198.51.100.3
withdraw_ms=$(( $($STREAMS now) - t0 ))
bound_ms=$(( 1000 * (0 + 1) + 3000 ))
echo "route withdrawn on the router ${withdraw_ms} ms after d1's checks began failing (bound ${bound_ms} ms)"
[ "$withdraw_ms" -le "$bound_ms" ] || fail "withdraw took ${withdraw_ms} ms, more than ${bound_ms} ms"
announced d1 && fail "d1 still carries the VIP on vip0 without quorum"
demo_show "lvsmon status   (on d1: quorum lost, VIP withdrawn)" $LVSMON status --control /run/lvsmon-d1.sock
demo_show "birdc show route   (on the router: d2 only)" $BIRDC -s /run/bird-rt.ctl show route
wait_until 30 "all $NLONG long connections streaming through d2" flowing_n $NLONG
expect_eq "long connections after d1's withdraw" "$(long_summary /tmp/long.txt)" "$(long_summary /tmp/long-before.txt)"
expect_eq "real server of each long connection after d1's withdraw" "$(long_map /tmp/long.txt)" "$(long_map /tmp/long-before.txt)"
flow_map /tmp/map-d2.txt
expect_same_file "fixed flows through d2 only" /tmp/map-d2.txt /tmp/map-both.txt
quorum_in 198.51.100.2
wait_until 30 "d1 to announce again" paths_are "$BOTH"

step "(3) d2 loses quorum: the same the other way"
quorum_out 198.51.100.3
wait_until 20 "the router to drop d2's path" paths_are 198.51.100.2
wait_until 30 "all $NLONG long connections streaming through d1" flowing_n $NLONG
expect_eq "real server of each long connection after d2's withdraw" "$(long_map /tmp/long.txt)" "$(long_map /tmp/long-before.txt)"
expect_eq "long connections after d2's withdraw" "$(long_summary /tmp/long.txt)" "$(long_summary /tmp/long-before.txt)"
flow_map /tmp/map-d1.txt
expect_same_file "fixed flows through d1 only" /tmp/map-d1.txt /tmp/map-both.txt
quorum_in 198.51.100.3
wait_until 30 "d2 to announce again" paths_are "$BOTH"
echo "(1) $NFLOWS of $NFLOWS fixed flows on the same real server through d1, d2 and both"

step "(4) kill -9 of lvsmon on d1: route kept, restart without withdraw or table operation"
kill -9 "$(cat /tmp/lvsmon-d1.pid)"
sleep 3
expect_eq "router paths after lvsmon -9" "$(paths)" "$BOTH"
announced d1 || fail "the VIP left vip0 when lvsmon was killed -9"
mark=$(wc -l < /tmp/lvsmon-d1.log)
lvsmon_in d1
sleep 4
tail -n +$((mark + 1)) /tmp/lvsmon-d1.log > /tmp/restart.log
demo_show "the restarted lvsmon's log" cat /tmp/restart.log
grep -i -E "withdraw|applied" /tmp/restart.log && fail "the restarted lvsmon withdrew or changed the table"
expect_eq "router paths after the restart" "$(paths)" "$BOTH"
wait_until 10 "all $NLONG long connections streaming" flowing_n $NLONG
expect_eq "long connections across lvsmon's kill -9 and restart" "$(long_summary /tmp/long.txt)" "$(long_summary /tmp/long-before.txt)"

step "drift: the VIP deleted from d1's vip0 behind lvsmon's back is put back, logged once"
mark=$(wc -l < /tmp/lvsmon-d1.log)
in_ns d1 $IP addr del $VIP/32 dev vip0 || fail "ip addr del on d1's vip0"
t0=$($STREAMS now)
# The drift check runs every delay_loop (1 s here).
wait_until 10 "lvsmon on d1 to put the VIP back on vip0" announced d1
echo "d1's VIP back on vip0 $(( $($STREAMS now) - t0 )) ms after it was deleted"
wait_until 30 "the router to route over d1 and d2 again" paths_are "$BOTH"
sleep 2
tail -n +$((mark + 1)) /tmp/lvsmon-d1.log > /tmp/drift.log
cat /tmp/drift.log
expect_eq "lvsmon log lines about the put-back" "$(grep -c 'removed from vip0 outside lvsmon while announced: put back' /tmp/drift.log)" 1
grep -q "withdraw\|applied" /tmp/drift.log && fail "the put-back withdrew or changed the table"
wait_until 30 "all $NLONG long connections streaming" flowing_n $NLONG
expect_eq "long connections across the put-back" "$(long_summary /tmp/long.txt)" "$(long_summary /tmp/long-before.txt)"
expect_eq "real server of each long connection across the put-back" "$(long_map /tmp/long.txt)" "$(long_map /tmp/long-before.txt)"
long_stop

step "(2) rs2 fails: only its own connections break, only its own flows move"
long_start 44000
cp /tmp/long.txt /tmp/long-before.txt
on_rs2=$(awk '$4 == "rs2"' /tmp/long.txt | wc -l)
kill "$(cat /tmp/serve-rs2.pid)"
wait_until 20 "d1 to set rs2 to weight 0" dests_are d1 "198.51.100.21:9000:1 198.51.100.22:9000:0 198.51.100.23:9000:1"
wait_until 20 "d2 to set rs2 to weight 0" dests_are d2 "198.51.100.21:9000:1 198.51.100.22:9000:0 198.51.100.23:9000:1"
expect_eq "router paths with rs2 down (quorum holds)" "$(paths)" "$BOTH"
sleep 2
broken=$(awk '$5 != "open"' /tmp/long.txt | wc -l)
broken_other=$(awk '$5 != "open" && $4 != "rs2"' /tmp/long.txt | wc -l)
echo "rs2 down: $broken long connections ended (rs2 held $on_rs2), $broken_other on other real servers; $(long_summary /tmp/long.txt)"
expect_eq "long connections broken on rs1 and rs3" "$broken_other" 0
expect_eq "flowing long connections on rs1 and rs3" "$(long_flowing /tmp/long.txt 1000)" "$((NLONG - on_rs2))"
flow_map /tmp/map-rs2down.txt
moved=$(awk 'NR == FNR { m[$1] = $2; next } m[$1] != "rs2" && m[$1] != $2' /tmp/map-both.txt /tmp/map-rs2down.txt | wc -l)
lost=$(grep -c fail /tmp/map-rs2down.txt)
echo "fixed flows with rs2 down: $moved of those not on rs2 moved, $lost failed"
expect_eq "fixed flows not on rs2 that moved" "$moved" 0
expect_eq "fixed flows that failed with rs2 down" "$lost" 0
ha_serve rs2 rs2
wait_until 20 "d1 to restore rs2" dests_are d1 "$ALL_UP"
wait_until 20 "d2 to restore rs2" dests_are d2 "$ALL_UP"
flow_map /tmp/map-back.txt
expect_same_file "fixed flows with rs2 back" /tmp/map-back.txt /tmp/map-both.txt
long_stop

step "(5) d1's link goes down: BGP hold timer moves its flows to d2"
long_start 45000
cp /tmp/long.txt /tmp/long-before.txt
on_d1=$(via d1 45000 $NLONG)
$IP link set d1-eth0 down
t0=$($STREAMS now)
wait_until 20 "the router to drop d1's path (hold timer)" paths_are 198.51.100.3
echo "d1's path gone $(( $($STREAMS now) - t0 )) ms after its link went down (hold time 6 s)"
wait_until 40 "all $NLONG long connections streaming through d2" flowing_n $NLONG
expect_eq "long connections after d1's link loss ($on_d1 were through d1)" "$(long_summary /tmp/long.txt)" "$(long_summary /tmp/long-before.txt)"
expect_eq "real server of each long connection after d1's link loss" "$(long_map /tmp/long.txt)" "$(long_map /tmp/long-before.txt)"
$IP link set d1-eth0 up
wait_until 40 "d1's BGP session and path to return" paths_are "$BOTH"
long_stop

step "negative control: lb_algo wrr, d1 withdraws, its flows land on other real servers"
ecmp_conf wrr > /tmp/ecmp.conf
for d in d1 d2; do kill -HUP "$(cat /tmp/lvsmon-$d.pid)"; done
wait_until 20 "d1 to switch to wrr" sh -c "$IP netns exec d1 $IPVSADM -Ln -t $SVC | grep -q ' wrr'"
wait_until 20 "d2 to switch to wrr" sh -c "$IP netns exec d2 $IPVSADM -Ln -t $SVC | grep -q ' wrr'"
long_start 46000
on_d1=$(via d1 46000 $NLONG)
quorum_out 198.51.100.2
wait_until 20 "the router to drop d1's path" paths_are 198.51.100.3
sleep 5
resets=$(awk '$5 != "open"' /tmp/long.txt | wc -l)
echo "wrr: $resets of the $on_d1 long connections moved from d1 to d2 broke; $(long_summary /tmp/long.txt)"
[ "$resets" -gt 0 ] || fail "with wrr no moved connection broke: the test cannot tell mh from wrr"
long_stop
echo "ha-ecmp: 100 % of $NFLOWS fixed flows kept their real server via d1, d2, both; withdraw ${withdraw_ms} ms; 0 resets on withdraw, lvsmon -9, link loss; wrr broke $resets"
