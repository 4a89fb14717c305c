# wire/ tests: codecs against the real captures and files in ../shared/data,
# round trips, malformed input, and the fuzz corpus replay (same target
# functions as the libFuzzer build below, compiled by gcc).
$(eval $(call tg_test,test_wire_captures,tests/test_wire_captures.c,wire))
$(eval $(call tg_test,test_wire_itch,tests/test_wire_itch.c,wire))
$(eval $(call tg_test,test_wire_mold,tests/test_wire_mold.c,wire))
$(eval $(call tg_test,test_wire_binfile,tests/test_wire_binfile.c,wire))
$(eval $(call tg_test,test_wire_pcap,tests/test_wire_pcap.c,wire))
$(eval $(call tg_test,test_wire_alert,tests/test_wire_alert.c,wire))

# Fuzz targets (tests/fuzz/fuzz_*.c): gcc-built corpus replay in `make test`.
WIRE_FUZZ_TARGETS := itch mold pcap binfile
WIRE_FUZZ_SRCS := $(addprefix tests/fuzz/fuzz_,$(addsuffix .c,$(WIRE_FUZZ_TARGETS)))
$(eval $(call tg_test,test_wire_fuzz_replay,tests/test_wire_fuzz_replay.c $(WIRE_FUZZ_SRCS),wire))

# `make fuzz`: libFuzzer builds in build/fuzz/ (clang, ASan+UBSan) and a run
# of FUZZ_SECONDS per target. New inputs go to build/fuzz/corpus/<t>; the
# committed corpus tests/fuzz/corpus/<t> is read, never written. To keep new
# finds: `make fuzz-merge` (minimising merge into the committed corpus).
FUZZ_CC ?= clang
FUZZ_SECONDS ?= 30
FUZZ_FLAGS := -std=c11 -D_GNU_SOURCE -g -O1 -Iinclude -I. -DTG_LIBFUZZER \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
WIRE_LIB_SRCS := $(wildcard wire/*.c)

build/fuzz/fuzz_%: $(WIRE_FUZZ_SRCS) $(WIRE_LIB_SRCS) $(wildcard wire/*.h) tests/fuzz/fuzz.h
	@mkdir -p $(@D)
	@echo "  FUZZCC $@"
	@$(FUZZ_CC) $(FUZZ_FLAGS) -DTG_FUZZ_MAIN_$* -o $@ $(WIRE_FUZZ_SRCS) $(WIRE_LIB_SRCS)

.PHONY: fuzz fuzz-build fuzz-merge
fuzz-build: $(addprefix build/fuzz/fuzz_,$(WIRE_FUZZ_TARGETS))
fuzz: fuzz-build
	@for t in $(WIRE_FUZZ_TARGETS); do \
		mkdir -p build/fuzz/corpus/$$t; \
		echo "== fuzz $$t ($(FUZZ_SECONDS) s)"; \
		build/fuzz/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -max_len=4096 \
			-artifact_prefix=build/fuzz/crash-$$t- \
			build/fuzz/corpus/$$t tests/fuzz/corpus/$$t >build/fuzz/$$t.log 2>&1; \
		rc=$$?; tail -n 1 build/fuzz/$$t.log; \
		if [ $$rc -ne 0 ]; then echo "fuzz $$t FAILED: build/fuzz/$$t.log, build/fuzz/crash-$$t-*"; exit 1; fi; \
	done
fuzz-merge: fuzz-build
	@for t in $(WIRE_FUZZ_TARGETS); do \
		mkdir -p build/fuzz/corpus/$$t tests/fuzz/corpus/$$t; \
		build/fuzz/fuzz_$$t -merge=1 -use_counters=0 tests/fuzz/corpus/$$t build/fuzz/corpus/$$t 2>&1 | tail -n 1; \
	done
