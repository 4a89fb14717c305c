# Remote reconstruction (scorer/recon_*.c, scorer/auth.c) and `tickguard serve`.
# All of them run threads against real loopback HTTP servers: TSan runs them too.
$(eval $(call tg_test,test_remote_faults,tests/test_remote_faults.c,scorer model common))
TSAN_TESTS += test_remote_faults test_remote_request
$(eval $(call tg_test,test_remote_request,tests/test_remote_request.c,scorer model common))
$(eval $(call tg_test,test_remote_serve,tests/test_remote_serve.c,serve scorer model common))
TSAN_TESTS += test_remote_serve
# The reply parser's fuzz target: corpus tests/remote-corpus/reply replayed
# plus a seeded mutation run; `make fuzz-remote` runs libFuzzer on it.
$(eval $(call tg_test,test_remote_fuzz,tests/test_remote_fuzz.c,scorer model common))
build/fuzz/fuzz_remote_reply: tests/test_remote_fuzz.c scorer/recon_remote.c scorer/auth.c \
		scorer/recon.h
	@mkdir -p $(@D)
	@echo "  FUZZCC $@"
	@clang -std=c11 -D_GNU_SOURCE -g -O1 -Iinclude -I. -DTG_LIBFUZZER $(PKG_CFLAGS) \
		-fsanitize=fuzzer,address,undefined -o $@ tests/test_remote_fuzz.c \
		scorer/recon_remote.c scorer/auth.c $(PKG_LIBS) -lm
.PHONY: fuzz-remote
fuzz-remote: build/fuzz/fuzz_remote_reply
	@mkdir -p build/fuzz/corpus/remote_reply
	@build/fuzz/fuzz_remote_reply -max_total_time=$${FUZZ_SECONDS:-30} -max_len=4096 \
		build/fuzz/corpus/remote_reply tests/remote-corpus/reply 2>&1 | tail -n 2
