#!/bin/bash
# Build board/qemu-arch/out/ARCH/{kernel,initramfs.cpio.gz}: the foreign-architecture
# busybox-static, the IPVS modules with their dependencies (modules.dep walk, as the x86
# board does), the lvsmon static binary for that architecture, /init and the scenario.
# Needs fetch.sh ARCH to have run. Usage: build-initramfs.sh DEBARCH LVSMON_BINARY
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
arch=${1:?usage: build-initramfs.sh DEBARCH LVSMON_BINARY}
lvsmon_bin=${2:?usage: build-initramfs.sh DEBARCH LVSMON_BINARY}
cache=$here/cache/$arch
out=$here/out/$arch
[ -f "$cache/kernel.env" ] || { echo "build-initramfs($arch): run fetch.sh $arch first" >&2; exit 1; }
# shellcheck disable=SC1091
. "$cache/kernel.env"
kmods=$cache/root/lib/modules/$KVER
[ -f "$lvsmon_bin" ] || { echo "build-initramfs($arch): no lvsmon binary at $lvsmon_bin" >&2; exit 1; }
file "$lvsmon_bin" | grep -q 'statically linked' || {
    echo "build-initramfs($arch): $lvsmon_bin is not statically linked" >&2; exit 1; }

stage=$out/stage
rm -rf "$stage"
mkdir -p "$stage"/{bin,sbin,usr/bin,usr/sbin,lib,etc,proc,sys,dev,tmp,run,var/run,root,srv}
# The foreign busybox cannot run on the host to list its applets: /init installs them
# (busybox --install -s) before anything else.
install -m 0755 "$cache/busybox" "$stage/bin/busybox"
ln -s busybox "$stage/bin/sh"
printf 'root:x:0:0:root:/root:/bin/sh\n' > "$stage/etc/passwd"
printf 'root:x:0:\n' > "$stage/etc/group"

want="crc32c_generic ip_vs ip_vs_rr ip_vs_wrr ip_vs_wlc"
declare -A seen=()
modlist=()
add_mod() { # path relative to $kmods; dependencies first
    local rel=$1 dep
    [ -n "${seen[$rel]:-}" ] && return
    seen[$rel]=1
    for dep in $(grep -E "^${rel}:" "$kmods/modules.dep" | cut -d: -f2-); do add_mod "$dep"; done
    modlist+=("$rel")
}
for m in $want; do
    rel=$(grep -E "^kernel/.*/${m}\.ko(\.[a-z]+)?:" "$kmods/modules.dep" | cut -d: -f1 | head -n1)
    [ -n "$rel" ] || { echo "build-initramfs($arch): module $m not in $KVER" >&2; exit 1; }
    add_mod "$rel"
done
sm=$stage/lib/modules/$KVER
for rel in "${modlist[@]}"; do
    mkdir -p "$sm/$(dirname "$rel")"
    cp "$kmods/$rel" "$sm/$rel"
done
printf '%s\n' "${modlist[@]}" > "$stage/etc/modules.load"

install -m 0755 "$lvsmon_bin" "$stage/usr/bin/lvsmon"
install -m 0755 "$here/init" "$stage/init"
install -m 0755 "$here/scenario.sh" "$stage/scenario.sh"

(cd "$stage" && find . -print0 | sort -z | cpio --null -o -H newc --quiet -R 0:0) | gzip -1 > "$out/initramfs.cpio.gz.tmp"
mv "$out/initramfs.cpio.gz.tmp" "$out/initramfs.cpio.gz"
# malta boots the ELF vmlinux; the virt machines boot the compressed image.
if [ -f "$cache/root/boot/vmlinux-$KVER" ]; then
    cp "$cache/root/boot/vmlinux-$KVER" "$out/kernel"
else
    cp "$cache/root/boot/vmlinuz-$KVER" "$out/kernel"
fi
echo "build-initramfs($arch): $KVER, $(stat -c %s "$out/initramfs.cpio.gz") bytes, ${#modlist[@]} modules"
