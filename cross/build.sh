#!/bin/sh
# Build the static lvsmon binary for one target of cross/targets.
# Usage: cross/build.sh TRIPLE [--features LIST] [--std prebuilt|build-std] [--opt s|z|2|3]
#                     [--no-strip] [--std-features LIST] [--rustflags "FLAGS"]
#   --features is the exact list of lvsmon's cargo features (comma-separated; default
#     empty: the plain build, --no-default-features). "tls" is SSL_GET and genhash -S.
#   --std / --opt override the table (used to measure size levers, cross/SIZES.md).
#   --std-features sets -Zbuild-std-features (default: optimize_for_size);
#   --rustflags replaces the extra rustflags (default: see $extra below).
#   --no-strip keeps symbols (for cross/depcost.sh).
# Result: target/TRIPLE/release/lvsmon, and the wall time on stderr; a copy named for
# the variant (lvsmon-plain without features, lvsmon-tls with tls) stays beside it, so
# both builds of a target can be measured (cross/size.sh) and tested side by side.
# Heavy: runs cargo under `nice -n 15` (the machine is shared).
set -eu
. "$(dirname "$0")/lib.sh"

triple=${1:?usage: cross/build.sh TRIPLE [--std prebuilt|build-std] [--opt LEVEL] [--no-strip]}
shift
std=$(target_field "$triple" std)
opt=$(target_field "$triple" opt)
strip=true
# Size levers measured in cross/SIZES.md, on by default for build-std targets:
# std's optimize_for_size algorithms; no unwind tables (.eh_frame is dead
# weight with panic = "abort" and no backtrace symbolizer); no file:line:column
# in panic locations (-Zlocation-detail=none, -25 KB on mipsel before
# immediate-abort below made panics print nothing at all); identical code folding in lld
# (--icf=all, -5 KB: Rust makes no promise that two functions have distinct
# addresses).
# -Cpanic=immediate-abort (the strategy that replaced std's panic_immediate_abort
# feature): a panic aborts at once without formatting a message, so core's and std's
# panic printing, the panic hook and every unwrap/expect message go (-35 KB on mipsel).
# A panic already ended the daemon (panic = "abort"); now it ends it with SIGABRT
# (SIGILL on some targets) and no line on stderr; the host build (`cargo build`, same
# code) keeps the messages for reproducing one.
std_features=optimize_for_size
features=
own_flags=
extra="-C force-unwind-tables=no -Zlocation-detail=none -C link-arg=--icf=all -Zunstable-options -Cpanic=immediate-abort"
while [ $# -gt 0 ]; do
	case $1 in
	--features) features=${2?}; shift 2 ;;
	--std-features) std_features=${2?}; shift 2 ;;
	--rustflags) extra=${2?} own_flags=1; shift 2 ;;
	--std) std=${2:?}; shift 2 ;;
	--opt) opt=${2:?}; shift 2 ;;
	--no-strip) strip=false; shift ;;
	*) echo "cross/build.sh: unknown option $1" >&2; exit 1 ;;
	esac
done

cd "$top_dir"
case ",$features," in
*,tls,*) variant=tls ;;
,,) variant=plain ;;
*) variant=$(echo "$features" | tr , -) ;;
esac
# Derived Debug output: the plain build drops it (-Zfmt-debug=none: `{:?}` prints
# nothing, -9 KB on mipsel); lvsmon's own non-test code formats nothing with Debug
# (cross/check-no-debug.sh, run here) and its plain dependencies print none users read.
# The tls build keeps variant names (-Zfmt-debug=shallow, -25 KB on mipsel tls): rustls's
# and webpki's Display of their errors (a bad `SSL { ca }` or key in `lvsmon check`) embed
# Debug text such as `BadDer`, which shallow still prints; only field contents go.
if [ -z "$own_flags" ]; then
	case $variant in
	plain)
		"$cross_dir/check-no-debug.sh" "$top_dir/src"
		extra="$extra -Zfmt-debug=none"
		;;
	*) extra="$extra -Zfmt-debug=shallow" ;;
	esac
fi
# The exact feature set, whatever Cargo.toml's defaults are.
feature_args="--no-default-features"
[ -n "$features" ] && feature_args="$feature_args --features $features"
# CARGO_TARGET_<TRIPLE>_RUSTFLAGS: upper case, '-' -> '_'.
var=CARGO_TARGET_$(echo "$triple" | tr 'a-z-' 'A-Z_')_RUSTFLAGS
case $triple in
mips*) crt="-C target-feature=+crt-static" ;; # mips musl targets default to dynamic
*) crt="" ;;
esac

