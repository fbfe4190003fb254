# The sysvinit script (board/init/lvsmon.sysvinit, installed as /etc/init.d/lvsmon) on a
# real kernel: start checks the config and daemonises lvsmon with its pid file, status
# answers as LSB says, reload applies a changed weight through SIGHUP, stop removes what
# lvsmon added and the pid file.
need_lvsmon
SVC=$VIP:80
INIT=/etc/init.d/lvsmon
net_up
rs_add rs1 198.51.100.2
rs_add rs2 198.51.100.3
cp /conf/nat.conf /etc/lvsmon.conf
mkdir -p /etc/default
# No syslog daemon in the VM: log to a file the helpers show on failure.
cat > /etc/default/lvsmon <<'DEFAULTS'
DAEMON=/usr/bin/lvsmon
LVSMON_OPTS="--log-file /tmp/lvsmon.log"
DEFAULTS

step "status before start: not running (3)"
expect_rc "status before start" 3 $INIT status

step "start"
$INIT start || fail "init script start"
wait_dests 10 $SVC "198.51.100.2:80:1 198.51.100.3:80:3"
[ -s /var/run/lvsmon.pid ] || fail "no pid file"
pid=$(cat /var/run/lvsmon.pid)
kill -0 "$pid" || fail "pid $pid from the pid file is not running"
expect_rc "status while running" 0 $INIT status
expect_rc "a second start" 0 $INIT start
expect_eq "pid after a second start" "$(cat /var/run/lvsmon.pid)" "$pid"

step "reload applies a changed weight"
sed -i 's/weight 3/weight 5/' /etc/lvsmon.conf
$INIT reload || fail "init script reload"
wait_dests 10 $SVC "198.51.100.2:80:1 198.51.100.3:80:5"
expect_eq "same daemon after reload" "$(cat /var/run/lvsmon.pid)" "$pid"

step "a broken config is refused by reload and the daemon keeps running"
echo "bogus_keyword 1" >> /etc/lvsmon.conf
# LSB: 6 = program is not configured.
expect_rc "reload of a broken config" 6 $INIT reload
kill -0 "$pid" || fail "lvsmon died on a refused reload"
sed -i '/^bogus_keyword/d' /etc/lvsmon.conf

step "stop removes what lvsmon added"
$INIT stop || fail "init script stop"
wait_until 10 "lvsmon $pid to exit" sh -c "! kill -0 $pid"
expect_eq "table after stop" "$($IPVSADM -S -n)" ""
[ ! -e /var/run/lvsmon.pid ] || fail "pid file left behind"
expect_rc "status after stop" 3 $INIT status
