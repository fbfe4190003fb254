# The basic kernel scenario on a foreign architecture (busybox sh, run by /init):
# 1. table round trip through lvsmon itself: `lvsmon restore` an IPv4 service with two real
#    servers, an fwmark service and an IPv6 service, `lvsmon save` must give the same rules;
# 2. `lvsmon run` (real kernel, not --dry-run) with one real server, a local httpd on
#    198.51.100.2 (on lo): added to the kernel table, removed when the listener dies, back
#    when it returns; SIGTERM empties the table.
# Every wait is bounded. Addresses: documentation ranges only.
LVSMON=/usr/bin/lvsmon

fail() {
    echo "$*" > /tmp/fail-reason
    echo "FAIL: $*"
    [ -f /tmp/lvsmon.log ] && { echo "--- lvsmon log"; tail -n 20 /tmp/lvsmon.log; }
    exit 1
}
step() { echo "== $*"; }
# wait_until SECONDS DESCRIPTION CMD...: polls CMD every 0.2 s, bounded.
wait_until() {
    limit=$(( $1 * 5 )); what=$2; shift 2
    n=0
    while [ "$n" -lt "$limit" ]; do
        "$@" >/dev/null 2>&1 && return 0
        n=$((n + 1))
        usleep 200000
    done
    fail "timed out after $((limit / 5)) s waiting for: $what"
}

step "IPVS in the kernel"
grep -q '^IP Virtual Server version' /proc/net/ip_vs || fail "/proc/net/ip_vs missing"
$LVSMON save > /tmp/empty 2>&1 || fail "lvsmon save on the empty table: $(cat /tmp/empty)"
[ -s /tmp/empty ] && fail "table not empty at start: $(cat /tmp/empty)"

step "restore / save round trip"
cat > /tmp/table <<'T'
-A -t 192.0.2.10:80 -s wrr
-a -t 192.0.2.10:80 -r 198.51.100.2:80 -m -w 1
-a -t 192.0.2.10:80 -r 198.51.100.3:80 -m -w 3
-A -t [2001:db8::10]:80 -s rr
-a -t [2001:db8::10]:80 -r [2001:db8:1::2]:80 -m -w 2
-A -f 1 -s wlc
-a -f 1 -r 198.51.100.2:0 -g -w 5
T
$LVSMON restore /tmp/table > /tmp/out 2>&1 || fail "lvsmon restore: $(cat /tmp/out)"
$LVSMON save > /tmp/saved 2>&1 || fail "lvsmon save: $(cat /tmp/saved)"
cat /tmp/saved
# Services come back in the kernel's hash order (the hash mixes in the netns pointer), and
# fwmark services after the others: compare as sets of lines, and the fwmark block last.
sort /tmp/table > /tmp/want.sorted
sort /tmp/saved > /tmp/got.sorted
cmp -s /tmp/want.sorted /tmp/got.sorted || { diff /tmp/want.sorted /tmp/got.sorted; fail "lvsmon save differs from the restored table"; }
[ "$(tail -n 2 /tmp/saved | head -n 1)" = "-A -f 1 -s wlc" ] || fail "fwmark service not listed last"
grep -q '^TCP  C00002[0-9A-F]*:0050 wrr' /proc/net/ip_vs || fail "/proc/net/ip_vs does not show the wrr service"
$LVSMON ipvsadm -C > /tmp/out 2>&1 || fail "lvsmon ipvsadm -C: $(cat /tmp/out)"
$LVSMON save > /tmp/saved 2>&1
[ -s /tmp/saved ] && fail "table not empty after -C: $(cat /tmp/saved)"

step "daemon: a local real server"
ip addr add 198.51.100.2/32 dev lo || fail "ip addr add 198.51.100.2"
mkdir -p /srv/rs1 && echo rs1 > /srv/rs1/index.html
start_rs() {
    httpd -f -p 198.51.100.2:80 -h /srv/rs1 &
    echo $! > /tmp/rs1.pid
    wait_until 5 "httpd on 198.51.100.2" sh -c 'wget -q -O - http://198.51.100.2/ | grep -qx rs1'
}
start_rs
cat > /tmp/lvsmon.conf <<'C'
virtual_server 192.0.2.10 80 {
    delay_loop 1
    lb_algo rr
    lb_kind NAT
    protocol TCP
    real_server 198.51.100.2 80 {
        weight 2
        TCP_CHECK {
            connect_timeout 1
            retry 1
            delay_before_retry 1
        }
    }
}
C
$LVSMON check -f /tmp/lvsmon.conf > /tmp/out 2>&1 || fail "lvsmon check: $(cat /tmp/out)"
$LVSMON run -f /tmp/lvsmon.conf > /tmp/lvsmon.log 2>&1 &
lvsmon_pid=$!
RS='-a -t 192.0.2.10:80 -r 198.51.100.2:80 -m -w 2'
in_table() { $LVSMON save | grep -qx -- "$RS"; }
not_in_table() { $LVSMON save | grep -qx -- '-A -t 192.0.2.10:80 -s rr' && ! in_table; }
wait_until 20 "real server added" in_table
$LVSMON save

step "listener killed: removed"
kill "$(cat /tmp/rs1.pid)"
wait_until 20 "real server removed" not_in_table
$LVSMON save

step "listener back: added again"
start_rs
wait_until 20 "real server back" in_table

step "SIGTERM: lvsmon empties what it added"
kill -TERM "$lvsmon_pid"
n=0
while kill -0 "$lvsmon_pid" 2>/dev/null && [ "$n" -lt 50 ]; do usleep 200000; n=$((n + 1)); done
kill -0 "$lvsmon_pid" 2>/dev/null && fail "lvsmon still running 10 s after SIGTERM"
$LVSMON save > /tmp/saved 2>&1
[ -s /tmp/saved ] && fail "table not empty after SIGTERM: $(cat /tmp/saved)"
grep -c . /tmp/lvsmon.log >/dev/null && tail -n 8 /tmp/lvsmon.log
exit 0
