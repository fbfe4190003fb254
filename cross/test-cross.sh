#!/bin/sh
# Run the cross binaries under qemu-user (Debian's qemu-user-static) and check
# what qemu-user can check: it cannot open generic netlink sockets, so the kernel
# half is tested on real kernels in the qemu board instead. Both builds of a target
# are checked: the plain one (target/<triple>/release/lvsmon-plain) by every check,
# the tls one (lvsmon-tls) by the tls-* checks, which talk to a loopback
# `openssl s_server` with certificates from a CA the script makes.
# Usage: cross/test-cross.sh [TRIPLE...]    (default: every target in cross/targets)
# The checks that run are listed in cross/test-cross.checks (yes/no with a reason).
# Env: CROSS_CHECKS   another checks file (to try a check before enabling it)
#      CROSS_SAMPLES  directory of sample configs for check-samples
#                     (default: tests/samples, else /work/shared/samples).
# Exit 0 only if every enabled check passed on every target; a missing binary
# or a missing qemu is a failure, not a skip.
set -u
. "$(dirname "$0")/lib.sh"
cd "$top_dir"

[ $# -gt 0 ] || set -- $(all_targets)
checks_file=${CROSS_CHECKS:-$cross_dir/test-cross.checks}
# The x86_64 builds run natively: the references for check-samples.
ref=target/x86_64-unknown-linux-musl/release/lvsmon-plain
ref_tls=target/x86_64-unknown-linux-musl/release/lvsmon-tls
tmp=$(mktemp -d "${TMPDIR:-/tmp}/lvsmon-test-cross.XXXXXX")
server_pid=
daemon_pid=
tls_pid=
cleanup() {
	[ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null
	[ -n "$daemon_pid" ] && kill "$daemon_pid" 2>/dev/null
	[ -n "$tls_pid" ] && kill "$tls_pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

enabled() { awk -v n="$1" '!/^#/ && $1 == n { print $2 }' "$checks_file" | grep -qx yes; }

fails=0 passes=0
pass() { passes=$((passes + 1)); echo "  ok    $check"; }
fail() { fails=$((fails + 1)); echo "  FAIL  $check: $*"; }

# run OUT ARGS... : run the binary under qemu with a 30 s bound; stdout/stderr/rc
# land in $tmp/OUT.{out,err,rc}.
run() {
	o=$1; shift
	timeout 30 "$qemu" "$bin" "$@" >"$tmp/$o.out" 2>"$tmp/$o.err"
	echo $? >"$tmp/$o.rc"
}
rc() { cat "$tmp/$1.rc"; }

check_elf() {
	desc=$(file -b "$bin")
	attrs=$(readelf -A "$bin" 2>/dev/null; readelf -h "$bin" 2>/dev/null)
	case $desc in *"statically linked"*) ;; *) fail "not statically linked: $desc"; return ;; esac
	case $triple in
	x86_64-*) want="x86-64" attr="" ;;
	aarch64-*) want="ARM aarch64" attr="" ;;
	armv7-*) want="ARM, EABI5" attr="Tag_CPU_arch: v7|hard-float ABI|Tag_ABI_VFP_args: VFP registers" ;;
	arm-*) want="ARM, EABI5" attr="Tag_CPU_arch: v6|soft-float ABI" ;;
	mipsel-*) want="LSB executable, MIPS, MIPS32 rel2" attr="FP ABI: Soft float" ;;
	mips-*) want="MSB executable, MIPS, MIPS32 rel2" attr="" ;; # readelf -A misreads BE .gnu.attributes
	*) fail "no expectation for $triple"; return ;;
	esac
	case $desc in *"$want"*) ;; *) fail "expected '$want' in: $desc"; return ;; esac
	old_ifs=$IFS IFS='|'
	for a in $attr; do
		case $attrs in *"$a"*) ;; *) IFS=$old_ifs; fail "readelf lacks '$a'"; return ;; esac
	done
	IFS=$old_ifs
	case $triple in
	mips*) if readelf -S "$bin" | grep -q '\.pdr'; then fail ".pdr section not stripped"; return; fi ;;
	esac
	pass
}

check_budget() {
	bytes=$(wc -c <"$bin" | tr -d ' ')
	set -- $(plain_budget "$triple")
	if [ "$bytes" -le "$1" ]; then pass; else fail "$bytes bytes > $1 ($2; cross/lib.sh)"; fi
}

check_help_exit() {
	run help --help
	if [ "$(rc help)" = 0 ]; then pass; else fail "--help exited $(rc help): $(head -c 300 "$tmp/help.err")"; fi
}

