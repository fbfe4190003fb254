#!/bin/sh
# Tests of board/init: the sysvinit script is started, reloaded, stopped and
# asked for status against a stand-in daemon (fake-lvsmon, same CLI contract:
# check -f, run --daemon --pid-file), under dash and busybox sh; the systemd
# unit is checked by systemd-analyze verify (when installed) and for the
# contract lines (Type=simple, ExecReload kill -HUP $MAINPID).
# Usage: board/init/test/run.sh [SHELL...]
set -u
here=$(cd "$(dirname "$0")" && pwd)
script=$here/../lvsmon.sysvinit
unit=$here/../lvsmon.service
if [ $# -eq 0 ]; then
	command -v dash >/dev/null && set -- "$@" dash
	command -v busybox >/dev/null && set -- "$@" "busybox sh"
	[ $# -gt 0 ] || set -- sh
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/lvsmon-init-test.XXXXXX")
other=
cleanup() {
	[ -n "$other" ] && kill "$other" 2>/dev/null
	# Any stand-in daemon still alive (a failed test) is ours: its pid file says so.
	for p in "$work"/*/lvsmon.pid; do
		[ -f "$p" ] && kill -KILL "$(cat "$p")" 2>/dev/null
	done
	rm -rf "$work"
}
trap cleanup EXIT
passes=0 fails=0
# alive PID: exists and is not a zombie (pid 1 may be slow to reap here).
alive() {
	kill -0 "$1" 2>/dev/null || return 1
	! grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null
}
ok() { passes=$((passes + 1)); }
bad() { fails=$((fails + 1)); echo "FAIL [$sh] $step: $*"; }

# act ARGS: run the init script; $rc, $out (stdout+stderr).
act() {
	step=$*
	out=$(LVSMON_DEFAULTS=$dir/default $sh "$script" "$@" 2>&1)
	rc=$?
}
want() { # RC TEXT
	[ "$rc" = "$1" ] || { bad "exit $rc, want $1: $out"; return; }
	case $out in *"$2"*) ok ;; *) bad "output lacks '$2': $out" ;; esac
}
logged() { # TEXT
	if grep -qxF -- "$1" "$TEST_LOG"; then ok; else bad "log lacks '$1': $(tr '\n' '|' <"$TEST_LOG")"; fi
}
not_logged() {
	if grep -qxF -- "$1" "$TEST_LOG"; then bad "log has '$1'"; else ok; fi
}
# wait_logged TEXT: the daemon handles a signal within ~0.1 s; allow 5 s.
wait_logged() {
	i=0
	while [ "$i" -lt 50 ] && ! grep -qxF -- "$1" "$TEST_LOG"; do sleep 0.1; i=$((i + 1)); done
	logged "$1"
}

run_cases() {
	dir=$work/$(echo "$sh" | tr ' ' _)
	mkdir -p "$dir"
	TEST_LOG=$dir/calls.log
	export TEST_LOG
	: >"$TEST_LOG"
	cat >"$dir/default" <<-E
		DAEMON=$here/fake-lvsmon
		CONFIG=$dir/lvsmon.conf
		PIDFILE=$dir/lvsmon.pid
		STOP_TIMEOUT=2
	E
	: >"$dir/lvsmon.conf"

	act status
	want 3 "lvsmon is not running"

	act start
	want 0 "Starting lvsmon"
	logged "lvsmon check -f $dir/lvsmon.conf"
	logged "lvsmon run -f $dir/lvsmon.conf --daemon --pid-file $dir/lvsmon.pid --syslog"
	pid=$(cat "$dir/lvsmon.pid" 2>/dev/null)
	if [ -n "$pid" ] && alive "$pid"; then ok; else bad "no live pid in the pid file"; fi

	act start
	want 0 "lvsmon already running (pid $pid)"
	[ "$(grep -c '^lvsmon run' "$TEST_LOG")" = 1 ] && ok || bad "started a second daemon"

	act status
	want 0 "lvsmon is running (pid $pid)"

	act reload
	want 0 "Reloading lvsmon"
	wait_logged hup

	: >"$TEST_LOG"
	FAKE_CHECK_FAIL=1
	export FAKE_CHECK_FAIL
	act reload
	want 6 "$dir/lvsmon.conf:2:1: unknown keyword 'bogus'"
	sleep 0.3
	not_logged hup
	unset FAKE_CHECK_FAIL

	act stop
	want 0 "Stopping lvsmon"
	wait_logged term
	if alive "$pid"; then bad "pid $pid still alive"; else ok; fi
	[ ! -e "$dir/lvsmon.pid" ] && ok || bad "pid file left behind"

	act stop
	want 0 "lvsmon not running"

	# A pid file naming a dead process: status says so (LSB 1), start proceeds.
	echo 999999 >"$dir/lvsmon.pid"
	act status
	want 1 "lvsmon is not running but $dir/lvsmon.pid exists"

	# A pid file naming a live process that is not lvsmon: not "already running".
	sleep 30 &
	other=$!
	echo "$other" >"$dir/lvsmon.pid"
	: >"$TEST_LOG"
	# LVSMON_OPTS from the defaults file reaches the daemon's command line.
	cp "$dir/default" "$dir/default.plain"
	echo 'LVSMON_OPTS="--syslog --http 127.0.0.1:9469 --log-checks"' >>"$dir/default"
	act start
	want 0 "Starting lvsmon"
	logged "lvsmon run -f $dir/lvsmon.conf --daemon --pid-file $dir/lvsmon.pid --syslog --http 127.0.0.1:9469 --log-checks"
	mv "$dir/default.plain" "$dir/default"
	alive "$other" && ok || bad "the unrelated process was signalled"
	kill "$other"; other=

	act restart
	want 0 "Starting lvsmon"
	wait_logged term

	# A daemon that ignores TERM is killed after STOP_TIMEOUT (2 s), exit 1.
	act stop
	want 0 "Stopping lvsmon"
	FAKE_IGNORE_TERM=1
	export FAKE_IGNORE_TERM
	act start
	want 0 "Starting lvsmon"
	pid=$(cat "$dir/lvsmon.pid")
	unset FAKE_IGNORE_TERM
	act stop
	want 1 "still running after 2 s, sending SIGKILL"
	sleep 0.2
	if alive "$pid"; then bad "pid $pid survived SIGKILL"; else ok; fi

	# An invalid config is not started.
	: >"$TEST_LOG"
	FAKE_CHECK_FAIL=1
	export FAKE_CHECK_FAIL
	act start
	want 6 "is not valid, not started"
	not_logged "lvsmon run -f $dir/lvsmon.conf --daemon --pid-file $dir/lvsmon.pid --syslog"
	unset FAKE_CHECK_FAIL

	act frobnicate
	want 2 "Usage:"
}

for sh in "$@"; do
	run_cases
done

# The systemd unit: the contract lines, and systemd's own parser.
step=systemd-unit
for line in "Type=simple" 'ExecReload=/bin/kill -HUP $MAINPID' \
	"ExecStart=/usr/sbin/lvsmon run -f /etc/lvsmon.conf \$LVSMON_OPTS"; do
	if grep -qxF -- "$line" "$unit"; then ok; else bad "lacks '$line'"; fi
done
if command -v systemd-analyze >/dev/null; then
	# verify wants the executables to exist: point them at a stand-in.
	sed "s#/usr/sbin/lvsmon#$here/fake-lvsmon#g" "$unit" >"$work/lvsmon.service"
	if v=$(timeout 60 systemd-analyze verify --man=no "$work/lvsmon.service" 2>&1) && [ -z "$v" ]; then ok; else
		bad "systemd-analyze verify: $v"
	fi
else
	echo "board/init: systemd-analyze not installed: the unit was only checked for its contract lines" >&2
fi
echo "init script tests: $passes passed, $fails failed (shells: $*)"
[ "$fails" = 0 ]
