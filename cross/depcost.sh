#!/bin/sh
# What each crate costs in the binary, estimated from symbol sizes (the method
# cargo-bloat uses, without the tool): build TRIPLE with symbols kept
# (cross/build.sh --no-strip), demangle, and sum the sizes of the text/data
# symbols by the crate named at the start of each symbol path. C symbols
# (musl libc, libunwind) count as "[C:libc,libunwind]".
# Caveat: with LTO, code inlined into a caller counts toward the caller's
# crate (mostly lvsmon's), so small generic crates look cheaper than they are.
# Usage: cross/depcost.sh TRIPLE [build.sh options]   (prints a Markdown table; rebuilds TRIPLE
# stripped afterwards so target/TRIPLE/release/lvsmon is the shipped binary)
set -eu
. "$(dirname "$0")/lib.sh"
triple=${1:?usage: cross/depcost.sh TRIPLE [cross/build.sh options]}
shift
cd "$top_dir"
nm=/usr/lib/llvm-14/bin/llvm-nm
command -v "$nm" >/dev/null 2>&1 || nm=nm
"$cross_dir/build.sh" "$triple" --no-strip "$@" >&2
bin=target/$triple/release/lvsmon
total=$(wc -c <"$bin" | tr -d ' ')
"$nm" --print-size --size-sort --demangle "$bin" 2>/dev/null | awk '
	function hex(h,   i, c, v) {
		v = 0
		h = tolower(h)
		for (i = 1; i <= length(h); i++) v = v * 16 + index("0123456789abcdef", substr(h, i, 1)) - 1
		return v
	}
	NF >= 4 && $3 ~ /^[tTdDrRbB]$/ {
		size = hex($2)
		name = $0
		sub(/^[^ ]+ [^ ]+ [^ ]+ /, "", name)
		# "<T as Trait>::f" belongs to the crate of T; "_<...>" likewise.
		gsub(/^[_<&]+/, "", name)
		sub(/^(mut |dyn )/, "", name)
		if (match(name, /^[A-Za-z_][A-Za-z0-9_]*::/)) crate = substr(name, 1, RLENGTH - 2)
		else crate = "[C:libc,libunwind]"
		sum[crate] += size
	}
	END { for (c in sum) print c, sum[c] }' | sort -k2,2nr >"$bin.depcost"
all=$(awk '{ s += $2 } END { print s }' "$bin.depcost")
echo "| crate | bytes | share |"
echo "|---|---:|---:|"
awk -v all="$all" '{ printf "| %s | %d | %.1f%% |\n", $1, $2, 100 * $2 / all }' "$bin.depcost"
echo "| (all symbols) | $all | of a $total-byte unstripped file |"
rm -f "$bin.depcost"
"$cross_dir/build.sh" "$triple" "$@" >&2
