$(eval $(call tg_lib,publisher,$(wildcard publisher/*.c)))
