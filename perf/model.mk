# Model inference benchmark (plain C: table + $(TG_BENCH_DIR)/bench_model.json).
$(eval $(call tg_bench,bench_model,perf/bench_model.c model/lstm.c model/lstm_fast.c,common))
