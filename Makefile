# vigil - top-level build.
#
#   make                      build every library and program into bin/
#   make SANITIZER=address    the same with ASan into build/address/bin
#   make SANITIZER=undefined  UBSan; SANITIZER=address,undefined for both
#   make test                 install deps, build, run unit and integration
#                             tests, again under ASan+UBSan, then each fuzz
#                             target for FUZZ_SECONDS (default 20)
#   make fuzz                 run each fuzz target for FUZZ_LONG seconds
#                             (or FUZZ_SECONDS when given: make fuzz
#                             FUZZ_SECONDS=600); FUZZ_JOBS at a time,
#                             default the number of processors
#   make bench [B=name]       run the benchmarks (never part of make test)
#   make demo                 build and run the demonstration
#   make format               clang-format every C source and header in place
#                             (.clang-format); make test checks the tree
#                             conforms (tests/integration/test_format.sh)
#   make analyze              clang's static analyzer (scan-build) over the
#                             libraries, programs and tests; report in
#                             build/analyze/report, fails on any finding
#
# Sources are discovered by directory, so a new module needs no edit here:
#   lib*/ *.c                      -> build/V/lib*.a
#   <program dir>/*.c              -> bin/<program>  (see PROGRAMS), and all
#                                     but its *_main.c -> build/V/obj-<dir>.a,
#                                     which the tests and fuzz targets link
#   tests/unit/<mod>/test_*.c      -> one cmocka program per module
#   tests/integration/test_*.{c,sh}
#   tests/tools/*.c                -> programs the integration tests drive
#   fuzz/fuzz_*.c                  -> libFuzzer targets (clang)
#   bench/bench_*.c                -> benchmarks (bench/bench_*.sh run as they are)

CC        ?= cc
comma     := ,
SANITIZER ?=
FUZZ_SECONDS ?= 20
NPROC := $(shell nproc 2>/dev/null || echo 1)
FUZZ_LONG ?= 600
ifeq ($(origin FUZZ_SECONDS),command line)
FUZZ_LONG := $(FUZZ_SECONDS)
endif

ifeq ($(SANITIZER),)
VARIANT := default
BINDIR  := bin
SANFLAGS :=
else
VARIANT := $(subst $(comma),-,$(SANITIZER))
BINDIR  := build/$(VARIANT)/bin
SANFLAGS := -fsanitize=$(SANITIZER) -fno-omit-frame-pointer -fno-sanitize-recover=all
endif
OUT := build/$(VARIANT)

CPPFLAGS += -D_GNU_SOURCE -Ilibproto -Ilibshm -Ilibstage -Ilibindex -Ilibbus -Ilibauth -Ilibview -I.
CFLAGS   ?= -O2 -g
CFLAGS   += -std=gnu11 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
	    -Wno-missing-field-initializers -fno-strict-aliasing -MMD -MP $(SANFLAGS)
LDFLAGS  += $(SANFLAGS) -Wl,--as-needed
LDLIBS   += -lck -lwebsockets -luring -lssl -lcrypto -lpthread -lrt -lm

# program directory -> program name
PROGRAMS := vigild:vigild listener:vigil-listener writer:vigil-writer \
	    indexer:vigil-indexer streamer:vigil-streamer syncd:vigil-syncd \
	    firmware:vigil-cam vigilctl:vigilctl verify:vigil-verify
prog_dir  = $(word 1,$(subst :, ,$(1)))
prog_name = $(word 2,$(subst :, ,$(1)))

