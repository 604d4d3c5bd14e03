# osdbg, the host program: build/bin/osdbg.
ADAPTER_CC      := gcc
ADAPTER_CFLAGS  := -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Werror -g -O2 -MMD -MP -I$(TOP)/adapter \
                   -I$(TOP)/include -I$(TOP)/sidestub/include -I$(TOP)/ebpf/include -I$(TOP)/probes/include $(shell pkg-config --cflags jansson 2>/dev/null)
ADAPTER_LIBS    := $(shell pkg-config --libs jansson 2>/dev/null) -ldw -lelf -liberty
ADAPTER_SRCS    := $(wildcard adapter/*.c)
ADAPTER_OBJS    := $(patsubst adapter/%.c,$(B)/adapter/%.o,$(ADAPTER_SRCS))
OSDBG           := $(B)/bin/osdbg

ALL_TARGETS += $(OSDBG)

$(B)/adapter/%.o: adapter/%.c
	@mkdir -p $(@D)
	@echo "  CC      $<"
	$(Q)$(ADAPTER_CC) $(ADAPTER_CFLAGS) -c $< -o $@

# The side-stub protocol core, host build (sidestub/sidestub.mk), and the
# eBPF runtime's host build: osdbg verifies programs before uploading them.
ADAPTER_SIDESTUB := $(B)/sidestub/host/libsidestub.a $(B)/ebpf/host/libebpf.a

$(OSDBG): $(ADAPTER_OBJS) $(ADAPTER_SIDESTUB)
	@mkdir -p $(@D)
	@echo "  LD      $@"
	$(Q)$(ADAPTER_CC) -o $@ $(ADAPTER_OBJS) $(ADAPTER_SIDESTUB) $(ADAPTER_LIBS)

-include $(ADAPTER_OBJS:.o=.d)
