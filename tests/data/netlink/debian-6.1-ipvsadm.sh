# The commands that built the table captured in debian-6.1-session.txt (run in the VM).
ipvsadm -A -t 192.0.2.1:80 -s wlc -p 300 -M 255.255.255.0
ipvsadm -a -t 192.0.2.1:80 -r 198.51.100.1:80 -m -w 2 -x 100 -y 10
ipvsadm -a -t 192.0.2.1:80 -r 198.51.100.2:8080 -g -w 3
ipvsadm -A -u [2001:db8::1]:53 -s sh -b sh-port,sh-fallback
ipvsadm -a -u [2001:db8::1]:53 -r [2001:db8::10]:53 -g -w 1
ipvsadm -A -f 5 -s rr -o
ipvsadm -a -f 5 -r 198.51.100.3 -i --tun-type gue --tun-port 6080 --tun-nocsum
ipvsadm -A -t 192.0.2.2:5060 -s mh -b mh-port -p 60 --pe sip
ipvsadm -a -t 192.0.2.2:5060 -r 198.51.100.4:5060 -m
ipvsadm --set 901 121 301
ipvsadm --start-daemon master --mcast-interface lo --syncid 3
