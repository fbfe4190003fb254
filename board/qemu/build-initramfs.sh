#!/bin/bash
# Build board/qemu/out/initramfs.cpio.gz: busybox-static, iproute2's ip, Debian's ipvsadm
# (the oracle), openssl and nft with a test CA (the tls-fwmark scenario), the IPVS and
# nf_tables modules with their dependencies, the lvsmon static binary (when built), the
# `streams` traffic tool (when built), /init and the scenarios. Needs fetch-kernel.sh to
# have run.
# Also board/qemu/out/initramfs-ha.cpio.gz: the same image with a second cpio archive
# appended (the kernel unpacks concatenated archives in order) that adds Debian's
# keepalived and BIRD 2 (bird, birdc) with every shared library ldd names for them. They
# triple the image (~13 MB gzip, most of it keepalived's SNMP/perl/glib libraries), so
# only the several-Director scenarios boot it (run-vm.sh: ha-* and demo-ha).
# Usage: build-initramfs.sh [LVSMON_BINARY [STREAMS_BINARY]]
#   (defaults: target/x86_64-unknown-linux-musl/release/lvsmon,
#    target/streams/x86_64-unknown-linux-musl/release/streams)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
cache=$here/cache
out=$here/out
lvsmon_bin=${1:-$top/target/x86_64-unknown-linux-musl/release/lvsmon}
streams_bin=${2:-$top/target/streams/x86_64-unknown-linux-musl/release/streams}

[ -f "$cache/kernel.env" ] || { echo "build-initramfs: run board/qemu/fetch-kernel.sh first" >&2; exit 1; }
# shellcheck disable=SC1091
. "$cache/kernel.env"
kroot=$cache/root
kmods=$kroot/lib/modules/$KVER

stage=$out/stage
rm -rf "$stage"
mkdir -p "$stage"/{bin,sbin,usr/bin,usr/sbin,lib,lib64,etc,proc,sys,dev,tmp,run,var/run,root,lvsmon-bin,scenarios}
ln -s ../lib "$stage/usr/lib"

# busybox and its applets (no `ip`: iproute2's is used, by full path /sbin/ip).
cp /bin/busybox "$stage/bin/busybox"
for applet in $(/bin/busybox --list); do
    case $applet in busybox|ip|ipneigh|depmod) continue ;; esac
    ln -sf busybox "$stage/bin/$applet"
done

# copy_bin SRC DEST [STAGE [BASE]]: a dynamic binary plus the shared libraries ldd names,
# into STAGE (default the base image's), leaving out libraries BASE already holds.
copy_bin() {
    local src=$1 dest=$2 into=${3:-$stage} base=${4:-} lib
    src=$(readlink -f "$src")
    if ldd "$src" | grep -q 'not found'; then
        echo "build-initramfs: $src has unresolved libraries on this host:" >&2
        ldd "$src" | grep 'not found' >&2
        exit 1
    fi
    mkdir -p "$into$(dirname "$dest")"
    install -m 0755 "$src" "$into$dest"
    for lib in $(ldd "$src" | awk '/=> \//{print $3} /^\t\/lib/{print $1}'); do
        [ -n "$base" ] && [ -e "$base$lib" ] && continue
        mkdir -p "$into$(dirname "$lib")"
        [ -e "$into$lib" ] || cp -L "$lib" "$into$lib"
    done
}
ipbin=$(command -v /sbin/ip || command -v /usr/sbin/ip || command -v /bin/ip)
copy_bin "$ipbin" /sbin/ip
copy_bin /usr/sbin/ipvsadm /usr/sbin/ipvsadm
# tcpdump lets the capture scenario record netlink through nlmon; it doubles the image
# (libcrypto), so only with LVSMON_CAPTURE=1 (capture.sh sets it).
if [ -n "${LVSMON_CAPTURE:-}" ]; then
    copy_bin "$(command -v tcpdump || echo /usr/bin/tcpdump)" /usr/sbin/tcpdump
fi

