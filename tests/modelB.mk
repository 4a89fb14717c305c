# Model training and calibration commands (issue 4, part B). Like modelA.mk,
# the tests link the model objects they need directly.
MODELB_TRAIN_SRCS := model/train.c model/train_net.c model/adam.c model/checkpoint.c model/lstm.c
$(eval $(call tg_test,test_model_train,tests/test_model_train.c $(MODELB_TRAIN_SRCS),common))
TSAN_TESTS += test_model_train
MODELB_CALIB_SRCS := $(MODELB_TRAIN_SRCS) model/train_data.c model/lstm_fast.c model/preprocess.c \
	model/calibrate.c
$(eval $(call tg_test,test_model_train_calib,tests/test_model_train_calib.c $(MODELB_CALIB_SRCS),feedsim common))
# The register-blocked BPTT loops of train_net.c vectorise fully at -O3:
# test_model_train takes 25% less CPU than at -O2 (0.84 s vs 1.10 s user).
CFLAGS_train_net := -O3
$(eval $(call tg_test,test_model_train_cli,tests/test_model_train_cli.c,common))
$(eval $(call tg_test,test_model_train_input,tests/test_model_train_input.c cli/cmd_train.c,model feedsim wire common))
