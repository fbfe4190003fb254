# The board itself: modules loaded, IPVS present, both tools answer.
step "IPVS in the kernel"
grep -q '^IP Virtual Server version' /proc/net/ip_vs || fail "/proc/net/ip_vs missing"
$IPVSADM -Ln > /tmp/l || fail "ipvsadm -Ln failed: $(cat /tmp/l)"
head -n1 /tmp/l | grep -q '^IP Virtual Server version 1\.2\.1 (size=4096)$' || fail "ipvsadm -Ln header: $(head -n1 /tmp/l)"
step "namespaces"
net_up
rs_add rs1 198.51.100.2
got=$(in_ns client timeout 3 wget -q -O - http://198.51.100.2/) || fail "client cannot reach rs1 directly"
expect_eq "direct fetch" "$got" rs1
