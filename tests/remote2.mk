# The scorer's asynchronous remote path (issue 6): `tickguard scorer`
# processes against `tickguard serve` and the fault-injecting server of
# test_remote_srv.h (needs $(TG_BIN)/tickguard: `make tests` builds it).
$(eval $(call tg_test,test_scorer_remote,tests/test_scorer_remote.c,cli scorer model shm common))
TSAN_TESTS += test_scorer_remote
