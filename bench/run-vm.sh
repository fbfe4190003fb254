#!/bin/bash
# Boot the bench VM for one bench scenario (bench/vm/NAME.sh) and keep its console.
# Usage: run-vm.sh NAME BUDGET_SECONDS RAWFILE
# Same kernel command line and verdict as board/qemu/run-vm.sh (whose initramfs path is
# fixed), with bench's initramfs and 1 GiB of memory (4000 real servers, two tools).
# TCG software emulation, -nic none, under timeout. Lines the scenario prints starting
# with "BENCH " are copied to RAWFILE; exit 0 on a PASS verdict.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
name=$1; budget=$2; raw=$3
out=$here/out
mkdir -p "$out/logs"
log=$out/logs/$name.log
# The HA bench (bench/vm/ha.sh) needs keepalived, BIRD and the streams tool: the board's HA
# image with the bench scenarios (build-initramfs.sh), and -cpu qemu64, under which each
# of its many short-lived commands costs a quarter of what it costs with -cpu max.
initrd=$out/bench-initramfs.cpio.gz
cpu=max
case $name in ha) initrd=$out/bench-ha-initramfs.cpio.gz; cpu=qemu64 ;; esac
set +e
# On a loaded host the emulated timer can miss the kernel's early IO-APIC check, which
# then panics before anything ran ("IO-APIC + timer doesn't work"): boot again, twice at
# most. Nothing of the scenario has run in such a boot.
for attempt in 1 2 3; do
    timeout -k 5 "$((budget + 90))" qemu-system-x86_64 -machine accel=tcg -cpu "$cpu" -smp 1 -m 1024 \
        -nic none -nographic -no-reboot -serial stdio -monitor none \
        -kernel "$out/vmlinuz" -initrd "$initrd" \
        -append "console=ttyS0 panic=-1 quiet loglevel=3 scenario=bench-$name budget=$budget" \
        < /dev/null > "$log" 2>&1
    rc=$?
    grep -aq "IO-APIC + timer doesn't work" "$log" || break
    echo "bench vm $name: early timer panic in boot $attempt, booting again" >&2
done
set -e
tr -d '\r' < "$log" | grep -a '^BENCH ' >> "$raw" || true
verdict=$(tr -d '\r' < "$log" | grep -a '^LVSMON-VERDICT: ' | tail -n1 || true)
echo "bench vm $name: qemu rc=$rc ${verdict:-no verdict} (log $log)"
case $verdict in "LVSMON-VERDICT: PASS "*) exit 0 ;; esac
tail -n 20 "$log" >&2
exit 1
