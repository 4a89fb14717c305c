# tickguard backtest (issue 8): the library against hand-computed metrics,
# label files, 1 vs 2 threads, the HTML report for LOBSTER AAPL; and the
# command end to end.
TG_BT_LIBS := backtest publisher scorer gateway feedsim model wire shm common
$(eval $(call tg_test,test_backtest_core,tests/test_backtest_core.c,$(TG_BT_LIBS)))
TSAN_TESTS += test_backtest_core
$(eval $(call tg_test,test_backtest_cli,tests/test_backtest_cli.c,common))
# needs the tickguard binary (built by `make`/`make tests`): live feedsim -> gateway -> scorer
$(eval $(call tg_test,test_backtest_live,tests/test_backtest_live.c,$(TG_BT_LIBS)))
