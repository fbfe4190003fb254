#!/bin/sh
# A stand-in for lvsmon built from Debian's ipvsadm and busybox, used only to check that
# the lvsmon scenarios themselves are right (they must pass against a correct lvsmon):
#   LVSMON_FAKE=1 board/qemu/build-initramfs.sh && board/qemu/run-vm.sh lvsmon-nat
# It knows just enough: list/save/restore/ipvsadm map onto Debian's ipvsadm, and `run`
# is a shell health-check loop for the two-real-server configs in conf/ (nat.conf, dr.conf).
I=/usr/sbin/ipvsadm
case ${0##*/} in ipvsadm) exec $I "$@" ;; esac
cmd=$1; shift
strip() { out=; while [ $# -gt 0 ]; do case $1 in --ipvs-api) shift ;; *) out="$out $1" ;; esac; shift; done; }
case $cmd in
ipvsadm) exec $I "$@" ;;
list) strip "$@"; exec $I -L $out ;;
save) exec $I -Sn ;;
restore)
    strip "$@"; file=${out# }; [ -n "$file" ] || { cat > /tmp/.fake-in; file=/tmp/.fake-in; }
    $I -Sn > /tmp/.fake-save
    if ! $I -R < "$file"; then $I -C; $I -R < /tmp/.fake-save; echo "restore: line 3: error, nothing applied" >&2; exit 1; fi ;;
check) exit 0 ;;
status)
    [ -f /tmp/.fake-status ] || { echo "lvsmon: cannot connect" >&2; exit 2; }
    cat /tmp/.fake-status ;;
run)
    conf=; keep=; while [ $# -gt 0 ]; do case $1 in -f) conf=$2; shift ;; --keep-on-exit) keep=1 ;; esac; shift; done
    if grep -q 'lb_kind DR' "$conf"; then f=-g; sorry=127.0.0.1:80; else f=-m; sorry=192.0.2.1:80; fi
    S=192.0.2.10:80
    trap '[ -n "$keep" ] || $I -D -t $S; rm -f /tmp/.fake-status; exit 0' TERM
    up2=1; up3=1
    n=0
    while [ $n -lt 100000 ]; do
        n=$((n + 1))
        $I -Ln -t $S >/dev/null 2>&1 || { $I -A -t $S -s wrr; echo "restored service $S (drift)"; }
        st2=$up2; st3=$up3
        # retry 1: down after two failed attempts in a row.
        probe() { timeout 2 nc "$1" 80 </dev/null >/dev/null 2>&1 || { sleep 1; timeout 2 nc "$1" 80 </dev/null >/dev/null 2>&1; }; }
        probe 198.51.100.2 && up2=1 || up2=0
        probe 198.51.100.3 && up3=1 || up3=0
        [ $st2 = $up2 ] || echo "$S 198.51.100.2:80 $( [ $up2 = 1 ] && echo up || echo 'down: connection refused')"
        [ $st3 = $up3 ] || echo "$S 198.51.100.3:80 $( [ $up3 = 1 ] && echo up || echo 'down: connection refused')"
        want=
        [ $up2 = 1 ] && want="$want 198.51.100.2:80:1"
        [ $up3 = 1 ] && want="$want 198.51.100.3:80:3"
        [ -n "$want" ] || want=" $sorry:1"
        have=$($I -Ln -t $S | awk '$1=="->" && $2!="RemoteAddress:Port" {print $2":"$4}' | tr '\n' ' ')
        for h in $have; do case "$want " in *" $h "*) ;; *) $I -d -t $S -r ${h%:*}; echo "removed ${h%:*} (drift or failure)" ;; esac; done
        for w in $want; do case " $have " in *" $w "*) ;; *) $I -a -t $S -r ${w%:*} $f -w ${w##*:} 2>/dev/null || $I -e -t $S -r ${w%:*} $f -w ${w##*:}; echo "restored $w" ;; esac; done
        js() { echo "{\"address\":\"$1\",\"health\":\"$( [ $2 = 1 ] && echo up || echo down)\",\"configured_weight\":$3,\"current_weight\":$( [ $2 = 1 ] && echo $3 || echo 0),\"in_table\":$( [ $2 = 1 ] && echo true || echo false)}"; }
        sin=false; [ "$want" = " $sorry:1" ] && sin=true
        echo "{\"services\":[{\"service\":\"TCP $S\",\"sorry_server\":{\"address\":\"$sorry\",\"in_table\":$sin},\"reals\":[$(js 198.51.100.2:80 $up2 1),$(js 198.51.100.3:80 $up3 3)]}]}" > /tmp/.fake-status.tmp
        mv /tmp/.fake-status.tmp /tmp/.fake-status
        sleep 1 & wait $!
    done ;;
*) echo "fake-lvsmon: $cmd not faked" >&2; exit 1 ;;
esac
