# DPDK receive backend tests (gateway/rx_dpdk.c); skip at run time where
# DPDK is not built in.
$(eval $(call tg_test,test_gateway_dpdk,tests/test_gateway_dpdk.c,gateway wire shm common))
EXTRA_LIBS_test_gateway_dpdk := $(DPDK_LIBS)
$(eval $(call tg_test,test_hugepages,tests/test_hugepages.c,cli shm common))
$(eval $(call tg_test,test_gateway_dpdk_rings,tests/test_gateway_dpdk_rings.c,gateway wire shm common))
EXTRA_LIBS_test_gateway_dpdk_rings := $(DPDK_LIBS)
