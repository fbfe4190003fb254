# Hostile network: real servers whose SYNs vanish (no RST, no ICMP, no ARP failure).
# Twenty addresses live in netns bh behind one veth on br0; the director has permanent
# neighbour entries for them, so when the far end of the veth (eth0 in bh) is set down the
# director still sends each SYN, the bridge drops it, and nothing ever comes back. Ten are
# checked by TCP_CHECK (connect_timeout 1) on $VIP:80, ten by HTTP_GET (connect_timeout 1.5)
# on $VIP2:80; rs1 (198.51.100.2) stays up in both. lvsmon must:
#   - judge each blackholed server down by its own deadline, with the log text
#     "is DOWN: timeout after 1000 ms" / "... 1500 ms", once per server, and a probe
#     latency (status --json) of at least the deadline and at most the deadline + 2 s;
#   - remove them from the kernel table (Debian's ipvsadm and lvsmon save agree);
#   - keep probing them (several hundred blackholed connects, counted by the director's
#     TCP ActiveOpens) with fds bounded by one per probe in flight, and log nothing more;
#   - put every one back once the link is up, and end with the starting table, the starting
#     fd count and VmRSS within 64 KiB of the start.
need_lvsmon
PROBES=300
net_up
rs_add rs1 198.51.100.2

step "netns bh: 198.51.100.20-39 behind one veth"
$IP netns add bh || fail "ip netns add bh"
$IP link add vbh type veth peer name eth0 netns bh || fail "veth for bh"
$IP link set vbh master br0 up
in_ns bh $IP link set lo up
in_ns bh $IP link set eth0 up
in_ns bh sysctl -qw net.ipv4.conf.all.promote_secondaries=1
in_ns bh sysctl -qw net.ipv4.conf.eth0.promote_secondaries=1
i=20
while [ $i -lt 40 ]; do echo "addr add 198.51.100.$i/24 dev eth0"; i=$((i + 1)); done > /tmp/addrs
in_ns bh $IP -batch /tmp/addrs || fail "addresses for bh"
in_ns bh $IP route add default via 198.51.100.1
mkdir -p /srv/bh; echo bh > /srv/bh/index.html
in_ns bh httpd -f -p 80 -h /srv/bh &
wait_until 5 "httpd in bh" in_ns bh timeout 1 wget -q -O /dev/null http://198.51.100.20/
# Permanent neighbour entries: with the link down, an ARP miss would turn into a local
# "host unreachable" after a few seconds; a blackhole must stay silent instead.
mac=$(in_ns bh $IP -o link show eth0 | sed -n 's/.*link\/ether \([0-9a-f:]*\) .*/\1/p')
[ -n "$mac" ] || fail "no MAC address for eth0 in bh"
i=20
while [ $i -lt 40 ]; do echo "neigh replace 198.51.100.$i lladdr $mac dev br0 nud permanent"; i=$((i + 1)); done > /tmp/neigh
$IP -batch /tmp/neigh || fail "permanent neighbour entries"

real_tcp() {
    printf '    real_server %s 80 {\n        weight 1\n        TCP_CHECK {\n            connect_timeout 1\n            retry 0\n        }\n    }\n' "$1"
}
real_http() {
    printf '    real_server %s 80 {\n        weight 1\n        HTTP_GET {\n            url {\n                path /\n                status_code 200\n            }\n            connect_timeout 1.5\n            retry 0\n        }\n    }\n' "$1"
}
{
    printf 'virtual_server %s 80 {\n    delay_loop 0.5\n    lb_algo wrr\n    lb_kind NAT\n    protocol TCP\n' $VIP
    real_tcp 198.51.100.2
    i=20; while [ $i -lt 30 ]; do real_tcp 198.51.100.$i; i=$((i + 1)); done
    echo "}"
    printf 'virtual_server %s 80 {\n    delay_loop 0.5\n    lb_algo wrr\n    lb_kind NAT\n    protocol TCP\n' $VIP2
    real_http 198.51.100.2
    i=30; while [ $i -lt 40 ]; do real_http 198.51.100.$i; i=$((i + 1)); done
    echo "}"
} > /tmp/lvsmon.conf
$LVSMON check -f /tmp/lvsmon.conf || fail "lvsmon check rejected the config"

# The destinations as kernel_dests prints them (sorted words "addr:port:weight").
dests() { { echo 198.51.100.2:80:1; i=$1; while [ $i -lt $2 ]; do echo 198.51.100.$i:80:1; i=$((i + 1)); done; } | sort | tr '\n' ' ' | sed 's/ $//'; }
all_tcp=$(dests 20 30)
all_http=$(dests 30 40)

step "lvsmon up, all 22 destinations in the kernel"
$LVSMON run -f /tmp/lvsmon.conf --control /tmp/lvsmon.sock --log-file /tmp/lvsmon.log &
pid=$!
wait_dests 30 $VIP:80 "$all_tcp"
wait_dests 30 $VIP2:80 "$all_http"
# Sorted: a destination that left and came back is listed last by the kernel.
$IPVSADM -Sn | sort > /tmp/start.S
$LVSMON save | sort > /tmp/start.lvsmon.S
expect_same_file "lvsmon save vs ipvsadm -Sn at the start" /tmp/start.lvsmon.S /tmp/start.S
sleep 2
# The director's TCP ActiveOpens (SYNs sent by connect()): in the root netns only lvsmon
# connects (every wget here runs in another namespace).
active_opens() { awk '/^Tcp:/ { if (n++) print $6 }' /proc/net/snmp; }
fds0=$(min_fds $pid); rss0=$(vm_rss $pid)
step "baseline: fds $fds0, VmRSS $rss0 KiB"

