# libwait: `make` builds ./libwait.so and ./waitreport; `make test` runs the
# unit and integration tests; `make demo` traces an example and reports it.
CC ?= cc
CFLAGS ?= -O2 -g
WARN := -std=gnu11 -Wall -Wextra -Werror
CPPFLAGS += -Iinclude
PRELOAD_CFLAGS := $(WARN) $(CFLAGS) -fPIC -fvisibility=hidden -fno-omit-frame-pointer \
                  -ftls-model=initial-exec
PRELOAD_SRC := $(wildcard preload/*.c)
PRELOAD_OBJ := $(PRELOAD_SRC:%.c=build/%.o)
ANALYZER_SRC := $(wildcard analyzer/*.c)
ANALYZER_LIB_SRC := $(filter-out analyzer/main.c,$(ANALYZER_SRC))
ANALYZER_OBJ := $(ANALYZER_SRC:%.c=build/%.o)
ANALYZER_LIBS := -ldw -lelf -lm
EXAMPLES := $(patsubst %.c,%,$(wildcard examples/*.c))
EXAMPLE_CFLAGS := $(WARN) -O1 -g -fno-omit-frame-pointer -fno-inline -pthread
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=build/tests/%)

all: libwait.so waitreport $(EXAMPLES)

libwait.so: $(PRELOAD_OBJ)
	$(CC) -shared -o $@ $^ -lunwind -ldl -pthread

build/preload/%.o: preload/%.c preload/lw_internal.h include/lw_format.h
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(PRELOAD_CFLAGS) -c $< -o $@

waitreport: $(ANALYZER_OBJ)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(ANALYZER_LIBS)

build/analyzer/%.o: analyzer/%.c $(wildcard analyzer/*.h) include/lw_format.h
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(WARN) $(CFLAGS) -c $< -o $@

examples/%: examples/%.c
	$(CC) $(EXAMPLE_CFLAGS) $< -o $@

# unit tests link the analyzer's library files (not main.c)
build/tests/test_%: tests/unit/test_%.c $(ANALYZER_LIB_SRC) $(wildcard analyzer/*.h) include/lw_format.h
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -Ianalyzer -Ipreload $(WARN) $(CFLAGS) $(SAN) $< $(ANALYZER_LIB_SRC) -o $@ \
	  $(ANALYZER_LIBS) -lcmocka -pthread

unit: $(UNIT_BIN)
	@fail=0; for t in $(UNIT_BIN); do ./$$t || fail=1; done; exit $$fail

integration: all
	bash tests/integration/run.sh

test: all unit integration

# Analyzer and unit tests under ASan+UBSan: `make asan test` or `make asan`.
asan:
	$(MAKE) clean-analyzer
	$(MAKE) waitreport unit CFLAGS="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" \
	  LDFLAGS="-fsanitize=address,undefined"

demo: all
	@rm -f demo.bin
	WAIT_OUTPUT=demo.bin LD_PRELOAD=$(CURDIR)/libwait.so ./examples/lock_contend
	./waitreport demo.bin

clean-analyzer:
	rm -rf build/analyzer build/tests waitreport

clean:
	rm -rf build libwait.so waitreport $(EXAMPLES) wait.*.bin demo.bin

.PHONY: all unit integration test asan demo clean clean-analyzer
