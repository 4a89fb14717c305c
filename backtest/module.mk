$(eval $(call tg_lib,backtest,$(wildcard backtest/*.c)))
