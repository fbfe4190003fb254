# The NAT shell-loop scenario through the setsockopt interface.
API=sockopt
. /scenarios/lvsmon-nat.sh
