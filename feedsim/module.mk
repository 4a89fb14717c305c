$(eval $(call tg_lib,feedsim,$(wildcard feedsim/*.c)))
