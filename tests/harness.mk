# Test programs: $(call tg_test,name,sources,libs). Concurrency tests are
# also listed in TSAN_TESTS.
$(eval $(call tg_test,test_harness,tests/test_harness.c,common))
