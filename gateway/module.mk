$(eval $(call tg_lib,gateway,$(wildcard gateway/*.c)))
