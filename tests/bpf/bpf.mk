# bpf() ABI: our attribute layouts against Linux's uapi header.
$(B)/tests/bpf/layout_linux: tests/bpf/layout_linux.c
	@mkdir -p $(@D)
	$(Q)gcc -Wall -Wextra -Werror -o $@ $<
$(B)/tests/bpf/layout_osdbg: tests/bpf/layout_osdbg.c include/osdbg/bpf_attr.h include/osdbg/bpf_ids.h
	@mkdir -p $(@D)
	$(Q)gcc -Wall -Wextra -Werror -I$(TOP)/include -o $@ $<

TEST_TARGETS += test-bpf-abi
.PHONY: test-bpf-abi
test-bpf-abi: $(B)/tests/bpf/layout_linux $(B)/tests/bpf/layout_osdbg
	@scripts/run-suite.sh bpf-abi tests/bpf/layout.sh $(B)/tests/bpf
