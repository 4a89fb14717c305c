$(eval $(call tg_lib,gateway,$(wildcard gateway/*.c)))

# DPDK backend (gateway/rx_dpdk.c): compiled with libdpdk's flags when
# pkg-config finds it; otherwise the same file builds a stub that says so.
HAVE_DPDK := $(shell pkg-config --exists libdpdk 2>/dev/null && echo 1)
ifeq ($(HAVE_DPDK),1)
DPDK_CFLAGS := $(shell pkg-config --cflags libdpdk) -DTG_HAVE_DPDK=1 -Wno-cast-qual \
	-Wno-strict-prototypes -Wno-missing-prototypes -Wno-undef -Wno-null-dereference
DPDK_LIBS := $(shell pkg-config --libs libdpdk)
CFLAGS_rx_dpdk := $(DPDK_CFLAGS)
CFLAGS_cmd_gateway := -DTG_HAVE_DPDK=1
EXTRA_LIBS_tickguard := $(DPDK_LIBS)
endif
