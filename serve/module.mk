$(eval $(call tg_lib,serve,$(wildcard serve/*.c)))
