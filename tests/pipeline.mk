# Pipeline tests (issue 5): episode logic, scorer, publisher, `tickguard run`.
$(eval $(call tg_test,test_publisher_episode,tests/test_publisher_episode.c,publisher))
$(eval $(call tg_test,test_scorer_window,tests/test_scorer_window.c,scorer model shm common))
TSAN_TESTS += test_scorer_window
$(eval $(call tg_test,test_publisher_flow,tests/test_publisher_flow.c,publisher wire shm common))
# end to end: runs $(TG_BIN)/tickguard and tg_consumer (`make tests` builds them)
$(eval $(call tg_test,test_run_e2e,tests/test_run_e2e.c,shm common))
$(eval $(call tg_test,test_run_config,tests/test_run_config.c,cli common))
