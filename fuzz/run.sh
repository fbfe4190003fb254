#!/bin/sh
# Runs each fuzz target for a fixed time and prints executions and coverage per target.
# Usage: fuzz/run.sh SECONDS [TARGET...]   (default: every target in fuzz/Cargo.toml)
# Needs the nightly toolchain and cargo-fuzz (`cargo install cargo-fuzz`). Runs one target
# at a time under `nice -n 10`; the corpus grows in fuzz/corpus/<target>/, crashes land
# in fuzz/artifacts/<target>/ and make this script exit 1. Logs: fuzz/logs/<target>.log.
set -u
cd "$(dirname "$0")/.." || exit 2
secs=${1:-60}
shift 2>/dev/null || true
targets=${*:-$(cargo +nightly fuzz list --fuzz-dir fuzz)}
if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
	echo "make fuzz needs the nightly toolchain and cargo-fuzz:" >&2
	echo "  rustup toolchain install nightly && cargo install cargo-fuzz" >&2
	exit 2
fi
mkdir -p fuzz/logs
status=0
printf '%-16s %8s %12s %7s %7s %7s  %s\n' target seconds executions cov ft corpus result
for t in $targets; do
	log=fuzz/logs/$t.log
	mkdir -p "fuzz/corpus/$t"
	# Absolute corpus path: the config target changes directory around each parse.
	# -timeout: an input taking 10 s is a hang; -print_final_stats gives the executions.
	nice -n 10 cargo +nightly fuzz run --fuzz-dir fuzz "$t" "$PWD/fuzz/corpus/$t" -- \
		-max_total_time="$secs" -timeout=10 -print_final_stats=1 >"$log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	last=$(grep -E '^#[0-9]+.*cov: ' "$log" | tail -n 1)
	cov=$(echo "$last" | sed -n 's/.* cov: \([0-9]*\).*/\1/p')
	ft=$(echo "$last" | sed -n 's/.* ft: \([0-9]*\).*/\1/p')
	corp=$(echo "$last" | sed -n 's/.* corp: \([0-9]*\)\/.*/\1/p')
	if [ "$rc" -eq 0 ]; then result=ok; else result="FAILED (rc $rc, see $log)"; status=1; fi
	printf '%-16s %8s %12s %7s %7s %7s  %s\n' "$t" "$secs" "${execs:-?}" "${cov:-?}" \
		"${ft:-?}" "${corp:-?}" "$result"
done
exit $status
