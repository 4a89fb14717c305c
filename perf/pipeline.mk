# Whole-pipeline benchmark: `tickguard run` at fixed feed rates; tick ->
# alert latency percentiles and CPU per scored window into
# $(TG_BENCH_DIR)/bench_pipeline.json.
$(eval $(call tg_bench,bench_pipeline,perf/bench_pipeline.c,common))
