# Shared helpers for the cross/ scripts (sourced, not run).
# target_field TRIPLE COLUMN -> prints one column of cross/targets (see its header).
cross_dir=$(cd "$(dirname "$0")" && pwd)
top_dir=$(cd "$cross_dir/.." && pwd)

target_field() {
	awk -v t="$1" -v c="$2" '
		$1 == t { if (c == "qemu") print $2; else if (c == "std") print $3;
		          else if (c == "opt") print $4; else if (c == "ci") print $5; found = 1 }
		END { if (!found) exit 1 }' "$cross_dir/targets" || {
		echo "cross: unknown target '$1' (see cross/targets)" >&2
		return 1
	}
}

# all_targets [ci] -> the triples, in table order; with "ci" only those marked ci=yes.
all_targets() {
	awk -v ci="${1:-}" '!/^#/ && NF >= 5 && (ci == "" || $5 == "yes") { print $1 }' "$cross_dir/targets"
}
