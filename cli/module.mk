# The tickguard binary links every part's library, dependents first.
TG_CLI_LIBS := cli backtest publisher scorer gateway feedsim serve model wire shm common
$(eval $(call tg_lib,cli,$(filter-out cli/main.c,$(wildcard cli/*.c))))
$(eval $(call tg_prog,tickguard,cli/main.c,$(TG_CLI_LIBS)))
