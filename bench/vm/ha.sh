# bench: ha. Several Directors, lvsmon side by side with keepalived in one boot (issue 15),
# on the topologies of the ha-vrrp and ha-ecmp scenarios (board/qemu/scenarios-lvsmon),
# with their helpers (lib.sh) and traffic tool (streams). Runs in the HA image (keepalived,
# BIRD, streams; bench/run-vm.sh picks it for this bench).
#
# VRRP pair: DR, wrr, two real servers; the same keepalived.conf (vrrp_instance with
# preempt_delay, lvs_sync_daemon naming it, the virtual_server) run by
#   keepalived  - `keepalived -f FILE` alone (its VRRP and LVS halves), and
#   lvsmon      - `keepalived -P -f FILE` (VRRP half) + `lvsmon run -f FILE`.
# The client holds 50 long connections (a byte every 100 ms) and opens a short one every
# 200 ms; the master dies (link down, every process -9). Measured: long connections still
# streaming on their real server after the failover (kept), the new-connection outage
# (fault to the first short connection that succeeded after it), long connections that
# ended up on another real server.
#
# ECMP pair: a router running BIRD (ECMP, hold time 6 s), two Directors each with BIRD
# exporting what dummy vip0 carries, three DR real servers, lb_algo mh (+ mh-port,
# mh-fallback), net.ipv4.vs.sloppy_tcp=1 on the Directors:
#   keepalived  - `keepalived -C` (its LVS half) with quorum_up / quorum_down scripts
#                 doing `ip addr add/del VIP/32 dev vip0`;
#   lvsmon      - `vip_announce { interface vip0; rule all; on_stop withdraw }`.
# d1 loses quorum (the real servers drop its checks; its forwarding is untouched), then gets
# it back. Measured: fault -> route withdrawn on the router (ms, polled every ~0.2 s),
# long connections (of 20) kept across the withdraw, short connections that failed in it,
# and fixed flows (60 fixed source ports) whose real server changed without cause: after
# the withdraw (through d2 only) and after d1's recovery (through both), against the map
# taken through both before the fault.
#
# Output: lines "BENCH ha ..." (bench/raw/vm.txt, read by bench/report.py).
need_ha_tools
TRIALS=${BENCH_HA_TRIALS:-4}
SVC=$VIP:9000

# --- the VRRP pair ------------------------------------------------------------------------
vrrp_conf() {
    cat <<EOF
global_defs {
    lvs_sync_daemon eth0 VI_1
}
vrrp_instance VI_1 {
    state BACKUP
    interface eth0
    virtual_router_id 51
    @d1 priority 150
    @d2 priority 100
    advert_int 1
    preempt_delay 8
    virtual_ipaddress {
        $VIP/32 dev eth0
    }
}
virtual_server $VIP 9000 {
    delay_loop 1
    lb_algo wrr
    lb_kind DR
    protocol TCP
    real_server 192.0.2.21 9000 {
        weight 1
        TCP_CHECK {
            connect_timeout 1
        }
    }
    real_server 192.0.2.22 9000 {
        weight 1
        TCP_CHECK {
            connect_timeout 1
        }
    }
}
EOF
}

