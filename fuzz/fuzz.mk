# Fuzzing (issue 6): cargo-fuzz on nightly, not part of `make test`.
# `make fuzz` runs every target in fuzz/Cargo.toml for FUZZ_SECONDS each, one at a time,
# and prints executions and coverage per target; `make fuzz FUZZ_TARGETS="control dns_reply"`
# runs a subset. Seeds: `python3 fuzz/seeds.py` rewrites fuzz/corpus/<target>/seed-*.
FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?=

.PHONY: fuzz fuzz-build fuzz-seeds

fuzz:
	fuzz/run.sh $(FUZZ_SECONDS) $(FUZZ_TARGETS)

fuzz-build:
	cargo +nightly fuzz build --fuzz-dir fuzz

fuzz-seeds:
	python3 fuzz/seeds.py
