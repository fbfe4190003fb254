# `make demo`: a narrated walk-through of lvsmon's main job on a real kernel. Not a test
# (make vm-test does not run it), but it still ends with a verdict line.
need_lvsmon
SVC=$VIP:80
say() { echo; echo "######## $*"; }
show() {
    echo "\$ lvsmon status"; $LVSMON status
    echo "\$ lvsmon list -n"; $LVSMON list -n
}

say "The director is this VM's root namespace. Real servers rs1 (198.51.100.2) and rs2"
say "(198.51.100.3) run busybox httpd in their own network namespaces; a client lives in"
say "a third one (203.0.113.2). The virtual IP is $VIP; NAT; sorry server on $DIRECTOR."
net_up
rs_add rs1 198.51.100.2
rs_add rs2 198.51.100.3
local_httpd sorry $DIRECTOR
echo "\$ cat /etc/lvsmon.conf"; cat /conf/nat.conf
cp /conf/nat.conf /etc/lvsmon.conf

say "Start lvsmon: it checks both real servers over HTTP every second and programs IPVS."
$LVSMON check -f /etc/lvsmon.conf
lvsmon_start /etc/lvsmon.conf
wait_dests 10 $SVC "198.51.100.2:80:1 198.51.100.3:80:3"
show
say "The client sends 40 requests through the VIP: weights 1 and 3 give a 1:3 split."
echo "answers: $(client_run 40)"

say "Kill rs1's web server. lvsmon sees 'connection refused' and takes rs1 out."
rs_stop rs1
wait_dests 15 $SVC "198.51.100.3:80:3"
show
echo "answers to 8 requests: $(client_run 8)"

say "Kill rs2 as well: no real server left, the sorry server takes the traffic."
rs_stop rs2
wait_dests 15 $SVC "$DIRECTOR:80:1"
show
echo "answers to 4 requests: $(client_run 4)"

say "Bring both back: the sorry server leaves, the 1:3 split returns."
rs_start rs1
rs_start rs2
wait_dests 15 $SVC "198.51.100.2:80:1 198.51.100.3:80:3"
show
echo "answers: $(client_run 40)"

say "An administrator deletes rs2 with Debian's ipvsadm behind lvsmon's back..."
$IPVSADM -d -t $SVC -r 198.51.100.3:80
$IPVSADM -Ln
wait_dests 5 $SVC "198.51.100.2:80:1 198.51.100.3:80:3"
say "...and lvsmon puts it back within one delay_loop:"
$IPVSADM -Ln

say "What lvsmon logged:"
cat /tmp/lvsmon.log
say "Stop lvsmon (TERM): it removes what it added."
lvsmon_stop TERM
echo "\$ ipvsadm -Ln"; $IPVSADM -Ln
