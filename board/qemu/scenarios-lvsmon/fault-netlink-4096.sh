# Netlink buffer pressure: a 4096-destination table (16 services x 256 real servers, the
# MAX_REALS capacity) needs a multi-part generic-netlink dump. `lvsmon list -n` and
# `lvsmon save` must match Debian's ipvsadm byte for byte, and `lvsmon run` must adopt all
# of it (no operation, no drift warning) and remove it all on TERM.
need_lvsmon
step "4096 destinations through ipvsadm -R"
awk 'BEGIN {
    for (s = 0; s < 16; s++) {
        printf "-A -t 192.0.2.10:%d -s wrr\n", 1000 + s
        for (i = 0; i < 256; i++)
            printf "-a -t 192.0.2.10:%d -r 198.51.100.%d:%d -m -w %d\n", 1000 + s, i % 254 + 1, 8000 + 2 * s + int(i / 254), i % 7 + 1
    }
}' > /tmp/rules
$IPVSADM -R < /tmp/rules || fail "ipvsadm -R of 4096 destinations"
n=$($IPVSADM -Sn | grep -c '^-a ')
expect_eq "destinations in the kernel" "$n" 4096

step "lvsmon list -n / save against ipvsadm"
$IPVSADM -Ln > /tmp/want.L || fail "ipvsadm -Ln"
$LVSMON list -n > /tmp/got.L 2>/tmp/err || { cat /tmp/err; fail "lvsmon list -n"; }
expect_same_file "lvsmon list -n vs ipvsadm -Ln (4096 destinations)" /tmp/got.L /tmp/want.L
$IPVSADM -Sn > /tmp/want.S
$LVSMON save > /tmp/got.S 2>/tmp/err || { cat /tmp/err; fail "lvsmon save"; }
expect_same_file "lvsmon save vs ipvsadm -Sn" /tmp/got.S /tmp/want.S
$LVSMON_IPVSADM -Ln > /tmp/got.P 2>/tmp/err || { cat /tmp/err; fail "ipvsadm personality -Ln"; }
expect_same_file "ipvsadm personality -Ln" /tmp/got.P /tmp/want.L
echo "listing: $(wc -l < /tmp/got.L) lines, $(wc -c < /tmp/got.L) bytes"

step "lvsmon run adopts the 4096 destinations"
awk 'BEGIN {
    for (s = 0; s < 16; s++) {
        printf "virtual_server 192.0.2.10 %d {\n    delay_loop 5\n    lb_algo wrr\n    lb_kind NAT\n    protocol TCP\n", 1000 + s
        for (i = 0; i < 256; i++)
            printf "    real_server 198.51.100.%d %d {\n        weight %d\n    }\n", i % 254 + 1, 8000 + 2 * s + int(i / 254), i % 7 + 1
        printf "}\n"
    }
}' > /tmp/lvsmon.conf
$LVSMON check -f /tmp/lvsmon.conf > /tmp/out 2>&1 || { cat /tmp/out; fail "lvsmon check of the 4096-server config"; }
$LVSMON run -f /tmp/lvsmon.conf --control /tmp/lvsmon.sock --log-file /tmp/lvsmon.log &
pid=$!
wait_until 30 "the adoption line" grep -q 'adopted from the kernel' /tmp/lvsmon.log
wait_until 30 "status" $LVSMON status --json --control /tmp/lvsmon.sock
sleep 3
cat /tmp/lvsmon.log
grep -q 'adopted from the kernel: 16 managed services, 4096 managed destinations' /tmp/lvsmon.log || fail "adoption count wrong"
grep -E 'WARN|ERROR' /tmp/lvsmon.log && fail "warnings or errors while adopting"
n=$($LVSMON status --json --control /tmp/lvsmon.sock | grep -o '"in_table":true' | wc -l)
expect_eq "real servers in the table (status)" "$n" 4096
$IPVSADM -Ln > /tmp/got.L2
expect_same_file "table after adoption" /tmp/got.L2 /tmp/want.L
kill -0 $pid || fail "lvsmon exited"
echo "lvsmon VmRSS with 4096 destinations: $(grep VmRSS /proc/$pid/status)"

step "TERM removes all of it"
kill -TERM $pid
wait_until 30 "lvsmon to exit" sh -c "! kill -0 $pid"
[ -z "$($IPVSADM -Sn)" ] || { $IPVSADM -Sn | head; fail "table left behind after TERM"; }
