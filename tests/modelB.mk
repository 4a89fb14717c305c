# Model training and calibration commands (issue 4, part B). Like modelA.mk,
# the tests link the model objects they need directly.
MODELB_TRAIN_SRCS := model/train.c model/train_net.c model/adam.c model/checkpoint.c model/lstm.c
$(eval $(call tg_test,test_model_train,tests/test_model_train.c $(MODELB_TRAIN_SRCS),common))
TSAN_TESTS += test_model_train
MODELB_CALIB_SRCS := $(MODELB_TRAIN_SRCS) model/train_data.c model/lstm_fast.c model/preprocess.c \
	model/calibrate.c
$(eval $(call tg_test,test_model_train_calib,tests/test_model_train_calib.c $(MODELB_CALIB_SRCS),feedsim common))
# The BPTT inner loops (axpy/dot over 4*units) vectorise at -O3; measured in
# perf/train.mk's bench.
CFLAGS_train_net := -O3
$(eval $(call tg_test,test_model_train_cli,tests/test_model_train_cli.c,common))
