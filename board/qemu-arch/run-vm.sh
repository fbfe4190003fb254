#!/bin/bash
# Boot the per-architecture test VM and turn its verdict into an exit code.
# Usage: run-vm.sh DEBARCH [BUDGET_SECONDS]   (arm64 | armhf | mipsel)
# Always -nic none, always under `timeout`; the console goes to out/ARCH/console.log.
# Prints boot time (kernel uptime when /init had loaded ip_vs) and the total wall time.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
arch=${1:?usage: run-vm.sh arm64|armhf|mipsel [BUDGET]}
budget=${2:-120}
out=$here/out/$arch
[ -f "$out/kernel" ] && [ -f "$out/initramfs.cpio.gz" ] || {
    echo "run-vm($arch): no kernel/initramfs in $out; run build-initramfs.sh" >&2; exit 1; }
case $arch in
    # Debian's arm64 kernel on the generic virt board; console on the PL011.
    arm64) qemu=(qemu-system-aarch64 -M virt -cpu cortex-a53); console=ttyAMA0 ;;
    # armmp (multiplatform) supports the virt board; qemu builds its device tree.
    armhf) qemu=(qemu-system-arm -M virt,highmem=off -cpu cortex-a15); console=ttyAMA0 ;;
    # 4kc-malta on the Malta board (qemu's default CPU for it runs the 4Kc kernel).
    mipsel) qemu=(qemu-system-mipsel -M malta); console=ttyS0 ;;
    *) echo "run-vm: unknown architecture $arch" >&2; exit 1 ;;
esac
command -v "${qemu[0]}" >/dev/null || {
    echo "run-vm($arch): ${qemu[0]} missing: apt-get install qemu-system-arm qemu-system-mips" >&2; exit 1; }

log=$out/console.log
start=$(date +%s.%N)
set +e
timeout -k 5 "$((budget + 60))" "${qemu[@]}" -m 256 -smp 1 \
    -nic none -nographic -no-reboot -serial stdio -monitor none \
    -kernel "$out/kernel" -initrd "$out/initramfs.cpio.gz" \
    -append "console=$console panic=-1 quiet loglevel=3 budget=$budget archname=$arch" \
    < /dev/null > "$log" 2>&1
rc=$?
set -e
end=$(date +%s.%N)
secs=$(awk -v a="$start" -v b="$end" 'BEGIN{printf "%.1f", b-a}')
boot=$(tr -d '\r' < "$log" | sed -n 's/^LVSMON-BOOT: .* up \([0-9.]*\)s.*/\1/p' | head -n1)
verdict=$(tr -d '\r' < "$log" | grep -a '^LVSMON-VERDICT: ' | tail -n1 || true)
summary="boot ${boot:-?}s (kernel uptime at ip_vs loaded), total ${secs}s wall"
if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
    echo "run-vm($arch): qemu killed by timeout after ${secs}s (log: $log)" >&2
    tail -n 30 "$log" >&2
    exit 1
fi
case $verdict in
    "LVSMON-VERDICT: PASS "*) echo "vm-arch: ${verdict#LVSMON-VERDICT: }; $summary"; exit 0 ;;
    "LVSMON-VERDICT: FAIL "*) echo "vm-arch: ${verdict#LVSMON-VERDICT: }; $summary" >&2 ;;
    *) echo "run-vm($arch): no verdict on the console (qemu exit $rc, ${secs}s; log: $log)" >&2 ;;
esac
tail -n 40 "$log" >&2
exit 1