LIBDIRS  := $(patsubst %/,%,$(sort $(dir $(wildcard lib*/*.c))))
LIBARS   := $(foreach l,$(LIBDIRS),$(OUT)/$(l).a)
# link order: libraries that depend on others come first (libindex and
# the rest use libshm and libproto)
LIBLINK  := $(filter-out $(OUT)/libshm.a $(OUT)/libproto.a,$(LIBARS)) \
	    $(filter $(OUT)/libproto.a,$(LIBARS)) $(filter $(OUT)/libshm.a,$(LIBARS))

PROG_BINS :=
define prog_rule
ifneq ($$(wildcard $(call prog_dir,$(1))/*.c),)
PROG_BINS += $(BINDIR)/$(call prog_name,$(1))
$(BINDIR)/$(call prog_name,$(1)): $$(patsubst %.c,$(OUT)/%.o,$$(wildcard $(call prog_dir,$(1))/*.c)) $$(LIBARS)
	@mkdir -p $$(@D)
	$$(CC) $$(LDFLAGS) -o $$@ $$(filter %.o,$$^) $$(LIBLINK) $$(LDLIBS)
endif
endef
$(foreach p,$(PROGRAMS),$(eval $(call prog_rule,$(p))))
# the camera program's codecs and gpsd client
$(BINDIR)/vigil-cam: LDLIBS += -lx264 -lturbojpeg -lgps
# The camera's test build: vigil-cam with the test aids that misbehave on
# purpose (tests/tools/vigil_cam_test.c sets the camera's send filter),
# which bin/vigil-cam has none of. The same firmware objects; cam_main.c
# compiled again with its main() renamed, for the tool's main() to call.
CAM_OBJS := $(patsubst %.c,$(OUT)/%.o,$(filter-out firmware/cam_main.c,$(wildcard firmware/*.c)))
$(OUT)/tests/tools/cam_main_program.o: firmware/cam_main.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -Dmain=cam_main_program $(CFLAGS) -c -o $@ $<
$(OUT)/tests/tools/vigil_cam_test: tests/tools/vigil_cam_test.c \
		$(OUT)/tests/tools/cam_main_program.o $(CAM_OBJS) $(LIBARS)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $< $(filter %.o,$^) $(LIBLINK) $(LDLIBS) \
		-lx264 -lturbojpeg -lgps
# the MP4 writer of the standalone bundle checker
$(BINDIR)/vigil-verify: LDLIBS += -lavformat -lavcodec -lavutil
# NATS JetStream (libbus): only the programs on the listener-to-writer hop
$(BINDIR)/vigil-listener $(BINDIR)/vigil-writer $(OUT)/bench/bench_scale: LDLIBS += -lnats
# libfuse3: only the failing-sync file system of the tests (private: not
# passed on to the objects and libraries it is built from)
$(OUT)/tests/tools/failfs: private CPPFLAGS += $(shell pkg-config --cflags fuse3 2>/dev/null)
$(OUT)/tests/tools/failfs: private LDLIBS += $(shell pkg-config --libs fuse3 2>/dev/null || echo -lfuse3)

# Each program's objects but its main file, as an archive that tests and
# fuzz targets link: they take only the objects whose functions they call.
PROG_DIRS := $(foreach p,$(PROGRAMS),$(if $(wildcard $(call prog_dir,$(p))/*.c),$(call prog_dir,$(p))))
prog_objs  = $(patsubst %.c,$(1)/%.o,$(filter-out %_main.c,$(wildcard $(2)/*.c)))
PROGARS   := $(foreach d,$(PROG_DIRS),$(OUT)/obj-$(d).a)
define progar_rule
$(OUT)/obj-$(1).a: $$(call prog_objs,$(OUT),$(1))
	@mkdir -p $$(@D)
	rm -f $$@ && ar rcs $$@ $$^
endef
$(foreach d,$(PROG_DIRS),$(eval $(call progar_rule,$(d))))

define lib_rule
$(OUT)/$(1).a: $$(patsubst %.c,$(OUT)/%.o,$$(wildcard $(1)/*.c))
	@mkdir -p $$(@D)
	rm -f $$@ && ar rcs $$@ $$^
endef
$(foreach l,$(LIBDIRS),$(eval $(call lib_rule,$(l))))

UNIT_SRCS  := $(wildcard tests/unit/*/test_*.c)
UNIT_BINS  := $(patsubst %.c,$(OUT)/%,$(UNIT_SRCS))
INTEG_SRCS := $(wildcard tests/integration/test_*.c)
INTEG_BINS := $(patsubst %.c,$(OUT)/%,$(INTEG_SRCS))
TESTLIB    := $(patsubst %.c,$(OUT)/%.o,$(wildcard tests/lib/*.c))
# programs the integration tests drive (a lossy relay, generators)
TOOL_BINS  := $(patsubst %.c,$(OUT)/%,$(wildcard tests/tools/*.c))
BENCH_SRCS := $(wildcard bench/bench_*.c)
BENCH_BINS := $(patsubst %.c,$(OUT)/%,$(BENCH_SRCS))

$(OUT)/tests/%: tests/%.c $(TESTLIB) $(PROGARS) $(LIBARS)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -Itests/lib $(CFLAGS) $(LDFLAGS) -o $@ $< $(TESTLIB) $(PROGARS) $(LIBLINK) \
		-lcmocka $(LDLIBS)

$(OUT)/bench/%: bench/%.c $(TESTLIB) $(LIBARS)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -Itests/lib $(CFLAGS) $(LDFLAGS) -o $@ $< $(TESTLIB) $(LIBLINK) $(LDLIBS)

$(OUT)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

.PHONY: format all deps test test-build check unit integration fuzz fuzz-build bench demo clean vectors analyze
.DEFAULT_GOAL := all

all: $(LIBARS) $(PROG_BINS)

deps:
	@./scripts/deps.sh

test-build: all $(UNIT_BINS) $(INTEG_BINS) $(TOOL_BINS)

# One pass of unit + integration tests on the current variant.
check: test-build
	@OUT=$(OUT) BINDIR=$(BINDIR) ./tests/run.sh $(UNIT_BINS) $(INTEG_BINS) $(wildcard tests/integration/test_*.sh)

unit: test-build
	@OUT=$(OUT) BINDIR=$(BINDIR) ./tests/run.sh $(UNIT_BINS)

# make test: the README's test command. Everything, gated on failures only.
test: deps
	$(MAKE) -j$(NPROC) check
	$(MAKE) -j$(NPROC) SANITIZER=address,undefined check
	$(MAKE) -j$(NPROC) fuzz-run FUZZ_TIME=$(FUZZ_SECONDS)

# libFuzzer targets: built with clang, ASan+UBSan, on the library sources
# compiled once with the same instrumentation (into build/fuzz/libfuzz.a),
# and on the objects of the programs whose files they fuzz (all but the
# main file, into build/fuzz/obj-<dir>.a). libbus is left out: no target
# reaches NATS.
FUZZ_SRCS := $(wildcard fuzz/fuzz_*.c)
FUZZ_OUT  := build/fuzz
FUZZ_BINS := $(patsubst fuzz/%.c,$(FUZZ_OUT)/%,$(FUZZ_SRCS))
FUZZ_LIBSRCS := $(filter-out libbus/%,$(wildcard lib*/*.c))
FUZZ_LIBOBJS := $(patsubst %.c,$(FUZZ_OUT)/obj/%.o,$(FUZZ_LIBSRCS))
FUZZ_LIB := $(FUZZ_OUT)/libfuzz.a
FUZZ_PROGDIRS := firmware streamer vigild
FUZZ_PROGARS := $(foreach d,$(FUZZ_PROGDIRS),$(FUZZ_OUT)/obj-$(d).a)
FUZZ_BASE := -O1 -g -std=gnu11 $(CPPFLAGS) -fno-sanitize-recover=all
FUZZ_CFLAGS := $(FUZZ_BASE) -fsanitize=fuzzer,address,undefined

$(FUZZ_OUT)/obj/%.o: %.c
	@mkdir -p $(@D)
	clang $(FUZZ_BASE) -fsanitize=fuzzer-no-link,address,undefined -MMD -MP -c -o $@ $<

$(FUZZ_LIB): $(FUZZ_LIBOBJS)
	rm -f $@
	ar rcs $@ $^

define fuzz_progar_rule
$(FUZZ_OUT)/obj-$(1).a: $$(call prog_objs,$(FUZZ_OUT)/obj,$(1))
	rm -f $$@
	ar rcs $$@ $$^
endef
$(foreach d,$(FUZZ_PROGDIRS),$(eval $(call fuzz_progar_rule,$(d))))

$(FUZZ_OUT)/%: fuzz/%.c $(FUZZ_PROGARS) $(FUZZ_LIB)
	@mkdir -p $(@D)
	clang $(FUZZ_CFLAGS) -o $@ $< $(FUZZ_PROGARS) $(FUZZ_LIB) $(LDLIBS)

fuzz-build: $(FUZZ_BINS)

fuzz-run: fuzz-build
	@./tests/fuzz.sh $(FUZZ_TIME) $(FUZZ_BINS)

fuzz:
	$(MAKE) fuzz-run FUZZ_TIME=$(FUZZ_LONG)

bench: all $(BENCH_BINS) $(TOOL_BINS)
	@for b in $(BENCH_BINS) $(wildcard bench/bench_*.sh); do n=$${b##*/bench_}; \
		case "$(B)" in ""|"$${n%.sh}") ;; *) continue ;; esac; \
		echo "== $${b##*/}"; OUT=$(OUT) BINDIR=$(BINDIR) $$b; \
		rc=$$?; [ $$rc -eq 0 ] || [ $$rc -eq 77 ] || exit 1; done

demo: deps all
	@./scripts/demo.sh

# Every C file the project keeps, in the style of .clang-format.
FORMAT_SRCS = $(shell git ls-files '*.c' '*.h' 2>/dev/null || find . -name '*.[ch]' -not -path './build/*' -not -path '*/node_modules/*')
format:
	clang-format -i $(FORMAT_SRCS)

# A build of its own, so that every file is compiled (and analysed) again.
analyze:
	rm -rf build/analyze
	scan-build --status-bugs -o build/analyze/report $(MAKE) OUT=build/analyze/obj \
		BINDIR=build/analyze/bin all test-build

clean:
	rm -rf build bin

-include $(shell find build -name '*.d' 2>/dev/null)
