# lvsmon build and test entry points. Tier-specific rules live beside their tier:
# board/qemu/qemu.mk (kernel tests, demo), cross/cross.mk (cross builds, size).

CARGO ?= cargo
MUSL_TARGET := x86_64-unknown-linux-musl
STATIC_BIN := target/$(MUSL_TARGET)/release/lvsmon

.PHONY: all build static test unit lint fmt-check clean

all: build

build:
	$(CARGO) build --release

# A fully static x86_64 binary (musl, non-PIE so `file` says "statically linked").
static:
	RUSTFLAGS="-C relocation-model=static -C target-feature=+crt-static" \
		$(CARGO) build --release --target $(MUSL_TARGET)
	@file $(STATIC_BIN)

fmt-check:
	$(CARGO) fmt --check

lint:
	$(CARGO) clippy --all-targets -- -D warnings
	$(CARGO) clippy --all-targets --no-default-features -- -D warnings
	cross/check-no-debug.sh

unit:
	$(CARGO) test

test: fmt-check lint unit

clean:
	$(CARGO) clean

-include board/qemu/qemu.mk
-include board/qemu-arch/arch.mk
-include cross/cross.mk
-include doc/doc.mk
-include fuzz/fuzz.mk
-include bench/bench.mk
