# The qemu test board: Debian's kernel (IPVS as modules) + a busybox initramfs holding
# Debian's ipvsadm (the oracle) and the lvsmon static binary. Included by the top Makefile.
#   make vm-test          every scenario in board/qemu/scenarios/*.sh, plus those of
#                         board/qemu/scenarios-lvsmon/ named in board/qemu/scenarios/ENABLED
#   make vm-run SCENARIO=name   one scenario, console echoed (any of the two directories)
#   make demo             the narrated walk-through (board/qemu/scenarios-lvsmon/demo.sh)
#   make demo-ha          the same for several Directors: VRRP pair, ECMP pair (demo-ha.sh)
#   make vm-kernel / vm-initramfs   the pieces; vm-clean removes board/qemu/out
#   make soak             the soak: 200 real servers flapping at random under lvsmon for
#                         SOAK_SECONDS (default 1800, 30 minutes); results in board/qemu/SOAK.md
#   make vm-soak-short    the same soak for SOAK_SHORT_SECONDS (default 90), part of make test
QEMU_DIR := board/qemu
VM_BASE_SCENARIOS := $(sort $(basename $(notdir $(wildcard $(QEMU_DIR)/scenarios/*.sh))))
VM_ENABLED := $(shell sed -e 's/\#.*//' $(QEMU_DIR)/scenarios/ENABLED 2>/dev/null)
VM_SCENARIOS := $(VM_BASE_SCENARIOS) $(VM_ENABLED)
SCENARIO ?= boot

.PHONY: vm-kernel vm-initramfs vm-test vm-run demo vm-clean

vm-kernel:
	$(QEMU_DIR)/fetch-kernel.sh

# streams: the HA scenarios' traffic tool (board/qemu/streams), a standalone static crate.
VM_STREAMS := target/streams/$(MUSL_TARGET)/release/streams
.PHONY: vm-streams
vm-streams:
	cd $(QEMU_DIR)/streams && RUSTFLAGS="-C target-feature=+crt-static" timeout 900 \
		$(CARGO) build --release --offline --target $(MUSL_TARGET) --target-dir ../../../target/streams

vm-initramfs: static vm-kernel vm-streams
	$(QEMU_DIR)/build-initramfs.sh $(STATIC_BIN) $(VM_STREAMS)

vm-test: vm-initramfs
	$(QEMU_DIR)/run-all.sh $(VM_SCENARIOS)

vm-run: vm-initramfs
	LVSMON_VM_ECHO=1 $(QEMU_DIR)/run-vm.sh $(SCENARIO) 300

demo: vm-initramfs
	LVSMON_VM_ECHO=1 $(QEMU_DIR)/run-vm.sh demo 400

# The several-Director walk-through: the VRRP pair, then the ECMP pair, faults injected
# live, connections counted (scenarios-lvsmon/demo-ha.sh runs ha-vrrp and ha-ecmp).
.PHONY: demo-ha
demo-ha: vm-initramfs
	LVSMON_VM_ECHO=1 $(QEMU_DIR)/run-vm.sh demo-ha 600

vm-clean:
	rm -rf $(QEMU_DIR)/out

# `make test` runs the kernel tier too (GNU make adds these prerequisites to the rule in
# the top Makefile).
test: vm-test

# Record Debian's ipvsadm talking generic netlink to the kernel (needs tcpdump on the host).
.PHONY: vm-capture
vm-capture: static vm-kernel
	$(QEMU_DIR)/capture.sh $(STATIC_BIN)

# The soak (board/qemu/scenarios-lvsmon/soak.sh) lasts its VM budget minus 150 s (set-up and
# the final checks), so the budget is the length plus 150 s; run-vm.sh adds 60 s more to
# qemu's timeout.
SOAK_SECONDS ?= 1800
SOAK_SHORT_SECONDS ?= 90
.PHONY: soak vm-soak-short
soak: vm-initramfs
	$(QEMU_DIR)/run-vm.sh soak $$(( $(SOAK_SECONDS) + 150 ))

vm-soak-short: vm-initramfs
	$(QEMU_DIR)/run-vm.sh soak $$(( $(SOAK_SHORT_SECONDS) + 150 ))

test: vm-soak-short
