#!/bin/bash
# Build bench/out/bench-initramfs.cpio.gz: the board's initramfs (board/qemu/out/
# initramfs.cpio.gz, built by board/qemu/build-initramfs.sh, left untouched) unpacked and
# extended with Debian's keepalived 2.2.7 and every shared library ldd names for it, the
# bench responder (static), the config generator and the bench scenarios (bench/vm/*.sh,
# installed as /scenarios/bench-*.sh so the board's /init runs them unchanged), and, when
# given, an earlier lvsmon build as /usr/bin/lvsmon-before (the scale bench runs it beside
# the current one: before and after the start-to-start schedule).
# Usage: build-initramfs.sh KEEPALIVED_BIN RESPONDER_BIN [LVSMON_BEFORE_BIN]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
ka=$1; resp=$2; before=${3:-}
board=$top/board/qemu/out/initramfs.cpio.gz
[ -f "$board" ] || { echo "bench: no $board (make vm-initramfs)" >&2; exit 1; }
out=$here/out
stage=$out/stage
rm -rf "$stage"; mkdir -p "$stage"
(cd "$stage" && gzip -dc "$board" | cpio -id --quiet)
install -m 0755 "$ka" "$stage/usr/sbin/keepalived"
for lib in $(ldd "$ka" | awk '/=> \//{print $3} /^\t\/lib/{print $1}'); do
    mkdir -p "$stage$(dirname "$lib")"
    [ -e "$stage$lib" ] || cp -L "$lib" "$stage$lib"
done
if ldd "$ka" | grep -q 'not found'; then
    echo "bench: keepalived has unresolved libraries on this host:" >&2
    ldd "$ka" | grep 'not found' >&2
    exit 1
fi
mkdir -p "$stage/etc/keepalived"
install -m 0755 "$resp" "$stage/usr/bin/responder"
install -m 0755 "$here/genconf.sh" "$stage/usr/bin/genconf"
[ -z "$before" ] || install -m 0755 "$before" "$stage/usr/bin/lvsmon-before"
for s in "$here"/vm/*.sh; do install -m 0755 "$s" "$stage/scenarios/bench-$(basename "$s")"; done
(cd "$stage" && find . -print0 | sort -z | cpio --null -o -H newc --quiet -R 0:0) | gzip -1 > "$out/bench-initramfs.cpio.gz.tmp"
mv "$out/bench-initramfs.cpio.gz.tmp" "$out/bench-initramfs.cpio.gz"
cp "$top/board/qemu/out/vmlinuz" "$out/vmlinuz"
# The HA bench (vm/ha.sh): the board's HA image (keepalived, BIRD, the streams tool, the
# same lvsmon) with the bench scenarios added.
ha=$top/board/qemu/out/initramfs-ha.cpio.gz
if [ -f "$ha" ]; then
    # That image is two archives end to end (base + HA layer); the kernel unpacks any
    # number in turn, so the scenarios go in a third one appended to it.
    rm -rf "$stage"; mkdir -p "$stage/scenarios"
    for s in "$here"/vm/*.sh; do install -m 0755 "$s" "$stage/scenarios/bench-$(basename "$s")"; done
    (cd "$stage" && find . -print0 | sort -z | cpio --null -o -H newc --quiet -R 0:0) | gzip -1 > "$out/bench-scenarios.cpio.gz"
    cat "$ha" "$out/bench-scenarios.cpio.gz" > "$out/bench-ha-initramfs.cpio.gz.tmp"
    mv "$out/bench-ha-initramfs.cpio.gz.tmp" "$out/bench-ha-initramfs.cpio.gz"
    echo "bench: $out/bench-ha-initramfs.cpio.gz $(stat -c %s "$out/bench-ha-initramfs.cpio.gz") bytes"
else
    echo "bench: no $ha (keepalived/bird2 missing on the host?): the ha bench will fail" >&2
fi
echo "bench: $out/bench-initramfs.cpio.gz $(stat -c %s "$out/bench-initramfs.cpio.gz") bytes"
