# Errors: the personality answers bad requests with ipvsadm's text and exit code, on the
# same kernel table; `lvsmon restore` validates all its input before it sends anything,
# while the personality's -R does what ipvsadm -R does.
need_lvsmon
$IPVSADM -A -t $VIP:80 -s wrr || fail "setup"
$IPVSADM -a -t $VIP:80 -r 198.51.100.2:80 -m -w 1 || fail "setup"
$IPVSADM -Sn > /tmp/base

n=0
while read -r args; do
    [ -n "$args" ] || continue
    n=$((n + 1))
    $IPVSADM $args > /tmp/want 2>&1; want_rc=$?
    $IPVSADM -Sn > /tmp/want-table
    $IPVSADM -C; $IPVSADM -R < /tmp/base
    $LVSMON_IPVSADM $args > /tmp/got 2>&1; got_rc=$?
    $IPVSADM -Sn > /tmp/got-table
    $IPVSADM -C; $IPVSADM -R < /tmp/base
    expect_same_file "ipvsadm $args: output" /tmp/got /tmp/want
    expect_eq "ipvsadm $args: exit code" "$got_rc" "$want_rc"
    expect_same_file "ipvsadm $args: table after" /tmp/got-table /tmp/want-table
done <<'CASES'
-A -t 192.0.2.10:80 -s wrr
-A -t 192.0.2.12:80 -s nosuch
-a -t 192.0.2.10:80 -r 198.51.100.2:80 -m
-d -t 192.0.2.10:80 -r 198.51.100.9:80
-e -t 192.0.2.10:80 -r 198.51.100.9:80 -w 2
-D -t 192.0.2.99:80
-E -t 192.0.2.99:80 -s rr
-a -t 192.0.2.99:80 -r 198.51.100.2:80
-a -t 192.0.2.10:80 -r 198.51.100.300:80
-A -t 192.0.2.300:80
-A -t 192.0.2.12:80 -s wrr -p -M 255.0.255.0
-a -t 192.0.2.10:80 -r 198.51.100.8:80 -y 3
-a -t 192.0.2.10:80 -r 198.51.100.8:80 -w 70000
-L -t 192.0.2.99:80
-A -t 192.0.2.12:80 -s
-A
-Q
--bogus
CASES
step "$n error cases identical"

step "lvsmon restore: a syntax error on the last line applies nothing"
printf -- '-A -t 192.0.2.12:80 -s rr\n-a -t 192.0.2.12:80 -r 198.51.100.2:80 -m\n-A -t 192.0.2.13:80 -s rr --bogus\n' > /tmp/bad
$LVSMON restore < /tmp/bad > /tmp/out 2>&1; rc=$?
[ "$rc" != 0 ] || fail "lvsmon restore of bad input exited 0"
[ -s /tmp/out ] || fail "lvsmon restore of bad input printed no error"
grep -q '3' /tmp/out || { cat /tmp/out; fail "lvsmon restore error does not name line 3"; }
$IPVSADM -Sn > /tmp/got; expect_same_file "table after a rejected restore" /tmp/got /tmp/base

step "lvsmon restore: a kernel error (unknown scheduler) applies nothing either"
printf -- '-A -t 192.0.2.12:80 -s rr\n-A -t 192.0.2.13:80 -s nosuch\n' > /tmp/bad2
$LVSMON restore < /tmp/bad2 > /tmp/out 2>&1; rc=$?
[ "$rc" != 0 ] || fail "lvsmon restore with an unknown scheduler exited 0"
grep -qi "scheduler" /tmp/out || { cat /tmp/out; fail "restore error does not mention the scheduler"; }
$IPVSADM -Sn > /tmp/got; expect_same_file "table after a restore refused by the kernel" /tmp/got /tmp/base

step "personality -R behaves as ipvsadm -R on the same bad input"
for f in /tmp/bad /tmp/bad2; do
    $IPVSADM -R < $f > /tmp/want 2>&1; want_rc=$?
    $IPVSADM -Sn > /tmp/want-table; $IPVSADM -C; $IPVSADM -R < /tmp/base
    $LVSMON_IPVSADM -R < $f > /tmp/got 2>&1; got_rc=$?
    $IPVSADM -Sn > /tmp/got-table; $IPVSADM -C; $IPVSADM -R < /tmp/base
    expect_same_file "-R $f: output" /tmp/got /tmp/want
    expect_eq "-R $f: exit code" "$got_rc" "$want_rc"
    expect_same_file "-R $f: table after" /tmp/got-table /tmp/want-table
done
