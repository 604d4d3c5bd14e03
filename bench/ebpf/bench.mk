# eBPF benchmarks (issue 4): `make bench` runs bench-ebpf.
# Included by ebpf/ebpf.mk and possibly by the top-level Makefile: only once.
ifndef EBPF_BENCH_MK
EBPF_BENCH_MK := 1
EBPF_BDIR := $(TOP)/bench/ebpf
EBPF_BOUT := $(B)/ebpf/bench

$(EBPF_BOUT)/kernels.o: $(EBPF_BDIR)/kernels.c
	@mkdir -p $(@D)
	clang -O2 -g -target bpf -I/usr/include/x86_64-linux-gnu -c $< -o $@.tmp && mv -f $@.tmp $@
$(EBPF_BOUT)/bench: $(EBPF_BDIR)/bench.c $(B)/ebpf/host/libebpf.a
	@mkdir -p $(@D)
	$(EBPF_HOST_CC) $(EBPF_HOST_CFLAGS) $< $(B)/ebpf/host/libebpf.a -o $@.tmp && mv -f $@.tmp $@
$(EBPF_BOUT)/bench-rv64: $(EBPF_BDIR)/bench.c $(EBPF_BDIR)/kernels.c $(B)/ebpf/rv64-linux/libebpf.a
	@mkdir -p $(@D)
	$(EBPF_RV_CC) $(EBPF_RV_CFLAGS) -static $(EBPF_BDIR)/bench.c $(EBPF_BDIR)/kernels.c \
	    $(B)/ebpf/rv64-linux/libebpf.a -o $@.tmp && mv -f $@.tmp $@

# EBPF_BASE: a commit whose library is measured in the same run, in turns
# with the current one (host interpreter and verifier; bench/ebpf/compare.sh).
# The default is the commit before issue 18's map types, verifier and loader
# work; empty (`make bench-ebpf EBPF_BASE=`) measures the current one alone.
EBPF_BASE ?= 107712d

.PHONY: bench-ebpf
bench-ebpf: $(EBPF_BOUT)/bench $(EBPF_BOUT)/bench-rv64 $(EBPF_BOUT)/kernels.o
	@$(EBPF_BOUT)/bench $(EBPF_BOUT)/kernels.o
	@echo
	@qemu-riscv64 $(EBPF_BOUT)/bench-rv64 $(EBPF_BOUT)/kernels.o
	@echo
	@if [ -n "$(EBPF_BASE)" ]; then $(EBPF_BDIR)/compare.sh $(EBPF_BASE) $(EBPF_BOUT)/bench $(EBPF_BOUT)/kernels.o; \
	 else echo "no comparison with an older library: EBPF_BASE is empty"; fi

BENCH_TARGETS += bench-ebpf

endif
