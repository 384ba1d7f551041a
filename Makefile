# ccbt — the two commands: `make run` and `make test`. Everything else is a helper for them.
SHELL := /bin/bash
JOBS ?= 2
BUILD := build/default

.PHONY: all deps build run test test-default test-asan test-fuzz build-asan build-fuzz bench clean

all: build

deps:
	@bash scripts/install-deps.sh

build: deps
	@cmake --preset default >/dev/null
	@cmake --build --preset default -j $(JOBS)

# The main job. Until the engine exists: create a torrent from sample data and show its info.
run: build
	@bash scripts/run-main.sh $(BUILD)

test: deps test-default test-asan test-fuzz

test-default: build
	@ctest --preset default

build-asan: deps
	@cmake --preset asan >/dev/null
	@cmake --build --preset asan -j $(JOBS)

test-asan: build-asan
	@ctest --preset asan

build-fuzz: deps
	@cmake --preset fuzz >/dev/null
	@cmake --build --preset fuzz -j $(JOBS) --target fuzzers

# Each fuzz target runs for FUZZ_SECONDS on its seed corpus; a crash fails the run.
FUZZ_SECONDS ?= 30
test-fuzz: build-fuzz
	@bash scripts/run-fuzzers.sh build/fuzz $(FUZZ_SECONDS)

bench: build
	@bash bench/run-all.sh $(BUILD)

clean:
	rm -rf build
