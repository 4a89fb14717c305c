# shm tests: one program each. test_shm_stress also runs under TSan (as
# threads; see the file).
$(eval $(call tg_test,test_shm_segment,tests/test_shm_segment.c,shm common))
$(eval $(call tg_test,test_shm_ring,tests/test_shm_ring.c,shm common))
$(eval $(call tg_test,test_shm_records,tests/test_shm_records.c,shm common))
$(eval $(call tg_test,test_shm_epoch,tests/test_shm_epoch.c,shm common))
$(eval $(call tg_test,test_shm_stress,tests/test_shm_stress.c,shm common))
TSAN_TESTS += test_shm_stress
$(eval $(call tg_test,test_shm_cli,tests/test_shm_cli.c,shm common))
# Links libtickguard.a alone: the consumer library must be self-contained.
EXTRA_LIBS_test_shm_consumer := $(BUILD)/lib/libtickguard.a
$(eval $(call tg_test,test_shm_consumer,tests/test_shm_consumer.c,))
$(BUILD)/tests/test_shm_consumer: $(BUILD)/lib/libtickguard.a