# The TLS side of the tls-fwmark scenario: openssl (s_server on the real servers, s_client
# for the client) and nft (the firewall mark grouping 80 and 443, as the LVS guide sets it
# with iptables -t mangle); and a test CA with a certificate per real server, made here
# (EC P-256, two days) so the VM needs no openssl.cnf. Nothing of it is in the repository.
copy_bin "$(command -v openssl || echo /usr/bin/openssl)" /usr/bin/openssl
copy_bin "$(command -v nft || echo /usr/sbin/nft)" /usr/sbin/nft
tlsdir=$stage/etc/lvsmon-tls
mkdir -p "$tlsdir"
(
    cd "$tlsdir"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
        -subj /CN=lvsmon-test-ca -keyout ca.key -out ca.pem
    for rs in rs1:198.51.100.2 rs2:198.51.100.3; do
        name=${rs%%:*} addr=${rs#*:}
        openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
            -subj "/CN=$name.lvsmon.test" -keyout "$name.key" -out "$name.csr"
        printf 'subjectAltName=DNS:%s.lvsmon.test,IP:%s\n' "$name" "$addr" > "$name.ext"
        openssl x509 -req -in "$name.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
            -extfile "$name.ext" -out "$name.pem"
        rm -f "$name.csr" "$name.ext"
    done
    rm -f ca.key ca.srl
) >/dev/null 2>&1 || { echo "build-initramfs: making the test CA with openssl failed" >&2; exit 1; }

# Name resolution for `ipvsadm -L` without -n: files only (glibc >= 2.34 has files NSS built in).
printf 'hosts: files\nservices: files\nprotocols: files\npasswd: files\ngroup: files\n' > "$stage/etc/nsswitch.conf"
printf '127.0.0.1\tlocalhost\n192.0.2.1\tdirector\n192.0.2.10\tvip\n198.51.100.2\trs1\n198.51.100.3\trs2\n::1\tlocalhost ip6-localhost\n' > "$stage/etc/hosts"
for f in services protocols; do [ -f /etc/$f ] && cp /etc/$f "$stage/etc/$f"; done
printf 'root:x:0:0:root:/root:/bin/sh\n' > "$stage/etc/passwd"
printf 'root:x:0:\n' > "$stage/etc/group"

# Kernel modules: the IPVS core, every scheduler, conntrack and their dependencies from
# modules.dep, plus veth (namespaces), ipip (TUN), nlmon (netlink capture), nf_tables
# (nft's mark rule: meta, payload, sets and cmp are built into it).
want="crc32c_generic ip_vs ip_vs_rr ip_vs_wrr ip_vs_lc ip_vs_wlc ip_vs_fo ip_vs_ovf ip_vs_lblc
      ip_vs_lblcr ip_vs_dh ip_vs_sh ip_vs_mh ip_vs_sed ip_vs_nq veth bridge ipip nlmon dummy
      nf_tables"
declare -A seen=()
modlist=()
add_mod() { # path relative to $kmods
    local rel=$1 dep
    [ -n "${seen[$rel]:-}" ] && return
    seen[$rel]=1
    for dep in $(grep -E "^${rel}:" "$kmods/modules.dep" | cut -d: -f2-); do add_mod "$dep"; done
    modlist+=("$rel")
}
for m in $want; do
    rel=$(grep -E "^kernel/.*/${m}\.ko(\.[a-z]+)?:" "$kmods/modules.dep" | cut -d: -f1 | head -n1)
    [ -n "$rel" ] || { echo "build-initramfs: module $m not in $KVER" >&2; exit 1; }
    add_mod "$rel"
done
sm=$stage/lib/modules/$KVER
mkdir -p "$sm"
for rel in "${modlist[@]}"; do
    mkdir -p "$sm/$(dirname "$rel")"
    cp "$kmods/$rel" "$sm/$rel"
done
cp "$kmods"/modules.builtin "$kmods"/modules.builtin.modinfo "$kmods"/modules.order "$sm/" 2>/dev/null || true
depmod -b "$stage" "$KVER"
# Load order for /init: dependencies first (crc32c_generic before ip_vs, see TESTING.md).
printf '%s\n' "${modlist[@]}" > "$stage/etc/modules.load"

# lvsmon: /usr/bin/lvsmon, and an `ipvsadm` personality symlink kept apart in /lvsmon-bin so
# Debian's /usr/sbin/ipvsadm stays the oracle.
if [ -n "${LVSMON_FAKE:-}" ]; then
    # Scenario self-test only: a shell stand-in (fake-lvsmon.sh), never used by make vm-test.
    echo "build-initramfs: LVSMON_FAKE set: installing fake-lvsmon.sh as /usr/bin/lvsmon" >&2
    install -m 0755 "$here/fake-lvsmon.sh" "$stage/usr/bin/lvsmon"
    ln -s ../usr/bin/lvsmon "$stage/lvsmon-bin/ipvsadm"
elif [ -f "$lvsmon_bin" ]; then
    if ! file "$lvsmon_bin" | grep -q 'statically linked'; then
        echo "build-initramfs: $lvsmon_bin is not statically linked (run make static)" >&2
        exit 1
    fi
    install -m 0755 "$lvsmon_bin" "$stage/usr/bin/lvsmon"
    ln -s ../usr/bin/lvsmon "$stage/lvsmon-bin/ipvsadm"
else
    echo "build-initramfs: warning: no lvsmon binary at $lvsmon_bin; lvsmon scenarios will fail" >&2
fi

# streams (board/qemu/streams): the long-lived and short connections of the HA scenarios.
if [ -f "$streams_bin" ]; then
    install -m 0755 "$streams_bin" "$stage/usr/bin/streams"
else
    echo "build-initramfs: warning: no streams binary at $streams_bin; ha-* scenarios will fail" >&2
fi

install -m 0755 "$here/init" "$stage/init"
install -m 0644 "$here/lib.sh" "$stage/lib.sh"
for d in scenarios scenarios-lvsmon; do
    [ -d "$here/$d" ] || continue
    mkdir -p "$stage/scenarios"
    for s in "$here/$d"/*.sh; do [ -f "$s" ] && install -m 0755 "$s" "$stage/scenarios/"; done
done
[ -d "$here/conf" ] && cp -r "$here/conf" "$stage/conf"
# The sysvinit script, for the scenario that starts and stops lvsmon through it.
mkdir -p "$stage/etc/init.d"
install -m 0755 "$here/../init/lvsmon.sysvinit" "$stage/etc/init.d/lvsmon"

mkdir -p "$out"
(cd "$stage" && find . -print0 | sort -z | cpio --null -o -H newc --quiet -R 0:0) | gzip -1 > "$out/initramfs.cpio.gz.tmp"
mv "$out/initramfs.cpio.gz.tmp" "$out/initramfs.cpio.gz"
cp "$kroot/boot/vmlinuz-$KVER" "$out/vmlinuz"
echo "build-initramfs: $out/initramfs.cpio.gz $(stat -c %s "$out/initramfs.cpio.gz") bytes, ${#modlist[@]} modules"

# The HA layer: keepalived (its VRRP half, -P) and BIRD 2 for the several-Director
# scenarios. Missing on the host: say so; those scenarios then fail, the others do not.
ha=$out/stage-ha
rm -rf "$ha"
mkdir -p "$ha/etc/keepalived"
missing=
for b in /usr/sbin/keepalived /usr/sbin/bird /usr/sbin/birdc; do [ -x "$b" ] || missing="$missing $b"; done
if [ -z "$missing" ]; then
    copy_bin /usr/sbin/keepalived /usr/sbin/keepalived "$ha" "$stage"
    copy_bin /usr/sbin/bird /usr/sbin/bird "$ha" "$stage"
    copy_bin /usr/sbin/birdc /usr/sbin/birdc "$ha" "$stage"
    # A library two of them need is copied once; one the base image holds, never.
    (cd "$ha" && find . -print0 | sort -z | cpio --null -o -H newc --quiet -R 0:0) | gzip -1 > "$out/ha.cpio.gz"
    cat "$out/initramfs.cpio.gz" "$out/ha.cpio.gz" > "$out/initramfs-ha.cpio.gz.tmp"
    mv "$out/initramfs-ha.cpio.gz.tmp" "$out/initramfs-ha.cpio.gz"
    echo "build-initramfs: $out/initramfs-ha.cpio.gz $(stat -c %s "$out/initramfs-ha.cpio.gz") bytes (keepalived, bird, birdc)"
else
    rm -f "$out/initramfs-ha.cpio.gz"
    echo "build-initramfs: warning: missing$missing (apt-get install keepalived bird2); ha-* scenarios will fail" >&2
fi
