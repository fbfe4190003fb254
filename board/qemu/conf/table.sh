# A table covering what ipvsadm can express: IPv4, IPv6 (2001:db8::/32, documentation
# prefix, never routed), fwmark, every scheduler in Debian's kernel, NAT/DR/TUN (ipip, gue,
# gre), persistence with netmask, one-packet, sh/mh flags, thresholds.
# Sourced with $T set to the ipvsadm to use (Debian's, or lvsmon's personality); stops at
# the first command that fails and names it. With V4ONLY=1 the lines the setsockopt
# interface cannot express (IPv6, gue/gre tunnels) are left out.
t() { "$T" "$@" || fail "$T $*: exit $?"; }
t6() { [ -n "${V4ONLY:-}" ] || t "$@"; }
t -A -t 192.0.2.10:80 -s wrr
t -a -t 192.0.2.10:80 -r 198.51.100.2:80 -m -w 1
t -a -t 192.0.2.10:80 -r 198.51.100.3:80 -m -w 3 -x 100 -y 10
t -A -t 192.0.2.10:443 -s rr -p 300 -M 255.255.255.0
t -a -t 192.0.2.10:443 -r 198.51.100.2 -g
t -a -t 192.0.2.10:443 -r 198.51.100.3 -g -w 0
t -A -u 192.0.2.10:53 -s lc -o
t -a -u 192.0.2.10:53 -r 198.51.100.4:53 -i -w 2
t6 -a -u 192.0.2.10:53 -r 198.51.100.5:53 -i --tun-type gue --tun-port 6080 --tun-nocsum
t6 -a -u 192.0.2.10:53 -r 198.51.100.6:53 -i --tun-type gre --tun-csum
t -A -t 192.0.2.11:80 -s sh -b sh-fallback,sh-port
t -a -t 192.0.2.11:80 -r 198.51.100.2:8080 -m
t -A -t 192.0.2.11:81 -s mh -b mh-fallback,mh-port
t -a -t 192.0.2.11:81 -r 198.51.100.3:81 -m -w 7
t -A -t 192.0.2.11:82 -s wlc
t -A -t 192.0.2.11:83 -s lblc
t -A -t 192.0.2.11:84 -s lblcr
t -A -t 192.0.2.11:85 -s dh
t -A -t 192.0.2.11:86 -s sed
t -A -t 192.0.2.11:87 -s nq
t -A -t 192.0.2.11:88 -s fo
t -A -t 192.0.2.11:89 -s ovf
t -a -t 192.0.2.11:89 -r 198.51.100.4:89 -m -w 4 -x 50
t -A --sctp-service 192.0.2.11:9 -s rr
t -a --sctp-service 192.0.2.11:9 -r 198.51.100.2:9 -m
t -A -f 1 -s wlc
t -a -f 1 -r 198.51.100.2 -g -w 5
t -a -f 1 -r 198.51.100.3 -g -w 5 -x 10 -y 3
t6 -A -f 2 -6 -s sed -p 60 -M 64
t6 -a -f 2 -6 -r 2001:db8:1::2 -g
t6 -A -t [2001:db8::10]:80 -s nq
t6 -a -t [2001:db8::10]:80 -r [2001:db8:1::2]:80 -m
t6 -a -t [2001:db8::10]:80 -r [2001:db8:1::3]:8080 -m -w 2
t6 -A -u [2001:db8::10]:53 -s rr -p
t6 -a -u [2001:db8::10]:53 -r [2001:db8:1::4]:53 -g
