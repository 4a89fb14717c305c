# Restart-path regression tests (issue 5 review): gateway restart (tick
# epochs) and a SIGKILLed publisher resuming. Runs $(TG_BIN)/tickguard.
$(eval $(call tg_test,test_publisher_restart,tests/test_publisher_restart.c,publisher wire shm common))
