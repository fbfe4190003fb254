# lvsmon run --http against the real kernel (conf/nat.conf): /metrics shows health beside
# the kernel's IPVS counters. After client traffic, lvsmon_ipvs_connections_total of each
# backend is non-zero and equals Debian's `ipvsadm -Ln --stats --exact`; a killed real
# server reads lvsmon_real_server_up 0 with one transition. Each exposition is printed
# between LVSMON-METRICS-BEGIN/END lines: run-vm.sh lints them with the host's
# `promtool check metrics` (promtool is a 48 MB binary: it stays on the host).
# vm-budget: 180
need_lvsmon
SVC=$VIP:80
HTTP=$DIRECTOR:9469
net_up
rs_add rs1 198.51.100.2 nat
rs_add rs2 198.51.100.3 nat
local_httpd sorry $DIRECTOR
lvsmon_start /conf/nat.conf --http $HTTP

scrape() {
    wget -q -O /tmp/metrics "http://$HTTP/metrics" || fail "GET /metrics failed"
    echo "LVSMON-METRICS-BEGIN $1"
    cat /tmp/metrics
    echo "LVSMON-METRICS-END $1"
}
# sample NAME{LABELS}: the value of one sample of the last scrape.
sample() {
    awk -v k="$1" 'index($0, k" ") == 1 { print $NF }' /tmp/metrics
}
backend() {
    echo "{local_address=\"192.0.2.10\",local_port=\"80\",remote_address=\"$1\",remote_port=\"80\",proto=\"TCP\",local_mark=\"\"}"
}
real() {
    echo "{virtual_server=\"TCP 192.0.2.10:80\",real_server=\"$1:80\"}"
}

step "both up, then client traffic"
wait_dests 10 $SVC "198.51.100.2:80:1 198.51.100.3:80:3"
wait_json 10 "rs1 up" 198.51.100.2:80 '"health":"up"'
expect_eq "40 requests" "$(client_run 40)" "rs1 10 rs2 30"

step "/metrics: the kernel's counters, as ipvsadm --stats shows them"
# The kernel folds its per-CPU counters into what netlink reports on the estimator's
# 2-second tick, so both readers see 0 until that tick has passed: wait for ipvsadm to
# count all 40 connections, then compare (no traffic flows after this, so they hold).
all_counted() {
    n=$($IPVSADM -Ln --stats --exact -t $SVC | awk '$1 == "->" && $2 ~ /^198/ { n += $3 } END { print n + 0 }')
    [ "$n" -ge 40 ]
}
wait_until 10 "ipvsadm --stats to count the 40 connections" all_counted
# A late FIN or ACK can still move the packet counters on the next tick: scrape between
# two equal ipvsadm readings so both readers saw the same tick (bounded retries).
tries=0
while :; do
    $IPVSADM -Ln --stats --exact -t $SVC > /tmp/stats.before
    scrape "after-traffic-$tries"
    $IPVSADM -Ln --stats --exact -t $SVC > /tmp/stats.after
    cmp -s /tmp/stats.before /tmp/stats.after && break
    tries=$((tries + 1))
    [ "$tries" -lt 5 ] || fail "the kernel's counters kept moving across 5 scrapes"
done
for rs in 198.51.100.2 198.51.100.3; do
    mine=$(sample "lvsmon_ipvs_connections_total$(backend $rs)")
    theirs=$(awk -v rs="$rs:80" '$1 == "->" && $2 == rs { print $3 }' /tmp/stats.after)
    echo "$rs: lvsmon_ipvs_connections_total $mine, ipvsadm Conns $theirs"
    [ -n "$mine" ] && [ "$mine" -gt 0 ] || fail "lvsmon_ipvs_connections_total for $rs is '$mine'"
    expect_eq "connections of $rs" "$mine" "$theirs"
    pk=$(sample "lvsmon_ipvs_incoming_packets_total$(backend $rs)")
    pk2=$(awk -v rs="$rs:80" '$1 == "->" && $2 == rs { print $4 }' /tmp/stats.after)
    expect_eq "incoming packets of $rs" "$pk" "$pk2"
    expect_eq "$rs up" "$(sample "lvsmon_real_server_up$(real $rs)")" 1
    expect_eq "$rs in table" "$(sample "lvsmon_real_server_in_table$(real $rs)")" 1
done
expect_eq "rs2 weight" "$(sample "lvsmon_ipvs_backend_weight$(backend 198.51.100.3)")" 3
expect_eq "quorum" "$(sample 'lvsmon_virtual_server_quorum_up{virtual_server="TCP 192.0.2.10:80"}')" 1

step "rs1 killed: up 0, one transition"
before=$(sample "lvsmon_transitions_total$(real 198.51.100.2)")
rs_stop rs1
wait_dests 15 $SVC "198.51.100.3:80:3"
scrape after-kill
expect_eq "rs1 up" "$(sample "lvsmon_real_server_up$(real 198.51.100.2)")" 0
expect_eq "rs1 in table" "$(sample "lvsmon_real_server_in_table$(real 198.51.100.2)")" 0
expect_eq "rs1 transitions" "$(sample "lvsmon_transitions_total$(real 198.51.100.2)")" "$((before + 1))"
[ -z "$(sample "lvsmon_ipvs_connections_total$(backend 198.51.100.2)")" ] ||
    fail "rs1 is out of the kernel table but /metrics still shows its counters"

step "the status page and /status.json answer"
wget -q -O /tmp/page "http://$HTTP/" || fail "GET / failed"
grep -q '<title>lvsmon</title>' /tmp/page || fail "GET / is not the status page"
wget -q -O /tmp/status.json "http://$HTTP/status.json" || fail "GET /status.json failed"
grep -q '"address":"198.51.100.2:80","health":"down"' /tmp/status.json || fail "/status.json: $(cat /tmp/status.json)"

step "TERM"
lvsmon_stop TERM
expect_eq "table after TERM" "$($IPVSADM -Sn)" ""
