# Training time per epoch on one LOBSTER day (table + $(TG_BENCH_DIR)/bench_train.json).
BENCH_TRAIN_SRCS := model/train.c model/train_net.c model/adam.c model/checkpoint.c \
	model/train_data.c model/lstm.c model/preprocess.c
$(eval $(call tg_bench,bench_train,perf/bench_train.c $(BENCH_TRAIN_SRCS),feedsim common))
