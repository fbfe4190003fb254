#!/bin/sh
# Build a minimal static musl sysroot for one Rust target that has no prebuilt
# std in rustup (armv7/armv6/mipsel/mips musl); for x86_64 and aarch64 musl only its
# headers are used (by ring's C code in the tls build; rustup's libc.a is linked).
# Output: cross/sysroot/<triple>/include and lib, with libc.a (+ musl's empty libm/libpthread/... archives), crt1.o crti.o crtn.o,
# empty crtbegin/crtend objects, and libunwind.a (a two-function stand-in,
# cross/unwind-stub.c). rustc links it with rust-lld, -C link-self-contained=yes
# and -L native=<this dir>/lib (see cross/cross.mk).
#
# Why not Debian's libgcc_eh.a: it is built for glibc and the Debian float ABI
# (armel/mipsel are not our soft-float/mips32r2 choices) and references
# _dl_find_object, which musl does not have.
#
# Usage: cross/build-sysroot.sh TRIPLE
# Needs: the Debian cross C compiler (gcc-<gnu triple>), apt-get, dpkg-source.
# The result is cached: a stamp file names the musl version and flags; rerunning
# with the same inputs does nothing.
set -eu
. "$(dirname "$0")/lib.sh"

triple=${1:?usage: build-sysroot.sh TRIPLE}
here=$cross_dir
top=$here/sysroot
out=$top/$triple

# Target -> Debian cross prefix, C flags, musl arch (cross/lib.sh).
sysroot_recipe "$triple" || {
	echo "build-sysroot.sh: no sysroot recipe for $triple" >&2
	exit 1
}

cc=$gnu-gcc
for tool in "$cc" apt-get dpkg-source; do
	command -v "$tool" >/dev/null 2>&1 || {
		echo "build-sysroot.sh: $tool not found; run: make cross-deps" >&2
		exit 1
	}
done

# --- musl source: Debian's source package, fetched with a private apt config so
# the host's sources.list is left alone. apt verifies the .dsc against the signed
# Sources index, dpkg-source verifies the tarballs against the .dsc.
fetch_musl() {
	apt_dir=$top/apt
	[ -n "$(ls "$top"/src/musl-*/Makefile 2>/dev/null)" ] && return 0
	. /etc/os-release
	suite=${VERSION_CODENAME:?no VERSION_CODENAME in /etc/os-release}
	mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial" "$apt_dir/sources.list.d" "$top/src"
	echo "deb-src http://deb.debian.org/debian $suite main" >"$apt_dir/sources.list"
	cat >"$apt_dir/apt.conf" <<APT
Dir::Etc::SourceList "$apt_dir/sources.list";
Dir::Etc::SourceParts "$apt_dir/sources.list.d";
Dir::State::Lists "$apt_dir/lists";
Dir::Cache "$apt_dir/cache";
APT::Sandbox::User "root";
APT
	APT_CONFIG=$apt_dir/apt.conf timeout 300 apt-get -q update >"$apt_dir/update.log" 2>&1 || {
		cat "$apt_dir/update.log" >&2
		exit 1
	}
	(cd "$top/src" && APT_CONFIG=$apt_dir/apt.conf timeout 300 apt-get -q source --download-only musl)
	dsc=$(ls "$top"/src/musl_*.dsc | head -n 1)
	# apt already checked every file of the package against the signed Sources index
	# (the uploader key of the .dsc is not in the host keyring, hence --no-check).
	(cd "$top/src" && dpkg-source --no-check -x "$dsc" >/dev/null)
}

fetch_musl
musl_dir=$(ls -d "$top"/src/musl-*/ | head -n 1)
musl_dir=${musl_dir%/}
musl_ver=$(cat "$musl_dir/VERSION")

stamp="musl=$musl_ver cflags=$cflags unwind=stub-$(cksum <"$here/unwind-stub.c" | cut -d" " -f1)"
if [ -f "$out/.stamp" ] && [ "$(cat "$out/.stamp")" = "$stamp" ]; then
	echo "sysroot $triple up to date ($stamp)"
	exit 0
fi
rm -rf "$out"
mkdir -p "$out/lib" "$out/include"
build=$(mktemp -d "${TMPDIR:-/tmp}/lvsmon-sysroot.XXXXXX")
trap 'rm -rf "$build"' EXIT INT TERM

# --- musl: out-of-tree build, static only. A make that called this script passes its
# command-line variables down through MAKEFLAGS (`make vm-arch ARCH=armhf` would set
# musl's ARCH to armhf), so musl's make starts from a clean slate.
(
	unset MAKEFLAGS MFLAGS MAKELEVEL MAKEOVERRIDES ARCH
	cd "$build"
	mkdir musl && cd musl
	"$musl_dir/configure" --target="$musl_target" --prefix=/ --disable-shared \
		--disable-wrapper CC="$cc" CROSS_COMPILE="$gnu-" CFLAGS="$cflags" >configure.log
	make -s -j2 >make.log 2>&1 || { tail -n 30 make.log >&2; exit 1; }
	make -s install-libs install-headers DESTDIR="$out" >/dev/null
)

# --- crtbegin/crtend: rustc's self-contained musl link names them, but with
# .init_array (what LLVM emits) they have nothing to do; empty objects suffice.
for o in crtbegin.o crtend.o crtbeginS.o crtendS.o; do
	$cc $cflags -c -x c /dev/null -o "$out/lib/$o"
done

# --- libunwind.a: a stand-in with the functions std references (why it is
# enough with panic = "abort" and no "backtrace" feature: cross/unwind-stub.c).
# LLVM libunwind cost 35 KB on mipsel with the printf its abort messages use
# (cross/SIZES.md).
mkdir "$build/unwind"
$cc $cflags -Os -ffunction-sections -fno-asynchronous-unwind-tables -nostdinc \
	-isystem "$out/include" -isystem "$($cc -print-file-name=include)" \
	-c "$here/unwind-stub.c" -o "$build/unwind/unwind-stub.o"
$gnu-ar rcs "$out/lib/libunwind.a" "$build/unwind/unwind-stub.o"

echo "$stamp" >"$out/.stamp"
echo "sysroot $triple built in $out ($stamp)"
