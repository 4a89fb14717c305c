# wire/ codec throughput (plain C: table + $(TG_BENCH_DIR)/bench_wire.json).
$(eval $(call tg_bench,bench_wire,perf/bench_wire.c,wire))
