# Helpers sourced by every scenario (busybox sh). A scenario fails through `fail`, which
# records the reason that /init prints in the verdict line. Every wait loop is bounded.
#
# Namespace layout (director = the root namespace):
#   dir0   192.0.2.1/24 (director), 192.0.2.10/32 (VIP)    .11 (second VIP)
#   br0      198.51.100.1/24  <- veth ->  netns rs1 198.51.100.2, rs2 .3, rs3 .4
#   vc0      203.0.113.1/24   <- veth ->  netns client 203.0.113.2 (default via .1)
# Real servers run busybox httpd on port 80 serving their own name; DR real servers also
# carry the VIP on lo with arp_ignore=1/arp_announce=2.

IP=/sbin/ip
IPVSADM=/usr/sbin/ipvsadm
LVSMON=/usr/bin/lvsmon
LVSMON_IPVSADM=/lvsmon-bin/ipvsadm
VIP=192.0.2.10
VIP2=192.0.2.11
DIRECTOR=192.0.2.1
CLIENT=203.0.113.2

fail() {
    echo "$*" > /tmp/fail-reason
    if [ -s /tmp/lvsmon.log ]; then echo "--- last lines of lvsmon's log"; tail -n 30 /tmp/lvsmon.log; fi
    # A scenario with several daemons names their logs in FAIL_LOGS, and a function that
    # prints its own state in FAIL_HOOK.
    [ -n "${FAIL_HOOK:-}" ] && $FAIL_HOOK
    for f in ${FAIL_LOGS:-}; do
        [ -s "$f" ] && { echo "--- last lines of $f"; tail -n 20 "$f"; }
    done
    echo "FAIL: $*"
    exit 1
}

step() { echo "== $*"; }

need_lvsmon() { [ -x "$LVSMON" ] || fail "no lvsmon binary in the initramfs (make static)"; }

# expect_eq WHAT GOT WANT
expect_eq() {
    [ "$2" = "$3" ] || fail "$1: got '$2', want '$3'"
}

# expect_same_file WHAT GOT_FILE WANT_FILE: byte-identical, shows a diff otherwise.
expect_same_file() {
    if ! cmp -s "$2" "$3"; then
        echo "--- $1: want ($3)"; cat "$3"
        echo "--- $1: got ($2)"; cat "$2"
        diff "$3" "$2"
        fail "$1 differs"
    fi
}

# expect_rc WHAT WANT_RC CMD...: runs CMD, output to /tmp/out, checks the exit code.
expect_rc() {
    what=$1; want=$2; shift 2
    "$@" > /tmp/out 2>&1
    got=$?
    [ "$got" = "$want" ] || { cat /tmp/out; fail "$what: exit code $got, want $want"; }
}

# wait_until SECONDS DESCRIPTION CMD...: polls CMD every 0.2 s, bounded.
wait_until() {
    limit=$(( $1 * 5 )); what=$2; shift 2
    n=0
    while [ "$n" -lt "$limit" ]; do
        "$@" >/dev/null 2>&1 && return 0
        n=$((n + 1))
        usleep 200000
    done
    "$@"
    fail "timed out after ${limit}x0.2s waiting for: $what"
}

in_ns() { ns=$1; shift; $IP netns exec "$ns" "$@"; }

# net_up: director interfaces, client namespace, bridge for real servers.
net_up() {
    sysctl -qw net.ipv4.ip_forward=1
    sysctl -qw net.ipv4.conf.all.rp_filter=0
    sysctl -qw net.ipv4.conf.default.rp_filter=0
    sysctl -qw net.ipv4.vs.conntrack=1 2>/dev/null
    $IP link add dir0 type dummy || fail "ip link add dir0"
    $IP addr add $DIRECTOR/24 dev dir0
    $IP addr add $VIP/32 dev dir0
    $IP addr add $VIP2/32 dev dir0
    $IP link set dir0 up
    $IP link add br0 type bridge || fail "ip link add br0 type bridge"
    $IP addr add 198.51.100.1/24 dev br0
    $IP link set br0 up
    # DR replies come back through the director (it is the real servers' gateway) with the
    # VIP, a local address, as their source: accept_local lets them be forwarded.
    sysctl -qw net.ipv4.conf.br0.accept_local=1
    sysctl -qw net.ipv4.conf.br0.rp_filter=0
    $IP netns add client || fail "ip netns add client"
    $IP link add vc0 type veth peer name vc1 || fail "ip link add vc0"
    $IP link set vc1 netns client
    $IP addr add 203.0.113.1/24 dev vc0
    $IP link set vc0 up
    in_ns client $IP addr add $CLIENT/24 dev vc1
    in_ns client $IP link set vc1 up
    in_ns client $IP link set lo up
    in_ns client $IP route add default via 203.0.113.1
}

