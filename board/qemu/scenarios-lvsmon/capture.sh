# Not a test: `make vm-capture` records the generic-netlink traffic between Debian's ipvsadm
# and the kernel through an nlmon interface with tcpdump (DLT_NETLINK pcap) and prints it as
# hex between LVSMON-CAPTURE markers; capture.sh on the host turns it back into
# board/qemu/golden/ipvsadm-netlink.pcap, byte vectors for the codec's unit tests.
[ -x /usr/sbin/tcpdump ] || fail "no tcpdump in the initramfs: apt-get install tcpdump, rebuild"
$IP link add nlmon0 type nlmon || fail "ip link add nlmon0 type nlmon"
$IP link set nlmon0 up
/usr/sbin/tcpdump -Z root -i nlmon0 -U -w /tmp/cap.pcap -s 0 2>/tmp/tcpdump.err &
tpid=$!
wait_until 5 "tcpdump to listen" grep -q listening /tmp/tcpdump.err || { cat /tmp/tcpdump.err; fail "tcpdump"; }
step "ipvsadm commands, one per kind of message"
$IPVSADM -A -t 192.0.2.10:80 -s wrr -p 300
$IPVSADM -a -t 192.0.2.10:80 -r 198.51.100.2:80 -m -w 3 -x 100 -y 10
$IPVSADM -A -u [2001:db8::10]:53 -s rr
$IPVSADM -a -u [2001:db8::10]:53 -r [2001:db8:1::4]:53 -i --tun-type gue --tun-port 6080
$IPVSADM -A -f 1 -s mh -b mh-fallback,mh-port
$IPVSADM -E -t 192.0.2.10:80 -s rr
$IPVSADM -e -t 192.0.2.10:80 -r 198.51.100.2:80 -m -w 5
$IPVSADM -Ln
$IPVSADM -Ln --stats
$IPVSADM -Ln --timeout
$IPVSADM --set 900 120 300
$IPVSADM -Ln --daemon
$IPVSADM -A -t 192.0.2.10:80 -s wrr
$IPVSADM -d -t 192.0.2.10:80 -r 198.51.100.2:80
$IPVSADM -D -t 192.0.2.10:80
$IPVSADM -Z
$IPVSADM -C
sleep 1
kill $tpid; wait $tpid
echo "LVSMON-CAPTURE-BEGIN"
xxd -p /tmp/cap.pcap
echo "LVSMON-CAPTURE-END"
[ -s /tmp/cap.pcap ] || fail "empty capture"
