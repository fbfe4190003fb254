#!/bin/bash
# Item 4 on the host (no VM, no emulation): reload of an unchanged 4096-real-server config,
# the config bench/vm/reload.sh uses (genconf.sh, doc addresses, HTTP_GET). bench-reload
# (bench/reload_host/) times in-process, best and median of RUNS: config::load alone; the
# full reload path (daemon::reload_config, then what the reactor does with the result and
# the reconcile pass, which must find 0 operations) with the file's bytes changed by a
# comment each time; and the byte-identical short cut. Then, when valgrind is installed,
# callgrind's instruction count of one of each (repeatable on a loaded machine, unlike
# wall time), and `lvsmon check` of the config as a whole process, best of 5.
# Usage: reload_host.sh BENCH_RELOAD LVSMON RAWFILE [RUNS]
# The config uses documentation addresses; nothing is sent to them (no probe runs).
set -euo pipefail
br=$1; lv=$2; raw=$3; runs=${4:-41}
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d /tmp/lvsmon-bench-reload.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
conf=$tmp/r4096.conf
"$here/genconf.sh" 1 4096 doc 8000 9 1 3600 1 | awk '{print} /^    delay_loop 3600$/{print "    warmup 3600"}
    /^            connect_timeout/{print "            connect_ip 192.0.2.1"; print "            connect_port 18000"}' > "$conf"
{
    echo "# $(date -u +%FT%TZ) load average: $(cut -d' ' -f1-3 /proc/loadavg); config: $(wc -l < "$conf") lines, $(wc -c < "$conf") bytes"
    timeout 300 "$br" "$conf" "$runs"
    if command -v valgrind > /dev/null; then
        # Instructions of one run of a phase: callgrind of set-up + phase minus set-up.
        ir() {
            timeout 600 valgrind --tool=callgrind --callgrind-out-file=/dev/null "$br" "$conf" 1 "$1" 2>&1 >/dev/null |
                sed -n 's/^==[0-9]*== Collected : \([0-9]*\)$/\1/p'
        }
        base=$(ir setup)
        line="BENCH reload_host_instructions"
        for phase in load full unchanged; do
            n=$(ir $phase)
            line="$line $phase=$(( ${n:-0} - ${base:-0} ))"
        done
        echo "$line"
    fi
    best=""
    for _ in 1 2 3 4 5; do
        t0=$(date +%s%N)
        "$lv" check -f "$conf" > /dev/null 2>&1
        t=$(( ($(date +%s%N) - t0) / 1000 ))
        if [ -z "$best" ] || [ "$t" -lt "$best" ]; then best=$t; fi
    done
    echo "BENCH reload_host_check best_of_5_us=$best"
} | tee "$raw"
