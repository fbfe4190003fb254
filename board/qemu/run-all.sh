#!/bin/bash
# Run several scenarios, one VM boot each, sequentially (the machines are small); print one
# line per scenario and a closing "N passed, N failed" line. Exit 1 if any failed.
# Usage: run-all.sh SCENARIO...
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
pass=0; failed=0; names=()
start=$(date +%s)
for s in "$@"; do
    if "$here/run-vm.sh" "$s"; then
        pass=$((pass + 1))
    else
        failed=$((failed + 1)); names+=("$s")
    fi
done
echo "vm-test: $(( $(date +%s) - start ))s for $# boots; failed: ${names[*]:-none}"
echo "vm-test: $pass passed, $failed failed"
[ "$failed" = 0 ]
