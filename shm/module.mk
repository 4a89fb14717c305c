# shm: segments and seqlock rings. libtg_shm holds both halves (writers link
# it); libtickguard.a is the consumer library, the reader half only, with a
# generated pkg-config file build/$(MODE)/tickguard.pc pointing at include/.
$(eval $(call tg_lib,shm,$(wildcard shm/*.c)))

TG_READER_SRCS := shm/segment_attach.c shm/ring.c shm/records.c
TG_READER_OBJS := $(patsubst %.c,$(BUILD)/obj/%.o,$(TG_READER_SRCS))
ALL_LIBS += $(BUILD)/lib/libtickguard.a $(BUILD)/tickguard.pc

$(BUILD)/lib/libtickguard.a: $(TG_READER_OBJS)
	@mkdir -p $(@D)
	@rm -f $@
	@echo "  AR    $@"
	@$(AR) rcs $@ $^

$(BUILD)/tickguard.pc: shm/module.mk
	@mkdir -p $(@D)
	@echo "  GEN   $@"
	@printf '%s\n' 'prefix=$(TOP)' 'includedir=$${prefix}/include' \
		'libdir=$${prefix}/$(BUILD)/lib' '' 'Name: tickguard' \
		'Description: read-only access to tickguard shared-memory tick, flag and alert rings' \
		'Version: 0.1.0' 'Cflags: -I$${includedir}' 'Libs: -L$${libdir} -ltickguard' \
		'Libs.private: -pthread' >$@
