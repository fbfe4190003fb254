#!/bin/bash
# Item 1, footprint (host only): the stripped static lvsmon against keepalived 2.2.7's binary
# plus every shared library ldd resolves for it, and ipvsadm 1.31's likewise.
# Usage: footprint.sh LVSMON_STATIC KEEPALIVED_BIN IPVSADM_BIN  -> raw lines on stdout
set -euo pipefail
lv=$1; ka=$2; ia=$3
closure() { # BIN -> "binary_bytes libs_bytes nlibs missing"
    local b=$1 sum=0 n=0 miss=0 lib
    for lib in $(ldd "$b" | awk '/=> \//{print $3} /^\t\/lib/{print $1}' | sort -u); do
        sum=$((sum + $(stat -L -c %s "$lib"))); n=$((n + 1))
    done
    miss=$(ldd "$b" | grep -c 'not found' || true)
    echo "$(stat -L -c %s "$b") $sum $n $miss"
}
file "$lv" | grep -q 'statically linked' || { echo "footprint: $lv is not static" >&2; exit 1; }
echo "lvsmon $(stat -c %s "$lv") 0 0 0"
echo "keepalived $(closure "$ka")"
echo "ipvsadm $(closure "$ia")"
