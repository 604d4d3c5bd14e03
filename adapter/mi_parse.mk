# GDB/MI output parser (adapter/mi_parse.c, interface adapter/mi_parse.h).
#
#   $(B)/tests/test_mi_parse    cmocka unit tests, ASan + UBSan
#
# The adapter's own object ($(B)/adapter/mi_parse.o) is built by adapter.mk's
# pattern rule like every other adapter file (-MMD, -D_GNU_SOURCE).

ADAPTER_MI_SRCS   := adapter/mi_parse.c
ADAPTER_MI_HDRS   := $(TOP)/adapter/mi_parse.h
ADAPTER_MI_CC     := gcc
ADAPTER_MI_JANSSON_CFLAGS := $(shell pkg-config --cflags jansson 2>/dev/null)
ADAPTER_MI_LIBS   := $(shell pkg-config --libs jansson 2>/dev/null)
ADAPTER_MI_SAN    := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer

MI_TEST_SRCS := $(TOP)/tests/adapter/test_mi_parse.c $(addprefix $(TOP)/,$(ADAPTER_MI_SRCS))

$(B)/tests/test_mi_parse: $(MI_TEST_SRCS) $(ADAPTER_MI_HDRS) $(wildcard $(TOP)/tests/adapter/mi_samples/*.mi)
	@mkdir -p $(@D)
	$(Q)$(ADAPTER_MI_CC) -Wall -Wextra -Werror -std=gnu11 -g -O1 $(ADAPTER_MI_SAN) -I$(TOP)/adapter \
		-DMI_SAMPLES_DIR='"$(TOP)/tests/adapter/mi_samples"' $(ADAPTER_MI_JANSSON_CFLAGS) \
		$(MI_TEST_SRCS) $(ADAPTER_MI_LIBS) -lcmocka -o $@

ALL_TARGETS += $(B)/tests/test_mi_parse

TEST_TARGETS += test-adapter-mi
.PHONY: test-adapter-mi
test-adapter-mi: $(B)/tests/test_mi_parse
	@scripts/run-suite.sh adapter-mi $(B)/tests/test_mi_parse
