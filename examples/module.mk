# examples/: programs a trading firm would write. They compile against
# include/ ONLY (no -I.) and link only libtickguard.a, the consumer library,
# so they prove the public interface is enough.
EXAMPLE_PROGS := $(BUILD)/bin/tg_consumer
ALL_PROGS += $(EXAMPLE_PROGS)
ALL_OBJS += $(BUILD)/obj/examples/consumer.o

$(BUILD)/obj/examples/%.o: examples/%.c
	@mkdir -p $(@D)
	@echo "  CC    $@"
	@$(CC) -Iinclude -MMD -MP $(CSTD) $(WARN) $(OPT) -pthread -c -o $@ $<

$(BUILD)/bin/tg_consumer: $(BUILD)/obj/examples/consumer.o $(BUILD)/lib/libtickguard.a
	@mkdir -p $(@D)
	@echo "  LD    $@"
	@$(CC) $(LDFLAGS_TG) -o $@ $^ -lm
