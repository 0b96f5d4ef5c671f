# Switchboard — the README's two commands, and a few more.
#   make demo     install what is missing, build, run the gateway with simulated callers and agents
#   make test     install what is missing, build, run every test (ends with "N passed, N failed")
#   make bench    run every benchmark; make bench B=<name> runs one (each ends with a JSON line)
#   make          build only
BUILD ?= build

.PHONY: all setup build test demo bench clean

all: build

setup:
	@SB_SETUP_QUIET=1 scripts/setup

build: setup
	@[ -f $(BUILD)/build.ninja ] || meson setup $(BUILD) -Dwerror=true
	@ninja -C $(BUILD)

test: setup
	@scripts/run-tests

demo: build
	@scripts/demo

bench: build
	@BUILD=$(BUILD) scripts/bench $(B)

clean:
	rm -rf $(BUILD) build-asan build-fuzz
