# shm benchmarks: the Google Benchmark harness (C++ over the C API in
# bench_shm_ops.c) and the cross-process latency tool.
EXTRA_LIBS_bench_shm := $(shell pkg-config --libs benchmark 2>/dev/null || echo -lbenchmark)
$(eval $(call tg_bench,bench_shm,perf/bench_shm.cc perf/bench_shm_ops.c,shm common))
$(eval $(call tg_bench,shm_latency,perf/shm_latency.c,shm common))
