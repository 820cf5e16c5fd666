# libFuzzer harnesses (fuzz/fuzz_<name>.c, one per parser; seeds in fuzz/corpus/<name>/,
# crashes that were fixed in fuzz/regressions/<name>/). Included from the Makefile:
#   make fuzz-build                   every harness as build/fuzz/fuzz_<name>
#   make fuzz-smoke                   each harness FUZZ_SMOKE_SECONDS on a copy of its corpus,
#                                     then every regression input once (CI, < 2 minutes)
#   make fuzz FUZZ_SECONDS=600        long runs, one harness after the other (FUZZ=name for one)
# The library is compiled with clang and -fsanitize=fuzzer-no-link,address,undefined into
# build/fuzz-obj/ and archived, so a harness that #includes a .c to reach its static
# parser simply takes that object's place (the archive member is then never pulled in).

FUZZ_CC       ?= clang
FUZZ_SAN      := -fsanitize=address,undefined -fno-sanitize-recover=undefined
FUZZ_CFLAGS   := $(CFLAGS_BASE) -Wno-unknown-warning-option \
                 -O1 -g -fno-omit-frame-pointer $(FUZZ_SAN)
FUZZ_SRC      := $(sort $(wildcard fuzz/fuzz_*.c))
FUZZ_NAMES    := $(patsubst fuzz/fuzz_%.c,%,$(FUZZ_SRC))
FUZZ_BINS     := $(addprefix build/fuzz/fuzz_,$(FUZZ_NAMES))
FUZZ_OBJ      := $(patsubst %.c,build/fuzz-obj/%.o,$(LIB_SRC) $(GEN_SRC))
FUZZ_LIB      := build/fuzz-obj/librbmap-fuzz.a
FUZZ_SMOKE_SECONDS ?= 5
FUZZ_SECONDS  ?= 600
FUZZ_RSS_MB   ?= 2048
FUZZ          ?= $(FUZZ_NAMES)
# Long runs keep what they find in build/fuzz-corpus/<name>/ (copy worthwhile inputs
# back into fuzz/corpus/ by hand, after `-merge=1` to keep it small).
FUZZ_RUN_FLAGS ?= -rss_limit_mb=$(FUZZ_RSS_MB) -max_len=8192 -timeout=20 -print_final_stats=1

.PHONY: fuzz-build fuzz-smoke fuzz

$(FUZZ_OBJ): | $(PROTO_SRC)
build/fuzz-obj/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "CC (fuzz) $<"
	@$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c $< -o $@

$(FUZZ_LIB): $(FUZZ_OBJ)
	@rm -f $@
	@ar rcs $@ $^

build/fuzz/fuzz_%: fuzz/fuzz_%.c fuzz/fuzz_util.h $(FUZZ_LIB)
	@mkdir -p $(dir $@)
	@echo "LD (fuzz) $@"
	@$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -MMD -MP -MF $@.d $< $(FUZZ_LIB) -o $@ $(LDLIBS)

fuzz-build: $(FUZZ_BINS)

fuzz-smoke: fuzz-build
	@sh fuzz/run.sh smoke $(FUZZ_SMOKE_SECONDS) "$(FUZZ_RUN_FLAGS)" $(FUZZ_NAMES)

fuzz: fuzz-build
	@sh fuzz/run.sh long $(FUZZ_SECONDS) "$(FUZZ_RUN_FLAGS)" $(FUZZ)
