#!/bin/bash
# Item 2, host loopback scale (no VM, --dry-run): N real servers on 127.0.0.0/8 checked by
# HTTP_GET every 1 s against bench's responder (0.0.0.0:$port, every loopback address).
# Usage: loopback.sh LVSMON RESPONDER RAWFILE  (4096 and 10 000 real servers, one lvsmon
# instance each; beside each, the responder's bare checker (`responder floor`) on the same
# config: what the connections themselves cost in CPU). With LVSMON_BEFORE, the lvsmon
# build from before the start-to-start schedule also runs at 10 000 (case b10000).
# Usage: loopback.sh LVSMON RESPONDER RAWFILE [LVSMON_BEFORE]
set -euo pipefail
lv=$1; resp=$2; raw=$3; before=${4:-}
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d /tmp/lvsmon-bench-loop.XXXXXX)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$tmp"' EXIT
ulimit -n "$(ulimit -Hn)"   # raise the soft limit to the hard one
hz=$(getconf CLK_TCK)
# a port nobody else listens on (other builders share this host)
port=28931
while ss -ltn | awk "{print \$4}" | grep -q ":$port\$"; do port=$((port + 1)); done
warm=6; win=20
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
rss() { awk '/^VmRSS/{print $2}' "/proc/$1/status"; }

# run_case NAME TOOL COUNTS...: one instance of TOOL (lvsmon or floor) per count, disjoint
# address ranges.
run_case() {
    local name=$1 tool=$2; shift 2
    local pids=() i=0 off=0 n
    # LINGER 3 s: the responder keeps answering (uncounted) until lvsmon has been stopped.
    "$resp" $port $port 8 $((warm + win)) 1000 "$warm" 3 > "$tmp/resp.$name" &
    local rpid=$!
    sleep 0.5
    for n in "$@"; do
        BENCH_K0=$off "$here/genconf.sh" 1 "$n" loop $port 1 1 1 1 > "$tmp/c$i.conf"
        if [ "$tool" = floor ]; then
            # runs past the window by itself and prints its counts when it ends
            "$resp" floor "$tmp/c$i.conf" $((warm + win + 1)) > "$tmp/floor.$name.$i" 2>&1 &
        elif [ "$tool" = lvsmon-before ]; then
            "$before" run --dry-run -f "$tmp/c$i.conf" --control "$tmp/s$i.sock" 2> "$tmp/log.$name.$i" &
        else
            "$lv" run --dry-run -f "$tmp/c$i.conf" --control "$tmp/s$i.sock" 2> "$tmp/log.$name.$i" &
        fi
        pids+=($!)
        i=$((i + 1)); off=$((off + n))
    done
    sleep "$warm"
    local t0=0 p
    for p in "${pids[@]}"; do t0=$((t0 + $(ticks "$p"))); done
    local s0; s0=$(date +%s.%N)
    sleep "$win"
    local t1=0 r=0
    for p in "${pids[@]}"; do t1=$((t1 + $(ticks "$p"))); r=$((r + $(rss "$p"))); done
    local s1; s1=$(date +%s.%N)
    if [ "$tool" != floor ]; then for p in "${pids[@]}"; do kill -TERM "$p"; done; fi
    wait "${pids[@]}" 2>/dev/null || true
    wait "$rpid" || true
    local cpu; cpu=$(awk -v a=$t0 -v b=$t1 -v hz=$hz -v s0=$s0 -v s1=$s1 'BEGIN{printf "%.2f", 100*(b-a)/hz/(s1-s0)}')
    local total=0; for n in "$@"; do total=$((total + n)); done
    local down why
    if [ "$tool" = floor ]; then
        # the bare checker judges nothing: report its failed checks instead
        down=$(sed -n 's/^FLOOR checks=.* ok=[0-9]* failed=\([0-9]*\) timeouts=\([0-9]*\)$/\1 \2/p' "$tmp"/floor.$name.* | awk '{s += $1 + $2} END {print s + 0}')
        why=failed_checks
    else
        down=$(cat "$tmp"/log.$name.* | grep -c 'is DOWN' || true)
        why=$(cat "$tmp"/log.$name.* | sed -n 's/.* is DOWN: //p' | sed 's/[0-9]\+ ms/N ms/' | sort | uniq -c | sort -rn | head -3 | awk '{c=$1; $1=""; printf "%s[%d] ", substr($0,2), c}' | tr ' ' '_')
    fi
    echo "loopback case=$name tool=$tool reals=$total instances=${#pids[@]} cpu_pct=$cpu rss_kb=$r down_events=$down down_reasons=${why:-none} $(grep '^RESPONDER conns' "$tmp/resp.$name" | cut -d' ' -f2-)" | tee -a "$raw"
}
: > "$raw"
echo "# $(date -u +%FT%TZ) host loopback, lvsmon --dry-run, HTTP_GET delay_loop 1, warm-up ${warm}s, window ${win}s, load: $(cut -d' ' -f1-3 /proc/loadavg)" >> "$raw"
run_case r4096 lvsmon 4096
run_case f4096 floor 4096
run_case f10000 floor 10000
run_case r10000 lvsmon 10000
[ -z "$before" ] || run_case b10000 lvsmon-before 10000
