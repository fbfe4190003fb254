# Kernel tests on the real architecture: Debian's arm64, armmp (armhf) and 4kc-malta
# (mipsel) kernels under qemu-system-aarch64 / -arm / -mipsel, busybox initramfs, the basic
# kernel scenario (board/qemu-arch/scenario.sh). Included by the top Makefile.
#   make vm-test-arch            all three, one after the other; a summary line per arch
#   make vm-arch ARCH=arm64      one (arm64 | armhf | mipsel)
# Kernels and busybox come from a private apt configuration (board/qemu-arch/fetch.sh);
# the lvsmon binaries from `make cross TARGET=...` (cross/).
ARCH_DIR := board/qemu-arch
ARCH_LIST := arm64 armhf mipsel
arch_triple_arm64 := aarch64-unknown-linux-musl
arch_triple_armhf := armv7-unknown-linux-musleabihf
arch_triple_mipsel := mipsel-unknown-linux-musl
ARCH ?= arm64

.PHONY: vm-test-arch vm-arch vm-arch-clean

# One architecture: fetch (cached), cross build, initramfs, boot.
vm-arch:
	$(ARCH_DIR)/fetch.sh $(ARCH)
	cross/build.sh $(arch_triple_$(ARCH))
	$(ARCH_DIR)/build-initramfs.sh $(ARCH) target/$(arch_triple_$(ARCH))/release/lvsmon
	$(ARCH_DIR)/run-vm.sh $(ARCH)

vm-test-arch:
	@fails=; for a in $(ARCH_LIST); do \
		$(MAKE) --no-print-directory vm-arch ARCH=$$a || fails="$$fails $$a"; \
	done; \
	grep -ah '^LVSMON-VERDICT\|^LVSMON-BOOT' $(ARCH_DIR)/out/*/console.log | tr -d '\r'; \
	if [ -n "$$fails" ]; then echo "vm-test-arch: FAILED:$$fails" >&2; exit 1; fi

vm-arch-clean:
	rm -rf $(ARCH_DIR)/out

# The per-architecture kernel scenarios are part of every test run (.ci/run installs
# qemu-system-arm, qemu-system-mips and the cross C compilers for the sysroots).
test: vm-test-arch
