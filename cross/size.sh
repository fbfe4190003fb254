#!/bin/sh
# Print the size of both builds of every cross target that exist, as a Markdown table,
# each against its budget: the plain build (no features) 600 KiB (plain_budget in
# cross/lib.sh); the tls build (SSL_GET) 1.5 MiB on 64-bit targets and 1.2 MiB on 32-bit
# ones (issue 11). Exit 1 if a built binary is over its budget.
# The binaries are already stripped by cross/build.sh (strip = true, .pdr removed on
# MIPS), so the file size is the stripped size. cross/build.sh leaves each build as
# target/<triple>/release/lvsmon-plain and lvsmon-tls.
# Usage: cross/size.sh [TRIPLE...]   (default: every target in cross/targets)
set -eu
. "$(dirname "$0")/lib.sh"
cd "$top_dir"
[ $# -gt 0 ] || set -- $(all_targets)
over=0

# cell FILE BUDGET -> "bytes | KiB | verdict" for one binary, or dashes if not built.
cell() {
	if [ ! -f "$1" ]; then
		printf '%9s | %8s | %-5s' - - -
		return
	fi
	bytes=$(wc -c <"$1" | tr -d ' ')
	kib=$(awk -v b="$bytes" 'BEGIN { printf "%.1f", b / 1024 }')
	if [ "$bytes" -le "$2" ]; then verdict=ok; else verdict=OVER; over=1; fi
	printf '%9s | %8s | %-5s' "$bytes" "$kib" "$verdict"
}

printf '| %-32s | %-3s | %9s | %8s | %-5s | %9s | %8s | %-5s | %s\n' \
	target opt "plain B" "KiB" "plain" "tls B" "KiB" "tls" "budgets"
printf '|%s|%s|%s|%s|%s|%s|%s|%s|%s\n' ---------------------------------- ----- ----------- ---------- ------- ----------- ---------- ------- ------------
for t in "$@"; do
	dir=target/$t/release
	case $t in
	x86_64-* | aarch64-*) tls_budget=1572864 tls_name="1.5 MiB" ;;
	*) tls_budget=1258291 tls_name="1.2 MiB" ;;
	esac
	# opt-level from how it was built (cross/build.sh's sidecar), "?" if built otherwise.
	opt=?
	for side in "$dir/lvsmon-plain.cross" "$dir/lvsmon-tls.cross"; do
		[ -f "$side" ] && eval "$(grep -o 'opt=[0-9a-z]*' "$side")" && break
	done
	pb=$(plain_budget "$t")
	pbudget=${pb% *} pname=${pb#* }
	row_plain=$(cell "$dir/lvsmon-plain" "$pbudget")
	row_tls=$(cell "$dir/lvsmon-tls" "$tls_budget")
	# cell ran in a subshell: recompute the verdicts here for the exit status.
	for pair in "$dir/lvsmon-plain:$pbudget" "$dir/lvsmon-tls:$tls_budget"; do
		f=${pair%:*} b=${pair##*:}
		[ -f "$f" ] && [ "$(wc -c <"$f" | tr -d ' ')" -gt "$b" ] && over=1
	done
	note="plain $pname, tls $tls_name"
	[ -f "$dir/lvsmon-plain" ] || [ -f "$dir/lvsmon-tls" ] || note="$tls_name; not built (make cross TARGET=$t [FEATURES=tls])"
	printf '| %-32s | %-3s | %s | %s | %s\n' "$t" "$opt" "$row_plain" "$row_tls" "$note"
done
exit $over
