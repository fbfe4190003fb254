# bench: table programming (ipvsadm -R vs lvsmon restore). Runs inside the bench VM (sourced by /init with /lib.sh).
# Prints "BENCH ..." raw lines; fails when the two tools' final tables differ.
need_lvsmon
R=/usr/bin/responder

# restore_file NVS NRS: ipvsadm -S -n style input, NAT real servers in the documentation
# ranges, several ports per address (as genconf's "doc" mode).
restore_file() {
    awk -v nvs="$1" -v nrs="$2" 'BEGIN {
        k = 0
        for (s = 0; s < nvs; s++) {
            vs = sprintf("192.0.2.%d:%d", 10 + int(s / 50), 80 + s % 50)
            printf "-A -t %s -s rr\n", vs
            for (r = 0; r < nrs; r++) {
                slot = k % 506; port = 8000 + int(k / 506)
                if (slot < 253) a = "198.51.100." (2 + slot); else a = "203.0.113." (2 + slot - 253)
                printf "-a -t %s -r %s:%d -m -w 1\n", vs, a, port
                k++
            }
        }
    }'
}

elapsed() { sed -n 's/^elapsed_us=\([0-9]*\) rc=0$/\1/p' "$1"; }

for case in 1x1000 100x10; do
    nvs=${case%x*}; nrs=${case#*x}
    restore_file "$nvs" "$nrs" > /tmp/in.$case
    step "table programming $case ($(wc -l < /tmp/in.$case) lines)"
    for trial in 1 2 3 4 5; do
        # alternate which tool goes first
        if [ $((trial % 2)) = 1 ]; then order="ipvsadm lvsmon"; else order="lvsmon ipvsadm"; fi
        for tool in $order; do
            $IPVSADM -C || fail "ipvsadm -C"
            if [ "$tool" = ipvsadm ]; then
                $R time $IPVSADM -R < /tmp/in.$case 2> /tmp/t.err || { cat /tmp/t.err; fail "ipvsadm -R $case"; }
            else
                $R time $LVSMON restore /tmp/in.$case 2> /tmp/t.err || { cat /tmp/t.err; fail "lvsmon restore $case"; }
            fi
            us=$(elapsed /tmp/t.err)
            $IPVSADM -S -n > /tmp/final.$tool
            echo "BENCH table case=$case trial=$trial tool=$tool us=$us entries=$(wc -l < /tmp/final.$tool)"
        done
        expect_same_file "final table $case trial $trial (ipvsadm -S -n)" /tmp/final.lvsmon /tmp/final.ipvsadm
    done
    echo "BENCH table case=$case identical=yes lines=$(wc -l < /tmp/final.lvsmon)"
done
$IPVSADM -C