case $std in
prebuilt)
	# .cargo/config.toml holds the linker and rustflags for the stable targets.
	set -- cargo +stable build --release --locked --target "$triple" $feature_args
	;;
build-std)
	case $triple in
	x86_64-* | aarch64-*)
		# rustup's stable std for these targets ships musl's libc.a, crt objects
		# and libunwind.a; reuse them rather than building a sysroot.
		libdir=$(rustc +stable --print sysroot)/lib/rustlib/$triple/lib/self-contained
		[ -f "$libdir/libc.a" ] || {
			echo "cross/build.sh: $libdir missing; run: rustup target add $triple" >&2
			exit 1
		}
		crt="-C relocation-model=static -C target-feature=+crt-static"
		;;
	*)
		"$cross_dir/build-sysroot.sh" "$triple"
		libdir=$cross_dir/sysroot/$triple/lib
		# Non-PIC code for a static non-PIE binary: on MIPS this drops the
		# abicalls GOT sequences (-72 KB on mipsel, cross/SIZES.md).
		crt="$crt -C relocation-model=static"
		;;
	esac
	export "$var=-C link-self-contained=yes -L native=$libdir $crt $extra"
	# -Zbuild-std-features without "backtrace" drops std's backtrace symbolizer
	# (~185 KB) and without "panic-unwind" the unwinding runtime; panic = "abort"
	# is set in Cargo.toml.
	# CROSS_NIGHTLY pins the toolchain (e.g. nightly-2026-05-20, what cross/SIZES.md
	# was measured with): -Z flags and std's features can change between nightlies.
	set -- cargo "+${CROSS_NIGHTLY:-nightly}" build --release --locked --target "$triple" \
		$feature_args -Zbuild-std=std,panic_abort "-Zbuild-std-features=$std_features"
	;;
*) echo "cross/build.sh: std must be prebuilt or build-std, not $std" >&2; exit 1 ;;
esac

# ring (the crypto under rustls, feature tls) compiles C and assembly with the cc crate:
# the target's Debian cross gcc (the one that built the sysroot), the target's ISA and
# float-ABI flags, and the musl headers of cross/sysroot/<triple> in place of glibc's
# (-nostdinc; gcc's own stddef/stdint wrappers stay). Without this cc would look for
# <arch>-linux-musl-gcc, which Debian does not ship. The variables are set for the plain
# build too: build scripts (std's among them) rerun when they change, so setting them
# only for tls would rebuild std at every switch between the two builds.
sysroot_recipe "$triple"
case ",$features," in
*,tls,*) "$cross_dir/build-sysroot.sh" "$triple" ;;
esac
if command -v "$gnu-gcc" >/dev/null 2>&1; then
	tvar=$(echo "$triple" | tr - _)
	ccflags="$cflags -nostdinc -isystem $cross_dir/sysroot/$triple/include -isystem $("$gnu-gcc" -print-file-name=include)"
	export "CC_$tvar=$gnu-gcc" "AR_$tvar=$gnu-ar" "CFLAGS_$tvar=$ccflags"
fi

export CARGO_PROFILE_RELEASE_OPT_LEVEL=$opt
export CARGO_PROFILE_RELEASE_STRIP=$strip
start=$(date +%s)
nice -n 15 "$@"
bin=target/$triple/release/lvsmon

# MIPS objects carry a .pdr section (per-procedure debug records, 32 bytes per
# function) that no runtime reads; lld keeps it and strip does not remove it. lld also
# concatenates every object's .gnu.attributes (one 16-byte "soft float" record per
# object, ~3 KB): only a static linker reads them; the kernel takes the FP mode from
# .MIPS.abiflags, which stays.
case $triple in
mips*)
	if [ "$strip" = true ]; then
		gnu=$(echo "$triple" | sed 's/-unknown-linux-musl$/-linux-gnu/')
		objcopy=$gnu-objcopy
		command -v "$objcopy" >/dev/null 2>&1 || objcopy=objcopy
		"$objcopy" --remove-section=.pdr --remove-section=.comment \
			--remove-section=.gnu.attributes "$bin" "$bin.tmp"
		mv "$bin.tmp" "$bin"
	fi
	;;
esac
end=$(date +%s)
# Sidecar read by cross/size.sh: how this binary was built, and how long it took.
echo "std=$std opt=$opt strip=$strip seconds=$((end - start)) features=$variant std_features=$std_features rustflags=$extra" >"$bin.cross"
cp "$bin" "$bin-$variant"
cp "$bin.cross" "$bin-$variant.cross"
echo "cross: $triple ($variant, $std, opt-level $opt) built in $((end - start)) s: $bin (and $bin-$variant)" >&2