vrrp_start() { # TOOL NAME
    if [ "$1" = keepalived ]; then
        in_ns "$2" $KEEPALIVED -n -l -D -f /tmp/ha.conf -i "$2" -p "/run/ka-$2.pid" \
            -r "/run/ka-$2-vrrp.pid" -c "/run/ka-$2-chk.pid" >> "/tmp/ka-$2.log" 2>&1 &
    else
        in_ns "$2" $KEEPALIVED -P -n -l -D -f /tmp/ha.conf -i "$2" -p "/run/ka-$2.pid" \
            -r "/run/ka-$2-vrrp.pid" -c "/run/ka-$2-chk.pid" >> "/tmp/ka-$2.log" 2>&1 &
        in_ns "$2" $LVSMON run -f /tmp/ha.conf --control "/run/lvsmon-$2.sock" >> "/tmp/lvsmon-$2.log" 2>&1 &
    fi
}
has_vip() { in_ns "$1" $IP -4 addr show dev eth0 | grep -q " $VIP/32 "; }
is_master() { has_vip "$1" && ! has_vip "$2"; }
vrrp_dests() { in_ns "$1" $IPVSADM -Ln -t $SVC 2>/dev/null | awk '$1 == "->" && $2 != "RemoteAddress:Port" { print $2 }' | sort | tr '\n' ' '; }
vrrp_tables() { [ "$(vrrp_dests d1)" = "192.0.2.21:9000 192.0.2.22:9000 " ] && [ "$(vrrp_dests d2)" = "192.0.2.21:9000 192.0.2.22:9000 " ]; }
synced() { in_ns "$1" $IPVSADM -Lnc | awk -v vip="$SVC" -v lo="$SPORT" '$3 == "ESTABLISHED" && $5 == vip { split($4, a, ":"); if (a[2] >= lo && a[2] < lo + 50) n++ } END { print n + 0 }'; }
all_synced() { [ "$(synced "$1")" = 50 ]; }
first_ok_after() { awk -v t="$1" '$1 >= t && $3 == "ok" && (m == "" || $2 < m) { m = $2 } END { print m }' /tmp/short.log; }
has_short_ok() { [ -n "$(first_ok_after "$1")" ]; }
long_open() { [ -f /tmp/long.txt ] && [ "$(long_flowing /tmp/long.txt 100000)" = "$1" ]; }
# settled N: every open long connection got a byte within the last second, or ended.
settled() { [ "$(awk '$5 == "open" && $7 >= 1000' /tmp/long.txt | wc -l)" = 0 ]; }

vrrp_topology() {
    ha_teardown
    sysctl -qw net.ipv4.ip_forward=1
    sysctl -qw net.ipv4.conf.all.rp_filter=0
    sysctl -qw net.ipv4.conf.default.rp_filter=0
    ha_bridge lan0
    $IP addr add 192.0.2.1/24 dev lan0
    $IP netns add client || fail "ip netns add client"
    $IP link add vc0 type veth peer name vc1 netns client || fail "veth client"
    $IP addr add 203.0.113.1/24 dev vc0
    $IP link set vc0 up
    in_ns client $IP link set lo up
    in_ns client $IP addr add $CLIENT/24 dev vc1
    in_ns client $IP link set vc1 up
    in_ns client $IP route add default via 203.0.113.1
    in_ns client sysctl -qw net.ipv4.ip_local_port_range="20000 29999"
    for n in d1:2 d2:3 rs1:21 rs2:22; do
        ha_port "${n%:*}" lan0 eth0 "192.0.2.${n#*:}/24"
        in_ns "${n%:*}" $IP route add default via 192.0.2.1
    done
    for d in d1 d2; do in_ns $d sysctl -qw net.ipv4.vs.sync_threshold="3 10"; done
    for r in rs1 rs2; do ha_dr_real $r $VIP; ha_serve $r $r; done
}

vrrp_trial() { # TOOL TRIAL
    vrrp_topology
    vrrp_conf > /tmp/ha.conf
    rm -f /tmp/ka-*.log /tmp/lvsmon-*.log
    vrrp_start "$1" d1
    vrrp_start "$1" d2
    wait_until 40 "$1: d1 to be VRRP master" is_master d1 d2
    wait_until 30 "$1: both Directors to program rs1 and rs2" vrrp_tables
    SPORT=$((41000 + $2 * 100))
    : > /tmp/short.log
    rm -f /tmp/long.txt
    $IP netns exec client $STREAMS client $VIP 9000 50 /tmp/long.txt --sport "$SPORT" --short /tmp/short.log 200 --seconds 100 &
    cpid=$!
    wait_until 30 "$1: 50 long connections open" long_open 50
    wait_until 30 "$1: d2 to hold the 50 long connections (synced)" all_synced d2
    cp /tmp/long.txt /tmp/long-before.txt
    $IP link set d1-eth0 down
    t_fault=$($STREAMS now)
    ha_kill_ns d1
    wait_until 20 "$1: d2 to take the VIP" has_vip d2
    wait_until 30 "$1: a new connection after the fault" has_short_ok "$t_fault"
    outage=$(( $(first_ok_after "$t_fault") - t_fault ))
    # The long connections resume when the real servers' retransmission reaches the
    # client (backoff); give them the time, then count.
    sleep 10
    wait_until 30 "$1: long connections to resume or end" settled
    kept=$(awk 'NR == FNR { b[$2] = $4; next } $5 == "open" && $7 < 1000 && b[$2] == $4 { n++ } END { print n + 0 }' /tmp/long-before.txt /tmp/long.txt)
    moved=$(awk 'NR == FNR { b[$2] = $4; next } $5 == "open" && b[$2] != $4 { n++ } END { print n + 0 }' /tmp/long-before.txt /tmp/long.txt)
    reset=$(awk '$5 != "open"' /tmp/long.txt | wc -l)
    kill $cpid 2>/dev/null; wait $cpid 2>/dev/null
    echo "BENCH ha vrrp tool=$1 trial=$2 kept=$kept of=50 reset=$reset moved=$moved outage_ms=$outage"
}

