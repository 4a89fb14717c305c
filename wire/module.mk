$(eval $(call tg_lib,wire,$(wildcard wire/*.c)))
