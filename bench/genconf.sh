#!/bin/sh
# genconf.sh SERVICES REALS_PER_SERVICE ADDR_MODE PORT_BASE PORTS [RETRY] [DELAY_LOOP] [TIMEOUT]
# Writes a keepalived.conf-syntax LVS config on stdout, read unchanged by both lvsmon and
# keepalived: SERVICES virtual servers 192.0.2.10+:80+ (NAT, rr), each with
# REALS_PER_SERVICE real servers checked by HTTP_GET (status 200) every DELAY_LOOP s.
# ADDR_MODE "loop": real servers spread over 127.1-254.x.y (port PORT_BASE), consecutive
# servers in different /16s; ADDR_MODE "doc": 198.51.100.2-.254 then 203.0.113.2-.254 on
# ports PORT_BASE.. (506 servers per port: the documentation ranges hold 253 usable
# addresses each). BENCH_K0 (environment) is the first server index, for disjoint ranges;
# BENCH_CHECK=SSL_GET checks over TLS instead (the same url block).
# POSIX sh + awk: runs on the host and in the VM's busybox.
[ $# -ge 5 ] || { echo "usage: genconf.sh SERVICES REALS ADDR_MODE PORT_BASE PORTS [RETRY] [DELAY_LOOP] [TIMEOUT]" >&2; exit 2; }
awk -v nvs="$1" -v nrs="$2" -v mode="$3" -v pbase="$4" -v nports="$5" \
    -v retry="${6:-1}" -v loop="${7:-1}" -v tmo="${8:-1}" -v k0="${BENCH_K0:-0}" -v check="${BENCH_CHECK:-HTTP_GET}" 'BEGIN {
    printf "global_defs {\n    router_id bench\n}\n"
    k = k0
    for (s = 0; s < nvs; s++) {
        printf "virtual_server 192.0.2.%d %d {\n    delay_loop %s\n    lb_algo rr\n    lb_kind NAT\n    protocol TCP\n", 10 + int(s / 50), 80 + s % 50, loop
        for (r = 0; r < nrs; r++) {
            if (mode == "loop") {
                a = sprintf("127.%d.%d.%d", 1 + k % 254, int(k / 254) % 256, 1 + int(k / 65024) % 254); p = pbase
            } else {
                slot = k % 506; p = pbase + int(k / 506) % nports
                if (slot < 253) a = "198.51.100." (2 + slot); else a = "203.0.113." (2 + slot - 253)
            }
            printf "    real_server %s %d {\n        weight 1\n        %s {\n            url {\n                path /\n                status_code 200\n            }\n            connect_timeout %s\n            retry %s\n            delay_before_retry 1\n        }\n    }\n", a, p, check, tmo, retry
            k++
        }
        printf "}\n"
    }
}'
