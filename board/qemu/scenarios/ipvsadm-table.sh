# Debian's ipvsadm against the real kernel: the full table of conf/table.sh, listed every
# way lvsmon must reproduce (printed between LVSMON-GOLDEN markers so the host can keep
# them as reference texts), and a -S / -C / -R round trip that must restore it exactly.
T=$IPVSADM
step "build the table with Debian's ipvsadm"
. /conf/table.sh
golden() {
    name=$1; shift
    "$@" > "/tmp/golden-$name" 2>&1 || fail "$* failed: $(cat "/tmp/golden-$name")"
    echo "LVSMON-GOLDEN-BEGIN $name: $*"
    cat "/tmp/golden-$name"
    echo "LVSMON-GOLDEN-END $name"
}
golden Ln $IPVSADM -Ln
golden L $IPVSADM -L
golden Ln-exact $IPVSADM -Ln --exact
golden Ln-stats $IPVSADM -Ln --stats
golden Ln-rate $IPVSADM -Ln --rate
golden Ln-thresholds $IPVSADM -Ln --thresholds
golden Ln-persistent $IPVSADM -Ln --persistent-conn
golden Ln-timeout $IPVSADM -Ln --timeout
golden Ln-daemon $IPVSADM -Ln --daemon
golden Lnc $IPVSADM -Lnc
golden Sn $IPVSADM -Sn
golden S $IPVSADM -S
golden Ln-t $IPVSADM -Ln -t 192.0.2.10:80
golden Ln-f $IPVSADM -Ln -f 1

step "sanity of the listing"
grep -q '^TCP  192.0.2.10:80 wrr$' /tmp/golden-Ln || fail "wrr service missing from -Ln"
grep -q '^  -> 198.51.100.3:80              Masq    3      0          0         $' /tmp/golden-Ln || fail "weight-3 masq dest missing from -Ln"
expect_eq "services in -Sn" "$(grep -c '^-A' /tmp/golden-Sn)" 18
expect_eq "dests in -Sn" "$(grep -c '^-a' /tmp/golden-Sn)" 17

step "save / clear / restore"
$IPVSADM -C || fail "ipvsadm -C"
expect_eq "table after -C" "$($IPVSADM -Sn)" ""
$IPVSADM -R < /tmp/golden-Sn || fail "ipvsadm -R of its own -Sn"
$IPVSADM -Sn > /tmp/after
expect_same_file "-Sn after -R" /tmp/after /tmp/golden-Sn

step "errors, exit codes and texts of the oracle"
for args in "-A -t 192.0.2.10:80 -s wrr" "-A -t 192.0.2.12:80 -s nosuch" \
            "-d -t 192.0.2.10:80 -r 198.51.100.9:80" "-a -t 192.0.2.10:80 -r 198.51.100.300:80" \
            "-D -t 192.0.2.99:80" "-a -t 192.0.2.10:80 -r 198.51.100.8:80 -y 3" "-L -t 192.0.2.99:80"; do
    $IPVSADM $args > /tmp/err 2>&1
    echo "LVSMON-GOLDEN-ERR rc=$? ipvsadm $args: $(tr '\n' '|' < /tmp/err)"
done
$IPVSADM -A -t 192.0.2.10:80 -s wrr > /tmp/err 2>&1
expect_eq "duplicate service exit code" "$?" 255
expect_eq "duplicate service text" "$(cat /tmp/err)" "Service already exists"
