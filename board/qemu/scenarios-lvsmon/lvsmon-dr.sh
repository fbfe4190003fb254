# The shell-loop scenario in DR mode (conf/dr.conf, TCP_CHECK, 127.0.0.1 sorry server).
MODE=dr
. /scenarios/lvsmon-nat.sh
