# tickguard - one non-recursive GNU Makefile.
#
#   make [MODE=debug|release|asan|tsan]   build everything into build/$(MODE)/
#   make test                             install deps, format check, all tests
#                                         in release, asan+ubsan and tsan builds
#   make demo                             the main job on the built-in input
#   make bench                            benchmarks: table + build/bench/*.json
#
# Each part has a <part>/module.mk fragment that is included here (still one
# make process, one dependency graph). Fragments use the tg_lib / tg_prog /
# tg_test macros below.

MODE ?= release
BUILD := build/$(MODE)
TOP := $(CURDIR)

CC := gcc
CXX := g++
AR := ar

PKGS := liburing libcjson libcurl
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

HAVE_MHD := $(shell pkg-config --exists libmicrohttpd 2>/dev/null && echo 1)
ifeq ($(HAVE_MHD),1)
PKG_CFLAGS += $(shell pkg-config --cflags libmicrohttpd) -DTG_HAVE_MHD=1
PKG_LIBS += $(shell pkg-config --libs libmicrohttpd)
endif

WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	-Wpointer-arith -Wformat=2 -Wundef -Wcast-qual -Wwrite-strings \
	-Wmissing-declarations -Wnull-dereference -Wdouble-promotion -Wvla
CSTD := -std=c11 -D_GNU_SOURCE
CPPFLAGS_TG := -Iinclude -I. -MMD -MP

ifeq ($(MODE),release)
OPT := -O2 -g -march=native -fno-plt
else ifeq ($(MODE),debug)
OPT := -O0 -g3 -march=native -DTG_DEBUG=1
else ifeq ($(MODE),asan)
OPT := -O1 -g -march=native -fno-omit-frame-pointer -fsanitize=address,undefined \
	-fno-sanitize-recover=all -DTG_SANITIZE=1
SAN_LD := -fsanitize=address,undefined
else ifeq ($(MODE),tsan)
OPT := -O1 -g -march=native -fno-omit-frame-pointer -fsanitize=thread -DTG_SANITIZE=1
SAN_LD := -fsanitize=thread
else
$(error MODE must be release, debug, asan or tsan)
endif

CFLAGS_TG := $(CSTD) $(WARN) $(OPT) -pthread $(PKG_CFLAGS)
CXXFLAGS_TG := -std=c++17 -Wall -Wextra -Werror $(OPT) -pthread $(PKG_CFLAGS)
LDFLAGS_TG := -pthread $(SAN_LD)
LDLIBS_TG := $(PKG_LIBS) -lm

ALL_OBJS :=
ALL_LIBS :=
ALL_PROGS :=
TEST_BINS :=
TSAN_TESTS :=
BENCH_BINS :=

# $(call tg_lib,name,sources): static library $(BUILD)/lib/libtg_name.a
define tg_lib
$(1)_OBJS := $$(patsubst %.c,$(BUILD)/obj/%.o,$(2))
ALL_OBJS += $$($(1)_OBJS)
ALL_LIBS += $(BUILD)/lib/libtg_$(1).a
$(BUILD)/lib/libtg_$(1).a: $$($(1)_OBJS)
	@mkdir -p $$(@D)
	@rm -f $$@
	@echo "  AR    $$@"
	@$(AR) rcs $$@ $$^
endef

# $(call tg_link,output,sources,libs-in-link-order)
define tg_link
$(1)_OBJS := $$(patsubst %.cc,$(BUILD)/obj/%.o,$$(patsubst %.c,$(BUILD)/obj/%.o,$(2)))
ALL_OBJS += $$($(1)_OBJS)
$(1): $$($(1)_OBJS) $$(foreach l,$(3),$(BUILD)/lib/libtg_$$(l).a)
	@mkdir -p $$(@D)
	@echo "  LD    $$@"
	@$$(if $$(filter %.cc,$(2)),$(CXX),$(CC)) $(LDFLAGS_TG) -o $$@ $$($(1)_OBJS) \
		$$(foreach l,$(3),$(BUILD)/lib/libtg_$$(l).a) $$(EXTRA_LIBS_$$(notdir $(1))) $(LDLIBS_TG)
endef

# $(call tg_prog,name,sources,libs): $(BUILD)/bin/name
define tg_prog
ALL_PROGS += $(BUILD)/bin/$(1)
$(call tg_link,$(BUILD)/bin/$(1),$(2),$(3))
endef

# $(call tg_test,name,sources,libs): $(BUILD)/tests/name, run by `make test`
define tg_test
TEST_BINS += $(BUILD)/tests/$(1)
$(call tg_link,$(BUILD)/tests/$(1),$(2),$(3))
endef

# $(call tg_bench,name,sources,libs): $(BUILD)/bench/name, run by `make bench`
define tg_bench
BENCH_BINS += $(BUILD)/bench/$(1)
$(call tg_link,$(BUILD)/bench/$(1),$(2),$(3))
endef

PARTS := common shm wire model gateway feedsim scorer serve publisher backtest cli tests perf examples
include $(wildcard $(addsuffix /module.mk,$(PARTS)) tests/*.mk perf/*.mk)

.DEFAULT_GOAL := all
.PHONY: all tests benches test demo demo-real bench deps format format-check clean list-tests list-benches

all: $(ALL_LIBS) $(ALL_PROGS) $(TEST_BINS)

# In tsan mode only the tests that exercise concurrency are built and run.
ifeq ($(MODE),tsan)
tests: $(filter $(addprefix $(BUILD)/tests/,$(TSAN_TESTS)),$(TEST_BINS)) $(ALL_PROGS)
list-tests:
	@echo $(filter $(addprefix $(BUILD)/tests/,$(TSAN_TESTS)),$(TEST_BINS))
else
tests: $(TEST_BINS) $(ALL_PROGS) $(ALL_LIBS)
list-tests:
	@echo $(TEST_BINS)
endif

benches: $(BENCH_BINS) $(ALL_PROGS)
list-benches:
	@echo $(BENCH_BINS)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(@D)
	@echo "  CC    $@"
	@$(CC) $(CPPFLAGS_TG) $(CFLAGS_TG) $(CFLAGS_$(notdir $*)) -c -o $@ $<

$(BUILD)/obj/%.o: %.cc
	@mkdir -p $(@D)
	@echo "  CXX   $@"
	@$(CXX) $(CPPFLAGS_TG) $(CXXFLAGS_TG) -c -o $@ $<

-include $(ALL_OBJS:.o=.d)

deps:
	@mk/deps.sh

test: deps
	@mk/test.sh

# The demos build only what they run; the build log goes to a file and is
# shown only when the build fails.
DEMO_BUILD = @mkdir -p build && echo "building (log: build/demo-build.log)" && \
	$(MAKE) --no-print-directory -j$$(nproc) MODE=release build/release/bin/tickguard \
	build/release/bin/tg_consumer build/release/lib/libtickguard.a build/release/tickguard.pc \
	>build/demo-build.log 2>&1 || \
	{ tail -n 40 build/demo-build.log; exit 1; }

demo: deps
	$(DEMO_BUILD)
	@mk/demo.sh

demo-real: deps
	$(DEMO_BUILD)
	@mk/demo.sh real

bench: deps
	@$(MAKE) --no-print-directory -j$$(nproc) MODE=release all benches
	@mk/bench.sh

FORMAT_FILES = $(shell git ls-files -- '*.c' '*.h' '*.cc' 2>/dev/null)
format:
	clang-format -i $(FORMAT_FILES)
format-check:
	@clang-format --dry-run --Werror $(FORMAT_FILES)

clean:
	rm -rf build
