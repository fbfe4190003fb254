# slow_start against the kernel's wlc scheduler, NAT. Two services with the same three
# real servers (weight 10 each): 192.0.2.10:80 with `slow_start 10`, 192.0.2.11:80
# without (the negative control, in the same boot). rs1 starts down (`alpha`, its httpd
# not running) while the client's requests leave rs2 and rs3 with 12 connections each
# (TIME_WAIT: inactive, but wlc counts them). Then rs1 comes up with none: wlc sends a new
# connection to the server with the fewest connections per unit of weight, so without
# slow start rs1 takes every new connection until it has as many as the others (the
# flood: all of the next 10), and with it rs1 enters at weight 1 and has caught up after
# about 12 x w/10 of them, w its weight then (1 in its first second, 1 more each second).
# The client alternates requests to the two VIPs, ten each, as soon as rs1 is in both
# tables, and the answers are counted. Under emulation the ten pairs take a few seconds,
# so the bound allows for the ramp having climbed meanwhile: at most 7 of 10 to rs1.
# vm-budget: 240  (run-vm.sh: seconds the scenario may take; 162 s of VM uptime with the host at load ~20)
need_lvsmon
wlc_reals

real() { # ADDR [EXTRA]
    cat <<EOF
    real_server $1 80 {
        weight 10
$2
        HTTP_GET {
            url {
                path /
                status_code 200
            }
            connect_timeout 1
            retry 0
        }
    }
EOF
}
service() { # VIP EXTRA
    echo "virtual_server $1 80 {"
    echo "    delay_loop 1"
    echo "    lb_algo wlc"
    echo "    lb_kind NAT"
    echo "    protocol TCP"
    echo "$2"
    real 198.51.100.2 "        alpha"
    real 198.51.100.3
    real 198.51.100.4
    echo "}"
}
{ service $VIP "    slow_start 10"; service $VIP2 ""; } > /tmp/slow-start.conf
$LVSMON check -f /tmp/slow-start.conf || fail "lvsmon check of the scenario's config"
lvsmon_start /tmp/slow-start.conf --ipvs-api "${API:-auto}"

step "rs1 down, rs2 and rs3 up; 24 requests to each VIP"
wait_dests 15 $VIP:80 "198.51.100.3:80:10 198.51.100.4:80:10"
wait_dests 15 $VIP2:80 "198.51.100.3:80:10 198.51.100.4:80:10"
expect_eq "24 requests, slow-start VIP" "$(client_run 24 $VIP)" "rs2 12 rs3 12"
expect_eq "24 requests, control VIP" "$(client_run 24 $VIP2)" "rs2 12 rs3 12"

step "rs1 comes up with no connection"
rs_start rs1
in_table() { kernel_dest $VIP:80 198.51.100.2:80 | grep -q Masq && kernel_dest $VIP2:80 198.51.100.2:80 | grep -q Masq; }
wait_until 10 "rs1 in both tables" in_table
t0=$(date +%s)
w_slow=$(kernel_dest $VIP:80 198.51.100.2:80); w_control=$(kernel_dest $VIP2:80 198.51.100.2:80)
: > /tmp/slow.out; : > /tmp/control.out
i=0
while [ $i -lt 10 ]; do
    in_ns client timeout 3 wget -q -O - "http://$VIP/" >> /tmp/slow.out 2>/dev/null || echo none >> /tmp/slow.out
    in_ns client timeout 3 wget -q -O - "http://$VIP2/" >> /tmp/control.out 2>/dev/null || echo none >> /tmp/control.out
    i=$((i + 1))
done
t1=$(date +%s)
count() { grep -c "^$1\$" "$2"; }
slow_rs1=$(count rs1 /tmp/slow.out); control_rs1=$(count rs1 /tmp/control.out)
echo "rs1's weight when first seen: slow start '$w_slow', control '$w_control'"
echo "first 10 new connections to each VIP after rs1's return (within $((t1 - t0)) s):"
echo "  slow_start 10: rs1 $slow_rs1, rs2 $(count rs2 /tmp/slow.out), rs3 $(count rs3 /tmp/slow.out)"
echo "  no slow_start: rs1 $control_rs1, rs2 $(count rs2 /tmp/control.out), rs3 $(count rs3 /tmp/control.out)"
echo "  slow-start weight of rs1 after them: $(kernel_dest $VIP:80 198.51.100.2:80)"
expect_eq "rs1 enters the control service at its weight" "$w_control" "Masq 10"
[ "${w_slow#Masq }" -lt 10 ] || fail "rs1 entered the slow-start service at '$w_slow'"
expect_eq "no slow start: rs1 takes every new connection (the flood)" "$control_rs1" 10
[ "$slow_rs1" -le 7 ] || fail "slow_start 10: rs1 took $slow_rs1 of the first 10 new connections, want 7 at most"

step "the ramp ends at the full weight"
wait_until 15 "rs1 at weight 10 in the slow-start service" sh -c "$IPVSADM -Ln -t $VIP:80 | grep -q '198.51.100.2:80 *Masq *10 '"
expect_eq "UP lines naming the slow start" "$(grep -c 'real server 198.51.100.2:80 is UP (slow start: full weight in 10 s)' /tmp/lvsmon.log)" 1
$LVSMON status | grep "198.51.100.2:80" || fail "status lists rs1"

step "TERM: lvsmon removes what it added"
lvsmon_stop TERM
expect_eq "table after TERM" "$($IPVSADM -Sn)" ""