# rs_add NAME ADDR [dr]: a real-server namespace on br0 serving "NAME" over HTTP on port 80.
rs_add() {
    name=$1; addr=$2; mode=${3:-nat}
    $IP netns add "$name" || fail "ip netns add $name"
    $IP link add "v$name" type veth peer name eth0 netns "$name" || fail "veth for $name"
    $IP link set "v$name" master br0 up
    in_ns "$name" $IP link set lo up
    in_ns "$name" $IP addr add "$addr/24" dev eth0
    in_ns "$name" $IP link set eth0 up
    in_ns "$name" $IP route add default via 198.51.100.1
    if [ "$mode" = dr ]; then
        in_ns "$name" sysctl -qw net.ipv4.conf.all.arp_ignore=1
        in_ns "$name" sysctl -qw net.ipv4.conf.all.arp_announce=2
        in_ns "$name" sysctl -qw net.ipv4.conf.eth0.arp_ignore=1
        in_ns "$name" sysctl -qw net.ipv4.conf.eth0.arp_announce=2
        in_ns "$name" $IP addr add $VIP/32 dev lo
        in_ns "$name" $IP addr add $VIP2/32 dev lo
    fi
    mkdir -p "/srv/$name"
    echo "$name" > "/srv/$name/index.html"
    rs_start "$name"
}

# rs_start NAME / rs_stop NAME: the real server's httpd (pid kept in /tmp/NAME.pid).
rs_start() {
    $IP netns exec "$1" httpd -f -p 80 -h "/srv/$1" &
    echo $! > "/tmp/$1.pid"
    wait_until 5 "httpd in $1" in_ns "$1" timeout 1 wget -q -O /dev/null http://127.0.0.1/
}
rs_stop() {
    [ -f "/tmp/$1.pid" ] && kill "$(cat "/tmp/$1.pid")" 2>/dev/null
    rm -f "/tmp/$1.pid"
    wait_until 5 "httpd in $1 to stop" sh -c "! $IP netns exec $1 timeout 1 wget -q -O /dev/null http://127.0.0.1/"
}

# wlc_reals: the network, then rs1-rs3 (198.51.100.2-4, NAT) with rs1's httpd stopped:
# the set-up of the slow-start scenario and of the wlc flood bench.
wlc_reals() {
    net_up
    rs_add rs1 198.51.100.2
    rs_stop rs1
    rs_add rs2 198.51.100.3
    rs_add rs3 198.51.100.4
}

# local_httpd NAME ADDR: an httpd in the director namespace (e.g. a sorry server).
local_httpd() {
    mkdir -p "/srv/$1"
    echo "$1" > "/srv/$1/index.html"
    httpd -f -p "$2:80" -h "/srv/$1" &
    echo $! > "/tmp/$1.pid"
    wait_until 5 "httpd $1 on $2" timeout 1 wget -q -O /dev/null "http://$2/"
}

# client_run N [ADDR]: N HTTP requests from the client namespace to ADDR (default VIP);
# prints "name count" lines sorted by name, "none" for failed requests.
client_run() {
    n=$1; addr=${2:-$VIP}
    i=0
    : > /tmp/client.out
    while [ "$i" -lt "$n" ]; do
        body=$(in_ns client timeout 3 wget -q -O - "http://$addr/" 2>/dev/null) || body=none
        [ -n "$body" ] || body=none
        echo "$body" >> /tmp/client.out
        i=$((i + 1))
    done
    sort /tmp/client.out | uniq -c | awk '{print $2" "$1}' | tr '\n' ' ' | sed 's/ $//'
}

# ---- lvsmon helpers -------------------------------------------------------------------

# lvsmon_start CONF [ARGS...]: the daemon in the background, log in /tmp/lvsmon.log.
lvsmon_start() {
    need_lvsmon
    conf=$1; shift
    $LVSMON run -f "$conf" "$@" >> /tmp/lvsmon.log 2>&1 &
    echo $! > /tmp/lvsmon.pid
    wait_until 10 "lvsmon status to answer" $LVSMON status
}

