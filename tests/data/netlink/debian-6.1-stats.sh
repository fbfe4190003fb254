# The commands behind debian-6.1-stats.txt (run in the VM; busybox nc).
ip addr add 192.0.2.1/32 dev lo
ipvsadm -A -t 192.0.2.1:80 -s rr
ipvsadm -a -t 192.0.2.1:80 -r 127.0.0.1:8080 -m
(for i in 1 2 3; do echo "reply$i" | nc -l -p 8080 >/dev/null; done) &
sleep 1
for i in 1 2 3; do echo "hello$i" | timeout 3 nc 192.0.2.1 80; sleep 0.3; done
sleep 2
