# The LVS guide's HTTPS setup: two real servers with HTTP on 80 (busybox httpd) and HTTPS on
# 443 (openssl s_server, certificates from the test CA build-initramfs.sh makes), one
# firewall-mark virtual service grouping 80 and 443 (mark 1 set by nft in prerouting, as
# the guide does with iptables -t mangle) with persistence; lvsmon checks HTTP_GET on 80
# and SSL_GET on 443 with `SSL { ca }` (conf/tls-fwmark.conf). The client's HTTP and HTTPS
# reach one real server through the VIP; the HTTPS side of rs1 killed -> rs1 leaves the
# table, both ports go to rs2; restored -> back; TERM -> the table is empty.
need_lvsmon
FWM=1
TLS=/etc/lvsmon-tls

# fw_dests: the destinations of fwmark service 1 as "rs:port:weight" words, sorted.
fw_dests() {
    $IPVSADM -Ln -f $FWM 2>/dev/null | awk '$1 == "->" && $2 != "RemoteAddress:Port" { print $2":"$4 }' | sort | tr '\n' ' ' | sed 's/ $//'
}
wait_fw_dests() { # SECONDS WANT
    limit=$(( $1 * 5 )); n=0
    while [ "$n" -lt "$limit" ]; do
        [ "$(fw_dests)" = "$2" ] && return 0
        n=$((n + 1)); usleep 200000
    done
    $IPVSADM -Ln; show_lvsmon_log
    fail "after ${1}s the kernel has '$(fw_dests)' for fwmark $FWM, want '$2'"
}

# tls_start NAME / tls_stop NAME: openssl s_server -WWW on 443 in the real server's
# namespace, serving /srv/NAME (pid in /tmp/NAME-tls.pid).
tls_start() {
    (cd "/srv/$1" && exec $IP netns exec "$1" openssl s_server -quiet -WWW -accept 443 \
        -cert "$TLS/$1.pem" -key "$TLS/$1.key") > "/tmp/$1-tls.log" 2>&1 &
    echo $! > "/tmp/$1-tls.pid"
    wait_until 10 "s_server in $1" sh -c "$IP netns exec $1 netstat -ltn | grep -q ':443 '"
}
tls_stop() {
    [ -f "/tmp/$1-tls.pid" ] && kill "$(cat "/tmp/$1-tls.pid")" 2>/dev/null
    rm -f "/tmp/$1-tls.pid"
    wait_until 10 "s_server in $1 to stop" sh -c "! $IP netns exec $1 netstat -ltn | grep -q ':443 '"
}

# via_http / via_https: the body the client gets through the VIP on 80 / 443 ("none" if
# nothing).
via_http() {
    b=$(in_ns client timeout 5 wget -q -O - "http://$VIP/index.html" 2>/dev/null) || b=
    echo "${b:-none}"
}
via_https() {
    b=$(printf 'GET /index.html HTTP/1.0\r\n\r\n' | in_ns client timeout 10 \
        openssl s_client -quiet -connect "$VIP:443" -servername www.lvsmon.test 2>/tmp/s_client.err |
        tr -d '\r' | tail -n 1)
    [ -n "$b" ] || { echo "--- s_client's stderr" >&2; cat /tmp/s_client.err >&2; }
    echo "${b:-none}"
}

net_up
rs_add rs1 198.51.100.2
rs_add rs2 198.51.100.3
tls_start rs1
tls_start rs2

step "nft marks the VIP's 80 and 443 with $FWM"
nft add table ip lvs || fail "nft add table (nf_tables module loaded?)"
nft add chain ip lvs pre '{ type filter hook prerouting priority mangle; }' || fail "nft add chain"
nft add rule ip lvs pre ip daddr $VIP tcp dport '{ 80, 443 }' meta mark set $FWM || fail "nft add rule"

lvsmon_start /conf/tls-fwmark.conf

step "both real servers up on both ports"
wait_fw_dests 20 "198.51.100.2:0:1 198.51.100.3:0:1"
wait_json 5 "rs1 up in status --json" 198.51.100.2:0 '"health":"up","configured_weight":1,"current_weight":1,"in_table":true'

step "the client's HTTP and HTTPS reach one real server (persistence across the mark)"
h=$(via_http)
s=$(via_https)
case $h in rs1 | rs2) ;; *) fail "HTTP through the VIP: got '$h', want rs1 or rs2" ;; esac
expect_eq "HTTPS through the VIP (same real server as HTTP)" "$s" "$h"

step "the HTTPS side of rs1 killed: rs1 leaves the table, its HTTP side still answers"
tls_stop rs1
wait_fw_dests 20 "198.51.100.3:0:1"
wait_json 5 "rs1 down in status --json" 198.51.100.2:0 '"health":"down","configured_weight":1,"current_weight":0,"in_table":false'
expect_eq "rs1's own HTTP" "$(in_ns client timeout 5 wget -q -O - http://198.51.100.2/index.html 2>/dev/null)" "rs1"
expect_eq "HTTP through the VIP" "$(via_http)" "rs2"
expect_eq "HTTPS through the VIP" "$(via_https)" "rs2"
grep -q "198.51.100.2:0 is DOWN" /tmp/lvsmon.log || { show_lvsmon_log; fail "the log does not say 198.51.100.2 is down"; }

step "rs1's HTTPS restored: back in the table"
tls_start rs1
wait_fw_dests 20 "198.51.100.2:0:1 198.51.100.3:0:1"

step "TERM: lvsmon removes what it added"
lvsmon_stop TERM
expect_eq "table after TERM" "$($IPVSADM -Sn)" ""
