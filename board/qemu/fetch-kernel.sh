#!/bin/bash
# Fetch Debian's amd64 kernel package (IPVS built as modules) into board/qemu/cache/.
# Installs the host tools the board needs when they are missing (apt, as root).
# Cached: once cache/kernel.env exists and its files are present, a run does nothing.
# Override the package with LVSMON_KERNEL_PKG=linux-image-6.1.0-NN-amd64.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
cache=$here/cache
mkdir -p "$cache"

# Tools the board needs on the host: command -> Debian package.
need_pkgs=()
check() { command -v "$1" >/dev/null 2>&1 || need_pkgs+=("$2"); }
check qemu-system-x86_64 qemu-system-x86
check depmod kmod
check cpio cpio
check ldd libc-bin
[ -x /bin/busybox ] && /bin/busybox --list 2>/dev/null | grep -qx httpd || need_pkgs+=(busybox-static)
[ -x /usr/sbin/ipvsadm ] || need_pkgs+=(ipvsadm)
[ -x /usr/sbin/ip ] || [ -x /sbin/ip ] || [ -x /bin/ip ] || need_pkgs+=(iproute2)
if [ ${#need_pkgs[@]} -gt 0 ]; then
    echo "fetch-kernel: installing ${need_pkgs[*]}" >&2
    if [ "$(id -u)" != 0 ]; then
        echo "fetch-kernel: not root; run: apt-get install -y ${need_pkgs[*]}" >&2
        exit 1
    fi
    timeout 600 apt-get update -qq
    DEBIAN_FRONTEND=noninteractive timeout 900 apt-get install -y -qq "${need_pkgs[@]}"
fi

if [ -f "$cache/kernel.env" ]; then
    # shellcheck disable=SC1091
    . "$cache/kernel.env"
    if [ -f "$cache/root/boot/vmlinuz-$KVER" ] && [ -f "$cache/root/lib/modules/$KVER/modules.dep" ]; then
        echo "fetch-kernel: cached $KVER"
        exit 0
    fi
fi

pkg=${LVSMON_KERNEL_PKG:-}
if [ -z "$pkg" ]; then
    # The metapackage's candidate names the current ABI, e.g. linux-image-6.1.0-56-amd64.
    pkg=$(apt-cache depends linux-image-amd64 2>/dev/null | sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*-amd64\)$/\1/p' | head -n1)
    if [ -z "$pkg" ]; then
        timeout 600 apt-get update -qq
        pkg=$(apt-cache depends linux-image-amd64 | sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*-amd64\)$/\1/p' | head -n1)
    fi
fi
[ -n "$pkg" ] || { echo "fetch-kernel: cannot find a linux-image-*-amd64 package" >&2; exit 1; }
kver=${pkg#linux-image-}
echo "fetch-kernel: downloading $pkg"

dl=$cache/dl
rm -rf "$dl" "$cache/root"
mkdir -p "$dl"
# apt-get download writes into the current directory; _apt needs to write there.
chmod 0777 "$dl"
(cd "$dl" && timeout 900 apt-get download -q "$pkg")
deb=$(ls "$dl"/*.deb | head -n1)
dpkg-deb -x "$deb" "$cache/root"
rm -rf "$dl"
[ -f "$cache/root/boot/vmlinuz-$kver" ] || { echo "fetch-kernel: no vmlinuz-$kver in $pkg" >&2; exit 1; }
depmod -b "$cache/root" "$kver"
printf 'KVER=%s\nKPKG=%s\n' "$kver" "$pkg" > "$cache/kernel.env"
echo "fetch-kernel: ready $kver ($(du -sh "$cache/root" | cut -f1))"