# lvsmon_stop [SIGNAL]: signal the daemon (default TERM) and wait for it to exit.
lvsmon_stop() {
    pid=$(cat /tmp/lvsmon.pid 2>/dev/null) || return 0
    kill "-${1:-TERM}" "$pid" 2>/dev/null
    wait_until 10 "lvsmon (pid $pid) to exit" sh -c "! kill -0 $pid"
    wait "$pid" 2>/dev/null
    rm -f /tmp/lvsmon.pid
}

show_lvsmon_log() { echo "--- lvsmon log"; tail -n 40 /tmp/lvsmon.log; }

# kernel_dest SVC RS: "FORWARD WEIGHT" of a destination in Debian's ipvsadm -Ln, or nothing.
kernel_dest() {
    $IPVSADM -Ln -t "$1" 2>/dev/null | awk -v rs="$2" '$1 == "->" && $2 == rs { print $3" "$4 }'
}

# kernel_dests SVC: the destinations of a service as "rs:port:weight" words, sorted.
kernel_dests() {
    $IPVSADM -Ln -t "$1" 2>/dev/null | awk '$1 == "->" && $2 != "RemoteAddress:Port" { print $2":"$4 }' | sort | tr '\n' ' ' | sed 's/ $//'
}

# wait_dests SECONDS SVC WANT: until kernel_dests SVC prints WANT.
wait_dests() {
    limit=$(( $1 * 5 )); n=0
    while [ "$n" -lt "$limit" ]; do
        [ "$(kernel_dests "$2")" = "$3" ] && return 0
        n=$((n + 1)); usleep 200000
    done
    $IPVSADM -Ln; show_lvsmon_log
    fail "after ${1}s the kernel has '$(kernel_dests "$2")' for $2, want '$3'"
}

# real_json ADDR:PORT: the status --json fields of one real server (address..in_table).
real_json() {
    $LVSMON status --json | grep -o "\"address\":\"$1\",\"health\":\"[a-z]*\",\"configured_weight\":[0-9-]*,\"current_weight\":[0-9-]*,\"in_table\":[a-z]*"
}

# wait_json SECONDS WHAT ADDR:PORT FIELDS: until real_json ADDR:PORT contains FIELDS.
wait_json() {
    limit=$(( $1 * 5 )); n=0
    while [ "$n" -lt "$limit" ]; do
        case "$(real_json "$3")" in *"$4"*) return 0 ;; esac
        n=$((n + 1)); usleep 200000
    done
    $LVSMON status --json; show_lvsmon_log
    fail "$2: status --json has '$(real_json "$3")', want '$4'"
}

# conns SVC RS: the kernel's connection counter of a destination (ipvsadm -Ln --stats).
conns() {
    $IPVSADM -Ln --stats -t "$1" | awk -v rs="$2" '$1 == "->" && $2 == rs { print $3 }'
}

# min_fds PID: the fewest open fds of PID over 20 samples 0.1 s apart (a probe in flight
# holds a socket, an idle moment holds none).
min_fds() {
    m=100000; k=0
    while [ $k -lt 20 ]; do
        c=$(ls /proc/$1/fd 2>/dev/null | wc -l); [ "$c" -lt "$m" ] && m=$c
        k=$((k + 1)); usleep 100000
    done
    echo $m
}

# vm_rss PID: VmRSS of PID in KiB.
vm_rss() { awk '/^VmRSS:/{print $2}' /proc/$1/status; }

# ---- several Directors (ha-vrrp, ha-ecmp, demo-ha) -----------------------------------
# Every Director, real server and router is a namespace of its own; the root namespace is
# the switch: one bridge per segment. Traffic: `streams` (board/qemu/streams) serves a
# byte every 100 ms on port 9000 of each real server and holds the client's connections.
STREAMS=/usr/bin/streams
KEEPALIVED=/usr/sbin/keepalived
BIRD=/usr/sbin/bird
BIRDC=/usr/sbin/birdc

need_ha_tools() {
    need_lvsmon
    for b in $STREAMS $KEEPALIVED $BIRD $BIRDC; do
        [ -x "$b" ] || fail "no $b in the initramfs (build-initramfs.sh; run-vm.sh boots initramfs-ha for ha-*)"
    done
}

# ha_bridge NAME: a segment (a bridge in the root namespace). Its MAC address is set, so
# it stays fixed: a bridge otherwise takes the lowest MAC of its ports, and a Director's
# namespace made anew (random MAC) or deleted changes it; where the bridge carries the
# router's address (ha-vrrp) every neighbour then sends to a MAC that is gone until its
# ARP entry is probed again, and all traffic through the router stalls for seconds.
ha_bridge() {
    $IP link add "$1" type bridge || fail "ip link add $1 type bridge"
    # Set on the link (not at creation): the kernel keeps a MAC set this way.
    $IP link set "$1" address 02:00:00:00:00:01 || fail "ip link set $1 address"
    $IP link set "$1" up
}

