#!/bin/bash
# Fetch Debian's foreign-architecture pieces for the per-architecture kernel board into
# board/qemu-arch/cache/ARCH/: the kernel package (IPVS as modules) and busybox-static.
# Uses a private apt configuration (its own sources.list, state and cache under
# cache/apt-ARCH/) so the host's apt state is never touched.
# Usage: fetch.sh DEBARCH   (arm64 | armhf | mipsel). Cached once cache/ARCH/kernel.env exists.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
arch=${1:?usage: fetch.sh arm64|armhf|mipsel}
case $arch in
    arm64) flavour=arm64 ;;
    armhf) flavour=armmp ;;
    mipsel) flavour=4kc-malta ;;
    *) echo "fetch: unknown architecture $arch" >&2; exit 1 ;;
esac
cache=$here/cache/$arch
mkdir -p "$cache"

if [ -f "$cache/kernel.env" ]; then
    # shellcheck disable=SC1091
    . "$cache/kernel.env"
    if [ -f "$cache/root/lib/modules/$KVER/modules.dep" ] && [ -x "$cache/busybox" ]; then
        echo "fetch($arch): cached $KVER"
        exit 0
    fi
fi

# The same mirror the host uses (deb.debian.org, bookworm main); bookworm serves arm64,
# armhf and mipsel.
mirror=${LVSMON_DEBIAN_MIRROR:-http://deb.debian.org/debian}
apt=$here/cache/apt-$arch
mkdir -p "$apt"/{lists/partial,archives/partial,etc/preferences.d,etc/apt.conf.d}
printf 'deb [arch=%s signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] %s bookworm main\n' \
    "$arch" "$mirror" > "$apt/etc/sources.list"
: > "$apt/status"
cat > "$apt/apt.conf" <<CONF
APT::Architecture "$arch";
APT::Architectures { "$arch"; };
Dir::State "$apt";
Dir::State::Lists "$apt/lists";
Dir::State::status "$apt/status";
Dir::Cache "$apt";
Dir::Cache::Archives "$apt/archives";
Dir::Etc::SourceList "$apt/etc/sources.list";
Dir::Etc::SourceParts "$apt/etc/sources.list.d";
Dir::Etc::Parts "$apt/etc/apt.conf.d";
Dir::Etc::Preferences "$apt/etc/preferences";
Dir::Etc::PreferencesParts "$apt/etc/preferences.d";
APT::Sandbox::User "root";
CONF
aptc=(apt-get -c "$apt/apt.conf" -o Debug::NoLocking=1 -q)
timeout 900 "${aptc[@]}" update >/dev/null

pkg=${LVSMON_ARCH_KERNEL_PKG:-}
if [ -z "$pkg" ]; then
    pkg=$(apt-cache -c "$apt/apt.conf" depends "linux-image-$flavour" 2>/dev/null \
        | sed -n "s/^ *Depends: \(linux-image-[0-9][^ ]*-$flavour\)\$/\1/p" | head -n1)
fi
[ -n "$pkg" ] || { echo "fetch($arch): no linux-image-*-$flavour" >&2; exit 1; }
kver=${pkg#linux-image-}
echo "fetch($arch): downloading $pkg busybox-static"
dl=$cache/dl
rm -rf "$dl" "$cache/root" "$cache/bb"
mkdir -p "$dl"
(cd "$dl" && timeout 900 "${aptc[@]}" download "$pkg:$arch" "busybox-static:$arch")
dpkg-deb -x "$(ls "$dl"/linux-image-*.deb)" "$cache/root"
dpkg-deb -x "$(ls "$dl"/busybox-static_*.deb)" "$cache/bb"
install -m 0755 "$cache/bb/bin/busybox" "$cache/busybox"
rm -rf "$dl" "$cache/bb"
depmod -b "$cache/root" "$kver"
printf 'KVER=%s\nKPKG=%s\n' "$kver" "$pkg" > "$cache/kernel.env"
echo "fetch($arch): ready $kver ($(du -sh "$cache/root" | cut -f1))"
