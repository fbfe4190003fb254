# `make bench`: lvsmon side by side with keepalived 2.2.7 and ipvsadm 1.31 in one run.
# Writes bench/RESULTS.md from the raw numbers kept in bench/raw/. Included by the top
# Makefile. Every step runs under timeout; the VM items boot the bench VM (TCG, -nic none).
#   make bench            footprint, host loopback, allocations, then the VM items
#   make bench-host       the host-only items (footprint, loopback, allocations, scrape
#                         cost at 4096 real servers)
#   make bench-report     rebuild RESULTS.md from bench/raw/
BENCH_DIR := bench
BENCH_RAW := $(BENCH_DIR)/raw
BENCH_TGT := $(BENCH_DIR)/target
BENCH_RESP := $(BENCH_TGT)/$(MUSL_TARGET)/release/responder
BENCH_ALLOC := $(BENCH_TGT)/release/bench-alloc
BENCH_KA_DEB_DIR := $(BENCH_DIR)/out/keepalived
BENCH_KA := $(BENCH_KA_DEB_DIR)/root/usr/sbin/keepalived
# lvsmon as it was just before the start-to-start schedule (5c93002): the scale bench runs
# it beside the current build, "before and after the timing change" (issue 14).
BENCH_BEFORE_COMMIT := e872c455
BENCH_BEFORE_DIR := $(BENCH_DIR)/out/before
BENCH_BEFORE_BIN := $(BENCH_BEFORE_DIR)/target/$(MUSL_TARGET)/release/lvsmon

.PHONY: bench bench-host bench-vm bench-report bench-tools bench-keepalived bench-reload-host bench-before

bench-tools: static
	cd $(BENCH_DIR)/responder && timeout 900 $(CARGO) build --release --offline \
		--target $(MUSL_TARGET) --target-dir ../target
	cd $(BENCH_DIR)/alloc && timeout 1800 nice -n 10 $(CARGO) build --release --offline \
		--target-dir ../target

# The source tree of BENCH_BEFORE_COMMIT (git archive, no worktree) built once, offline.
bench-before:
	[ -f $(BENCH_BEFORE_DIR)/Cargo.toml ] || { mkdir -p $(BENCH_BEFORE_DIR) && \
		git archive $(BENCH_BEFORE_COMMIT) | tar -x -C $(BENCH_BEFORE_DIR); }
	cd $(BENCH_BEFORE_DIR) && RUSTFLAGS="-C relocation-model=static -C target-feature=+crt-static" \
		timeout 1800 nice -n 10 $(CARGO) build --release --offline --target $(MUSL_TARGET)

# Debian's keepalived 2.2.7 (apt-get download + dpkg-deb -x); its libraries must resolve
# on the host (apt-get install libnftnl11 libsnmp40 on a Debian 12 host).
bench-keepalived:
	$(BENCH_DIR)/get-keepalived.sh $(BENCH_KA_DEB_DIR)

bench-host: bench-tools bench-keepalived bench-before bench-reload-host
	mkdir -p $(BENCH_RAW)
	timeout 60 $(BENCH_DIR)/footprint.sh $(STATIC_BIN) $(BENCH_KA) /usr/sbin/ipvsadm > $(BENCH_RAW)/footprint.txt
	timeout 500 $(BENCH_DIR)/loopback.sh $(STATIC_BIN) $(BENCH_RESP) $(BENCH_RAW)/loopback.txt $(BENCH_BEFORE_BIN)
	timeout 120 $(BENCH_DIR)/alloc.sh $(BENCH_ALLOC) $(BENCH_RAW)/alloc.txt
	timeout 300 python3 $(BENCH_DIR)/scrape.py $(STATIC_BIN) $(BENCH_RAW)/scrape.txt 4096 30

bench-vm: bench-tools bench-keepalived bench-before vm-initramfs
	mkdir -p $(BENCH_RAW)
	timeout 300 $(BENCH_DIR)/build-initramfs.sh $(BENCH_KA) $(BENCH_RESP) $(BENCH_BEFORE_BIN)
	: > $(BENCH_RAW)/vm.txt
	-$(BENCH_DIR)/run-vm.sh table 700 $(BENCH_RAW)/vm.txt
	-$(BENCH_DIR)/run-vm.sh reload 400 $(BENCH_RAW)/vm.txt
	-$(BENCH_DIR)/run-vm.sh failover 900 $(BENCH_RAW)/vm.txt
	-$(BENCH_DIR)/run-vm.sh scale 1500 $(BENCH_RAW)/vm.txt
	-$(BENCH_DIR)/run-vm.sh flood 400 $(BENCH_RAW)/vm.txt
	-$(BENCH_DIR)/run-vm.sh tls 900 $(BENCH_RAW)/vm.txt
	-$(BENCH_DIR)/run-vm.sh failover-tls 600 $(BENCH_RAW)/vm.txt
	-$(BENCH_DIR)/run-vm.sh ha 1500 $(BENCH_RAW)/vm.txt

# Item 4 on the host (no VM): in-process reload of the 4096-real config, wall time and
# callgrind instruction counts (bench/reload_host.sh, bench/reload_host/).
bench-reload-host: static
	cd $(BENCH_DIR)/reload_host && timeout 1800 nice -n 10 $(CARGO) build --release --offline \
		--target-dir ../target
	mkdir -p $(BENCH_RAW)
	timeout 1200 $(BENCH_DIR)/reload_host.sh $(BENCH_TGT)/release/bench-reload \
		$(STATIC_BIN) $(BENCH_RAW)/reload_host.txt

bench-report:
	python3 $(BENCH_DIR)/report.py $(BENCH_RAW) > $(BENCH_DIR)/RESULTS.md
	python3 $(BENCH_DIR)/reload_host_report.py $(BENCH_RAW) >> $(BENCH_DIR)/RESULTS.md
	python3 $(BENCH_DIR)/scrape_report.py $(BENCH_RAW) >> $(BENCH_DIR)/RESULTS.md
	@sed -n '/^## Summary/,/^## /p' $(BENCH_DIR)/RESULTS.md

bench: bench-host bench-vm
	$(MAKE) bench-report
