# Remote vs local reconstruction through `tickguard serve` on loopback
# (plain C: table + $(TG_BENCH_DIR)/bench_remote.json).
$(eval $(call tg_bench,bench_remote,perf/bench_remote.c,serve scorer model common))
