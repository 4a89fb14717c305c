$(eval $(call tg_test,test_scorer_epoch,tests/test_scorer_epoch.c,scorer model shm common))
TSAN_TESTS += test_scorer_epoch
