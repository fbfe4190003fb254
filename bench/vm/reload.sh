# bench: reload. SIGHUP to lvsmon running an unchanged 4096-real-server config: time until
# the reload is applied and the number of kernel operations it makes (target 0).
need_lvsmon
R=/usr/bin/responder
elapsed() { sed -n 's/^elapsed_us=\([0-9]*\) rc=0$/\1/p' "$1"; }
step "reload: SIGHUP with an unchanged 4096-real-server config"
# delay_loop and warmup of an hour: few checks run in the window (the first check of each
# server is at a random time within the warm-up), and those that do are sent to a local
# responder (connect_ip/connect_port) and succeed, so the table stays as configured.
net_up
$R 18000 18000 2 900 1000 > /dev/null &
genconf 1 4096 doc 8000 9 1 3600 1 | awk '{print} /^    delay_loop 3600$/{print "    warmup 3600"}
    /^            connect_timeout/{print "            connect_ip 192.0.2.1"; print "            connect_port 18000"}' > /tmp/r4096.conf
$LVSMON check -f /tmp/r4096.conf > /tmp/check.out 2>&1 || { cat /tmp/check.out; fail "lvsmon check of the 4096 config"; }
$LVSMON run -f /tmp/r4096.conf --control /tmp/l.sock > /tmp/reload.log 2>&1 &
lpid=$!
wait_until 120 "4096 real servers in the table" sh -c "[ \$($IPVSADM -S -n | grep -c '^-a') = 4096 ]"
sleep 2
$IPVSADM -S -n > /tmp/before
for trial in 1 2 3 4 5; do
    n0=$(grep -c 'reloaded' /tmp/reload.log)
    # A comment line makes the file differ from the running one, so the reload takes the
    # full path (read, parse, resolve, diff) rather than the byte-identical short cut.
    echo "# trial $trial" >> /tmp/r4096.conf
    t0=$($R now)
    kill -HUP $lpid
    wait_until 60 "reload $trial logged" sh -c "[ \$(grep -c reloaded /tmp/reload.log) -gt $n0 ]"
    line=$(grep 'reloaded' /tmp/reload.log | tail -n1)
    # log time: 2026-11-21T17:07:12.123456789Z
    ts=$(echo "$line" | cut -d' ' -f1)
    hms=${ts#*T}; hms=${hms%Z}
    day_s=$(echo "$t0" | awk '{printf "%d", $1 - ($1 % 86400)}')
    lt=$(echo "$hms" | awk -F: -v d="$day_s" '{printf "%.6f", d + $1*3600 + $2*60 + $3}')
    ms=$(awk -v a="$t0" -v b="$lt" 'BEGIN{printf "%.0f", (b - a) * 1000}')
    # the same reload through the control socket: the reply comes once it is applied
    echo "# trial $trial, control" >> /tmp/r4096.conf
    $R time $LVSMON reload --control /tmp/l.sock > /dev/null 2> /tmp/t.err || { cat /tmp/t.err; fail "lvsmon reload"; }
    cus=$(elapsed /tmp/t.err)
    $IPVSADM -S -n > /tmp/after
    expect_same_file "table after reload $trial" /tmp/after /tmp/before
    echo "BENCH reload trial=$trial hup_to_log_ms=$ms control_reload_us=$cus table_unchanged=yes"
done
kill -TERM $lpid; wait $lpid
# Kernel operations of a reload: the same binary and config with --dry-run, which logs every
# operation it would make (one line each); count those after the "reloaded" line.
$LVSMON run --dry-run -f /tmp/r4096.conf --control /tmp/d.sock > /tmp/dry.log 2>&1 &
dpid=$!
wait_until 120 "dry-run start-up ops" sh -c "[ \$(grep -c 'dry-run: -a' /tmp/dry.log) = 4096 ]"
sleep 1
echo "# dry-run reload" >> /tmp/r4096.conf
kill -HUP $dpid
wait_until 60 "dry-run reload" grep -q reloaded /tmp/dry.log
sleep 2
kill -TERM $dpid; wait $dpid
ops=$(awk '/reloaded/{f=1; next} /stopping/{f=0} f && /dry-run: /' /tmp/dry.log | wc -l)
echo "BENCH reload ops_after_sighup=$ops startup_ops=$(grep -c 'dry-run: ' /tmp/dry.log)"
tail -n 3 /tmp/dry.log
