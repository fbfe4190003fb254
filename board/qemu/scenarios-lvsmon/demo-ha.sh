# `make demo-ha`: the two ways to run several Directors, live in the test VM: an
# active/backup pair (keepalived's VRRP half + lvsmon on one keepalived.conf) and an
# active/active pair behind an ECMP router (BIRD + lvsmon's vip_announce). Faults are
# injected while a client holds streaming connections, which are counted at each step.
# It runs the two kernel tests, ha-vrrp and ha-ecmp, with DEMO_HA=1, which makes them
# show `lvsmon status`, the IPVS tables and the router's routes as they go. Not a test
# (make vm-test does not run it), but it still ends with a verdict line.
# vm-budget: 600
DEMO_HA=1
say() { echo; echo "######## $*"; }

say "Part 1: VRRP. d1 and d2 share a LAN with two real servers (DR). Each runs"
say "'keepalived -P' (VRRP only: it moves the VIP) and 'lvsmon run' on the same file;"
say "the kernel's sync daemon copies every connection from the master to the backup."
. /scenarios/ha-vrrp.sh
ha_teardown

say "Part 2: ECMP. A router (BIRD) spreads flows over d1 and d2, which both forward"
say "(DR, Maglev hashing 'mh' with mh-port, the same table on both). lvsmon puts the VIP"
say "on vip0 while the service has quorum; each Director's BIRD announces what vip0 holds."
. /scenarios/ha-ecmp.sh
ha_teardown
say "Done: both pairs kept their connections through every fault above."
