#!/bin/sh
# Tests of board/buildroot/lvsmon/lvsmon.mk's feature selection: the .mk evaluated
# by GNU make with a stand-in for buildroot's cargo-package (which would consume
# LVSMON_CARGO_BUILD_OPTS and LVSMON_CARGO_INSTALL_OPTS), with and without
# BR2_PACKAGE_LVSMON_TLS; and Config.in offering that option under BR2_PACKAGE_LVSMON.
# Usage: board/buildroot/test/run.sh
set -u
here=$(cd "$(dirname "$0")" && pwd)
ext=$(cd "$here/.." && pwd)
passes=0 fails=0

# opts [y|""] -> "BUILD_OPTS | INSTALL_OPTS" as lvsmon.mk sets them.
opts() {
	printf '%s\n' \
		"BR2_EXTERNAL_LVSMON_PATH := $ext" \
		"BR2_PACKAGE_LVSMON_TLS := $1" \
		'cargo-package :=' \
		"include $ext/lvsmon/lvsmon.mk" \
		'show: ; @echo "$(strip $(LVSMON_CARGO_BUILD_OPTS)) | $(strip $(LVSMON_CARGO_INSTALL_OPTS))"' |
		make -s -f - show
}

expect() { # WHAT GOT WANT
	if [ "$2" = "$3" ]; then passes=$((passes + 1)); else
		fails=$((fails + 1))
		echo "FAIL $1: got '$2', want '$3'"
	fi
}

expect "plain build" "$(opts '')" "--no-default-features | --no-default-features"
expect "BR2_PACKAGE_LVSMON_TLS=y" "$(opts y)" \
	"--no-default-features --features tls | --no-default-features --features tls"
# The option exists, inside `if BR2_PACKAGE_LVSMON`, before its endif.
got=$(awk '/^if BR2_PACKAGE_LVSMON$/ { inside = 1 } /^endif/ { inside = 0 }
	inside && /^config BR2_PACKAGE_LVSMON_TLS$/ { print "found" }' "$ext/lvsmon/Config.in")
expect "Config.in offers BR2_PACKAGE_LVSMON_TLS under BR2_PACKAGE_LVSMON" "$got" found
echo "buildroot package tests: $passes passed, $fails failed"
[ "$fails" = 0 ]
