# ha-vrrp: an active/backup pair of Directors, each running keepalived's VRRP half
# (`keepalived -P`) and lvsmon on one unchanged keepalived.conf (`-i d1` / `-i d2` pick the
# per-Director priority lines). The client holds 50 long-lived connections (a byte every
# 100 ms) and opens a short one every 200 ms. The master dies (links down, every process
# -9): every connection the backup had received through the sync daemon survives on its
# real server, new connections come back within VRRP's master-down time + 1 s, and the old
# master's return keeps them too. Negative control: without lvs_sync_daemon the same
# failover resets every long connection, so the test can fail.
#
#   netns client 203.0.113.2 --(vc0/vc1)-- root: router 203.0.113.1, 192.0.2.1 on lan0
#   lan0 (bridge): d1 192.0.2.2, d2 192.0.2.3 (VIP 192.0.2.10 on the VRRP master's eth0)
#                  rs1 192.0.2.21, rs2 192.0.2.22 (DR: VIP on lo; reply straight to the router)
# vm-budget: 240  (run-vm.sh: seconds the scenario may take; ~60 s on an idle machine)
need_ha_tools
FAIL_LOGS="/tmp/ka-d1.log /tmp/ka-d2.log /tmp/lvsmon-d1.log /tmp/lvsmon-d2.log"
FAIL_HOOK=ha_diag
SVC=$VIP:9000
ADVERT=1
PREEMPT_DELAY=8
# VRRP's master-down interval for the backup (priority 100): 3 adverts + skew.
MASTER_DOWN_MS=$(( 3 * ADVERT * 1000 + (256 - 100) * ADVERT * 1000 / 256 ))

