#!/bin/sh
# The plain router builds compile with -Zfmt-debug=none (cross/build.sh): a `{:?}` there
# prints nothing. Fail if lvsmon's own non-test code formats anything with Debug, so a log
# line or message never loses its text on a router. Test code is exempt: everything from
# a file's first `#[cfg(test)]` on (lvsmon keeps unit tests at the end of a file), and
# files named tests.rs. Usage: cross/check-no-debug.sh [SRC_DIR]   (default: src)
set -eu
src=${1:-$(dirname "$0")/../src}
found=$(find "$src" -name '*.rs' ! -name tests.rs -print | sort | while read -r f; do
	awk -v f="$f" '
		/#\[cfg\(test\)\]/ { exit }
		/^[ \t]*\/\// { next }
		/\{[A-Za-z0-9_.]*:#?\?\}/ { print f ":" FNR ": " $0 }
	' "$f"
done)
if [ -n "$found" ]; then
	echo "cross/check-no-debug.sh: Debug formatting ({:?}) outside tests; the plain router" >&2
	echo "builds print nothing for it (-Zfmt-debug=none). Write the text out instead:" >&2
	echo "$found" >&2
	exit 1
fi
