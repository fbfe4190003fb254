# bench: failover. A real server's httpd is killed (connection refused from then on): time
# until it leaves the IPVS table; restarted: time until it is back. Trials at a random phase
# of the check interval, retry 0 and retry 1, lvsmon and keepalived on the same config
# (keepalived.conf syntax), one tool at a time, alternating. Timings are taken from outside
# both tools by polling `ipvsadm -Ln` (every ~50 ms plus the cost of one ipvsadm under TCG).
# bench/vm/failover-tls.sh sources this file with CHECK=SSL_GET: the real servers then
# answer TLS 1.3 on port 443 (the responder's RESPONDER_TLS mode) and that is what is killed.
need_lvsmon
R=/usr/bin/responder
TRIALS=${TRIALS:-${BENCH_TRIALS:-16}}
KIND=${KIND:-failover}
CHECK=${CHECK:-HTTP_GET}
RPORT=80
[ "$CHECK" = HTTP_GET ] || RPORT=443
net_up
rs_add rs1 198.51.100.2
rs_add rs2 198.51.100.3
# serve NAME: the server that is killed and restarted, busybox httpd or the TLS responder
serve() {
    if [ "$CHECK" = HTTP_GET ]; then
        $IP netns exec "$1" httpd -f -p 80 -h "/srv/$1" &
    else
        $IP netns exec "$1" env RESPONDER_TLS=1.3 $R 443 443 2 100000 1000 > /dev/null &
    fi
}
[ "$CHECK" = HTTP_GET ] || { serve rs1; serve rs2; }

conf() { # RETRY -> keepalived.conf text, L=1 T=1 D=1
    cat <<EOT
virtual_server $VIP 80 {
    delay_loop 1
    lb_algo rr
    lb_kind NAT
    protocol TCP
    real_server 198.51.100.2 $RPORT {
        weight 1
        $CHECK {
            url {
                path /
                status_code 200
            }
            connect_timeout 1
            retry $1
            delay_before_retry 1
        }
    }
    real_server 198.51.100.3 $RPORT {
        weight 1
        $CHECK {
            url {
                path /
                status_code 200
            }
            connect_timeout 1
            retry $1
            delay_before_retry 1
        }
    }
}
EOT
}

in_table() { $IPVSADM -Ln | grep -q " 198.51.100.2:$RPORT "; }
# wait_state present|absent -> elapsed seconds since $t0, or TIMEOUT after 200 polls
wait_state() {
    n=0
    while [ $n -lt 200 ]; do
        if [ "$1" = present ]; then in_table && break; else in_table || break; fi
        usleep 50000; n=$((n + 1))
    done
    [ $n -lt 200 ] || { echo TIMEOUT; return; }
    t1=$($R now)
    awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.3f", b - a}'
}

start_tool() {
    if [ "$tool" = lvsmon ]; then
        $LVSMON run -f /tmp/fo.conf --control /tmp/fo.sock > /tmp/fo-$tool-$retry.log 2>&1 &
    else
        keepalived -C -n -l -D -f /tmp/fo.conf -p /tmp/ka.pid -c /tmp/kac.pid > /tmp/fo-$tool-$retry.log 2>&1 &
    fi
    tpid=$!
    wait_until 30 "$tool put rs1 in the table" in_table
    sleep 3
}
stop_tool() {
    # diagnostics on the console (not BENCH lines): the tool's CPU ticks over the run and
    # lvsmon's transitions with their timestamps, to set beside the trials' kill times
    awk -v t="$tool" '{print "DIAG cpu_ticks " t " " $14 + $15}' /proc/$tpid/stat
    [ "$tool" != lvsmon ] || grep -e "is DOWN" -e "is UP" /tmp/fo-$tool-$retry.log | sed 's/^/DIAG /'
    kill -TERM $tpid; wait $tpid
    # keepalived's checker child may outlive the parent's exit by a moment
    wait_until 10 "$tool to exit" sh -c "! pidof keepalived && ! pidof lvsmon"
    $IPVSADM -C
}

for retry in 0 1; do
    conf $retry > /tmp/fo.conf
    if [ $retry = 0 ]; then order="lvsmon keepalived"; else order="keepalived lvsmon"; fi
    for tool in $order; do
        step "failover $tool retry $retry ($TRIALS trials)"
        start_tool
        trial=1
        while [ $trial -le "$TRIALS" ]; do
            usleep $(( (RANDOM % 1000) * 1000 ))      # random phase within the 1 s interval
            t0=$($R now)
            echo "DIAG trial $trial kill at $t0"
            # every process of rs1's namespace: its httpd (the pid lib.sh keeps may be the
            # shell that ran `ip netns exec`)
            kill $($IP netns pids rs1)
            down=$(wait_state absent)
            [ "$down" != TIMEOUT ] || fail "rs1 never left the table ($tool retry $retry)"
            usleep $(( (RANDOM % 1000) * 1000 ))
            t0=$($R now)
            echo "DIAG trial $trial restart at $t0"
            serve rs1
            up=$(wait_state present)
            [ "$up" != TIMEOUT ] || fail "rs1 never came back ($tool retry $retry)"
            echo "BENCH $KIND tool=$tool retry=$retry trial=$trial down_s=$down up_s=$up"
            sleep 1
            trial=$((trial + 1))
        done
        stop_tool
    done
done
