#!/bin/sh
# Tests of files/lvsmon.init: UCI -> lvsmon.conf translation, procd instance
# parameters, reload by SIGHUP, refusal of bad values; and of the package Makefile's
# variants (lvsmon / lvsmon-tls) against stand-ins of an OpenWrt tree (sdk/). Runs the init script
# through stand-ins of rc.common, /lib/functions.sh and procd.sh (this dir)
# under every shell given (default: dash and busybox sh, OpenWrt's ash).
# Usage: board/openwrt/test/run.sh [SHELL...]
set -u
here=$(cd "$(dirname "$0")" && pwd)
init=$here/../lvsmon/files/lvsmon.init
shipped=$here/../lvsmon/files/lvsmon.config
if [ $# -eq 0 ]; then
	command -v dash >/dev/null && set -- "$@" dash
	command -v busybox >/dev/null && set -- "$@" "busybox sh"
	[ $# -gt 0 ] || set -- sh
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/lvsmon-openwrt-test.XXXXXX")
trap 'rm -rf "$work"' EXIT
passes=0 fails=0

# new_case NAME: fresh root with the UCI file read from stdin.
new_case() {
	case_name=$1
	TEST_ROOT=$work/$sh_name/$1
	rm -rf "$TEST_ROOT"
	mkdir -p "$TEST_ROOT/config"
	cat >"$TEST_ROOT/config/lvsmon"
	export TEST_ROOT UCI_CONFIG_DIR=$TEST_ROOT/config PROCD_LOG=$TEST_ROOT/procd.log \
		TEST_LOG=$TEST_ROOT/calls.log TEST_PROG=$here/fake-lvsmon
	: >"$PROCD_LOG"
	: >"$TEST_LOG"
}

# act ACTION: run the init script; exit code in $rc, stderr in $TEST_ROOT/stderr.
act() {
	: >"$PROCD_LOG"
	: >"$TEST_LOG"
	$sh "$here/rc.common" "$init" "$1" >"$TEST_ROOT/stdout" 2>"$TEST_ROOT/stderr"
	rc=$?
}

ok() { passes=$((passes + 1)); }
bad() {
	fails=$((fails + 1))
	echo "FAIL [$sh] $case_name: $*"
}
# same WHAT FILE: compare FILE with the expected text on stdin.
same() {
	cat >"$TEST_ROOT/expected"
	if cmp -s "$TEST_ROOT/expected" "$2"; then ok; else
		bad "$1 differs (expected, then actual):"
		diff -u "$TEST_ROOT/expected" "$2" | sed 's/^/    /'
	fi
}
want_rc() { if [ "$rc" = "$1" ]; then ok; else bad "exit code $rc, want $1 ($(head -c 300 "$TEST_ROOT/stderr"))"; fi; }
has() { # WHAT FILE TEXT
	if grep -qF -- "$3" "$2"; then ok; else bad "$1 lacks: $3"; fi
}
absent() { # FILE
	if [ ! -e "$1" ]; then ok; else bad "$1 exists"; fi
}

WEB_UCI='config lvsmon main
	option enabled 1

config virtual_server web
	option address 192.0.2.10
	option port 80
	option protocol TCP
	option lb_algo wrr
	option lb_kind NAT
	option delay_loop 5
	option delay_loop_jitter 10
	option slow_start 10
	option persistence_timeout 300
	option sorry_server "198.51.100.99 80"

config real_server
	option virtual_server web
	option address 198.51.100.1
	option port 80
	option weight 3
	option check HTTP_GET
	option url_path "/health?full=1"
	option status_code 200
	option connect_timeout 3
	option retry 2
	option delay_before_retry 1
	option rise 3
	option slow_start 5
	option agent_port 9777
	option agent_address 198.51.100.201
	option agent_interval 2
	option agent_timeout 1

config real_server
	option virtual_server web
	option address 198.51.100.2
	option port 8080
	option check TCP_CHECK
	option connect_port 80
	option inhibit_on_failure 1

config real_server
	option virtual_server web
	option address 198.51.100.3
	option port 80
	option enabled 0

config virtual_server dns
	option fwmark 7
	option lb_algo rr
	option lb_kind DR
	option quorum 1

config real_server
	option virtual_server dns
	option address 2001:db8::53
	option port 53
	option check MISC_CHECK
	option misc_path /usr/libexec/check-dns
	option misc_timeout 5

config real_server
	option virtual_server dns
	option address 198.51.100.53
	option port 53
	option check none

config real_server
	option virtual_server dns
	option address 198.51.100.54
	option port 53
	option check PING_CHECK
'

WEB_CONF='# Generated from /etc/config/lvsmon by /etc/init.d/lvsmon: edit that file instead.
virtual_server 192.0.2.10 80 {
    delay_loop 5
    delay_loop_jitter 10
    slow_start 10
    lb_algo wrr
    lb_kind NAT
    protocol TCP
    persistence_timeout 300
    sorry_server 198.51.100.99 80
    real_server 198.51.100.1 80 {
        weight 3
        slow_start 5
        HTTP_GET {
            url {
                path /health?full=1
                status_code 200
            }
            connect_timeout 3
            retry 2
            delay_before_retry 1
            rise 3
        }
        agent_check {
            port 9777
            address 198.51.100.201
            interval 2
            timeout 1
        }
    }
    real_server 198.51.100.2 8080 {
        inhibit_on_failure
        TCP_CHECK {
            connect_port 80
        }
    }
}
virtual_server fwmark 7 {
    lb_algo rr
    lb_kind DR
    quorum 1
    real_server 2001:db8::53 53 {
        MISC_CHECK {
            misc_path /usr/libexec/check-dns
            misc_timeout 5
        }
    }
    real_server 198.51.100.53 53 {
    }
    real_server 198.51.100.54 53 {
        PING_CHECK {
        }
    }
}'

run_cases() {
	# 1. The shipped /etc/config/lvsmon is disabled: start opens no instance.
	new_case shipped-disabled <"$shipped"
	act start
	want_rc 0
	same "procd calls" "$PROCD_LOG" <<-'E'
		open_service lvsmon
		open_trigger
		reload_trigger lvsmon
		close_trigger
		close_service
	E
	absent "$TEST_ROOT/var/etc/lvsmon.conf"

	# 2. The shipped file enabled translates and passes the check.
	sed "s/option enabled '0'/option enabled '1'/" "$shipped" >"$work/in"
	new_case shipped-enabled <"$work/in"
	act start
	want_rc 0
	has "generated config" "$TEST_ROOT/var/etc/lvsmon.conf" "virtual_server 192.0.2.10 80 {"
	has "calls" "$TEST_LOG" "lvsmon check -f $TEST_ROOT/var/etc/lvsmon.conf"

	# 3. Full translation, exact text; procd instance exact.
	echo "$WEB_UCI" >"$work/in"
	new_case translate <"$work/in"
	act start
	want_rc 0
	echo "$WEB_CONF" | same "generated lvsmon.conf" "$TEST_ROOT/var/etc/lvsmon.conf"
	same "procd calls" "$PROCD_LOG" <<-E
		open_service lvsmon
		open_instance
		set_param command $TEST_PROG run -f $TEST_ROOT/var/etc/lvsmon.conf
		set_param respawn 3600 5 5
		set_param term_timeout 10
		set_param stderr 1
		close_instance
		open_trigger
		reload_trigger lvsmon
		close_trigger
		close_service
	E
	same "lvsmon calls" "$TEST_LOG" <<-E
		lvsmon check -f $TEST_ROOT/var/etc/lvsmon.conf.new
	E
	[ "$(stat -c %a "$TEST_ROOT/var/etc/lvsmon.conf")" = 600 ] && ok || bad "generated file mode is not 0600"

	# 4. Reload while running: regenerate, check, SIGHUP; no restart.
	sed -i 's/option weight 3/option weight 5/' "$TEST_ROOT/config/lvsmon"
	act reload
	want_rc 0
	same "procd calls" "$PROCD_LOG" <<-'E'
		send_signal lvsmon * HUP
	E
	has "regenerated config" "$TEST_ROOT/var/etc/lvsmon.conf" "weight 5"

	# 5. Reload with lb_algo mh: refused with the reason, no HUP, old file kept.
	cp "$TEST_ROOT/var/etc/lvsmon.conf" "$TEST_ROOT/before"
	sed -i 's/option lb_algo wrr/option lb_algo mh/' "$TEST_ROOT/config/lvsmon"
	act reload
	want_rc 1
	same "procd calls" "$PROCD_LOG" </dev/null
	has "log" "$TEST_LOG" "logger -t lvsmon -p daemon.err section web: lb_algo mh: OpenWrt's kmod-nf-ipvs has no mh scheduler"
	has "stderr" "$TEST_ROOT/stderr" "lvsmon: section web: lb_algo mh: OpenWrt's kmod-nf-ipvs has no mh scheduler"
	same "kept config" "$TEST_ROOT/var/etc/lvsmon.conf" <"$TEST_ROOT/before"
	absent "$TEST_ROOT/var/etc/lvsmon.conf.new"

	# 6. Reload when lvsmon check rejects the result: its message is logged, no HUP.
	sed -i 's/option lb_algo mh/option lb_algo sh/' "$TEST_ROOT/config/lvsmon"
	FAKE_CHECK_FAIL=1 act reload
	want_rc 1
	same "procd calls" "$PROCD_LOG" </dev/null
	has "log" "$TEST_LOG" "logger -t lvsmon -p daemon.err $TEST_ROOT/var/etc/lvsmon.conf.new:4:5: unknown keyword 'frobnicate'"
	same "kept config" "$TEST_ROOT/var/etc/lvsmon.conf" <"$TEST_ROOT/before"

	# 7. Disabling then reloading stops the service.
	sed -i 's/option enabled 1/option enabled 0/' "$TEST_ROOT/config/lvsmon"
	act reload
	want_rc 0
	same "procd calls" "$PROCD_LOG" <<-'E'
		kill lvsmon
	E

	# 8. Enabled again, reload while stopped: it starts.
	sed -i 's/option enabled 0/option enabled 1/' "$TEST_ROOT/config/lvsmon"
	act reload
	want_rc 0
	has "procd calls" "$PROCD_LOG" "open_instance"

	# 9. Values that would change the grammar are refused, naming the section.
	for v in "address '192.0.2.10 {'" "address ''" "port 80x" "port 080" "lb_kind FOO" "protocol ICMP" \
		"sorry_server 198.51.100.99" "delay_loop '5 }'"; do
		printf 'config lvsmon main\n\toption enabled 1\nconfig virtual_server v\n\toption address 192.0.2.1\n\toption port 80\n\toption %s\n' "$v" >"$work/in"
		new_case "refuse-$(echo "$v" | tr -c 'a-z0-9\n' _)" <"$work/in"
		act start
		want_rc 1
		has "stderr" "$TEST_ROOT/stderr" "lvsmon: section v: "
		if grep -q open_instance "$PROCD_LOG"; then bad "an instance was opened"; else ok; fi
		absent "$TEST_ROOT/var/etc/lvsmon.conf"
	done
	printf 'config lvsmon main\n\toption enabled 1\nconfig virtual_server v\n\toption address 192.0.2.1\n\toption port 80\nconfig real_server r\n\toption virtual_server v\n\toption address 198.51.100.1\n\toption port 80\n\toption check LDAP_CHECK\n' >"$work/in"
	new_case refuse-check <"$work/in"
	act start
	want_rc 1
	has "stderr" "$TEST_ROOT/stderr" "lvsmon: section r: check 'LDAP_CHECK' is not one of TCP_CHECK HTTP_GET SSL_GET PING_CHECK MISC_CHECK none"
	printf 'config lvsmon main\n\toption enabled 1\n\toption ssl_ca "/etc/ssl/ca bundle.pem"\n' >"$work/in"
	new_case refuse-ssl-ca <"$work/in"
	act start
	want_rc 1
	has "stderr" "$TEST_ROOT/stderr" "lvsmon: section main: ssl_ca '/etc/ssl/ca bundle.pem' contains a character that is not allowed"
	absent "$TEST_ROOT/var/etc/lvsmon.conf"

	# 10. option config_file: used as is, nothing generated; -v, --keep-on-exit,
	# --log-checks and --http.
	printf 'config lvsmon main\n\toption enabled 1\n\toption config_file /etc/keepalived/keepalived.conf\n\toption verbose 1\n\toption keep_on_exit 1\n\toption log_checks 1\n\toption http [::]:9469\n' >"$work/in"
	new_case config-file <"$work/in"
	act start
	want_rc 0
	same "procd calls" "$PROCD_LOG" <<-E
		open_service lvsmon
		open_instance
		set_param command $TEST_PROG run -f /etc/keepalived/keepalived.conf
		append_param command -v
		append_param command --keep-on-exit
		append_param command --log-checks
		append_param command --http [::]:9469
		set_param respawn 3600 5 5
		set_param term_timeout 10
		set_param stderr 1
		close_instance
		open_trigger
		reload_trigger lvsmon
		close_trigger
		close_service
	E
	same "lvsmon calls" "$TEST_LOG" <<-'E'
		lvsmon check -f /etc/keepalived/keepalived.conf
	E
	absent "$TEST_ROOT/var/etc/lvsmon.conf"
	printf 'config lvsmon main\n\toption enabled 1\n\toption config_file /etc/lvsmon.conf\n\toption http "127.0.0.1:9469 --dry-run"\n' >"$work/in"
	new_case refuse-http <"$work/in"
	act start
	want_rc 1
	has "stderr" "$TEST_ROOT/stderr" "lvsmon: section main: http '127.0.0.1:9469 --dry-run' is not ADDRESS:PORT"

	# 11. SSL_GET (the lvsmon-tls package) with the SSL block from the main section.
	new_case ssl-get <<-'E'
		config lvsmon main
			option enabled 1
			option ssl_ca /etc/lvsmon/ca.pem
			option ssl_certificate /etc/lvsmon/client.pem
			option ssl_key /etc/lvsmon/client.key

		config virtual_server web
			option fwmark 80
			option lb_algo rr
			option persistence_timeout 300

		config real_server
			option virtual_server web
			option address 198.51.100.1
			option port 443
			option check SSL_GET
			option url_path /health
			option status_code 200
			option connect_timeout 3
			option connect_port 8443
	E
	act start
	want_rc 0
	same "generated lvsmon.conf" "$TEST_ROOT/var/etc/lvsmon.conf" <<-'E'
		# Generated from /etc/config/lvsmon by /etc/init.d/lvsmon: edit that file instead.
		SSL {
		    ca /etc/lvsmon/ca.pem
		    certificate /etc/lvsmon/client.pem
		    key /etc/lvsmon/client.key
		}
		virtual_server fwmark 80 {
		    lb_algo rr
		    lb_kind NAT
		    persistence_timeout 300
		    real_server 198.51.100.1 443 {
		        SSL_GET {
		            url {
		                path /health
		                status_code 200
		            }
		            connect_timeout 3
		            connect_port 8443
		        }
		    }
		}
	E
	same "lvsmon calls" "$TEST_LOG" <<-E
		lvsmon check -f $TEST_ROOT/var/etc/lvsmon.conf.new
	E
}

# The package Makefile's two variants (lvsmon, lvsmon-tls), evaluated against the
# stand-ins of an OpenWrt tree in sdk/: the fields opkg and menuconfig see, and the
# cargo command each variant's build runs.
package_cases() {
	sh_name=make
	sh=make
	TEST_ROOT=$work/package
	mkdir -p "$TEST_ROOT"
	for v in plain tls; do
		case_name=package-$v
		make -s -C "$here/../lvsmon" TOPDIR="$here/sdk" BUILD_VARIANT=$v compile \
			>"$TEST_ROOT/$v.out" 2>"$TEST_ROOT/$v.err"
		rc=$?
		want_rc 0
		grep '^package ' "$TEST_ROOT/$v.out" | sed 's/depends=@(aarch64[^)]*) /depends=ARCH /' >"$TEST_ROOT/$v.packages"
		same "package fields" "$TEST_ROOT/$v.packages" <<-'E'
			package lvsmon: variant=plain default_variant=1 provides= conflicts= depends=ARCH +kmod-nf-ipvs extra_depends= title=IPVS real-server health checker and ipvsadm replacement (no SSL_GET)
			package lvsmon-tls: variant=tls default_variant= provides=lvsmon conflicts=lvsmon depends=ARCH +kmod-nf-ipvs extra_depends= title=IPVS real-server health checker and ipvsadm replacement (with SSL_GET)
			package lvsmon-ipvsadm: variant= default_variant= provides= conflicts=ipvsadm depends=@(PACKAGE_lvsmon||PACKAGE_lvsmon-tls) extra_depends=lvsmon title=ipvsadm command provided by lvsmon (symlink)
		E
		grep '^cargo ' "$TEST_ROOT/$v.out" >"$TEST_ROOT/$v.cargo"
	done
	case_name=package-plain
	same "cargo command" "$TEST_ROOT/plain.cargo" <<-'E'
		cargo install -v --profile stripped --root /pkg-install --path . --offline --locked --no-default-features
	E
	case_name=package-tls
	same "cargo command" "$TEST_ROOT/tls.cargo" <<-'E'
		cargo install -v --profile stripped --features tls --root /pkg-install --path . --offline --locked --no-default-features
	E
}

for sh in "$@"; do
	sh_name=$(echo "$sh" | tr ' ' _)
	run_cases
done
if command -v make >/dev/null; then
	package_cases
else
	bad "make not found: the package Makefile tests need GNU make"
fi
echo "openwrt init and package tests: $passes passed, $fails failed (shells: $*)"
[ "$fails" = 0 ]
