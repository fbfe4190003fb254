# bench: scale. 300 / 1000 / 4000 real servers checked by HTTP_GET every 1 s, lvsmon, the
# lvsmon build from before the start-to-start schedule (/usr/bin/lvsmon-before, when the
# initramfs has it: build-initramfs.sh's third argument) and keepalived (alternating order
# per size) on the same config and the same real servers: one
# namespace "srv" holding 198.51.100.2-254 and 203.0.113.2-254 behind one veth, and the
# bench responder (non-forking, threads) on ports 8000-8007 there. For each run: checks per
# second counted by the responder, CPU of all the tool's processes over the window
# (/proc/PID/stat utime+stime), RSS summed over them (VmRSS) at the end of the window.
# Third at each size, the responder's bare checker (`responder floor`, bench/responder/src/
# floor.rs) on the same config: the same connections with nothing else, i.e. what they
# cost in CPU whoever makes them.
# bench/vm/tls.sh sources this file with KIND=tls, CHECK=SSL_GET and TLS_VERSIONS set: the
# responder then serves TLS (RESPONDER_TLS) and only lvsmon and keepalived run (the bare
# checker speaks plain HTTP only).
need_lvsmon
R=/usr/bin/responder
WARM=${BENCH_WARM:-8}; WIN=${BENCH_WIN:-20}
KIND=${KIND:-scale}
SIZES=${SIZES:-300 1000 4000}
CHECK=${CHECK:-HTTP_GET}
TLS_VERSIONS=${TLS_VERSIONS:-none}
BEFORE=
[ -x /usr/bin/lvsmon-before ] && BEFORE=lvsmon-before
hz=100
sysctl -qw net.ipv4.ip_forward=1
$IP link add dir0 type dummy || fail "dir0"
$IP addr add 192.0.2.1/24 dev dir0
$IP addr add $VIP/32 dev dir0
$IP link set dir0 up
$IP netns add srv || fail "netns srv"
$IP link add vsrv type veth peer name eth0 netns srv || fail "veth srv"
$IP addr add 198.51.100.1/24 dev vsrv
$IP addr add 203.0.113.1/24 dev vsrv
$IP link set vsrv up
in_ns srv $IP link set lo up
in_ns srv $IP link set eth0 up
awk 'BEGIN { for (i = 2; i <= 254; i++) { print "addr add 198.51.100." i "/24 dev eth0"; print "addr add 203.0.113." i "/24 dev eth0" } }' > /tmp/addrs
in_ns srv $IP -batch /tmp/addrs || fail "addresses in srv"
in_ns srv $IP route add default via 198.51.100.1
wait_until 10 "srv reachable" ping -c1 -W1 198.51.100.254
# more local ports for thousands of connections a second from the director
sysctl -qw net.ipv4.ip_local_port_range="10000 60999"
sysctl -qw net.ipv4.tcp_tw_reuse=1
ulimit -n 65536

ticks() { awk '{s += $14 + $15} END {print s + 0}' $(for p in $1; do echo /proc/$p/stat; done) 2>/dev/null; }
rss() { awk '/^VmRSS/{s += $2} END {print s + 0}' $(for p in $1; do echo /proc/$p/status; done) 2>/dev/null; }
# the kernel's softirq thread: network work the kernel defers there when the vCPU is
# saturated is charged to no tool, so its share says how comparable CPU per check is
softirqd=$(grep -l '^ksoftirqd/' /proc/[0-9]*/comm 2>/dev/null | sed 's|/proc/\([0-9]*\)/comm|\1|' | tr '\n' ' ')

