$(eval $(call tg_lib,scorer,$(wildcard scorer/*.c)))
