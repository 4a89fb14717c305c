# Model inference, preprocessing, calibration and packages (issue 4, part A).
# The tests link part A's objects directly (not libtg_model.a) so they only
# depend on the files they test.
MODELA_SRCS := model/lstm.c model/lstm_fast.c model/preprocess.c model/calibrate.c \
	model/package.c
$(eval $(call tg_test,test_model_forward,tests/test_model_forward.c $(MODELA_SRCS),common))
$(eval $(call tg_test,test_model_tfjs,tests/test_model_tfjs.c $(MODELA_SRCS),common))
$(eval $(call tg_test,test_model_package,tests/test_model_package.c $(MODELA_SRCS) model/cmd_model.c,common))
$(eval $(call tg_test,test_model_lobster,tests/test_model_lobster.c model/preprocess.c,common))
