$(eval $(call tg_lib,common,$(wildcard common/*.c)))
