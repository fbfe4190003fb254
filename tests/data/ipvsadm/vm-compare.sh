#!/bin/sh
# Byte-for-byte comparison of two ipvsadm implementations on the live kernel table, for
# the qemu board (busybox sh). Usage:
#     vm-compare.sh ORACLE CANDIDATE
# e.g. vm-compare.sh /sbin/ipvsadm "/lvsmon ipvsadm"
# It builds a table with ORACLE (documentation addresses only), then runs every read-only
# command below through both and compares stdout, stderr and the exit code; then it
# replays ORACLE's `-S -n` through CANDIDATE's `-R` into an empty table and checks that
# ORACLE saves it back identically. Prints "vm-compare: N differences" and exits 1 if N > 0.
set -u
ORACLE=$1
CAND=$2
TMP=${TMPDIR:-/tmp}/vm-compare.$$
mkdir -p "$TMP" || exit 2
fails=0

setup() {
    $ORACLE -C
    $ORACLE -A -t 192.0.2.10:80 -s wrr -p 600 -M 255.255.255.0
    $ORACLE -a -t 192.0.2.10:80 -r 198.51.100.2:80 -g -w 1
    $ORACLE -a -t 192.0.2.10:80 -r 198.51.100.3:8080 -m -w 3 -x 100 -y 10
    $ORACLE -A -u 192.0.2.10:53 -s rr -o
    $ORACLE -a -u 192.0.2.10:53 -r 198.51.100.4:53 -i -w 1 --tun-type gue --tun-port 6080 --tun-csum
    $ORACLE -a -u 192.0.2.10:53 -r 198.51.100.5:53 -i -w 2 --tun-type gre --tun-nocsum
    $ORACLE -a -u 192.0.2.10:53 -r 198.51.100.6:53 -i -w 0
    $ORACLE -A -t [2001:db8::10]:443 -s sh -b sh-fallback,sh-port -p 300 -M 64
    $ORACLE -a -t [2001:db8::10]:443 -r [2001:db8::2]:443 -g -w 5
    $ORACLE -A -f 7 -s mh -b mh-port
    $ORACLE -a -f 7 -r 198.51.100.7:0 -g -w 1
    $ORACLE -A -f 8 -6 -s lc -p 60
    $ORACLE -a -f 8 -6 -r [2001:db8::8]:0 -m -w 4
    $ORACLE -A --sctp-service 192.0.2.11:5000 -s sed
    port=1000
    for s in rr wrr lc wlc lblc lblcr dh sh sed nq fo ovf mh; do
        port=$((port + 1))
        $ORACLE -A -t 192.0.2.20:$port -s $s
    done
}

compare() { # args: the ipvsadm arguments
    $ORACLE "$@" >"$TMP/o.out" 2>"$TMP/o.err"; orc=$?
    $CAND "$@" >"$TMP/c.out" 2>"$TMP/c.err"; crc=$?
    if [ $orc != $crc ] || ! cmp -s "$TMP/o.out" "$TMP/c.out" || ! cmp -s "$TMP/o.err" "$TMP/c.err"; then
        fails=$((fails + 1))
        echo "DIFF: ipvsadm $* (rc $orc vs $crc)"
        diff "$TMP/o.out" "$TMP/c.out" | head -20
        diff "$TMP/o.err" "$TMP/c.err" | head -5
    fi
}

setup
compare -L -n
compare -L -n --nosort
compare -L -n --stats
compare -L -n --stats --exact
compare -L -n --rate
compare -L -n --rate --exact
compare -L -n --thresholds
compare -L -n --persistent-conn
compare -L -n --tun-info
compare -L -n --timeout
compare -L -n --daemon
compare -L -n -c
compare -L -n -t 192.0.2.10:80
compare -L -n -f 8 -6
compare -L -n -t 192.0.2.99:80
compare -S -n
compare -A -t 192.0.2.10:80
compare -A -t 192.0.2.30:80 -s nosuchsched
compare -d -t 192.0.2.10:80 -r 198.51.100.99:80
compare -D -t 192.0.2.99:80
compare -a -t 192.0.2.99:80 -r 198.51.100.2:80
compare -a -t 192.0.2.10:80 -r 198.51.100.2:80

# Restore through the candidate, save through the oracle.
$ORACLE -S -n >"$TMP/saved"
$ORACLE -C
$CAND -R <"$TMP/saved"
$ORACLE -S -n >"$TMP/resaved"
if ! cmp -s "$TMP/saved" "$TMP/resaved"; then
    fails=$((fails + 1))
    echo "DIFF: candidate -R of oracle -S -n"
    diff "$TMP/saved" "$TMP/resaved" | head -20
fi

rm -rf "$TMP"
echo "vm-compare: $fails differences"
[ $fails = 0 ]