# --- the ECMP pair ------------------------------------------------------------------------
NFLOWS=60
NLONG=20
ALL3="198.51.100.21:9000 198.51.100.22:9000 198.51.100.23:9000"
BOTH="198.51.100.2 198.51.100.3"

ecmp_conf() { # TOOL
    if [ "$1" = lvsmon ]; then
        printf 'vip_announce {\n    interface vip0\n    rule all\n    on_stop withdraw\n}\n'
    fi
    cat <<EOF
virtual_server $VIP 9000 {
    delay_loop 1
    lb_algo mh
    mh-port
    mh-fallback
    lb_kind DR
    protocol TCP
EOF
    if [ "$1" = keepalived ]; then
        # What route health injection looks like with keepalived alone.
        echo "    quorum_up \"$IP addr add $VIP/32 dev vip0\""
        echo "    quorum_down \"$IP addr del $VIP/32 dev vip0\""
    fi
    for r in 21 22 23; do
        printf '    real_server 198.51.100.%s 9000 {\n        weight 1\n        TCP_CHECK {\n            connect_timeout 1\n            retry 0\n        }\n    }\n' $r
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

paths() { in_ns rt $IP -4 route show "$VIP/32" | awk '{ for (i = 1; i < NF; i++) if ($i == "via") print $(i + 1) }' | sort | tr '\n' ' ' | sed 's/ $//'; }
paths_are() { [ "$(paths)" = "$1" ]; }
ecmp_dests() { in_ns "$1" $IPVSADM -Ln -t $SVC 2>/dev/null | awk '$1 == "->" && $2 != "RemoteAddress:Port" && $4 > 0 { print $2 }' | sort | tr '\n' ' ' | sed 's/ $//'; }
ecmp_tables() { [ "$(ecmp_dests d1)" = "$ALL3" ] && [ "$(ecmp_dests d2)" = "$ALL3" ]; }
quorum_out() { for r in rs1 rs2 rs3; do in_ns $r $IP route add blackhole "$1/32"; done; }
quorum_in() { for r in rs1 rs2 rs3; do in_ns $r $IP route del blackhole "$1/32"; done; }
flow_map() { in_ns client $STREAMS flows $VIP 9000 43000 $NFLOWS > "$1"; }
# changed A B: fixed flows whose real server differs between maps A and B (a failed flow
# counts as changed).
changed() { awk 'NR == FNR { m[$1] = $2; next } m[$1] != $2' "$1" "$2" | wc -l; }

ecmp_topology() {
    ha_teardown
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
    in_ns rt sysctl -qw net.ipv4.fib_multipath_hash_policy=1
    for n in d1:2 d2:3 rs1:21 rs2:22 rs3:23; do
        ha_port "${n%:*}" lan0 eth0 "198.51.100.${n#*:}/24"
        in_ns "${n%:*}" $IP route add default via 198.51.100.1
    done
    for d in d1 d2; do
        in_ns $d $IP addr add $VIP/32 dev lo
        in_ns $d sysctl -qw net.ipv4.vs.sloppy_tcp=1
        # keepalived's scripts need the dummy to exist; lvsmon would create it.
        in_ns $d $IP link add vip0 type dummy
        in_ns $d $IP link set vip0 up
    done
    for r in rs1 rs2 rs3; do ha_dr_real $r $VIP; ha_serve $r $r; done
    bird_router_conf > /tmp/bird-rt.conf
    bird_director_conf 198.51.100.2 > /tmp/bird-d1.conf
    bird_director_conf 198.51.100.3 > /tmp/bird-d2.conf
    for n in rt d1 d2; do
        $IP netns exec $n $BIRD -f -c "/tmp/bird-$n.conf" -s "/run/bird-$n.ctl" -P "/run/bird-$n.pid" >> "/tmp/bird-$n.log" 2>&1 &
        wait_until 20 "BIRD in $n to answer" $BIRDC -s "/run/bird-$n.ctl" show status
    done
}

ecmp_start() { # TOOL NAME
    if [ "$1" = keepalived ]; then
        in_ns "$2" $KEEPALIVED -C -n -l -D -f /tmp/ecmp.conf -p "/run/ka-$2.pid" \
            -c "/run/ka-$2-chk.pid" >> "/tmp/ka-$2.log" 2>&1 &
    else
        in_ns "$2" $LVSMON run -f /tmp/ecmp.conf --control "/run/lvsmon-$2.sock" >> "/tmp/lvsmon-$2.log" 2>&1 &
    fi
}

ecmp_trial() { # TOOL TRIAL
    ecmp_topology
    ecmp_conf "$1" > /tmp/ecmp.conf
    ecmp_start "$1" d1
    ecmp_start "$1" d2
    wait_until 30 "$1: both Directors to program rs1-rs3" ecmp_tables
    wait_until 40 "$1: the router to route the VIP over d1 and d2" paths_are "$BOTH"
    flow_map /tmp/map-before.txt
    sport=$((44000 + $2 * 100))
    rm -f /tmp/long.txt
    : > /tmp/short.log
    $IP netns exec client $STREAMS client $VIP 9000 $NLONG /tmp/long.txt --sport "$sport" --short /tmp/short.log 200 --seconds 120 &
    cpid=$!
    wait_until 30 "$1: $NLONG long connections open" long_open $NLONG
    cp /tmp/long.txt /tmp/long-before.txt
    quorum_out 198.51.100.2
    t0=$($STREAMS now)
    wait_until 30 "$1: the router to drop d1's path" paths_are 198.51.100.3
    withdraw=$(( $($STREAMS now) - t0 ))
    sleep 5
    wait_until 30 "$1: long connections to resume or end" settled
    kept=$(awk 'NR == FNR { b[$2] = $4; next } $5 == "open" && $7 < 1000 && b[$2] == $4 { n++ } END { print n + 0 }' /tmp/long-before.txt /tmp/long.txt)
    reset=$(awk '$5 != "open"' /tmp/long.txt | wc -l)
    short_failed=$(awk -v t="$t0" '$1 >= t && $3 != "ok"' /tmp/short.log | wc -l)
    flow_map /tmp/map-d2.txt
    moved_withdraw=$(changed /tmp/map-before.txt /tmp/map-d2.txt)
    kill $cpid 2>/dev/null; wait $cpid 2>/dev/null
    quorum_in 198.51.100.2
    wait_until 40 "$1: d1 to announce again" paths_are "$BOTH"
    wait_until 30 "$1: d1 to program rs1-rs3 again" ecmp_tables
    flow_map /tmp/map-after.txt
    moved_return=$(changed /tmp/map-before.txt /tmp/map-after.txt)
    echo "BENCH ha ecmp tool=$1 trial=$2 withdraw_ms=$withdraw kept=$kept of=$NLONG reset=$reset short_failed=$short_failed flows_moved_withdraw=$moved_withdraw flows_moved_return=$moved_return of_flows=$NFLOWS"
}

for t in $(seq 1 "$TRIALS"); do
    # Alternate which tool goes first.
    if [ $((t % 2)) = 1 ]; then order="keepalived lvsmon"; else order="lvsmon keepalived"; fi
    for tool in $order; do
        step "vrrp: $tool, trial $t"
        vrrp_trial $tool $t
    done
    for tool in $order; do
        step "ecmp: $tool, trial $t"
        ecmp_trial $tool $t
    done
done
ha_teardown
