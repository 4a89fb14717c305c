# feedsim: sources (LOBSTER, CSV, synthetic), ITCH replay, UDP feed and
# retransmission, the command. test_feedsim_udp runs a sender thread.
FEEDSIM_TEST_LIBS := feedsim wire common
$(eval $(call tg_test,test_feedsim_source,tests/test_feedsim_source.c,$(FEEDSIM_TEST_LIBS)))
$(eval $(call tg_test,test_feedsim_itch,tests/test_feedsim_itch.c,$(FEEDSIM_TEST_LIBS)))
$(eval $(call tg_test,test_feedsim_udp,tests/test_feedsim_udp.c,$(FEEDSIM_TEST_LIBS)))
TSAN_TESTS += test_feedsim_udp
$(eval $(call tg_test,test_feedsim_cli,tests/test_feedsim_cli.c,$(FEEDSIM_TEST_LIBS)))
# Fuzz targets for the CSV and LOBSTER parsers: the committed corpus in
# tests/feedsim-corpus/* plus a seeded mutation run, in `make test`.
$(eval $(call tg_test,test_feedsim_fuzz,tests/test_feedsim_fuzz.c,$(FEEDSIM_TEST_LIBS)))

# `make fuzz-feedsim`: libFuzzer builds (clang, ASan+UBSan), FUZZ_SECONDS each.
FEEDSIM_FUZZ_SRCS := tests/test_feedsim_fuzz.c $(wildcard feedsim/*.c) $(wildcard wire/*.c) \
	$(wildcard common/*.c)
build/fuzz/fuzz_feedsim_%: $(FEEDSIM_FUZZ_SRCS) $(wildcard feedsim/*.h)
	@mkdir -p $(@D)
	@echo "  FUZZCC $@"
	@clang -std=c11 -D_GNU_SOURCE -g -O1 -Iinclude -I. -DTG_LIBFUZZER -DTG_FUZZ_MAIN_feedsim_$* \
		-fsanitize=fuzzer,address,undefined -o $@ $(FEEDSIM_FUZZ_SRCS) -lm
.PHONY: fuzz-feedsim
fuzz-feedsim: build/fuzz/fuzz_feedsim_csv build/fuzz/fuzz_feedsim_lobster
	@for t in csv lobster; do mkdir -p build/fuzz/corpus/feedsim_$$t; \
		build/fuzz/fuzz_feedsim_$$t -max_total_time=$${FUZZ_SECONDS:-30} -max_len=4096 \
			build/fuzz/corpus/feedsim_$$t tests/feedsim-corpus/$$t 2>&1 | tail -n 2 || exit 1; \
	done
