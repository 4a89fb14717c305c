# Live clock (issue 5): feedsim restamps ITCH time with the wall clock so
# exchange timestamp -> alert latency is measurable; the run reports it.
$(eval $(call tg_test,test_feedsim_clock,tests/test_feedsim_clock.c,feedsim publisher wire common))
# end to end: runs $(TG_BIN)/tickguard (`make tests` builds it)
$(eval $(call tg_test,test_run_latency,tests/test_run_latency.c,shm common))
