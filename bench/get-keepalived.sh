#!/bin/bash
# Fetch Debian's keepalived package (2.2.7 on Debian 12) and extract it under DIR/root.
# Cached: does nothing once DIR/root/usr/sbin/keepalived exists.
set -euo pipefail
dir=$1
[ -x "$dir/root/usr/sbin/keepalived" ] && exit 0
mkdir -p "$dir/dl"; chmod 0777 "$dir/dl"
(cd "$dir/dl" && timeout 300 apt-get download -q keepalived)
dpkg-deb -x "$(ls "$dir"/dl/keepalived_*.deb | head -n1)" "$dir/root"
if ldd "$dir/root/usr/sbin/keepalived" | grep -q 'not found'; then
    echo "get-keepalived: missing libraries; as root: apt-get install -y libnftnl11 libsnmp40" >&2
    exit 1
fi
"$dir/root/usr/sbin/keepalived" --version 2>&1 | sed -n 1p
