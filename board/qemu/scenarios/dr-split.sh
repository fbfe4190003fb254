# Direct routing with real traffic, table driven by Debian's ipvsadm. The real servers carry
# the VIP on lo (arp_ignore=1, arp_announce=2) and answer the client directly with the VIP
# as source; in this layout their gateway is the director, which must forward those replies
# although their source is one of its own addresses (accept_local=1, rp_filter=0 on br0,
# see lib.sh). A loopback sorry server (127.0.0.1) works in DR mode.
net_up
rs_add rs1 198.51.100.2 dr
rs_add rs2 198.51.100.3 dr
$IPVSADM -A -t $VIP:80 -s wrr || fail "ipvsadm -A"
$IPVSADM -a -t $VIP:80 -r 198.51.100.2 -g -w 1 || fail "ipvsadm -a rs1"
$IPVSADM -a -t $VIP:80 -r 198.51.100.3 -g -w 3 || fail "ipvsadm -a rs2"

step "1:3 split"
expect_eq "40 requests" "$(client_run 40)" "rs1 10 rs2 30"
# The kernel folds per-cpu counters into the listed stats every 2 s (estimator): wait.
wait_until 6 "kernel stats to show 40 connections" sh -c "$IPVSADM -Ln --stats -t $VIP:80 | grep -q '^TCP  192.0.2.10:80 *40 '"


step "rs1 removed"
$IPVSADM -d -t $VIP:80 -r 198.51.100.2 || fail "ipvsadm -d"
expect_eq "8 requests" "$(client_run 8)" "rs2 8"

step "loopback sorry server in DR mode"
local_httpd sorry 127.0.0.1
$IPVSADM -d -t $VIP:80 -r 198.51.100.3 || fail "ipvsadm -d"
$IPVSADM -a -t $VIP:80 -r 127.0.0.1 -g -w 1 || fail "ipvsadm -a 127.0.0.1"
# The VIP is local on the director, so the local httpd must listen on it too: a Local
# destination delivers the packet to the director's own stack unchanged (dst = VIP).
kill "$(cat /tmp/sorry.pid)"
httpd -f -p 80 -h /srv/sorry &
echo $! > /tmp/sorry.pid
wait_until 5 "sorry httpd on *:80" timeout 1 wget -q -O /dev/null http://127.0.0.1/
expect_eq "4 requests" "$(client_run 4)" "sorry 4"

step "back to 1:3"
$IPVSADM -d -t $VIP:80 -r 127.0.0.1 || fail "ipvsadm -d sorry"
$IPVSADM -a -t $VIP:80 -r 198.51.100.2 -g -w 1 || fail "ipvsadm -a rs1"
$IPVSADM -a -t $VIP:80 -r 198.51.100.3 -g -w 3 || fail "ipvsadm -a rs2"
expect_eq "40 requests" "$(client_run 40)" "rs1 10 rs2 30"