run_one() { # TOOL N  (lib.sh's wait_until uses $n: keep the count in $reals); $tlsv
    tool=$1; reals=$2
    BENCH_CHECK=$CHECK genconf 1 "$reals" doc 8000 8 1 1 1 > /tmp/s.conf
    $IPVSADM -C
    tlsenv=
    [ "$tlsv" = none ] || tlsenv=RESPONDER_TLS=$tlsv
    # answers 15 s past its window (uncounted), so the tool is stopped, its table read and
    # its log counted while the real servers still answer; then it exits by itself ($! is
    # not the responder's own pid: in_ns runs it in a child)
    in_ns srv env $tlsenv $R 8000 8007 2 $((WARM + WIN + 2)) 1000 "$((WARM + 2))" 15 > /tmp/resp.out &
    rpid=$!
    sleep 1
    if [ "$tool" = lvsmon ]; then
        $LVSMON run -f /tmp/s.conf --control /tmp/s.sock > /tmp/scale-$tool-$reals.log 2>&1 &
    elif [ "$tool" = lvsmon-before ]; then
        /usr/bin/lvsmon-before run -f /tmp/s.conf --control /tmp/s.sock > /tmp/scale-$tool-$reals.log 2>&1 &
    elif [ "$tool" = floor ]; then
        # ends by itself after the window and prints its counts
        $R floor /tmp/s.conf $((WARM + WIN + 3)) > /tmp/scale-$tool-$reals.log 2>&1 &
    else
        keepalived -C -n -l -f /tmp/s.conf -p /tmp/ka.pid -c /tmp/kac.pid > /tmp/scale-$tool-$reals.log 2>&1 &
    fi
    tpid=$!
    sleep $((WARM + 1))
    if [ "$tool" = floor ]; then pids=$tpid; else pids=$(pidof $tool); fi
    t0=$(ticks "$pids"); k0=$(ticks "$softirqd"); s0=$($R now)
    sleep "$WIN"
    t1=$(ticks "$pids"); k1=$(ticks "$softirqd"); s1=$($R now); kb=$(rss "$pids")
    inv=$($IPVSADM -S -n | grep -c '^-a')
    if [ "$tool" = floor ]; then
        wait $tpid
    else
        kill -TERM $tpid; wait $tpid
        wait_until 20 "$tool to exit" sh -c "! pidof $tool"
    fi
    wait $rpid
    cpu=$(awk -v a=$t0 -v b=$t1 -v hz=$hz -v s0=$s0 -v s1=$s1 'BEGIN{printf "%.1f", 100*(b-a)/hz/(s1-s0)}')
    secs=$(awk -v a=$t0 -v b=$t1 -v hz=$hz 'BEGIN{printf "%.2f", (b-a)/hz}')
    soft=$(awk -v a=$k0 -v b=$k1 -v hz=$hz -v s0=$s0 -v s1=$s1 'BEGIN{printf "%.1f", 100*(b-a)/hz/(s1-s0)}')
    line=$(grep '^RESPONDER conns' /tmp/resp.out | cut -d' ' -f2-)
    # real servers judged down in the run (lvsmon: "is DOWN", keepalived: "Removing service")
    # (the bare checker judges nothing: its failed and timed-out checks instead)
    downs=$(grep -c -e "is DOWN" -e "Removing service" /tmp/scale-$tool-$reals.log)
    if [ "$tool" = floor ]; then
        downs=$(sed -n 's/^FLOOR checks=.* failed=\([0-9]*\) timeouts=\([0-9]*\)$/\1 \2/p' /tmp/scale-$tool-$reals.log | awk '{print $1 + $2}')
        grep '^FLOOR checks' /tmp/scale-$tool-$reals.log | sed 's/^/DIAG /'
    fi
    # diagnostics on the console: why real servers were judged down, and when
    grep -e "is DOWN" -e "Removing service" -e "failed" /tmp/scale-$tool-$reals.log |
        sed -e 's/.*is DOWN: //' -e 's/.*\(Removing service\).*/\1/' -e 's/.*\(failed.*\)/\1/' |
        sort | uniq -c | sed "s/^/DIAG $tool $reals down reasons: /"
    grep -m 5 "is DOWN" /tmp/scale-$tool-$reals.log | sed "s/^/DIAG /"
    tlsfield=
    [ "$tlsv" = none ] || tlsfield=" check=$CHECK tls=$tlsv"
    echo "BENCH $KIND$tlsfield tool=$tool reals=$reals procs=$(echo $pids | wc -w) cpu_pct=$cpu cpu_s=$secs ksoftirqd_pct=$soft rss_kb=$kb in_table=$inv down_lines=$downs $line"
    $IPVSADM -C
}

for tlsv in $TLS_VERSIONS; do
    for size in $SIZES; do
        step "$KIND $size real servers ($CHECK, TLS $tlsv)"
        if [ "$size" = 1000 ]; then order="keepalived lvsmon $BEFORE floor"; else order="lvsmon $BEFORE keepalived floor"; fi
        if [ "$tlsv" != none ]; then
            if [ "$size" = 1000 ]; then order="keepalived lvsmon"; else order="lvsmon keepalived"; fi
        fi
        for tool in $order; do run_one $tool $size; done
    done
done
