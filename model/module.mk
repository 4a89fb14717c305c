$(eval $(call tg_lib,model,$(wildcard model/*.c)))
