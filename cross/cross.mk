# Cross builds, size budget, qemu-user tests, and the board/ script tests.
# Included by the top Makefile. Target list and per-target settings: cross/targets.
# Every heavy step runs under `nice -n 15` (cross/build.sh) and one target at a time.

CROSS_TARGETS := $(shell awk '!/^\#/ && NF >= 5 { print $$1 }' cross/targets)
CROSS_CI_TARGETS := $(shell awk '!/^\#/ && NF >= 5 && $$5 == "yes" { print $$1 }' cross/targets)
CROSS_SYSROOT_TARGETS := $(shell awk '!/^\#/ && NF >= 5 && $$3 == "build-std" { print $$1 }' cross/targets)

# Debian packages and rustup components the cross tier needs (`make cross-deps`).
# The cross C compilers build the musl sysroots (no C++ since the sysroot's libunwind
# became cross/unwind-stub.c) and, for the tls build, ring's C and assembly (hence
# the aarch64 one, and the x86_64 sysroot's headers; openssl serves the TLS checks).
CROSS_APT := qemu-user-static busybox-static file binutils dpkg-dev openssl \
	gcc-arm-linux-gnueabihf gcc-arm-linux-gnueabi gcc-mipsel-linux-gnu gcc-mips-linux-gnu \
	gcc-aarch64-linux-gnu dash

.PHONY: cross cross-all cross-ci cross-sysroots cross-deps size test-cross check-scripts test-board

# make cross TARGET=<triple> [FEATURES=tls]: binary at target/<triple>/release/lvsmon
# (and a copy as lvsmon-plain or lvsmon-tls). FEATURES is the exact feature list: empty
# is the plain router build (--no-default-features), tls adds SSL_GET and genhash -S.
FEATURES ?=
cross:
	@test -n "$(TARGET)" || { echo "usage: make cross TARGET=<triple> [FEATURES=tls]; one of: $(CROSS_TARGETS)" >&2; exit 1; }
	cross/build.sh $(TARGET) --features "$(FEATURES)"

# Both builds of every target, one after the other; each build's wall time goes to
# target/cross-times.txt.
cross-all:
	@mkdir -p target && : >target/cross-times.txt
	@for t in $(CROSS_TARGETS); do for f in "" tls; do \
		cross/build.sh $$t --features "$$f" || exit 1; \
		echo "$$t $${f:-plain} $$(sed -n 's/.*seconds=\([0-9]*\).*/\1/p' target/$$t/release/lvsmon.cross) s" >>target/cross-times.txt; \
	done; done
	@cat target/cross-times.txt

# The musl sysroots for the build-std targets (cached under cross/sysroot/).
cross-sysroots:
	@for t in $(CROSS_SYSROOT_TARGETS); do nice -n 15 cross/build-sysroot.sh $$t || exit 1; done

size:
	cross/size.sh

test-cross:
	cross/test-cross.sh $(CROSS_TARGETS)

# What CI can afford: x86_64, aarch64 and mipsel (the "ci" column of cross/targets),
# both builds of each (plain and tls) built and tested, with the wall time of each step
# printed at the end.
cross-ci:
	@mkdir -p target && : >target/cross-ci-times.txt
	@start=$$(date +%s); \
	for t in $(CROSS_CI_TARGETS); do for f in "" tls; do \
		s=$$(date +%s); cross/build.sh $$t --features "$$f" || exit 1; \
		echo "build $$t $${f:-plain}: $$(( $$(date +%s) - s )) s" >>target/cross-ci-times.txt; \
	done; done; \
	s=$$(date +%s); cross/test-cross.sh $(CROSS_CI_TARGETS); rc=$$?; \
	echo "test-cross: $$(( $$(date +%s) - s )) s" >>target/cross-ci-times.txt; \
	echo "cross-ci total: $$(( $$(date +%s) - start )) s" >>target/cross-ci-times.txt; \
	cross/size.sh $(CROSS_CI_TARGETS); cat target/cross-ci-times.txt; exit $$rc

# Install what the cross tier needs on a Debian 12 machine (CI or a fresh box).
cross-deps:
	apt-get install -y --no-install-recommends $(CROSS_APT)
	rustup target add --toolchain stable x86_64-unknown-linux-musl aarch64-unknown-linux-musl
	# A component, not a toolchain install: `rustup toolchain install nightly` would
	# update the machine's nightly to whatever is newest.
	rustup component add --toolchain $(or $(CROSS_NIGHTLY),nightly) rust-src

# `sh -n` on every shell script under board/ and cross/ (with dash, and with
# busybox sh when present: OpenWrt's shell is busybox ash).
check-scripts:
	cross/check-scripts.sh

# Behaviour tests of the board scripts with stand-ins (no root, no daemon needed).
test-board:
	board/openwrt/test/run.sh
	board/init/test/run.sh
	board/buildroot/test/run.sh

test: check-scripts test-board cross-ci