check_help_text() {
	run help --help
	[ "$(rc help)" = 0 ] || { fail "--help exited $(rc help)"; return; }
	head -n 1 "$tmp/help.out" | grep -q '^Usage: lvsmon' || { fail "stdout does not start with 'Usage: lvsmon'"; return; }
	for sub in run check status list save restore reload; do
		grep -Eq "^ +$sub( |\$)" "$tmp/help.out" || { fail "--help does not list '$sub'"; return; }
	done
	pass
}

check_usage_error() {
	run usage --no-such-option
	[ "$(rc usage)" = 1 ] || { fail "exit $(rc usage), want 1"; return; }
	[ -s "$tmp/usage.err" ] || { fail "no message on stderr"; return; }
	pass
}

check_check_good() {
	run good check -f board/buildroot/lvsmon/lvsmon.conf
	[ "$(rc good)" = 0 ] || { fail "buildroot's lvsmon.conf: exit $(rc good): $(head -c 300 "$tmp/good.err")"; return; }
	run good check -f cross/test/good.conf
	[ "$(rc good)" = 0 ] || { fail "exit $(rc good): $(head -c 300 "$tmp/good.err")"; return; }
	# The summary names the services; its exact text is the config tests' business.
	grep -q '192\.0\.2\.10' "$tmp/good.out" || { fail "summary does not name 192.0.2.10"; return; }
	pass
}

check_check_bad() {
	run bad check -f cross/test/bad.conf
	[ "$(rc bad)" = 1 ] || { fail "exit $(rc bad), want 1"; return; }
	head -n 1 "$tmp/bad.err" | grep -q '^cross/test/bad\.conf:7:9: ' ||
		{ fail "stderr does not start with 'cross/test/bad.conf:7:9: ': $(head -n 1 "$tmp/bad.err")"; return; }
	pass
}

check_check_samples() {
	samples_against "$ref"
}

