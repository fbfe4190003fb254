# Round trip against the kernel, both directions, both kernel interfaces:
# - a table made by Debian's ipvsadm (conf/table.sh) read back by `lvsmon list` with every
#   listing flag and by `lvsmon save`, byte-identical to Debian's ipvsadm, exit codes equal;
# - tables made by lvsmon (the ipvsadm personality, `lvsmon restore`, the personality's -R)
#   read back identically by Debian's ipvsadm.
need_lvsmon

# same_as NAME "DEBIAN-IPVSADM-ARGS" LVSMON-ARGS...: same stdout+stderr and exit code.
same_as() {
    name=$1; want_args=$2; shift 2
    $IPVSADM $want_args > /tmp/want 2>&1; want_rc=$?
    "$@" > /tmp/got 2>&1; got_rc=$?
    expect_same_file "$name" /tmp/got /tmp/want
    expect_eq "$name exit code" "$got_rc" "$want_rc"
}

listings() { # API
    api=$1
    same_as "list -n ($api)" "-Ln" $LVSMON list -n --ipvs-api "$api"
    same_as "list ($api)" "-L" $LVSMON list --ipvs-api "$api"
    same_as "list -n --exact ($api)" "-Ln --exact" $LVSMON list -n --exact --ipvs-api "$api"
    same_as "list -n --thresholds ($api)" "-Ln --thresholds" $LVSMON list -n --thresholds --ipvs-api "$api"
    same_as "list -n --persistent-conn ($api)" "-Ln --persistent-conn" $LVSMON list -n --persistent-conn --ipvs-api "$api"
    same_as "list -n --timeout ($api)" "-Ln --timeout" $LVSMON list -n --timeout --ipvs-api "$api"
    same_as "list -n --daemon ($api)" "-Ln --daemon" $LVSMON list -n --daemon --ipvs-api "$api"
    same_as "list -n -c ($api)" "-Lnc" $LVSMON list -n -c --ipvs-api "$api"
    same_as "save ($api)" "-Sn" $LVSMON save --ipvs-api "$api"
    # Counters must be at rest for --stats/--rate to compare: no traffic flows here.
    same_as "list -n --stats ($api)" "-Ln --stats" $LVSMON list -n --stats --ipvs-api "$api"
    same_as "list -n --rate ($api)" "-Ln --rate" $LVSMON list -n --rate --ipvs-api "$api"
    same_as "personality -Ln ($api)" "-Ln" $LVSMON_IPVSADM -Ln
    same_as "personality -Sn ($api)" "-Sn" $LVSMON_IPVSADM -Sn
    same_as "lvsmon ipvsadm -Ln ($api)" "-Ln" $LVSMON ipvsadm -Ln
}

step "Debian's ipvsadm writes, lvsmon reads (netlink)"
T=$IPVSADM; . /conf/table.sh
$IPVSADM -Sn > /tmp/ref-full
listings netlink

step "lvsmon's personality writes, Debian's ipvsadm reads"
$IPVSADM -C
T=$LVSMON_IPVSADM; . /conf/table.sh
$IPVSADM -Sn > /tmp/got; expect_same_file "-Sn of a table made by the personality" /tmp/got /tmp/ref-full
$IPVSADM -Ln --thresholds > /tmp/got; $IPVSADM -C; T=$IPVSADM; . /conf/table.sh
$IPVSADM -Ln --thresholds > /tmp/want; expect_same_file "thresholds set by the personality" /tmp/got /tmp/want

step "lvsmon restore / personality -R write, Debian's ipvsadm reads"
$IPVSADM -C
$LVSMON restore < /tmp/ref-full > /tmp/out 2>&1 || { cat /tmp/out; fail "lvsmon restore of ipvsadm -Sn output"; }
$IPVSADM -Sn > /tmp/got; expect_same_file "-Sn after lvsmon restore" /tmp/got /tmp/ref-full
$IPVSADM -C
$LVSMON_IPVSADM -R < /tmp/ref-full > /tmp/out 2>&1 || { cat /tmp/out; fail "personality -R"; }
$IPVSADM -Sn > /tmp/got; expect_same_file "-Sn after personality -R" /tmp/got /tmp/ref-full
$IPVSADM -C
T=$IPVSADM; . /conf/table.sh; $IPVSADM -S > /tmp/ref-names; $IPVSADM -C
$LVSMON restore /tmp/ref-names > /tmp/out 2>&1 || { cat /tmp/out; fail "lvsmon restore FILE of ipvsadm -S (names) output"; }
$IPVSADM -Sn > /tmp/got; expect_same_file "-Sn after restoring -S with names" /tmp/got /tmp/ref-full

step "setsockopt interface, IPv4 table"
$IPVSADM -C
V4ONLY=1; T=$IPVSADM; . /conf/table.sh
$IPVSADM -Sn > /tmp/ref-v4
listings sockopt
$IPVSADM -C
$LVSMON restore --ipvs-api sockopt < /tmp/ref-v4 > /tmp/out 2>&1 || { cat /tmp/out; fail "lvsmon restore --ipvs-api sockopt"; }
$IPVSADM -Sn > /tmp/got; expect_same_file "-Sn after restore over sockopt" /tmp/got /tmp/ref-v4