ha_conf() { # with|without: the sync daemon line
    sync="lvs_sync_daemon eth0 VI_1"
    [ "$1" = with ] || sync="# no sync daemon (negative control)"
    cat <<EOF
global_defs {
    $sync
}
vrrp_instance VI_1 {
    state BACKUP
    interface eth0
    virtual_router_id 51
    @d1 priority 150
    @d2 priority 100
    advert_int $ADVERT
    preempt_delay $PREEMPT_DELAY
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

director_start() { # NAME
    in_ns "$1" $KEEPALIVED -P -n -l -G -D -f /tmp/ha.conf -i "$1" -p "/run/ka-$1.pid" \
        -r "/run/ka-$1-vrrp.pid" -c "/run/ka-$1-chk.pid" >> "/tmp/ka-$1.log" 2>&1 &
    in_ns "$1" $LVSMON run -f /tmp/ha.conf --control "/run/lvsmon-$1.sock" >> "/tmp/lvsmon-$1.log" 2>&1 &
    wait_until 20 "lvsmon in $1 to answer" $LVSMON status --control "/run/lvsmon-$1.sock"
}
has_vip() { in_ns "$1" $IP -4 addr show dev eth0 | grep -q " $VIP/32 "; }
is_master() { has_vip "$1" && ! has_vip "$2"; }
dests() { in_ns "$1" $IPVSADM -Ln -t $SVC | awk '$1 == "->" && $2 != "RemoteAddress:Port" { print $2":"$4 }' | sort | tr '\n' ' '; }
both_tables() { [ "$(dests d1)" = "192.0.2.21:9000:1 192.0.2.22:9000:1 " ] && [ "$(dests d2)" = "192.0.2.21:9000:1 192.0.2.22:9000:1 " ]; }
# synced NS: connections to the service in NS's IPVS connection table that are ESTABLISHED
# and come from the long-lived source ports (SPORT..SPORT+49).
synced() { in_ns "$1" $IPVSADM -Lnc | awk -v vip="$SVC" -v lo="$SPORT" '$3 == "ESTABLISHED" && $5 == vip { split($4, a, ":"); if (a[2] >= lo && a[2] < lo + 50) n++ } END { print n + 0 }'; }
# svc_rate NS: the service's incoming packets per second and connections in NS's table.
svc_rate() { echo "in $(in_ns "$1" $IPVSADM -Ln --rate -t $SVC | awk '$1 == "TCP" { print $4 }') pkt/s, $(in_ns "$1" $IPVSADM -Lnc | grep -c ESTABLISHED) established"; }
daemons() { in_ns "$1" $IPVSADM -L --daemon | tr '\n' ';'; }
# first_ok_after MS: epoch ms when the first short connection started after MS succeeded
# (its end: by then new connections were certainly back; one starts every 200 ms).
first_ok_after() { awk -v t="$1" '$1 >= t && $3 == "ok" && (m == "" || $2 < m) { m = $2 } END { print m }' /tmp/short.log; }
short_after() { awk -v t="$1" '$1 >= t { if ($3 == "ok") ok++; else bad++ } END { printf "ok=%d failed=%d", ok, bad }' /tmp/short.log; }
has_short_ok() { [ -n "$(first_ok_after "$1")" ]; }
all_synced() { [ "$(synced "$1")" = 50 ]; }
long_open() { [ -f /tmp/long.txt ] && [ "$(long_flowing /tmp/long.txt 100000)" = "$1" ]; }
# flowing_all: every long connection open and fed within the last second.
flowing_all() { [ "$(long_flowing /tmp/long.txt 1000)" = 50 ]; }
# advancing: over 3 s every long connection got at least 10 more bytes (a stream that
# only gets the real server's retransmissions, its ACKs lost, gets one now and then).
advancing() {
    cp /tmp/long.txt /tmp/long-t0.txt
    sleep 3
    n=$(awk 'NR == FNR { b[$2] = $6; next } $5 == "open" && $6 >= b[$2] + 10 { n++ } END { print n + 0 }' /tmp/long-t0.txt /tmp/long.txt)
    echo "$n of 50 long connections advanced by 10 bytes or more in 3 s"
    [ "$n" = 50 ] || fail "only $n of 50 long connections kept streaming"
}

ha_diag() {
    echo "--- router's neighbour entry for the VIP: $($IP neigh show $VIP)"
    echo "--- lan0 (the router) $(cat /sys/class/net/lan0/address); rs1's entry for it: $($IP netns exec rs1 $IP neigh show 192.0.2.1)"
    for d in d1 d2; do [ -e /run/netns/$d ] && echo "--- $d eth0 $($IP netns exec $d cat /sys/class/net/eth0/address): $($IP netns exec $d $IP -4 -br addr show dev eth0)"; done
    [ -e /run/netns/d2 ] && { echo "--- d2 ipvsadm -Lnc:"; $IP netns exec d2 $IPVSADM -Lnc | head -n 6; }
    [ -f /tmp/short.log ] && { echo "--- last short connections:"; sort -n /tmp/short.log | tail -n 5; }
    [ -f /tmp/long.txt ] || return 0
    echo "--- client: $(long_summary /tmp/long.txt); connections not streaming within 1 s:"
    awk '$5 != "open" || $7 >= 1000' /tmp/long.txt | head -n 20
    echo "--- kernel IPVS messages:"; dmesg | grep -i ipvs | tail -n 10
    for d in d1 d2; do
        [ -e /run/netns/$d ] && echo "--- $d sync sysctls: $(in_ns $d sysctl -n net.ipv4.vs.sync_threshold) refresh $(in_ns $d sysctl -n net.ipv4.vs.sync_refresh_period); rate: $(svc_rate $d)"
        [ -e /run/netns/$d ] && echo "--- $d holds $(synced $d) long connections; daemons: $(daemons $d)"
    done
}

# kill_director NAME: the machine dies: links down first (no farewell advert can leave),
# then every process -9. T_FAULT: the epoch ms when its link was down.
kill_director() {
    $IP link set "$1-eth0" down
    T_FAULT=$($STREAMS now)
    ha_kill_ns "$1"
}
# director_node NAME ADDR: the Director's namespace on lan0 (made again after a "reboot").
# sync_threshold "3 10": a connection is sent to the backup at its 3rd packet, then every
# 10th (default every 50th). The returning master learns a connection only when the
# current master sends it again, so preempt_delay must exceed that re-sync time. These
# long connections bring ~5 packets/s each to the Director (the client's ACKs; DR), so
# with the default 50 the re-sync takes ~10 s, longer than the ~11 s between the
# returning d1's start and its preemption only by luck: 3 of 7 runs, and 3 of 5 again
# when measured (d1 holding 25, 0, 25 of the 50), took the VIP back before d1 had learned
# every connection, and those were reset. With 10 it is ~2 s, well inside preempt_delay.
director_node() {
    ha_port "$1" lan0 eth0 "$2/24"
    in_ns "$1" $IP route add default via 192.0.2.1
    in_ns "$1" sysctl -qw net.ipv4.vs.sync_threshold="3 10" || fail "sysctl sync_threshold in $1"
}

# start_client SPORT: 50 long-lived connections from SPORT.., short ones every 200 ms.
start_client() {
    SPORT=$1
    : > /tmp/short.log
    rm -f /tmp/long.txt
    $IP netns exec client $STREAMS client $VIP 9000 50 /tmp/long.txt --sport "$SPORT" --short /tmp/short.log 200 --seconds 150 &
    echo $! > /tmp/client.pid
    wait_until 30 "50 long connections open" long_open 50
}
stop_client() { kill "$(cat /tmp/client.pid)" 2>/dev/null; wait "$(cat /tmp/client.pid)" 2>/dev/null; }

step "topology: client, router, lan0 with d1 d2 rs1 rs2"
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
# Fixed source ports 41000.. and 42000.. stay clear of the short connections' ports.
in_ns client sysctl -qw net.ipv4.ip_local_port_range="20000 29999"
for n in d1:2 d2:3 rs1:21 rs2:22; do director_node "${n%:*}" "192.0.2.${n#*:}"; done
for r in rs1 rs2; do ha_dr_real $r $VIP; ha_serve $r $r; done

step "phase 1: keepalived -P + lvsmon on both Directors, sync daemon configured"
ha_conf with > /tmp/ha.conf
director_start d1
director_start d2
wait_until 30 "d1 to be VRRP master (VIP on d1 only)" is_master d1 d2
wait_until 20 "both Directors to program rs1 and rs2" both_tables
echo "d1 daemons: $(daemons d1)"
echo "d2 daemons: $(daemons d2)"
demo_show "cat keepalived.conf   (the same file on d1 and d2)" cat /tmp/ha.conf
demo_show "lvsmon status   (on d1)" $LVSMON status --control /run/lvsmon-d1.sock
daemons d1 | grep -q "master sync daemon" || fail "the master d1 runs no master sync daemon: $(daemons d1)"
daemons d2 | grep -q "backup sync daemon" || fail "the backup d2 runs no backup sync daemon: $(daemons d2)"

start_client 41000
echo "client: $(long_summary /tmp/long.txt)"
# Connections older than the sync threshold: the backup's table holds every one of them.
wait_until 30 "d2 to hold all 50 long connections (synced)" all_synced d2
echo "d2 holds $(synced d2) of the 50 long connections"
cp /tmp/long.txt /tmp/long-before.txt
demo_show "ipvsadm -Lnc   (on the backup d2: the master's connections, synced)" sh -c "$IP netns exec d2 $IPVSADM -Lnc | head -n 8"

step "the master d1 dies (links down, kill -9)"
kill_director d1
t_kill=$T_FAULT
wait_until 20 "d2 to take the VIP" has_vip d2
wait_until 30 "a new connection after the fault" has_short_ok "$t_kill"
outage=$(( $(first_ok_after "$t_kill") - t_kill ))
bound=$(( MASTER_DOWN_MS + 1000 ))
echo "new-connection outage ${outage} ms (bound: master-down ${MASTER_DOWN_MS} ms + 1 s = ${bound} ms)"
[ "$outage" -le "$bound" ] || fail "new connections were out ${outage} ms, more than ${bound} ms"
# The long connections stall until the real server's next retransmission reaches the
# client after the takeover (exponential backoff); then every one streams again.
wait_until 40 "all 50 long connections streaming through d2" flowing_all
advancing
echo "client after the failover: $(long_summary /tmp/long.txt)"
expect_eq "long connections after the failover" "$(long_summary /tmp/long.txt)" "$(long_summary /tmp/long-before.txt)"
expect_eq "real server of each connection after the failover" "$(long_map /tmp/long.txt)" "$(long_map /tmp/long-before.txt)"
echo "short connections since the fault: $(short_after "$t_kill")"
demo_show "ip -4 addr show eth0   (on d2: it holds the VIP now)" $IP netns exec d2 $IP -4 addr show dev eth0
demo_show "lvsmon status   (on d2)" $LVSMON status --control /run/lvsmon-d2.sock

step "the old master d1 returns as after a reboot (new namespace: empty IPVS, no VIP)"
$IP netns del d1
director_node d1 192.0.2.2
t_back=$($STREAMS now)
director_start d1
# preempt_delay: d1 stays backup long enough to learn every connection from d2's master
# sync daemon (each is sent again every 10 packets, ~2 s here) before it takes over.
wait_until 10 "d1 to run a backup sync daemon" sh -c "$IP netns exec d1 $IPVSADM -L --daemon | grep -q 'backup sync daemon'"
# How many long connections d1 had learned when it took over (sampled until then).
n=0; learned=0
while ! is_master d1 d2; do
    learned=$(synced d1)
    [ $((n % 5)) != 0 ] || echo "  +$(( $($STREAMS now) - t_back )) ms: d1 holds $learned of the 50 long connections; d2 $(svc_rate d2)"
    n=$((n + 1)); [ $n -lt 100 ] || fail "d1 did not take the VIP back (preempt)"
    usleep 200000
done
t_pre=$($STREAMS now)
echo "d1 took the VIP back $(( t_pre - t_back )) ms after its start, holding $learned of the 50 long connections"
[ "$learned" = 50 ] || fail "d1 preempted holding $learned of the 50 long connections: preempt_delay (${PREEMPT_DELAY} s) shorter than the re-sync time (sync_threshold $(in_ns d2 sysctl -n net.ipv4.vs.sync_threshold); $(svc_rate d2) on d2)"
wait_until 30 "a new connection after d1's return" has_short_ok "$($STREAMS now)"
sleep 2
wait_until 40 "all 50 long connections streaming through d1" flowing_all
advancing
echo "client after the return: $(long_summary /tmp/long.txt)"
expect_eq "long connections after the return" "$(long_summary /tmp/long.txt)" "$(long_summary /tmp/long-before.txt)"
expect_eq "real server of each connection after the return" "$(long_map /tmp/long.txt)" "$(long_map /tmp/long-before.txt)"
echo "short connections since the return: $(short_after "$t_back")"
echo "d1 daemons: $(daemons d1)"
echo "d2 daemons: $(daemons d2)"
stop_client

step "negative control: the same failover without lvs_sync_daemon"
for d in d1 d2; do
    ha_kill_ns $d
    [ "$(daemons $d)" = "" ] || echo "$d sync daemons left after kill -9: $(daemons $d)"
    in_ns $d $IPVSADM -C
    in_ns $d $IPVSADM --stop-daemon master 2>/dev/null
    in_ns $d $IPVSADM --stop-daemon backup 2>/dev/null
    expect_eq "$d sync daemons after --stop-daemon" "$(daemons $d)" ""
done
ha_conf without > /tmp/ha.conf
director_start d1
director_start d2
wait_until 30 "d1 to be VRRP master again" is_master d1 d2
wait_until 20 "both Directors to program rs1 and rs2" both_tables
expect_eq "d1 sync daemons without lvs_sync_daemon" "$(daemons d1)" ""
expect_eq "d2 sync daemons without lvs_sync_daemon" "$(daemons d2)" ""
start_client 42000
sleep 3
expect_eq "d2's copy of the long connections without a sync daemon" "$(synced d2)" 0
kill_director d1
t_kill=$T_FAULT
wait_until 20 "d2 to take the VIP" has_vip d2
wait_until 30 "a new connection after the fault" has_short_ok "$t_kill"
wait_until 40 "every long connection to break" long_open 0
echo "client without sync after the failover: $(long_summary /tmp/long.txt)"
resets=$(awk '$5 == "reset"' /tmp/long.txt | wc -l)
echo "negative control: $resets of 50 long connections reset"
[ "$resets" -gt 0 ] || fail "no connection was reset without the sync daemon"
stop_client
echo "ha-vrrp: 50/50 long connections kept across failover and return; outage ${outage} ms; without sync $resets/50 reset"