step "link down on the far side: SYNs to 198.51.100.20-39 vanish"
up0=$(cut -d' ' -f1 /proc/uptime)
in_ns bh $IP link set eth0 down || fail "ip link set eth0 down in bh"
opens0=$(active_opens)
wait_dests 15 $VIP:80 "198.51.100.2:80:1"
wait_dests 15 $VIP2:80 "198.51.100.2:80:1"
up1=$(cut -d' ' -f1 /proc/uptime)
secs=$(awk -v a="$up0" -v b="$up1" 'BEGIN{printf "%.1f", b-a}')
echo "all 20 out of the kernel table ${secs}s after the link went down"
# Bound: delay_loop (0.5) + the longest deadline (1.5) + 8 s of slack (TCG, loaded host).
awk -v s="$secs" 'BEGIN{exit !(s <= 10.0)}' || fail "blackholed servers left the table after ${secs}s, want <= 10 s"
$IPVSADM -Sn | sort > /tmp/got.S
$LVSMON save | sort > /tmp/got.lvsmon.S
expect_same_file "lvsmon save vs ipvsadm -Sn, blackholed" /tmp/got.lvsmon.S /tmp/got.S
grep -v '198\.51\.100\.[23][0-9]:80' /tmp/start.S > /tmp/want.S
expect_same_file "ipvsadm -Sn, blackholed (the start minus the 20)" /tmp/got.S /tmp/want.S

step "each judged down by its own deadline, with the reason"
# check_down ADDR SERVICE MS: one DOWN line with the timeout reason, and the probe's
# latency between the deadline and the deadline + 2 s.
check_down() {
    n=$(grep -c "TCP $2 real server $1:80 is DOWN" /tmp/lvsmon.log)
    expect_eq "DOWN lines for $1" "$n" 1
    grep -q "TCP $2 real server $1:80 is DOWN: timeout after $3 ms\$" /tmp/lvsmon.log || {
        grep -F "$1:80" /tmp/lvsmon.log
        fail "$1: DOWN without 'timeout after $3 ms'"
    }
    j=$($LVSMON status --json --control /tmp/lvsmon.sock | grep -o "\"address\":\"$1:80\",[^}]*")
    case $j in *"\"last_result\":\"timeout after $3 ms\""*) ;; *) fail "$1: status --json says $j" ;; esac
    lat=$(echo "$j" | sed -n 's/.*"last_latency_ms":\([0-9]*\).*/\1/p')
    [ -n "$lat" ] && [ "$lat" -ge "$3" ] && [ "$lat" -le $(($3 + 2000)) ] ||
        fail "$1: probe latency '$lat' ms, want $3..$(($3 + 2000)) ms"
    echo "$1: timeout after $3 ms, latency ${lat} ms"
}
i=20; while [ $i -lt 30 ]; do check_down 198.51.100.$i $VIP:80 1000; i=$((i + 1)); done
i=30; while [ $i -lt 40 ]; do check_down 198.51.100.$i $VIP2:80 1500; i=$((i + 1)); done
grep -q 'real server 198.51.100.2:80 is DOWN' /tmp/lvsmon.log && fail "rs1 went down too"

step "$PROBES blackholed probes"
maxfds=0; k=0
while [ $(( $(active_opens) - opens0 )) -lt $PROBES ]; do
    [ $k -lt 300 ] || fail "only $(( $(active_opens) - opens0 )) connects in 60 s, want $PROBES"
    c=$(ls /proc/$pid/fd 2>/dev/null | wc -l); [ "$c" -gt "$maxfds" ] && maxfds=$c
    k=$((k + 1)); usleep 200000
done
opens=$(( $(active_opens) - opens0 ))
echo "$opens connects since the link went down, $(( k / 5 ))s; fds at most $maxfds"
# At most one socket per real server in flight (20 blackholed + rs1 twice).
[ "$maxfds" -le $((fds0 + 22)) ] || fail "fds reached $maxfds during the blackhole, baseline $fds0"
kill -0 $pid || fail "lvsmon died"
n=$(grep -c ' is DOWN' /tmp/lvsmon.log)
expect_eq "DOWN lines after $opens blackholed probes" "$n" 20
grep -q ' is UP' /tmp/lvsmon.log && fail "an UP line while blackholed"

step "link up: every server back"
in_ns bh $IP link set eth0 up || fail "ip link set eth0 up in bh"
wait_dests 20 $VIP:80 "$all_tcp"
wait_dests 20 $VIP2:80 "$all_http"
$IPVSADM -Sn | sort > /tmp/end.S
expect_same_file "ipvsadm -Sn after the link is back vs the start" /tmp/end.S /tmp/start.S
$LVSMON save | sort > /tmp/end.lvsmon.S
expect_same_file "lvsmon save vs ipvsadm -Sn at the end" /tmp/end.lvsmon.S /tmp/end.S
i=20
while [ $i -lt 40 ]; do
    n=$(grep -c "real server 198.51.100.$i:80 is UP" /tmp/lvsmon.log)
    expect_eq "UP lines for 198.51.100.$i" "$n" 1
    i=$((i + 1))
done
sleep 2
fds1=$(min_fds $pid); rss1=$(vm_rss $pid)
echo "BLACKHOLE: $opens blackholed connects, fds $fds0 -> $fds1 (at most $maxfds), VmRSS $rss0 -> $rss1 KiB"
expect_eq "fds at the end" "$fds1" "$fds0"
[ "$rss1" -le $((rss0 + 64)) ] || fail "VmRSS grew from $rss0 to $rss1 KiB"
grep -E 'WARN|ERROR' /tmp/lvsmon.log && fail "warnings or errors in the log"

kill -TERM $pid
wait_until 10 "lvsmon to exit" sh -c "! kill -0 $pid"
[ -z "$($IPVSADM -Sn)" ] || fail "table left behind after TERM"
