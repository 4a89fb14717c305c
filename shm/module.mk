$(eval $(call tg_lib,shm,$(wildcard shm/*.c)))
