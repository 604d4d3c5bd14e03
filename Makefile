# osdbg top-level Makefile.
#
# Every part of the project lives in its own folder with a make fragment
# (<part>/<part>.mk) that adds its outputs to the lists below.  Everything is
# built into $(BUILD)/; nothing is written into the source tree.
#
#   make          build everything (installs missing Debian packages first)
#   make run      boot the reference OS in QEMU on this terminal (Ctrl-A X quits)
#   make qemu-gdb same, but QEMU waits for GDB on a Unix socket
#   make test     build, then run every test suite
#   make bench    run the benchmarks
#   make fresh-check  the README's commands on a new Debian 12 root, from a
#                 clone of HEAD (root; about 30 minutes; not part of `make test`)
#
BUILD      ?= build
# V=1 shows every command.
Q          := $(if $(V),,@)
TOP        := $(abspath .)
B          := $(abspath $(BUILD))

# Filled in by the fragments.
ALL_TARGETS   :=
TEST_TARGETS  :=
BENCH_TARGETS :=

.DEFAULT_GOAL := all
.PHONY: all test bench clean deps format fresh-check

# scripts/deps.sh checks cheaply (dpkg-query) and installs only what is missing.
deps:
	@scripts/deps.sh

# ktrace/ktrace.mk before kernel.mk: the kernel compiles what the library does not yet.
include $(wildcard ktrace/*.mk)
include kernel/kernel.mk
include user/user.mk
include rkernel/rkernel.mk
-include ebpf/ebpf.mk
include $(wildcard probes/*.mk)
include $(wildcard sidestub/*.mk)
include $(wildcard adapter/*.mk)
include $(wildcard editors/vscode/*.mk)
include tests/tests.mk
include tests/node.mk
include $(wildcard tests/kernel/*.mk tests/adapter/*.mk tests/bpf/*.mk tests/ide/*.mk)
# Benchmark fragments, except those a part already includes (ebpf/ebpf.mk: bench/ebpf/bench.mk).
include $(filter-out $(patsubst $(TOP)/%,%,$(MAKEFILE_LIST)),$(wildcard bench/*/*.mk))

all: deps
	@$(MAKE) --no-print-directory build-all

.PHONY: build-all
build-all: $(ALL_TARGETS)

# `make test` builds first, then runs every suite (make -k: a failing suite does
# not hide the others), each printing its own summary line, then one summary
# of all; it fails if any suite failed or did not run.
test: deps
	@$(MAKE) --no-print-directory build-all
	@$(MAKE) --no-print-directory run-tests

.PHONY: run-tests

bench: deps
	@$(MAKE) --no-print-directory build-all
	@$(MAKE) --no-print-directory run-benches

.PHONY: run-benches
run-benches: $(BENCH_TARGETS)

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

# Needs root and debootstrap; see docs/fresh-check.md.
fresh-check:
	@command -v debootstrap >/dev/null || { echo "fresh-check: installing debootstrap" >&2; \
	    $$([ "$$(id -u)" -eq 0 ] || echo sudo) apt-get install -y -qq --no-install-recommends debootstrap >&2; }
	@$$([ "$$(id -u)" -eq 0 ] || echo sudo) scripts/fresh-check.sh

# --one-file-system: never into a mount (a fresh-check root's /dev, say).
clean:
	rm -rf --one-file-system $(BUILD)