# ha_port NS BRIDGE IFNAME ADDR/LEN: NS (created when missing) joins BRIDGE through a veth
# whose NS end is IFNAME; the root end is named NS-IFNAME (at most 15 characters).
ha_port() {
    ns=$1; br=$2; ifn=$3; cidr=$4
    [ -e "/run/netns/$ns" ] || {
        $IP netns add "$ns" || fail "ip netns add $ns"
        in_ns "$ns" $IP link set lo up
    }
    $IP link add "$ns-$ifn" type veth peer name "$ifn" netns "$ns" || fail "veth $ns-$ifn"
    $IP link set "$ns-$ifn" master "$br" up
    in_ns "$ns" $IP addr add "$cidr" dev "$ifn"
    in_ns "$ns" $IP link set "$ifn" up
}

# ha_dr_real NS VIP: the real-server side of DR: VIP on lo, never answered in ARP.
ha_dr_real() {
    for k in all default eth0; do
        in_ns "$1" sysctl -qw net.ipv4.conf.$k.arp_ignore=1
        in_ns "$1" sysctl -qw net.ipv4.conf.$k.arp_announce=2
    done
    in_ns "$1" $IP addr add "$2/32" dev lo
}

# ha_serve NS NAME: the streaming server on port 9000 (pid in /tmp/serve-NS.pid).
ha_serve() {
    $IP netns exec "$1" $STREAMS serve 9000 "$2" > "/tmp/serve-$1.log" 2>&1 &
    echo $! > "/tmp/serve-$1.pid"
}

# ha_kill_ns NS: SIGKILL to every process of NS (a Director's machine dying).
ha_kill_ns() {
    pids=$($IP netns pids "$1")
    [ -z "$pids" ] || kill -9 $pids 2>/dev/null
    wait_until 5 "every process of $1 to die" sh -c "[ -z \"\$($IP netns pids $1)\" ]"
}

# long_summary FILE: "open=N other=N rs1=N rs2=N ..." from a `streams client` status file
# (rsN counts open connections by the real server they are on).
long_summary() {
    o=$(awk '$5 == "open" { n++ } END { print n + 0 }' "$1")
    x=$(awk '$5 != "open" { n++ } END { print n + 0 }' "$1")
    by=$(awk '$5 == "open" { print $4 }' "$1" | sort | uniq -c | awk '{ printf " %s=%s", $2, $1 }')
    echo "open=$o other=$x$by"
}

# long_flowing FILE MS: how many connections are open and got a byte within the last MS.
long_flowing() { awk -v ms="$2" '$5 == "open" && $7 < ms { n++ } END { print n + 0 }' "$1"; }

# long_map FILE: "I:NAME" per connection (the real server each one is on), one line.
long_map() { awk '{ printf "%s:%s ", $2, $4 } END { print "" }' "$1"; }

# ha_teardown: every namespace (its processes killed first), veth and bridge the HA
# scenarios made, so demo-ha can run both in one boot and bench/vm/ha.sh one trial after
# another.
ha_teardown() {
    for n in $($IP netns list | awk '{print $1}'); do
        pids=$($IP netns pids "$n")
        [ -z "$pids" ] || kill -9 $pids 2>/dev/null
        $IP netns del "$n"
    done
    # A deleted namespace is torn down later by the kernel (and not while a killed
    # process in it is still being reaped), its veths with it: delete their root ends now
    # (that removes each pair), so the next scenario can make links of the same names.
    for l in $($IP -o link show type veth | awk -F': ' '{ sub(/@.*/, "", $2); print $2 }'); do
        $IP link del "$l" 2>/dev/null
    done
    for l in lan0 vc0; do $IP link del "$l" 2>/dev/null; done
    wait_until 20 "the HA scenario's links to go" sh -c "[ -z \"\$($IP -o link show type veth)\" ]"
    rm -f /tmp/long*.txt /tmp/short.log /run/lvsmon-*.sock /run/bird-*
    return 0
}

# demo_show WHAT CMD...: in `make demo-ha` (DEMO_HA=1) prints `$ WHAT` and runs CMD;
# in the tests it does nothing.
demo_show() {
    [ -n "${DEMO_HA:-}" ] || return 0
    echo "\$ $1"; shift
    "$@" 2>&1 | sed 's/^/    /'
}
