# Soak: 200 real servers flapping at random under a running lvsmon (real kernel table).
# Its length is the VM budget minus 150 s for set-up and checks (or soak=SECONDS on the
# kernel command line when present):
#   make vm-soak-short    budget 240 s: a 90 s soak, part of make test
#   make soak             budget 1950 s: the full 30-minute soak (SOAK_SECONDS=1800)
#                         = board/qemu/run-vm.sh soak 1950; results in board/qemu/SOAK.md
# Real servers: one namespace holding 198.51.100.10-209, one busybox httpd on port 80
# (bound to all of them); a server goes down when its address is removed from the
# namespace (probes time out) and comes back when it is re-added. At the end every address
# is restored and the scenario checks: the table is the starting one (ipvsadm -Sn), the
# fd count is the starting one, VmRSS grew by less than 256 KiB, and every UP/DOWN line in
# the log is accounted for (per server they alternate, start with DOWN, end with UP); DOWN
# lines beyond the removals of a server's address (timeouts of a starved emulated CPU) are
# counted and printed.
need_lvsmon
soak=
for arg in $(cat /proc/cmdline); do
    case $arg in soak=*) soak=${arg#soak=} ;; budget=*) budget=${arg#budget=} ;; esac
done
[ -n "$soak" ] || soak=$(( ${budget:-300} - 150 ))
[ "$soak" -ge 60 ] || soak=60
N=200

net_up
$IP netns add rs || fail "ip netns add rs"
$IP link add vrs type veth peer name eth0 netns rs || fail "veth for rs"
$IP link set vrs master br0 up
in_ns rs $IP link set lo up
in_ns rs $IP link set eth0 up
# Removing a subnet's primary address removes its secondaries too, unless they are
# promoted: without this, flapping 198.51.100.10 would take all 200 down at once.
in_ns rs sysctl -qw net.ipv4.conf.all.promote_secondaries=1
in_ns rs sysctl -qw net.ipv4.conf.eth0.promote_secondaries=1
# One `ip -batch` for all addresses: 200 separate `ip` runs are slow under emulation.
i=0
while [ $i -lt $N ]; do echo "addr add 198.51.100.$((10 + i))/24 dev eth0"; i=$((i + 1)); done > /tmp/addrs
in_ns rs $IP -batch /tmp/addrs || fail "addresses for rs"
in_ns rs $IP route add default via 198.51.100.1
mkdir -p /srv/rs; echo rs > /srv/rs/index.html
in_ns rs httpd -f -p 80 -h /srv/rs &
wait_until 5 "httpd in rs" in_ns rs timeout 1 wget -q -O /dev/null http://198.51.100.10/

{
    printf 'virtual_server %s 80 {\n    delay_loop 10\n    lb_algo wrr\n    lb_kind NAT\n    protocol TCP\n' $VIP
    i=0
    while [ $i -lt $N ]; do
        printf '    real_server 198.51.100.%d 80 {\n        weight 2\n        TCP_CHECK {\n            connect_timeout 3\n            retry 0\n        }\n    }\n' $((10 + i))
        i=$((i + 1))
    done
    echo "}"
} > /tmp/lvsmon.conf

$LVSMON run -f /tmp/lvsmon.conf --control /tmp/lvsmon.sock --log-file /tmp/lvsmon.log &
pid=$!
in_table() { $LVSMON status --json --control /tmp/lvsmon.sock | grep -o '"in_table":true' | wc -l; }
wait_until 60 "all $N in the table" sh -c "[ \$($LVSMON status --json --control /tmp/lvsmon.sock | grep -o '\"in_table\":true' | wc -l) = $N ]"
sleep 10
# Sorted: a destination that left and came back is listed at the end by the kernel.
$IPVSADM -Sn | sort > /tmp/start.S
fds0=$(min_fds $pid); rss0=$(vm_rss $pid)
step "soak: $N servers flapping for ${soak}s (fds $fds0, VmRSS $rss0 KiB)"

: > /tmp/removed
end=$(( $(cut -d. -f1 /proc/uptime) + soak ))
toggles=0
# Six progress lines (every 5 minutes in the 30-minute soak): a leak shows as a trend.
every=$(( soak / 6 ))
next=$(( $(cut -d. -f1 /proc/uptime) + every ))
while [ "$(cut -d. -f1 /proc/uptime)" -lt "$end" ]; do
    if [ "$(cut -d. -f1 /proc/uptime)" -ge "$next" ]; then
        echo "soak: ${toggles} toggles, $(grep -c ' is DOWN' /tmp/lvsmon.log) DOWN lines, fds $(min_fds $pid), VmRSS $(vm_rss $pid) KiB, $(in_table) in the table"
        next=$((next + every))
    fi
    a=198.51.100.$(( 10 + RANDOM % N ))
    if in_ns rs $IP -o addr show dev eth0 | grep -q " $a/"; then
        in_ns rs $IP addr del $a/24 dev eth0 && echo "$a" >> /tmp/removed
    else
        in_ns rs $IP addr add $a/24 dev eth0
    fi
    toggles=$((toggles + 1))
    usleep $(( 200000 + RANDOM % 600000 ))
done
step "restore every address"
in_ns rs $IP -force -batch /tmp/addrs 2>/dev/null
in_ns rs $IP route replace default via 198.51.100.1
wait_until 60 "all $N back in the table" sh -c "[ \$($LVSMON status --json --control /tmp/lvsmon.sock | grep -o '\"in_table\":true' | wc -l) = $N ]"
step "all back; settling"
sleep 10
kill -0 $pid || fail "lvsmon died during the soak"
fds1=$(min_fds $pid); rss1=$(vm_rss $pid)
$IPVSADM -Sn | sort > /tmp/end.S
ups=$(grep -c ' is UP' /tmp/lvsmon.log); downs=$(grep -c ' is DOWN' /tmp/lvsmon.log)
echo "SOAK: ${soak}s, $toggles toggles ($(wc -l < /tmp/removed) removals), $downs DOWN + $ups UP lines, fds $fds0 -> $fds1, VmRSS $rss0 -> $rss1 KiB"
echo "DOWN reasons:"; sed -n 's/.* is DOWN: //p' /tmp/lvsmon.log | sort | uniq -c
grep -E 'WARN|ERROR' /tmp/lvsmon.log | head -5
expect_same_file "table at the end vs the start (ipvsadm -Sn)" /tmp/end.S /tmp/start.S
expect_eq "fds at the end" "$fds1" "$fds0"
[ "$rss1" -le $((rss0 + 256)) ] || fail "VmRSS grew from $rss0 to $rss1 KiB"
# Accounting: per server the lines alternate DOWN, UP, ... and end with UP.
awk '
    FNR == NR { removed[$1]++; next }
    / real server 198\.51\.100\.[0-9]+:80 is (UP|DOWN)/ {
        for (i = 1; i <= NF; i++) if ($i == "server") { a = $(i + 1); st = $(i + 3) }
        sub(/:80$/, "", a); sub(/:$/, "", st)
        if ((a in last) ? last[a] == st : st != "DOWN") { print "out of order: " $0; bad = 1 }
        last[a] = st
        if (st == "DOWN") down[a]++
    }
    END {
        for (a in last) {
            if (last[a] != "UP") { print a " ends " last[a]; print a > "/tmp/bad"; bad = 1 }
            # A check can also time out with its server up when the emulated CPU is
            # starved: counted and reported, not a failure.
            if (down[a] > removed[a] + 0) extra += down[a] - removed[a]

        }
        print "DOWN lines beyond removals (timeouts under load): " extra + 0
        exit bad
    }' /tmp/removed /tmp/lvsmon.log || {
    for a in $(sort -u /tmp/bad | head -3); do grep -F "$a:" /tmp/lvsmon.log; grep -xF "$a" /tmp/removed; done
    $LVSMON status --control /tmp/lvsmon.sock | head -20
    fail "log transitions do not account for the flapping"
}
expect_eq "DOWN lines = UP lines" "$downs" "$ups"
[ "$downs" -gt 0 ] || fail "no transition at all: the soak did not flap"

kill -TERM $pid
wait_until 30 "lvsmon to exit" sh -c "! kill -0 $pid"
[ -z "$($IPVSADM -Sn)" ] || fail "table left behind after TERM"