# samples_against REF: every sample config gives the same exit code, stdout and
# stderr with $bin under qemu as with REF run natively.
samples_against() {
	samples=${CROSS_SAMPLES:-}
	if [ -z "$samples" ]; then
		for d in tests/samples /work/shared/samples; do
			[ -d "$d" ] && { samples=$d; break; }
		done
	fi
	[ -n "$samples" ] && [ -d "$samples" ] || { fail "no sample directory (set CROSS_SAMPLES)"; return; }
	[ -x "$1" ] || { fail "reference $1 missing (make cross TARGET=x86_64-unknown-linux-musl)"; return; }
	n=0 said=
	for f in "$samples"/*; do
		[ -f "$f" ] || continue
		case $f in *.md) continue ;; esac
		n=$((n + 1))
		run sample check -f "$f"
		timeout 30 "$1" check -f "$f" >"$tmp/ref.out" 2>"$tmp/ref.err"
		echo $? >"$tmp/ref.rc"
		[ -s "$tmp/sample.out" ] || [ -s "$tmp/sample.err" ] && said=1
		for s in rc out err; do
			cmp -s "$tmp/sample.$s" "$tmp/ref.$s" || { fail "$f: $s differs from the native x86_64 run"; return; }
		done
	done
	[ "$n" -gt 0 ] || { fail "no samples in $samples"; return; }
	[ -n "$said" ] || { fail "no output at all for any sample"; return; }
	pass
}

# wait_for FILE PATTERN SECONDS: poll (bounded) until FILE has a line matching PATTERN.
wait_for() {
	i=0
	while [ "$i" -lt "$(($3 * 10))" ]; do
		grep -Eq -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

start_server() {
	busybox httpd -f -p "127.0.0.1:$port" -h "$tmp/www" &
	server_pid=$!
	sleep 0.3
	kill -0 "$server_pid" 2>/dev/null
}

stop_children() {
	[ -n "$daemon_pid" ] && { kill "$daemon_pid" 2>/dev/null; wait "$daemon_pid" 2>/dev/null; }
	[ -n "$server_pid" ] && { kill "$server_pid" 2>/dev/null; wait "$server_pid" 2>/dev/null; }
	daemon_pid= server_pid=
}

check_dry_run_daemon() {
	stop_children # left over from a failed run on the previous target
	command -v busybox >/dev/null || { fail "busybox not found (apt-get install busybox-static)"; return; }
	mkdir -p "$tmp/www"
	# A port from the dynamic range that nothing listens on (bounded tries).
	tries=0
	while :; do
		port=$((20000 + ($$ * 7 + tries * 131) % 30000))
		start_server && break
		tries=$((tries + 1))
		[ "$tries" -lt 10 ] || { fail "could not start busybox httpd on 127.0.0.1"; return; }
	done
	sed "s/@PORT@/$port/" cross/test/dryrun.conf.in >"$tmp/dryrun.conf"
	log=$tmp/daemon.log
	timeout 120 "$qemu" "$bin" run -f "$tmp/dryrun.conf" --dry-run --control "$tmp/ctl.sock" >"$log" 2>&1 &
	daemon_pid=$!
	rs="-t 127\\.0\\.0\\.2:8080 -r 127\\.0\\.0\\.1:$port( |\$)"
	wait_for "$log" "-a $rs" 30 || { fail "no '-a' of the real server in 30 s: $(tail -n 5 "$log")"; return; }
	kill "$server_pid"; wait "$server_pid" 2>/dev/null; server_pid=
	wait_for "$log" "-d $rs" 30 || { fail "no '-d' after the server stopped: $(tail -n 5 "$log")"; return; }
	start_server || { fail "could not restart busybox httpd"; return; }
	i=0
	# Generous bounds: qemu-user on a machine shared by many builders is slow.
	while [ "$(grep -Ec -- "-a $rs" "$log")" -lt 2 ] && [ "$i" -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
	[ "$(grep -Ec -- "-a $rs" "$log")" -ge 2 ] || { fail "no second '-a' within 30 s of the server's return: $(tail -n 5 "$log")"; return; }
	kill -TERM "$daemon_pid"
	wait "$daemon_pid"; drc=$?; daemon_pid=
	[ "$drc" = 0 ] || { fail "daemon exited $drc on SIGTERM, want 0"; return; }
	kill "$server_pid" 2>/dev/null; wait "$server_pid" 2>/dev/null; server_pid=
	pass
}

# ---------- the tls build (lvsmon-tls) ----------

# make_ca: a test CA and a server certificate for rs.lvsmon.test signed by it, in
# $tmp/tls (once per run).
make_ca() {
	[ -f "$tmp/tls/server.pem" ] && return 0
	command -v openssl >/dev/null || return 1
	mkdir -p "$tmp/tls/www"
	(
		cd "$tmp/tls" &&
			openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
				-subj /CN=lvsmon-test-ca -keyout ca.key -out ca.pem &&
			openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
				-subj /CN=rs.lvsmon.test -keyout server.key -out server.csr &&
			printf 'subjectAltName=DNS:rs.lvsmon.test\n' >san.ext &&
			openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
				-days 2 -extfile san.ext -out server.pem
	) >"$tmp/tls/openssl.log" 2>&1 || return 1
	printf 'hello from s_server\n' >"$tmp/tls/www/index.html"
}

# start_tls: openssl s_server -WWW serving $tmp/tls/www on 127.0.0.1:$tls_port.
start_tls() {
	(cd "$tmp/tls/www" && exec openssl s_server -quiet -WWW -accept "127.0.0.1:$tls_port" \
		-cert ../server.pem -key ../server.key) >"$tmp/tls/s_server.log" 2>&1 &
	tls_pid=$!
	i=0
	# Up once its socket listens (bounded).
	while [ "$i" -lt 50 ]; do
		kill -0 "$tls_pid" 2>/dev/null || return 1
		[ -n "$(ss -Hltn "sport = :$tls_port" 2>/dev/null)" ] && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

stop_tls() {
	[ -n "$tls_pid" ] && { kill "$tls_pid" 2>/dev/null; wait "$tls_pid" 2>/dev/null; }
	tls_pid=
}

# tls_setup: CA, a listening s_server on a free port, and the config for it.
tls_setup() {
	stop_tls
	make_ca || { fail "could not make the test CA with openssl: $(tail -n 3 "$tmp/tls/openssl.log" 2>/dev/null)"; return 1; }
	tries=0
	while :; do
		tls_port=$((20000 + ($$ * 11 + tries * 137 + 7) % 30000))
		start_tls && break
		stop_tls
		tries=$((tries + 1))
		[ "$tries" -lt 10 ] || { fail "could not start openssl s_server on 127.0.0.1"; return 1; }
	done
	sed -e "s/@PORT@/$tls_port/" -e "s|@DIR@|$tmp/tls|" cross/test/tls.conf.in >"$tmp/tls.conf"
}

check_tls_elf() {
	with_tls check_elf
}

check_tls_budget() {
	case $triple in
	x86_64-* | aarch64-*) tls_budget=1572864 ;; # 1.5 MiB
	*) tls_budget=1258291 ;;                    # 1.2 MiB
	esac
	bytes=$(wc -c <"$tls_bin" | tr -d ' ')
	if [ "$bytes" -le "$tls_budget" ]; then pass; else fail "$bytes bytes > $tls_budget"; fi
}

# with_tls FN: run a check function with $bin set to the tls build.
with_tls() {
	plain_bin=$bin
	bin=$tls_bin
	"$@"
	bin=$plain_bin
}

check_tls_check() {
	tls_setup || return
	with_tls run tlsgood check -f "$tmp/tls.conf"
	[ "$(rc tlsgood)" = 0 ] || { fail "tls build: exit $(rc tlsgood): $(head -c 300 "$tmp/tlsgood.err")"; return; }
	grep -q '127\.0\.0\.2' "$tmp/tlsgood.out" || { fail "tls build: summary does not name 127.0.0.2"; return; }
	# The plain build refuses SSL_GET at its position, naming the feature.
	run tlsplain check -f "$tmp/tls.conf"
	[ "$(rc tlsplain)" = 1 ] || { fail "plain build: exit $(rc tlsplain), want 1"; return; }
	grep -Eq "^$tmp/tls\.conf:[0-9]+:[0-9]+: .*tls" "$tmp/tlsplain.err" ||
		{ fail "plain build: no FILE:LINE:COL naming the tls feature: $(head -n 1 "$tmp/tlsplain.err")"; return; }
	pass
}

check_tls_check_samples() {
	with_tls samples_against "$ref_tls"
}

check_tls_dry_run_daemon() {
	stop_children
	tls_setup || return
	log=$tmp/tlsdaemon.log
	timeout 120 "$qemu" "$tls_bin" run -f "$tmp/tls.conf" --dry-run --control "$tmp/tlsctl.sock" >"$log" 2>&1 &
	daemon_pid=$!
	rs="-t 127\\.0\\.0\\.2:443 -r 127\\.0\\.0\\.1:$tls_port( |\$)"
	wait_for "$log" "-a $rs" 30 || { fail "no '-a' of the TLS real server in 30 s: $(tail -n 5 "$log")"; return; }
	stop_tls
	wait_for "$log" "-d $rs" 30 || { fail "no '-d' after s_server stopped: $(tail -n 5 "$log")"; return; }
	start_tls || { fail "could not restart openssl s_server"; return; }
	i=0
	while [ "$(grep -Ec -- "-a $rs" "$log")" -lt 2 ] && [ "$i" -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
	[ "$(grep -Ec -- "-a $rs" "$log")" -ge 2 ] || { fail "no second '-a' within 30 s of s_server's return: $(tail -n 5 "$log")"; return; }
	kill -TERM "$daemon_pid"
	wait "$daemon_pid"; drc=$?; daemon_pid=
	[ "$drc" = 0 ] || { fail "daemon exited $drc on SIGTERM, want 0"; return; }
	stop_tls
	pass
}

check_tls_genhash() {
	tls_setup || return
	want=$(md5sum <"$tmp/tls/www/index.html" | cut -d' ' -f1)
	# argv[0] "genhash" through qemu's -0 (the binary is not renamed).
	timeout 30 "$qemu" -0 genhash "$tls_bin" -S -I -V rs.lvsmon.test -s 127.0.0.1 -p "$tls_port" \
		-u /index.html >"$tmp/gh.out" 2>"$tmp/gh.err"
	grc=$?
	stop_tls
	[ "$grc" = 0 ] || { fail "genhash -S exited $grc: $(head -c 300 "$tmp/gh.err")"; return; }
	[ "$(cat "$tmp/gh.out")" = "$want" ] || { fail "genhash -S printed '$(head -c 100 "$tmp/gh.out")', want $want"; return; }
	pass
}

disabled=$(awk '!/^#/ && NF >= 2 && $2 != "yes" { printf "%s ", $1 }' "$checks_file")
for triple in "$@"; do
	echo "== $triple"
	bin=target/$triple/release/lvsmon-plain
	tls_bin=target/$triple/release/lvsmon-tls
	qemu=qemu-$(target_field "$triple" qemu)-static || { fails=$((fails + 1)); continue; }
	if [ ! -f "$bin" ]; then
		check=build; fail "$bin missing (make cross TARGET=$triple)"; continue
	fi
	if [ ! -f "$tls_bin" ] && grep -Eq '^tls-[a-z-]+ +yes' "$checks_file"; then
		check=build-tls; fail "$tls_bin missing (make cross TARGET=$triple FEATURES=tls)"; continue
	fi
	if ! command -v "$qemu" >/dev/null; then
		check=qemu; fail "$qemu not found (make cross-deps)"; continue
	fi
	for check in $(awk '!/^#/ && $2 == "yes" { print $1 }' "$checks_file"); do
		"check_$(echo "$check" | tr - _)"
	done
done
echo "test-cross: $passes passed, $fails failed on: $*"
for d in $disabled; do
	echo "test-cross: DISABLED $d: $(awk -v n="$d" '$1 == n { $1 = ""; $2 = ""; sub(/^ +/, ""); print }' "$checks_file")"
done
[ "$fails" = 0 ]
