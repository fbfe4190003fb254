# NAT with real traffic, table driven by Debian's ipvsadm: weights 1 and 3 give a 1:3 split
# of 40 new connections from the client namespace; a weight of 0 and a deleted destination
# take a real server out; the director address can answer as a local sorry server.
net_up
rs_add rs1 198.51.100.2
rs_add rs2 198.51.100.3
$IPVSADM -A -t $VIP:80 -s wrr || fail "ipvsadm -A"
$IPVSADM -a -t $VIP:80 -r 198.51.100.2:80 -m -w 1 || fail "ipvsadm -a rs1"
$IPVSADM -a -t $VIP:80 -r 198.51.100.3:80 -m -w 3 || fail "ipvsadm -a rs2"

step "1:3 split"
expect_eq "40 requests" "$(client_run 40)" "rs1 10 rs2 30"
# The kernel folds per-cpu counters into the listed stats every 2 s (estimator): wait.
wait_until 6 "kernel stats to show 30 connections to rs2" sh -c "$IPVSADM -Ln --stats -t $VIP:80 | grep -q '^  -> 198.51.100.3:80 *30 '"


step "weight 0 drains rs1"
$IPVSADM -e -t $VIP:80 -r 198.51.100.2:80 -m -w 0 || fail "ipvsadm -e"
expect_eq "8 requests" "$(client_run 8)" "rs2 8"

step "rs2 deleted, rs1 back"
$IPVSADM -e -t $VIP:80 -r 198.51.100.2:80 -m -w 1 || fail "ipvsadm -e"
$IPVSADM -d -t $VIP:80 -r 198.51.100.3:80 || fail "ipvsadm -d"
expect_eq "8 requests" "$(client_run 8)" "rs1 8"

step "sorry server on the director address (NAT to a local address)"
local_httpd sorry $DIRECTOR
$IPVSADM -d -t $VIP:80 -r 198.51.100.2:80 || fail "ipvsadm -d"
$IPVSADM -a -t $VIP:80 -r $DIRECTOR:80 -m -w 1 || fail "ipvsadm -a sorry"
expect_eq "4 requests" "$(client_run 4)" "sorry 4"
# The kernel delivers to a local address itself but keeps (and lists) the method asked for.
$IPVSADM -Ln -t $VIP:80 | grep -q "^  -> $DIRECTOR:80 *Masq *1 " || { $IPVSADM -Ln; fail "director address not listed as Masq weight 1"; }

step "back to 1:3"
$IPVSADM -d -t $VIP:80 -r $DIRECTOR:80 || fail "ipvsadm -d sorry"
$IPVSADM -a -t $VIP:80 -r 198.51.100.2:80 -m -w 1 || fail "ipvsadm -a rs1"
$IPVSADM -a -t $VIP:80 -r 198.51.100.3:80 -m -w 3 || fail "ipvsadm -a rs2"
expect_eq "40 requests" "$(client_run 40)" "rs1 10 rs2 30"
