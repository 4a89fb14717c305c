# Backtest throughput on one LOBSTER day (table + $(TG_BENCH_DIR)/bench_backtest.json).
$(eval $(call tg_bench,bench_backtest,perf/bench_backtest.c,backtest publisher scorer gateway feedsim model wire shm common))
