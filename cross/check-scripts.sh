#!/bin/sh
# `sh -n` on every shell script under board/ and cross/ (`bash -n` for those whose
# shebang asks for bash): files named *.sh, files
# whose first line is a #!…sh shebang (this catches procd's `#!/bin/sh /etc/rc.common`
# and sysvinit scripts), and *.in templates of either. Parsed by dash (Debian's /bin/sh)
# and by busybox sh (OpenWrt's ash) when it is installed.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
shells="dash"
command -v dash >/dev/null || shells="sh"
command -v busybox >/dev/null && shells="$shells busybox_sh"
busybox_sh() { busybox sh "$@"; }

n=0 bad=0
for f in $(find board cross -type f ! -path 'cross/sysroot/*' ! -path '*/target/*' | sort); do
	case $f in
	*.sh) ;;
	*)
		first=$(head -c 64 "$f" | head -n 1)
		case $first in '#!'*/sh | '#!'*/sh\ * | '#!'*/ash | '#!'*/ash\ * | '#!'*bash*) ;; *) continue ;; esac
		;;
	esac
	n=$((n + 1))
	# A script that asks for bash (board/qemu's) is parsed by bash, not by sh.
	use=$shells
	case $(head -n 1 "$f") in '#!'*bash*) use=bash ;; esac
	for sh in $use; do
		if ! err=$($sh -n "$f" 2>&1); then
			echo "check-scripts: $f: $sh -n: $err" >&2
			bad=$((bad + 1))
		fi
	done
done
echo "check-scripts: $n scripts parsed by: $shells (bash scripts by bash); $bad failures"
[ "$n" -gt 0 ] && [ "$bad" = 0 ]
