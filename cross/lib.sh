# Shared helpers for the cross/ scripts (sourced, not run).
# target_field TRIPLE COLUMN -> prints one column of cross/targets (see its header).
cross_dir=$(cd "$(dirname "$0")" && pwd)
top_dir=$(cd "$cross_dir/.." && pwd)
# plain_budget TRIPLE -> "BYTES NAME": what the plain build of TRIPLE must fit: 600 KiB on
# every router target (issue 11). MIPS, whose fixed 4-byte instructions make the same
# code about a quarter larger than ARM's, was held to an interim ceiling (740, 725, then
# 650 KiB) until session 10's cuts brought it under 600 KiB too (cross/SIZES.md).
plain_budget() {
	echo "$((600 * 1024)) 600KiB"
}

target_field() {
	awk -v t="$1" -v c="$2" '
		$1 == t { if (c == "qemu") print $2; else if (c == "std") print $3;
		          else if (c == "opt") print $4; else if (c == "ci") print $5; found = 1 }
		END { if (!found) exit 1 }' "$cross_dir/targets" || {
		echo "cross: unknown target '$1' (see cross/targets)" >&2
		return 1
	}
}

# all_targets [ci] -> the triples, in table order; with "ci" only those marked ci=yes.
all_targets() {
	awk -v ci="${1:-}" '!/^#/ && NF >= 5 && (ci == "" || $5 == "yes") { print $1 }' "$cross_dir/targets"
}

# sysroot_recipe TRIPLE -> sets gnu (Debian cross prefix), cflags (C flags matching
# rustc's target spec, `rustc --print target-spec-json`) and musl_target (musl's
# configure target) for the musl sysroot of TRIPLE; returns 1 for a target without one.
# Used by build-sysroot.sh, and by build.sh to point the C compiler of a C-building
# dependency (ring, for the tls feature) at the same target and headers.
sysroot_recipe() {
	case $1 in
	x86_64-unknown-linux-musl)
		# Headers only: the link uses rustup's self-contained libc.a.
		gnu=x86_64-linux-gnu cflags="" musl_target=x86_64-linux-musl ;;
	aarch64-unknown-linux-musl)
		gnu=aarch64-linux-gnu cflags="" musl_target=aarch64-linux-musl ;;
	armv7-unknown-linux-musleabihf)
		gnu=arm-linux-gnueabihf
		# rustc: +v7,+vfp3d16,+thumb2,-neon, hard-float ABI.
		cflags="-march=armv7-a -mfpu=vfpv3-d16 -mfloat-abi=hard"
		musl_target=arm-linux-musleabihf ;;
	arm-unknown-linux-musleabi)
		gnu=arm-linux-gnueabi
		# rustc: +v6,+strict-align, soft-float ABI (ARM1176, e.g. Raspberry Pi 1).
		cflags="-march=armv6 -marm -mfloat-abi=soft"
		musl_target=arm-linux-musleabi ;;
	mipsel-unknown-linux-musl)
		gnu=mipsel-linux-gnu
		# rustc: cpu mips32r2, +soft-float. lld refuses to mix float ABIs.
		cflags="-march=mips32r2 -msoft-float"
		musl_target=mipsel-linux-muslsf ;;
	mips-unknown-linux-musl)
		gnu=mips-linux-gnu
		cflags="-march=mips32r2 -msoft-float"
		musl_target=mips-linux-muslsf ;;
	*) return 1 ;;
	esac
}
