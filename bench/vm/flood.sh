# bench: the wlc flood (issue 14). A wlc service (NAT) with three real servers of weight 10
# (busybox httpd answering its own name); rs1 starts down (`alpha`, no httpd) while a client
# opens FLOOD_RATE connections a second through the VIP (responder load: one after another,
# each read to its end), so rs2 and rs3 collect connections (inactive, in TIME_WAIT: wlc
# counts them). After FLOOD_PRE seconds rs1's httpd starts; from the moment rs1 is in the
# table (polled with ipvsadm -Ln) the share of the new connections it takes in its first
# 1, 2 and 5 s is counted from the client's log. Three runs, one tool at a time: lvsmon with
# `slow_start 10`, lvsmon without, keepalived 2.2.7 without (it has no slow start). Each
# run uses its own VIP port (80, 81, 82): IPVS keeps a deleted service's destinations, with
# their connection counts, while connections still point at them and would hand them to a
# new service on the same VIP and port.
need_lvsmon
R=/usr/bin/responder
RATE=${FLOOD_RATE:-20}; PRE=${FLOOD_PRE:-10}; AFTER=${FLOOD_AFTER:-8}
wlc_reals

real() { # ADDR [EXTRA]
    printf '    real_server %s 80 {\n        weight 10\n%s\n        HTTP_GET {\n            url {\n                path /\n                status_code 200\n            }\n            connect_timeout 1\n            retry 0\n        }\n    }\n' "$1" "$2"
}
conf() { # PORT EXTRA
    echo "virtual_server $VIP $1 {"
    printf '    delay_loop 1\n    lb_algo wlc\n    lb_kind NAT\n    protocol TCP\n%s\n' "$2"
    real 198.51.100.2 "        alpha"
    real 198.51.100.3
    real 198.51.100.4
    echo "}"
}

run_flood() { # TOOL SLOW_START PORT
    tool=$1; ss=$2; port=$3
    step "flood: $tool, slow_start $ss, VIP port $port"
    extra=
    [ "$ss" = 0 ] || extra="    slow_start $ss"
    conf "$port" "$extra" > /tmp/fl.conf
    if [ "$tool" = lvsmon ]; then
        $LVSMON run -f /tmp/fl.conf --control /tmp/fl.sock > /tmp/fl-$tool-$ss.log 2>&1 &
    else
        keepalived -C -n -l -D -f /tmp/fl.conf -p /tmp/ka.pid -c /tmp/kac.pid > /tmp/fl-$tool-$ss.log 2>&1 &
    fi
    tpid=$!
    wait_dests 30 $VIP:$port "198.51.100.3:80:10 198.51.100.4:80:10"
    in_ns client $R load $VIP "$port" "$RATE" $((PRE + AFTER)) > /tmp/load.out &
    lpid=$!
    sleep "$PRE"
    rs_start rs1
    i=0
    while [ $i -lt 200 ] && [ -z "$(kernel_dest $VIP:$port 198.51.100.2:80)" ]; do usleep 50000; i=$((i + 1)); done
    t_in=$($R now)
    w_in=$(kernel_dest $VIP:$port 198.51.100.2:80)
    [ -n "$w_in" ] || fail "flood: rs1 never entered the table ($tool, slow_start $ss)"
    wait $lpid
    w_end=$(kernel_dest $VIP:$port 198.51.100.2:80)
    kill -TERM $tpid; wait $tpid
    wait_until 10 "$tool to exit" sh -c "! pidof keepalived && ! pidof lvsmon"
    $IPVSADM -C
    rs_stop rs1
    shares=$(awk -v t="$t_in" '$1 == "LOAD" {
            dt = $2 - t
            if (dt < 0) { pre++; if ($3 == "rs1") pre1++; if ($3 == "none") fails++; next }
            for (w = 1; w <= 5; w++) if (dt < w) { all[w]++; if ($3 == "rs1") one[w]++ }
            if ($3 == "none") fails++
        } END {
            printf "pre_conns=%d pre_rs1=%d", pre, pre1 + 0
            for (w = 1; w <= 5; w++) if (w != 3 && w != 4) printf " rs1_%ds=%d/%d", w, one[w] + 0, all[w] + 0
            printf " failed=%d", fails + 0
        }' /tmp/load.out)
    echo "BENCH flood tool=$tool slow_start=$ss rate=$RATE weight_in=${w_in#Masq } weight_end=${w_end#Masq } $shares"
}

run_flood lvsmon 10 80
run_flood lvsmon 0 81
run_flood keepalived 0 82
