# gateway benchmarks (plain C; table + $(TG_BENCH_DIR)/<name>.json):
# ITCH decode + order map msgs/s over the LOBSTER day in memory, and
# loopback receive datagrams/s at zero loss, io_uring vs a recvmmsg loop.
$(eval $(call tg_bench,bench_gateway_decode,perf/bench_gateway_decode.c,gateway wire shm common))
$(eval $(call tg_bench,bench_gateway_rx,perf/bench_gateway_rx.c,gateway common))
$(eval $(call tg_bench,bench_dpdk,perf/bench_dpdk.c,gateway wire shm common))
EXTRA_LIBS_bench_dpdk := $(DPDK_LIBS)
