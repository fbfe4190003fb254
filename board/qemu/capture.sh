#!/bin/bash
# Record ipvsadm <-> kernel generic netlink traffic in the VM (scenario capture) and write it
# to board/qemu/golden/ipvsadm-netlink.pcap (pcap, link type NETLINK; each packet is the raw
# netlink message, host byte order). Needs tcpdump on the host (copied into the initramfs).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
LVSMON_CAPTURE=1 "$here/build-initramfs.sh" "$@"
"$here/run-vm.sh" capture 120
tr -d '\r' < "$here/out/logs/capture.log" |
    sed -n '/^LVSMON-CAPTURE-BEGIN$/,/^LVSMON-CAPTURE-END$/p' | sed '1d;$d' |
    xxd -r -p > "$here/golden/ipvsadm-netlink.pcap"
"$here/build-initramfs.sh" "$@" >/dev/null  # back to the image without tcpdump
echo "capture: $here/golden/ipvsadm-netlink.pcap $(stat -c %s "$here/golden/ipvsadm-netlink.pcap") bytes"
