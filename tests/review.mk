# Review tests (concurrency and shared-memory contract): one program each.
# test_review_try_read runs under TSan too (threads sharing one mapping).
$(eval $(call tg_test,test_review_try_read,tests/test_review_try_read.c,shm common))
TSAN_TESTS += test_review_try_read
$(eval $(call tg_test,test_review_shm_hostile,tests/test_review_shm_hostile.c,shm common))
# runs $(TG_BIN)/tickguard (`make tests` builds it)
$(eval $(call tg_test,test_review_tail,tests/test_review_tail.c,shm common))
$(eval $(call tg_test,test_review_directory,tests/test_review_directory.c,shm common))
TSAN_TESTS += test_review_directory
