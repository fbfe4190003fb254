#!/bin/bash
# Boot the test VM for one scenario and turn its verdict into an exit code.
# Usage: run-vm.sh SCENARIO [BUDGET_SECONDS]  (default: the scenario's `# vm-budget: N`, or 150)
# The VM has no network device (-nic none) and runs under `timeout`; the serial console is
# logged to board/qemu/out/logs/SCENARIO.log. Exit 0 on "LVSMON-VERDICT: PASS", 1 otherwise.
# LVSMON_VM_ECHO=1 also echoes the console while it runs. Software emulation (TCG) is the
# default: on these machines /dev/kvm exists but a KVM guest hangs before its first console
# line (nested virtualisation). LVSMON_KVM=1 opts in to -machine accel=kvm:tcg.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
out=$here/out
scenario=${1:?usage: run-vm.sh SCENARIO [BUDGET_SECONDS]}
# Without BUDGET_SECONDS: the scenario's own `# vm-budget: N` line, else 150 s.
budget=${2:-$(sed -n 's/^# vm-budget: *\([0-9][0-9]*\).*/\1/p' "$here"/scenarios*/"$scenario.sh" 2>/dev/null | head -n1)}
budget=${budget:-150}
# The several-Director scenarios boot the image with keepalived and BIRD appended
# (build-initramfs.sh); every other scenario the smaller base image.
initrd=$out/initramfs.cpio.gz
case $scenario in ha-*|demo-ha) initrd=$out/initramfs-ha.cpio.gz ;; esac
[ -f "$out/vmlinuz" ] && [ -f "$initrd" ] || {
    echo "run-vm: no $out/vmlinuz or $initrd; run make vm-initramfs" >&2; exit 1; }
command -v qemu-system-x86_64 >/dev/null || {
    echo "run-vm: qemu-system-x86_64 missing: apt-get install qemu-system-x86" >&2; exit 1; }

mkdir -p "$out/logs"
log=$out/logs/$scenario.log
accel=(-machine accel=tcg)
# -cpu qemu64: under TCG every exec costs ~0.1 s with it, ~0.4 s with -cpu max.
cpu=(-cpu qemu64)
if [ -n "${LVSMON_KVM:-}" ] && [ -r /dev/kvm ] && [ -w /dev/kvm ]; then
    accel=(-machine accel=kvm:tcg)
fi

start=$(date +%s.%N)
set +e
if [ -n "${LVSMON_VM_ECHO:-}" ]; then
    timeout -k 5 "$((budget + 60))" qemu-system-x86_64 "${accel[@]}" "${cpu[@]}" -smp 1 -m 256 \
        -nic none -nographic -no-reboot -serial stdio -monitor none \
        -kernel "$out/vmlinuz" -initrd "$initrd" \
        -append "console=ttyS0 panic=-1 quiet loglevel=3 scenario=$scenario budget=$budget" \
        < /dev/null 2>&1 | tee "$log"
    rc=${PIPESTATUS[0]}
else
    timeout -k 5 "$((budget + 60))" qemu-system-x86_64 "${accel[@]}" "${cpu[@]}" -smp 1 -m 256 \
        -nic none -nographic -no-reboot -serial stdio -monitor none \
        -kernel "$out/vmlinuz" -initrd "$initrd" \
        -append "console=ttyS0 panic=-1 quiet loglevel=3 scenario=$scenario budget=$budget" \
        < /dev/null > "$log" 2>&1
    rc=$?
fi
set -e
end=$(date +%s.%N)
secs=$(awk -v a="$start" -v b="$end" 'BEGIN{printf "%.1f", b-a}')

verdict=$(tr -d '\r' < "$log" | grep -a '^LVSMON-VERDICT: ' | tail -n1 || true)
if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
    echo "run-vm: $scenario: qemu killed by timeout after ${secs}s (log: $log)" >&2
    tail -n 30 "$log" >&2
    exit 1
fi
# A scenario may print Prometheus expositions between "LVSMON-METRICS-BEGIN NAME" and
# "LVSMON-METRICS-END NAME" lines: each must pass the host's `promtool check metrics`
# (Debian's prometheus package; the 48 MB binary stays out of the initramfs).
if grep -aq '^LVSMON-METRICS-BEGIN ' "$log"; then
    command -v promtool >/dev/null || {
        echo "run-vm: $scenario prints metrics but promtool is missing: apt-get install prometheus" >&2; exit 1; }
    for name in $(tr -d '\r' < "$log" | sed -n 's/^LVSMON-METRICS-BEGIN //p'); do
        if ! tr -d '\r' < "$log" | sed -n "/^LVSMON-METRICS-BEGIN $name\$/,/^LVSMON-METRICS-END $name\$/p" |
            sed '1d;$d' | promtool check metrics >&2; then
            echo "run-vm: $scenario: promtool check metrics failed on the exposition '$name'" >&2
            exit 1
        fi
        echo "run-vm: $scenario: promtool check metrics passed on '$name'"
    done
fi
case $verdict in
    "LVSMON-VERDICT: PASS "*)
        echo "vm: ${verdict#LVSMON-VERDICT: } [${secs}s wall]"
        exit 0 ;;
    "LVSMON-VERDICT: FAIL "*)
        echo "vm: ${verdict#LVSMON-VERDICT: } [${secs}s wall]" >&2
        tail -n 40 "$log" >&2
        exit 1 ;;
    *)
        echo "run-vm: $scenario: no verdict on the console (qemu exit $rc, ${secs}s; log: $log)" >&2
        tail -n 40 "$log" >&2
        exit 1 ;;
esac
