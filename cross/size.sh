#!/bin/sh
# Print the size of every cross binary that exists, as a Markdown table, against
# the budget (600 KiB per target, issue 5). Exit 1 if a built binary is over it.
# The binaries are already stripped by cross/build.sh (strip = true, .pdr removed
# on MIPS), so the file size is the stripped size.
# Usage: cross/size.sh [TRIPLE...]   (default: every target in cross/targets)
set -eu
. "$(dirname "$0")/lib.sh"
cd "$top_dir"
budget=$((600 * 1024))
[ $# -gt 0 ] || set -- $(all_targets)
over=0
printf '| %-32s | %-9s | %-3s | %9s | %8s | %s\n' target std opt bytes KiB budget
printf '|%s|%s|%s|%s|%s|%s\n' ---------------------------------- ----------- ----- ----------- ---------- --------
for t in "$@"; do
	bin=target/$t/release/lvsmon
	if [ ! -f "$bin" ]; then
		printf '| %-32s | %-9s | %-3s | %9s | %8s | %s\n' "$t" - - - - "not built (make cross TARGET=$t)"
		continue
	fi
	bytes=$(wc -c <"$bin" | tr -d ' ')
	kib=$(awk -v b="$bytes" 'BEGIN { printf "%.1f", b / 1024 }')
	if [ "$bytes" -le "$budget" ]; then verdict=ok; else verdict=OVER; over=1; fi
	# How it was built (cross/build.sh writes the sidecar); "?" if built otherwise.
	std=? opt=?
	[ -f "$bin.cross" ] && eval "$(grep -o 'std=[a-z-]* opt=[0-9a-z]*' "$bin.cross")"
	printf '| %-32s | %-9s | %-3s | %9s | %8s | %s\n' "$t" "$std" "$opt" "$bytes" "$kib" "$verdict"
done
exit $over
