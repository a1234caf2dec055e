# libwait: `make` builds ./libwait.so and ./waitreport; `make test` runs the
# unit and integration tests; `make demo` traces an example and reports it.
CC ?= cc
CFLAGS ?= -O2 -g
WARN := -std=gnu11 -Wall -Wextra -Werror
CPPFLAGS += -Iinclude
PRELOAD_CFLAGS := $(WARN) $(CFLAGS) -fPIC -fvisibility=hidden -fno-omit-frame-pointer \
                  -ftls-model=initial-exec
PRELOAD_SRC := $(wildcard preload/runtime/*.c preload/wrap/*.c)
PRELOAD_HDR := $(wildcard preload/runtime/*.h preload/wrap/*.h)
PRELOAD_OBJ := $(PRELOAD_SRC:%.c=build/%.o)
# The analyzer is one library, build/libwaitreport.a, of its layers
# (README.md "How it works": trace, model, analyses, output, cmd); waitreport is
# analyzer/main.c linked with it, and so are the unit tests and fuzzers.
WR_SRC := $(wildcard analyzer/*/*.c analyzer/*/*/*.c)
WR_HDR := $(wildcard analyzer/*/*.h analyzer/*/*/*.h)
WR_OBJ := $(WR_SRC:%.c=build/%.o)
WR_LIB := build/libwaitreport.a
ANALYZER_LIBS := -ldw -lelf -lm -lncurses -lprotobuf-c -lz -lzstd
# pprof's profile.proto, compiled by protoc-c into the encoder of --pprof
PROTO_DIR := build/analyzer/output/proto
PROTO_C := $(PROTO_DIR)/profile.pb-c.c
PROTO_H := $(PROTO_DIR)/profile.pb-c.h
CXX ?= g++
EXAMPLES := $(patsubst %.c,%,$(wildcard examples/*.c)) $(patsubst %.cpp,%,$(wildcard examples/*.cpp))
EXAMPLE_CFLAGS := $(WARN) -Iinclude -O1 -g -fno-omit-frame-pointer -fno-inline -pthread
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=build/tests/%)

all: libwait.so waitreport $(EXAMPLES)

libwait.so: $(PRELOAD_OBJ) preload/libwait.map
	$(CC) -shared -o $@ $(PRELOAD_OBJ) -Wl,--version-script=preload/libwait.map -lunwind -ldl -pthread

# -fexceptions where wrappers use LW_UNWIND_GUARD: a thread cancelled inside
# a wrapped call runs the wrapper's cleanup as it unwinds, releasing
# libwait's guard. Not for cond.c, sem.c and join_barrier.c: their
# pthread_cleanup_push handlers record the cancelled call, and need
# pthread.h's setjmp form of it (with -fexceptions it is the cleanup
# attribute, and the cancelled calls would go unrecorded).
LW_UNWIND_OBJ := $(addprefix build/preload/wrap/,readwrite.o files.o event.o sleep.o sockets.o stdio.o)
$(LW_UNWIND_OBJ): PRELOAD_CFLAGS += -fexceptions

# Includes name their layer: "runtime/runtime.h", "wrap/wrap.h".
build/preload/%.o: preload/%.c $(PRELOAD_HDR) include/lw_format.h include/lw_codec.h include/lw_codec_meta.h
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -Ipreload $(PRELOAD_CFLAGS) -c $< -o $@

waitreport: build/analyzer/main.o $(WR_LIB)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(ANALYZER_LIBS)

$(WR_LIB): $(WR_OBJ) $(PROTO_DIR)/profile.pb-c.o
	@rm -f $@
	$(AR) rcs $@ $^

$(PROTO_C): analyzer/output/proto/profile.proto
	@mkdir -p $(PROTO_DIR)
	protoc-c --proto_path=analyzer/output/proto --c_out=$(PROTO_DIR) profile.proto
$(PROTO_H): $(PROTO_C)
$(PROTO_DIR)/profile.pb-c.o: $(PROTO_C) $(PROTO_H)
	$(CC) $(CPPFLAGS) -std=gnu11 $(CFLAGS) -c $< -o $@
build/analyzer/output/pprof.o: $(PROTO_H)

# Includes name their layer: "model/model.h", "output/proto/profile.pb-c.h".
WR_CPPFLAGS := $(CPPFLAGS) -Ianalyzer -Ibuild/analyzer
build/analyzer/%.o: analyzer/%.c $(WR_HDR) include/lw_format.h include/lw_codec.h include/lw_codec_meta.h
	@mkdir -p $(dir $@)
	$(CC) $(WR_CPPFLAGS) $(WARN) $(CFLAGS) $(WR_HOT) -c $< -o $@

# The walk of every record (model.c) and the live heap without the
# straight-line vectorizer: it packs a site's neighbouring counters into
# vector registers for two or three adds, which takes more moves than the
# adds it saves (malloc micro --json: 9 instructions of ~310 per record).
build/analyzer/model/model.o build/analyzer/analyses/heap.o: WR_HOT := -fno-tree-slp-vectorize

examples/%: examples/%.c
	$(CC) $(EXAMPLE_CFLAGS) $< -o $@

examples/%: examples/%.cpp
	$(CXX) -std=c++17 -Wall -Wextra -Werror -O1 -g -fno-omit-frame-pointer -pthread $< -o $@

# unit tests link the analyzer's library
build/tests/test_%: tests/unit/test_%.c tests/unit/tb.h tests/unit/tb_model.h $(WR_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(WR_CPPFLAGS) -Ipreload $(WARN) $(CFLAGS) $(SAN) $< $(WR_LIB) -o $@ $(ANALYZER_LIBS) -lcmocka -pthread

build/tests/%: tests/helpers/%.c
	@mkdir -p $(dir $@)
	$(CC) $(EXAMPLE_CFLAGS) $< -o $@ -ldl

# two libraries with the same code, for reload_helper (tests/helpers/lib)
build/tests/libreload_%.so: tests/helpers/lib/reload_lib.c
	@mkdir -p $(dir $@)
	$(CC) $(EXAMPLE_CFLAGS) -fPIC -shared -DRELOAD_WORK=reload_work_$* $< -o $@
build/tests/reload_helper: build/tests/libreload_a.so build/tests/libreload_b.so

# strip_exported stays in .dynsym when stripped (tests/integration/debuginfo.sh)
build/tests/strip_helper: EXAMPLE_CFLAGS += -rdynamic

# linked against libwait.so itself, so libwait loads even when setuid
build/tests/secure_helper: tests/helpers/secure_helper.c libwait.so
	@mkdir -p $(dir $@)
	$(CC) $(EXAMPLE_CFLAGS) $< -o $@ -L$(CURDIR) -lwait -Wl,-rpath,$(CURDIR)

# test_writer, test_stack_table and test_mutex drive the real preload on a helper program
build/tests/test_writer build/tests/test_stack_table: build/tests/rec_helper libwait.so
build/tests/test_mutex: build/tests/lock_helper libwait.so

unit: $(UNIT_BIN)
	@fail=0; for t in $(UNIT_BIN); do ./$$t || fail=1; done; exit $$fail

HELPERS := $(patsubst tests/helpers/%.c,build/tests/%,$(wildcard tests/helpers/*.c))
integration: all $(HELPERS)
	bash tests/integration/run.sh

# layers: the analyzer's includes go one way and its files stay short
# (tests/layers/check.sh); a copy with an include of a later layer must fail it.
layers:
	bash tests/layers/check.sh
	bash tests/layers/format.sh
	@d=$$(mktemp -d) && cp -r analyzer/. $$d && echo '#include "cmd/options.h"' >>$$d/model/hist.h && \
	  if bash tests/layers/check.sh $$d >/dev/null; then rm -rf $$d; echo "layers: check.sh missed a breach"; exit 1; fi; \
	  rm -rf $$d

test: all layers unit integration

# Analyzer and unit tests under ASan+UBSan: `make asan test` or `make asan`.
asan: libwait.so  # built first with the normal flags, so the sanitized sub-make never rebuilds it
	$(MAKE) clean-analyzer
	$(MAKE) waitreport unit CFLAGS="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" \
	  LDFLAGS="-fsanitize=address,undefined"

# libFuzzer on the reader and model; seeds are traces of the examples.
# FUZZ_SECONDS bounds the run (CI uses 60); FUZZ_LIVE_SECONDS the live
# reader's (waitreport top).
FUZZ_SECONDS ?= 60
FUZZ_LIVE_SECONDS ?= 30
# Each fuzzer compiles the analyzer library's sources (WR_SRC) with the
# fuzzer's instrumentation.
FUZZ_CC := clang -g -O1 -fsanitize=fuzzer,address,undefined $(WR_CPPFLAGS)
fuzz: all $(PROTO_H) build/tests/life_helper build/tests/noperf build/tests/threads_helper build/tests/wake_helper
	@rm -rf build/fuzz/seeds; mkdir -p build/fuzz/seeds build/fuzz/corpus
	$(FUZZ_CC) fuzz/fuzz_reader.c $(WR_SRC) $(PROTO_C) -o build/fuzz/fuzz_reader $(ANALYZER_LIBS)
	for e in lock_contend malloc_churn pipe_rw eventfd_select "known_waits pipe" all_io_waits all_sync_waits; do \
	  WAIT_OUTPUT=build/fuzz/seeds/$${e% *}.bin WAIT_CHUNK_KB=4 LD_PRELOAD=$(CURDIR)/libwait.so examples/$$e \
	  > /dev/null || exit 1; done
	# seeds of the unusual ends: killed, recording stopped (ulimit -f), perf refused, many threads
	(WAIT_OUTPUT=build/fuzz/seeds/killed.bin WAIT_CHUNK_KB=4 LD_PRELOAD=$(CURDIR)/libwait.so \
	  build/tests/life_helper kill) > /dev/null 2>&1 || true
	(ulimit -f 40; WAIT_OUTPUT=build/fuzz/seeds/stopped.bin WAIT_CHUNK_KB=4 LD_PRELOAD=$(CURDIR)/libwait.so \
	  examples/lock_contend) > /dev/null 2>&1
	build/tests/noperf LD_PRELOAD=$(CURDIR)/libwait.so WAIT_OUTPUT=build/fuzz/seeds/noperf.bin WAIT_CHUNK_KB=4 \
	  examples/lock_contend hold > /dev/null 2>&1
	WAIT_OUTPUT=build/fuzz/seeds/threads.bin WAIT_CHUNK_KB=4 LD_PRELOAD=$(CURDIR)/libwait.so \
	  build/tests/threads_helper 40 > /dev/null
	# an epoll wait and its EPCTL record, a poll with its ready fds
	for m in epoll poll; do WAIT_OUTPUT=build/fuzz/seeds/$$m.bin WAIT_CHUNK_KB=4 LD_PRELOAD=$(CURDIR)/libwait.so \
	  build/tests/wake_helper $$m > /dev/null || exit 1; done
	./build/fuzz/fuzz_reader -max_total_time=$(FUZZ_SECONDS) -max_len=262144 -rss_limit_mb=2048 \
	  build/fuzz/corpus build/fuzz/seeds
	@mkdir -p build/fuzz/corpus_live
	$(FUZZ_CC) fuzz/fuzz_live.c $(WR_SRC) $(PROTO_C) -o build/fuzz/fuzz_live $(ANALYZER_LIBS)
	./build/fuzz/fuzz_live -max_total_time=$(FUZZ_LIVE_SECONDS) -max_len=262144 -rss_limit_mb=2048 \
	  build/fuzz/corpus_live build/fuzz/seeds

# deps: every Debian package the build, the tests, the examples and the
# benchmarks use (run as root; .ci/run calls it). Installs only what is
# missing, so it is quick when nothing is.
DEPS := build-essential g++ clang libclang-rt-14-dev libunwind-dev uthash-dev libcmocka-dev libdw-dev libelf-dev \
        libncurses-dev libdebuginfod1 pkg-config groff-base python3 tmux chromium pigz sqlite3 redis-server \
        redis-tools heaptrack protobuf-c-compiler libprotobuf-c-dev zlib1g-dev libzstd-dev zstd golang-go clang-format
deps:
	@need=; for p in $(DEPS); do dpkg -s $$p >/dev/null 2>&1 || need="$$need $$p"; done; \
	if [ -n "$$need" ]; then echo "installing:$$need"; apt-get update -q >/dev/null && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$need >/dev/null; fi

# install: PREFIX (default /usr/local) and DESTDIR as packagers expect.
# libwait.so goes to $(PREFIX)/lib/libwait/, a directory of its own: it is
# preloaded, never linked, so it stays off the linker's and ldconfig's
# paths. `waitreport record` finds it there from $(PREFIX)/bin by a path
# relative to its own binary, so bin and lib are not set separately; a
# DESTDIR-staged tree works as it is. libwait.h is header only (nothing to
# link): libwait.pc gives its Cflags, and the preload's path as the
# variable `preload`. VERSION: no release has been made yet.
PREFIX ?= /usr/local
INCLUDEDIR ?= $(PREFIX)/include
MANDIR ?= $(PREFIX)/share/man
PKGCONFIGDIR ?= $(PREFIX)/lib/pkgconfig
VERSION ?= 0.1
INSTALL ?= install
install: libwait.so waitreport
	$(INSTALL) -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/libwait $(DESTDIR)$(INCLUDEDIR) \
	  $(DESTDIR)$(PKGCONFIGDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man7
	$(INSTALL) -m 755 waitreport $(DESTDIR)$(PREFIX)/bin/waitreport
	$(INSTALL) -m 644 libwait.so $(DESTDIR)$(PREFIX)/lib/libwait/libwait.so
	$(INSTALL) -m 644 include/libwait.h $(DESTDIR)$(INCLUDEDIR)/libwait.h
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|g' -e 's|@VERSION@|$(VERSION)|g' \
	  doc/libwait.pc.in >$(DESTDIR)$(PKGCONFIGDIR)/libwait.pc
	chmod 644 $(DESTDIR)$(PKGCONFIGDIR)/libwait.pc
	$(INSTALL) -m 644 doc/waitreport.1 $(DESTDIR)$(MANDIR)/man1/waitreport.1
	$(INSTALL) -m 644 doc/libwait.7 $(DESTDIR)$(MANDIR)/man7/libwait.7
uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/waitreport $(DESTDIR)$(PREFIX)/lib/libwait/libwait.so \
	  $(DESTDIR)$(INCLUDEDIR)/libwait.h $(DESTDIR)$(PKGCONFIGDIR)/libwait.pc \
	  $(DESTDIR)$(MANDIR)/man1/waitreport.1 $(DESTDIR)$(MANDIR)/man7/libwait.7
	rmdir $(DESTDIR)$(PREFIX)/lib/libwait 2>/dev/null || true

demo: all
	@rm -f demo.bin
	WAIT_OUTPUT=demo.bin LD_PRELOAD=$(CURDIR)/libwait.so ./examples/lock_contend
	./waitreport demo.bin

# The flight recorder over a long run (not part of make test): redis-server
# with a capped trace under redis-benchmark for SOAK_SECONDS (default 60);
# prints the file's size over time and the report's (tests/soak.sh).
soak: libwait.so waitreport
	bash tests/soak.sh

# Overhead benchmarks (not part of make test): writes BENCH.md; about 10 min.
# A waitreport left sanitized by `make asan` is rebuilt first: the analyzer's
# figures are for the normal build.
bench: libwait.so
	@if nm waitreport 2>/dev/null | grep -q __asan_init; then $(MAKE) clean-analyzer; fi
	$(MAKE) waitreport
	python3 bench/run.py

clean-analyzer:
	rm -rf build/analyzer build/tests $(WR_LIB) waitreport

clean:
	rm -rf build libwait.so waitreport $(EXAMPLES) wait.*.bin demo.bin

.PHONY: all deps install uninstall unit layers integration test asan fuzz demo bench soak clean clean-analyzer
