#!/bin/bash
# Heap allocations in steady state at scale (bench/alloc, counting allocator on the
# reactor's thread): 4096 real servers, HTTP_GET every 1 s, 6 s warm-up, 10 s window.
# Usage: alloc.sh BENCH_ALLOC RAWFILE
set -euo pipefail
ulimit -n "$(ulimit -Hn)"
port=29131
while ss -ltn | awk '{print $4}' | grep -q ":$port\$"; do port=$((port + 1)); done
"$1" 4096 "$port" 6 10 | tee "$2"
